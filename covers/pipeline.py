"""The cover pipeline: an uploaded file in, the bytes to store out, or a ValidationError a person
understands. Knows nothing of views or storage (docs/ARCHITECTURE.md, "An upload")."""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import ExifTags, Image, ImageCms, ImageOps, features

from . import validation

logger = logging.getLogger(__name__)

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "AVIF": "avif"}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "AVIF": "image/avif"}
NOT_AN_IMAGE = validation.NOT_AN_IMAGE
BUSY = "The server is busy with other cover images. Please try again in a moment."

# The settings every write uses; bench/covers.py uses the same ones for its baseline.
SAVE_OPTIONS = {
    "JPEG": {"quality": 85, "optimize": True},
    "PNG": {"compress_level": 6},
    "WEBP": {"quality": 85, "method": 4},
}
# Width variants for phones and srcset (make_variants): smaller files at the quality a
# screen shows. AVIF first (about half of WebP's bytes), if this Pillow was built with it.
VARIANT_FORMATS: tuple[str, ...] = ("AVIF", "WEBP") if features.check("avif") else ("WEBP",)
VARIANT_SAVE_OPTIONS = {
    "AVIF": {"quality": 50, "speed": 8},
    "WEBP": {"quality": 75, "method": 4},
}
# A progressive JPEG costs a pass over the whole image per scan; a few thousand tiny
# scans make a small file that decodes for minutes. Encoders write about ten.
MAX_JPEG_SCANS = 100
SRGB = ImageCms.createProfile("sRGB")
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    format: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


@dataclass(frozen=True)
class ProcessedCover:
    image: EncodedImage
    thumbnail: EncodedImage
    # The cover at COVER_VARIANT_WIDTHS narrower than itself, in each of VARIANT_FORMATS.
    variants: tuple[EncodedImage, ...] = ()

    @property
    def variant_widths(self) -> dict[str, list[int]]:
        """What Book.cover_variants records: {"avif": [160, 320, ...], "webp": [...]}."""
        return variant_widths(self.variants)


def variant_widths(variants: tuple[EncodedImage, ...] | list[EncodedImage]) -> dict[str, list[int]]:
    widths: dict[str, list[int]] = {EXTENSIONS[image_format]: [] for image_format in VARIANT_FORMATS}
    for variant in variants:
        widths.setdefault(variant.extension, []).append(variant.width)
    return widths


def process_cover(upload: UploadedFile) -> ProcessedCover:
    """Validate an uploaded cover and return its re-encoded image and thumbnail."""
    validation.check_size(upload)
    data = validation.read_upload(upload)
    formats = validation.check_content_type(data)
    return process_bytes(data, formats)


def process_bytes(data: bytes, formats: tuple[str, ...] = ("JPEG", "PNG", "WEBP")) -> ProcessedCover:
    """Decode `data` (already size- and type-checked) and write the cover and thumbnail."""
    max_edge = settings.COVER_MAX_EDGE
    with processing_slot(), open_image(data, formats) as source:
        image = decode(source, data, max_edge)
        try:
            image = to_display_mode(image)
            image = scale_down(image, max_edge)
            image = apply_orientation(image)
            output_format = choose_format(image, source.format)
            cover = encode(image, output_format)
            thumbnail = encode(make_thumbnail(image, settings.COVER_THUMBNAIL_SIZE), output_format)
            variants = make_variants(image)
        except Exception as exc:
            # Metadata (EXIF, colour profiles) is still parsed here: a refusal, never a 500.
            raise _damaged_from(exc) from exc
    return ProcessedCover(image=cover, thumbnail=thumbnail, variants=variants)


def make_variants(image: Image.Image) -> tuple[EncodedImage, ...]:
    """The display-ready `image` at each of COVER_VARIANT_WIDTHS not wider than itself,
    encoded in each of VARIANT_FORMATS (narrowest first)."""
    variants = []
    for width in sorted(settings.COVER_VARIANT_WIDTHS):
        if width > image.width:
            break
        height = max(1, round(image.height * width / image.width))
        resized = image
        if width != image.width:
            resized = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=2.0)
        for image_format in VARIANT_FORMATS:
            variants.append(encode(resized, image_format, VARIANT_SAVE_OPTIONS[image_format]))
    return tuple(variants)


def variants_of_stored(data: bytes) -> tuple[EncodedImage, ...]:
    """Variants of a cover already stored by this pipeline (`manage.py cover_variants`):
    its pixels are display-ready, so it is only decoded (in a processing slot) and resized."""
    with processing_slot(), open_image(data, ("JPEG", "PNG", "WEBP")) as source:
        largest = max(settings.COVER_VARIANT_WIDTHS)
        image = decode(source, data, max(largest * 2, settings.COVER_THUMBNAIL_SIZE[1]))
        image = to_display_mode(image)
        return make_variants(image)


_slots: tuple[int, threading.BoundedSemaphore] | None = None
_slots_lock = threading.Lock()


def _semaphore() -> threading.BoundedSemaphore:
    global _slots
    size = max(1, settings.COVER_PROCESSING_CONCURRENCY)
    with _slots_lock:
        if _slots is None or _slots[0] != size:
            _slots = (size, threading.BoundedSemaphore(size))
        return _slots[1]


@contextmanager
def processing_slot() -> Iterator[None]:
    """One of COVER_PROCESSING_CONCURRENCY decode slots of this process, or a "busy" refusal.

    A decoded image costs up to ~3 bytes a pixel several times over (decode, convert, resize,
    encode), so a process's memory for covers is bounded by the slots, not by its threads.
    """
    semaphore = _semaphore()
    if not semaphore.acquire(timeout=settings.COVER_PROCESSING_WAIT_SECONDS):
        raise validation.refuse(BUSY, "busy", "no free decode slot")
    try:
        yield
    finally:
        semaphore.release()


def open_image(data: bytes, formats: tuple[str, ...]) -> Image.Image:
    """Pillow on `data`, restricted to `formats`, refused if the header declares too many pixels."""
    try:
        source = Image.open(io.BytesIO(data), formats=formats)
    except Image.DecompressionBombError as exc:
        # Pillow's own cap fired while reading the header: refuse with our message.
        match = _BOMB_PIXELS.search(str(exc))
        pixels = int(match.group(1)) if match else validation.pixel_limit() + 1
        raise validation.too_many_pixels(pixels, validation.pixel_limit(), "Pillow bomb check") from exc
    except Image.UnidentifiedImageError as exc:
        raise validation.damaged(f"Pillow cannot identify it as {'/'.join(formats)}") from exc
    except Exception as exc:
        raise _damaged_from(exc) from exc
    try:
        validation.check_pixels(*source.size)
    except Exception:
        source.close()
        raise
    return source


def decode(source: Image.Image, data: bytes, max_edge: int) -> Image.Image:
    """Decode the whole image (its first frame), so damage is found now, not in a browser.

    A JPEG that will be scaled down anyway is decoded at 1/2, 1/4 or 1/8 scale by libjpeg
    (draft mode): every byte is still read, at a fraction of the time and memory.
    """
    try:
        if getattr(source, "n_frames", 1) > 1:
            logger.info("Cover upload is animated (%d frames): keeping the first", getattr(source, "n_frames", 1))
            source.seek(0)
        if source.format in ("JPEG", "MPO"):
            scans = data.count(b"\xff\xda")
            if scans > MAX_JPEG_SCANS:
                raise validation.damaged(f"JPEG with {scans} scans")
            source.draft(None, fit_within(source.size, (max_edge, max_edge)))
        source.load()
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:
        raise validation.too_many_pixels(validation.pixel_limit() + 1, validation.pixel_limit(), str(exc)) from exc
    except Exception as exc:
        raise _damaged_from(exc) from exc
    return source


def _damaged_from(exc: Exception) -> ValidationError:
    # Decoders of untrusted bytes raise more than OSError (SyntaxError, ValueError,
    # struct.error, EOFError, ...); whatever it is, the upload is refused, never a 500.
    expected = isinstance(exc, (OSError, SyntaxError, ValueError, EOFError, IndexError))
    if not expected:
        logger.warning("Unexpected error while decoding a cover upload", exc_info=exc)
    return validation.damaged(f"{type(exc).__name__}: {exc}")


def to_display_mode(image: Image.Image) -> Image.Image:
    """Convert to L, RGB or RGBA in sRGB: what every browser shows the same way.

    Alpha is kept only if some pixel is actually transparent.
    """
    image = _to_srgb(image)
    mode = image.mode
    if mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        # convert("L") would clip everything above 255 to white: scale 16 bits to 8.
        image = image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    elif "transparency" in image.info or mode in ("LA", "La", "PA", "RGBa"):
        image = image.convert("RGBA")
    elif mode == "1":
        image = image.convert("L")
    elif mode not in ("L", "RGB", "RGBA"):
        image = image.convert("RGB")  # CMYK without a profile, YCbCr, P without transparency
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert pixels from an embedded non-sRGB colour profile to sRGB.

    Profiles are never written out (browsers assume sRGB), so a wide-gamut or CMYK image
    is converted here instead of displaying with wrong colours.
    """
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(profile).lower():
            return image
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, profile, SRGB, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        logger.info("Ignoring an unusable colour profile in a cover upload: %s", exc)
        return image
    if converted is None:  # only when converting in place, which this call does not ask for
        return image
    converted.info = {key: value for key, value in image.info.items() if key != "icc_profile"}
    return converted


def scale_down(image: Image.Image, max_edge: int) -> Image.Image:
    size = fit_within(image.size, (max_edge, max_edge))
    if size == image.size:
        return image
    # Antialiased bilinear: half Lanczos' cost on the pipeline's costliest step (bench/covers.py),
    # and the cover is always shown smaller; the thumbnail, seen at full size, keeps Lanczos.
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)


def apply_orientation(image: Image.Image) -> Image.Image:
    """Turn the pixels upright as the EXIF Orientation says (the tag itself is not kept)."""
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        return ImageOps.exif_transpose(image)
    return image


def make_thumbnail(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    size = fit_within(image.size, box)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def fit_within(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """`size` scaled down (never up) to fit in `box`, keeping its aspect ratio."""
    width, height = size
    scale = min(box[0] / width, box[1] / height, 1)
    return max(1, round(width * scale)), max(1, round(height * scale))


def choose_format(image: Image.Image, source_format: str | None) -> str:
    """JPEG for anything opaque; transparency is kept, as WebP if it came as WebP, else PNG.

    A photo uploaded as PNG would stay several times larger than the upload cap as PNG.
    """
    if image.mode != "RGBA":
        return "JPEG"
    return "WEBP" if source_format == "WEBP" else "PNG"


def encode(image: Image.Image, image_format: str, options: Mapping[str, Any] | None = None) -> EncodedImage:
    """A fresh file: pixels only, no EXIF, XMP, IPTC, ICC, comments or trailing bytes."""
    # Pillow copies some of `info` (JPEG comment, PNG ICC profile and transparency) into
    # the file it writes unless told otherwise, so the image is written with none.
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **(SAVE_OPTIONS[image_format] if options is None else options))
    return EncodedImage(buffer.getvalue(), image_format, image.width, image.height)
