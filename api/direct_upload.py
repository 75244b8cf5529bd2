"""Covers uploaded straight to the bucket: the API hands out a presigned POST for a key it
chose, then finalizes what arrived through the same pipeline as any upload.

The `upload` handle is signed and names the key, the member and the book, so a client can
neither pick a key nor finalize someone else's upload; it expires shortly after the POST.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from ninja import Status
from ninja.errors import HttpError

from books.models import Book
from covers import incoming
from covers.keys import INCOMING_PREFIX

from . import auth, schemas
from .api import WRITE_ERRORS, _own_book, api, book_detail, caller, save_cover

SALT = "api.direct-upload"
NOT_AVAILABLE = "Direct upload needs S3 storage: POST the file to /books/{id}/cover instead."
BAD_HANDLE = "This upload handle is not valid or has expired."
NOT_YOURS = "This upload belongs to another member."
MISSING = "Nothing was uploaded for this handle, or it was finalized already."
# The handle outlives the POST's expiry by the time a slow upload may still take to finish.
GRACE_SECONDS = 600


def _storage() -> Any:
    storage = Book._meta.get_field("cover").storage
    if not incoming.available(storage):
        raise HttpError(404, NOT_AVAILABLE)
    return storage


@api.post(
    "/books/{book_id}/cover/direct-uploads",
    response={201: schemas.DirectUpload, **WRITE_ERRORS},
    auth=auth.WRITE,
    tags=["covers"],
)
def start_direct_upload(request: HttpRequest, book_id: UUID) -> Any:
    """A presigned POST to the bucket for a new cover of this book (S3 storage only)."""
    book = _own_book(request, book_id)
    post = incoming.presign(_storage())
    handle = signing.dumps({"name": post.name, "member": caller(request).user.pk, "book": str(book.pk)}, salt=SALT)
    return Status(
        201,
        {
            "url": post.url,
            "fields": post.fields,
            "upload": handle,
            "max_bytes": post.max_bytes,
            "expires_in": post.expires_in,
        },
    )


@api.post(
    "/books/{book_id}/cover/direct-uploads/finalize",
    response={200: schemas.BookDetail, **WRITE_ERRORS},
    auth=auth.WRITE,
    tags=["covers"],
)
def finalize_direct_upload(request: HttpRequest, book_id: UUID, payload: schemas.FinalizeIn) -> Any:
    """Run what was uploaded through the cover pipeline and make it this book's cover."""
    storage = _storage()
    book = _own_book(request, book_id)
    max_age = settings.BOOKSTORE_DIRECT_UPLOAD_EXPIRY + GRACE_SECONDS
    try:
        handle = signing.loads(payload.upload, salt=SALT, max_age=max_age)
        name, member, for_book = str(handle["name"]), handle["member"], str(handle["book"])
    except (signing.BadSignature, KeyError, TypeError) as exc:
        raise HttpError(400, BAD_HANDLE) from exc
    if member != caller(request).user.pk:
        raise HttpError(403, NOT_YOURS)
    if for_book != str(book.pk) or not name.startswith(INCOMING_PREFIX):
        raise HttpError(400, BAD_HANDLE)
    try:
        upload = incoming.read(storage, name)
    except incoming.UploadMissing as exc:
        raise HttpError(404, MISSING) from exc
    try:
        book = save_cover(request, book, upload)
    finally:
        incoming.delete(storage, name)
    return book_detail(book, request)
