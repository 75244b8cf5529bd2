"""Book languages: ISO 639 codes with English names, from pycountry's copy of the standard.

Stored as the two-letter ISO 639-1 code where the language has one (the 184 a form offers),
else the three-letter ISO 639-3 code; imports and Open Library may give either, a MARC /
ISO 639-2/B code ("fre") or an English name.
"""

from __future__ import annotations

import functools

import pycountry
from django.core.exceptions import ValidationError


@functools.cache
def language_choices() -> list[tuple[str, str]]:
    languages = [(language.alpha_2, language.name) for language in pycountry.languages if hasattr(language, "alpha_2")]
    return sorted(languages, key=lambda pair: pair[1])


def normalize_language(value: str) -> str:
    """The stored code of a language given as a code or an English name; "" stays ""."""
    value = (value or "").strip()
    if not value:
        return ""
    code = value.lower()
    # Codes first: lookup() alone reads "en" as the language named "En" (ISO 639-3 "enc").
    if len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
    else:
        found = None
    try:
        found = found or pycountry.languages.lookup(value)
    except LookupError:
        raise ValidationError(
            "“%(value)s” is not a language code (ISO 639, e.g. “en” or “fra”).",
            code="language",
            params={"value": value},
        ) from None
    return getattr(found, "alpha_2", None) or found.alpha_3


def validate_language(value: str) -> None:
    if value and normalize_language(value) != value:
        raise ValidationError("“%(value)s” is not a stored language code.", code="language", params={"value": value})


@functools.cache
def language_name(code: str) -> str:
    if not code:
        return ""
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return found.name if found else code
