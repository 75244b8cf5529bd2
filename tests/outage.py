"""Services a test may break: its own redis-server, a database port that never answers, a
database connection the server drops, and gunicorn run with the production configuration
file (gthread workers).

Never the shared Redis on 6379: other test runs use it while this one stops and pauses.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.services import unavailable

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def drop_from_the_server(connection) -> int:
    """Has PostgreSQL end this Django connection from its side (pg_terminate_backend, as a
    restart or a dropped link would) and returns the backend's pid; the connection object
    does not know until it next sends a statement."""
    import psycopg

    dropped = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    conninfo = psycopg.conninfo.make_conninfo(
        **{key: params[key] for key in ("dbname", "user", "host", "port", "password") if params.get(key)}
    )
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [dropped])
    return dropped


class RedisServer:
    """A redis-server of this test's own on a free port, without persistence."""

    def __init__(self, log_path: Path, *args: str):
        if not os.access(REDIS_SERVER, os.X_OK):
            unavailable(f"{REDIS_SERVER} is missing (apt-get install redis-server)")
        self.port = free_port()
        self.args = args
        self.log_path = log_path
        self.process = None
        self.start()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self):
        import redis

        return redis.Redis(port=self.port, socket_timeout=5)

    def start(self) -> None:
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed program and arguments
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
                + list(self.args),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.client().ping()
                return
            except Exception:  # noqa: BLE001 - still starting
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start:\n{self.log_path.read_text()}")

    def pause(self) -> None:
        """Like a Redis stuck in a long fork or swap: connections open, nothing answered."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)


def redis_caches(default_url: str, pages_url: str, prefix: str, **options) -> dict:
    """CACHES as config/settings.py builds them from REDIS_URL and REDIS_PAGE_CACHE_URL."""
    options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "down_for": 5, **options}
    backend = "config.cache_backends.ResilientRedisCache"
    return {
        "default": {"BACKEND": backend, "LOCATION": default_url, "KEY_PREFIX": prefix, "OPTIONS": options},
        "pages": {"BACKEND": backend, "LOCATION": pages_url, "KEY_PREFIX": f"{prefix}:pages", "OPTIONS": options},
    }


class Blackhole:
    """A TCP port that accepts connections and never says a word: a hung database server."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)  # the kernel completes handshakes; nobody ever accepts
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


class ProductionGunicorn:
    """gunicorn with config/gunicorn.conf.py (as `make serve`) on a free loopback port."""

    def __init__(self, env: dict, log_path: Path, *, timeout: float = 60):
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
                cwd=ROOT,
                env={"GUNICORN_BIND": "127.0.0.1:0", **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = log_path.read_text()
            match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", text)
            workers = int(env.get("GUNICORN_WORKERS", "1"))
            if match and text.count("Booting worker") >= workers:
                self.url = match.group(1)
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        return self.log_path.read_text()
