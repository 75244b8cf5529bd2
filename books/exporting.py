"""CSV exports, written row by row as the response streams, so no export sits in memory.

The books' columns are Bookstore's CSV (books.importing.BOOKSTORE_COLUMNS): an export
imports back into the same catalogue.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db.models import Prefetch, QuerySet

from .importing import BOOKSTORE_COLUMNS, SUBJECT_SEPARATOR
from .models import Book, Review, Subject

CHUNK_SIZE = 2000  # rows fetched per query; subjects are fetched once per chunk
REVIEW_COLUMNS = ("book_isbn", "book_title", "book_author", "rating", "review", "created_at")
# A cell starting with one of these is a formula to a spreadsheet: it is written after an
# apostrophe, which books.importing takes off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)  # the BOM tells spreadsheets it is UTF-8
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def book_rows(books: QuerySet[Book], *, with_creator: bool = False) -> Iterator[list[Any]]:
    subjects = Prefetch("subjects", queryset=Subject.objects.only("name"))
    fields = [name for name in BOOKSTORE_COLUMNS if name != "subjects"]
    queryset = books.order_by("created_at", "id").only(*fields, "creator__username" if with_creator else "id")
    if with_creator:
        queryset = queryset.select_related("creator")
    for book in queryset.prefetch_related(subjects).iterator(chunk_size=CHUNK_SIZE):
        row = [getattr(book, name) if name != "subjects" else "" for name in BOOKSTORE_COLUMNS]
        row[BOOKSTORE_COLUMNS.index("subjects")] = SUBJECT_SEPARATOR.join(s.name for s in book.subjects.all())
        row = ["" if value is None else value for value in row]
        yield [*row, book.creator.username] if with_creator else row


def book_lines(books: QuerySet[Book], *, with_creator: bool = False) -> Iterator[str]:
    header = [*BOOKSTORE_COLUMNS, "creator"] if with_creator else list(BOOKSTORE_COLUMNS)
    return csv_lines(header, book_rows(books, with_creator=with_creator))


def review_lines(reviews: QuerySet[Review]) -> Iterator[str]:
    rows = (
        reviews.order_by("id")
        .values_list("book__isbn", "book__title", "book__author", "rating", "review", "created_at")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    return csv_lines(REVIEW_COLUMNS, (["" if v is None else v for v in row] for row in rows))
