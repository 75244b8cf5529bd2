"""Probes for load balancers and orchestrators, cheap enough to poll every few seconds.

`/healthz` answers as long as the process serves requests: it touches nothing else, so a
database outage never gets healthy app servers restarted. `/readyz` says whether this
server can do useful work: one trivial query on the database, a ping of each Redis cache,
and the media storage configured. Only the database is fatal (503): without Redis, pages
render from PostgreSQL and sessions are read from it, so a Redis outage is reported as
"degraded" with a 200, and does not take every server out of the load balancer at once.
It makes no request to S3: a probe every few seconds would cost money and would mark every
server unready at once when S3 has a blip, although pages that only read keep working then.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from covers.storage import configured_media

logger = logging.getLogger(__name__)


@never_cache
@require_safe  # GET or HEAD: probes use either
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe  # GET or HEAD: probes use either
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database, "cache": _cache, "storage": _storage}
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception:
            # The reason goes to the log, never to an anonymous caller.
            logger.exception("Readiness check %s failed", name)
            results[name] = "unavailable" if name == "database" else "degraded"
    if results["database"] != "ok":
        status = "unavailable"
    else:
        status = "ok" if all(result == "ok" for result in results.values()) else "degraded"
    return JsonResponse({"status": status, **results}, status=503 if status == "unavailable" else 200)


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _cache() -> str:
    for cache in caches.all():
        if hasattr(cache, "ping"):  # config/cache_backends.py: asks Redis despite its back-off
            cache.ping()
        else:
            cache.get("readyz-probe")  # a miss is fine; a dead server raises
    return "ok"


def _storage() -> str:
    media = configured_media()
    if media.on_s3:
        return "ok" if media.bucket else "no bucket"
    # Local media: the folder (or, before the first upload, the one it will be made in)
    # must be writable, or every upload would fail.
    folder = Path(settings.MEDIA_ROOT)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return "ok" if os.access(folder, os.W_OK) else "degraded: media folder not writable"
