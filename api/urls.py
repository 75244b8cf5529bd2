import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from . import views
from .api import api
from .cache import FAST_PATHS, anonymous_fast_path


def docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI from django-ninja's own static files: no CDN, nothing inline (the CSP holds).

    Its "Try it out" sends the CSRF token, so a signed-in member's session works as well as a
    token (ninja adds it only when the whole API uses session auth).
    """
    swagger = api.docs
    settings = {**getattr(swagger, "settings", {}), "url": swagger.get_openapi_url(api, {})}
    context = {"swagger_settings": json.dumps(settings), "api": api, "add_csrf": True}
    return render(request, "ninja/swagger.html", context)


def _api_urls() -> tuple[list[Any], str, str]:
    """django-ninja's URL patterns, the catalogue's reads wrapped in the anonymous cache."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern) and pattern.name and pattern.name in FAST_PATHS:
            pattern.callback = anonymous_fast_path(pattern.callback, FAST_PATHS[pattern.name])
    return patterns, app_name, namespace


urlpatterns = [
    path("v1/", _api_urls()),
    path("docs/", docs, name="api_docs"),
    path("tokens/", views.token_list, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
]
