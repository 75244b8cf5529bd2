"""Review statistics: one rule and one rounding, true under concurrent writes."""

import threading
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test import Client

from books.models import Book
from tests.factories import BookFactory, ReviewFactory, UserFactory

THREADS = 10  # ratings 1-5 twice: an average of 3.00, no rounding tie
ROUNDS = 60


@pytest.mark.django_db
def test_an_average_of_3_125_shows_as_3_13_whichever_way_it_is_computed(book):
    for rating in (3, 3, 3, 4, 3, 3, 3, 3):  # 25 / 8 = 3.125
        ReviewFactory(book=book, rating=rating)
    book.refresh_from_db()
    per_review = book.rating_average
    Book.objects.filter(pk=book.pk).recompute_review_stats()
    book.refresh_from_db()
    assert per_review == book.rating_average == Decimal("3.13")


@pytest.mark.django_db
def test_the_statistics_update_compiled_once_recomputes_each_book_it_is_run_for():
    first, second, third = BookFactory.create_batch(3)
    ReviewFactory(book=first, rating=5)  # the UPDATE for one book, compiled (or reused)
    ReviewFactory(book=second, rating=1)  # run again for another book
    moved = ReviewFactory(book=third, rating=4)
    moved.book = first
    moved.save()  # a review moved: both books' statistics in one UPDATE
    stats = {book.pk: (book.review_count, book.rating_count, book.rating_average) for book in Book.objects.all()}
    assert stats == {
        first.pk: (2, 2, Decimal("4.50")),
        second.pk: (1, 1, Decimal("1.00")),
        third.pk: (0, 0, None),
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_reviews_posted_at_once_from_many_connections_are_all_counted():
    books = BookFactory.create_batch(ROUNDS)
    readers = [UserFactory(username=f"reader{n}") for n in range(THREADS)]
    ratings = [1 + n % 5 for n in range(THREADS)]
    together = threading.Barrier(THREADS)
    failures = []

    def post_reviews(reader, rating):
        try:
            client = Client()  # each thread has its own database connection
            client.force_login(reader)
            for book in books:
                together.wait()  # every reader posts to this book at the same moment
                response = client.post(f"/books/{book.pk}/review/", {"review": "At once.", "rating": rating})
                assert response.status_code == 302
        except Exception as exc:  # reported by the main thread
            failures.append(exc)
            together.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=post_reviews, args=pair) for pair in zip(readers, ratings, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []

    expected_average = (Decimal(sum(ratings)) / THREADS).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    stored = [(book.review_count, book.rating_count, book.rating_average) for book in Book.objects.all()]
    wrong = [stats for stats in stored if stats != (THREADS, THREADS, expected_average)]
    print(f"{ROUNDS} books x {THREADS} simultaneous reviews: {len(wrong)} books with wrong statistics {wrong[:5]}")
    assert wrong == []
