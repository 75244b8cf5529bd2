from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from books.models import Book


class HomePageView(TemplateView):
    """The front page with the newest books."""

    template_name = "pages/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["newest_books"] = Book.objects.for_cards()[:8]
        return context


class AboutPageView(TemplateView):
    template_name = "pages/about.html"


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A readable 403 page that says why, not Django's bare one."""
    reason = str(exception) if exception and str(exception) else gettext("You do not have permission to do that.")
    denied = getattr(request, "denied_object", None)
    book = denied if isinstance(denied, Book) else getattr(denied, "book", None)
    return render(request, "403.html", {"reason": reason, "book": book}, status=403)


def site_url(request: HttpRequest, path: str) -> str:
    """An absolute URL on BOOKSTORE_SITE_DOMAIN when it is set, else on the request's host."""
    if settings.BOOKSTORE_SITE_DOMAIN:
        return f"{request.scheme}://{settings.BOOKSTORE_SITE_DOMAIN}{path}"
    return request.build_absolute_uri(path)


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Crawlers may read the catalogue, never the forms, the account pages or the admin."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /books/create/",
        "Disallow: /books/*/update/",
        "Disallow: /books/*/delete/",
        "Disallow: /books/*/review/",
        "Disallow: /reviews/",
        "",
        f"Sitemap: {site_url(request, reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
