"""Direct uploads to S3: a presigned POST for a key the server chose under `incoming/`, then a
bounded read of what arrived. The object is never served: it goes through the cover pipeline
like any upload and is deleted whatever the outcome (media_audit and a bucket lifecycle rule
remove the ones nobody finalized)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext_lazy as _

from . import keys
from .files import STORAGE_UNAVAILABLE, CoverStorageError
from .listing import concrete, is_s3

logger = logging.getLogger(__name__)
_TOTAL = re.compile(r"/(\d+)$")


SALT = "api.direct-upload"
BAD_HANDLE = _("This upload handle is not valid or has expired.")
NOT_YOURS = _("This upload belongs to another member.")
MISSING = _("Nothing was uploaded for this handle, or it was finalized already.")
# The handle outlives the POST's expiry by the time a slow upload may still take to finish.
GRACE_SECONDS = 600


class UploadMissing(Exception):
    """Nothing under that key: never uploaded, expired, or already finalized."""


class HandleRefused(Exception):
    """A handle this member may not finalize here; `status` is the API's answer."""

    def __init__(self, message: Any, status: int) -> None:
        super().__init__(str(message))
        self.message, self.status = message, status


@dataclass(frozen=True)
class PresignedPost:
    name: str  # the storage name, under incoming/
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int


def available(storage: Storage) -> bool:
    return is_s3(storage)


def _key(storage: Any, name: str) -> str:
    location = storage.location.strip("/")
    return f"{location}/{name}" if location else name


def presign(storage: Storage) -> PresignedPost:
    """A POST the bucket accepts once, within the expiry, for 1 byte to the cover cap, at a fresh key."""
    s3: Any = concrete(storage)
    name = keys.incoming_key()
    cap, expiry = settings.COVER_MAX_UPLOAD_BYTES, settings.BOOKSTORE_DIRECT_UPLOAD_EXPIRY
    try:
        post = s3.connection.meta.client.generate_presigned_post(
            Bucket=s3.bucket_name,
            Key=_key(s3, name),
            Conditions=[["content-length-range", 1, cap]],
            ExpiresIn=expiry,
        )
    except Exception as exc:  # no request is made: only a broken configuration gets here
        logger.error("Could not presign a direct upload: %s: %s", type(exc).__name__, exc)
        raise CoverStorageError(STORAGE_UNAVAILABLE) from exc
    return PresignedPost(name, post["url"], dict(post["fields"]), cap, expiry)


def read(storage: Storage, name: str) -> SimpleUploadedFile:
    """What arrived under `name`, as an upload the cover pipeline takes: at most cap + 1 bytes
    are read (a ranged GET), and `size` is the object's real size, so an oversized object is
    refused by its size without reading it."""
    if not name.startswith(keys.INCOMING_PREFIX) or ".." in name:
        raise ValueError(f"not a direct upload: {name}")
    s3: Any = concrete(storage)
    client = s3.connection.meta.client
    cap = settings.COVER_MAX_UPLOAD_BYTES
    try:
        answer = client.get_object(Bucket=s3.bucket_name, Key=_key(s3, name), Range=f"bytes=0-{cap}")
        data = answer["Body"].read(cap + 1)
        total = _TOTAL.search(answer.get("ContentRange") or "")
        size = int(total[1]) if total else int(answer.get("ContentLength", len(data)))
    except client.exceptions.NoSuchKey as exc:
        raise UploadMissing(name) from exc
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") == "InvalidRange":
            data, size = b"", 0  # an empty object has no byte 0
        else:
            logger.error("Could not read direct upload %s: %s: %s", name, type(exc).__name__, exc)
            raise CoverStorageError(STORAGE_UNAVAILABLE) from exc
    upload = SimpleUploadedFile("direct-upload", data[: cap + 1])
    upload.size = size
    return upload


def sign(post: PresignedPost, member: Any, book: Any = None) -> str:
    """The `upload` handle for a presigned POST: it binds the key to the member and, when
    given, the book (None: the site's form for a book not saved yet, or any of theirs)."""
    return signing.dumps({"name": post.name, "member": member, "book": None if book is None else str(book)}, salt=SALT)


def claim(handle: str, member: Any, book: Any) -> str:
    """The incoming key a handle names, if `member` may finalize it for `book`: the one
    check the API's finalize and the site's form share. Raises HandleRefused."""
    max_age = settings.BOOKSTORE_DIRECT_UPLOAD_EXPIRY + GRACE_SECONDS
    try:
        data = signing.loads(handle, salt=SALT, max_age=max_age)
        name, owner, for_book = str(data["name"]), data["member"], data["book"]
    except (signing.BadSignature, KeyError, TypeError) as exc:
        raise HandleRefused(BAD_HANDLE, 400) from exc
    if owner != member:
        raise HandleRefused(NOT_YOURS, 403)
    if (for_book is not None and for_book != str(book)) or not name.startswith(keys.INCOMING_PREFIX) or ".." in name:
        raise HandleRefused(BAD_HANDLE, 400)
    return name


@contextmanager
def claimed(storage: Storage, handle: str, member: Any, book: Any) -> Iterator[SimpleUploadedFile]:
    """What the handle's upload holds (claim, then read), for the cover pipeline; the incoming
    object is deleted afterwards, whatever the outcome. Raises HandleRefused, UploadMissing or
    CoverStorageError before yielding. The API's finalize and the site's form both use it."""
    name = claim(handle, member, book)
    upload = read(storage, name)
    try:
        yield upload
    finally:
        delete(storage, name)


def delete(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception as exc:  # left for media_audit / the lifecycle rule
        logger.warning("Could not delete direct upload %s: %s: %s", name, type(exc).__name__, exc)
