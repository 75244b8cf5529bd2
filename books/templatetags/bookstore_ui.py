"""Small presentation helpers for the templates."""

import json
import zlib
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import format_currency
from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from books import cache, holes
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
def money(value: object) -> str:
    """A price as the active language writes it, in BOOKSTORE_CURRENCY: "$1,234.50", "1.234,50 $"."""
    if value is None or value == "":
        return ""
    locale = translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)
    return format_currency(Decimal(str(value)), settings.BOOKSTORE_CURRENCY, locale=locale)


@register.filter
def isbn(value: str) -> str:
    """An ISBN-13 as people write it, hyphenated by its registration groups."""
    return format_isbn(value)


@register.filter
def absolute_url(url: str, request: HttpRequest) -> str:
    """A URL as a shared link needs it: media on the local disk gets the site's host."""
    return request.build_absolute_uri(url)


# As django.utils.html.json_script escapes: nothing in the data can close the script element.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def book_json_ld(book: Any, request: HttpRequest) -> SafeString:
    """schema.org's Book for a book's page, as JSON-LD (a data block: the CSP runs no script)."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Book",
        "name": book.title,
        "author": {"@type": "Person", "name": book.author},
        "url": request.build_absolute_uri(book.get_absolute_url()),
        "offers": {"@type": "Offer", "price": str(book.price), "priceCurrency": settings.BOOKSTORE_CURRENCY},
    }
    if book.description:
        data["description"] = book.description
    if book.cover:
        data["image"] = request.build_absolute_uri(book.cover.url)
    if book.rating_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": str(book.rating_average),
            "ratingCount": book.rating_count,
            "bestRating": 5,
            "worstRating": 1,
        }
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')  # noqa: S308 - escaped above


COVER_TINTS = 12


@register.filter
def cover_tint(title: object) -> int:
    """One of the designed covers' tints (CSS .cover-tint-0 to -11), the same for a title every time."""
    return zlib.crc32(str(title).casefold().encode()) % COVER_TINTS


@register.simple_tag(takes_context=True)
def book_cards(context: template.Context, books: Any, heading: str = "h2") -> SafeString:
    """The card of each book (books/_book_card.html), each cached on its own
    (books.cache.cached_cards): `heading` is the level of their titles, h3 where the page
    has an h2 above the grid."""
    assert context.template is not None  # noqa: S101 - a tag runs inside a template's rendering
    card = context.template.engine.get_template("books/_book_card.html")

    def render(book: Any) -> str:
        with context.push(book=book, card_heading=heading):
            return card.render(context)

    return mark_safe("".join(cache.cached_cards(list(books), render, heading)))  # noqa: S308 - rendered templates


@register.simple_tag(takes_context=True)
def hole(context: template.Context, name: str, *args: object) -> SafeString:
    """A member's own part of a page (books/holes.py): their name, a CSRF token, the Edit and
    Delete links of what they wrote; a marker in the copy all members share."""
    request = context.get("request")
    return mark_safe(holes.render(request, name, *args) if request is not None else "")  # noqa: S308 - holes.py escapes each part
