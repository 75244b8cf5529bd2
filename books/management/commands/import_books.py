"""Import books from a Goodreads export or a Bookstore CSV.

python manage.py import_books FILE --creator USERNAME [--dry-run] [--report report.csv]
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from books.importing import ImportFileError, count_rows, import_books


class Command(BaseCommand):
    help = "Import books from a Goodreads export CSV or a Bookstore CSV; idempotent by ISBN."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file")
        parser.add_argument("--creator", required=True, help="username of the member the books are added by")
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        parser.add_argument("--report", type=Path, help="also write the per-row report to this CSV file")

    def handle(self, *args: Any, file: Path, creator: str, dry_run: bool, report: Path | None, **options: Any) -> None:
        member = get_user_model().objects.filter(username=creator).first()
        if member is None:
            raise CommandError(f"No member is called “{creator}”.")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from exc
        verbosity = options.get("verbosity", 1)
        started = time.monotonic()
        with tqdm(total=count_rows(data), unit="row", desc="Importing", disable=verbosity == 0) as bar:
            try:
                result = import_books(_text(data, file), creator=member, dry_run=dry_run, progress=bar.update)
            except ImportFileError as exc:
                raise CommandError(str(exc)) from exc
        for row in result.results:
            if row.status == "skipped" or verbosity >= 2:
                reason = f": {row.reason}" if row.reason else ""
                self.stdout.write(f"row {row.row}: {row.status} “{row.title}”{reason}")
        if report:
            with report.open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(["row", "status", "title", "reason"])
                writer.writerows([r.row, r.status, r.title, r.reason] for r in result.results)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"{result.summary()} ({elapsed:.1f} s)"))


def _text(data: bytes, file: Path) -> io.StringIO:
    try:
        return io.StringIO(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise CommandError(f"{file} is not UTF-8 text (Goodreads and Bookstore both export UTF-8).") from exc
