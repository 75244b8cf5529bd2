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
    Returns once the server answers HTTP (with `host` as the Host header).
    """

    def __init__(self, env, log_path, *, workers=1, production=False, host="127.0.0.1", timeout=60):
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
            [sys.executable, "-m", "gunicorn", *arguments, "config.wsgi:application"],
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
