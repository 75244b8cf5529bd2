"""Requests an upload and a page render cost, and how long an upload takes to fail.

Runs the real views against moto's S3 server (the test fixtures' server, counting every
request it receives) with the storage configured exactly as in production
(covers/storage.py), then against endpoints that are dead in three ways. Prints figures;
asserts nothing. Run with `make bench-s3` (a throw-away in-memory SQLite database).
"""

import os
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
os.environ["DATABASE_URL"] = "sqlite://:memory:"

import django  # noqa: E402

django.setup()

import logging  # noqa: E402
import tempfile  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from books.models import Book  # noqa: E402
from tests.factories import UserFactory, cover_upload  # noqa: E402
from tests.fixtures_s3 import S3Server, s3_environment, storage_from_environment  # noqa: E402
from tests.servers import closed_port  # noqa: E402

logging.disable(logging.CRITICAL)  # the failures below are expected; keep the output to figures


def s3_settings(endpoint, bucket, **extra):
    from django.conf import settings

    return override_settings(
        STORAGES={**settings.STORAGES, "default": storage_from_environment(s3_environment(endpoint, bucket, **extra))}
    )


def add_book(client, title):
    data = {"title": title, "author": "Octavia E. Butler", "price": "10.00", "cover": cover_upload(size=(800, 1200))}
    return client.post("/books/create/", data)


class SilentServer:
    """Accepts TCP connections and never answers: a hung endpoint, not a refused one."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.held.append(self.socket.accept()[0])
            except OSError:
                return

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def close(self):
        for connection in self.held:
            connection.close()
        self.socket.close()


def main():
    setup_test_environment()
    call_command("migrate", verbosity=0)
    client = Client()
    client.force_login(UserFactory(username="bench"))
    server = S3Server()
    server.start()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-s3-media-") as media_root,
            override_settings(MEDIA_ROOT=media_root),
        ):
            measure_requests(client, server)
            measure_failures(client, server)
    finally:
        server.stop()


def measure_requests(client, server):
    print("Requests received by the S3 server")
    for label, extra in (("signed URLs", {}), ("custom domain", {"AWS_S3_CUSTOM_DOMAIN": "cdn.example.com"})):
        bucket = f"bench-{len(label)}"
        server.client().create_bucket(Bucket=bucket)
        with s3_settings(server.endpoint_url, bucket, **extra):
            for n in range(11):
                add_book(client, f"{label} {n}")
            server.reset_requests()
            response = add_book(client, f"{label} measured")
            methods = [method for method, _path, _query in server.requests]
            print(f"  one cover upload ({label}): {len(methods)} requests {methods} -> HTTP {response.status_code}")
            book = Book.objects.get(title=f"{label} measured")
            for page, url in (("home", "/"), ("list", "/books/"), ("detail", book.get_absolute_url())):
                server.reset_requests()
                status = client.get(url).status_code
                print(
                    f"  one {page} page render with covers ({label}): {len(server.requests)} requests -> HTTP {status}"
                )


def measure_failures(client, server):
    print("Time for a cover upload to fail (form error shown, no row written)")
    stopped = S3Server()
    stopped.start()
    stopped_endpoint = stopped.endpoint_url
    stopped.stop()
    silent = SilentServer()
    cases = (
        ("S3 server stopped", stopped_endpoint),
        ("endpoint on a closed port", f"http://127.0.0.1:{closed_port()}"),
        ("endpoint accepts but never answers", silent.endpoint),
    )
    try:
        for label, endpoint in cases:
            with s3_settings(endpoint, "bench-dead"):
                start = time.perf_counter()
                response = add_book(client, f"dead {label}")
                elapsed = time.perf_counter() - start
            shown = "Cover storage is unavailable" in response.content.decode()
            rows = Book.objects.filter(title=f"dead {label}").count()
            print(f"  {label}: {elapsed:.2f} s (HTTP {response.status_code}, error shown: {shown}, rows: {rows})")
            if endpoint == silent.endpoint:
                print(f"    connections the silent endpoint accepted: {len(silent.held)}")
    finally:
        silent.close()
    from django.conf import settings

    config = storage_from_environment(s3_environment("http://x", "b"))["OPTIONS"]["client_config"]
    print(
        f"  (connect_timeout={config.connect_timeout}s, read_timeout={config.read_timeout}s, "
        f"attempts={config.retries['total_max_attempts']}, mode={config.retries['mode']}; "
        f"DEBUG={settings.DEBUG})"
    )


if __name__ == "__main__":
    main()
