"""deploy/nginx/bookstore.conf in front of two gunicorn app servers (issue 12, item 5).

nginx from Debian runs the shipped file unchanged but for the addresses, ports and
certificate paths, as an unprivileged process with its own prefix on free loopback ports.
The app servers run the production settings (debug off, behind a proxy, SSL redirect) on
SQLite and Redis. Slow clients trickle request bodies while visitors browse; clients try
to forge the forwarded headers.
"""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.production import bare_environment
from tests.servers import Nginx, manage
from tests.services import redis_client, redis_url, unavailable

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HOST = "books.example.com"
PASSWORD = "proxy-test-Pa55word"
SLOW_CLIENTS = 14

# Our own self-signed certificate: nothing to verify it against.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, deadline, **kwargs):
    while time.monotonic() < deadline:
        try:
            return requests.get(url, timeout=5, **kwargs)
        except requests.RequestException:  # still booting
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in time")


class AppServer:
    """`gunicorn -c config/gunicorn.conf.py config.wsgi` on a free loopback port."""

    def __init__(self, env, log_path):
        self.log_path = log_path
        self.port = free_port()
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our interpreter, fixed arguments)
                [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
                cwd=ROOT,
                env={**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not os.path.exists(NGINX):
        unavailable("nginx is not installed (apt install nginx)")
    redis = redis_client()
    work = tmp_path_factory.mktemp("proxy")
    prefix = f"bookstore-proxy-{uuid.uuid4().hex[:8]}"
    env = bare_environment(
        DJANGO_SECRET_KEY="proxy-test-" + uuid.uuid4().hex,
        DJANGO_ALLOWED_HOSTS=HOST,
        DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
        REDIS_URL=redis_url(),
        DJANGO_CACHE_PREFIX=prefix,
        DJANGO_MEDIA_ROOT=str(work / "media"),
        DJANGO_BEHIND_PROXY="true",
        DJANGO_TRUSTED_PROXY_COUNT="1",
        DJANGO_SECURE_SSL_REDIRECT="true",
        BOOKSTORE_SITE_DOMAIN=HOST,
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
    )
    manage(env, "migrate", "--noinput", check=True)
    manage(env, "collectstatic", "--noinput", check=True)
    create_member = (
        "from accounts.models import CustomUser; "
        f"CustomUser.objects.create_user('alice', 'alice@example.com', {PASSWORD!r})"
    )
    manage(env, "shell", "-c", create_member, check=True)

    apps = [AppServer(env, work / f"app{number}.log") for number in (1, 2)]
    nginx = None
    try:
        deadline = time.monotonic() + 90
        for app in apps:
            wait_for(f"http://127.0.0.1:{app.port}/healthz", deadline, headers={"Host": HOST})
        nginx = Nginx([app.port for app in apps], HOST, work / "nginx.log")
        yield {"https": nginx.https, "http": nginx.http, "apps": apps}
    finally:
        if nginx:
            nginx.stop()
        for app in apps:
            app.stop()
        for name in redis.scan_iter(f"{prefix}:*"):
            redis.delete(name)


def get(site, path, **kwargs):
    headers = {"Host": HOST, **kwargs.pop("headers", {})}
    kwargs.setdefault("timeout", 30)
    # Our own self-signed certificate: there is nothing to verify it against.
    return requests.get(site["https"] + path, headers=headers, verify=False, allow_redirects=False, **kwargs)  # noqa: S501, S113


def trickle(site, stop, results):
    """A slow client: a 64 KB log-in form, one byte every 200 ms."""
    try:
        with socket.create_connection(("127.0.0.1", int(site["https"].rsplit(":", 1)[1])), timeout=30) as raw:
            import ssl

            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            with context.wrap_socket(raw, server_hostname=HOST) as sock:
                sock.sendall(
                    f"POST /accounts/login/ HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/x-www-form-urlencoded"
                    f"\r\nContent-Length: 65536\r\n\r\n".encode()
                )
                while not stop.is_set():
                    sock.sendall(b"a")
                    time.sleep(0.2)
                results.append("held")
    except OSError as exc:
        results.append(exc)


def test_visitors_get_pages_promptly_while_slow_clients_trickle_bodies(site):
    stop, held = threading.Event(), []
    slow = [threading.Thread(target=trickle, args=(site, stop, held)) for _ in range(SLOW_CLIENTS)]
    for thread in slow:
        thread.start()
    time.sleep(2)  # every slow client is connected and sending

    deadline = time.monotonic() + 30
    answers = []
    for path in ["/books/", "/about/", "/", "/accounts/login/", "/books/?q=dune"] * 4:
        answers.append(get(site, path, timeout=max(1, deadline - time.monotonic())).status_code)
    stop.set()
    for thread in slow:
        thread.join(timeout=30)

    assert answers == [200] * len(answers)
    assert time.monotonic() < deadline
    assert held == ["held"] * SLOW_CLIENTS, "the slow clients were still connected (to nginx) throughout"


def test_bodies_over_the_limit_are_refused_by_the_proxy(site):
    response = requests.post(
        site["https"] + "/books/create/",
        data=b"x" * (8 * 1024 * 1024),
        headers={"Host": HOST, "Content-Type": "application/octet-stream"},
        verify=False,  # noqa: S501 (our own self-signed certificate)
        timeout=60,
    )
    assert response.status_code == 413


def test_the_app_sees_https_only_through_tls_whatever_a_client_claims(site):
    """The proxy sets X-Forwarded-Proto itself: over TLS the app serves pages (no redirect to
    HTTPS); over plain HTTP only the load balancer's probe passes, forged header or not."""
    assert get(site, "/books/").status_code == 200
    forged = {"Host": HOST, "X-Forwarded-Proto": "https"}
    probe = requests.get(site["http"] + "/healthz", headers=forged, allow_redirects=False, timeout=10)
    page = requests.get(site["http"] + "/books/", headers=forged, allow_redirects=False, timeout=10)
    assert probe.status_code == 200
    assert page.status_code == 301 and page.headers["Location"] == f"https://{HOST}/books/"


def test_a_forged_x_forwarded_for_does_not_escape_the_log_in_lockout(site):
    session = requests.Session()
    session.headers["Host"] = HOST
    session.get(site["https"] + "/accounts/login/", timeout=10, verify=False)  # noqa: S501
    token = session.cookies["csrftoken"]
    for attempt in range(12):
        session.post(
            site["https"] + "/accounts/login/",
            data={"login": "alice", "password": f"wrong-{attempt}", "csrfmiddlewaretoken": token},
            headers={"X-Forwarded-For": f"192.0.2.{attempt + 1}", "Referer": f"https://{HOST}/accounts/login/"},
            allow_redirects=False,
            timeout=10,
            verify=False,  # noqa: S501
        )
    last = session.post(
        site["https"] + "/accounts/login/",
        data={"login": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"X-Forwarded-For": "192.0.2.200", "Referer": f"https://{HOST}/accounts/login/"},
        allow_redirects=False,
        timeout=10,
        verify=False,  # noqa: S501
    )
    assert last.status_code in (200, 429)  # the form again, or too many attempts: not logged in
    assert "Too many failed login attempts" in last.text or last.status_code == 429
