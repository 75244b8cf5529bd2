"""The list's filters (subject, language, year and price ranges, minimum rating): read from
the query string into one canonical form, which the page, its links, its counts and the page
cache key all use; junk values fall away. And the counts per offered value (facets)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import QueryDict
from django.utils import timezone

from . import cache
from .languages import language_name, validate_language
from .models import EARLIEST_YEAR, Book, BookQuerySet, Subject

MAX_PRICE = Decimal("999999.99")
RATINGS = (4, 3, 2, 1)  # "4 stars & up" …
OFFERED_SUBJECTS = 12


def _year(value: str) -> int | None:
    try:
        year = int(value)
    except ValueError:
        return None
    return year if EARLIEST_YEAR <= year <= timezone.now().year + 1 else None


def _price(value: str) -> Decimal | None:
    try:
        price = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    return price if price.is_finite() and 0 <= price <= MAX_PRICE else None


@dataclass(frozen=True)
class BookFilters:
    subject: str = ""
    language: str = ""
    year_min: int | None = None
    year_max: int | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    rating: int | None = None
    subject_name: str = field(default="", compare=False)  # shown, not a parameter

    @classmethod
    def from_query(cls, query: QueryDict) -> BookFilters:
        """The filters a query string asks for; anything unknown or malformed is left out."""
        subject = query.get("subject", "")[:100]
        subject_name = Subject.objects.filter(slug=subject).values_list("name", flat=True).first() if subject else None
        subject = subject if subject_name else ""
        language = query.get("language", "").strip().lower()[:3]
        try:
            validate_language(language)
        except ValidationError:
            language = ""
        year_min, year_max = _year(query.get("year_min", "")), _year(query.get("year_max", ""))
        if year_min and year_max and year_min > year_max:
            year_min, year_max = year_max, year_min
        price_min, price_max = _price(query.get("price_min", "")), _price(query.get("price_max", ""))
        if price_min is not None and price_max is not None and price_min > price_max:
            price_min, price_max = price_max, price_min
        rating_text = query.get("rating", "")
        rating = int(rating_text) if rating_text in {str(r) for r in RATINGS} else None
        return cls(subject, language, year_min, year_max, price_min, price_max, rating, subject_name or "")

    def params(self) -> dict[str, str]:
        """The filters set, as canonical query parameters (in a fixed order)."""
        values = {each.name: getattr(self, each.name) for each in fields(self) if each.name != "subject_name"}
        return {name: str(value) for name, value in values.items() if value not in ("", None)}

    def __bool__(self) -> bool:
        return bool(self.params())

    def apply(self, books: BookQuerySet, *, without: str = "") -> BookQuerySet:
        """These filters on `books` (all but `without`, for that filter's own counts)."""
        condition = Q()
        if self.subject and without != "subject":
            condition &= Q(subjects__slug=self.subject)
        if self.language and without != "language":
            condition &= Q(language=self.language)
        if self.year_min is not None:
            condition &= Q(publication_year__gte=self.year_min)
        if self.year_max is not None:
            condition &= Q(publication_year__lte=self.year_max)
        if self.price_min is not None:
            condition &= Q(price__gte=self.price_min)
        if self.price_max is not None:
            condition &= Q(price__lte=self.price_max)
        if self.rating and without != "rating":
            condition &= Q(rating_average__gte=self.rating)
        return books.filter(condition)

    def facets(self, books: BookQuerySet, label: str) -> dict[str, list[dict[str, Any]]]:
        """Counts per offered subject, language and minimum rating, cached per catalogue version."""
        return cache.cached_value(f"facets:{label}", lambda: self._count_facets(books))

    def _count_facets(self, books: BookQuerySet) -> dict[str, list[dict[str, Any]]]:
        by_subject = (
            Book.subjects.through.objects.filter(book__in=self.apply(books, without="subject").order_by().values("pk"))
            .values("subject__slug", "subject__name")
            .annotate(n=Count("*"))
            .order_by("-n", "subject__name")[:OFFERED_SUBJECTS]
        )
        by_language = (
            self.apply(books, without="language")
            .exclude(language="")
            .order_by()
            .values("language")
            .annotate(n=Count("pk"))
            .order_by("-n", "language")
        )
        ratings = self.apply(books, without="rating").aggregate(
            **{f"r{stars}": Count("pk", filter=Q(rating_average__gte=stars)) for stars in RATINGS}
        )
        return {
            "subject": [
                {"value": row["subject__slug"], "label": row["subject__name"], "count": row["n"]} for row in by_subject
            ],
            "language": [
                {"value": row["language"], "label": language_name(row["language"]), "count": row["n"]}
                for row in by_language
            ],
            "rating": [
                {"value": str(stars), "label": f"{stars} stars & up", "count": ratings[f"r{stars}"]}
                for stars in RATINGS
            ],
        }
