"""A flood of URLs cannot grow the page cache, nor push sessions or rate limits out of Redis."""

import random
import secrets
import uuid

import pytest
from django.urls import reverse

from tests.factories import BookFactory, ReviewFactory
from tests.outage import RedisServer, redis_caches
from tests.services import redis_client, redis_url

LIST = reverse("book_list")


@pytest.fixture
def redis_page_cache(settings):
    """Page caching on, on the tests' Redis under a prefix of its own; counts its keys."""
    client = redis_client()
    prefix = f"bookstore-bounds-{secrets.token_hex(4)}"
    settings.CACHES = redis_caches(redis_url(), redis_url(), prefix)
    settings.BOOKSTORE_PAGE_CACHE = True
    settings.BOOKSTORE_PAGE_CACHE_SECONDS = 300
    keys = lambda: {key.decode() for key in client.scan_iter(match=f"{prefix}:*", count=1000)}  # noqa: E731
    yield keys
    for key in keys():
        client.delete(key)


def junk_url(rng, detail_url):
    token = f"{rng.getrandbits(48):x}"
    return rng.choice(
        [
            f"{LIST}?junk{token}=1",
            f"{LIST}?utm_source={token}&page=1",
            f"{LIST}?sort=newest&fbclid={token}",
            f"{LIST}?q=&ref={token}",
            f"{LIST}?q=%20%20&sort={token}",
            f"{LIST}?page={token}",
            f"{LIST}?page={rng.randint(21, 10**9)}",
            f"{LIST}?page=-{rng.randint(0, 10**6)}",
            f"{LIST}?subject={token}",
            f"{LIST}?language=9{token}&rating={token}",
            f"{LIST}?year_min=x{token}&price_max=-{rng.randint(1, 10**6)}",
            f"/?{token}={token}",
            f"{detail_url}?ref={token}",
        ]
    )


@pytest.mark.django_db
def test_three_thousand_junk_urls_add_no_cache_entry_and_get_the_canonical_page(client, redis_page_cache, member):
    book = BookFactory(creator=member, title="Kindred")
    canonical = {path: client.get(path).content for path in (LIST, "/", book.get_absolute_url())}
    entries_before = redis_page_cache()
    assert entries_before  # the three canonical pages, their cards and the list's count

    rng = random.Random(12)  # noqa: S311 - junk, not secrets
    hits = 0
    for _ in range(3000):
        url = junk_url(rng, book.get_absolute_url())
        response = client.get(url)
        assert response.status_code == 200, url
        path = url.split("?", 1)[0]
        if response.get("X-Page-Cache") == "hit":
            hits += 1
            assert response.content == canonical[path], url

    assert redis_page_cache() == entries_before
    # Only the list pages a number past the cap asks for (or below 1) are rendered afresh.
    assert hits > 2000


@pytest.mark.django_db
def test_search_sort_and_page_are_keyed_as_the_view_reads_them(client, redis_page_cache, member):
    BookFactory(creator=member, title="Dune")
    first = client.get(LIST, {"q": "dune", "sort": "title"})
    assert "Dune" in first.content.decode()
    for params in ({"q": "  dune ", "sort": "title", "page": "1"}, {"sort": "title", "q": "dune", "page": "x"}):
        again = client.get(LIST, params)
        assert again.get("X-Page-Cache") == "hit", params
    # A different search is a different page.
    assert client.get(LIST, {"q": "Dune", "sort": "price"}).get("X-Page-Cache") != "hit"


@pytest.mark.django_db
def test_filters_are_keyed_in_their_canonical_form(client, redis_page_cache, member):
    from books.models import Book
    from books.services import book_save

    book_save(book=Book(title="Dune", author="Frank Herbert", price=9, language="en"), creator=member, subjects=["SF"])
    first = client.get(LIST, {"q": "dune", "language": "en", "subject": "sf", "price_max": "10"})
    assert first.get("X-Page-Cache") is None
    same = client.get(LIST, {"price_max": "10.00", "subject": "sf", "language": "EN", "q": "dune", "utm": "x"})
    assert same.get("X-Page-Cache") == "hit"
    assert same.content == first.content
    other = client.get(LIST, {"q": "dune", "language": "en", "subject": "sf", "price_max": "11"})
    assert other.get("X-Page-Cache") is None


@pytest.mark.django_db
def test_a_books_review_pages_and_sorts_are_cached_apart_and_junk_is_not(client, redis_page_cache, member):
    book = BookFactory(creator=member, title="Kindred")
    ReviewFactory.create_batch(21, book=book)
    oldest = book.reviews.order_by("id").first()
    url = book.get_absolute_url()
    first_page = client.get(url).content.decode()
    assert client.get(url, {"ref": "mail", "page": "1"}).get("X-Page-Cache") == "hit"
    second_page = client.get(url, {"page": "2"})
    assert second_page.get("X-Page-Cache") != "hit"  # not the first page's entry
    assert f'id="review-{oldest.pk}"' in second_page.content.decode()
    assert f'id="review-{oldest.pk}"' not in first_page
    by_oldest = client.get(url, {"sort": "oldest"})
    assert by_oldest.get("X-Page-Cache") != "hit" and f'id="review-{oldest.pk}"' in by_oldest.content.decode()
    assert client.get(url, {"sort": "oldest", "utm_source": "x"}).get("X-Page-Cache") == "hit"


@pytest.mark.django_db
def test_distinct_searches_past_the_budget_are_shown_but_not_stored(client, redis_page_cache, settings, member):
    settings.BOOKSTORE_PAGE_CACHE_MAX_SEARCHES = 10
    BookFactory(creator=member, title="Parable of the Sower")
    client.get(LIST)
    before = len(redis_page_cache())
    for _ in range(60):
        response = client.get(LIST, {"q": uuid.uuid4().hex[:12]})
        assert response.status_code == 200 and "No books" in response.content.decode()
    assert client.get(LIST, {"q": "parable"}).content.decode().count("Parable of the Sower") >= 1
    # Ten searches admitted, each a page, its cards and its count; one budget counter.
    assert len(redis_page_cache()) - before <= 10 * 3 + 1


@pytest.fixture
def capped_redis_pair(tmp_path):
    """Two redis-servers capped with allkeys-lru, as a careful production would run them:
    one for sessions and counters, one for pages (REDIS_PAGE_CACHE_URL)."""
    servers = [RedisServer(tmp_path / f"redis-{name}.log", "--maxmemory-policy", "allkeys-lru") for name in "ab"]
    for server in servers:
        used = int(server.client().info("memory")["used_memory"])
        server.client().config_set("maxmemory", used + 500_000)
    yield servers
    for server in servers:
        server.stop()


@pytest.mark.django_db
def test_a_page_cache_flood_evicts_no_session_and_no_login_counter(client, settings, capped_redis_pair, member):
    sessions_redis, pages_redis = capped_redis_pair
    settings.CACHES = redis_caches(sessions_redis.url(), pages_redis.url(), "bookstore-flood")
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"  # the strictest: only in Redis
    settings.BOOKSTORE_PAGE_CACHE = True
    settings.BOOKSTORE_PAGE_CACHE_MAX_SEARCHES = 100_000
    BookFactory.create_batch(24, creator=member)

    client.post("/accounts/login/", {"login": member.username, "password": "wrong password"})
    client.post("/accounts/login/", {"login": member.username, "password": "correct-horse-battery"})
    assert "Signed in as" in client.get("/books/create/").content.decode()
    counters = [key for key in sessions_redis.client().scan_iter(match="*allauth:rl*")]
    assert counters

    reader = type(client)()
    for _ in range(300):  # distinct searches: each one a page, cards and a count to store
        assert reader.get(LIST, {"q": secrets.token_hex(6)}).status_code == 200
    assert int(sessions_redis.client().info("stats")["evicted_keys"]) == 0
    assert all(sessions_redis.client().exists(key) for key in counters)
    assert "Signed in as" in client.get("/books/create/").content.decode()
    assert int(pages_redis.client().info("stats")["evicted_keys"]) > 0  # the flood did fill its cache
