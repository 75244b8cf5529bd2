"""Reading a CSV of books (Goodreads' export or Bookstore's own) into the catalogue.

Rows are checked one by one against the model's own field rules, with no query; the good
ones are written a batch at a time through the bulk services, each batch in one
transaction. A bad row is reported and never written, so it neither stops the others nor
leaves a half-made book. Matching is by ISBN (or, without one, by title and author among
the importing member's books), so importing the same file twice changes nothing.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import CustomUser

from .isbn import normalize_isbn
from .languages import normalize_language
from .models import Book, Review
from .services import books_create, books_set_subjects, books_update, reviews_create

BATCH_SIZE = 1000
# The columns an import writes, in Bookstore's CSV (books.exporting writes the same).
BOOKSTORE_COLUMNS = (
    "isbn",
    "title",
    "author",
    "price",
    "description",
    "publisher",
    "publication_year",
    "pages",
    "language",
    "subjects",
)
DETAIL_FIELDS = ("title", "author", "price", "description", "publisher", "publication_year", "pages", "language")
SUBJECT_SEPARATOR = ";"
# Goodreads' shelves that say where a book stands, not what it is about.
GOODREADS_STATUS_SHELVES = frozenset({"read", "to-read", "currently-reading", "did-not-finish"})
CHECKED_FIELDS = ("title", "author", "price", "description", "publisher", "publication_year", "pages", "language")


class ImportFileError(ValueError):
    """The file as a whole cannot be read: not a CSV of a known shape."""


@dataclass
class RowResult:
    row: int  # the line's number in the file, the header being line 1
    status: str  # created, updated or skipped
    title: str = ""
    reason: str = ""


@dataclass
class ImportReport:
    results: list[RowResult] = field(default_factory=list)
    dry_run: bool = False

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    def summary(self) -> str:
        counts = {
            "created": self.count("created"),
            "updated": self.count("updated"),
            "skipped": self.count("skipped"),
            "rows": len(self.results),
        }
        if self.dry_run:
            text = ngettext(
                "Would have created %(created)s, updated %(updated)s, skipped %(skipped)s of %(rows)s row.",
                "Would have created %(created)s, updated %(updated)s, skipped %(skipped)s of %(rows)s rows.",
                counts["rows"],
            )
        else:
            text = ngettext(
                "Have created %(created)s, updated %(updated)s, skipped %(skipped)s of %(rows)s row.",
                "Have created %(created)s, updated %(updated)s, skipped %(skipped)s of %(rows)s rows.",
                counts["rows"],
            )
        return text % counts


@dataclass
class ParsedRow:
    row: int
    book: Book
    subjects: list[str] | None  # None: the file says nothing about subjects
    rating: int | None = None
    review: str = ""

    @property
    def key(self) -> Any:
        return self.book.isbn or ("title-author", self.book.title.casefold(), self.book.author.casefold())


def read_csv(stream: TextIO) -> tuple[str, Iterator[dict[str, str]]]:
    """The file's format ("goodreads" or "bookstore") and its rows as dicts."""
    reader = csv.DictReader(stream)
    header = {name.strip() for name in reader.fieldnames or ()}
    if {"Title", "Author", "ISBN13"} <= header:
        return "goodreads", reader
    if {"title", "author"} <= header:
        return "bookstore", reader
    raise ImportFileError(
        _(
            "This is not a Goodreads export nor a Bookstore CSV: the first line should name the "
            "columns (Goodreads: Title, Author, ISBN13, …; Bookstore: title, author, isbn, price, …)."
        )
    )


def goodreads_value(value: str | None) -> str:
    """Goodreads writes ISBNs as ="0441172717" so that spreadsheets keep the zeros."""
    value = (value or "").strip()
    if value.startswith('="') and value.endswith('"'):
        value = value[2:-1]
    return value.strip()


def _row_from_goodreads(raw: dict[str, str]) -> dict[str, Any]:
    isbn = goodreads_value(raw.get("ISBN13")) or goodreads_value(raw.get("ISBN"))
    shelves = [s.strip() for s in (raw.get("Bookshelves") or "").split(",")]
    rating = goodreads_value(raw.get("My Rating"))
    return {
        "isbn": isbn,
        "title": raw.get("Title", ""),
        "author": raw.get("Author", ""),
        "price": "0",  # Goodreads knows no price: the book is added at 0.00, to be priced
        "publisher": raw.get("Publisher", ""),
        "publication_year": goodreads_value(raw.get("Year Published"))
        or goodreads_value(raw.get("Original Publication Year")),
        "pages": goodreads_value(raw.get("Number of Pages")),
        "subjects": [s for s in shelves if s and s not in GOODREADS_STATUS_SHELVES] or None,
        "rating": rating if rating not in ("", "0") else "",
        "review": raw.get("My Review", ""),
    }


def bookstore_value(value: str | None) -> str:
    """books.exporting writes a cell a spreadsheet would run as a formula after an apostrophe."""
    value = value or ""
    if value.startswith("'") and value[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return value[1:]
    return value


def _row_from_bookstore(raw: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {name: bookstore_value(raw.get(name)) for name in BOOKSTORE_COLUMNS}
    subjects = raw.get("subjects")
    values["subjects"] = None if subjects is None else [s for s in subjects.split(SUBJECT_SEPARATOR) if s.strip()]
    values["rating"] = raw.get("my_rating") or ""
    values["review"] = bookstore_value(raw.get("my_review"))
    return values


def parse_row(number: int, values: dict[str, Any], creator: CustomUser) -> ParsedRow:
    """A Book (not saved) from one row's values, checked by the model's field rules; no query."""
    isbn = normalize_isbn(values["isbn"])
    try:
        price = Decimal(str(values["price"]).strip().lstrip("$") or "0")
    except InvalidOperation:
        raise ValidationError({"price": _("“%(value)s” is not a price.") % {"value": values["price"]}}) from None
    book = Book(
        isbn=isbn,
        title=" ".join(values["title"].split()),
        author=" ".join(values["author"].split()),
        price=price,
        description=values.get("description", "").strip(),
        publisher=values["publisher"].strip(),
        publication_year=_whole_number(values["publication_year"], "publication_year"),
        pages=_whole_number(values["pages"], "pages"),
        language=normalize_language(values.get("language", "")),
        creator=creator,
    )
    book.clean_fields(exclude=[f.name for f in Book._meta.fields if f.name not in CHECKED_FIELDS])
    rating = _whole_number(values["rating"], "rating")
    if rating is not None and not 1 <= rating <= 5:
        raise ValidationError({"rating": "A rating is 1 to 5 stars."})
    subjects = values["subjects"]
    return ParsedRow(
        number,
        book,
        None if subjects is None else [s.strip()[:100] for s in subjects],
        rating,
        values["review"].strip(),
    )


def _whole_number(value: str, name: str) -> int | None:
    value = str(value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationError({name: _("“%(value)s” is not a whole number.") % {"value": value}}) from None


def describe(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    return " ".join(error.messages)


def import_books(
    stream: TextIO,
    *,
    creator: CustomUser,
    dry_run: bool = False,
    progress: Callable[[int], object] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import every row of a CSV; `progress(n)` is told after each batch of n rows."""
    kind, rows = read_csv(stream)
    convert = _row_from_goodreads if kind == "goodreads" else _row_from_bookstore
    report = ImportReport(dry_run=dry_run)
    seen: dict[Any, int] = {}
    # Each batch commits on its own (a large import shows progress and keeps what it wrote);
    # a dry run writes inside one transaction that it then rolls back.
    with transaction.atomic() if dry_run else contextlib.nullcontext():
        batch: list[ParsedRow] = []
        consumed = 0
        for number, raw in enumerate(rows, start=2):
            consumed += 1
            try:
                parsed = parse_row(number, convert(raw), creator)
            except ValidationError as error:
                title = raw.get("Title") or raw.get("title") or ""
                report.results.append(RowResult(number, "skipped", title, describe(error)))
            else:
                if parsed.key in seen:
                    reason = _("the same book as row %(row)s") % {"row": seen[parsed.key]}
                    report.results.append(RowResult(number, "skipped", parsed.book.title, reason))
                else:
                    seen[parsed.key] = number
                    batch.append(parsed)
            if consumed == batch_size:
                report.results += _write_batch(batch, creator)
                if progress:
                    progress(consumed)
                batch, consumed = [], 0
        report.results += _write_batch(batch, creator)
        if progress and consumed:
            progress(consumed)
        if dry_run:
            transaction.set_rollback(True)
    report.results.sort(key=lambda result: result.row)
    return report


def _write_batch(batch: list[ParsedRow], creator: CustomUser) -> list[RowResult]:
    """Write one batch in one savepoint; if the database refuses it (a book added meanwhile
    with the same ISBN), write its rows one by one so that only the offending rows fail."""
    if not batch:
        return []
    try:
        with transaction.atomic():
            return _write_rows(batch, creator)
    except DatabaseError:
        if len(batch) == 1:
            row = batch[0]
            return [RowResult(row.row, "skipped", row.book.title, "the database refused it (added meanwhile?)")]
        results = []
        for row in batch:
            results += _write_batch([row], creator)
        return results


def _write_rows(batch: list[ParsedRow], creator: CustomUser) -> list[RowResult]:
    isbns = [row.book.isbn for row in batch if row.book.isbn]
    existing: dict[Any, Book] = {
        book.isbn: book for book in Book.objects.filter(isbn__in=isbns).select_related("creator")
    }
    titles = {row.book.title for row in batch if not row.book.isbn}
    for book in Book.objects.filter(creator=creator, isbn="", title__in=titles):
        existing.setdefault(("title-author", book.title.casefold(), book.author.casefold()), book)
    results, new, changed, subjects, reviews = [], [], [], {}, []
    for row in batch:
        current = existing.get(row.key)
        if current is None:
            new.append(row.book)
            results.append(RowResult(row.row, "created", row.book.title))
            if row.subjects:
                subjects[row.book] = row.subjects
            if row.review or row.rating:
                reviews.append(Review(book=row.book, author=creator, review=row.review or "", rating=row.rating))
        elif current.creator_id != creator.pk:
            by = current.creator.username
            results.append(
                RowResult(
                    row.row,
                    "skipped",
                    row.book.title,
                    _("ISBN already in the catalogue, added by %(member)s") % {"member": by},
                )
            )
        elif _apply_changes(current, row.book):
            changed.append(current)
            results.append(RowResult(row.row, "updated", row.book.title))
            if row.subjects is not None:
                subjects[current] = row.subjects
        else:
            results.append(RowResult(row.row, "skipped", row.book.title, "already in the catalogue, unchanged"))
    if new:
        books_create(books=new, covers=[None] * len(new))
    if changed:
        books_update(books=changed, fields=[*DETAIL_FIELDS, "author_slug"])
    if subjects:
        books_set_subjects(subjects=subjects)
    if reviews:
        reviews_create(reviews=[r for r in reviews if r.review])
    return results


def _apply_changes(current: Book, incoming: Book) -> bool:
    """Copy the incoming row's non-empty details onto the stored book; True when one differs."""
    changed = False
    for name in DETAIL_FIELDS:
        value = getattr(incoming, name)
        if value in ("", None) or getattr(current, name) == value:
            continue
        setattr(current, name, value)
        changed = True
    return changed


def count_rows(data: bytes) -> int:
    """Rows in a CSV file (for a progress bar's total): its records, less the header."""
    return max(sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig")))) - 1, 0)
