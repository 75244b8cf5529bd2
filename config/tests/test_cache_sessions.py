import secrets

import pytest
from django.contrib.sessions.models import Session

from tests.outage import redis_caches
from tests.production import example_environment, settings_under
from tests.services import redis_client, redis_url


def test_without_redis_sessions_go_to_the_database_and_the_cache_is_local():
    settings = settings_under(example_environment(REDIS_URL=None), "CACHES", "SESSION_ENGINE")
    assert settings["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert settings["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_with_redis_url_the_cache_is_redis_and_sessions_are_written_through_to_the_database():
    env = example_environment(REDIS_URL="redis://redis.internal:6379/3")
    settings = settings_under(env, "CACHES", "SESSION_ENGINE")
    for alias in ("default", "pages"):
        assert settings["CACHES"][alias]["BACKEND"] == "config.cache_backends.ResilientRedisCache"
        assert settings["CACHES"][alias]["LOCATION"] == "redis://redis.internal:6379/3"
    assert settings["CACHES"]["pages"]["KEY_PREFIX"] == settings["CACHES"]["default"]["KEY_PREFIX"] + ":pages"
    # A Redis restart or outage logs no member out: the session is read from PostgreSQL.
    assert settings["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


def test_the_page_cache_can_have_a_redis_of_its_own():
    env = example_environment(REDIS_URL="redis://redis.internal:6379/3", REDIS_PAGE_CACHE_URL="redis://pages:6379/0")
    caches = settings_under(env, "CACHES")["CACHES"]
    assert caches["default"]["LOCATION"] == "redis://redis.internal:6379/3"
    assert caches["pages"]["LOCATION"] == "redis://pages:6379/0"


def test_a_hung_database_is_given_up_in_seconds():
    env = example_environment(DATABASE_URL="postgres://bookstore@db:5432/bookstore")
    options = settings_under(env, "DATABASES")["DATABASES"]["default"]["OPTIONS"]
    assert options["connect_timeout"] == 3
    assert options["options"] == "-c statement_timeout=5000"
    assert options["keepalives"] == 1 and options["keepalives_idle"] == 10


@pytest.fixture
def redis_settings(settings):
    """The settings REDIS_URL gives, on the tests' Redis database under a key prefix of its own."""
    client = redis_client()
    prefix = f"bookstore-test-{secrets.token_hex(4)}"
    settings.CACHES = redis_caches(redis_url(), redis_url(), prefix)
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    keys = lambda: [key.decode() for key in client.scan_iter(match=f"{prefix}:*")]  # noqa: E731
    yield keys
    for key in keys():
        client.delete(key)


@pytest.mark.django_db
def test_member_session_and_login_rate_limits_live_in_redis(client, member, redis_settings):
    failed = client.post("/accounts/login/", {"login": member.username, "password": "wrong password"})
    assert failed.status_code == 200  # the form again
    assert [key for key in redis_settings() if ":allauth:rl:" in key and "login_failed" in key]

    response = client.post("/accounts/login/", {"login": member.username, "password": "correct-horse-battery"})
    assert response.status_code == 302
    session_key = client.cookies["sessionid"].value
    assert [key for key in redis_settings() if key.endswith(f"django.contrib.sessions.cached_db{session_key}")]
    assert Session.objects.filter(session_key=session_key).exists()  # survives Redis
    assert client.get("/books/create/").status_code == 200
