"""Request bodies larger than a form with a cover can be are refused before anything reads them."""

import io
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class RequestBodyLimitMiddleware:
    """Answers 413 to a body over BOOKSTORE_MAX_REQUEST_BYTES, for everyone.

    Django parses a multipart body on the first read of request.POST (the CSRF check,
    even for a forged token) and spools file parts to disk, so a 1 GiB part reached /tmp
    before anything refused it. Here the declared length is checked first; a streamed
    (chunked) body is read up to the limit, in memory, and refused beyond it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.BOOKSTORE_MAX_REQUEST_BYTES
        declared = request.META.get("CONTENT_LENGTH")
        if declared:
            if not declared.isdigit() or int(declared) > limit:
                return too_large(request)
        elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = request.META["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return too_large(request)
            # Django sizes its stream from CONTENT_LENGTH, absent here: give it the body read.
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))  # type: ignore[assignment]  # as WSGIRequest does
        return self.get_response(request)


def too_large(request: HttpRequest) -> HttpResponse:
    context = {"limit": settings.BOOKSTORE_MAX_REQUEST_BYTES, "cover_limit": settings.COVER_MAX_UPLOAD_BYTES}
    response = render(request, "413.html", context, status=413)
    # The rest of the body is never read: close the connection rather than reuse it.
    response["Connection"] = "close"
    return response
