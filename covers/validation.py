"""The checks an uploaded cover passes, cheapest first; each refusal is a ValidationError with a
message a person understands, and its reason is logged without the uploader's file name."""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise
from PIL import Image

logger = logging.getLogger(__name__)

# libmagic's answer -> the Pillow formats that may decode it. (Pillow's JPEG opener hands
# a JPEG carrying several pictures, as phone cameras write, back as format "MPO".)
ALLOWED_MIME_TYPES = {
    "image/jpeg": ("JPEG",),
    "image/png": ("PNG",),
    "image/webp": ("WEBP",),
}
# libmagic needs only the first bytes to name every type it knows; the rest of the file
# is Pillow's business.
MAGIC_HEAD_BYTES = 2048
MEGABYTE = 1024 * 1024

NOT_AN_IMAGE = _("This file is not a JPEG, PNG or WebP image.")
EMPTY = _("The file is empty. Choose a JPEG, PNG or WebP image.")
TOO_LARGE = _("The file is %(size)s MB; the limit is %(limit)s MB.")
TOO_MANY_PIXELS = _("The image is %(megapixels)s megapixels; the limit is %(limit)s.")
DAMAGED = _("The image is damaged or incomplete.")
TOO_SMALL = _(
    "The image is %(width)s × %(height)s pixels; a cover needs at least %(minimum)s pixels on its short side."
)


def refuse(message: str | _StrPromise, code: str, reason: str, params: dict[str, Any] | None = None) -> ValidationError:
    """The `ValidationError` for a refused upload, after logging why it was refused."""
    logger.info("Refused cover upload (%s): %s", code, reason)
    return ValidationError(message, code=code, params=params)


def check_size(upload: UploadedFile) -> None:
    """Refuse an empty or oversized upload from the size the upload handler counted.

    `upload.size` is the number of bytes Django actually received, not a header the
    browser sent, so nothing needs to be read to refuse a huge file.
    """
    size = getattr(upload, "size", None)
    if size is None:
        return  # not counted (a plain file object): read_upload's cap still applies
    if size == 0:
        raise refuse(EMPTY, "empty", "zero bytes")
    limit = settings.COVER_MAX_UPLOAD_BYTES
    if size > limit:
        raise _too_large(size, limit)


def read_upload(upload: UploadedFile) -> bytes:
    """The upload's bytes, never more than the size cap (plus one byte to notice more)."""
    limit = settings.COVER_MAX_UPLOAD_BYTES
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        # `size` lied (a file object that grew, or a caller outside the form): still capped.
        raise _too_large(len(data), limit)
    if not data:
        raise refuse(EMPTY, "empty", "no bytes to read")
    return data


def check_content_type(data: bytes) -> tuple[str, ...]:
    """Ask libmagic what the first bytes are; return the Pillow formats allowed to decode it.

    The file name's extension and the browser's Content-Type are never consulted.
    """
    mime = magic.from_buffer(data[:MAGIC_HEAD_BYTES], mime=True)
    formats = ALLOWED_MIME_TYPES.get(mime)
    if formats is None:
        raise refuse(NOT_AN_IMAGE, "unsupported_type", f"libmagic says {mime}")
    return formats


def pixel_limit() -> int:
    """The effective pixel cap: ours, or Pillow's own bomb limit if someone set it lower.

    Anything Pillow would only warn about (DecompressionBombWarning) is above this limit,
    so it is refused here rather than decoded with a warning in the log.
    """
    limit = settings.COVER_MAX_PIXELS
    if Image.MAX_IMAGE_PIXELS:
        limit = min(limit, Image.MAX_IMAGE_PIXELS)
    return limit


def check_pixels(width: int, height: int) -> None:
    """Refuse an image whose header declares more pixels than the cap, or too few to show as a
    cover (COVER_MIN_EDGE on the short side), before decoding."""
    limit = pixel_limit()
    if width * height > limit:
        raise too_many_pixels(width * height, limit, f"{width}x{height}")
    minimum = settings.COVER_MIN_EDGE
    if min(width, height) < minimum:
        params = {"width": width, "height": height, "minimum": minimum}
        raise refuse(TOO_SMALL, "too_small", f"{width}x{height}, short side under {minimum}", params)


def too_many_pixels(pixels: int, limit: int, detail: str) -> ValidationError:
    return refuse(
        TOO_MANY_PIXELS,
        "too_many_pixels",
        f"{detail} = {pixels} pixels, limit {limit}",
        {"megapixels": _round_up(pixels / 1_000_000), "limit": _round_down(limit / 1_000_000)},
    )


def damaged(reason: str) -> ValidationError:
    return refuse(DAMAGED, "damaged", reason)


def _too_large(size: int, limit: int) -> ValidationError:
    return refuse(
        TOO_LARGE,
        "too_large",
        f"{size} bytes, limit {limit}",
        {"size": _round_up(size / MEGABYTE), "limit": _round_down(limit / MEGABYTE)},
    )


# Sizes over a limit are rounded up and limits down, so that a refused value never reads
# as equal to the limit ("5.1 MB; the limit is 5 MB", not "5 MB; the limit is 5 MB").
def _round_up(value: float) -> str:
    return _one_decimal(math.ceil(value * 10) / 10)


def _round_down(value: float) -> str:
    return _one_decimal(math.floor(value * 10) / 10)


def _one_decimal(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")
