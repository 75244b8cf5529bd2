"""The API's catalogue reads from the page cache (api/cache.py): never stale after a write,
on one server or two, and bounded like the site's pages."""

import random

import pytest
import requests
from django.test import Client

from books.tests.test_cache import two_servers  # noqa: F401 - the two-process fixture
from books.tests.test_cache_bounds import redis_page_cache  # noqa: F401 - page cache on Redis, keys counted
from tests.factories import BookFactory, ReviewFactory
from tests.servers import manage

from .conftest import API

pytestmark = pytest.mark.django_db


def get(path, client=None):
    return (client or Client()).get(f"{API}{path}")


def is_hit(response):
    return response.get("X-Page-Cache") == "hit"


def titles(response):
    return [item["title"] for item in response.json()["items"]]


def test_lists_and_details_are_cached_by_their_canonical_parameters(redis_page_cache, member):  # noqa: F811
    book = BookFactory(creator=member, title="Kindred")
    for path, same in [
        ("/books?q=kindred&sort=title&limit=5", "/books?limit=5&sort=title&q=%20kindred%20&utm_source=x"),
        ("/books?sort=nonsense", "/books?sort=newest&sort=newest&ref=1"),
        (f"/books/{book.pk}", f"/books/{str(book.pk).upper()}?ref=2"),
    ]:
        first = get(path)
        assert first.status_code == 200 and not is_hit(first)
        again = get(same)
        assert is_hit(again) and again.content == first.content, same


def test_a_write_is_visible_on_the_next_anonymous_read(
    redis_page_cache,  # noqa: F811
    callers,
    book,
    other_member,
    django_capture_on_commit_callbacks,
):
    paths = ["/books", "/books?q=left", f"/books/{book.pk}"]
    for path in paths:
        get(path)
        assert is_hit(get(path))
    with django_capture_on_commit_callbacks(execute=True):
        callers["full_token"].call("patch", f"/books/{book.pk}", json={"title": "The Left Hand, revised"})
    assert titles(get("/books")) == ["The Left Hand, revised"]
    assert titles(get("/books?q=left")) == ["The Left Hand, revised"]
    assert get(f"/books/{book.pk}").json()["title"] == "The Left Hand, revised"
    with django_capture_on_commit_callbacks(execute=True):
        ReviewFactory(book=book, author=other_member, rating=4)
    assert get(f"/books/{book.pk}").json()["rating_count"] == 1
    assert get("/books").json()["items"][0]["rating_count"] == 1


def test_a_members_detail_is_never_the_anonymous_copy(redis_page_cache, callers, book):  # noqa: F811
    get(f"/books/{book.pk}")
    assert get(f"/books/{book.pk}").json()["editable"] is False
    mine = callers["owner"].call("get", f"/books/{book.pk}")
    assert not is_hit(mine) and mine.json()["editable"] is True
    assert get(f"/books/{book.pk}").json()["editable"] is False


def test_junk_parameters_and_refused_reads_add_no_cache_entry(redis_page_cache, settings, member):  # noqa: F811
    settings.BOOKSTORE_API_RATE_PER_ADDRESS = "0/m"  # 0: unlimited; the limit has its own test
    book = BookFactory(creator=member)
    canonical = get("/books").content
    get(f"/books/{book.pk}")
    entries = redis_page_cache()
    rng = random.Random(16)  # noqa: S311 - junk, not secrets
    for _ in range(300):
        token = f"{rng.getrandbits(48):x}"
        path = rng.choice(
            [
                f"/books?junk{token}=1",
                f"/books?q=&fbclid={token}",
                f"/books?sort={token}",
                f"/books?limit=x{token}",
                f"/books?limit={rng.randint(101, 10**9)}",
                f"/books?cursor={token}",
                "/books?q=&q=&sort=newest",
                f"/books/{book.pk}?ref={token}",
                f"/books/{token}",
                f"/books/00000000-0000-0000-0000-{rng.getrandbits(48):012x}",
            ]
        )
        response = get(path)
        assert response.status_code in (200, 400, 404, 422), path
        if response.status_code == 200 and path.startswith("/books?"):
            assert response.content == canonical, path
    assert redis_page_cache() == entries


def test_searches_past_the_budget_are_answered_but_not_stored(redis_page_cache, settings, member):  # noqa: F811
    settings.BOOKSTORE_PAGE_CACHE_MAX_SEARCHES = 3
    BookFactory(creator=member, title="Kindred")
    words = ["kin", "dred", "kind", "red", "k"]
    assert all(titles(get(f"/books?q={word}")) == ["Kindred"] for word in words)
    assert [is_hit(get(f"/books?q={word}")) for word in words] == [True] * 3 + [False] * 2


def test_an_anonymous_hit_still_counts_against_the_addresss_limit(redis_page_cache, settings, book):  # noqa: F811
    settings.BOOKSTORE_API_RATE_PER_ADDRESS = "3/m"
    answers = [get("/books") for _ in range(4)]
    assert [(r.status_code, is_hit(r)) for r in answers] == [(200, False), (200, True), (200, True), (429, False)]
    assert int(answers[-1]["Retry-After"]) > 0


def test_a_write_on_one_server_shows_in_the_others_api_at_once(two_servers):  # noqa: F811
    servers, env = two_servers
    for server in servers:
        requests.get(f"{server}{API}/books", timeout=10)
        assert requests.get(f"{server}{API}/books", timeout=10).headers.get("X-Page-Cache") == "hit"
    script = "from books.models import Book; b = Book.objects.get(); b.price = 11; b.save()"
    manage(env, "shell", "-c", script, check=True)
    answers = [requests.get(f"{server}{API}/books", timeout=10) for server in servers]
    assert [answer.json()["items"][0]["price"] for answer in answers] == ["11.00", "11.00"]
    # The first rendered it afresh under the new version; the second shares that copy.
    assert [answer.headers.get("X-Page-Cache") for answer in answers] == [None, "hit"]
