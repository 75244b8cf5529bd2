"""Caching that is never wrong: whole pages for anonymous readers and catalogue counts, under
a catalogue version every write replaces (docs/ARCHITECTURE.md, "Caching")."""

from __future__ import annotations

import contextvars
import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers

from covers.storage import configured_media

VERSION_KEY = "catalogue:version"


def cacheable_for_anonymous(view: Any) -> Any:
    """Mark a read-only view whose page is the same for every anonymous reader."""
    view.anonymous_page_cache = True
    return view


def enabled() -> bool:
    return settings.BOOKSTORE_PAGE_CACHE


# The version read once per request: the page key, the count and the fragments of one
# page all use it, and each read is a round trip to Redis. Set by the middleware for the
# length of a request only; outside one (commands, scripts) every call reads the cache.
_request_version: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "catalogue_version_of_request", default=None
)


def catalogue_version() -> str:
    """The current catalogue version token (made on first use)."""
    memo = _request_version.get()
    if memo is not None and "version" in memo:
        return memo["version"]
    version: str = cache.get_or_set(VERSION_KEY, uuid.uuid4().hex, timeout=None)  # type: ignore[assignment]
    if memo is not None:
        memo["version"] = version
    return version


def bump_catalogue_version() -> None:
    """Retire every cached page and count: the next request on any server renders afresh."""
    version = uuid.uuid4().hex
    cache.set(VERSION_KEY, version, timeout=None)
    memo = _request_version.get()
    if memo is not None:
        memo["version"] = version  # the rest of this request sees its own write


def page_timeout() -> int:
    """Seconds a page may stay cached: never more than half a signed cover URL's lifetime."""
    timeout = settings.BOOKSTORE_PAGE_CACHE_SECONDS
    lifetime = configured_media().url_lifetime
    if lifetime is not None:
        timeout = min(timeout, lifetime // 2)
    return max(timeout, 0)


def fragment_context() -> dict[str, Any]:
    """What templates need to cache fragments every reader sees alike, signed in or not.

    The book cards of a list page and a book's reviews are the same for every member, and
    rendering them is most of a signed-in page's cost. `{% cache fragment_timeout name
    catalogue_version ... %}` keys them by the catalogue version, so any write retires them
    exactly as it retires whole pages; a timeout of 0 (caching off) stores nothing.
    """
    if not enabled():
        return {"fragment_timeout": 0, "catalogue_version": ""}
    return {"fragment_timeout": page_timeout(), "catalogue_version": catalogue_version()}


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
    count = cache.get(key)
    if count is None:
        count = queryset.count()
        cache.set(key, count, timeout=page_timeout() or None)
    return count


def _may_use_cache(request: HttpRequest) -> bool:
    """Only requests that cannot be personal: GET, no session (so anonymous), no messages."""
    return (
        enabled()
        and request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def _page_key(request: HttpRequest, version: str) -> str:
    scheme = "https" if request.is_secure() else "http"
    return f"page:{version}:{_digest(scheme, request.get_host(), request.get_full_path())}"


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
        token = _request_version.set({})
        try:
            response = self.get_response(request)
        finally:
            _request_version.reset(token)
        key = getattr(request, "_page_cache_key", None)
        if key is not None and _may_store(request, response):
            cache.set(key, response, timeout=page_timeout())
        if getattr(request, "_page_cache_candidate", False):
            # A page that differs between readers must not be reused by a shared proxy.
            patch_vary_headers(response, ["Cookie"])
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if not getattr(view_func, "anonymous_page_cache", False):
            return None
        request._page_cache_candidate = True  # type: ignore[attr-defined]  # read back in __call__
        if not _may_use_cache(request) or not page_timeout():
            return None
        key = _page_key(request, catalogue_version())
        response = cache.get(key)
        if response is not None:
            response["X-Page-Cache"] = "hit"
            return response
        request._page_cache_key = key  # type: ignore[attr-defined]  # read back in __call__
        return None
