"""Per-member write limits: past them a readable 429 with Retry-After, nothing written, and
other members unaffected."""

import secrets

import pytest
from django.test import Client
from django.urls import reverse

from books.models import Book, Review
from books.ratelimits import in_words
from tests.outage import redis_caches
from tests.services import redis_client, redis_url

pytestmark = pytest.mark.django_db

BOOK = {"title": "Kindred", "author": "Octavia E. Butler", "price": "9.00"}


def signed_in(member):
    client = Client()
    client.force_login(member)
    return client


def test_a_member_posting_reviews_past_the_limit_is_refused_and_others_are_not(settings, book, member, other_member):
    settings.BOOKSTORE_REVIEW_RATE = "3/m"
    flooder, other = signed_in(member), signed_in(other_member)
    url = reverse("review_create", args=[book.pk])
    assert [flooder.post(url, {"review": f"Review {n}"}).status_code for n in range(3)] == [302] * 3

    refused = flooder.post(url, {"review": "One too many"})

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    page = refused.content.decode()
    assert "You have posted a lot of reviews just now" in page
    assert f"You can post again in {refused['Retry-After']} second" in page
    assert Review.objects.filter(review="One too many").count() == 0
    assert other.post(url, {"review": "Mine"}).status_code == 302
    assert Review.objects.count() == 4


def test_a_member_adding_books_past_the_limit_is_refused_and_others_are_not(settings, member, other_member):
    settings.BOOKSTORE_BOOK_RATE = "2/h"
    flooder, other = signed_in(member), signed_in(other_member)
    url = reverse("book_create")
    assert [flooder.post(url, BOOK).status_code for _ in range(2)] == [302, 302]

    refused = flooder.post(url, {**BOOK, "title": "One too many"})

    assert refused.status_code == 429
    assert 3540 <= int(refused["Retry-After"]) <= 3600
    assert "You can post again in 60 minutes" in refused.content.decode()
    assert not Book.objects.filter(title="One too many").exists()
    assert other.post(url, BOOK).status_code == 302
    assert Book.objects.count() == 3


def test_a_post_that_writes_nothing_does_not_count(settings, member):
    settings.BOOKSTORE_BOOK_RATE = "1/h"
    client = signed_in(member)
    for _ in range(3):
        assert client.post(reverse("book_create"), {**BOOK, "price": "-1"}).status_code == 200  # a form error
    assert client.post(reverse("book_create"), BOOK).status_code == 302


def test_the_limit_counts_per_member_and_the_edit_form_is_not_limited(settings, book, member):
    settings.BOOKSTORE_BOOK_RATE = "1/h"
    client = signed_in(member)
    assert client.post(reverse("book_create"), BOOK).status_code == 302
    for price in ("1.00", "2.00"):
        assert client.post(reverse("book_update", args=[book.pk]), {**BOOK, "price": price}).status_code == 302


@pytest.fixture
def redis_counters(settings):
    """The caches REDIS_URL gives, on the tests' Redis under a prefix of its own; yields its keys."""
    client = redis_client()
    prefix = f"bookstore-test-{secrets.token_hex(4)}"
    settings.CACHES = redis_caches(redis_url(), redis_url(), prefix)
    keys = lambda: [key.decode() for key in client.scan_iter(match=f"{prefix}:*")]  # noqa: E731
    yield keys
    for key in keys():
        client.delete(key)


def test_the_counts_live_in_redis_with_the_log_in_limits_not_in_the_page_cache(settings, book, member, redis_counters):
    settings.BOOKSTORE_REVIEW_RATE = "2/m"
    url = reverse("review_create", args=[book.pk])
    # Two sessions of one member, as two app servers would see them: one count.
    first, second = signed_in(member), signed_in(member)
    assert first.post(url, {"review": "One"}).status_code == 302
    assert second.post(url, {"review": "Two"}).status_code == 302
    assert first.post(url, {"review": "Three"}).status_code == 429
    counters = [key for key in redis_counters() if ":allauth:rl:books:review:" in key]
    assert len(counters) == 1 and ":pages:" not in counters[0]


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "1 second"), (45, "45 seconds"), (91, "2 minutes"), (3600, "60 minutes"), (86400, "24 hours")],
)
def test_the_wait_is_said_as_a_person_says_it(seconds, words):
    assert in_words(seconds) == words
