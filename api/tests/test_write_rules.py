"""The site's write rules hold through the API: per-member limits, and writes that race a
delete answer 404, never 500."""

import pytest

from books.models import Book, Review

from .conftest import token_caller

pytestmark = pytest.mark.django_db


def test_reviews_past_the_limit_get_429_with_retry_after_and_write_nothing(settings, book, member, other_member):
    settings.BOOKSTORE_REVIEW_RATE = "2/m"
    caller = token_caller("full", member)
    for n in range(2):
        posted = caller.call("post", f"/books/{book.pk}/reviews", {"review": f"Review {n}", "rating": 4})
        assert posted.status_code == 201
    refused = caller.call("post", f"/books/{book.pk}/reviews", {"review": "One too many", "rating": 5})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many new reviews" in refused.json()["detail"]
    assert not Review.objects.filter(review="One too many").exists()
    other = token_caller("other", other_member)
    assert other.call("post", f"/books/{book.pk}/reviews", {"review": "Mine", "rating": 3}).status_code == 201


def test_a_refused_review_does_not_count_towards_the_limit(settings, book, member):
    settings.BOOKSTORE_REVIEW_RATE = "1/m"
    caller = token_caller("full", member)
    assert caller.call("post", f"/books/{book.pk}/reviews", {"review": "", "rating": 9}).status_code == 422
    assert caller.call("post", f"/books/{book.pk}/reviews", {"review": "Counted", "rating": 4}).status_code == 201


def test_new_books_past_the_members_limit_get_429(settings, member):
    settings.BOOKSTORE_BOOK_RATE = "1/h"
    caller = token_caller("full", member)
    book = {"title": "Kindred", "author": "Octavia E. Butler", "price": "9.99"}
    assert caller.call("post", "/books", book).status_code == 201
    refused = caller.call("post", "/books", {**book, "title": "Dawn"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 60
    assert not Book.objects.filter(title="Dawn").exists()


def test_a_review_of_a_book_deleted_meanwhile_is_a_404(book, member, monkeypatch):
    caller = token_caller("full", member)
    from books import services

    real_lock = services._lock_book

    def deleted_meanwhile(pk, using, **kwargs):
        Book.objects.filter(pk=pk).delete()  # the book goes between the lookup and the insert
        return real_lock(pk, using, **kwargs)

    monkeypatch.setattr(services, "_lock_book", deleted_meanwhile)
    response = caller.call("post", f"/books/{book.pk}/reviews", {"review": "Too late", "rating": 4})
    assert response.status_code == 404
    assert not Review.objects.exists()
