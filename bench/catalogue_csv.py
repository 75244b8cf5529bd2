"""Import and export timings and memory: `make bench-csv`.

Imports a generated 10,000-row Goodreads export (1 % bad rows) twice (the second run changes
nothing), then streams the member's export of 100,000 books and reports the peak memory
the export added. Uses a throw-away database beside DATABASE_URL's (bench_csv_<name>): run with
DATABASE_URL=postgres://… for the PostgreSQL figures.
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from books.importing import import_books  # noqa: E402
from tests.catalogue_files import goodreads_csv  # noqa: E402

IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
EXPORT_ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "100000"))


def bench_import(member) -> None:
    data = goodreads_csv(IMPORT_ROWS, bad_every=100)
    for attempt in ("first", "second"):
        started = time.perf_counter()
        report = import_books(io.StringIO(data), creator=member)
        elapsed = time.perf_counter() - started
        print(f"import {IMPORT_ROWS:,} Goodreads rows, {attempt} run: {elapsed:.1f} s — {report.summary()}")


def bench_export(member) -> None:
    import tracemalloc

    from books.exporting import book_lines
    from books.models import Book
    from books.services import books_create, books_set_subjects

    have = Book.objects.filter(creator=member).count()
    for start in range(have, EXPORT_ROWS, 5000):
        size = min(5000, EXPORT_ROWS - start)
        books = [
            Book(title=f"Export bench book {n}", author=f"Writer {n % 997}", price=n % 50, publisher="Bench Press",
                 publication_year=1900 + n % 120, pages=50 + n % 900, language="en", creator=member,
                 description="A line of description that a real catalogue would carry. " * 3)
            for n in range(start, start + size)
        ]  # fmt: skip
        books_create(books=books, covers=[None] * size)
        books_set_subjects(subjects={book: ["Bench", f"Shelf {n % 20}"] for n, book in enumerate(books)})
    total = Book.objects.filter(creator=member).count()
    tracemalloc.start()
    started = time.perf_counter()
    size = lines = 0
    for line in book_lines(Book.objects.filter(creator=member)):
        size += len(line)
        lines += 1
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    started = time.perf_counter()
    for _ in book_lines(Book.objects.filter(creator=member)):
        pass
    untraced = time.perf_counter() - started
    print(
        f"export {total:,} books ({lines - 1:,} rows, {size / 1e6:.1f} MB of CSV) streamed in {untraced:.1f} s "
        f"({elapsed:.1f} s under tracemalloc); "
        f"peak Python memory during the export {peak / 1e6:.1f} MB"
    )


def main() -> None:
    vendor = connection.vendor
    print(f"database: {vendor}")
    # Its own name, so that a test run on the same server is never clobbered.
    connection.settings_dict["TEST"]["NAME"] = f"bench_csv_{connection.settings_dict['NAME']}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        member = get_user_model().objects.create(username="bench-importer")
        bench_import(member)
        bench_export(member)
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
