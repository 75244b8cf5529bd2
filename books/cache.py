"""Caching that is never wrong: whole pages for anonymous readers and catalogue counts, under
a catalogue version every write replaces, bounded and apart from sessions
(docs/ARCHITECTURE.md, "Caching")."""

from __future__ import annotations

import contextvars
import hashlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import BaseCache, caches
from django.db import DatabaseError, IntegrityError, connections, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers, set_response_etag
from django.utils.http import urlencode

from covers.storage import configured_media

from .models import CatalogueVersion

logger = logging.getLogger(__name__)

_VERSION_ROW = 1


def cacheable_for_anonymous(view: Any) -> Any:
    """Mark a read-only view whose page is the same for every anonymous reader."""
    view.anonymous_page_cache = True
    return view


def enabled() -> bool:
    return settings.BOOKSTORE_PAGE_CACHE


def page_cache() -> BaseCache:
    """The cache alias for pages, fragments and counts: never the one holding sessions."""
    return caches["pages"]


# What one request has decided: the version (read once: the page key, the count and the
# fragments all use it) and whether it may store anything. Set by the middleware for the
# length of a request only; outside one (commands, scripts) every call reads the database.
_request_state: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "page_cache_state_of_request", default=None
)


# Rows of CatalogueVersion (docs/ARCHITECTURE.md, "Caching"): the catalogue's (books, members),
# in every key; the reviews' (list, home and member pages show ratings and reviews); and one
# per book, for its own page, at _BOOK_ROWS + a hash of its id. Two books sharing a row
# (a hash collision) only retire each other's pages: never a stale page.
_REVIEWS_ROW = 2
_BOOK_ROWS = 16
_BOOK_ROW_SPAN = 2_000_000_000


def _book_row(book_id: Any) -> int:
    value = book_id.int if isinstance(book_id, uuid.UUID) else uuid.UUID(str(book_id)).int
    return _BOOK_ROWS + value % _BOOK_ROW_SPAN


def _read_version_rows(second: int) -> dict[int, str]:
    """The tokens of the catalogue row and `second`, in one statement (one snapshot). Plain
    SQL: this runs on every cached page, and building it through the ORM cost as much as
    running it."""
    connection = connections[router.db_for_read(CatalogueVersion)]
    quote = connection.ops.quote_name
    table, token, pk = quote(CatalogueVersion._meta.db_table), quote("token"), quote("id")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {token} FROM {table} WHERE {pk} IN (%s, %s)", [_VERSION_ROW, second])  # noqa: S608
        return dict(cursor.fetchall())


def catalogue_version() -> str:
    """The version of what this request's page shows, from the database: the catalogue's
    token with the reviews' token, or on a book's page (scope set by the middleware) with
    that book's own token, so a review retires its book's pages and the lists, not every
    other book's page."""
    memo = _request_state.get()
    if memo is not None and "version" in memo:
        return memo["version"]
    book_id = memo.get("book") if memo is not None else None
    second = _book_row(book_id) if book_id is not None else _REVIEWS_ROW
    tokens = _read_version_rows(second)
    if _VERSION_ROW not in tokens:
        row = CatalogueVersion.objects.get_or_create(pk=_VERSION_ROW, defaults={"token": uuid.uuid4().hex})[0]
        tokens[_VERSION_ROW] = row.token
    # A row not written yet is "-": its first write replaces it, and the catalogue's
    # random token keeps a database restored from a backup from meeting old keys.
    token = f"{tokens[_VERSION_ROW]}.{'b' if book_id is not None else 'r'}{tokens.get(second, '-')}"
    if memo is not None:
        memo["version"] = token
    return token


def _replace_tokens(rows: list[int]) -> None:
    for pk in rows:
        token = uuid.uuid4().hex
        if not CatalogueVersion.objects.filter(pk=pk).update(token=token):
            try:
                with transaction.atomic():
                    CatalogueVersion.objects.create(pk=pk, token=token)
            except IntegrityError:  # made meanwhile by another writer: replace it
                CatalogueVersion.objects.filter(pk=pk).update(token=token)


def _retire(rows: list[int], what: str) -> None:
    """Runs after the write committed, so it must never raise into the request: a failure
    is logged, and the old pages then age out within page_timeout()."""
    try:
        _replace_tokens(rows)
    except DatabaseError:
        logger.exception("Could not retire the cached pages after %s", what)
        return
    memo = _request_state.get()
    if memo is not None:
        memo.pop("version", None)  # the rest of this request sees its own write


def bump_catalogue_version() -> None:
    """Retire every cached page and count (the catalogue row is in every key): a book added,
    edited or deleted, a member renamed or deleted, a bulk write."""
    _retire([_VERSION_ROW], "a write")


def bump_reviews_version(book_ids: Any) -> None:
    """Retire what a review of these books shows: the lists, home and member pages (the
    reviews row) and these books' own pages; every other book's page stays cached."""
    rows = sorted({_book_row(book_id) for book_id in book_ids if book_id is not None})
    _retire([_REVIEWS_ROW, *rows], "a review")


def _may_store_anything() -> bool:
    memo = _request_state.get()
    return memo is None or memo.get("store", True)


def page_timeout() -> int:
    """Seconds a page may stay cached: never more than half a signed cover URL's lifetime."""
    timeout = settings.BOOKSTORE_PAGE_CACHE_SECONDS
    lifetime = configured_media().url_lifetime
    if lifetime is not None:
        timeout = min(timeout, lifetime // 2)
    return max(timeout, 0)


def shared_cache_control() -> dict[str, int]:
    """How long a CDN or proxy may keep an anonymous page, and serve it stale while it asks
    again: together never more than half a signed cover URL's lifetime, like the page cache."""
    fresh = max(settings.BOOKSTORE_SHARED_CACHE_SECONDS, 0)
    stale = max(settings.BOOKSTORE_STALE_WHILE_REVALIDATE_SECONDS, 0)
    lifetime = configured_media().url_lifetime
    if lifetime is not None:
        fresh = min(fresh, lifetime // 2)
        stale = min(stale, lifetime // 2 - fresh)
    return {"s_maxage": fresh, "stale_while_revalidate": stale}


def _patch_http_caching(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Anonymous pages: public for shared caches, an ETag so browsers revalidate with a 304.
    Anything personal (signed in, a CSRF token, a message, a cookie): private.

    True when the page is the same for every reader, so the page cache may store it too.
    """
    if response.status_code != 200 or response.streaming:
        return False
    if _may_store(request, response):
        if not response.has_header("ETag"):
            set_response_etag(response)
        patch_cache_control(response, public=True, max_age=0, **shared_cache_control())
        return True
    patch_cache_control(response, private=True, no_cache=True)
    return False


def fragment_context() -> dict[str, Any]:
    """What templates need to cache fragments every reader sees alike, signed in or not.

    The book cards of a list page and a book's reviews are the same for every member, and
    rendering them is most of a signed-in page's cost. `{% cache fragment_timeout name
    catalogue_version ... using="pages" %}` keys them by the catalogue version, so any write
    retires them exactly as it retires whole pages; a timeout of 0 (caching off, or a search
    over this version's budget) stores nothing.
    """
    if not enabled():
        return {"fragment_timeout": 0, "catalogue_version": ""}
    timeout = page_timeout() if _may_store_anything() else 0
    # Fragments hold words and prices of the reader's language: one copy per language.
    return {"fragment_timeout": timeout, "catalogue_version": f"{catalogue_version()}:{translation.get_language()}"}


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def cached_count(queryset: QuerySet[Any], label: str) -> int:
    """`queryset.count()`, cached under the catalogue version when caching is on.

    An exact COUNT(*) over 100,000 rows on every page view costs more than the page itself;
    the count only changes with a write, and every write changes the version.
    """
    if not enabled():
        return queryset.count()
    key = f"count:{catalogue_version()}:{_digest(label)}"
    count = page_cache().get(key)
    if count is None:
        count = queryset.count()
        if _may_store_anything():
            page_cache().set(key, count, timeout=page_timeout() or None)
    return count


def cached_value(label: str, compute: Callable[[], Any]) -> Any:
    """`compute()`, cached under the catalogue version when caching is on (facet counts)."""
    if not enabled():
        return compute()
    key = f"value:{catalogue_version()}:{_digest(label)}"
    value = page_cache().get(key)
    if value is None:
        value = compute()
        if _may_store_anything():
            page_cache().set(key, value, timeout=page_timeout() or None)
    return value


def _may_use_cache(request: HttpRequest) -> bool:
    """Only requests that cannot be personal: GET, no session (so anonymous), no messages."""
    return (
        enabled()
        and request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def _page_number(request: HttpRequest) -> int | None:
    """The page number as the views read it; None past BOOKSTORE_PAGE_CACHE_MAX_PAGE (never cached)."""
    try:
        number = int(request.GET.get("page") or 1)
    except ValueError:
        number = 1  # the views show the first page for a junk number
    return number if 1 <= number <= settings.BOOKSTORE_PAGE_CACHE_MAX_PAGE else None


def _list_query(request: HttpRequest) -> tuple[str, str, int | None, str]:
    """The search, sort, page number and filters a list URL shows, as the view reads them.

    Anything else in the query string changes nothing on the page, so it is no part of the
    key: junk parameters are served the canonical page.
    """
    from .views import BookListView  # the view's own reading of q and sort, not a copy

    view = BookListView(request=request)
    return view.search_query, view.sort, _page_number(request), view.filter_key


def _query_key(request: HttpRequest, url_name: str) -> str | None:
    """What in the query string changes this page, canonical; None when it must not be cached."""
    from .views import review_sort

    if url_name == "book_list":
        search, sort, number, filters = _list_query(request)
        key = urlencode({"q": search, "sort": sort, "page": str(number)})
        return None if number is None else f"{key}&{filters}"
    if url_name == "book_detail":  # a page of the book's reviews, in one of their orders
        number = _page_number(request)
        return None if number is None else urlencode({"sort": review_sort(request), "page": str(number)})
    return ""


def _page_key(request: HttpRequest, version: str, url_name: str) -> str | None:
    scheme = "https" if request.is_secure() else "http"
    query = _query_key(request, url_name)
    if query is None:
        return None
    language = translation.get_language() or ""
    return f"page:{version}:{_digest(scheme, request.get_host(), request.path, query, language)}"


def _admit_search(version: str) -> bool:
    """Count a search about to be cached; past the version's budget it is rendered, not stored.

    Distinct searches are unbounded, so their pages, cards and counts are capped per
    catalogue version and page lifetime: BOOKSTORE_PAGE_CACHE_MAX_SEARCHES.
    """
    budget = f"searches:{version}"
    pages = page_cache()
    pages.add(budget, 0, timeout=page_timeout() or None)
    try:
        return pages.incr(budget) <= settings.BOOKSTORE_PAGE_CACHE_MAX_SEARCHES
    except Exception:  # noqa: BLE001 - a counter lost or unreachable: store nothing
        return False


def admit_search(version: str) -> bool:
    """`_admit_search` for the API's cached lists (api/cache.py): one budget for both."""
    return _admit_search(version)


def _may_store(request: HttpRequest, response: HttpResponseBase) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_USED"):
        return False  # the page holds this visitor's CSRF token
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return False
    if len(messages.get_messages(request)):
        return False
    cache_control = response.get("Cache-Control", "")
    return not any(word in cache_control for word in ("private", "no-store", "no-cache"))


class AnonymousPageCacheMiddleware:
    """Serves anonymous GETs of the home, list/search and detail pages from the cache.

    Placed last in MIDDLEWARE, so the session, CSRF, message and security middleware still
    run around a cached response exactly as around a rendered one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        state: dict[str, Any] = {}
        token = _request_state.set(state)
        try:
            response = self.get_response(request)
        finally:
            _request_state.reset(token)
        candidate = getattr(request, "_page_cache_candidate", False)
        # Before storing, so a page served from the cache carries the same ETag (and a hit,
        # already patched, is not patched again). Only a candidate that missed has a key.
        missed = candidate and not getattr(request, "_page_cache_hit", False)
        shareable = missed and _patch_http_caching(request, response)
        key = getattr(request, "_page_cache_key", None)
        if key is not None and state.get("store", True) and shareable:
            page_cache().set(key, response, timeout=page_timeout())
        if candidate:
            # A page that differs between readers must not be reused by a shared proxy.
            patch_vary_headers(response, ["Cookie"])
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if not getattr(view_func, "anonymous_page_cache", False):
            return None
        request._page_cache_candidate = True  # type: ignore[attr-defined]  # read back in __call__
        url_name = request.resolver_match.url_name if request.resolver_match else ""
        state = _request_state.get()
        if url_name == "book_detail" and state is not None and "version" not in state:
            state["book"] = view_kwargs.get("pk")  # a book's page: keyed by its own token
        if not enabled() or not page_timeout():
            return None
        version = catalogue_version()
        if _may_use_cache(request):
            key = _page_key(request, version, url_name or "")
            response = page_cache().get(key) if key else None
            if response is not None:
                response["X-Page-Cache"] = "hit"
                request._page_cache_hit = True  # type: ignore[attr-defined]  # read back in __call__
                return response
            request._page_cache_key = key  # type: ignore[attr-defined]  # read back in __call__
        # A search or a filter combination is one of unboundedly many: each counts towards the budget.
        searched = url_name == "book_list" and any(_list_query(request)[::3])
        if searched and not _admit_search(version) and state is not None:
            state["store"] = False
        return None
