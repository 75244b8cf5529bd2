"""Keyset ("cursor") pagination: a page continues after the last row of the previous one, so
page 400 costs what page 1 does and rows added meanwhile never shift a page.

A cursor is the last row's sort values, signed so a client cannot hand us arbitrary SQL
comparands, and opaque so the encoding may change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

SALT = "api.cursor"


class BadCursor(Exception):
    pass


@dataclass(frozen=True)
class Key:
    """One column of an ORDER BY: its name (an annotation when `expression` is set), its direction,
    and whether it may be NULL (sorted last)."""

    name: str
    descending: bool = False
    nullable: bool = False
    expression: Any = None

    def order(self) -> Any:
        from django.db.models import F

        field = F(self.name)
        if self.descending:
            return field.desc(nulls_last=True) if self.nullable else field.desc()
        return field.asc(nulls_last=True) if self.nullable else field.asc()

    def after(self, value: Any) -> Q:
        """Rows strictly after `value` in this column's order (NULLs last)."""
        if value is None:
            return Q(pk__in=[])  # nothing sorts after NULL but other NULLs, handled by equal()
        lookup = "lt" if self.descending else "gt"
        after = Q(**{f"{self.name}__{lookup}": value})
        return after | Q(**{f"{self.name}__isnull": True}) if self.nullable else after

    def equal(self, value: Any) -> Q:
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})


# The same sorts as the site's (BookQuerySet.SORTS, Review.SORTS), as keyset columns.
BOOK_SORTS: dict[str, tuple[Key, ...]] = {
    "newest": (Key("created_at", descending=True), Key("id", descending=True)),
    "title": (Key("title_key", expression=Lower("title")), Key("id")),
    "price": (Key("price"), Key("id")),
    "rating": (
        Key("rating_average", descending=True, nullable=True),
        Key("rating_count", descending=True),
        Key("id", descending=True),
    ),
}
REVIEW_SORTS: dict[str, tuple[Key, ...]] = {
    "newest": (Key("id", descending=True),),
    "oldest": (Key("id"),),
    "highest": (Key("rating", descending=True, nullable=True), Key("id", descending=True)),
    "lowest": (Key("rating", nullable=True), Key("id")),
}


def page(
    queryset: QuerySet[Any], keys: Sequence[Key], cursor: str | None, limit: int, *, scope: str
) -> tuple[list[Any], str | None]:
    """One page of `queryset` in `keys` order after `cursor`; returns the rows and the next cursor.

    `scope` names the list and sort: a cursor is refused by any other.
    """
    annotations = {key.name: key.expression for key in keys if key.expression is not None}
    if annotations:
        queryset = queryset.annotate(**annotations)
    queryset = queryset.order_by(*(key.order() for key in keys))
    if cursor:
        queryset = queryset.filter(_after(keys, decode(cursor, scope, len(keys))))
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode(scope, [last[key.name] if isinstance(last, dict) else getattr(last, key.name) for key in keys])


def _after(keys: Sequence[Key], values: Sequence[Any]) -> Q:
    condition = Q(pk__in=[])
    prefix = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= prefix & key.after(value)
        prefix &= key.equal(value)
    return condition


def encode(scope: str, values: Sequence[Any]) -> str:
    return signing.dumps([None if value is None else str(value) for value in values], salt=f"{SALT}:{scope}")


def decode(cursor: str, scope: str, length: int) -> list[Any]:
    try:
        values = signing.loads(cursor, salt=f"{SALT}:{scope}")
    except signing.BadSignature as exc:
        raise BadCursor("This cursor is not valid for this list.") from exc
    if not isinstance(values, list) or len(values) != length:
        raise BadCursor("This cursor does not belong to this list or sort.")
    return values
