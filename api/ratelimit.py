"""Fixed-window request limits per token and per client address, counted in the "default" cache.

The same cache holds allauth's counters (Redis in production, shared by every app server). A
cache that fails is a miss: the request goes through rather than answering 500.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many requests.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int

    @classmethod
    def parse(cls, value: str) -> Rate:
        """ "120/m", "1000/h", "10/30s" → Rate."""
        count, _, period = value.partition("/")
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        number = period[:-1] or "1"
        return cls(int(count), int(number) * units[period[-1]])


def hit(scope: str, ident: str, rate: str) -> None:
    """Count one request of `ident`; raise RateLimited once the window's allowance is spent."""
    limit = Rate.parse(rate)
    if limit.requests <= 0:
        return
    now = time.time()
    window = int(now // limit.seconds)
    key = f"api-rate:{scope}:{ident}:{window}"
    cache = caches["default"]
    try:
        cache.add(key, 0, timeout=limit.seconds + 1)
        count = cache.incr(key)
    except ValueError:  # the cache lost the key (or is down): let it through
        return
    if count is not None and count > limit.requests:
        raise RateLimited(max(1, int((window + 1) * limit.seconds - now + 0.999)))


def check_token(token_id: int) -> None:
    hit("token", str(token_id), settings.BOOKSTORE_API_RATE_PER_TOKEN)


def check_address(address: str) -> None:
    hit("addr", address, settings.BOOKSTORE_API_RATE_PER_ADDRESS)
