import secrets

import pytest
from django.contrib.sessions.models import Session

from tests.production import example_environment, settings_under
from tests.services import redis_client, redis_url


def test_without_redis_sessions_go_to_the_database_and_the_cache_is_local():
    settings = settings_under(example_environment(REDIS_URL=None), "CACHES", "SESSION_ENGINE")
    assert settings["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert settings["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_with_redis_url_cache_and_sessions_go_to_redis():
    env = example_environment(REDIS_URL="redis://redis.internal:6379/3")
    settings = settings_under(env, "CACHES", "SESSION_ENGINE")
    assert settings["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings["CACHES"]["default"]["LOCATION"] == "redis://redis.internal:6379/3"
    assert settings["SESSION_ENGINE"] == "django.contrib.sessions.backends.cache"


@pytest.fixture
def redis_settings(settings):
    """The settings REDIS_URL gives, on the tests' Redis database under a key prefix of its own."""
    client = redis_client()
    prefix = f"bookstore-test-{secrets.token_hex(4)}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url(),
            "KEY_PREFIX": prefix,
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
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
    assert [key for key in redis_settings() if key.endswith(f"django.contrib.sessions.cache{session_key}")]
    assert not Session.objects.exists()
    assert client.get("/books/create/").status_code == 200
