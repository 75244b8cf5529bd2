"""Search that forgives: the folded shadow text both databases match on, the query's words,
ranking, and the close spelling PostgreSQL finds when nothing matches exactly
(docs/ARCHITECTURE.md, "Search").

Model-free, so `books.models` imports it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Expression, F, FloatField, Func, IntegerField, Q

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


def relevance(words: list[str], isbn: str = "") -> Relevance:
    """A score: per word 4 at a word's start in the title, 3 inside the title, 2 in the
    author, 1 elsewhere; the book whose ISBN the query is comes above all."""
    return Relevance(words, isbn)


class Relevance(Expression):
    """relevance()'s score as one node of SQL.

    Written as Case/When it was some 25 nodes a word (130 for an ISBN typed with hyphens),
    each copied and resolved again by every annotate(), and a search annotates three
    querysets: that was 2 to 7 ms of a search's time, more than its statement took.
    """

    output_field = IntegerField()

    def __init__(self, words: list[str], isbn: str = "") -> None:
        super().__init__()
        self.words, self.isbn = list(words), isbn
        self.text: Any = F("search_text")
        self.isbn_column: Any = F("isbn")

    def get_source_expressions(self) -> list[Any]:
        return [self.text, self.isbn_column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.text, self.isbn_column = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        text, text_params = compiler.compile(self.text)
        position = "STRPOS" if connection.vendor == "postgresql" else "INSTR"  # as StrIndex writes it

        def found(needle: str) -> tuple[str, list[Any]]:
            return f"{position}({text}, %s)", [*text_params, needle]

        title_end, title_end_params = found(TITLE_END)
        author_end, author_end_params = found(AUTHOR_END)
        parts, params = ["0"], []
        for word in self.words:
            at, at_params = found(word)
            at_word_start, at_word_start_params = found(" " + word)
            parts.append(
                f"CASE WHEN ({at}) = 1 THEN 4"  # the title's first word
                f" WHEN ({at_word_start}) BETWEEN 1 AND {title_end} THEN 4"
                f" WHEN ({at}) BETWEEN 1 AND {title_end} THEN 3"
                f" WHEN ({at}) BETWEEN 1 AND {author_end} THEN 2 ELSE 1 END"
            )
            params += [*at_params, *at_word_start_params, *title_end_params]
            params += [*at_params, *title_end_params, *at_params, *author_end_params]
        if self.isbn:
            isbn, isbn_params = compiler.compile(self.isbn_column)
            parts.append(f"CASE WHEN {isbn} = %s THEN 100 ELSE 0 END")
            params += [*isbn_params, self.isbn]
        return f"({' + '.join(parts)})", params


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
