"""The life of a stored cover: stored under fresh keys, deleted again unless the transaction
commits, and deleted once replaced. See docs/ARCHITECTURE.md, "The life of a cover file"."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import connections, transaction
from django_cleanup import cleanup

from . import keys
from .pipeline import EncodedImage, ProcessedCover

logger = logging.getLogger(__name__)

STORAGE_UNAVAILABLE = "Cover storage is unavailable, please try again."

ModelClass = TypeVar("ModelClass", bound=type)


class CoverStorageError(Exception):
    """The storage service could not take the cover; nothing was written."""


@dataclass(frozen=True)
class StoredCover:
    """A processed cover as stored: the names the model's fields take."""

    cover: ProcessedCover
    image_name: str
    thumbnail_name: str
    variant_names: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.image_name, self.thumbnail_name, *self.variant_names)


def deletes_replaced_files(model: ModelClass) -> ModelClass:
    """Class decorator: the model's old files are deleted after the commit that replaces or
    deletes them (django-cleanup, enabled for selected models in INSTALLED_APPS)."""
    return cleanup.select(model)


def store_cover(storage: Storage, cover: ProcessedCover) -> StoredCover:
    """Store the image, its thumbnail and its variants under fresh keys; on failure nothing
    stays stored."""
    token = keys.new_token()
    image_key = keys.cover_key(token, cover.image.extension)
    files = [(image_key, cover.image), (keys.thumbnail_key(token, cover.thumbnail.extension), cover.thumbnail)]
    files += [(keys.variant_key(image_key, variant.width, variant.extension), variant) for variant in cover.variants]
    stored = store_files(storage, files)
    return StoredCover(cover, stored[0], stored[1], tuple(stored[2:]))


def store_files(storage: Storage, files: Iterable[tuple[str, EncodedImage]]) -> list[str]:
    """Save each encoded image under its key; on failure delete those saved and raise
    CoverStorageError."""
    stored: list[str] = []
    key = None
    try:
        for key, encoded in files:
            content = ContentFile(encoded.data)
            # The type the pipeline detected and wrote, not a guess from the extension.
            content.content_type = encoded.content_type  # type: ignore[attr-defined]
            stored.append(storage.save(key, content))
    except Exception as exc:
        # botocore's messages name the endpoint, bucket and key, never the credentials.
        logger.error("Cover storage failed while saving %s: %s: %s", key, type(exc).__name__, exc, exc_info=True)
        delete_quietly(storage, stored)
        raise CoverStorageError(STORAGE_UNAVAILABLE) from exc
    return stored


def delete_unless_committed(storage: Storage, names: Iterable[str], *, using: str | None = None) -> weakref.finalize:
    """Delete `names` from `storage` unless the current transaction commits.

    Django has no on_rollback(): an on_commit callback is watched by a weakref finalizer
    (docs/ARCHITECTURE.md, "The life of a cover file"). Returns the finalizer; calling it
    runs the clean-up now (once) if still pending.
    """
    pending = tuple(names)
    outcome = {"committed": False}

    def record_commit() -> None:
        outcome["committed"] = True

    finalizer = weakref.finalize(record_commit, _delete_if_rolled_back, storage, pending, outcome, using)
    # No network calls while the interpreter shuts down; media_audit finds what is left.
    finalizer.atexit = False  # type: ignore[misc]  # typeshed omits this documented attribute
    transaction.on_commit(record_commit, using=using)
    return finalizer


def store_covers_until_commit(
    storage: Storage,
    covers: Sequence[ProcessedCover | None],
    *,
    using: str | None = None,
    map_: Callable[..., Iterable[Any]] = map,
) -> list[StoredCover | None]:
    """`store_cover` for each cover (None stays None), all deleted unless the transaction commits.

    `map_` may be a thread pool's map, to store many at once.
    """
    results = list(map_(lambda cover: _store_or_error(storage, cover), covers))
    names = [name for result in results if isinstance(result, StoredCover) for name in result.names]
    errors = [result for result in results if isinstance(result, Exception)]
    if errors:
        delete_quietly(storage, names)
        raise errors[0]
    delete_unless_committed(storage, names, using=using)
    return [result if isinstance(result, StoredCover) else None for result in results]


def _store_or_error(storage: Storage, cover: ProcessedCover | None) -> StoredCover | Exception | None:
    if cover is None:
        return None
    try:
        return store_cover(storage, cover)
    except CoverStorageError as exc:
        return exc


def _delete_if_rolled_back(
    storage: Storage, names: tuple[str, ...], outcome: dict[str, bool], using: str | None
) -> None:
    if outcome["committed"]:
        return
    # Set by Django between a successful COMMIT and the end of its commit hooks: ours is
    # only dropped because an earlier hook raised, and a committed row may use the files.
    if getattr(connections[using or "default"], "run_commit_hooks_on_set_autocommit_on", False):
        logger.warning("Kept %s: the transaction committed but its commit hooks failed", ", ".join(names))
        return
    logger.info("Transaction rolled back after storing %s; deleting them", ", ".join(names))
    delete_quietly(storage, names)


def delete_quietly(storage: Storage, names: Iterable[str]) -> None:
    """Delete what can be deleted; media_audit finds the rest."""
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("Could not delete %s after a failed save; media_audit will find it", name)
