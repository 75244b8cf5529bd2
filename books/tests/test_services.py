"""books.services: files and rows stay consistent whatever fails, and when; edits write
only what they edit."""

from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction

from books.models import Book
from books.services import book_save
from covers import keys, process_cover
from covers.files import STORAGE_UNAVAILABLE, CoverStorageError
from tests.factories import ReviewFactory, cover_upload


def new_book(title="Lilith's Brood"):
    return Book(title=title, author="Octavia E. Butler", price=Decimal("14.00"))


def processed(fmt="JPEG"):
    return process_cover(cover_upload(fmt=fmt))


def save_new(creator, **kwargs):
    return book_save(book=new_book(), creator=creator, cover=processed(), **kwargs)


def local_files(media_root):
    return sorted(str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file())


class BrokenSave(DatabaseError):
    pass


@pytest.fixture
def row_save_fails(monkeypatch):
    def fail(self, *args, **kwargs):
        raise BrokenSave("the database refused the row")

    monkeypatch.setattr(Book, "save", fail)


# --- A failure inside book_save --------------------------------------------------------------


@pytest.mark.django_db
def test_failing_row_save_deletes_the_uploaded_objects(s3_storage, member, row_save_fails):
    with pytest.raises(BrokenSave):
        save_new(member)

    assert s3_storage.methods() == ["PUT", "PUT", "DELETE", "DELETE"]
    assert s3_storage.stored_keys() == []
    assert not Book.objects.exists()


@pytest.mark.django_db
def test_failing_row_save_deletes_the_written_files_on_local_disk(member, row_save_fails, _media_root):
    with pytest.raises(BrokenSave):
        save_new(member)

    assert local_files(_media_root) == []


@pytest.mark.django_db
def test_thumbnail_refused_by_storage_removes_the_cover_already_stored(s3_storage, member):
    s3_storage.server.refuse("PUT", keys.THUMBNAIL_SUFFIX)

    with pytest.raises(CoverStorageError, match=STORAGE_UNAVAILABLE):
        save_new(member)

    assert s3_storage.methods() == ["PUT", "PUT", "DELETE"]
    assert s3_storage.stored_keys() == []
    assert not Book.objects.exists()


@pytest.mark.django_db
def test_local_save_stores_the_cover_and_thumbnail_on_disk(member, _media_root):
    book = save_new(member)

    assert local_files(_media_root) == sorted([book.cover.name, book.cover_thumbnail.name])
    assert default_storage.exists(book.cover.name)


# --- A failure after book_save, in the caller's transaction -----------------------------------


class LaterFailure(Exception):
    pass


@pytest.mark.django_db
def test_outer_block_rolled_back_after_the_upload_leaves_no_object(s3_storage, member):
    with pytest.raises(LaterFailure), transaction.atomic():
        book = save_new(member)
        assert len(s3_storage.stored_keys()) == 2
        raise LaterFailure

    assert s3_storage.stored_keys() == []
    assert not Book.objects.filter(pk=book.pk).exists()


@pytest.mark.django_db
def test_outer_block_rolled_back_leaves_no_file_on_local_disk(member, _media_root):
    with pytest.raises(LaterFailure), transaction.atomic():
        save_new(member)
        assert len(local_files(_media_root)) == 2
        raise LaterFailure

    assert local_files(_media_root) == []


@pytest.mark.django_db(transaction=True)
def test_outermost_transaction_rolled_back_later_leaves_no_object(s3_storage, member):
    with pytest.raises(LaterFailure), transaction.atomic():
        save_new(member)
        Book.objects.update(title="changed in the same transaction")
        raise LaterFailure

    assert s3_storage.stored_keys() == []
    assert not Book.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_outermost_transaction_committed_keeps_the_objects(s3_storage, member):
    with transaction.atomic():
        book = save_new(member)

    assert s3_storage.methods() == ["PUT", "PUT"]
    assert s3_storage.stored_keys() == sorted([book.cover.name, book.cover_thumbnail.name])


@pytest.mark.django_db(transaction=True)
def test_save_without_a_transaction_around_it_keeps_the_objects(s3_storage, member):
    book = save_new(member)

    assert s3_storage.stored_keys() == sorted([book.cover.name, book.cover_thumbnail.name])
    assert Book.objects.get().cover.name == book.cover.name


@pytest.mark.django_db(transaction=True)
def test_committed_cover_is_kept_when_an_earlier_commit_hook_fails(s3_storage, member):
    def failing_hook():
        raise LaterFailure

    with pytest.raises(LaterFailure), transaction.atomic():
        transaction.on_commit(failing_hook)
        book = save_new(member)

    # The row committed; Django dropped book_save's own hook when the first one raised.
    assert Book.objects.get().cover.name == book.cover.name
    assert s3_storage.stored_keys() == sorted([book.cover.name, book.cover_thumbnail.name])


@pytest.mark.django_db(transaction=True)
def test_replacing_a_cover_in_a_rolled_back_transaction_keeps_the_old_files(s3_storage, member):
    book = save_new(member)
    old = sorted([book.cover.name, book.cover_thumbnail.name])

    with pytest.raises(LaterFailure), transaction.atomic():
        book_save(book=Book.objects.get(pk=book.pk), cover=processed("PNG"))
        raise LaterFailure

    assert s3_storage.stored_keys() == old
    assert Book.objects.get().cover.name == book.cover.name


# --- Edits write only what they edit ------------------------------------------------------------


@pytest.mark.django_db
def test_an_edit_keeps_review_counts_written_meanwhile(book):
    stale = Book.objects.get(pk=book.pk)
    ReviewFactory(book=book, rating=5)  # posted while the edit form was open
    stale.title = "The Dispossessed"

    book_save(book=stale)

    book.refresh_from_db()
    assert (book.title, book.review_count, book.rating_average) == ("The Dispossessed", 1, Decimal("5.00"))


@pytest.mark.django_db
def test_an_edit_of_a_book_deleted_meanwhile_does_not_bring_it_back(book):
    stale = Book.objects.get(pk=book.pk)
    Book.objects.filter(pk=book.pk).delete()
    stale.title = "Back from the dead"

    with pytest.raises(Book.DoesNotExist):
        book_save(book=stale)

    assert not Book.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_removing_a_cover_clears_the_fields_and_deletes_the_files_after_commit(s3_storage, member):
    book = save_new(member)

    book_save(book=Book.objects.get(pk=book.pk), remove_cover=True)

    book.refresh_from_db()
    assert (book.cover.name, book.cover_thumbnail.name, book.thumbnail_width) == ("", "", None)
    assert s3_storage.stored_keys() == []
