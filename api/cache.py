"""The API's catalogue reads from the page cache (books.cache), as the site's list and book
pages are: keyed on what the operation reads, in canonical form, under the catalogue version
every write replaces, so a write is never served stale. Bounded like the pages: parameters
the operation ignores are no part of a key, and a search or a deeper page counts towards
the same search budget.

Lists are the same for every caller, so `list_books` stores and reads them itself. An
anonymous GET is answered earlier, before django-ninja's authentication and parameter
parsing (`anonymous_fast_path`, wrapped around its views in api/urls.py): that chain cost
the API a fifth of its speed against the cached HTML list. A book's detail holds
`editable`, so only anonymous readers' copies are cached, by the fast path alone.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from pydantic import ValidationError

from books import cache
from books.filters import BookFilters as SiteBookFilters
from books.views import SEARCH_MAX_LENGTH  # the site's search reads as much

from . import auth, cursors
from .ratelimit import RateLimited

JSON = "application/json; charset=utf-8"


def timeout() -> int:
    """Seconds an answer may stay cached; 0 when caching is off."""
    return cache.page_timeout() if cache.enabled() else 0


ListParams = tuple[str, str, str, int, str]


def list_params(q: str, sort: str, cursor: str | None, limit: int, filters: SiteBookFilters) -> ListParams:
    """The list's parameters as `list_books` reads them: the same answer for the same tuple
    (the filters as the site reads them, in canonical form: junk values are no part of it)."""
    query = q.replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]
    chosen = urlencode(filters.params())
    return query, sort if sort in cursors.BOOK_SORTS else "newest", cursor or "", limit, chosen


def list_key(params: ListParams) -> str:
    digest = hashlib.sha256("\x1f".join(map(str, params)).encode()).hexdigest()
    return f"api-books:{cache.catalogue_version()}:{digest}"


def may_store_list(params: ListParams) -> bool:
    """The first pages of each sort and limit are few; searches, filters and cursors are
    unbounded and share the site's per-version search budget."""
    query, _sort, cursor, _limit, chosen = params
    return not (query or cursor or chosen) or cache.admit_search(cache.catalogue_version())


def json_response(body: bytes, *, hit: bool = False) -> HttpResponse:
    response = HttpResponse(body, content_type=JSON)
    if hit:
        response["X-Page-Cache"] = "hit"
    return response


def _single_values(request: HttpRequest) -> dict[str, str] | None:
    """The query string as one value per name; None when a name repeats with different
    values (how django-ninja would pick is not this module's to guess: no fast path)."""
    values: dict[str, str] = {}
    for name, items in request.GET.lists():
        if len(set(items)) > 1:
            return None
        values[name] = items[0]
    return values


def _list_key_of(request: HttpRequest, kwargs: dict[str, Any]) -> tuple[str | None, bool]:
    from .api import BookFilters  # the operation's own model: the same limits, the same errors

    values = _single_values(request)
    if values is None:
        return None, False
    try:
        read = {name: value for name, value in values.items() if name in BookFilters.model_fields}
        filters = BookFilters.model_validate(read)
    except ValidationError:
        return None, False  # django-ninja answers 422: nothing to serve or store
    return list_key(list_params(filters.q, filters.sort, filters.cursor, filters.limit, filters.site_filters())), False


def _book_key_of(request: HttpRequest, kwargs: dict[str, Any]) -> tuple[str | None, bool]:
    try:
        book_id = uuid.UUID(str(kwargs.get("book_id")))
    except ValueError:
        return None, False
    return f"api-book:{cache.catalogue_version()}:{book_id}", True


def _anonymous(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def anonymous_fast_path(
    view: Callable[..., HttpResponseBase], key_of: Callable[[HttpRequest, dict[str, Any]], tuple[str | None, bool]]
) -> Callable[..., HttpResponseBase]:
    """Serve an anonymous GET from the cache before django-ninja runs; `key_of` gives the key
    and whether this wrapper stores the answer on a miss (the list's view stores its own)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not (_anonymous(request) and timeout()):
            return view(request, *args, **kwargs)
        key, store = key_of(request, kwargs)
        body = cache.page_cache().get(key) if key else None
        if body is not None:
            try:
                auth.anonymous(request)  # still counted against the address's limit
            except RateLimited as exc:
                from .api import rate_limited

                return rate_limited(request, exc)
            return json_response(body, hit=True)
        response = view(request, *args, **kwargs)
        if key and store and response.status_code == 200 and isinstance(response, HttpResponse):
            cache.page_cache().set(key, response.content, timeout=timeout())
        return response

    return wrapped


FAST_PATHS = {"list_books": _list_key_of, "get_book": _book_key_of}
