"""Search that forgives: the folded shadow text both databases match on, the query's words,
ranking, and the close spelling PostgreSQL finds when nothing matches exactly
(docs/ARCHITECTURE.md, "Search").

Model-free, so `books.models` imports it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, FloatField, Func, IntegerField, Q, Value, When
from django.db.models.functions import StrIndex

from .isbn import normalize_isbn

# Latin letters that Unicode does not decompose, so NFKD alone would keep them ("Stanisław").
UNDECOMPOSED = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
    }
)
# Apostrophes join ("O'Brien" and "OBrien" are one word); every other non-word character
# separates ("Jean-Paul" is "jean paul").
_APOSTROPHES = re.compile(r"['’ʼ`´]")
_SEPARATORS = re.compile(r"[\W_]+")
# Where the title and the author end in the shadow text; fold() never leaves a "|".
TITLE_END = " | "
AUTHOR_END = " || "
MAX_WORDS = 8


def fold(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: what search compares."""
    text = unicodedata.normalize("NFKD", text.translate(UNDECOMPOSED))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # Recompose what is not an accent (Hangul syllables, kana with voicing marks kept apart).
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _APOSTROPHES.sub("", text)
    return " ".join(_SEPARATORS.sub(" ", text).split())


def isbn_forms(isbn13: str) -> list[str]:
    """The ways a reader writes this ISBN without hyphens: the ISBN-13 and, for 978-, the ISBN-10."""
    if not isbn13:
        return []
    forms = [isbn13]
    if isbn13.startswith("978"):
        from stdnum import isbn as stdnum_isbn

        forms.append(stdnum_isbn.to_isbn10(isbn13).lower())
    return forms


def shadow_text(*, title: str, author: str, isbn: str, publisher: str, subjects: Iterable[str]) -> str:
    """The folded text a book is searched by: title, then author, then the rest."""
    rest = " ".join([*isbn_forms(isbn), fold(publisher), *(fold(name) for name in subjects)])
    return f"{fold(title)}{TITLE_END}{fold(author)}{AUTHOR_END}{rest}".rstrip()


def query_words(query: str) -> list[str]:
    """The distinct folded words of a query, longest first (the most selective leads), at most 8."""
    words = list(dict.fromkeys(fold(query).split()))
    return sorted(words, key=len, reverse=True)[:MAX_WORDS]


def query_isbn(query: str) -> str:
    """The ISBN-13 the query is, or ""."""
    compact = re.sub(r"[\s-]", "", query)
    if not re.fullmatch(r"\d{9}[\dXx]|\d{13}", compact):
        return ""
    try:
        return normalize_isbn(compact)
    except ValidationError:
        return ""


def matches_every_word(words: list[str]) -> Q:
    """Every word appears in the shadow text, in any order (a trigram index serves each)."""
    condition = Q()
    for word in words:
        condition &= Q(search_text__contains=word)
    return condition


def relevance(words: list[str], isbn: str = "") -> Any:
    """A score: per word 4 at a word's start in the title, 3 inside the title, 2 in the
    author, 1 elsewhere; the book whose ISBN the query is comes above all."""
    title_end = StrIndex("search_text", Value(TITLE_END))
    author_end = StrIndex("search_text", Value(AUTHOR_END))
    score: Any = Value(0)
    for word in words:
        position = StrIndex("search_text", Value(word))
        score = score + Case(
            When(_equals(position, Value(1)), then=4),  # the title's first word
            When(_within(StrIndex("search_text", Value(" " + word)), title_end), then=4),
            When(_within(position, title_end), then=3),
            When(_within(position, author_end), then=2),
            default=1,
            output_field=IntegerField(),
        )
    if isbn:
        score = score + Case(When(isbn=isbn, then=100), default=0, output_field=IntegerField())
    return score


def _equals(left: Any, right: Any) -> Func:
    return Func(left, right, template="(%(expressions)s)", arg_joiner=" = ", output_field=BooleanField())


def _within(position: Any, end: Any) -> Func:
    """Found (STRPOS/INSTR are 1-based, 0 when absent) and before `end`."""
    return Func(position, end, template="(%(expressions)s)", arg_joiner=" BETWEEN 1 AND ", output_field=BooleanField())


class Similar(Func):
    """PostgreSQL's `a % b`: trigram similarity above pg_trgm's threshold (an index serves it)."""

    template = "(%(expressions)s)"
    arg_joiner = " %% "
    output_field = BooleanField()


class Similarity(Func):
    function = "similarity"
    output_field = FloatField()


def vocabulary_words(text: str) -> set[str]:
    """The words of a search text worth correcting towards: 3 to 100 characters, not numbers."""
    return {word for word in text.split() if 3 <= len(word) <= 100 and not word.isdigit() and word != "||"}


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before and one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def corrected_query(words: list[str], found_texts: Iterable[str]) -> str:
    """What a fuzzy search searched for: each query word replaced by the closest word of the
    books found (their original spelling, e.g. "Dostoevsky" for "dostoyevsky")."""
    candidates: dict[str, str] = {}
    for text in found_texts:
        for token in re.split(r"[^\w'’]+", text):
            if token:
                candidates.setdefault(fold(token), token)
    corrected = []
    for word in words:
        if word in candidates or not candidates:
            corrected.append(candidates.get(word, word))
            continue
        best = max(candidates, key=lambda folded: similarity(word, folded))
        corrected.append(candidates[best] if similarity(word, best) >= 0.3 else word)
    return " ".join(corrected)
