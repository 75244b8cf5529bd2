"""HTTP caching: anonymous pages may be kept briefly by a shared cache and revalidated with
an ETag; anything personal stays private."""

import pytest
from django.urls import reverse

from tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db

LIST = reverse("book_list")


@pytest.fixture
def caching(settings):
    settings.BOOKSTORE_PAGE_CACHE = True
    settings.BOOKSTORE_PAGE_CACHE_SECONDS = 60
    settings.BOOKSTORE_SHARED_CACHE_SECONDS = 10
    settings.BOOKSTORE_STALE_WHILE_REVALIDATE_SECONDS = 30
    return settings


def directives(response):
    return {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.mark.parametrize("cached", [False, True], ids=["rendered", "page-cache"])
def test_an_anonymous_page_is_public_briefly_and_answers_a_revalidation_with_304(client, settings, book, cached):
    settings.BOOKSTORE_PAGE_CACHE = cached
    first = client.get(book.get_absolute_url())
    assert {"public", "max-age=0", "s-maxage=10", "stale-while-revalidate=30"} <= directives(first)
    etag = first["ETag"]
    again = client.get(book.get_absolute_url(), headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag


def test_a_change_to_the_page_gives_a_new_etag_and_a_full_answer(
    client, caching, book, other_member, django_capture_on_commit_callbacks
):
    etag = client.get(book.get_absolute_url())["ETag"]
    assert client.get(book.get_absolute_url(), headers={"if-none-match": etag}).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        ReviewFactory(book=book, author=other_member, review="Quietly devastating.")
    changed = client.get(book.get_absolute_url(), headers={"if-none-match": etag})
    assert changed.status_code == 200 and "Quietly devastating." in changed.content.decode()
    assert changed["ETag"] != etag


def test_a_signed_in_page_is_private(client, caching, book, member):
    client.force_login(member)
    for url in (LIST, book.get_absolute_url()):
        response = client.get(url)
        assert {"private", "no-cache"} <= directives(response) and "public" not in directives(response)


@pytest.mark.parametrize("signed_in", [False, True], ids=["log-in-form", "member"])
def test_a_page_holding_a_csrf_token_is_sent_without_an_etag(client, caching, book, member, signed_in):
    """Its token is masked afresh at every response, so no ETag of it could ever match:
    hashing it was wasted work on every signed-in page."""
    if signed_in:
        client.force_login(member)
        urls = (LIST, book.get_absolute_url())
    else:
        urls = (reverse("account_login"),)
    for url in urls:
        first, second = client.get(url), client.get(url)
        assert first.status_code == second.status_code == 200
        assert 'name="csrfmiddlewaretoken"' in first.content.decode()
        assert first.content != second.content  # the token's mask: why an ETag is useless here
        assert "ETag" not in first and "ETag" not in second


def test_a_shared_cache_never_keeps_a_page_longer_than_its_signed_cover_urls_live(client, caching, book, monkeypatch):
    from books import cache

    class SignedMedia:
        url_lifetime = 30  # cover URLs signed for 30 s: pages may live 15 s in all

    monkeypatch.setattr(cache, "configured_media", lambda: SignedMedia)
    caching.BOOKSTORE_SHARED_CACHE_SECONDS = 600
    assert {"s-maxage=15", "stale-while-revalidate=0"} <= directives(client.get(LIST))
