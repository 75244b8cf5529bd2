"""The cover pipeline: an uploaded file in, the bytes to store out.

Plain functions that know nothing of views or storage. Forms call `process_cover`; it
either returns a `ProcessedCover` or raises a `ValidationError` whose message a person
understands.
"""

import io
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
NOT_AN_IMAGE = "This file is not a JPEG, PNG or WebP image."


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    format: str
    width: int
    height: int

    @property
    def extension(self):
        return EXTENSIONS[self.format]

    @property
    def content_type(self):
        return CONTENT_TYPES[self.format]


@dataclass(frozen=True)
class ProcessedCover:
    image: EncodedImage
    thumbnail: EncodedImage


def process_cover(upload):
    """Validate an uploaded cover and return its re-encoded image and thumbnail."""
    upload.seek(0)
    try:
        with Image.open(upload, formats=ALLOWED_FORMATS) as source:
            source_format = source.format
            source.load()
            image = ImageOps.exif_transpose(source)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        logger.info("Refused cover upload: %s", exc)
        raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from exc
    return ProcessedCover(
        image=_encode(image, source_format),
        thumbnail=_encode(_thumbnail(image), source_format),
    )


def _thumbnail(image):
    thumb = image.copy()
    thumb.thumbnail(settings.COVER_THUMBNAIL_SIZE)
    return thumb


def _encode(image, image_format):
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return EncodedImage(buffer.getvalue(), image_format, image.width, image.height)
