import pytest


@pytest.fixture
def caching(settings):
    """Page caching on, as with Redis; the suite's local-memory cache is one process."""
    settings.BOOKSTORE_PAGE_CACHE = True
    settings.BOOKSTORE_PAGE_CACHE_SECONDS = 60
    return settings
