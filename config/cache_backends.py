"""Django's Redis cache, made to degrade instead of fail when Redis is down or paused.

Every error from Redis is logged and answered as a miss (a read) or as nothing done (a
write), so a page renders from PostgreSQL and a committed write still answers success.
After a failure the cache is skipped for `down_for` seconds (OPTIONS, default 5): a
paused Redis would otherwise cost every request one socket timeout per cache call.

Hand-written because the only library that does this (django-redis, IGNORE_EXCEPTIONS)
replaces Django's built-in backend wholesale and has no such back-off.
"""

import functools
import logging
import threading
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _degrade(name: str, on_failure: Any) -> Any:
    method = getattr(RedisCache, name)

    @functools.wraps(method)
    def wrapper(self: "ResilientRedisCache", *args: Any, **kwargs: Any) -> Any:
        if self.is_down():
            return on_failure(*args, **kwargs)
        try:
            return method(self, *args, **kwargs)
        except RedisError as exc:
            self.mark_down(exc)
            return on_failure(*args, **kwargs)

    return wrapper


def _counter_unreachable(*args: Any, **kwargs: Any) -> int:
    raise ValueError("the cache is unreachable")  # as incr does for a missing key


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one redis-py client per connection pool.

    Django makes a new `redis.Redis` for every cache call, and its constructor builds a
    table of ~170 response callbacks: about a fifth of a page-cache hit's Redis time. A
    client is only the pool plus that table, safe to share between threads; the pool
    itself starts afresh in a forked child (redis-py checks the pid).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        base: Any = self  # RedisCacheClient's private members are not in django-stubs
        pool = base._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = base._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """RedisCache whose outages are misses; `ping()` still tells the truth to /readyz."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS", {}))
        self.down_for = float(options.pop("down_for", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusedClientRedisCacheClient
        self._down_until = 0.0
        self._lock = threading.Lock()

    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def mark_down(self, exc: Exception) -> None:
        with self._lock:
            first = not self.is_down()
            self._down_until = time.monotonic() + self.down_for
        if first:
            logger.warning("Cache unreachable (%s); treated as empty for %.0f s", exc.__class__.__name__, self.down_for)

    def ping(self) -> bool:
        """Ask Redis itself, back-off or not: raises when it does not answer."""
        client = self._cache.get_client(write=True)  # type: ignore[attr-defined]  # RedisCache's client, unstubbed
        client.ping()
        with self._lock:
            self._down_until = 0.0  # it answers again: stop skipping it
        return True

    incr = _degrade("incr", _counter_unreachable)
    # A read fails as a miss; a write as "not stored". `add` answers True so that a caller
    # taking a lock with it (allauth's rate limiter) carries on instead of waiting.
    get = _degrade("get", lambda key, default=None, version=None: default)
    get_many = _degrade("get_many", lambda *args, **kwargs: {})
    has_key = _degrade("has_key", lambda *args, **kwargs: False)
    set = _degrade("set", lambda *args, **kwargs: None)
    add = _degrade("add", lambda *args, **kwargs: True)
    touch = _degrade("touch", lambda *args, **kwargs: False)
    set_many = _degrade("set_many", lambda data, *args, **kwargs: list(data))
    delete = _degrade("delete", lambda *args, **kwargs: False)
    delete_many = _degrade("delete_many", lambda *args, **kwargs: None)
    clear = _degrade("clear", lambda *args, **kwargs: False)
