"""Fixtures shared by every app's tests.

Larger fixture families live in their own modules under tests/ and are loaded here.
"""

import pytest
from django.core.cache import caches

from books.cache import local_pages
from tests.factories import BookFactory, UserFactory

pytest_plugins = ["tests.fixtures_s3", "tests.fixtures_browser"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Each test stores local media in its own folder, never in the developer's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _empty_caches():
    """Every test starts with empty caches, so cached pages never leak between tests."""
    for cache in caches.all():
        cache.clear()
    local_pages.clear()  # the page cache's per-process copies
    yield
    for cache in caches.all():
        cache.clear()
    local_pages.clear()


@pytest.fixture
def member(db):
    return UserFactory(username="alice")


@pytest.fixture
def other_member(db):
    return UserFactory(username="bob")


@pytest.fixture
def book(member):
    return BookFactory(creator=member, title="The Left Hand of Darkness", author="Ursula K. Le Guin")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def other_client(client, other_member):
    client.force_login(other_member)
    return client


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"bookstore: database {database['ENGINE'].rsplit('.', 1)[-1]} {database.get('NAME')}"
