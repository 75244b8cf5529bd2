"""Generated CSV files in Goodreads' export format, for the import's tests and bench."""

from __future__ import annotations

import csv
import io
import random

from stdnum import ean

GOODREADS_HEADER = [
    "Book Id", "Title", "Author", "Author l-f", "Additional Authors", "ISBN", "ISBN13", "My Rating",
    "Average Rating", "Publisher", "Binding", "Number of Pages", "Year Published", "Original Publication Year",
    "Date Read", "Date Added", "Bookshelves", "Bookshelves with positions", "Exclusive Shelf", "My Review",
    "Spoiler", "Private Notes", "Read Count", "Owned Copies",
]  # fmt: skip


def isbn13(number: int) -> str:
    """A valid ISBN-13 (978 prefix) made from a number."""
    body = f"978{number:09d}"
    return body + ean.calc_check_digit(body)


def goodreads_row(number: int, *, isbn: str | None = None, **overrides: str) -> dict[str, str]:
    isbn = isbn13(number) if isbn is None else isbn
    row = dict.fromkeys(GOODREADS_HEADER, "")
    row.update(
        {
            "Book Id": str(100000 + number),
            "Title": f"The Book of Tides, Volume {number}",
            "Author": f"Author Number{number % 50}",
            "ISBN": '=""',
            "ISBN13": f'="{isbn}"',
            "My Rating": "0",
            "Average Rating": "3.91",
            "Publisher": "Tidewater Press",
            "Binding": "Paperback",
            "Number of Pages": str(100 + number % 400),
            "Year Published": str(1950 + number % 70),
            "Original Publication Year": "",
            "Date Added": "2024/05/01",
            "Bookshelves": "to-read",
            "Exclusive Shelf": "to-read",
            "Read Count": "0",
            "Owned Copies": "0",
        }
    )
    row.update(overrides)
    return row


BAD_ROWS = {
    # row overrides -> the words the report gives
    "checksum": ({"ISBN13": '="9780441172710"'}, "check digit is wrong"),
    "no-title": ({"Title": ""}, "title"),
    "year": ({"Year Published": "3024"}, "publication_year"),
    "pages": ({"Number of Pages": "many"}, "not a whole number"),
}


def goodreads_csv(count: int, *, bad_every: int = 0, seed: int = 1) -> str:
    """`count` rows; with bad_every=n, every n-th row is one of BAD_ROWS in turn."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.DictWriter(out, GOODREADS_HEADER, quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    kinds = list(BAD_ROWS)
    for number in range(1, count + 1):
        if bad_every and number % bad_every == 0:
            overrides, _ = BAD_ROWS[kinds[(number // bad_every) % len(kinds)]]
            writer.writerow(goodreads_row(number, **overrides))
        else:
            rating = rng.choice(["0", "0", "3", "5"])
            writer.writerow(goodreads_row(number, **{"My Rating": rating}))
    return out.getvalue()
