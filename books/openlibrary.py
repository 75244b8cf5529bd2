"""Book details and covers from Open Library by ISBN, for the add-a-book form.

One fixed host per kind of request (OPENLIBRARY_BASE_URL for data, OPENLIBRARY_COVERS_URL
for covers), a short timeout, a User-Agent that names the site as Open Library asks, and
no redirect to any other host. Every failure becomes an `OpenLibraryError` whose message a
member can act on; the caller leaves the form as it was.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext_lazy as _

from covers import ProcessedCover, process_cover

# Lazy: said in the reader's language when the error is shown.
NOT_FOUND = _("Open Library has no book with the ISBN %s. Please fill in the details yourself.")
RATE_LIMITED = _(
    "Open Library is receiving too many requests just now. Please try again in a minute, "
    "or fill in the details yourself."
)
UNREACHABLE = _("Open Library could not be reached. Please try again later, or fill in the details yourself.")
COVER_TOO_LARGE = _("Open Library's cover is larger than the site accepts.")
NO_COVER = _("Open Library has no cover for this ISBN.")


class OpenLibraryError(Exception):
    pass


class _NotFound(OpenLibraryError):
    pass


@dataclass
class FoundBook:
    isbn: str
    title: str = ""
    author: str = ""
    publisher: str = ""
    publication_year: int | None = None
    pages: int | None = None
    language: str = ""
    subjects: list[str] = field(default_factory=list)
    has_cover: bool = False

    def form_values(self) -> dict[str, Any]:
        """The form fields this lookup fills (the ones it found)."""
        values: dict[str, Any] = {
            "title": self.title,
            "author": self.author,
            "publisher": self.publisher,
            "publication_year": self.publication_year,
            "pages": self.pages,
            "language": self.language,
            "subjects": ", ".join(self.subjects),
        }
        return {name: value for name, value in values.items() if value not in ("", None)}


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the host asked (Open Library sends /isbn/… to /books/…)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            raise OpenLibraryError(UNREACHABLE)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# HTTP(S) only: build_opener() would also open file: and ftp: URLs.
_opener = urllib.request.OpenerDirector()
for _handler in (
    urllib.request.HTTPHandler(),
    urllib.request.HTTPSHandler(),
    _SameHostRedirects(),
    urllib.request.HTTPDefaultErrorHandler(),
    urllib.request.HTTPErrorProcessor(),
):
    _opener.add_handler(_handler)


def _get(url: str, *, limit: int) -> tuple[bytes, str]:
    """The body (at most `limit` bytes, else an error) and Content-Type of a GET."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise OpenLibraryError(UNREACHABLE)
    request = urllib.request.Request(url, headers={"User-Agent": settings.OPENLIBRARY_USER_AGENT})  # noqa: S310 - checked above
    try:
        with _opener.open(request, timeout=settings.OPENLIBRARY_TIMEOUT) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise OpenLibraryError(COVER_TOO_LARGE)
            body = response.read(limit + 1)
            if len(body) > limit:
                raise OpenLibraryError(COVER_TOO_LARGE)
            return body, response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise _NotFound(NOT_FOUND) from exc
        if exc.code == 429:
            raise OpenLibraryError(RATE_LIMITED) from exc
        raise OpenLibraryError(UNREACHABLE) from exc
    except (OSError, ValueError) as exc:  # URLError, timeouts, resets, a bad URL
        raise OpenLibraryError(UNREACHABLE) from exc


def _json(url: str) -> Any:
    body, _ = _get(url, limit=2 * 1024 * 1024)
    try:
        return json.loads(body)
    except ValueError as exc:
        raise OpenLibraryError(UNREACHABLE) from exc


def lookup(isbn: str) -> FoundBook:
    """The details Open Library has for an ISBN-13 (books.isbn.normalize_isbn's form)."""
    base = settings.OPENLIBRARY_BASE_URL.rstrip("/")
    query = urllib.parse.urlencode({"bibkeys": f"ISBN:{isbn}", "format": "json", "jscmd": "data"})
    try:
        answer = _json(f"{base}/api/books?{query}")
    except _NotFound:
        answer = {}
    data = answer.get(f"ISBN:{isbn}") if isinstance(answer, dict) else None
    if not isinstance(data, dict) or not data:
        raise OpenLibraryError(NOT_FOUND % isbn)
    found = FoundBook(
        isbn=isbn,
        title=_text(data.get("title")),
        author=", ".join(_text(a.get("name")) for a in data.get("authors") or [] if isinstance(a, dict)),
        publisher=", ".join(_text(p.get("name")) for p in data.get("publishers") or [] if isinstance(p, dict)),
        publication_year=_year(data.get("publish_date")),
        pages=_positive(data.get("number_of_pages")),
        subjects=[_text(s.get("name"))[:100] for s in data.get("subjects") or [] if isinstance(s, dict)][:20],
        has_cover=bool(data.get("cover")),
    )
    found.language = _language(base, isbn)
    return found


def _language(base: str, isbn: str) -> str:
    """The edition's first language, from /isbn/<isbn>.json; "" when that fails (optional)."""
    from .languages import normalize_language

    try:
        edition = _json(f"{base}/isbn/{isbn}.json")
        key = edition["languages"][0]["key"]  # "/languages/eng": a MARC code
        return normalize_language(key.rsplit("/", 1)[-1])
    except (OpenLibraryError, LookupError, TypeError, ValueError):
        return ""


def fetch_cover(isbn: str) -> ProcessedCover:
    """Open Library's large cover of an ISBN, through the same pipeline as an upload.

    The size cap is applied while reading; the pipeline checks type and pixels before decoding.
    """
    base = settings.OPENLIBRARY_COVERS_URL.rstrip("/")
    try:
        body, content_type = _get(f"{base}/b/isbn/{isbn}-L.jpg?default=false", limit=settings.COVER_MAX_UPLOAD_BYTES)
    except _NotFound as exc:
        raise OpenLibraryError(NO_COVER) from exc
    return process_cover(SimpleUploadedFile(f"openlibrary-{isbn}", body, content_type=content_type))


def _text(value: Any) -> str:
    return " ".join(str(value).split())[:200] if value else ""


def _year(value: Any) -> int | None:
    match = re.search(r"\b(1[4-9]\d\d|20\d\d)\b", str(value or ""))
    return int(match.group(1)) if match else None


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and 0 < value <= 100_000 else None
