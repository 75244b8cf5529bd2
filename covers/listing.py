"""What a storage holds, listed a page at a time, and which model fields hold covers:
shared by media_audit and media_copy.

Django's Storage API has no "list with sizes and dates": `listdir()` plus `size()` and
`get_modified_time()` would cost two requests per object on S3. So the two backends this
site uses are listed natively (ListObjectsV2 pages of up to 1000 keys, os.scandir), and any
other backend falls back to that portable but slow path.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.apps import apps
from django.core.files.storage import FileSystemStorage, Storage
from django.db.models import FileField
from django.utils.functional import LazyObject, empty

from .keys import upload_to

try:
    from storages.backends.s3 import S3Storage
except ImportError:  # pragma: no cover - django-storages is a runtime dependency
    S3Storage = None


def cover_fields() -> list[FileField]:
    """Every model field whose files covers names (upload_to=covers.keys.upload_to).

    Found through the app registry, so covers never imports the apps that use it.
    """
    return [
        field
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, FileField) and field.upload_to is upload_to
    ]


@dataclass(frozen=True)
class StoredFile:
    name: str  # as the database stores it: relative to MEDIA_ROOT, or to AWS_LOCATION
    size: int
    modified: datetime


def concrete(storage: Any) -> Storage:
    """The storage behind Django's lazy `default_storage`, for isinstance() tests."""
    if not isinstance(storage, LazyObject):
        return storage
    lazy: Any = storage  # its private members are not in django-stubs
    if lazy._wrapped is empty:
        lazy._setup()
    return lazy._wrapped


def is_s3(storage: Storage) -> bool:
    return S3Storage is not None and isinstance(concrete(storage), S3Storage)


def iter_stored_files(storage: Storage, prefix: str = "", page_size: int = 1000) -> Iterator[StoredFile]:
    """Every file under `prefix` ("covers/"), in no particular order, one page at a time."""
    storage = concrete(storage)
    if is_s3(storage):
        yield from _iter_s3(storage, prefix, page_size)
    elif isinstance(storage, FileSystemStorage):
        yield from _iter_local(storage, prefix)
    else:
        yield from _iter_generic(storage, prefix.rstrip("/"))


def _iter_s3(storage: Any, prefix: str, page_size: int) -> Iterator[StoredFile]:
    location = storage.location.strip("/")
    location_prefix = f"{location}/" if location else ""
    paginator = storage.connection.meta.client.get_paginator("list_objects_v2")
    pages = paginator.paginate(
        Bucket=storage.bucket_name, Prefix=location_prefix + prefix, PaginationConfig={"PageSize": page_size}
    )
    for page in pages:
        for item in page.get("Contents", ()):
            if item["Key"].endswith("/"):
                continue  # a "folder" marker some tools create, not a file
            yield StoredFile(item["Key"][len(location_prefix) :], item["Size"], item["LastModified"])


def _iter_local(storage: FileSystemStorage, prefix: str) -> Iterator[StoredFile]:
    root = storage.location
    start = os.path.join(root, prefix)
    if not os.path.isdir(start):
        return
    for directory, _subdirectories, files in os.walk(start):
        for filename in files:
            path = os.path.join(directory, filename)
            stat = os.stat(path)
            name = os.path.relpath(path, root).replace(os.sep, "/")
            yield StoredFile(name, stat.st_size, datetime.fromtimestamp(stat.st_mtime, tz=UTC))


def _iter_generic(storage: Storage, directory: str) -> Iterator[StoredFile]:
    subdirectories, files = storage.listdir(directory)
    for filename in files:
        name = posixpath.join(directory, filename)
        yield StoredFile(name, storage.size(name), storage.get_modified_time(name))
    for subdirectory in subdirectories:
        yield from _iter_generic(storage, posixpath.join(directory, subdirectory))
