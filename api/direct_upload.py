"""Covers uploaded straight to the bucket: the API hands out a presigned POST for a key it
chose, then finalizes what arrived through the same pipeline as any upload.

The `upload` handle is signed and names the key, the member and the book, so a client can
neither pick a key nor finalize someone else's upload; it expires shortly after the POST.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils import translation
from ninja import Status
from ninja.errors import HttpError

from books.models import Book
from covers import incoming
from covers.incoming import BAD_HANDLE, MISSING, NOT_YOURS, SALT  # noqa: F401  # the API's words, in one place

from . import auth, schemas
from .api import WRITE_ERRORS, _own_book, api, book_detail, caller, save_cover

NOT_AVAILABLE = "Direct upload needs S3 storage: POST the file to /books/{id}/cover instead."


def _storage() -> Any:
    storage = Book._meta.get_field("cover").storage
    if not incoming.available(storage):
        raise HttpError(404, NOT_AVAILABLE)
    return storage


def _english(message: Any) -> str:
    with translation.override("en"):  # the API's messages are English; the form's, the reader's
        return str(message)


def _grant(post: incoming.PresignedPost, handle: str) -> Status[dict[str, Any]]:
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
    "/books/{book_id}/cover/direct-uploads",
    response={201: schemas.DirectUpload, **WRITE_ERRORS},
    auth=auth.WRITE,
    tags=["covers"],
)
def start_direct_upload(request: HttpRequest, book_id: UUID) -> Any:
    """A presigned POST to the bucket for a new cover of this book (S3 storage only)."""
    book = _own_book(request, book_id)
    post = incoming.presign(_storage())
    return _grant(post, incoming.sign(post, caller(request).user.pk, book.pk))


@api.post(
    "/covers/direct-uploads",
    response={201: schemas.DirectUpload, **WRITE_ERRORS},
    auth=auth.WRITE,
    tags=["covers"],
)
def start_unbound_direct_upload(request: HttpRequest) -> Any:
    """A presigned POST for a cover not tied to a book yet (the site's form for a new book):
    its handle is finalized by the same member on any book of theirs (S3 storage only)."""
    storage = _storage()
    post = incoming.presign(storage)
    return _grant(post, incoming.sign(post, caller(request).user.pk))


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
    try:
        with incoming.claimed(storage, payload.upload, caller(request).user.pk, book.pk) as upload:
            book = save_cover(request, book, upload)
    except incoming.HandleRefused as exc:
        raise HttpError(exc.status, _english(exc.message)) from exc
    except incoming.UploadMissing as exc:
        raise HttpError(404, _english(MISSING)) from exc
    return book_detail(book, request)
