"""The yardstick's two pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path


def bare_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def bare_template(request: HttpRequest) -> HttpResponse:
    """24 items, as many as a page of books."""
    return render(request, "items.html", {"title": "Yardstick", "items": range(24)})


urlpatterns = [
    path("bare/", bare_view),
    path("template/", bare_template),
]
