"""Two app servers behind one (simulated) load balancer share everything that matters.

Two gunicorn instances run the production settings (debug off, a secret key, allowed
hosts, secure cookies, SSL redirect, HSTS, JSON logs) on separate free loopback ports,
over one PostgreSQL database made for this test, moto's S3 server and Redis. Nothing is
stubbed: the test talks HTTP to them as a browser behind a load balancer would.

TLS: the instances run exactly as `.env.production.example` says, with TLS ending at a
proxy (DJANGO_BEHIND_PROXY=true). This test plays that proxy: every request carries the
one public Host name and `X-Forwarded-Proto: https`, and its cookie jar sends the Secure
cookies over the plain loopback hop, as the proxy's own hop to the app servers does. No
production setting is relaxed for the test.

Like `make serve`, it runs collectstatic into the repository's STATIC_ROOT (`staticfiles/`).
"""

import html
import io
import json
import re
import secrets
import time
from pathlib import Path

import psycopg
import pytest
import requests
from PIL import Image

from tests.factories import image_bytes
from tests.fixtures_s3 import s3_environment
from tests.production import example_environment
from tests.servers import Gunicorn, manage
from tests.services import postgres_server, postgres_url, redis_client, redis_url

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_HOST = "books.example.test"
PASSWORD = "scale-out-Pa55word-" + secrets.token_hex(4)


class Instance:
    """One gunicorn app server, configured as `make serve` runs it, on a free loopback port."""

    def __init__(self, name, env, log_path):
        self.name = name
        self.log_path = log_path
        self.media_root = Path(env["DJANGO_MEDIA_ROOT"])
        self.media_root.mkdir(parents=True)
        self.server = Gunicorn(env, log_path, production=True, host=PUBLIC_HOST)
        self.url = self.server.url
        self.process = self.server.process

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"instance {self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                response = requests.get(f"{self.url}/readyz", headers={"Host": PUBLIC_HOST}, timeout=5)
                if response.status_code == 200:
                    return response.json()
            except requests.RequestException:
                pass  # still booting
            time.sleep(0.2)
        pytest.fail(f"instance {self.name} not ready after {timeout}s:\n{self.log_tail()}")

    def stop(self):
        self.server.stop()

    def log_lines(self):
        return self.log_path.read_text().splitlines()

    def log_tail(self, count=30):
        return "\n".join(self.log_lines()[-count:])


class Browser:
    """A browser behind the load balancer: one set of cookies, whichever instance answers.

    Cookies are kept by hand: the browser sends its Secure cookies over HTTPS to the proxy,
    which forwards them over the plain loopback hop, and requests' cookie jar would
    (rightly, for a client) hold Secure cookies back from a plain-HTTP URL.
    """

    def __init__(self):
        self.cookies = {}
        self.set_cookie_headers = []
        self.request_ids = []

    def request(self, method, instance, path, **kwargs):
        request_id = f"scaleout-{len(self.request_ids) + 1}-{instance.name}"
        self.request_ids.append(request_id)
        headers = {
            "Host": PUBLIC_HOST,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "198.51.100.7",
            "X-Request-ID": request_id,
            **kwargs.pop("headers", {}),
        }
        if method == "POST":
            headers["Origin"] = f"https://{PUBLIC_HOST}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = requests.request(
            method, instance.url + path, headers=headers, allow_redirects=False, timeout=30, **kwargs
        )
        assert response.headers["X-Request-ID"] == request_id
        self.cookies.update(response.cookies.get_dict())
        if "Set-Cookie" in response.headers:
            self.set_cookie_headers.append(response.headers["Set-Cookie"])
        return response

    def get(self, instance, path, **kwargs):
        return self.request("GET", instance, path, **kwargs)

    def post_form(self, instance, path, data, files=None):
        """Posts the form found at `path`, with its CSRF token, as a browser would."""
        page = self.get(instance, path)
        assert page.status_code == 200, (path, page.status_code)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return self.request("POST", instance, path, data={**data, "csrfmiddlewaretoken": token}, files=files)


@pytest.fixture
def services(s3_server):
    """A fresh PostgreSQL database, a moto S3 bucket and a Redis key prefix, removed afterwards."""
    pg = postgres_server()
    redis = redis_client()
    token = secrets.token_hex(4)
    dbname = f"bookstore_prod_scaleout_{token}"
    with psycopg.connect(**pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    s3 = s3_server  # moto's S3 server, in this process, on a free loopback port
    bucket = f"scaleout-{token}"
    s3.client().create_bucket(Bucket=bucket)
    prefix = f"bookstore-scaleout-{token}"
    try:
        yield {
            "database_url": postgres_url(pg, dbname),
            "dbname": dbname,
            "pg": pg,
            "s3": s3,
            "bucket": bucket,
            "redis": redis,
            "redis_prefix": prefix,
        }
    finally:
        for key in redis.scan_iter(match=f"{prefix}:*"):
            redis.delete(key)
        with psycopg.connect(**pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def production_environment(services, secret_key):
    """.env.production.example, pointed at this machine's services."""
    return example_environment(
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_ALLOWED_HOSTS=PUBLIC_HOST,
        DJANGO_CSRF_TRUSTED_ORIGINS=f"https://{PUBLIC_HOST}",
        DATABASE_URL=services["database_url"],
        REDIS_URL=redis_url(),
        DJANGO_CACHE_PREFIX=services["redis_prefix"],
        EMAIL_URL="dummymail://",
        **s3_environment(services["s3"].endpoint_url, services["bucket"]),
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="2",
    )


def files_under(folder):
    return sorted(str(path.relative_to(folder)) for path in Path(folder).rglob("*"))


def test_two_app_servers_share_sessions_covers_and_database(services, tmp_path, capsys):
    secret_key = secrets.token_urlsafe(50)
    env = production_environment(services, secret_key)
    started = time.monotonic()
    manage(env, "migrate", "--noinput", check=True)
    manage(env, "collectstatic", "--noinput", check=True)
    # The password travels in the environment, not on a command line.
    manage(
        {**env, "SCALEOUT_PASSWORD": PASSWORD},
        "shell",
        "-c",
        "import os; from accounts.models import CustomUser; from allauth.account.models import EmailAddress; "
        "alice = CustomUser.objects.create_user('alice', 'alice@example.com', os.environ['SCALEOUT_PASSWORD']); "
        # Production makes verification mandatory: alice confirmed her address long ago.
        "EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)",
        check=True,
    )
    prepared = time.monotonic() - started

    instances = []
    figures = {}
    try:
        for name in ("A", "B"):
            media_root = tmp_path / f"media-{name.lower()}"
            instances.append(Instance(name, {**env, "DJANGO_MEDIA_ROOT": str(media_root)}, tmp_path / f"{name}.log"))
        a, b = instances
        figures["readyz A"] = a.wait_ready()
        figures["readyz B"] = b.wait_ready()
        s3, bucket = services["s3"], services["bucket"]
        client = s3.client()

        def bucket_keys():
            return sorted(item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", []))

        browser = Browser()

        # Plain HTTP is redirected to HTTPS; over "HTTPS" the page carries HSTS.
        insecure = requests.get(f"{a.url}/books/", headers={"Host": PUBLIC_HOST}, allow_redirects=False, timeout=10)
        assert insecure.status_code == 301
        assert insecure.headers["Location"] == f"https://{PUBLIC_HOST}/books/"

        # A member logs in through A...
        login = browser.post_form(a, "/accounts/login/", {"login": "alice", "password": PASSWORD})
        assert login.status_code == 302, login.text[:500]
        set_cookie = login.headers["Set-Cookie"]
        assert "sessionid=" in set_cookie and "Secure" in set_cookie and "HttpOnly" in set_cookie
        session_key = browser.cookies["sessionid"]

        # ...and is still logged in on B: the session lives in Redis and, for when Redis
        # is lost, in the database; never in A's memory.
        on_b = browser.get(b, "/books/create/")
        assert on_b.status_code == 200, on_b.headers.get("Location")
        assert "Signed in as <strong>alice</strong>" in on_b.text
        assert "max-age=31536000" in on_b.headers["Strict-Transport-Security"]
        redis_session_keys = list(services["redis"].scan_iter(match=f"{services['redis_prefix']}:*sessions*"))
        assert any(session_key in key.decode() for key in redis_session_keys)
        # allauth's rate-limit counters too, per client address from X-Forwarded-For.
        ratelimit_keys = [
            key.decode() for key in services["redis"].scan_iter(match=f"{services['redis_prefix']}:*allauth:rl:*")
        ]
        assert any(":ip:198.51.100.7" in key for key in ratelimit_keys), ratelimit_keys
        with psycopg.connect(**{**services["pg"], "dbname": services["dbname"]}) as conn:
            db_sessions = conn.execute("SELECT count(*) FROM django_session").fetchone()[0]
        assert db_sessions == 1

        # A book with a cover added through A...
        cover = image_bytes("PNG", size=(300, 450), color=(20, 90, 160))
        created = browser.post_form(
            a,
            "/books/create/",
            {"title": "The Dispossessed", "author": "Ursula K. Le Guin", "price": "11.00"},
            files={"cover": ("dispossessed.png", cover, "image/png")},
        )
        assert created.status_code == 302, created.text[:1000]
        book_path = created.headers["Location"]
        assert re.fullmatch(r"/books/[0-9a-f-]{36}/", book_path)
        keys_after_create = bucket_keys()
        # The cover and its thumbnail, and the width variants its size allows.
        assert len(keys_after_create) >= 2 and all(key.startswith("covers/") for key in keys_after_create)
        assert len([key for key in keys_after_create if "-w" not in key]) == 2

        # ...shows with its cover on B, which renders the page without asking S3 anything.
        s3.reset_requests()
        detail = browser.get(b, book_path)
        s3_requests_for_page = len(s3.requests)
        assert detail.status_code == 200
        assert "The Dispossessed" in detail.text
        cover_img = re.search(r'<img [^>]*src="([^"]+)"[^>]*alt="Cover of The Dispossessed"', detail.text)
        cover_url = html.unescape(cover_img.group(1))
        assert cover_url.startswith(f"{s3.endpoint_url}/{bucket}/covers/")
        signature = re.search(r"Signature=([^&]+)", cover_url).group(1)  # signed (SigV2 or SigV4)
        csp = detail.headers["Content-Security-Policy"]
        assert re.search(rf"img-src [^;]*{re.escape(s3.endpoint_url)}", csp)
        fetched = requests.get(cover_url, timeout=10)
        assert fetched.status_code == 200
        cover_key = cover_url.split(f"/{bucket}/", 1)[1].split("?", 1)[0]
        assert fetched.content == client.get_object(Bucket=bucket, Key=cover_key)["Body"].read()
        with Image.open(io.BytesIO(fetched.content)) as image:
            figures["cover from B"] = f"{image.format} {image.size[0]}x{image.size[1]}, {len(fetched.content)} bytes"

        # A query string with a signature is never written to the log.
        assert browser.get(b, "/books/?q=dispossessed&X-Amz-Signature=deadbeefcafe").status_code == 200

        # Deleting it on B removes its objects from the bucket (B's background worker, soon after).
        deleted = browser.post_form(b, f"{book_path}delete/", {})
        assert deleted.status_code == 302
        give_up = time.monotonic() + 10
        while (keys_after_delete := bucket_keys()) and time.monotonic() < give_up:
            time.sleep(0.1)
        assert keys_after_delete == []
        assert browser.get(a, book_path).status_code == 404

        # Neither instance wrote anything under its own media folder.
        assert files_under(a.media_root) == []
        assert files_under(b.media_root) == []
    except BaseException:
        for instance in instances:
            print(f"\n== instance {instance.name}'s log\n{instance.log_tail()}")
        raise
    finally:
        for instance in instances:
            instance.stop()

    # The logs: one JSON object a line, one line per request with its id, no secrets.
    records = {}
    for instance in (a, b):
        lines = instance.log_lines()
        parsed = [json.loads(line) for line in lines]  # every line is JSON
        records[instance.name] = parsed
        text = "\n".join(lines)
        for secret in (PASSWORD, secret_key, "deadbeefcafe", session_key, signature):
            assert secret not in text, f"a secret reached instance {instance.name}'s log"
        assert not re.search(r"Signature=(?!\[redacted\])", text)
    request_lines = {
        record["request_id"]: record
        for parsed in records.values()
        for record in parsed
        if record["logger"] == "bookstore.request"
    }
    assert set(browser.request_ids) <= set(request_lines)
    search_line = next(r for r in request_lines.values() if r["path"] == "/books/" and r["method"] == "GET")
    assert search_line["path"] == "/books/"
    logged_in_line = request_lines[next(i for i in browser.request_ids if i.endswith("-B"))]
    assert logged_in_line["user_id"] is not None

    with capsys.disabled():  # the figures are for the CI log, even without -s
        print("\n== scale-out: two gunicorn instances, one PostgreSQL database, moto S3, Redis")
        print(f"instance A {a.url}, instance B {b.url}, public host {PUBLIC_HOST} (TLS at the simulated proxy)")
        print(f"database {services['dbname']}, bucket {services['bucket']}")
        print(f"redis {redis_url()}, key prefix {services['redis_prefix']}")
        print(f"migrate + collectstatic + member: {prepared:.1f} s")
        print(f"readyz A {figures['readyz A']}; readyz B {figures['readyz B']}")
        print(f"session rows in PostgreSQL: {db_sessions}; session keys in Redis: {len(redis_session_keys)}")
        print(f"allauth rate-limit keys in Redis: {[key.split('allauth:', 1)[1] for key in ratelimit_keys]}")
        print(f"objects in bucket after create on A: {len(keys_after_create)} {keys_after_create}")
        print(f"S3 requests while B rendered the book page: {s3_requests_for_page}")
        print(f"cover fetched from the URL on B's page: {figures['cover from B']}")
        print(f"objects in bucket after delete on B: {len(keys_after_delete)}")
        print(f"files under media-a: {files_under(a.media_root)}, media-b: {files_under(b.media_root)}")
        for request_id in browser.request_ids:
            line = request_lines[request_id]
            print(
                f"  {request_id:<16} {line['method']:<4} {line['path']:<52} {line['status']} "
                f"{line['duration_ms']:>7.1f} ms user={line['user_id']}"
            )
        print(f"log lines: A {len(records['A'])}, B {len(records['B'])}, all JSON; no password, key or signature")
