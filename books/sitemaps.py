"""sitemap.xml for search engines: every book's page, in sections of 5,000 URLs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from .models import Book


class DomainSitemap(Sitemap):
    """Absolute URLs on BOOKSTORE_SITE_DOMAIN when it is set, as in mail links."""

    def get_domain(self, site: Any = None) -> str:
        return settings.BOOKSTORE_SITE_DOMAIN or super().get_domain(site)


class BookSitemap(DomainSitemap):
    # Google reads up to 50,000 URLs a file; 5,000 keeps each section a small, fast query.
    limit = 5_000
    changefreq = "weekly"

    def items(self) -> QuerySet[Book]:
        # The primary key order is stable while books are added, so a section's URLs stay put.
        return Book.objects.only("id", "updated_at").order_by("id")

    def lastmod(self, item: Book) -> datetime:
        return item.updated_at


class StaticSitemap(DomainSitemap):
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["home", "book_list", "about"]

    def location(self, item: str) -> str:
        return reverse(item)


SITEMAPS = {"pages": StaticSitemap, "books": BookSitemap}
