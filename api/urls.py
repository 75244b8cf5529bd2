from django.http import HttpRequest, HttpResponse
from django.urls import path
from ninja.openapi.views import openapi_view

from . import views
from .api import api


def docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI from django-ninja's own static files: no CDN, nothing inline (the CSP holds)."""
    return openapi_view(request, api)


urlpatterns = [
    path("v1/", api.urls),
    path("docs/", docs, name="api_docs"),
    path("tokens/", views.token_list, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
]
