"""Real processes for the tests and benchmarks that need them: gunicorn app servers on free
loopback ports, `manage.py` in a subprocess, and a port nothing listens on."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


class Gunicorn:
    """`gunicorn config.wsgi` on a loopback socket bound here first, so `url` is known at once.

    With `production=True` it runs with config/gunicorn.conf.py, bound through GUNICORN_BIND,
    as `make serve` does; otherwise with gunicorn's defaults and `workers` sync workers.
    `app` is another WSGI application to serve the same way (bench/yardstick).
    Returns once the server answers HTTP (with `host` as the Host header).
    """

    def __init__(
        self, env, log_path, *, workers=1, production=False, host="127.0.0.1", timeout=60, app="config.wsgi:application"
    ):
        self.log_path = Path(log_path)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        sock.set_inheritable(True)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        bind = f"fd://{sock.fileno()}"
        if production:
            arguments = ["-c", "config/gunicorn.conf.py"]
            env = {**env, "GUNICORN_BIND": bind}
        else:
            arguments = ["--bind", bind, "--workers", str(workers)]
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "gunicorn", *arguments, app],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            pass_fds=(sock.fileno(),),
        )
        sock.close()  # gunicorn holds its own copy
        self._wait_until_answering(host, timeout)

    def _wait_until_answering(self, host, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                requests.get(f"{self.url}/healthz", headers={"Host": host}, timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.1)  # still booting
        self.stop()
        raise RuntimeError(f"gunicorn did not start:\n{self.log_path.read_text()}")

    def stop(self, timeout=30):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def manage(env, *args, check=False, timeout=300):
    """`manage.py *args` under `env`; with `check`, a failure fails the test with its output."""
    result = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check:
        assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def closed_port():
    """A loopback port nothing listens on (free a moment ago): connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed_member_with_a_book(env):
    """carol, whom sign_in() logs in, and one book of hers, in the database `env` names."""
    manage(
        env,
        "shell",
        "-c",
        "from accounts.models import CustomUser; from books.models import Book; "
        "u = CustomUser.objects.create_user('carol', 'carol@example.com', 'correct-horse-battery'); "
        "Book.objects.create(title='Parable of the Sower', author='Octavia E. Butler', price=9, creator=u)",
        check=True,
    )


def sign_in(base_url, username="carol", password="correct-horse-battery", timeout=10):  # noqa: S107 - test members
    """A requests session logged in to a running server through its log-in form."""
    import requests

    session = requests.Session()
    session.get(f"{base_url}/accounts/login/", timeout=timeout)
    response = session.post(
        f"{base_url}/accounts/login/",
        data={"login": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=timeout,
    )
    assert "Signed in as" in response.text, f"{username} could not log in to {base_url}"
    return session


class Nginx:
    """deploy/nginx/bookstore.conf, unchanged but for its addresses, ports and certificate, in
    front of app servers on loopback `app_ports`: nginx from Debian in its own prefix on free
    loopback ports (unprivileged when run as root), with a fresh self-signed certificate.
    `https` and `http` are its URLs once it answers /healthz with `host`."""

    def __init__(self, app_ports, host, log_path, *, timeout=90):
        import os
        import re
        import shutil
        import tempfile

        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"
        http_port, https_port = closed_port(), closed_port()
        # Its own prefix outside pytest's private (0700) tree, so an unprivileged nginx reaches it.
        self.prefix = Path(tempfile.mkdtemp(prefix="bookstore-nginx-"))
        cert, key = self.prefix / "cert.pem", self.prefix / "key.pem"
        subprocess.run(  # noqa: S603
            ["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={host}",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        text = (ROOT / "deploy" / "nginx" / "bookstore.conf").read_text()
        servers = iter(app_ports)
        text = re.sub(r"server 127\.0\.0\.1:\d+", lambda _match: f"server 127.0.0.1:{next(servers)}", text)
        text = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", text)
        text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        text = text.replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
        text = re.sub(r"ssl_certificate [^;]+;", f"ssl_certificate {cert};", text)
        text = re.sub(r"ssl_certificate_key [^;]+;", f"ssl_certificate_key {key};", text)
        (self.prefix / "bookstore.conf").write_text(text)
        temp_paths = "\n".join(
            f"  {kind}_temp_path {self.prefix / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (self.prefix / "nginx.conf").write_text(
            f"worker_processes 1;\npid {self.prefix / 'nginx.pid'};\nerror_log {self.prefix / 'error.log'} info;\n"
            "events { worker_connections 512; }\n"
            f"http {{\n  access_log {self.prefix / 'access.log'};\n{temp_paths}\n"
            f"  include {self.prefix / 'bookstore.conf'};\n}}\n"
        )
        user = ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if os.geteuid() == 0 else []
        if user:  # nginx runs unprivileged: it needs only its own directory and the certificate
            for path in (self.prefix, cert, key):
                shutil.chown(path, "nobody", "nogroup")
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(  # noqa: S603
            [*user, self.binary, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf"), "-g", "daemon off;"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.https = f"https://127.0.0.1:{https_port}"
        self.http = f"http://127.0.0.1:{http_port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                requests.get(f"{self.https}/healthz", headers={"Host": host}, verify=False, timeout=5)  # noqa: S501
                return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"nginx did not start:\n{self.log_path.read_text()}")

    def stop(self):
        import shutil

        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self._log.close()
        shutil.rmtree(self.prefix, ignore_errors=True)
