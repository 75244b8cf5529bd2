"""books.services.save_book: files and rows stay consistent whatever fails, and when."""

import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction

from books.forms import BookForm
from books.models import Book
from books.services import STORAGE_UNAVAILABLE, CoverStorageError, save_book
from covers import keys
from tests.factories import cover_upload


def valid_form(title="Lilith's Brood", instance=None, **files):
    form = BookForm(
        data={"title": title, "author": "Octavia E. Butler", "price": "14.00"},
        files={"cover": cover_upload(), **files},
        instance=instance,
    )
    assert form.is_valid(), form.errors
    return form


def local_files(media_root):
    return sorted(str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file())


class BrokenSave(DatabaseError):
    pass


@pytest.fixture
def row_save_fails(monkeypatch):
    def fail(self, *args, **kwargs):
        raise BrokenSave("the database refused the row")

    monkeypatch.setattr(Book, "save", fail)


# --- A failure inside save_book --------------------------------------------------------------


@pytest.mark.django_db
def test_failing_row_save_deletes_the_uploaded_objects(s3_storage, member, row_save_fails):
    with pytest.raises(BrokenSave):
        save_book(valid_form(), creator=member)

    assert s3_storage.methods() == ["PUT", "PUT", "DELETE", "DELETE"]
    assert s3_storage.stored_keys() == []
    assert not Book.objects.exists()


@pytest.mark.django_db
def test_failing_row_save_deletes_the_written_files_on_local_disk(member, row_save_fails, _media_root):
    with pytest.raises(BrokenSave):
        save_book(valid_form(), creator=member)

    assert local_files(_media_root) == []


@pytest.mark.django_db
def test_thumbnail_refused_by_storage_removes_the_cover_already_stored(s3_storage, member):
    s3_storage.server.refuse("PUT", keys.THUMBNAIL_SUFFIX)

    with pytest.raises(CoverStorageError, match=STORAGE_UNAVAILABLE):
        save_book(valid_form(), creator=member)

    assert s3_storage.methods() == ["PUT", "PUT", "DELETE"]
    assert s3_storage.stored_keys() == []
    assert not Book.objects.exists()


@pytest.mark.django_db
def test_local_save_stores_the_cover_and_thumbnail_on_disk(member, _media_root):
    book = save_book(valid_form(), creator=member)

    assert local_files(_media_root) == sorted([book.cover.name, book.cover_thumbnail.name])
    assert default_storage.exists(book.cover.name)


# --- A failure after save_book, in the caller's transaction -----------------------------------


class LaterFailure(Exception):
    pass


@pytest.mark.django_db
def test_outer_block_rolled_back_after_the_upload_leaves_no_object(s3_storage, member):
    with pytest.raises(LaterFailure), transaction.atomic():
        book = save_book(valid_form(), creator=member)
        assert len(s3_storage.stored_keys()) == 2
        raise LaterFailure

    assert s3_storage.stored_keys() == []
    assert not Book.objects.filter(pk=book.pk).exists()


@pytest.mark.django_db
def test_outer_block_rolled_back_leaves_no_file_on_local_disk(member, _media_root):
    with pytest.raises(LaterFailure), transaction.atomic():
        save_book(valid_form(), creator=member)
        assert len(local_files(_media_root)) == 2
        raise LaterFailure

    assert local_files(_media_root) == []


@pytest.mark.django_db(transaction=True)
def test_outermost_transaction_rolled_back_later_leaves_no_object(s3_storage, member):
    with pytest.raises(LaterFailure), transaction.atomic():
        save_book(valid_form(), creator=member)
        Book.objects.update(title="changed in the same transaction")
        raise LaterFailure

    assert s3_storage.stored_keys() == []
    assert not Book.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_outermost_transaction_committed_keeps_the_objects(s3_storage, member):
    with transaction.atomic():
        book = save_book(valid_form(), creator=member)

    assert s3_storage.methods() == ["PUT", "PUT"]
    assert s3_storage.stored_keys() == sorted([book.cover.name, book.cover_thumbnail.name])


@pytest.mark.django_db(transaction=True)
def test_save_without_a_transaction_around_it_keeps_the_objects(s3_storage, member):
    book = save_book(valid_form(), creator=member)

    assert s3_storage.stored_keys() == sorted([book.cover.name, book.cover_thumbnail.name])
    assert Book.objects.get().cover.name == book.cover.name


@pytest.mark.django_db(transaction=True)
def test_committed_cover_is_kept_when_an_earlier_commit_hook_fails(s3_storage, member):
    def failing_hook():
        raise LaterFailure

    with pytest.raises(LaterFailure), transaction.atomic():
        transaction.on_commit(failing_hook)
        book = save_book(valid_form(), creator=member)

    # The row committed; Django dropped save_book's own hook when the first one raised.
    assert Book.objects.get().cover.name == book.cover.name
    assert s3_storage.stored_keys() == sorted([book.cover.name, book.cover_thumbnail.name])


@pytest.mark.django_db(transaction=True)
def test_replacing_a_cover_in_a_rolled_back_transaction_keeps_the_old_files(s3_storage, member):
    book = save_book(valid_form(), creator=member)
    old = sorted([book.cover.name, book.cover_thumbnail.name])

    with pytest.raises(LaterFailure), transaction.atomic():
        save_book(valid_form(instance=Book.objects.get(pk=book.pk), cover=cover_upload(fmt="PNG")))
        raise LaterFailure

    assert s3_storage.stored_keys() == old
    assert Book.objects.get().cover.name == book.cover.name
