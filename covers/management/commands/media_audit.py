"""Compare stored cover files with the database.

Lists orphans (stored under covers/ but used by no book) and rows whose cover or thumbnail
file is missing. A cover's width variants (covers/<token>-w320.avif) are used while their
cover is. A dry run unless --delete-orphans is given; exits with status 1 when it
finds a problem, so cron or a monitoring job can alert on it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import timedelta
from itertools import chain, islice
from typing import Any, TypeVar

from django.core.files.storage import Storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import FileField
from django.utils import timezone
from tqdm import tqdm

from covers import keys
from covers.keys import COVER_PREFIX, INCOMING_PREFIX
from covers.listing import StoredFile, cover_fields, iter_stored_files

T = TypeVar("T")

DURATION = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def duration(text: str) -> timedelta:
    match = DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 90m, 24h or 7d")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class Command(BaseCommand):
    help = (
        "Compare stored covers (the bucket or MEDIA_ROOT) with the database: list orphaned files "
        "and books whose file is missing. Exits with status 1 when it finds a problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--delete-orphans",
            action="store_true",
            help="Delete orphans older than the grace period (without it, nothing is changed).",
        )
        parser.add_argument(
            "--older-than",
            type=duration,
            default=duration("24h"),
            metavar="DURATION",
            help="Grace period, e.g. 90m, 24h, 7d (default 24h). Younger orphans may be uploads whose "
            "transaction has not committed yet: they are listed but never deleted or counted as problems.",
        )
        parser.add_argument("--page-size", type=int, default=1000, help="Objects listed per request (max 1000).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (shown on a terminal).")

    def handle(
        self,
        *args: Any,
        delete_orphans: bool,
        older_than: timedelta,
        page_size: int,
        no_progress: bool,
        **options: Any,
    ) -> None:
        fields = cover_fields()
        storage = fields[0].storage
        progress: dict[str, Any] = {"disable": True if no_progress else None, "file": sys.stderr}

        # Snapshot of what the database uses, taken before listing: a cover uploaded and
        # committed meanwhile is younger than the grace period, so it is never deleted.
        used = {}
        for field in fields:
            label = f"{field.model._meta.verbose_name} {{pk}} {field.name}"
            rows = field.model._default_manager.exclude(**{field.name: ""}).values_list("pk", field.name)
            for pk, name in rows.iterator(chunk_size=2000):
                used[name] = label.format(pk=pk)

        used_stems = {name.rsplit(".", 1)[0] for name in used}
        cutoff = timezone.now() - older_than
        found, orphans, recent = set(), [], []
        listed = variants = 0
        # Direct uploads nobody finalized (covers/incoming.py) are orphans too once past the grace period.
        listing = chain.from_iterable(iter_stored_files(storage, p, page_size) for p in (COVER_PREFIX, INCOMING_PREFIX))
        for stored in tqdm(listing, desc="Listing", unit=" files", **progress):
            listed += 1
            if stored.name in used:
                found.add(stored.name)
            elif keys.variant_stem(stored.name) in used_stems:
                variants += 1
            elif stored.modified <= cutoff:
                orphans.append(stored)
            else:
                recent.append(stored)

        missing = []
        for name, owner in sorted(used.items(), key=lambda item: item[1]):
            # Files outside covers/ (none by default) were not listed: ask for them one by one.
            if name not in found and (name.startswith(COVER_PREFIX) or not storage.exists(name)):
                missing.append((owner, name))

        for stored in orphans:
            self.stdout.write(f"orphan: {stored.name} ({stored.size} bytes, {stored.modified:%Y-%m-%d %H:%M} UTC)")
        for stored in recent:
            self.stdout.write(f"recent orphan, within the grace period: {stored.name}")
        for owner, name in missing:
            self.stdout.write(f"missing file: {owner} {name}")

        deleted = failed = 0
        if delete_orphans and orphans:
            deleted, failed = self.delete(storage, fields, orphans, progress)

        of_covers = f" and {variants} width variants of their covers" if variants else ""
        summary = (
            f"{listed} files listed, {len(used)} used by books{of_covers}: {len(orphans)} orphans older than "
            f"{options_duration(older_than)}, {len(recent)} younger, {len(missing)} missing files."
        )
        if delete_orphans:
            summary += f" Deleted {deleted} orphans" + (f", {failed} could not be deleted." if failed else ".")
        elif orphans:
            summary += " Dry run: run again with --delete-orphans to delete the orphans."
        self.stdout.write(summary)
        if orphans or missing:
            raise CommandError(f"{len(orphans) + len(missing)} problems found", returncode=1)

    def delete(
        self, storage: Storage, fields: list[FileField], orphans: list[StoredFile], progress: dict[str, Any]
    ) -> tuple[int, int]:
        deleted = failed = 0
        with tqdm(total=len(orphans), desc="Deleting", unit=" files", **progress) as bar:
            for batch in batched(orphans, 500):
                names = [stored.name for stored in batch]
                # Checked again just before deleting: a row may have been restored or
                # written since the snapshot. A used file is never deleted.
                now_used: set[str] = set()
                stems = {stem for name in names if (stem := keys.variant_stem(name))}
                candidates = names + [cover for stem in stems for cover in keys.cover_candidates(stem)]
                for field in fields:
                    rows = field.model._default_manager.filter(**{f"{field.name}__in": candidates})
                    now_used.update(rows.values_list(field.name, flat=True))
                now_stems = {name.rsplit(".", 1)[0] for name in now_used}
                for name in names:
                    if name in now_used or keys.variant_stem(name) in now_stems:
                        self.stdout.write(f"kept {name}: a book uses it now")
                    else:
                        try:
                            storage.delete(name)
                            deleted += 1
                        except Exception as exc:
                            failed += 1
                            self.stderr.write(f"could not delete {name}: {type(exc).__name__}: {exc}")
                    bar.update(1)
        return deleted, failed


def options_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
