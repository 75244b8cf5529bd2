"""Replaced and removed covers are deleted after the commit by a background worker
(covers.deletes), so a hung storage service never holds up the request that deletes a book.

The database commits for real here (transactional_db), so django-cleanup's commit hooks run
inside the request, as they do in production.
"""

import time

import pytest

from books.models import Book
from covers.deletes import worker
from tests.factories import cover_upload
from tests.outage import Blackhole


@pytest.fixture
def background_deletes(settings):
    settings.COVER_DELETES_IN_BACKGROUND = True
    yield
    worker.drain()


def add_book(client, title="Kindred"):
    data = {"title": title, "author": "Octavia E. Butler", "price": "10.00", "cover": cover_upload()}
    assert client.post("/books/create/", data).status_code == 302
    return Book.objects.get(title=title)


def test_deleting_a_book_answers_quickly_while_s3_hangs(
    transactional_db, background_deletes, s3_storage, member_client
):
    book = add_book(member_client)
    files = sorted([book.cover.name, book.cover_thumbnail.name])
    hung = Blackhole()  # accepts connections, never answers: each DELETE waits for its read timeout
    s3_storage.configure(AWS_S3_ENDPOINT_URL=f"http://127.0.0.1:{hung.port}")
    try:
        started = time.monotonic()
        response = member_client.post(f"/books/{book.pk}/delete/")
        elapsed = time.monotonic() - started
    finally:
        hung.close()  # the queued deletes now fail at once instead of waiting

    assert response.status_code == 302
    assert elapsed < 2, f"the delete took {elapsed:.1f} s"
    assert not Book.objects.filter(pk=book.pk).exists()
    assert worker.drain()
    assert s3_storage.stored_keys() == files  # left for media_audit --delete-orphans


def test_replaced_and_deleted_covers_are_removed_from_s3_by_the_worker(
    transactional_db, background_deletes, s3_storage, member_client
):
    book = add_book(member_client)
    old = {book.cover.name, book.cover_thumbnail.name}
    response = member_client.post(
        f"/books/{book.pk}/update/",
        {"title": book.title, "author": book.author, "price": "10.00", "cover": cover_upload(fmt="PNG")},
    )
    assert response.status_code == 302
    book.refresh_from_db()
    assert worker.drain()
    assert s3_storage.stored_keys() == sorted([book.cover.name, book.cover_thumbnail.name])
    assert not old & set(s3_storage.stored_keys())

    assert member_client.post(f"/books/{book.pk}/delete/").status_code == 302
    assert worker.drain()
    assert s3_storage.stored_keys() == []
