"""Writes that race, from separate database connections at once (docs/ARCHITECTURE.md, "Bad
days"): a delete among reviews, edits among reviews and deletes, two cover replacements.

PostgreSQL only: SQLite lets one writer at a time into the whole database, so these races
cannot happen there.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from books.models import Book, Review
from books.services import book_save
from covers import process_cover
from tests.factories import BookFactory, UserFactory, cover_upload

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

REVIEWERS = 4
ROUNDS = 5


def run_at_once(*jobs):
    """Run each job in its own thread (its own connection); return their exceptions."""
    failures = []

    def run(job):
        try:
            job()
        except Exception as exc:  # reported by the caller
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def client_for(member):
    client = Client(raise_request_exception=False)  # a 500 is an answer to count, not a crash
    client.force_login(member)
    return client


def test_deleting_a_book_while_members_post_reviews_succeeds_and_no_review_gets_a_500():
    creator = UserFactory(username="creator")
    readers = [UserFactory(username=f"reader{n}") for n in range(REVIEWERS)]
    statuses = []
    for _ in range(ROUNDS):
        book = BookFactory(creator=creator)
        started = threading.Barrier(REVIEWERS + 1)
        deleted = threading.Event()

        def post_reviews(reader, book=book, started=started, deleted=deleted):
            client = client_for(reader)
            started.wait()
            while not deleted.is_set():
                answer = client.post(f"/books/{book.pk}/review/", {"review": "Posted during the delete."})
                statuses.append(("review", answer.status_code))
                if answer.status_code == 404:
                    break
            statuses.append(("review", client.post(f"/books/{book.pk}/review/", {"review": "After."}).status_code))

        def delete(book=book, started=started, deleted=deleted):
            client = client_for(creator)
            started.wait()
            while Review.objects.filter(book=book).count() < REVIEWERS:
                pass  # reviews are arriving: now delete
            statuses.append(("delete", client.post(f"/books/{book.pk}/delete/").status_code))
            deleted.set()

        jobs = [lambda reader=reader, job=post_reviews: job(reader) for reader in readers]
        assert run_at_once(delete, *jobs) == []

    deletes = [status for kind, status in statuses if kind == "delete"]
    reviews = [status for kind, status in statuses if kind == "review"]
    print(f"{ROUNDS} deletes: {deletes}; {len(reviews)} review posts: {sorted(set(reviews))}")
    assert deletes == [302] * ROUNDS
    assert set(reviews) <= {302, 404}
    assert not Book.objects.exists()
    assert not Review.objects.exists()
