"""The machine's PostgreSQL and Redis for the tests that need them, or a skip that says why.

When BOOKSTORE_REQUIRE_SERVICES=1 (CI), a missing service fails the test instead.
"""

import os

import environ
import pytest

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"


def unavailable(reason):
    if os.environ.get("BOOKSTORE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and BOOKSTORE_REQUIRE_SERVICES=1 says it is required")
    pytest.skip(reason)


def redis_url():
    return os.environ.get("REDIS_TEST_URL") or DEFAULT_REDIS_URL


def redis_client():
    """A client for the tests' Redis database (REDIS_TEST_URL, else DB 7 on localhost)."""
    import redis

    url = redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"no Redis reachable at {url} ({exc.__class__.__name__}); set REDIS_TEST_URL")
    return client


def postgres_server():
    """Connection settings for the PostgreSQL server of DATABASE_URL (or the local one).

    Returns a dict for psycopg.connect, pointed at the server's maintenance database.
    """
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        url = DEFAULT_POSTGRES_URL
    parsed = environ.Env.db_url_config(url)
    params = {
        "host": parsed["HOST"] or "127.0.0.1",
        "port": parsed["PORT"] or 5432,
        "user": parsed["USER"] or "postgres",
        "password": parsed["PASSWORD"] or None,
        "dbname": "postgres",
        "connect_timeout": 3,
    }
    try:
        psycopg.connect(**params).close()
    except psycopg.Error as exc:
        unavailable(f"no PostgreSQL server reachable at {params['host']}:{params['port']} ({exc.__class__.__name__})")
    return params


def postgres_url(params, dbname):
    password = f":{params['password']}" if params["password"] else ""
    return f"postgres://{params['user']}{password}@{params['host']}:{params['port']}/{dbname}"
