"""Writes that race, from separate database connections at once (docs/ARCHITECTURE.md, "Bad
days"): a delete among reviews, edits among reviews and deletes, two cover replacements.

PostgreSQL only: SQLite lets one writer at a time into the whole database, so these races
cannot happen there.
"""

import threading
import time
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
            try:
                client = client_for(creator)
                started.wait()
                deadline = time.monotonic() + 10
                while Review.objects.filter(book=book).count() < REVIEWERS and time.monotonic() < deadline:
                    pass  # reviews are arriving: now delete
                statuses.append(("delete", client.post(f"/books/{book.pk}/delete/").status_code))
            finally:
                deleted.set()  # the reviewers stop even if this failed

        jobs = [lambda reader=reader, job=post_reviews: job(reader) for reader in readers]
        assert run_at_once(delete, *jobs) == []

    deletes = [status for kind, status in statuses if kind == "delete"]
    reviews = [status for kind, status in statuses if kind == "review"]
    print(f"{ROUNDS} deletes: {deletes}; {len(reviews)} review posts: {sorted(set(reviews))}")
    assert deletes == [302] * ROUNDS
    assert set(reviews) <= {302, 404}
    assert not Book.objects.exists()
    assert not Review.objects.exists()


def test_two_cover_replacements_at_once_leave_only_the_winners_files(s3_storage):
    book = book_save(book=BookFactory.build(creator=UserFactory()), cover=process_cover(cover_upload()))
    original = book.cover.name
    covers = [process_cover(cover_upload(color=color)) for color in ((0, 90, 0), (0, 0, 90))]
    both_loaded = threading.Barrier(2)

    def replace(cover):
        edit = Book.objects.get(pk=book.pk)  # each edit form was opened on the same cover
        both_loaded.wait()
        book_save(book=edit, cover=cover)

    assert run_at_once(*(lambda cover=cover: replace(cover) for cover in covers)) == []

    book.refresh_from_db()
    assert book.cover.name != original
    assert s3_storage.stored_keys() == sorted([book.cover.name, book.cover_thumbnail.name])


def test_edits_saved_while_reviews_arrive_keep_every_review_counted():
    book = BookFactory()
    readers = [UserFactory(username=f"reader{n}") for n in range(REVIEWERS)]
    done = threading.Event()
    edits = []

    def post_reviews(reader):
        client = client_for(reader)
        for n in range(ROUNDS):
            assert client.post(f"/books/{book.pk}/review/", {"review": f"Review {n}.", "rating": 4}).status_code == 302

    def edit():
        while not done.is_set():
            stale = Book.objects.get(pk=book.pk)  # loaded, then reviews arrive, then saved
            stale.price += Decimal("1.00")
            book_save(book=stale)
            edits.append(stale.price)

    def reviewers():
        try:
            assert run_at_once(*(lambda reader=reader: post_reviews(reader) for reader in readers)) == []
        finally:
            done.set()

    assert run_at_once(edit, reviewers) == []

    book.refresh_from_db()
    print(f"{len(edits)} edits among {REVIEWERS * ROUNDS} reviews")
    assert len(edits) > 1
    expected = (REVIEWERS * ROUNDS, REVIEWERS, Decimal("4.00"))
    assert (book.review_count, book.rating_count, book.rating_average) == expected
    assert book.price == edits[-1]


def test_an_edit_racing_a_delete_never_brings_the_book_or_its_files_back(s3_storage):
    creator = UserFactory(username="creator")
    answers = []
    for _ in range(ROUNDS):
        book = book_save(book=BookFactory.build(creator=creator), cover=process_cover(cover_upload()))
        both_loaded = threading.Barrier(2)

        def edit(book=book, both_loaded=both_loaded):
            client = client_for(creator)
            cover = cover_upload(name="new.png", fmt="PNG", content_type="image/png")
            form = {"title": "Edited", "author": book.author, "price": "3.00", "cover": cover}
            both_loaded.wait()
            answers.append(("edit", client.post(f"/books/{book.pk}/update/", form).status_code))

        def delete(book=book, both_loaded=both_loaded):
            client = client_for(creator)
            both_loaded.wait()
            answers.append(("delete", client.post(f"/books/{book.pk}/delete/").status_code))

        assert run_at_once(edit, delete) == []

    print(f"{ROUNDS} edits racing deletes: {answers}")
    assert {status for kind, status in answers if kind == "delete"} == {302}
    assert {status for kind, status in answers if kind == "edit"} <= {302, 404}
    assert not Book.objects.exists()
    assert s3_storage.stored_keys() == []


def test_deleting_a_book_while_its_reviews_are_edited_and_deleted_answers_no_500():
    creator = UserFactory(username="creator")
    readers = [UserFactory(username=f"reader{n}") for n in range(REVIEWERS)]
    statuses = []
    for _ in range(ROUNDS):
        book = BookFactory(creator=creator)
        reviews = [Review.objects.create(book=book, author=reader, review="First.") for reader in readers]
        started = threading.Barrier(REVIEWERS + 1)

        def change(review, n, started=started):
            client = client_for(review.author)
            started.wait()
            action = "delete" if n % 2 else "update"
            data = {"review": "Changed.", "rating": 3} if action == "update" else {}
            statuses.append((action, client.post(f"/reviews/{review.pk}/{action}/", data).status_code))

        def delete(book=book, started=started):
            client = client_for(creator)
            started.wait()
            statuses.append(("book", client.post(f"/books/{book.pk}/delete/").status_code))

        jobs = [lambda review=review, n=n: change(review, n) for n, review in enumerate(reviews)]
        assert run_at_once(delete, *jobs) == []

    print(f"{ROUNDS} deletes among review edits and deletes: {sorted(set(statuses))}")
    assert {status for kind, status in statuses if kind == "book"} == {302}
    assert {status for _kind, status in statuses} <= {302, 404}
    assert not Book.objects.exists()
    assert not Review.objects.exists()
