"""Degrade, don't fail: Redis stopped, paused or restarted, and a database that hangs.

Every fault is real: a redis-server of the test's own is stopped (SIGTERM), paused
(SIGSTOP, or CLIENT PAUSE WRITE), or restarted empty; PostgreSQL holds a table lock from
another connection; a TCP port accepts connections and never answers, as a hung database
server does. The app runs in gunicorn with config/gunicorn.conf.py where processes matter.
"""

import concurrent.futures
import json
import re
import secrets
import uuid

import psycopg
import pytest
import requests
from django.test import Client
from django.urls import reverse

from books.models import Review
from tests.outage import Blackhole, ProductionGunicorn, RedisServer, redis_caches
from tests.production import bare_environment
from tests.servers import manage, seed_member_with_a_book, sign_in
from tests.services import postgres_server, postgres_url

LIST = reverse("book_list")


def is_hit(response):
    return response.headers.get("X-Page-Cache") == "hit"


# --- In one process: every page and write works while Redis is away ----------------------


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path / "redis.log")
    yield server
    server.stop()


@pytest.fixture
def outage_caches(settings, own_redis):
    settings.CACHES = redis_caches(own_redis.url(0), own_redis.url(1), "bookstore-outage", down_for=1)
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"  # as with REDIS_URL
    settings.BOOKSTORE_PAGE_CACHE = True
    return own_redis


@pytest.mark.parametrize("fault", ["stopped", "paused"])
@pytest.mark.django_db(transaction=True)
def test_pages_render_and_reviews_post_while_redis_is_away(client, outage_caches, book, other_member, fault):
    redis = outage_caches
    reviewer = Client()
    reviewer.force_login(other_member)
    client.get(LIST)
    assert is_hit(client.get(LIST))

    redis.stop() if fault == "stopped" else redis.pause()
    try:
        for path in (LIST, "/", book.get_absolute_url()):
            page = client.get(path)
            assert page.status_code == 200 and book.title in page.content.decode(), path
        posted = reviewer.post(
            reverse("review_create", args=[book.pk]), {"review": "Read it twice.", "rating": 4}, follow=True
        )
        assert posted.status_code == 200 and "Read it twice." in posted.content.decode()
        assert Review.objects.filter(book=book, review="Read it twice.").exists()
        # The member is still signed in: the session is read from the database.
        assert "Signed in as <strong>bob</strong>" in reviewer.get("/books/create/").content.decode()
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["cache"] == "degraded" and ready.json()["database"] == "ok"
    finally:
        redis.start() if fault == "stopped" else redis.resume()

    assert "Read it twice." in client.get(book.get_absolute_url()).content.decode()
    assert "(1 review)" in client.get(LIST).content.decode()


# --- Two gunicorn processes, one PostgreSQL database -------------------------------------


@pytest.fixture(scope="module")
def pg_database(tmp_path_factory):
    """A migrated PostgreSQL database with one member and one book, dropped afterwards."""
    pg = postgres_server()
    name = f"bookstore_outage_{secrets.token_hex(4)}"
    with psycopg.connect(**pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = postgres_url(pg, name)
    env = app_env(url, tmp_path_factory.mktemp("setup"))
    try:
        manage(env, "migrate", "--noinput", check=True)
        seed_member_with_a_book(env)
        yield {"url": url, "pg": pg, "name": name}
    finally:
        with psycopg.connect(**pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(database_url, tmp_path, **extra):
    return bare_environment(
        DJANGO_DEBUG="true",  # static files without collectstatic; nothing else depends on it here
        DJANGO_SECRET_KEY="outage-test-only",
        DJANGO_LOG_FORMAT="json",
        DATABASE_URL=database_url,
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
        **extra,
    )


FAULTS = {
    # Redis frozen: connections open, nothing answered (a long fork, swapping, a stuck VM).
    "paused": (lambda redis: redis.pause(), lambda redis: redis.resume()),
    # Reads answered, writes held: old pages stay readable while the version cannot change.
    "writes paused": (
        lambda redis: redis.client().execute_command("CLIENT", "PAUSE", 60000, "WRITE"),
        lambda redis: redis.client().execute_command("CLIENT", "UNPAUSE"),
    ),
    # Down, then back empty: sessions and pages gone from Redis.
    "restarted": (lambda redis: redis.stop(), lambda redis: redis.start()),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_review_posted_during_a_redis_outage_shows_on_the_other_server_when_redis_returns(
    pg_database, own_redis, tmp_path, fault
):
    env = app_env(pg_database["url"], tmp_path, REDIS_URL=own_redis.url(), REDIS_RETRY_AFTER="1")
    servers = []
    try:
        for name in ("a", "b"):
            servers.append(ProductionGunicorn(env, tmp_path / f"gunicorn-{name}.log"))
        server_a, server_b = (server.url for server in servers)
        member = sign_in(server_b)
        requests.get(f"{server_a}/books/", timeout=10)
        cached = requests.get(f"{server_a}/books/", timeout=10)
        assert is_hit(cached)
        book_url = re.search(r'href="(/books/[0-9a-f-]{36}/)"', cached.text)[1]
        reviews_before = cached.text.count("Parable of the Sower")
        assert reviews_before and "(1 review)" not in cached.text

        start_fault, end_fault = FAULTS[fault]
        start_fault(own_redis)
        try:
            text = f"Posted while Redis was {fault}: {uuid.uuid4().hex[:8]}"
            form = member.get(f"{server_b}{book_url}", timeout=10)
            assert form.status_code == 200
            posted = member.post(
                f"{server_b}{book_url}review/",
                data={"review": text, "rating": "5", "csrfmiddlewaretoken": member.cookies["csrftoken"]},
                timeout=10,
            )
            assert posted.status_code == 200 and text in posted.text  # committed, and said so
        finally:
            end_fault(own_redis)

        on_a = requests.get(f"{server_a}/books/", timeout=10)
        assert not is_hit(on_a)
        assert "(1 review)" in on_a.text
        assert text in requests.get(f"{server_a}{book_url}", timeout=10).text
        # Still signed in, on either server, whatever Redis lost.
        assert "Signed in as <strong>carol</strong>" in member.get(f"{server_a}/books/create/", timeout=10).text
    except BaseException:
        for server in servers:
            print(f"== {server.log_path.name}\n{server.log_text()[-3000:]}")
        raise
    finally:
        for server in servers:
            server.stop()
        with psycopg.connect(**{**pg_database["pg"], "dbname": pg_database["name"]}, autocommit=True) as conn:
            conn.execute("DELETE FROM books_review")
            conn.execute("UPDATE books_book SET review_count = 0, rating_count = 0, rating_average = NULL")


# --- A database that hangs ---------------------------------------------------------------


def test_a_locked_table_fails_the_request_within_the_statement_timeout(pg_database, tmp_path):
    env = app_env(pg_database["url"], tmp_path, DATABASE_STATEMENT_TIMEOUT_MS="1000")
    server = ProductionGunicorn(env, tmp_path / "gunicorn.log")
    locker = psycopg.connect(**{**pg_database["pg"], "dbname": pg_database["name"]})
    try:
        assert requests.get(f"{server.url}/books/", timeout=10).status_code == 200
        locker.execute("LOCK TABLE books_book IN ACCESS EXCLUSIVE MODE")  # held until rollback
        # Answered (an error page) instead of waiting for the lock with a thread held.
        assert requests.get(f"{server.url}/books/", timeout=10).status_code == 500
        assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
        ready = requests.get(f"{server.url}/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json()["database"] == "ok"
        locker.rollback()
        assert requests.get(f"{server.url}/books/", timeout=10).status_code == 200
    finally:
        locker.close()
        server.stop()


def test_a_database_that_never_answers_fails_requests_in_seconds_with_their_log_line(tmp_path):
    hung = Blackhole()
    env = app_env(f"postgres://postgres@127.0.0.1:{hung.port}/bookstore", tmp_path, DATABASE_CONNECT_TIMEOUT="1")
    server = ProductionGunicorn(env, tmp_path / "gunicorn.log")
    request_ids = [f"hung-db-{n}" for n in range(4)]
    try:
        with concurrent.futures.ThreadPoolExecutor(len(request_ids)) as pool:
            # More requests than the server has threads, each with a session to load.
            pages = [
                pool.submit(
                    requests.get,
                    f"{server.url}/books/",
                    headers={"X-Request-ID": request_id, "Cookie": f"sessionid={secrets.token_hex(16)}"},
                    timeout=20,
                )
                for request_id in request_ids
            ]
            health = requests.get(f"{server.url}/healthz", timeout=20)
            assert health.status_code == 200
            answers = [page.result() for page in pages]
        for request_id, answer in zip(request_ids, answers, strict=True):
            assert answer.status_code == 500
            assert answer.headers["X-Request-ID"] == request_id
        ready = requests.get(f"{server.url}/readyz", timeout=20)
        assert ready.status_code == 503 and ready.json()["database"] == "unavailable"
    finally:
        server.stop()
        hung.close()
    lines = [json.loads(line) for line in server.log_text().splitlines() if line.startswith("{")]
    logged = {line.get("request_id"): line for line in lines if line["logger"] == "bookstore.request"}
    for request_id in request_ids:
        assert logged[request_id]["status"] == 500 and logged[request_id]["path"] == "/books/"
