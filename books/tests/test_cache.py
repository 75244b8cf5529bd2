"""Caching that is never wrong: stale, personal or expiring pages are never served."""

import os
import re
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, connection
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from psycopg import pq as psycopg_pq

from books import cache as page_cache
from books.models import Book, Review, rating_step
from books.services import book_save
from tests import services
from tests.factories import BookFactory, ReviewFactory, UserFactory
from tests.outage import drop_from_the_server
from tests.servers import Gunicorn, manage, seed_member_with_a_book, sign_in

LIST = reverse("book_list")
ROOT = Path(__file__).resolve().parents[2]


def is_hit(response):
    return response.get("X-Page-Cache") == "hit"


@pytest.mark.django_db
def test_second_anonymous_request_is_served_from_cache_with_one_query_for_the_version(
    client, caching, book, django_assert_num_queries
):
    first = client.get(LIST)
    assert not is_hit(first)
    with django_assert_num_queries(1):  # the catalogue version row, nothing else
        second = client.get(LIST)
    assert is_hit(second)
    assert second.content == first.content
    assert "Cookie" in second["Vary"]


@pytest.mark.django_db
def test_anonymous_detail_page_with_the_review_form_is_served_from_cache(client, caching, book):
    first = client.get(book.get_absolute_url())
    assert "Submit Review" in first.content.decode()
    second = client.get(book.get_absolute_url())
    assert is_hit(second) and second.content == first.content


@pytest.mark.django_db
def test_without_a_shared_cache_pages_are_not_cached_by_default(client, book):
    # The test settings have no REDIS_URL: a per-process cache could not be invalidated
    # across app servers, so it is not used for pages.
    assert django_settings.BOOKSTORE_PAGE_CACHE is False
    client.get(LIST)
    assert not is_hit(client.get(LIST))


@pytest.mark.django_db
def test_different_searches_and_pages_are_cached_apart(client, caching, member):
    BookFactory(title="Dune", creator=member)
    BookFactory(title="Kindred", creator=member)
    assert "Dune" in client.get(LIST, {"q": "dune"}).content.decode()
    kindred = client.get(LIST, {"q": "kindred"}).content.decode()
    assert "Kindred" in kindred and "Dune" not in kindred


@pytest.mark.django_db(transaction=True)
def test_posted_review_shows_on_the_next_anonymous_request(client, caching, book, other_member):
    client.get(LIST)
    client.get(book.get_absolute_url())
    assert is_hit(client.get(book.get_absolute_url()))

    reviewer = type(client)()
    reviewer.force_login(other_member)
    reviewer.post(reverse("review_create", args=[book.pk]), {"review": "A storm of a book.", "rating": 5})

    detail = client.get(book.get_absolute_url())
    assert not is_hit(detail)
    assert "A storm of a book." in detail.content.decode()
    assert "1 review" in client.get(LIST).content.decode()


@pytest.mark.django_db(transaction=True)
def test_book_edits_and_deletes_show_on_the_next_anonymous_request(client, caching, book):
    client.get(LIST)
    client.get(book.get_absolute_url())
    book.title = "The Dispossessed"
    book.save()
    assert "The Dispossessed" in client.get(LIST).content.decode()
    assert "The Dispossessed" in client.get(book.get_absolute_url()).content.decode()

    BookFactory(title="Always Coming Home", creator=book.creator)
    assert "Always Coming Home" in client.get(LIST).content.decode()
    assert "Always Coming Home" in client.get(reverse("home")).content.decode()

    Book.objects.get(pk=book.pk).delete()
    assert "The Dispossessed" not in client.get(LIST).content.decode()
    assert client.get(book.get_absolute_url()).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_write_rolled_back_does_not_retire_the_cache(client, caching, book):
    from django.db import transaction

    client.get(LIST)
    version = page_cache.catalogue_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        ReviewFactory(book=book)
        raise RuntimeError("failed half-way")
    assert page_cache.catalogue_version() == version
    assert is_hit(client.get(LIST))


@pytest.mark.django_db
def test_signed_in_member_never_gets_the_anonymous_cached_page(client, caching, book, member):
    client.get(book.get_absolute_url())
    assert is_hit(client.get(book.get_absolute_url()))
    client.force_login(member)
    page = client.get(book.get_absolute_url())
    assert not is_hit(page)
    html = page.content.decode()
    assert "Signed in as <strong>alice</strong>" in html
    assert "Submit Review" in html


@pytest.mark.django_db
def test_anonymous_reader_never_gets_a_members_page(client, caching, book, member):
    member_client = type(client)()
    member_client.force_login(member)
    for _ in range(2):
        assert "Signed in as" in member_client.get(LIST).content.decode()
    anonymous = client.get(LIST).content.decode()
    assert "Signed in as" not in anonymous and "csrfmiddlewaretoken" not in anonymous


@pytest.mark.django_db
def test_pending_message_is_shown_even_when_the_page_is_cached(client, caching, member):
    client.get(reverse("home"))
    assert is_hit(client.get(reverse("home")))
    client.force_login(member)
    response = client.post(reverse("account_logout"), follow=True)
    assert "You have signed out." in response.content.decode()
    assert not is_hit(response)


@pytest.mark.django_db
def test_responses_that_set_cookies_or_carry_messages_are_not_stored(caching, member):
    request = RequestFactory().get(LIST)
    request.user = AnonymousUser()
    request._messages = CookieStorage(request)
    assert page_cache._may_store(request, HttpResponse("ok"))

    with_cookie = HttpResponse("ok")
    with_cookie.set_cookie("csrftoken", "x")
    assert not page_cache._may_store(request, with_cookie)

    request._messages.add(20, "Saved.")
    assert not page_cache._may_store(request, HttpResponse("ok"))

    request._messages = CookieStorage(request)
    request.META["CSRF_COOKIE_USED"] = True
    assert not page_cache._may_store(request, HttpResponse("ok"))


def test_cache_lifetime_stays_well_under_signed_url_expiry(settings):
    settings.BOOKSTORE_PAGE_CACHE_SECONDS = 3600
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "covers", "querystring_auth": True, "querystring_expire": 600},
        },
    }
    assert page_cache.page_timeout() == 300
    settings.STORAGES["default"]["OPTIONS"]["querystring_auth"] = False
    assert page_cache.page_timeout() == 3600


@pytest.mark.django_db
def test_cached_page_expires_after_its_lifetime(client, caching, book):
    caching.BOOKSTORE_PAGE_CACHE_SECONDS = 1
    client.get(LIST)
    assert is_hit(client.get(LIST))
    time.sleep(1.2)
    assert not is_hit(client.get(LIST))


# --- Two app servers sharing Redis -------------------------------------------------------


@pytest.fixture
def two_servers(tmp_path):
    """Two gunicorn processes: one SQLite file, one Redis database, nothing else shared."""
    shared = services.redis_client()  # skips, or fails in CI, when Redis is unreachable
    redis_url = services.redis_url()
    # Its own key prefix, so the test neither sees nor clears anyone else's keys in that DB.
    prefix = f"bookstore-two-servers-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_DEBUG": "true",
        "DJANGO_SECRET_KEY": "two-process-test-only",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "REDIS_URL": redis_url,
        "DJANGO_CACHE_PREFIX": prefix,
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    for name in ("AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    manage(env, "migrate", "--noinput", check=True)
    seed_member_with_a_book(env)
    servers = []
    try:
        for name in ("a", "b"):
            servers.append(Gunicorn(env, tmp_path / f"gunicorn-{name}.log"))
        yield [server.url for server in servers], env
    finally:
        for server in servers:
            server.stop()
        for key in shared.scan_iter(match=f"{prefix}:*"):
            shared.delete(key)


def test_a_write_on_one_server_shows_on_the_other_servers_next_request(two_servers):
    (server_a, server_b), env = two_servers
    for server in (server_a, server_b):
        requests.get(f"{server}/books/", timeout=10)
        warm = requests.get(f"{server}/books/", timeout=10)
        assert warm.headers.get("X-Page-Cache") == "hit"
        assert "No reviews yet" in warm.text

    member = sign_in(server_a)
    book_url = re.search(r'href="(/books/[0-9a-f-]{36}/)"', requests.get(f"{server_b}/books/", timeout=10).text)[1]
    requests.get(f"{server_b}{book_url}", timeout=10)  # cached on B before the review
    posted = member.post(
        f"{server_a}{book_url}review/",
        data={
            "review": "Prescient and hard to put down.",
            "rating": "5",
            "csrfmiddlewaretoken": member.cookies["csrftoken"],
        },
        timeout=10,
    )
    assert posted.status_code == 200 and "Prescient" in posted.text

    on_b = requests.get(f"{server_b}/books/", timeout=10)
    assert on_b.headers.get("X-Page-Cache") != "hit"
    assert "(1 review)" in on_b.text and '<span class="fw-semibold">5.0</span>' in on_b.text
    assert "Prescient and hard to put down." in requests.get(f"{server_b}{book_url}", timeout=10).text

    # A write from a third process (a management command, the admin) reaches both too.
    manage(
        env, "shell", "-c", "from books.models import Book; b = Book.objects.get(); b.price = 11; b.save()", check=True
    )
    for server in (server_a, server_b):
        assert "$11.00" in requests.get(f"{server}/books/", timeout=10).text

    # The member on A sees their own page, never the anonymous copy.
    assert "Signed in as <strong>carol</strong>" in member.get(f"{server_a}/books/", timeout=10).text
    assert "Signed in as" not in requests.get(f"{server_a}/books/", timeout=10).text


# --- Fragments every reader sees alike (book cards, reviews), for signed-in pages too ---
@pytest.mark.django_db(transaction=True)
def test_signed_in_list_reuses_the_cached_cards_and_shows_a_write_at_once(client, caching, member, other_member):
    book = BookFactory(title="Kindred", creator=other_member)
    client.force_login(member)
    client.get(LIST)  # renders and stores the cards
    again = client.get(LIST)
    assert "Kindred" in again.content.decode()
    assert "books/_book_card.html" not in {t.name for t in again.templates}  # from the cache

    book.title = "Kindred (25th anniversary edition)"
    book.save()  # commits (transaction=True), so the catalogue version changes
    assert "Kindred (25th anniversary edition)" in client.get(LIST).content.decode()


@pytest.mark.django_db(transaction=True)
def test_signed_in_detail_shows_a_new_review_on_the_next_request(client, caching, book, member, other_member):
    client.force_login(member)
    url = book.get_absolute_url()
    assert "No reviews yet — be the first" in client.get(url).content.decode()
    ReviewFactory(book=book, author=other_member, review="Quietly devastating.")
    assert "Quietly devastating." in client.get(url).content.decode()


@pytest.mark.django_db
def test_cached_reviews_never_show_a_members_wording_to_an_anonymous_reader(client, caching, book, member):
    client.force_login(member)
    assert "be the first to leave one" in client.get(book.get_absolute_url()).content.decode()
    client.logout()
    assert "be the first to leave one" not in client.get(book.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_warm_card_fragments_save_the_signed_in_list_its_rendering(client, caching, member, django_assert_num_queries):
    BookFactory.create_batch(24)
    client.force_login(member)
    cold = client.get(LIST)
    with django_assert_num_queries(3):  # the session, the member, the version: no count, no books
        warm = client.get(LIST)
    assert {t.name for t in cold.templates} >= {"books/_book_card.html"}
    assert "books/_book_card.html" not in {t.name for t in warm.templates}
    assert warm.content.decode().count('class="card h-100') == 24


@pytest.mark.django_db
def test_a_page_reads_the_catalogue_version_once(client, caching, member, django_assert_max_num_queries):
    BookFactory.create_batch(3)

    def version_reads(context):
        return [q for q in context.captured_queries if "books_catalogueversion" in q["sql"]]

    client.get(LIST)  # makes the version row
    with django_assert_max_num_queries(10) as context:
        client.get(LIST + "?sort=title")  # anonymous: page key, count and card fragment all need it
    assert len(version_reads(context)) == 1
    client.force_login(member)
    with django_assert_max_num_queries(10) as context:
        client.get(LIST + "?sort=price")  # signed in: count and card fragment
    assert len(version_reads(context)) == 1


def test_a_review_edited_or_deleted_on_one_server_shows_on_the_others_next_request(two_servers):
    (server_a, server_b), _env = two_servers
    member = sign_in(server_a)
    book_url = re.search(r'href="(/books/[0-9a-f-]{36}/)"', requests.get(f"{server_b}/books/", timeout=10).text)[1]
    token = {"csrfmiddlewaretoken": member.cookies["csrftoken"]}
    member.post(
        f"{server_a}{book_url}review/", data={"review": "First impressions.", "rating": "2", **token}, timeout=10
    )
    review_pk = re.search(r'id="review-(\d+)"', member.get(f"{server_a}{book_url}", timeout=10).text)[1]
    for _ in range(2):  # cached on B, page and list
        cached = requests.get(f"{server_b}{book_url}", timeout=10)
        requests.get(f"{server_b}/books/", timeout=10)
    assert cached.headers.get("X-Page-Cache") == "hit" and "First impressions." in cached.text

    edited = member.post(
        f"{server_a}/reviews/{review_pk}/update/", data={"review": "It grew on me.", "rating": "5", **token}, timeout=10
    )
    assert edited.status_code == 200 and "Your review was updated." in edited.text
    on_b = requests.get(f"{server_b}{book_url}", timeout=10).text
    assert "It grew on me." in on_b and "First impressions." not in on_b
    assert "5 stars: 1 (100%)" in on_b and "2 stars: 0 (0%)" in on_b
    assert '<span class="fw-semibold">5.0</span>' in requests.get(f"{server_b}/books/", timeout=10).text

    deleted = member.post(f"{server_a}/reviews/{review_pk}/delete/", data=token, timeout=10)
    assert deleted.status_code == 200 and "Your review was deleted." in deleted.text
    on_b = requests.get(f"{server_b}{book_url}", timeout=10).text
    assert "It grew on me." not in on_b and "No reviews yet" in on_b
    assert "No reviews yet" in requests.get(f"{server_b}/books/", timeout=10).text


@pytest.mark.django_db
def test_cached_reviews_are_kept_apart_by_page_sort_and_reader(client, caching, book, member, other_member):
    for n in range(25):
        ReviewFactory(book=book, review=f"Opinion {n:02}.", rating=1 + n % 5)
    mine = ReviewFactory(book=book, author=member, review="My own opinion.", rating=3)
    client.force_login(other_member)
    assert "Opinion 05." not in client.get(book.get_absolute_url()).content.decode()  # page 1, newest first
    assert "Opinion 05." in client.get(book.get_absolute_url(), {"page": 2}).content.decode()
    assert "Opinion 00." in client.get(book.get_absolute_url(), {"sort": "oldest"}).content.decode()
    edit = reverse("review_update", args=[mine.pk])
    assert edit not in client.get(book.get_absolute_url()).content.decode()
    client.force_login(member)
    assert edit in client.get(book.get_absolute_url()).content.decode()  # not the other reader's copy


@pytest.mark.django_db
def test_a_member_page_shows_a_new_or_deleted_review_on_the_next_request(
    client, caching, book, member, django_capture_on_commit_callbacks
):
    url = reverse("member_detail", args=[member.username])
    assert "No reviews yet." in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the version changes on commit
        review = ReviewFactory(book=book, author=member, review="Quietly devastating.")
    page = client.get(url).content.decode()
    assert "Quietly devastating." in page and "1 review written" in page
    with django_capture_on_commit_callbacks(execute=True):
        review.delete()
    page = client.get(url).content.decode()
    assert "Quietly devastating." not in page and "0 reviews written" in page


# --- A review retires only the pages that show it ------------------------------------------


def _add_carols_books(env, *titles):
    """More books of carol's (seed_member_with_a_book), by the same author, at $8."""
    manage(
        env,
        "shell",
        "-c",
        "from accounts.models import CustomUser; from books.models import Book; "
        "carol = CustomUser.objects.get(username='carol')\n"
        f"for title in {titles!r}:\n"
        "    Book.objects.create(title=title, author='Octavia E. Butler', price=8, creator=carol)",
        check=True,
    )


def _book_pages(server):
    """Each listed book's page, by title."""
    listing = requests.get(f"{server}/books/", timeout=10).text
    return {title: url for url, title in re.findall(r'href="(/books/[0-9a-f-]{36}/)" title="([^"]+?) \u2014 ', listing)}


def test_a_review_retires_its_books_page_and_the_lists_but_not_other_books_pages(two_servers):
    (server_a, server_b), env = two_servers
    _add_carols_books(env, "Wild Seed")
    pages = _book_pages(server_b)
    reviewed, other = pages["Wild Seed"], pages["Parable of the Sower"]
    for _ in range(2):  # both books' pages and the list cached on B
        for path in (reviewed, other, "/books/"):
            warm = requests.get(f"{server_b}{path}", timeout=10)
            assert path == reviewed or "Prescient" not in warm.text
    assert warm.headers.get("X-Page-Cache") == "hit"

    member = sign_in(server_a)
    posted = member.post(
        f"{server_a}{reviewed}review/",
        data={"review": "Prescient and hard to put down.", "rating": "5", **_csrf(member)},
        timeout=10,
    )
    assert posted.status_code == 200

    on_b = requests.get(f"{server_b}{reviewed}", timeout=10)
    assert on_b.headers.get("X-Page-Cache") != "hit" and "Prescient and hard to put down." in on_b.text
    listed = requests.get(f"{server_b}/books/", timeout=10)
    assert listed.headers.get("X-Page-Cache") != "hit" and "(1 review)" in listed.text
    assert _rating_counts(listed.text)[4] == 1  # its first rating: the filter counts too
    untouched = requests.get(f"{server_b}{other}", timeout=10)
    assert untouched.headers.get("X-Page-Cache") == "hit", "another book's page was retired by the review"
    assert "No reviews yet" in untouched.text

    # An edit of that other book still retires its page on every server at once.
    manage(
        env,
        "shell",
        "-c",
        "from books.models import Book; b = Book.objects.get(review_count=0); b.price = 12; b.save()",
        check=True,
    )
    for server in (server_a, server_b):
        assert "$12.00" in requests.get(f"{server}{other}", timeout=10).text


def _csrf(session):
    return {"csrfmiddlewaretoken": session.cookies["csrftoken"]}


def test_an_edit_or_a_delete_of_one_book_retires_its_page_and_the_lists_but_not_other_books_pages(two_servers):
    (server_a, server_b), env = two_servers
    _add_carols_books(env, "Wild Seed", "Kindred")
    pages = _book_pages(server_b)
    edited, deleted, untouched = pages["Wild Seed"], pages["Kindred"], pages["Parable of the Sower"]
    for _ in range(2):  # the three books' pages and the list cached on B
        for path in (edited, deleted, untouched, "/books/"):
            warm = requests.get(f"{server_b}{path}", timeout=10)
            assert warm.status_code == 200
    assert warm.headers.get("X-Page-Cache") == "hit"

    # Its fields and its subjects, as the edit form saves them (books.services.book_save).
    manage(
        env,
        "shell",
        "-c",
        "from books.models import Book; from books.services import book_save; "
        "b = Book.objects.get(title='Wild Seed'); b.title = 'Wild Seed, revised'; "
        "book_save(book=b, subjects=['Science fiction'])",
        check=True,
    )
    on_b = requests.get(f"{server_b}{edited}", timeout=10)
    assert on_b.headers.get("X-Page-Cache") != "hit"
    assert "Wild Seed, revised" in on_b.text and "Science fiction" in on_b.text
    listed = requests.get(f"{server_b}/books/", timeout=10)
    assert listed.headers.get("X-Page-Cache") != "hit" and "Wild Seed, revised" in listed.text
    for path in (deleted, untouched):
        kept = requests.get(f"{server_b}{path}", timeout=10)
        assert kept.headers.get("X-Page-Cache") == "hit", f"{path} was retired by another book's edit"

    manage(env, "shell", "-c", "from books.models import Book; Book.objects.get(title='Kindred').delete()", check=True)
    for server in (server_a, server_b):
        assert requests.get(f"{server}{deleted}", timeout=10).status_code == 404
        assert "Kindred" not in requests.get(f"{server}/books/", timeout=10).text
    kept = requests.get(f"{server_b}{untouched}", timeout=10)
    assert kept.headers.get("X-Page-Cache") == "hit", "a delete retired another book's page"
    assert "Parable of the Sower" in kept.text


@pytest.mark.django_db(transaction=True)
def test_a_review_moved_to_another_book_retires_both_books_pages(client, caching, member):
    first, second = BookFactory(title="Dawn"), BookFactory(title="Imago")
    review = ReviewFactory(book=first, author=member, review="Moved along.")
    for _ in range(2):
        for book in (first, second):
            client.get(book.get_absolute_url())
    assert is_hit(client.get(second.get_absolute_url()))

    review.book = second
    review.save()

    assert "Moved along." not in client.get(first.get_absolute_url()).content.decode()
    assert "Moved along." in client.get(second.get_absolute_url()).content.decode()


def _rating_counts(page):
    """The list's "N stars & up (count)" filter counts, by N."""
    return {int(n): int(count) for n, count in re.findall(r">(\d) stars &(?:amp;)? up \((\d+)\)<", page)}


def _counted(context):
    return [q["sql"] for q in context.captured_queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.django_db(transaction=True)
def test_a_review_renders_again_only_its_own_books_card_on_a_list(client, caching, member):
    books = BookFactory.create_batch(5)
    client.get(LIST)
    assert is_hit(client.get(LIST))

    ReviewFactory(book=books[2], author=member, rating=5)

    page = client.get(LIST)
    assert not is_hit(page), "a review must retire the list that shows its book's rating"
    assert [t.name for t in page.templates].count("books/_book_card.html") == 1
    assert page.content.decode().count('class="card h-100') == 5
    assert "(1 review)" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_review_recounts_the_lists_filters_only_when_an_average_crosses_a_star(
    client, caching, member, other_member, django_assert_max_num_queries
):
    book = BookFactory(title="Lilith's Brood")
    BookFactory.create_batch(2)
    ReviewFactory(book=book, author=member, rating=4)
    assert _rating_counts(client.get(LIST).content.decode())[4] == 1

    ReviewFactory(book=book, author=other_member, rating=5)  # 4.50: still "4 stars & up"
    with django_assert_max_num_queries(20) as context:
        page = client.get(LIST).content.decode()
    assert "4.5" in page and "(2 reviews)" in page
    assert _counted(context) == [], "a review that moved no average across a star counted the catalogue again"
    assert _rating_counts(page)[4] == 1

    ReviewFactory(book=book, author=UserFactory(), rating=1)  # 3.33: out of "4 stars & up"
    with django_assert_max_num_queries(20) as context:
        page = client.get(LIST).content.decode()
    assert _counted(context), "the filter counts were not counted again"
    assert _rating_counts(page) == {4: 0, 3: 1, 2: 1, 1: 1}


def _thirty_books():
    """Page 1 of the list shows the 24 newest, page 2 the 6 oldest."""
    books = BookFactory.create_batch(30)
    return sorted(books, key=lambda book: (book.created_at, book.pk))


@pytest.mark.django_db(transaction=True)
def test_after_a_review_a_list_page_not_showing_its_book_is_served_without_rendering(
    client, caching, member, other_member
):
    oldest = _thirty_books()[0]
    ReviewFactory(book=oldest, author=member, rating=4)
    for number in (1, 2, 1, 2):
        client.get(LIST, {"page": number})

    ReviewFactory(book=oldest, author=other_member, rating=5)  # 4.50: in the same star

    first = client.get(LIST, {"page": 1})
    assert is_hit(first) and not first.templates, "a page none of whose books changed was rendered again"
    second = client.get(LIST, {"page": 2})
    assert not is_hit(second) and "(2 reviews)" in second.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_reused_list_page_then_checks_its_books_versions_alone_and_renders_when_one_changed(
    client, caching, member, other_member, django_assert_max_num_queries
):
    books = _thirty_books()
    oldest, newest = books[0], books[-1]
    for book in (oldest, newest):
        ReviewFactory(book=book, author=member, rating=4)
    client.get(LIST, {"page": 1})
    ReviewFactory(book=oldest, author=other_member, rating=5)  # a book of page 2
    assert is_hit(client.get(LIST, {"page": 1}))  # its cards compared: the same

    ReviewFactory(book=oldest, author=UserFactory(), rating=4)
    with django_assert_max_num_queries(5) as context:
        assert is_hit(client.get(LIST, {"page": 1}))
    assert not [q for q in context.captured_queries if "books_book" in q["sql"]], "read the cards again"

    ReviewFactory(book=newest, author=other_member, rating=5)  # a book of page 1
    page = client.get(LIST, {"page": 1})
    assert not is_hit(page) and "(2 reviews)" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_list_page_reused_after_a_review_expires_when_its_first_copy_would_have(
    client, caching, member, other_member, monkeypatch
):
    oldest = _thirty_books()[0]
    ReviewFactory(book=oldest, author=member, rating=4)
    rendered_at = time.time()
    client.get(LIST, {"page": 1})
    lifetime = page_cache.page_timeout()
    monkeypatch.setattr(page_cache.time, "time", lambda: rendered_at + lifetime - 5)
    ReviewFactory(book=oldest, author=other_member, rating=5)
    assert is_hit(client.get(LIST, {"page": 1}))  # reused, for the 5 seconds its copy had left

    monkeypatch.setattr(page_cache.time, "time", lambda: rendered_at + lifetime + 1)
    assert not is_hit(client.get(LIST, {"page": 1})), "a reused page outlived its signed cover URLs"


@pytest.mark.django_db(transaction=True)
def test_a_review_that_moves_a_book_onto_a_page_by_rating_renders_it_again(client, caching, member, other_member):
    books = _thirty_books()
    rising, rest = books[0], books[1:]
    ReviewFactory(book=rising, author=member, rating=3)  # 3.00 from one rating: last by rating
    Book.objects.filter(pk__in=[book.pk for book in rest]).update(rating_average=Decimal("3.5"), rating_count=1)
    page_cache.bump_catalogue_version()  # as a bulk write does
    by_rating = {"sort": "rating", "page": 1}
    assert rising.title not in client.get(LIST, by_rating).content.decode()
    client.get(LIST, {"sort": "rating", "page": 2})

    ReviewFactory(book=rising, author=other_member, rating=4)  # 3.50 from two ratings: first, in the same star

    assert rising.title in client.get(LIST, by_rating).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_price_edit_retires_what_prices_order_and_filter_and_spares_the_rest(
    client, caching, django_assert_max_num_queries
):
    edited = _thirty_books()[0]  # on page 2 of the newest
    edited.title, edited.price = "The Dearest Book", Decimal("99.00")
    book_save(book=edited)  # last by price
    by_price, cheap = {"sort": "price"}, {"price_max": "5"}
    for _ in range(2):
        for query in ({"page": 1}, by_price, cheap):
            client.get(LIST, query)
    assert "The Dearest Book" not in client.get(LIST, by_price).content.decode()
    assert "No books match these filters." in client.get(LIST, cheap).content.decode()

    edited.price = Decimal("0.50")
    book_save(book=edited)

    with django_assert_max_num_queries(10) as context:
        first = client.get(LIST, {"page": 1})
    assert is_hit(first) and not first.templates, "a price edit rendered a page that does not show the book"
    assert _counted(context) == [], "a price edit counted the catalogue's filters again"
    assert "The Dearest Book" in client.get(LIST, by_price).content.decode()
    assert "The Dearest Book" in client.get(LIST, cheap).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_title_edit_is_found_by_a_search_cached_before_it(client, caching):
    book = BookFactory(title="Clay's Ark")
    client.get(LIST, {"q": "Mind of my Mind"})
    assert "No books match" in client.get(LIST, {"q": "Mind of my Mind"}).content.decode()

    book.title = "Mind of my Mind"
    book_save(book=book)

    assert "No books match" not in client.get(LIST, {"q": "Mind of my Mind"}).content.decode()


@pytest.mark.django_db
def test_a_review_tells_which_books_averages_crossed_a_star(book, member, other_member):
    def review(author, rating):
        Review.objects.bulk_create([Review(book=book, author=author, review="-", rating=rating)])
        return Book.objects.filter(pk=book.pk).lock_and_recompute_review_stats()

    assert review(member, 4) == {book.pk}  # unrated to 4.00
    assert review(other_member, 5) == set()  # 4.50
    assert review(UserFactory(), 1) == {book.pk}  # 3.33
    assert review(UserFactory(), None) == set()  # a review without a rating


def test_each_step_of_the_rating_filter_is_a_step_of_an_average():
    assert [rating_step(average) for average in (None, Decimal("0.99"), 1, Decimal("3.99"), 4, 5)] == [0, 0, 1, 3, 4, 4]


@pytest.mark.django_db
def test_a_card_shows_only_the_fields_its_cache_key_is_made_of(book, member, django_assert_num_queries):
    """A card is cached under its book's card fields (books.cache.cached_cards): a field read
    beyond them would be fetched here, and a change to it would not reach the cached card."""
    ReviewFactory(book=book, author=member, rating=3)
    card = Book.objects.for_cards().get(pk=book.pk)
    with django_assert_num_queries(0):
        rendered = render_to_string("books/_book_card.html", {"book": card})
    assert book.title in rendered and "(1 review)" in rendered


# --- Hits answered near the top of the middleware stack (books.cache.CachedPageMiddleware) ---
SAME_EVERY_TIME = {"X-Request-ID", "X-Page-Cache"}


@pytest.mark.django_db
def test_a_hit_carries_every_header_the_whole_stack_gave_the_rendered_page(client, caching, book):
    for url in (LIST, book.get_absolute_url(), "/"):
        rendered = client.get(url)
        hit = client.get(url)
        assert not is_hit(rendered) and is_hit(hit)
        assert hit.content == rendered.content
        headers = {name: value for name, value in rendered.items() if name not in SAME_EVERY_TIME}
        assert {name: value for name, value in hit.items() if name not in SAME_EVERY_TIME} == headers
        # What the middleware below the early answer adds, present on both.
        for name in ("Content-Security-Policy", "X-Frame-Options", "Content-Language", "ETag", "Cache-Control"):
            assert hit[name], name
        assert {"Cookie", "Accept-Language"} <= {part.strip() for part in hit["Vary"].split(",")}
        assert hit["X-Content-Type-Options"] == "nosniff"  # the security middleware, still around a hit


@pytest.mark.django_db
def test_a_session_cookie_a_head_or_a_post_never_gets_the_cached_page(client, caching, book):
    client.get(LIST)
    assert is_hit(client.get(LIST))
    assert not is_hit(client.head(LIST))
    assert client.post(LIST).status_code == 405  # answered by the view, not from the cache
    client.cookies[django_settings.SESSION_COOKIE_NAME] = "an-unknown-or-expired-session"
    assert not is_hit(client.get(LIST))


@pytest.mark.django_db
def test_a_hit_speaks_the_readers_language(client, caching, book):
    english = client.get(LIST)
    german = client.get(LIST, headers={"accept-language": "de"})
    assert not is_hit(german) and german["Content-Language"] == "de"
    again = client.get(LIST, headers={"accept-language": "de"})
    assert is_hit(again) and again.content == german.content != english.content
    assert is_hit(client.get(LIST)) and client.get(LIST)["Content-Language"] == "en"


@pytest.mark.django_db
def test_the_first_and_last_list_pages_are_cached_and_a_number_past_the_end_is_not_stored(client, caching, member):
    caching.BOOKSTORE_PAGE_CACHE_MAX_PAGE = 1
    BookFactory.create_batch(49, creator=member)  # three pages of 24
    for number, stored in ((1, True), (2, False), (3, True), (9, False)):
        url = f"{LIST}?page={number}"
        client.get(url)
        assert is_hit(client.get(url)) is stored, url
    assert "showing 49–49" in client.get(f"{LIST}?page=9").content.decode()  # the last page, rendered


@pytest.mark.django_db
def test_a_page_kept_in_this_process_is_not_served_after_its_lifetime(client, caching, book, monkeypatch):
    client.get(LIST)
    assert is_hit(client.get(LIST))
    page_cache.page_cache().clear()  # only this process's copy is left
    assert is_hit(client.get(LIST))
    later = time.time() + django_settings.BOOKSTORE_PAGE_CACHE_SECONDS + 1
    monkeypatch.setattr(page_cache.time, "time", lambda: later)
    assert not is_hit(client.get(LIST))


def test_the_page_cache_refuses_to_start_without_the_middleware_that_serves_it(settings):
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != "books.cache.CachedPageMiddleware"]
    with pytest.raises(ImproperlyConfigured, match="CachedPageMiddleware"):
        page_cache.AnonymousPageCacheMiddleware(lambda request: HttpResponse())


def _prepared_version_reads():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%catalogueversion%"])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_the_version_read_is_one_statement_the_database_prepared_once(client, caching, member):
    """The statement every cached page runs is parsed and planned once per connection, the
    same one for the lists and for every book's page (the book's row is a parameter)."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    first, second = BookFactory.create_batch(2, creator=member)
    for url in (LIST, LIST, first.get_absolute_url(), second.get_absolute_url(), second.get_absolute_url()):
        assert client.get(url).status_code == 200
    assert is_hit(client.get(LIST)) and is_hit(client.get(second.get_absolute_url()))
    assert len(_prepared_version_reads()) == 1


class _RecordingPgconn:
    """A libpq connection that notes the SQLSTATE of each statement's answer ("" when it succeeded)."""

    def __init__(self, pgconn):
        self._pgconn, self.answers = pgconn, []

    def _recorded(self, method, *args):
        result = getattr(self._pgconn, method)(*args)
        state = result.error_field(psycopg_pq.DiagnosticField.SQLSTATE)
        self.answers.append((method, state.decode() if state else ""))
        return result

    def prepare(self, *args):
        return self._recorded("prepare", *args)

    def exec_prepared(self, *args):
        return self._recorded("exec_prepared", *args)

    def __getattr__(self, name):
        return getattr(self._pgconn, name)


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_the_version_read_before_running_it(client, caching, book, monkeypatch):
    """No failed statement on the way (each is an ERROR line in the database server's log)."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    client.get(LIST)
    assert is_hit(client.get(LIST))
    connection.close()
    connection.ensure_connection()
    recording = _RecordingPgconn(connection.connection.pgconn)
    monkeypatch.setattr(connection.connection, "pgconn", recording)
    assert is_hit(client.get(LIST)) and is_hit(client.get(LIST))
    assert recording.answers == [("prepare", ""), ("exec_prepared", ""), ("exec_prepared", "")]


@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_the_server_connection_lacks_costs_a_cached_page_no_error(client, caching, book):
    """Behind a pooler in transaction mode (PgBouncer) the next request may meet a server
    connection that never prepared the statement: it is prepared there, and the page served."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    client.get(LIST)
    assert is_hit(client.get(LIST)) and _prepared_version_reads()
    connection.connection.pgconn.exec_(b"DEALLOCATE ALL")  # what another server connection looks like
    assert not _prepared_version_reads()
    again = client.get(LIST)
    assert again.status_code == 200 and is_hit(again)
    assert len(_prepared_version_reads()) == 1


class _PoolerLendingAnotherConnectionEachTime:
    """A libpq connection on which every prepared statement is gone by the time it is run, as
    behind a pooler in transaction mode that lends each statement another server connection."""

    def __init__(self, pgconn):
        self._pgconn = pgconn

    def exec_prepared(self, *args, **kwargs):
        self._pgconn.exec_(b"DEALLOCATE ALL")
        return self._pgconn.exec_prepared(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._pgconn, name)


@pytest.mark.django_db(transaction=True)
def test_a_statement_no_server_connection_keeps_prepared_runs_unprepared(client, caching, book, member, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    client.get(LIST)
    assert is_hit(client.get(LIST))
    monkeypatch.setattr(
        connection.connection, "pgconn", _PoolerLendingAnotherConnectionEachTime(connection.connection.pgconn)
    )
    assert is_hit(client.get(LIST))
    monkeypatch.undo()
    ReviewFactory(book=book, author=member)  # a write: the version read must see it
    assert not is_hit(client.get(LIST))


@pytest.mark.django_db(transaction=True)
def test_a_dropped_database_connection_costs_a_cached_page_no_error(client, caching, book):
    """The version read is the connection's health check (no SELECT 1 before it): a kept
    connection the database dropped is replaced, and the reader gets the page."""
    if connection.vendor != "postgresql":
        pytest.skip("a server-side disconnect needs PostgreSQL")
    caching.DATABASES["default"]["CONN_MAX_AGE"] = 60  # kept between requests, as in production
    client.get(LIST)
    assert is_hit(client.get(LIST))
    dropped = drop_from_the_server(connection)
    # What the handler does at the end of every request (the test client leaves it out):
    # the kept connection is due for its health check on the next request.
    close_old_connections()
    again = client.get(LIST)
    assert again.status_code == 200 and is_hit(again)
    assert connection.connection.info.backend_pid != dropped
