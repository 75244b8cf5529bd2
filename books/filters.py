"""The list's filters (subject, language, year and price ranges, minimum rating): read from
the query string into one canonical form, which the page, its links, its counts and the page
cache key all use; junk values fall away. And the counts per offered value (facets)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import Count, Q, Value
from django.db.models.functions import Length
from django.http import QueryDict
from django.utils import timezone

from . import cache
from .languages import language_name, validate_language
from .models import EARLIEST_YEAR, RATING_STEPS, Book, BookQuerySet, Subject

MAX_PRICE = Decimal("999999.99")
RATINGS = RATING_STEPS  # "4 stars & up" … (the words are the template's)
OFFERED_SUBJECTS = 12
FIRST_PAGE = 24  # the list's page size: the first page's ids come with the counts


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
    subject_id: int | None = field(default=None, compare=False)

    @classmethod
    def from_query(cls, query: QueryDict) -> BookFilters:
        """The filters a query string asks for; anything unknown or malformed is left out."""
        subject = query.get("subject", "")[:100]
        found = Subject.objects.filter(slug=subject).values_list("pk", "name").first() if subject else None
        subject_id, subject_name = found or (None, "")
        subject = subject if found else ""
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
        return cls(subject, language, year_min, year_max, price_min, price_max, rating, subject_name, subject_id)

    def params(self) -> dict[str, str]:
        """The filters set, as canonical query parameters (in a fixed order)."""
        values = {each.name: getattr(self, each.name) for each in fields(self) if each.compare}
        return {name: str(value) for name, value in values.items() if value not in ("", None)}

    def __bool__(self) -> bool:
        return bool(self.params())

    @property
    def priced(self) -> bool:
        """Whether the books found depend on their prices (cache.matches_version)."""
        return self.price_min is not None or self.price_max is not None

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

    def facets(self, books: BookQuerySet, label: str) -> dict[str, Any]:
        """Counts per offered subject, language and minimum rating, cached under the version
        of what searches and filters find (cache.matches_version); on PostgreSQL also the
        number of books these filters leave ("total") and the first page by relevance
        ("first_page"), read in the same statement."""
        count = self._count_facets_in_one_pass if connection.vendor == "postgresql" else self._count_facets
        version = functools.partial(cache.matches_version, priced=self.priced)
        return cache.cached_value(f"facets:{label}", lambda: count(books), version)

    def _count_facets(self, books: BookQuerySet) -> dict[str, Any]:
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
        return self._shaped(
            [(row["subject__slug"], row["subject__name"], row["n"]) for row in by_subject],
            [(row["language"], row["n"]) for row in by_language],
            ratings,
            None,  # counted by the view (cached_count): one query fewer than counting here too
        )

    def _count_facets_in_one_pass(self, books: BookQuerySet) -> dict[str, Any]:
        """The same counts, and the ids of the first page by relevance ("first_page"), in one
        statement that reads the matching rows once: a common word matches thousands of
        books, and five queries reading them (one joining them to the subjects) were most of a
        search's time. Subjects come from `subject_ids`, each distinct list unnested once with
        the number of books that have it: unnesting every book's list took a third of the
        statement for a common word (6.5 ms of "harbor" at 100,000 books, now 4)."""
        ranked = books.order_by().annotate(title_length=Length("title"))
        searched = "relevance" in ranked.query.annotations
        if not searched:  # the whole catalogue, in another order than relevance
            ranked = ranked.annotate(relevance=Value(0))
        try:
            matches, params = ranked.values(*self._FACET_COLUMNS).query.sql_with_params()
        except EmptyResultSet:  # a query with no words to search for ("%")
            return {**self._shaped([], [], dict.fromkeys((f"r{stars}" for stars in RATINGS), 0), 0), "first_page": []}
        conditions, condition_params = self._conditions()
        flags = "".join(f", {condition} AS is_{name}" for name, condition in conditions.items())
        per_rating_rows = ", ".join(f"('{stars}', r{stars})" for stars in RATINGS)
        per_rating = ", ".join(f"count(*) FILTER (WHERE rating_average >= {stars}) AS r{stars}" for stars in RATINGS)
        sql = f"""
            WITH f AS MATERIALIZED (
                SELECT language, rating_average, subject_ids, id, relevance, title_length{flags} FROM ({matches}) AS b
            )
            SELECT 'total', '', '', count(*) FROM f WHERE {self._all(conditions)}
            UNION ALL SELECT 'language', language, '', count(*) FROM f
                WHERE language <> '' AND {self._all(conditions, "language")} GROUP BY language
            UNION ALL SELECT 'rating', stars, '', n
                FROM (SELECT {per_rating} FROM f WHERE {self._all(conditions, "rating")}) AS c,
                LATERAL (VALUES {per_rating_rows}) AS v(stars, n)
            UNION ALL SELECT 'subject', slug, name, n FROM (
                SELECT subject, sum(books)::bigint AS n FROM (
                    SELECT subject_ids, count(*) AS books FROM f
                    WHERE {self._all(conditions, "subject")} GROUP BY subject_ids
                ) AS g, jsonb_array_elements_text(subject_ids) AS s(subject) GROUP BY subject
            ) AS c JOIN books_subject ON books_subject.id = c.subject::bigint
            UNION ALL (SELECT 'page', id::text, '', 0 FROM f WHERE {self._all(conditions)} AND {searched}
                ORDER BY relevance DESC, title_length, f.id DESC LIMIT {FIRST_PAGE})
        """  # noqa: S608 - the conditions are fixed SQL; every value is a parameter
        with connection.cursor() as cursor:
            cursor.execute(sql, [*condition_params, *params])  # the flags come first in the text
            rows = cursor.fetchall()
        found: dict[str, dict[str, int]] = {}
        first_page = [value for kind, value, _, _ in rows if kind == "page"]
        by_subject = sorted(
            ((v, name, n) for kind, v, name, n in rows if kind == "subject"), key=lambda r: (-r[2], r[1])
        )
        for kind, value, _, n in rows:
            found.setdefault(kind, {})[value] = n
        by_language = sorted(found.get("language", {}).items(), key=lambda r: (-r[1], r[0]))
        ratings = {f"r{stars}": found.get("rating", {}).get(str(stars), 0) for stars in RATINGS}
        shaped = self._shaped(by_subject[:OFFERED_SUBJECTS], by_language, ratings, found["total"][""])
        return {**shaped, "first_page": first_page}

    # What the counts read, then what ranks the first page (BookQuerySet.sorted_by("relevance")).
    _FACET_COLUMNS = (
        *("language", "rating_average", "subject_ids", "publication_year", "price"),
        *("id", "relevance", "title_length"),
    )

    def _conditions(self) -> tuple[dict[str, str], list[Any]]:
        """Each filter set as SQL over the matching rows' columns, by the name a facet leaves out."""
        conditions: dict[str, str] = {}
        params: list[Any] = []
        if self.subject_id is not None:
            conditions["subject"] = "subject_ids @> %s::jsonb"
            params.append(f"[{int(self.subject_id)}]")
        if self.language:
            conditions["language"] = "language = %s"
            params.append(self.language)
        if self.rating:
            conditions["rating"] = "rating_average >= %s"
            params.append(self.rating)
        ranges = []
        for column, bound, operator in (
            ("publication_year", self.year_min, ">="),
            ("publication_year", self.year_max, "<="),
            ("price", self.price_min, ">="),
            ("price", self.price_max, "<="),
        ):
            if bound is not None:
                ranges.append(f"{column} {operator} %s")
                params.append(bound)
        if ranges:
            conditions["ranges"] = " AND ".join(ranges)
        return conditions, params

    @staticmethod
    def _all(conditions: dict[str, str], without: str = "") -> str:
        return " AND ".join(f"is_{name}" for name in conditions if name != without) or "TRUE"

    @staticmethod
    def _shaped(
        by_subject: list[tuple[str, str, int]],
        by_language: list[tuple[str, int]],
        ratings: dict[str, int],
        total: int | None,
    ) -> dict[str, Any]:
        return {
            "total": total,
            "subject": [{"value": slug, "label": name, "count": n} for slug, name, n in by_subject],
            "language": [{"value": code, "label": language_name(code), "count": n} for code, n in by_language],
            "rating": [
                {"value": str(stars), "count": ratings[f"r{stars}"]}  # labelled in the template, translated
                for stars in RATINGS
            ],
        }
