"""Storage key names for covers: chosen by the server (a random token and the extension of the
type actually written), never reused (docs/ARCHITECTURE.md, "The life of a cover file")."""

import uuid

COVER_PREFIX = "covers/"
THUMBNAIL_SUFFIX = "-thumb"
# Direct uploads land here first (covers/incoming.py); nothing here is ever served.
INCOMING_PREFIX = "incoming/"


def new_token() -> str:
    return uuid.uuid4().hex


def cover_key(token: str, extension: str) -> str:
    return f"{COVER_PREFIX}{token}.{extension}"


def thumbnail_key(token: str, extension: str) -> str:
    return f"{COVER_PREFIX}{token}{THUMBNAIL_SUFFIX}.{extension}"


def incoming_key() -> str:
    return f"{INCOMING_PREFIX}{new_token()}"


def upload_to(instance: object, filename: str) -> str:
    """`upload_to` for files saved directly through the model (admin scripts, fixtures).

    Uploads from the site go through `covers.pipeline` and `books.services`, which pick
    the extension from the detected type; here only the extension survives, lower-cased.
    """
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    if not extension.isalnum() or len(extension) > 5:
        extension = "bin"
    return cover_key(new_token(), extension)
