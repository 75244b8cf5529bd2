from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.http import ConditionalGetMiddleware as DjangoConditionalGetMiddleware

from config.logging import REQUEST_LINE, request_id_var

logger = logging.getLogger("bookstore.request")

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it cannot forge a log line or a header: a load balancer's
# or a client's UUID-like token. Anything else is replaced by a fresh one.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Polled every few seconds by load balancers; logged only when they fail.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})


class RequestLogMiddleware:
    """Gives each request an id and writes one log line when it is answered.

    Hand-written rather than django-guid or django-log-request-id because the id and the
    access line are one job of a dozen lines here, and the line needs the user id and
    duration that those packages do not record. First in MIDDLEWARE, so that every log
    line of the request (security redirects included) carries the id and the duration
    covers the whole stack.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # From META: request.headers would build a mapping of every header for this one.
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        # 32 random hex digits, as uuid4().hex wrote them less its fixed bits: building the UUID
        # object was 2% of a cached page's samples under py-spy.
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(16)
        request.request_id = request_id  # type: ignore[attr-defined]  # for views and error pages
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            self._log(request, response, (time.perf_counter() - started) * 1000)
            return response
        except Exception:
            # Raised past Django's own handler (e.g. by a middleware with the database
            # down): the line and the id are written all the same, then the server answers.
            logger.exception("%s %s failed", request.method, request.path, extra={"status": 500})
            raise
        finally:
            request_id_var.reset(token)

    def _log(self, request: HttpRequest, response: HttpResponseBase, duration_ms: float) -> None:
        status = response.status_code
        if request.path in QUIET_PATHS and status < 400:
            return
        fields = {
            "method": request.method,
            # The path only: query strings can carry search terms and signatures.
            "path": request.path,
            "status": status,
            "duration_ms": round(duration_ms, 1),
            "user_id": _user_id(request),
        }
        logger.log(
            logging.ERROR if status >= 500 else logging.INFO,
            "%s %s %s",
            request.method,
            request.path,
            status,
            extra={
                **fields,
                # Here rather than looked up by RequestIdFilter, as every other record's is.
                "request_id": request.request_id,  # type: ignore[attr-defined]
                REQUEST_LINE: tuple(fields),  # written by config.logging.JsonFormatter's short way
            },
        )


def _user_id(request: HttpRequest) -> str | None:
    """The member's id, or None: reading it may load the session, and the database may be down."""
    try:
        user = getattr(request, "user", None)
        return str(user.pk) if user is not None and user.is_authenticated else None
    except Exception:  # noqa: BLE001 - the log line matters more than who it was
        return None


# What makes a request conditional (RFC 9110, section 13.1), as WSGI names the headers.
_CONDITIONAL_HEADERS = ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE")


class ConditionalGetMiddleware(DjangoConditionalGetMiddleware):
    """Django's, except that it does not hash a page that holds a CSRF token, and passes a
    page that has its ETag straight through to a request with no condition.

    A page that holds a CSRF token (every signed-in page: the log-out form) is new at every
    response, because get_token() masks the token afresh each time (Django's defence against
    BREACH), so its ETag could never match a browser's If-None-Match: the MD5 of the whole
    page was 5% of a member's list page under py-spy, for no 304 ever. CsrfViewMiddleware
    sets the CSRF cookie on exactly the responses that used the token, which is what tells
    them apart here.
    Anonymous pages (no token) keep their ETag and their 304s.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        # A page that has its ETag (every cached one), asked for without a condition (most
        # requests): Django's would work out whether it needs an ETag and parse four absent
        # headers to return it unchanged, about 8 µs of a cached page's 350.
        if response.has_header("ETag") and not any(name in request.META for name in _CONDITIONAL_HEADERS):
            return response
        return super().process_response(request, response)

    def needs_etag(self, response: HttpResponseBase) -> bool:
        return super().needs_etag(response) and settings.CSRF_COOKIE_NAME not in response.cookies
