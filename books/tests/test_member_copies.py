"""One cached copy of a page for all members, with each member's own parts filled in
(books/holes.py): never one member's name, token or links on another's page."""

import time

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client
from django.urls import reverse

from books.tests.test_cache import is_hit
from tests.factories import BookFactory, ReviewFactory

LIST = reverse("book_list")


def signed_in(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    return client


def csrf_token(page):
    return page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


@pytest.mark.django_db
def test_a_second_member_is_served_the_shared_copy_with_their_own_name_and_links(caching, member, other_member):
    BookFactory.create_batch(3)
    first = signed_in(member).get(LIST)
    assert not is_hit(first)
    second = signed_in(other_member).get(LIST)
    assert is_hit(second)
    page = second.content.decode()
    assert f"Signed in as <strong>{other_member.username}</strong>" in page
    assert reverse("member_detail", args=[other_member.username]) in page
    assert member.username not in page
    assert "<!--hole-" not in page and "<!--hole-" not in first.content.decode()
    assert "private" in second["Cache-Control"] and "Cookie" in second["Vary"]


@pytest.mark.django_db
def test_only_the_creator_and_the_author_get_edit_and_delete_from_the_shared_copy(caching, member, other_member):
    book = BookFactory(creator=member)
    review = ReviewFactory(book=book, author=other_member, review="Quietly devastating.")
    edit_book, edit_review = reverse("book_update", args=[book.pk]), reverse("review_update", args=[review.pk])

    creator_page = signed_in(member).get(book.get_absolute_url())
    author_page = signed_in(other_member).get(book.get_absolute_url())
    assert is_hit(author_page)  # the creator's request stored the copy
    assert edit_book in creator_page.content.decode() and edit_review not in creator_page.content.decode()
    assert edit_book not in author_page.content.decode() and edit_review in author_page.content.decode()
    anonymous = Client().get(book.get_absolute_url()).content.decode()
    assert edit_book not in anonymous and edit_review not in anonymous and "<!--hole-" not in anonymous


@pytest.mark.django_db(transaction=True)
def test_the_token_filled_into_a_cached_page_posts_a_review(caching, book, member, other_member):
    signed_in(member).get(book.get_absolute_url())  # stores the copy
    client = signed_in(other_member)
    page = client.get(book.get_absolute_url())
    assert is_hit(page)
    response = client.post(
        reverse("review_create", args=[book.pk]),
        {"review": "Worth a second read.", "rating": 4, "csrfmiddlewaretoken": csrf_token(page.content.decode())},
    )
    assert response.status_code == 302
    # The review retired the book's copies: the next member page shows it.
    assert "Worth a second read." in signed_in(member).get(book.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_waiting_message_is_shown_and_never_stored_in_the_shared_copy(caching, member, other_member, rf):
    BookFactory.create_batch(2)
    client = signed_in(member)
    storage = CookieStorage(rf.get("/"))
    storage.add(constants.SUCCESS, "Your book was added.")
    client.cookies["messages"] = storage._encode(storage._queued_messages)
    with_message = client.get(LIST)
    assert not is_hit(with_message) and "Your book was added." in with_message.content.decode()
    other = signed_in(other_member).get(LIST)
    assert not is_hit(other)  # nothing was stored from the page with the message
    assert "Your book was added." not in other.content.decode()


@pytest.mark.django_db
def test_a_cached_members_page_costs_the_session_the_member_and_the_version(
    caching, member, other_member, django_assert_num_queries
):
    BookFactory.create_batch(24)
    signed_in(member).get(LIST)
    client = signed_in(other_member)
    with django_assert_num_queries(3):  # no count, no books, no facets: the copy is whole
        page = client.get(LIST)
    assert is_hit(page) and page.content.decode().count('class="card h-100') == 24


@pytest.mark.django_db
def test_a_copy_taken_from_the_shared_cache_is_kept_here_no_longer_than_there(
    caching, member, other_member, monkeypatch
):
    from books.cache import local_pages

    BookFactory.create_batch(2)
    signed_in(member).get(LIST)  # stores the copy, in Redis's stand-in and in this process
    stored_at = time.time()
    local_pages.clear()  # as another process would start: only the shared copy
    monkeypatch.setattr(time, "time", lambda: stored_at + 30)  # half its lifetime later
    assert is_hit(signed_in(other_member).get(LIST))
    (key,) = [key for key in local_pages._entries if key.startswith("member-")]
    expires = local_pages._entries[key][0]
    assert expires <= stored_at + caching.BOOKSTORE_PAGE_CACHE_SECONDS + 1
