"""Writes to the catalogue that span files and rows. They take data, never forms: the site's
forms, the admin, `seed_demo` and later an API or importers all call them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage
from django.db import DatabaseError, router, transaction
from django.db.models import QuerySet

from accounts.models import CustomUser
from covers import ProcessedCover, keys
from covers.files import (
    StoredCover,
    delete_quietly,
    delete_unless_committed,
    store_cover,
    store_covers_until_commit,
)

from . import cache
from .models import Book, Review, SearchWord, Subject, slug_of_author
from .signals import bulk_writes

# Written by Review writes only (BookQuerySet.recompute_review_stats), never by an edit.
NEVER_EDITED = frozenset({"id", "created_at", *Book.REVIEW_STAT_FIELDS})
COVER_FIELDS = frozenset({"cover", "cover_thumbnail", "cover_variants", "thumbnail_width", "thumbnail_height"})


def book_save(
    *,
    book: Book,
    creator: CustomUser | None = None,
    cover: ProcessedCover | None = None,
    remove_cover: bool = False,
    subjects: Sequence[str] | None = None,
) -> Book:
    """Add `book` or save its edited fields, with a new cover, the current one, or none,
    and with these subject names (None keeps its subjects).

    A new cover's files are deleted again unless the transaction that writes the row
    commits. An edit is an UPDATE of the edited fields only: it never overwrites review
    counts and never brings back a book deleted meanwhile (Book.DoesNotExist).
    """
    if creator is not None:
        book.creator = creator
    storage = Book._meta.get_field("cover").storage
    using = router.db_for_write(Book, instance=book)
    adding = book._state.adding
    loaded_files = _cover_names(book)
    cleanup = None
    try:
        with transaction.atomic(using=using):
            if cover is not None:
                stored = store_cover(storage, cover)
                # Registered before the save, so it runs before the save's own commit hooks.
                cleanup = delete_unless_committed(storage, stored.names, using=using)
                _set_cover_fields(book, stored)
            elif remove_cover:
                _set_cover_fields(book, None)
            if adding:
                book.save(using=using, force_insert=True)
            else:
                # Locked after the upload, so a slow storage never holds the row.
                current_files = _lock_and_read_cover_names(book, using)
                if (cover or remove_cover) and current_files != loaded_files:
                    # Replaced since this edit began: django-cleanup deletes the files the
                    # edit was loaded with (gone already); the ones replaced now go too.
                    _delete_after_commit(storage, current_files, using)
                book.save(using=using, force_update=True, update_fields=edited_fields(cover or remove_cover))
            if subjects is not None:
                book.subjects.set(subjects_named(subjects))
    except Exception as exc:
        if cleanup is not None:
            cleanup()  # already done by the rollback on CPython; a no-op then
        if isinstance(exc, DatabaseError) and not adding and not Book.objects.filter(pk=book.pk).exists():
            raise Book.DoesNotExist(f"Book {book.pk} was deleted meanwhile") from exc
        raise
    return book


def edited_fields(cover_changes: object) -> list[str]:
    """The columns an edit writes: everything but the review statistics (and the cover's, unchanged)."""
    skipped = NEVER_EDITED if cover_changes else NEVER_EDITED | COVER_FIELDS
    return [field.name for field in Book._meta.concrete_fields if field.name not in skipped]


def subjects_named(names: Iterable[str]) -> list[Subject]:
    """The subjects with these names, added when new; names differing only in case or
    punctuation are one subject (the first spelling is kept). Two queries at most."""
    wanted: dict[str, str] = {}
    for name in names:
        name = " ".join(name.split())[:100]
        slug = Subject.slug_for(name)
        if slug:
            wanted.setdefault(slug, name)
    if not wanted:
        return []
    found = {subject.slug: subject for subject in Subject.objects.filter(slug__in=wanted)}
    missing = [Subject(slug=slug, name=name) for slug, name in wanted.items() if slug not in found]
    if missing:
        Subject.objects.bulk_create(missing, ignore_conflicts=True)
        found = {subject.slug: subject for subject in Subject.objects.filter(slug__in=wanted)}
    return [found[slug] for slug in wanted]


def books_create(
    *,
    books: Sequence[Book],
    covers: Sequence[ProcessedCover | None],
    map_: Callable[..., Iterable[Any]] = map,
) -> list[Book]:
    """Add many books at once (one INSERT), each with its own stored copy of its cover.

    `map_` may be a thread pool's map, to store covers in parallel. The stored files are
    deleted again unless the rows commit.
    """
    storage = Book._meta.get_field("cover").storage
    using = router.db_for_write(Book)
    with transaction.atomic(using=using), bulk_writes():
        if any(cover is not None for cover in covers):
            stored = store_covers_until_commit(storage, covers, using=using, map_=map_)
        else:
            stored = [None] * len(books)
        for book, item in zip(books, stored, strict=True):
            _set_cover_fields(book, item)
            book.author_slug = slug_of_author(book.author)  # bulk_create does not call save()
            book.search_text = book.make_search_text([])  # books_set_subjects adds their subjects
        created = Book.objects.bulk_create(books)
        SearchWord.add_words_of(book.search_text for book in created)
        transaction.on_commit(cache.bump_catalogue_version, using=using)
    return created


def books_update(*, books: Sequence[Book], fields: Sequence[str]) -> int:
    """Save these columns of many books at once; never the review statistics."""
    fields = [name for name in fields if name not in NEVER_EDITED]
    with transaction.atomic(), bulk_writes():
        for book in books:
            book.author_slug = slug_of_author(book.author)
        updated = Book.objects.bulk_update(books, fields, batch_size=500)
        if Book.SEARCHED_FIELDS & set(fields):
            Book.objects.filter(pk__in=[book.pk for book in books]).refresh_search_text()
        transaction.on_commit(cache.bump_catalogue_version)
    return updated


def books_set_subjects(*, subjects: Mapping[Book, Sequence[str]]) -> None:
    """Give each book exactly these subject names, in a fixed number of queries for all of them."""
    Through = Book.subjects.through
    by_slug = {
        subject.slug: subject for subject in subjects_named(name for names in subjects.values() for name in names)
    }
    with transaction.atomic(), bulk_writes():
        Through.objects.filter(book_id__in=[book.pk for book in subjects]).delete()
        links = {
            (book.pk, by_slug[slug].pk)
            for book, names in subjects.items()
            for slug in (Subject.slug_for(" ".join(name.split())[:100]) for name in names)
            if slug in by_slug
        }
        Through.objects.bulk_create([Through(book_id=book_id, subject_id=subject_id) for book_id, subject_id in links])
        Book.objects.filter(pk__in=[book.pk for book in subjects]).refresh_search_text()
        transaction.on_commit(cache.bump_catalogue_version)


def reviews_create(*, reviews: Iterable[Review], batch_size: int = 5000) -> int:
    """Add many reviews at once, then recompute their books' statistics in one UPDATE."""
    count = 0
    book_ids: set[Any] = set()
    with transaction.atomic(), bulk_writes():
        batch: list[Review] = []
        for review in reviews:
            batch.append(review)
            if len(batch) == batch_size:
                count += _insert_reviews(batch, book_ids)
                batch = []
        count += _insert_reviews(batch, book_ids)
        Book.objects.filter(pk__in=book_ids).recompute_review_stats()
        transaction.on_commit(cache.bump_catalogue_version)
    return count


def book_delete(*, book: Book) -> bool:
    """Delete a book with its reviews and, after the commit, its files. False if it was gone.

    The row is locked and read again first: a review posted meanwhile is deleted with it
    instead of failing the delete, and the files removed are the ones the row points at now.
    """
    using = router.db_for_write(Book, instance=book)
    with transaction.atomic(using=using):
        current = Book.objects.using(using).select_for_update().filter(pk=book.pk).first()
        if current is None:
            return False
        current.delete(using=using)
    return True


def review_add(*, review: Review) -> Review:
    """Post a review, or raise Book.DoesNotExist if its book was deleted meanwhile.

    The book row is locked first, so a delete either waits for the review (and removes it
    with the book) or has finished, and the review is refused instead of breaking the
    foreign key (an IntegrityError) on either side.
    """
    using = router.db_for_write(Review, instance=review)
    with transaction.atomic(using=using):
        _lock_book(review.book_id, using)
        review.save(using=using, force_insert=True)
    return review


def review_edit(*, review: Review) -> Review:
    """Save an edited review, or raise Review.DoesNotExist (or Book.DoesNotExist) if it was
    deleted meanwhile: never inserted again."""
    using = router.db_for_write(Review, instance=review)
    with transaction.atomic(using=using):
        _lock_book(review.book_id, using)
        if not Review.objects.using(using).filter(pk=review.pk).exists():
            raise Review.DoesNotExist(f"Review {review.pk} was deleted meanwhile")
        review.save(using=using, force_update=True)
    return review


def review_delete(*, review: Review) -> None:
    """Delete a review. Its book is locked first, as every writer of a book's reviews does
    (book before reviews), so this never deadlocks with the book's own delete."""
    using = router.db_for_write(Review, instance=review)
    with transaction.atomic(using=using):
        if _lock_book(review.book_id, using, missing_ok=True):
            review.delete(using=using)


def _lock_book(pk: Any, using: str, *, missing_ok: bool = False) -> bool:
    """SELECT … FOR UPDATE the book until the commit; Book.DoesNotExist if it is gone."""
    if Book.objects.using(using).select_for_update().filter(pk=pk).exists():
        return True
    if missing_ok:
        return False
    raise Book.DoesNotExist(f"Book {pk} was deleted meanwhile")


def books_delete(*, books: QuerySet[Book]) -> int:
    """Delete books with their reviews; their files go after the commit. Returns the rows deleted."""
    with transaction.atomic(), bulk_writes():
        list(books.select_for_update().values_list("pk", flat=True))  # as book_delete
        deleted, _ = books.delete()
        transaction.on_commit(cache.bump_catalogue_version)
    return deleted


def _insert_reviews(batch: list[Review], book_ids: set[Any]) -> int:
    Review.objects.bulk_create(batch)
    book_ids.update(review.book_id for review in batch)
    return len(batch)


def _cover_names(book: Book) -> tuple[str, str]:
    return (book.cover.name or "", book.cover_thumbnail.name or "")


def _lock_and_read_cover_names(book: Book, using: str) -> tuple[str, str]:
    """The cover the row holds now, locked until the commit; Book.DoesNotExist if deleted."""
    row = Book.objects.using(using).select_for_update().filter(pk=book.pk).values_list("cover", "cover_thumbnail")
    current = row.first()
    if current is None:
        raise Book.DoesNotExist(f"Book {book.pk} was deleted meanwhile")
    return (current[0] or "", current[1] or "")


def _delete_after_commit(storage: Storage, names: Iterable[str], using: str) -> None:
    names = [name for name in names if name]
    names += [variant for name in names for variant in keys.variant_keys(name, settings.COVER_VARIANT_WIDTHS)]
    if names:
        transaction.on_commit(functools.partial(delete_quietly, storage, names), using=using)


def _set_cover_fields(book: Book, stored: StoredCover | None) -> None:
    book.cover.name = stored.image_name if stored else ""
    book.cover_thumbnail.name = stored.thumbnail_name if stored else ""
    book.thumbnail_width = stored.cover.thumbnail.width if stored else None
    book.thumbnail_height = stored.cover.thumbnail.height if stored else None
    book.cover_variants = stored.cover.variant_widths if stored else {}
