"""Deleting replaced and removed cover files off the request path: a small bounded queue and
one daemon thread per process, drained at exit. A delete that fails, or that finds the queue
full, is logged and leaves an orphan for `media_audit --delete-orphans` (docs/ARCHITECTURE.md,
"The life of a cover file")."""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage

from . import keys

logger = logging.getLogger(__name__)

QUEUE_SIZE = 1000
# How long a full queue may hold up the request that adds to it, and how long the process
# waits at exit for the deletes still queued (a hung storage must not stall shutdown).
PUT_TIMEOUT = 1.0
DRAIN_TIMEOUT = 10.0


class DeleteWorker:
    """One per process: started on first use, and again in a forked child (gunicorn workers)."""

    def __init__(self, size: int = QUEUE_SIZE) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._pid = 0
        self._queue: queue.Queue[tuple[Storage, str]] = queue.Queue(size)

    def submit(self, storage: Storage, name: str) -> None:
        """Queue `name` for deletion from `storage`; never raises, never waits long."""
        self._ensure_running()
        try:
            self._queue.put((storage, name), timeout=PUT_TIMEOUT)
        except queue.Full:
            logger.error("Not deleting %s: the delete queue is full; media_audit will find it", name)

    def drain(self, timeout: float = DRAIN_TIMEOUT) -> bool:
        """Wait until every queued delete has been tried; False if `timeout` ran out first."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if self._pid != os.getpid() or time.monotonic() > deadline:
                return not self._queue.unfinished_tasks
            time.sleep(0.02)
        return True

    def _ensure_running(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            # A forked child inherits the queue but not the thread: start afresh.
            self._queue = queue.Queue(self.size)
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="cover-deletes", daemon=True).start()

    def _run(self) -> None:
        while True:
            storage, name = self._queue.get()
            try:
                storage.delete(name)
            except Exception as exc:
                logger.error("Could not delete %s: %s: %s; media_audit will find it", name, type(exc).__name__, exc)
            finally:
                self._queue.task_done()


worker = DeleteWorker()


@atexit.register
def _drain_at_exit() -> None:
    if not worker.drain():
        logger.warning("Exiting with cover deletes still queued; media_audit will find them")


class _DeletesLater:
    """Stands in for a FieldFile's storage while django-cleanup deletes it: queues the delete."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def delete(self, name: str) -> None:
        worker.submit(self.storage, name)


def defer_cleanup_delete(sender: Any, file: Any, **kwargs: Any) -> None:
    """django-cleanup's `cleanup_pre_delete` receiver (sent after the commit).

    django-cleanup deletes through `file.delete(save=False)`, i.e. `file.storage.delete(name)`,
    on a copy of the field's file made for this delete alone; giving that copy a storage whose
    delete only queues moves the network call to the worker while django-cleanup keeps
    deciding what to delete and when.
    """
    if settings.COVER_DELETES_IN_BACKGROUND and not isinstance(file.storage, _DeletesLater):
        file.storage = _DeletesLater(file.storage)


def delete_variants(sender: Any, file: Any, instance: Any = None, **kwargs: Any) -> None:
    """django-cleanup's `cleanup_pre_delete` receiver, after `defer_cleanup_delete`: a cover's
    width variants go with it, queued like the cover itself (or deleted now).

    Their names come from the cover's (covers.keys.variant_keys). A deleted row still says
    which it had (`cover_variants`); a replaced cover's row now describes the new one, so
    every configured width in every variant format is deleted: deleting a name that was
    never written is harmless on local disk and on S3."""
    name = file.name or ""
    recorded = getattr(instance, "__dict__", {}).get("cover_variants")
    if isinstance(recorded, dict) and getattr(getattr(instance, "cover", None), "name", None) == name:
        names = [keys.variant_key(name, width, extension) for extension, widths in recorded.items() for width in widths]
    else:
        names = keys.variant_keys(name, settings.COVER_VARIANT_WIDTHS)
    for variant in names:
        try:
            file.storage.delete(variant)
        except Exception as exc:
            logger.error("Could not delete %s: %s: %s; media_audit will find it", variant, type(exc).__name__, exc)
