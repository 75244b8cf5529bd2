"""Caching that is never wrong: whole pages for anonymous readers and catalogue counts, under
a catalogue version every write replaces, bounded and apart from sessions
(docs/ARCHITECTURE.md, "Caching")."""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib import messages
from django.core.cache import BaseCache, caches
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.db import (
    DatabaseError,
    IntegrityError,
    connections,
    router,
    transaction,
)
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers, set_response_etag
from django.utils.http import urlencode

from accounts.db import checks_connection
from covers.storage import configured_media

from . import holes
from .models import Book, BookQuerySet, CatalogueVersion

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


# Rows of CatalogueVersion (docs/ARCHITECTURE.md, "Caching"): the catalogue's (members, subjects,
# bulk writes), in every key; the lists' (list, home and member pages, counts and facets show
# every book's data and ratings); and one per book, for its own page, at _BOOK_ROWS + a hash
# of its id. Two books sharing a row (a hash collision) only retire each other's pages:
# never a stale page.
_LISTS_ROW = 2
# Which books each search and filter finds: the list's counts and filter counts. A review
# retires it only when its book's average crossed a step of the rating filter, so after the
# other reviews a list page misses but its counts (a read of the whole catalogue) are reused.
_MATCHES_ROW = 3
# The books' prices, which order the list by price and decide its price filters: replaced by
# an edit of a price, so that other edits (a cover, a description) and prices spare every
# count and list that does not depend on them.
_PRICES_ROW = 4
_BOOK_ROWS = 16
_BOOK_ROW_SPAN = 2_000_000_000


def _book_row(book_id: Any) -> int:
    value = book_id.int if isinstance(book_id, uuid.UUID) else uuid.UUID(str(book_id)).int
    return _BOOK_ROWS + value % _BOOK_ROW_SPAN


def _read_version_rows(second: int) -> dict[int, str]:
    """The tokens of the catalogue row, `second` and the matches and prices rows, in one
    statement (one snapshot). Plain SQL: this runs on every cached page, and building it through the ORM
    cost as much as running it.

    It is the first statement of an anonymous page's request, and it doubles as the
    connection's health check (accounts.db.checks_connection): a `SELECT 1` before it was a
    second round trip to the database on every cache hit."""
    connection = connections[router.db_for_read(CatalogueVersion)]
    return checks_connection(connection, lambda: _select_version_rows(connection, second))


def _select_version_rows(connection: Any, second: int) -> dict[int, str]:
    """Runs on the database driver's own cursor: on a cached page, Django's cursor wrapper was
    about a fifth of the read's time (docs/ARCHITECTURE.md, "Caching"). On PostgreSQL it is a
    prepared statement (the backend's fetch_prepared: parsing and planning it were half of the
    database's work for a hit); elsewhere the ids are written into the statement (our
    integers, never a reader's text). Where Django records queries (DEBUG, a test counting
    them) or inside a transaction (whose broken state Django's cursor checks), the same
    statement goes through Django's cursor."""
    select = _select_tokens(connection)
    rows = (_VERSION_ROW, second, _MATCHES_ROW, _PRICES_ROW)
    if connection.queries_logged or connection.in_atomic_block:
        cursor = connection.cursor()
    elif hasattr(connection, "fetch_prepared"):  # PostgreSQL: the same statement for every page
        return {int(pk): token for pk, token in connection.fetch_prepared(f"{select}($1, $2, $3, $4)", rows)}
    else:
        connection.ensure_connection()
        cursor = connection.connection.cursor()
    with connection.wrap_database_errors, contextlib.closing(cursor):
        cursor.execute(f"{select}({', '.join(str(int(row)) for row in rows)})")
        return dict(cursor.fetchall())


def _read_versions(second: int) -> dict[int, str]:
    """The tokens _read_version_rows() reads, the catalogue row made if missing; kept for the
    rest of the request (matches_version, the cards' catalogue token)."""
    tokens = _read_version_rows(second)
    if _VERSION_ROW not in tokens:
        row = CatalogueVersion.objects.get_or_create(pk=_VERSION_ROW, defaults={"token": uuid.uuid4().hex})[0]
        tokens[_VERSION_ROW] = row.token
    memo = _request_state.get()
    if memo is not None:
        memo.setdefault("tokens", tokens)
    return tokens


def catalogue_version() -> str:
    """The version of what this request's page shows, from the database: the catalogue's
    token with the reviews' token, or on a book's page (scope set by the middleware) with
    that book's own token, so a review retires its book's pages and the lists, not every
    other book's page."""
    memo = _request_state.get()
    if memo is not None and "version" in memo:
        return memo["version"]
    book_id = memo.get("book") if memo is not None else None
    second = _book_row(book_id) if book_id is not None else _LISTS_ROW
    tokens = _read_versions(second)
    # A row not written yet is "-": its first write replaces it, and the catalogue's
    # random token keeps a database restored from a backup from meeting old keys.
    token = f"{tokens[_VERSION_ROW]}.{'b' if book_id is not None else 'r'}{tokens.get(second, '-')}"
    if memo is not None:
        memo["version"] = token
    return token


def matches_version(*, priced: bool = False) -> str:
    """The version of which books each search and filter finds (the list's counts and filter
    counts), with the prices' when `priced` (a price filter, or the order by price): the
    catalogue's token with the matches row's (and the prices row's), read with
    catalogue_version()."""
    tokens = _request_tokens()
    matches = f"{tokens[_VERSION_ROW]}.m{tokens.get(_MATCHES_ROW, '-')}"
    return f"{matches}.p{tokens.get(_PRICES_ROW, '-')}" if priced else matches


def _request_tokens() -> dict[int, str]:
    """The tokens this request read with catalogue_version() (read now outside a request)."""
    memo = _request_state.get()
    if memo is None:
        return _read_versions(_LISTS_ROW)
    if "tokens" not in memo:
        catalogue_version()  # reads them, in the same statement
    return memo["tokens"]


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
    if memo is not None:  # the rest of this request sees its own write
        for read in ("version", "tokens"):
            memo.pop(read, None)


def bump_catalogue_version() -> None:
    """Retire every cached page and count (the catalogue row is in every key): a member
    renamed or deleted, a subject renamed, a bulk write."""
    _retire([_VERSION_ROW], "a write")


def bump_books_version(book_ids: Any, what: str = "a write", *, matches: bool = True, prices: bool = True) -> None:
    """Retire what these books' data shows on: the lists, home and member pages (the lists
    row), these books' own pages and cards; unless `matches` is false (an edit of nothing a
    search or filter reads, a review that moved no average across a star) the list's counts
    of books found; unless `prices` is false, what prices order and filter. For a book added,
    edited or deleted or a review written. Every other book's page stays cached, as it shows
    only its own book."""
    rows = sorted({_book_row(book_id) for book_id in book_ids if book_id is not None})
    scopes = [_MATCHES_ROW] * matches + [_PRICES_ROW] * prices
    _retire([_LISTS_ROW, *scopes, *rows], what)


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


def _card_digest(book: Book) -> str:
    """A hash of what a book's card shows: its CARD_FIELDS as `values_list()` reads them."""
    return _card_digest_of(getattr(book, name) for name in BookQuerySet.CARD_FIELDS)


def _card_digest_of(values: Iterable[Any]) -> str:
    return _digest(*(repr(value.name if isinstance(value, FieldFile) else value) for value in values))


def cached_cards(books: Sequence[Book], render: Callable[[Book], str], variant: str) -> list[str]:
    """`render(book)` for each book (its card), cached under the card's own data.

    A card shows only its book's BookQuerySet.CARD_FIELDS (templates/books/_book_card.html),
    so their values are its key, with the catalogue's token and the language: a review or an
    edit changes one book's values, so after it a list page renders one card and takes the
    other 23 from the cache, in one round trip. Never stale: the key is made of the very
    values rendered, however old a reader's rows are.
    """
    timeout = page_timeout() if enabled() else 0
    if not timeout:
        return [render(book) for book in books]
    prefix = f"card:{_request_tokens()[_VERSION_ROW]}:{translation.get_language()}:{variant}"
    digests = [_card_digest(book) for book in books]
    memo = _request_state.get()
    if memo is not None:  # what a list page showed, for _unchanged_list_page
        memo["cards"] = [(book.pk, digest) for book, digest in zip(books, digests, strict=True)]
    keys = [f"{prefix}:{digest}" for digest in digests]
    found = page_cache().get_many(keys)
    rendered = {key: render(book) for key, book in zip(keys, books, strict=True) if key not in found}
    if rendered and _may_store_anything():
        page_cache().set_many(rendered, timeout=timeout)
    return [found[key] if key in found else rendered[key] for key in keys]


def cached_count(queryset: QuerySet[Any], label: str, version: Callable[[], str] = catalogue_version) -> int:
    """`queryset.count()`, cached under `version()` when caching is on: the catalogue version,
    or for the books a search and filters find, matches_version().

    An exact COUNT(*) over 100,000 rows on every page view costs more than the page itself;
    the count only changes with a write, and every write it depends on changes the version.
    """
    if not enabled():
        return queryset.count()
    key = f"count:{version()}:{_digest(label)}"
    count = page_cache().get(key)
    if count is None:
        count = queryset.count()
        if _may_store_anything():
            page_cache().set(key, count, timeout=page_timeout() or None)
    return count


def cached_value(label: str, compute: Callable[[], Any], version: Callable[[], str] = catalogue_version) -> Any:
    """`compute()`, cached under `version()` when caching is on (facet counts: matches_version)."""
    if not enabled():
        return compute()
    key = f"value:{version()}:{_digest(label)}"
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
    """The page number as the views read it (a junk one shows the first page); None below 1,
    which shows the last page under another number (never cached)."""
    try:
        number = int(request.GET.get("page") or 1)
    except ValueError:
        number = 1
    return number if number >= 1 else None


def _within_first_pages(number: int | None) -> int | None:
    return number if number is not None and number <= settings.BOOKSTORE_PAGE_CACHE_MAX_PAGE else None


def _list_query(request: HttpRequest) -> tuple[str, str, int | None, str]:
    """The search, sort, page number and filters a list URL shows, as the view reads them.

    Anything else in the query string changes nothing on the page, so it is no part of the
    key: junk parameters are served the canonical page.
    """
    from .views import BookListView  # the view's own reading of q and sort, not a copy

    view = BookListView(request=request)
    return view.search_query, view.sort, _page_number(request), view.filter_key


# Pure functions of the URL, asked on every cache hit: remembered per process. Bounded by
# emptying them when full (junk URLs cannot grow them).
_MEMO_SIZE = 4096
_query_keys: dict[tuple[str, str], str | None] = {}
_views: dict[tuple[Any, str], tuple[str, Any] | None] = {}
# A page's digest by its parts: the SHA-256, 0.5 µs in a loop, took about 2% of a hit's
# samples under py-spy in a worker under load.
_page_digests: dict[tuple[str, ...], str] = {}


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = value
    return value


# Parameters whose canonical reading is a pure function of their text. Any other (a subject,
# kept only if it exists in the database; a filter added later; junk) is read every time.
_PURE_PARAMETERS = frozenset(
    {"q", "sort", "page", "language", "year_min", "year_max", "price_min", "price_max", "rating"}
)


def _query_key(request: HttpRequest, url_name: str) -> str | None:
    """What in the query string changes this page, canonical; None when it must not be cached."""
    if not _PURE_PARAMETERS.issuperset(request.GET):
        return _read_query_key(request, url_name)
    memo_key = (url_name, request.META.get("QUERY_STRING", ""))
    if memo_key in _query_keys:
        return _query_keys[memo_key]
    return _remember(_query_keys, memo_key, _read_query_key(request, url_name))


def _read_query_key(request: HttpRequest, url_name: str) -> str | None:
    from .views import review_sort

    if url_name == "book_list":
        # Any page number may be looked up; only the first and the last pages are stored
        # (_admitted_list_page), so a number never stored costs one miss.
        search, sort, number, filters = _list_query(request)
        key = urlencode({"q": search, "sort": sort, "page": str(number)})
        return None if number is None else f"{key}&{filters}"
    if url_name == "book_detail":  # a page of the book's reviews, in one of their orders
        number = _within_first_pages(_page_number(request))
        return None if number is None else urlencode({"sort": review_sort(request), "page": str(number)})
    return ""


def _admitted_list_page(request: HttpRequest, response: HttpResponseBase) -> bool:
    """A list page may be stored when it is one of the first or the last
    BOOKSTORE_PAGE_CACHE_MAX_PAGE pages, under the number it shows: the last page is one
    click from the first (the pager's last link), and a number past the end, which shows
    the last page too, is never stored, so a list has at most twice that many entries."""
    number = _page_number(request)
    if _within_first_pages(number) is not None:
        return True
    page = (getattr(response, "context_data", None) or {}).get("page_obj")
    if page is None or number != page.number:
        return False
    return number > page.paginator.num_pages - settings.BOOKSTORE_PAGE_CACHE_MAX_PAGE


def _admitted(request: HttpRequest, response: HttpResponseBase, state: dict[str, Any]) -> bool:
    """Whether a rendered page may be stored, for visitors or as the members' copy: not a
    search past the version's budget, and of a list only the pages _admitted_list_page keeps."""
    url_name = request.resolver_match.url_name if request.resolver_match else ""
    return state.get("store", True) and (url_name != "book_list" or _admitted_list_page(request, response))


def _page_digest(request: HttpRequest, url_name: str) -> str | None:
    """What in the request changes its page, hashed; None when the page must not be cached."""
    scheme = "https" if request.is_secure() else "http"
    query = _query_key(request, url_name)
    if query is None:
        return None
    parts = (scheme, request.get_host(), request.path, query, translation.get_language() or "")
    digest = _page_digests.get(parts)
    return digest if digest is not None else _remember(_page_digests, parts, _digest(*parts))


def _page_key(request: HttpRequest, version: str, url_name: str) -> str | None:
    digest = _page_digest(request, url_name)
    return None if digest is None else f"page:{version}:{digest}"


def _shape_key(request: HttpRequest, url_name: str, digest: str) -> str | None:
    """Where a list page records which books it shows, when nothing but those books' cards can
    change it without a new matches_version(): a list in an order reviews cannot change (not
    by rating: a review moves books between those pages without crossing a star)."""
    from .views import BookListView  # the view's own reading of the sort and filters

    view = BookListView(request=request)
    if url_name != "book_list" or view.sort in BookQuerySet.REVIEWED_SORTS:
        return None
    return f"shape:{matches_version(priced=view.sort == 'price' or view.filters.priced)}:{digest}"


def _unchanged_list_page(shape_key: str, key: str) -> HttpResponseBase | None:
    """The list page stored under an older version, stored again under `key`, when none of
    the books it shows changed since: after a review, each list page but the one showing
    its book costs a read of its books' rows instead of its rendering.

    The page records its books' card hashes (as cached_cards() keys them) under the
    catalogue's and the matches' versions, which every other thing it shows (the counts, the
    filter counts, which books in which order) is cached under; so if those cards are the
    same, so is the page. The first time, it reads the books' card fields and compares (24
    rows through the ORM: most of the cost); it then keeps the books' own version tokens
    (their rows of CatalogueVersion, replaced by every write to them), read before the
    fields, so later it reads only those: unchanged tokens mean unchanged books. Read after
    the version, like everything a page shows, and kept no longer than the stored page would
    have been (its cover URLs were signed then)."""
    shape = page_cache().get(shape_key)
    if not isinstance(shape, tuple) or len(shape) != 4:  # none, or stored by another release
        return None
    old_key, expires, cards, verified = shape
    remaining = int(expires - time.time())
    if remaining < 1:
        return None
    ids = [pk for pk, _ in cards]
    tokens = _book_tokens(ids)  # before the fields: a write after this read changes them
    if tokens != verified:
        rows = Book.objects.filter(pk__in=ids).values_list(*BookQuerySet.CARD_FIELDS)
        now = {values[0]: _card_digest_of(values) for values in rows}
        if [(pk, now.get(pk)) for pk in ids] != cards:
            return None
        page_cache().set(shape_key, (old_key, expires, cards, tokens), timeout=remaining)
    response = local_pages.get(old_key)
    if response is None:
        response = page_cache().get(old_key)
        if response is None:
            return None
    response.page_cache_expires = expires  # type: ignore[union-attr]  # for local_pages
    page_cache().set(key, response, timeout=remaining)
    return response


def _book_tokens(book_ids: Iterable[Any]) -> dict[int, str]:
    """The tokens of these books' own rows of CatalogueVersion, in one statement."""
    rows = sorted({_book_row(book_id) for book_id in book_ids})
    if not rows:
        return {}
    connection = connections[router.db_for_read(CatalogueVersion)]
    with connection.cursor() as cursor:  # our integers, written in
        cursor.execute(f"{_select_tokens(connection)}({', '.join(map(str, rows))})")
        return dict(cursor.fetchall())


# Per database vendor (its quoting): built on every cache hit, the text cost about 6 µs.
_token_selects: dict[str, str] = {}


def _select_tokens(connection: Any) -> str:
    """`SELECT id, token FROM <CatalogueVersion> WHERE id IN `, for the rows to follow."""
    select = _token_selects.get(connection.vendor)
    if select is None:
        quote = connection.ops.quote_name
        table, token, pk = quote(CatalogueVersion._meta.db_table), quote("token"), quote("id")
        select = _token_selects[connection.vendor] = f"SELECT {pk}, {token} FROM {table} WHERE {pk} IN "  # noqa: S608
    return select


def admit_search(version: str) -> bool:
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


def _cacheable_view(request: HttpRequest) -> tuple[str, Any] | None:
    """The URL name and the book id of a page the cache may serve, before the URL resolver
    runs in the handler; None for any other path."""
    urlconf = getattr(request, "urlconf", None)
    memo_key = (urlconf, request.path_info)
    if memo_key in _views:
        return _views[memo_key]
    try:
        match = resolve(request.path_info, urlconf)
    except Resolver404:
        return _remember(_views, memo_key, None)
    if not getattr(match.func, "anonymous_page_cache", False):
        return _remember(_views, memo_key, None)
    book_id = match.kwargs.get("pk") if match.url_name == "book_detail" else None
    return _remember(_views, memo_key, (match.url_name or "", book_id))


def _reader_language(request: HttpRequest) -> str | None:
    """The language LocaleMiddleware will choose for this request; None when the URLs carry
    it (i18n_patterns: then only the full stack decides)."""
    if is_language_prefix_patterns_used(getattr(request, "urlconf", None) or settings.ROOT_URLCONF)[0]:
        return None
    return translation.get_language_from_request(request)


class _LocalPages:
    """The pages this process served last, in front of the shared cache: a hit then costs
    the version read and no round trip to Redis.

    Correct for the same reason the shared cache is: a key holds the catalogue version,
    read from the database on every request, so a write anywhere gives every process new
    keys and the entries here are never asked for again. An entry lives no longer than its
    shared copy (the expiry stored with it), and at most BOOKSTORE_PAGE_CACHE_LOCAL_PAGES
    pages are kept, least recently used out first. Kept as status, headers and body, and
    built into a new response for each hit (the middleware above adds its headers to it):
    cheaper than unpickling the stored response, and than pickling it to keep.
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()  # gthread workers share it

    def get(self, key: str) -> HttpResponseBase | None:
        entry = self.get_value(key)
        if entry is None:
            return None
        status, headers, content = entry
        response = HttpResponse(content, status=status)
        # The headers as Django stored them when the page was rendered, copied in whole:
        # setting them one by one checks and encodes each again (12 headers, about 12 µs of
        # a hit). test_cache compares a hit's headers with the rendered page's.
        response.headers._store = dict(headers)
        return response

    def put(self, key: str, response: HttpResponseBase) -> None:
        expires = getattr(response, "page_cache_expires", None)
        if expires is None or not isinstance(response, HttpResponse) or response.cookies:
            return
        self.put_value(key, (response.status_code, tuple(response.headers._store.items()), response.content), expires)

    def get_value(self, key: str) -> Any:
        """What put_value() kept under `key` (a page's parts, a members' copy), if not expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.time():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
        return entry[1]

    def put_value(self, key: str, value: Any, expires: float) -> None:
        capacity = settings.BOOKSTORE_PAGE_CACHE_LOCAL_PAGES
        if capacity <= 0:
            return
        with self._lock:
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
            while len(self._entries) > capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


local_pages = _LocalPages()


class CachedPageMiddleware:
    """Answers an anonymous GET of a cached page near the top of MIDDLEWARE, and stores a
    page missed as the whole stack answered it.

    A hit used to pay for every middleware (sessions, locale, CSRF, auth, messages, CSP,
    allauth) only for them to add the same headers again: most of its cost
    (docs/ARCHITECTURE.md, "Caching"). Placed after the request log, the security
    middleware and ConditionalGetMiddleware, which still run around a hit; the page is
    stored here after the middleware below it ran, so a hit carries exactly the headers
    (CSP, X-Frame-Options, Vary, Content-Language, Cache-Control, ETag) of the page it
    copies. Which pages are cached, and whether a rendered one may be, is decided by
    AnonymousPageCacheMiddleware (last in MIDDLEWARE, around the view); requests with a
    session or messages cookie, and any method but GET, always take the whole stack.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        state: dict[str, Any] = {}
        token = _request_state.set(state)
        try:
            hit = self._lookup(request, state)
            if hit is not None:
                return hit
            response = self.get_response(request)
            key = state.get("store_key")
            if (
                key is not None
                and response.status_code == 200
                and not response.cookies  # set by a middleware below: personal after all
                and response.get("Content-Language") == state.get("language")
            ):
                timeout = page_timeout()
                expires = time.time() + timeout
                response.page_cache_expires = expires  # type: ignore[attr-defined]  # for local_pages
                page_cache().set(key, response, timeout=timeout)
                local_pages.put(key, response)
                shape_key, cards = state.get("shape_key"), state.get("cards")
                if shape_key is not None and cards is not None:  # for _unchanged_list_page
                    page_cache().set(shape_key, (key, expires, cards, None), timeout=timeout)
            return response
        finally:
            _request_state.reset(token)

    @staticmethod
    def _lookup(request: HttpRequest, state: dict[str, Any]) -> HttpResponseBase | None:
        if not enabled() or not page_timeout():
            return None
        view = _cacheable_view(request)
        if view is None:
            return None
        url_name, book_id = view
        if book_id is not None:
            state["book"] = book_id  # a book's page: keyed by its own token
        if not _may_use_cache(request):
            # A member's page reads the version too (its counts and fragments): first, so
            # that it is the connection's health check here as well (_read_version_rows).
            if request.method == "GET":
                catalogue_version()
            return None
        language = _reader_language(request)
        if language is None:
            return None
        try:
            with translation.override(language):
                digest = _page_digest(request, url_name)
        except DisallowedHost:
            return None  # the whole stack answers it with its 400
        if digest is None:
            return None
        key = f"page:{catalogue_version()}:{digest}"
        response = local_pages.get(key)
        if response is None:
            response = page_cache().get(key)
            shape_key = _shape_key(request, url_name, digest) if response is None else None
            if shape_key is not None:
                response = _unchanged_list_page(shape_key, key)
            if response is None:
                # Stored on the way out if AnonymousPageCacheMiddleware finds the page shareable.
                state["lookup_key"], state["language"], state["shape_key"] = key, language, shape_key
                return None
            local_pages.put(key, response)
        response["X-Page-Cache"] = "hit"
        return response


class AnonymousPageCacheMiddleware:
    """Decides which anonymous pages the cache keeps: the home, list/search and detail pages,
    when rendered alike for every reader. Last in MIDDLEWARE, around the view, so it sees
    the view and what the request and response turned out to be (a member, a CSRF token, a
    message, a cookie); CachedPageMiddleware, near the top, serves and stores them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        middleware = list(settings.MIDDLEWARE)
        here, serving = f"{__name__}.AnonymousPageCacheMiddleware", f"{__name__}.CachedPageMiddleware"
        if serving not in middleware or middleware.index(serving) > middleware.index(here):
            # Without it nothing would be served from the cache, silently.
            raise ImproperlyConfigured(f"{serving} must come before {here} in MIDDLEWARE")
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        state = _request_state.get()
        token = None
        if state is None:  # called outside MIDDLEWARE (a test calling it directly): its own scope
            state = {}
            token = _request_state.set(state)
        try:
            response = self.get_response(request)
        finally:
            if token is not None:
                _request_state.reset(token)
        if not getattr(request, "_page_cache_candidate", False):
            return response
        if holes.is_member_copy(request):
            self._finish_member_copy(request, response, state)
        # Before storing, so a page served from the cache carries the same ETag.
        shareable = _patch_http_caching(request, response)
        key = state.get("lookup_key")  # set by CachedPageMiddleware when it missed
        if key is not None and shareable and _admitted(request, response, state):
            state["store_key"] = key  # stored by CachedPageMiddleware, with every header
        # A page that differs between readers must not be reused by a shared proxy.
        patch_vary_headers(response, ["Cookie"])
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if not getattr(view_func, "anonymous_page_cache", False):
            return None
        request._page_cache_candidate = True  # type: ignore[attr-defined]  # read back in __call__
        url_name = (request.resolver_match.url_name if request.resolver_match else "") or ""
        state = _request_state.get()
        if url_name == "book_detail" and state is not None and "version" not in state:
            state["book"] = view_kwargs.get("pk")  # a book's page: keyed by its own token
        member = request.method in ("GET", "HEAD") and request.user.is_authenticated
        if member:
            setattr(request, holes.MEMBER_COPY, True)  # rendered with holes (books/holes.py)
        if not enabled() or not page_timeout():
            return None
        version = catalogue_version()
        if member and state is not None:
            copy = self._member_copy(request, state, version, url_name)
            if copy is not None:
                return copy
        # A search or a filter combination is one of unboundedly many: each counts towards the budget.
        searched = url_name == "book_list" and any(_list_query(request)[::3])
        if searched and not admit_search(version) and state is not None:
            state["store"] = False
        return None

    @staticmethod
    def _member_copy(request: HttpRequest, state: dict[str, Any], version: str, url_name: str) -> HttpResponse | None:
        """The members' shared copy of this page with this member's holes filled, if cached.

        Never while a message waits: the page would show it, and it is this member's alone.
        """
        if len(messages.get_messages(request)):
            return None
        key = _page_key(request, version, url_name)
        if key is None:
            return None
        key = f"member-{key}"
        page = local_pages.get_value(key)
        if page is None:
            stored = page_cache().get(key)
            if stored is None:
                state["member_key"] = key  # stored by _finish_member_copy if admitted
                return None
            # Kept here no longer than in the shared cache, as local_pages promises; cut at its
            # holes once, for every member this process fills it for.
            expires, text = stored
            page = holes.split(text)
            local_pages.put_value(key, page, expires)
        response = HttpResponse(holes.fill(request, page))
        response["X-Page-Cache"] = "hit"
        state["member_filled"] = True
        return response

    @staticmethod
    def _finish_member_copy(request: HttpRequest, response: HttpResponseBase, state: dict[str, Any]) -> None:
        """Keep a rendered members' copy when it may be shared, and fill its holes for this member."""
        if (
            state.get("member_filled")
            or response.streaming
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return
        assert isinstance(response, HttpResponse)  # not streaming  # noqa: S101
        text = response.content.decode(response.charset)
        page = holes.split(text)
        key = state.get("member_key")
        if key is not None and response.status_code == 200 and _admitted(request, response, state):
            timeout = page_timeout()
            expires = time.time() + timeout
            page_cache().set(key, (expires, text), timeout=timeout)
            local_pages.put_value(key, page, expires)
        response.content = holes.fill(request, page)
