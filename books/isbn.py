"""ISBNs: any written form in, the ISBN-13 out, check digit verified by python-stdnum."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError

INVALID = "“%(value)s” is not an ISBN: enter the 10 or 13 digits (hyphens and spaces are fine)."
BAD_CHECK_DIGIT = "“%(value)s” is not a valid ISBN: its check digit is wrong. Please check for a typo."


def normalize_isbn(value: str) -> str:
    """The ISBN-13 of an ISBN-10 or ISBN-13 written with or without hyphens or spaces; "" stays "".

    Raises a ValidationError a person understands for anything else.
    """
    value = (value or "").strip()
    if not value:
        return ""
    try:
        compact = stdnum_isbn.validate(value)
    except InvalidChecksum:
        raise ValidationError(BAD_CHECK_DIGIT, code="isbn_checksum", params={"value": value}) from None
    except StdnumError:
        raise ValidationError(INVALID, code="isbn", params={"value": value}) from None
    return stdnum_isbn.to_isbn13(compact)


def format_isbn(value: str) -> str:
    """An ISBN-13 with its hyphens where the registration groups are known."""
    try:
        return stdnum_isbn.format(value) if value else ""
    except StdnumError:
        return value
