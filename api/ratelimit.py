"""Fixed-window request limits per token and per client address, counted in the "default" cache.

The same cache holds allauth's counters (Redis in production, shared by every app server). A
cache that fails is a miss: the request goes through rather than answering 500.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError


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
    count = _count(key, limit.seconds + 1)
    if count is not None and count > limit.requests:
        raise RateLimited(max(1, int((window + 1) * limit.seconds - now + 0.999)))


def check_token(token_id: int) -> None:
    hit("token", str(token_id), settings.BOOKSTORE_API_RATE_PER_TOKEN)


def check_address(address: str) -> None:
    hit("addr", address, settings.BOOKSTORE_API_RATE_PER_ADDRESS)


def _count(key: str, timeout: int) -> int | None:
    """Add one to `key`'s counter and return it; None when the cache cannot count (let it through).

    On Redis one round trip (INCR and EXPIRE NX in a pipeline) instead of the three of
    Django's add() and incr(): the limit is checked on every API request.
    """
    cache: Any = caches["default"]
    if isinstance(cache, RedisCache):
        # config.cache_backends.ResilientRedisCache skips a Redis that just failed.
        if getattr(cache, "is_down", lambda: False)():
            return None
        try:
            client = cast(Any, cache)._cache.get_client(write=True)  # RedisCache's client, unstubbed
            pipe = client.pipeline(transaction=False)
            pipe.incr(cache.make_and_validate_key(key))
            pipe.expire(cache.make_and_validate_key(key), timeout, nx=True)
            return int(pipe.execute()[0])
        except RedisError as exc:
            getattr(cache, "mark_down", lambda exc: None)(exc)
            return None
    try:
        cache.add(key, 0, timeout=timeout)
        return cache.incr(key)
    except ValueError:  # the cache lost the key: let it through
        return None
