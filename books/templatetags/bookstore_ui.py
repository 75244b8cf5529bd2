"""Small presentation helpers for the templates."""

import zlib
from decimal import ROUND_HALF_UP, Decimal

from django import template

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


COVER_TINTS = 12


@register.filter
def cover_tint(title: object) -> int:
    """One of the designed covers' tints (CSS .cover-tint-0 to -11), the same for a title every time."""
    return zlib.crc32(str(title).casefold().encode()) % COVER_TINTS
