"""Make the AVIF/WebP width variants of covers stored before they existed.

    python manage.py cover_variants [--all] [--no-progress]

Idempotent: a book whose row already lists its variants is skipped, so an interrupted run is
simply run again (a variant file left by it is written over). A book whose cover is replaced
or deleted meanwhile keeps what its new cover has: the variants made here are deleted again.
Exits with status 1 if any cover could not be read or stored.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from books import cache
from books.models import Book
from covers import keys
from covers.files import CoverStorageError, delete_quietly, store_files
from covers.pipeline import variant_widths, variants_of_stored


class Command(BaseCommand):
    help = "Make the AVIF/WebP width variants of every stored cover that has none yet (shows a progress bar)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Make them again for every cover, even those with some.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (shown on a terminal).")

    def handle(self, *args: Any, all: bool, no_progress: bool, **options: Any) -> None:
        storage = Book._meta.get_field("cover").storage
        books = Book.objects.exclude(cover="")
        if not all:
            books = books.filter(cover_variants={})
        rows = list(books.order_by("pk").values_list("pk", "cover"))
        made = skipped = failed = 0
        bar = tqdm(rows, desc="Cover variants", unit=" covers", disable=True if no_progress else None, file=sys.stderr)
        for pk, name in bar:
            try:
                with storage.open(name, "rb") as file:
                    data = file.read()
                variants = variants_of_stored(data)
                files = [(keys.variant_key(name, variant.width, variant.extension), variant) for variant in variants]
                # A file left by an interrupted run would make the storage pick another name.
                delete_quietly(storage, [key for key, _variant in files])
                stored = store_files(storage, files)
            except (OSError, ValidationError, CoverStorageError) as exc:
                failed += 1
                self.stderr.write(f"failed: book {pk} cover {name}: {type(exc).__name__}: {exc}")
                continue
            # Only if the row still shows this cover: a replaced cover has its own variants.
            if Book.objects.filter(pk=pk, cover=name).update(cover_variants=variant_widths(variants)):
                made += 1
            else:
                skipped += 1
                delete_quietly(storage, stored)
        if made:
            cache.bump_catalogue_version()  # cached pages show the new <picture> elements
        self.stdout.write(
            f"Made variants for {made} covers; {skipped} changed meanwhile (skipped), {failed} failed; "
            f"{len(rows)} needed them."
        )
        if failed:
            raise CommandError(f"{failed} covers failed; run the command again to retry them.", returncode=1)
