"""Multi-step writes: store cover files, write rows, and clean up when something fails."""

import logging
import weakref

from django.core.files.base import ContentFile
from django.db import connections, router, transaction

from covers import keys

from .models import Book

logger = logging.getLogger(__name__)

STORAGE_UNAVAILABLE = "Cover storage is unavailable, please try again."


class CoverStorageError(Exception):
    """The storage service could not take the cover; nothing was written."""


def save_book(form, *, creator=None):
    """Save a valid `BookForm`: store its new cover and thumbnail, then the row.

    The previous files of a replaced or removed cover are deleted by django-cleanup after
    the transaction commits. If the transaction that wrote the row does not commit (this
    function's own, or one the caller opened around it and rolls back later), the new
    objects are deleted again: a failure never leaves an orphan behind.
    """
    book = form.save(commit=False)
    if creator is not None:
        book.creator = creator
    storage = Book._meta.get_field("cover").storage
    using = router.db_for_write(Book, instance=book)
    cleanup = None
    try:
        with transaction.atomic(using=using):
            if form.new_cover is not None:
                stored = _store_cover(storage, form.new_cover)
                # Registered before book.save(), so that it runs before any commit hook the
                # save's own signals add (see delete_unless_committed).
                cleanup = delete_unless_committed(storage, stored, using=using)
                _set_cover_fields(book, form.new_cover, *stored)
            elif form.clears_cover:
                _set_cover_fields(book, None, "", "")
            book.save(using=using)
    except Exception:
        if cleanup is not None:
            # Already done by the rollback on CPython; calling it again is a no-op, and
            # makes the clean-up independent of when the interpreter frees objects.
            cleanup()
        raise
    return book


def delete_unless_committed(storage, names, *, using=None):
    """Delete `names` from `storage` unless the current transaction commits.

    Django has on_commit() but no on_rollback(), and the transaction that must commit may
    not be ours: a caller can wrap save_book() in its own atomic() and roll back long after
    the upload. Any hook run "after save_book" would be too early, and a request-end hook
    would miss scripts and workers. What Django does guarantee is the fate of an on_commit
    callback: it is called if and only if the transaction (or savepoint) it was registered
    in commits; on rollback of that savepoint or of the whole transaction, or when the
    connection is closed mid-transaction, it is dropped from the connection's list without
    being called. So we register a callback that only records "committed", and attach a
    weakref finalizer to it: when Django lets go of the callback, the finalizer runs and
    deletes the objects unless the callback was called. In CPython that happens at once,
    by reference counting, inside the rollback itself; the callback and the finalizer hold
    no reference to each other, so no cycle can delay it.

    Two things no in-process hook can cover, and how they are handled:
    - the process dies between upload and commit: the objects stay as orphans, and
      `manage.py media_audit --delete-orphans` removes them after its grace period;
    - the transaction committed, but an earlier commit hook raised, so Django dropped ours
      uncalled: then a committed row may use these files, and the finalizer keeps them
      (deleting a used file is worse than leaving an orphan for media_audit).

    Returns the finalizer; calling it runs the clean-up now (once) if still pending.
    """
    names = tuple(names)
    outcome = {"committed": False}

    def record_commit():
        outcome["committed"] = True

    cleanup = weakref.finalize(record_commit, _delete_if_rolled_back, storage, names, outcome, using)
    # A process that exits mid-transaction leaves orphans for media_audit; no network
    # calls while the interpreter shuts down.
    cleanup.atexit = False
    transaction.on_commit(record_commit, using=using)
    return cleanup


def _delete_if_rolled_back(storage, names, outcome, using):
    if outcome["committed"]:
        return
    # Set by Django between a successful COMMIT and the end of its commit hooks: our
    # callback is only being dropped because an earlier hook raised.
    if getattr(connections[using], "run_commit_hooks_on_set_autocommit_on", False):
        logger.warning("Kept %s: the transaction committed but its commit hooks failed", ", ".join(names))
        return
    logger.info("Transaction rolled back after storing %s; deleting them", ", ".join(names))
    _delete_quietly(storage, names)


def _store_cover(storage, processed):
    token = keys.new_token()
    stored = []
    key = None
    try:
        for key, encoded in (
            (keys.cover_key(token, processed.image.extension), processed.image),
            (keys.thumbnail_key(token, processed.thumbnail.extension), processed.thumbnail),
        ):
            content = ContentFile(encoded.data)
            # The type the pipeline detected and wrote, not a guess from the extension.
            content.content_type = encoded.content_type
            stored.append(storage.save(key, content))
    except Exception as exc:
        # botocore's messages name the endpoint, bucket and key, never the credentials or
        # a signature (its own DEBUG logging, which would, is silenced in settings).
        logger.error("Cover storage failed while saving %s: %s: %s", key, type(exc).__name__, exc, exc_info=True)
        _delete_quietly(storage, stored)
        raise CoverStorageError(STORAGE_UNAVAILABLE) from exc
    return stored


def _set_cover_fields(book, processed, cover_name, thumbnail_name):
    book.cover.name = cover_name
    book.cover_thumbnail.name = thumbnail_name
    book.thumbnail_width = processed.thumbnail.width if processed else None
    book.thumbnail_height = processed.thumbnail.height if processed else None


def _delete_quietly(storage, names):
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("Could not delete %s after a failed save; media_audit will find it", name)
