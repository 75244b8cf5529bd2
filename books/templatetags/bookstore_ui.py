"""Small presentation helpers for the templates."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

from books.isbn import format_isbn

register = template.Library()

MAX_STARS = 5


@register.filter
def stars(value: object) -> str:
    """A rating (1–5, or an average such as 3.6) as five characters: filled then empty stars.

    Decorative only: templates put the number beside it for screen readers and for anyone
    who cannot tell the two star shapes apart.
    """
    if value is None or value == "":
        return ""
    filled = int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    filled = max(0, min(MAX_STARS, filled))
    return "★" * filled + "☆" * (MAX_STARS - filled)


@register.filter
def isbn(value: str) -> str:
    """An ISBN-13 as people write it, hyphenated by its registration groups."""
    return format_isbn(value)
