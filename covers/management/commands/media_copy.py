"""Copy local media (MEDIA_ROOT) into the configured storage: moving a site to a bucket.

Idempotent: a file already present with the same size is skipped, so an interrupted copy is
simply run again. Each copied object's size is read back and compared. Exits with status 1
if any file failed.
"""

from __future__ import annotations

import mimetypes
import sys
from pathlib import Path
from typing import Any

import magic
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from covers.listing import StoredFile, concrete, cover_fields, iter_stored_files

GENERIC_TYPES = {"application/octet-stream", "text/plain", "inode/x-empty"}


def content_type(file: File, name: str) -> str:
    """The type libmagic reads from the content; the name's extension only as a fallback."""
    detected = magic.from_buffer(file.read(4096), mime=True)
    file.seek(0)
    if detected in GENERIC_TYPES:
        detected = mimetypes.guess_type(name)[0] or detected
    return detected


class Command(BaseCommand):
    help = (
        "Copy MEDIA_ROOT into the configured storage (the bucket named by AWS_STORAGE_BUCKET_NAME), "
        "skipping files already there with the same size."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", default=None, help="Folder to copy from (default: MEDIA_ROOT).")
        parser.add_argument("--dry-run", action="store_true", help="Only say what would be copied.")
        parser.add_argument("--page-size", type=int, default=1000, help="Objects listed per request (max 1000).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (shown on a terminal).")

    def handle(
        self, *args: Any, source: str | None, dry_run: bool, page_size: int, no_progress: bool, **options: Any
    ) -> None:
        return self.copy_all(FileSystemStorage(location=source or settings.MEDIA_ROOT), dry_run, page_size, no_progress)

    def copy_all(self, source: FileSystemStorage, dry_run: bool, page_size: int, no_progress: bool) -> None:
        destination = concrete(cover_fields()[0].storage)
        if (
            isinstance(destination, FileSystemStorage)
            and Path(destination.location).resolve() == Path(source.location).resolve()
        ):
            raise CommandError(
                f"The configured storage is {source.location} itself: set AWS_STORAGE_BUCKET_NAME (and the "
                "other AWS_* variables) to the bucket to copy into."
            )
        if not Path(source.location).is_dir():
            raise CommandError(f"{source.location} is not a folder.")

        # One listing (a request per 1000 objects) instead of a HEAD per file.
        present = {stored.name: stored.size for stored in iter_stored_files(destination, "", page_size)}
        files = sorted(
            (stored for stored in iter_stored_files(source) if not _hidden(stored.name)), key=lambda f: f.name
        )

        copied = skipped = failed = 0
        progress = tqdm(files, desc="Copying", unit=" files", disable=True if no_progress else None, file=sys.stderr)
        for stored in progress:
            if present.get(stored.name) == stored.size:
                skipped += 1
                continue
            if dry_run:
                self.stdout.write(f"would copy {stored.name} ({stored.size} bytes)")
                copied += 1
                continue
            try:
                self.copy(source, destination, stored, replace=stored.name in present)
                copied += 1
            except Exception as exc:
                failed += 1
                self.stderr.write(f"failed: {stored.name}: {type(exc).__name__}: {exc}")

        verb = "Would copy" if dry_run else "Copied"
        self.stdout.write(
            f"{verb} {copied} files, skipped {skipped} already present with the same size, {failed} failed."
        )
        if failed:
            raise CommandError(
                f"{failed} files could not be copied; run the command again to retry them.", returncode=1
            )

    def copy(self, source: Storage, destination: Storage, stored: StoredFile, replace: bool) -> None:
        if replace and not getattr(destination, "file_overwrite", False):
            # A different size means a broken earlier copy; storages that do not overwrite
            # would save beside it under another name.
            destination.delete(stored.name)
        with source.open(stored.name, "rb") as file:
            # S3Storage sends this as the object's Content-Type; Cache-Control and the rest
            # come from the storage's own settings, as for uploads from the site.
            file.content_type = content_type(file, stored.name)  # type: ignore[attr-defined]  # read by S3Storage
            saved = destination.save(stored.name, file)
        if saved != stored.name:
            raise OSError(f"stored as {saved}")
        size = destination.size(saved)
        if size != stored.size:
            raise OSError(f"{size} bytes arrived of {stored.size}")
        self.stdout.write(f"copied {stored.name} ({stored.size} bytes)", self.style.SUCCESS)


def _hidden(name: str) -> bool:
    # .DS_Store, .gitkeep and the like are no one's media.
    return any(part.startswith(".") for part in name.split("/"))
