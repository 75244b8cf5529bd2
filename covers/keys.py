"""Storage key names for covers: chosen by the server (a random token and the extension of the
type actually written), never reused (docs/ARCHITECTURE.md, "The life of a cover file").

A cover's width variants (covers.pipeline.make_variants) are named after the cover itself,
`covers/<token>-w320.avif`, so whoever knows the cover's name knows theirs: no list of
names is kept, and they are deleted, audited and copied with it."""

import re
import uuid

COVER_PREFIX = "covers/"
THUMBNAIL_SUFFIX = "-thumb"
# Direct uploads land here first (covers/incoming.py); nothing here is ever served.
INCOMING_PREFIX = "incoming/"

# Every extension a variant is written in, whether or not this server's Pillow writes it.
VARIANT_EXTENSIONS = ("avif", "webp")
# The extensions a cover itself may have (the pipeline writes jpg, png or webp).
COVER_EXTENSIONS = ("jpg", "png", "webp", "jpeg")
_VARIANT = re.compile(r"^(?P<stem>.+)-w(?P<width>[0-9]+)\.(?P<extension>avif|webp)$")


def new_token() -> str:
    return uuid.uuid4().hex


def cover_key(token: str, extension: str) -> str:
    return f"{COVER_PREFIX}{token}.{extension}"


def thumbnail_key(token: str, extension: str) -> str:
    return f"{COVER_PREFIX}{token}{THUMBNAIL_SUFFIX}.{extension}"


def incoming_key() -> str:
    return f"{INCOMING_PREFIX}{new_token()}"


def _stem(cover_name: str) -> str:
    return cover_name.rsplit(".", 1)[0] if "." in cover_name.rsplit("/", 1)[-1] else cover_name


def variant_key(cover_name: str, width: int, extension: str) -> str:
    """The name of `cover_name`'s variant `width` pixels wide: covers/<token>-w<width>.<ext>."""
    return f"{_stem(cover_name)}-w{width}.{extension}"


def variant_keys(cover_name: str, widths: tuple[int, ...] | list[int]) -> list[str]:
    """Every name a variant of `cover_name` may have at `widths` (in any variant format)."""
    if not cover_name or not is_cover(cover_name):
        return []
    return [variant_key(cover_name, width, extension) for width in widths for extension in VARIANT_EXTENSIONS]


def is_cover(name: str) -> bool:
    """A cover itself: not its thumbnail, not one of its variants."""
    stem = _stem(name)
    return not stem.endswith(THUMBNAIL_SUFFIX) and _VARIANT.match(name) is None


def variant_stem(name: str) -> str | None:
    """The stem (name without extension) of the cover `name` is a variant of, or None."""
    match = _VARIANT.match(name)
    return match["stem"] if match else None


def cover_candidates(stem: str) -> list[str]:
    """The names the cover with this stem may have."""
    return [f"{stem}.{extension}" for extension in COVER_EXTENSIONS]


def upload_to(instance: object, filename: str) -> str:
    """`upload_to` for files saved directly through the model (admin scripts, fixtures).

    Uploads from the site go through `covers.pipeline` and `books.services`, which pick
    the extension from the detected type; here only the extension survives, lower-cased.
    """
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    if not extension.isalnum() or len(extension) > 5:
        extension = "bin"
    return cover_key(new_token(), extension)
