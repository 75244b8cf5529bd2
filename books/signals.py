import contextlib
import contextvars

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import cache
from .models import Book, Review

# Bulk writers (seed_demo) recompute review stats in one statement and retire the cache
# once; per-row handlers would cost a query (or a Redis write) per row.
_bulk = contextvars.ContextVar("books_bulk_writes", default=False)


@contextlib.contextmanager
def bulk_writes():
    """Suppress the per-row handlers below. The caller must recompute stats and bump the version."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


@receiver(post_save, sender=Review)
@receiver(post_delete, sender=Review)
def keep_review_stats_current(sender, instance, origin=None, **kwargs):
    """Keep a book's review count and average rating true whichever way a review is written."""
    if isinstance(origin, Book) or _bulk.get():
        return  # the book itself is being deleted, or a bulk writer recomputes afterwards
    instance.book.refresh_review_stats()


@receiver(post_save, sender=Book)
@receiver(post_delete, sender=Book)
@receiver(post_save, sender=Review)
@receiver(post_delete, sender=Review)
@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def retire_cached_pages(sender, **kwargs):
    """Any write a page shows makes every server render afresh, once the write is visible.

    On commit, not now: a version bumped before the commit would let another server cache
    the old rows again under the new version.
    """
    if not _bulk.get():
        transaction.on_commit(cache.bump_catalogue_version)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def retire_cached_pages_on_rename(sender, created=False, update_fields=None, **kwargs):
    """Pages show usernames (creator, review authors); a sign-up or a log-in changes none."""
    if _bulk.get() or created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    transaction.on_commit(cache.bump_catalogue_version)
