"""Multi-step writes: store cover files, write rows, and clean up when something fails."""

import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from covers import keys

logger = logging.getLogger(__name__)


class CoverStorageError(Exception):
    """The storage service could not take the cover; nothing was written."""


def save_book(form, *, creator=None):
    """Save a valid `BookForm`: store its new cover and thumbnail, then the row.

    The previous files of a replaced or removed cover are deleted by django-cleanup after
    the transaction commits. If anything fails after the upload, the new objects are
    deleted again, so a failure never leaves an orphan behind.
    """
    book = form.save(commit=False)
    if creator is not None:
        book.creator = creator
    stored = []
    try:
        with transaction.atomic():
            if form.new_cover is not None:
                stored = _store_cover(form.new_cover)
                _set_cover_fields(book, form.new_cover, *stored)
            elif form.clears_cover:
                _set_cover_fields(book, None, "", "")
            book.save()
    except Exception:
        _delete_quietly(stored)
        raise
    return book


def _store_cover(processed):
    token = keys.new_token()
    stored = []
    try:
        for key, encoded in (
            (keys.cover_key(token, processed.image.extension), processed.image),
            (keys.thumbnail_key(token, processed.thumbnail.extension), processed.thumbnail),
        ):
            stored.append(default_storage.save(key, ContentFile(encoded.data)))
    except Exception as exc:
        logger.exception("Cover storage failed while saving %s", key)
        _delete_quietly(stored)
        raise CoverStorageError("Cover storage is unavailable, please try again.") from exc
    return stored


def _set_cover_fields(book, processed, cover_name, thumbnail_name):
    book.cover.name = cover_name
    book.cover_thumbnail.name = thumbnail_name
    book.thumbnail_width = processed.thumbnail.width if processed else None
    book.thumbnail_height = processed.thumbnail.height if processed else None


def _delete_quietly(names):
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception("Could not delete %s after a failed save; media_audit will find it", name)
