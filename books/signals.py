"""Review statistics and the page cache follow every write, whichever way it is made
(docs/ARCHITECTURE.md, "Review statistics")."""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from . import cache
from .models import Book, Review, Subject

# Set by the bulk services only (books.services), which recompute and retire once.
_bulk = contextvars.ContextVar("books_bulk_writes", default=False)


@contextlib.contextmanager
def bulk_writes() -> Iterator[None]:
    """Suppress the per-row handlers below; for books.services' bulk writers only."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


@receiver(pre_save, sender=Book)
def remember_what_an_edit_may_change(sender: type[Book], instance: Book, **kwargs: Any) -> None:
    """The edited book's fields that searches, filters and orders read, as they were."""
    if _bulk.get() or instance._state.adding or instance.pk is None:
        return
    using = kwargs.get("using") or "default"
    before = Book.objects.using(using).filter(pk=instance.pk).values(*Book.MATCHED_FIELDS, "price").first()
    instance._matched_before = before  # type: ignore[attr-defined]  # read by retire_the_books_pages


@receiver(post_save, sender=Book)
@receiver(post_delete, sender=Book)
def retire_the_books_pages(sender: type[Book], instance: Book, created: bool = True, **kwargs: Any) -> None:
    """A book added, edited or deleted makes every server render its own page and the lists
    afresh, once the write is visible; every other book's page stays cached. The list's counts
    and the order of its pages only when the edit changed what searches and filters read, or
    the price (books.cache.matches_version): a new cover or description leaves them.

    On commit, not now: a version bumped before the commit would let another server cache
    the old rows again under the new version.
    """
    if _bulk.get():
        return
    before = None if created else instance.__dict__.pop("_matched_before", None)
    if before is None:  # added or deleted
        matches = prices = True
    else:
        changed = {name for name, value in before.items() if getattr(instance, name) != value}
        matches, prices = bool(changed - {"price"}), "price" in changed
    bump = functools.partial(cache.bump_books_version, [instance.pk], "a book's write", matches=matches, prices=prices)
    transaction.on_commit(bump)


@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def retire_cached_pages(sender: Any, **kwargs: Any) -> None:
    """A member deleted takes their books and reviews with them: every page afresh."""
    if not _bulk.get():
        transaction.on_commit(cache.bump_catalogue_version)


@receiver(pre_save, sender=Review)
def remember_the_reviews_old_book(sender: type[Review], instance: Review, **kwargs: Any) -> None:
    """An edit that moves a review (the admin can) changes its old book's page too."""
    if not instance._state.adding and instance.pk is not None:
        using = kwargs.get("using") or "default"
        old = Review.objects.using(using).filter(pk=instance.pk).values_list("book_id", flat=True).first()
        instance._old_book_id = old  # type: ignore[attr-defined]  # read by review_written


@receiver(post_save, sender=Review)
@receiver(post_delete, sender=Review)
def review_written(sender: type[Review], instance: Review, origin: Any = None, **kwargs: Any) -> None:
    """Keep a book's review count and average rating true whichever way a review is written,
    and retire the pages that show it: its book's own pages, and the lists, home and member
    pages (ratings, counts, member reviews); other books' pages stay cached. The list's counts
    of books found (books.cache.matches_version) only when an average crossed a step of the
    rating filter: the one thing a review changes about which books a filter finds."""
    deleting_books = isinstance(origin, Book) or (isinstance(origin, QuerySet) and origin.model is Book)
    if _bulk.get() or deleting_books:
        return  # a bulk service recomputes and retires once; a book's delete retires its page and the lists
    books = {instance.book_id, getattr(instance, "_old_book_id", None)} - {None}
    crossed = Book.objects.filter(pk__in=books).lock_and_recompute_review_stats()
    transaction.on_commit(functools.partial(cache.bump_books_version, books, "a review", matches=bool(crossed)))


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def retire_cached_pages_on_rename(sender: Any, created: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    """Pages show usernames (creator, review authors); a sign-up or a log-in changes none."""
    if _bulk.get() or created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    transaction.on_commit(cache.bump_catalogue_version)


@receiver(m2m_changed, sender=Book.subjects.through)
def keep_search_text_current(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any = None, **kwargs: Any
) -> None:
    """A book is found by its subjects' names: whichever way they change (the form, the admin)."""
    if _bulk.get() or action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        Book.objects.filter(pk=instance.pk).refresh_search_text()
        # One book's subjects (the edit form): its page and the lists, as any edit of it.
        transaction.on_commit(functools.partial(cache.bump_books_version, [instance.pk], "a book's subjects"))
        return
    if pk_set:
        Book.objects.filter(pk__in=pk_set).refresh_search_text()
    transaction.on_commit(cache.bump_catalogue_version)  # a subject's books, any number of them


@receiver(post_save, sender=Subject)
def keep_search_text_current_on_rename(sender: Any, instance: Subject, created: bool = False, **kwargs: Any) -> None:
    if not created and not _bulk.get():
        instance.books.all().refresh_search_text()
        transaction.on_commit(cache.bump_catalogue_version)
