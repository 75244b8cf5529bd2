from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import TemplateView

from books import cache
from books.models import Book


class HomePageView(TemplateView):
    """The front page with the newest books."""

    template_name = "pages/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["newest_books"] = Book.objects.for_cards()[:8]
        context.update(cache.fragment_context())
        return context


class AboutPageView(TemplateView):
    template_name = "pages/about.html"


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A readable 403 page that says why, not Django's bare one."""
    reason = str(exception) if exception and str(exception) else "You do not have permission to do that."
    return render(request, "403.html", {"reason": reason}, status=403)
