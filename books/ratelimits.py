"""Per-member write limits: at most BOOKSTORE_REVIEW_RATE reviews and BOOKSTORE_BOOK_RATE new
books per member (docs/ARCHITECTURE.md, "Bad days").

Counted by allauth's rate limiter, the one that counts failed log-ins, in the `default`
cache (never `pages`, whose entries may be evicted). While that cache is unreachable
nothing is counted and writes go through, as for log-ins.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from allauth.core.internal import ratelimit as allauth_ratelimit
from allauth.core.internal.ratelimit import RateLimitUsage
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

ViewFunction = Callable[..., HttpResponse]

APP = "books"
SETTINGS = {"review": "BOOKSTORE_REVIEW_RATE", "book": "BOOKSTORE_BOOK_RATE"}
NOUNS = {"review": "reviews", "book": "books"}  # the API's English
# The 429 page's, in the reader's language.
PAGE_NOUNS = {"review": _("reviews"), "book": _("books")}


@dataclass(frozen=True)
class TooManyWrites(Exception):
    """The member has used up `action`'s allowance; it frees up in `retry_after` seconds."""

    action: str
    retry_after: int


def rates(action: str) -> str:
    """The setting's rates ("10/m", "10/m,100/d"), each counted per member. Empty: no limit."""
    parts = [part.strip() for part in getattr(settings, SETTINGS[action], "").split(",") if part.strip()]
    return ",".join(part if part.count("/") == 2 else f"{part}/user" for part in parts)


def limit_writes(action: str) -> Callable[[ViewFunction], ViewFunction]:
    """View decorator: a member's POST counts towards `action`'s limit if it wrote (answered
    with a redirect); past the limit it gets the 429 page and the view never runs."""

    def decorate(view: ViewFunction) -> ViewFunction:
        @functools.wraps(view)
        def limited_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "POST" or not request.user.is_authenticated:
                return view(request, *args, **kwargs)
            try:
                with counted(request, action) as usage:
                    response = view(request, *args, **kwargs)
            except TooManyWrites as limited:
                return too_many_writes(request, limited)
            if usage is not None and response.status_code != 302:
                usage.rollback()  # a form error or a refusal: nothing was written
            return response

        return limited_view

    return decorate


@contextlib.contextmanager
def counted(request: HttpRequest, action: str) -> Iterator[RateLimitUsage | None]:
    """Count one `action` by the member (TooManyWrites past the limit, before the block runs);
    if the block raises, the count is taken back: nothing was written."""
    usage = consume(request, action)
    try:
        yield usage
    except BaseException:
        if usage is not None:
            usage.rollback()
        raise


def consume(request: HttpRequest, action: str) -> RateLimitUsage | None:
    """Count one `action` by the signed-in member, or raise TooManyWrites and count nothing.

    None when the action has no limit.
    """
    config = {action: rates(action)}
    if not config[action]:
        return None
    usage = allauth_ratelimit.consume(request, app=APP, action=action, config=config, user=request.user)
    if usage is None:
        raise TooManyWrites(action, retry_after(request, action, config))
    return usage


def retry_after(request: HttpRequest, action: str, config: dict[str, str]) -> int:
    """Seconds until every rate of `action` allows one more: when the oldest hit that fills
    a full rate ages out of its window."""
    now = time.time()
    wait = 1.0
    for rate in allauth_ratelimit.get_rates(app=APP, action=action, config=config):
        key = allauth_ratelimit.get_cache_key(request, app=APP, action=action, rate=rate, user=request.user)
        history = cache.get(key, [])  # newest first
        if len(history) >= rate.amount:
            wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return math.ceil(wait)


def too_many_writes(request: HttpRequest, limited: TooManyWrites) -> HttpResponse:
    """The readable 429 page, with Retry-After; nothing was written."""
    response = render(
        request,
        "429.html",
        {"noun": PAGE_NOUNS[limited.action], "retry_after": limited.retry_after, "wait": in_words(limited.retry_after)},
        status=429,
    )
    response["Retry-After"] = str(limited.retry_after)
    return response


def in_words(seconds: int) -> str:
    """A wait as a person says it: "45 seconds", "12 minutes", "2 hours" (rounded up)."""
    if seconds >= 2 * 3600:
        count = math.ceil(seconds / 3600)
        return ngettext("%(count)d hour", "%(count)d hours", count) % {"count": count}
    if seconds > 90:
        count = math.ceil(seconds / 60)
        return ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}
    return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
