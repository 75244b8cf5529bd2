"""Seed bench/search.py's database in minutes at any size: seed_demo's own generator (titles,
authors, ISBNs, publishers, languages, subjects, drawn the same way), written with COPY
instead of the ORM, the search text and the SearchWord vocabulary built in the same pass,
and the indexes built once after loading instead of updated row by row (a GIN trigram index
updated per row is what made 1,000,000 books an estimated hour and a half).

    python bench/search_seed.py BOOKS    (DATABASE_URL and DJANGO_SETTINGS_MODULE from bench/search.py)

Ratings, counts and years are drawn as bench/search.py used to draw them in SQL: an average
of 1 to 5 stars over 1 to 21 ratings, a year from 1900 to 2025. No reviews, no covers.
"""

import functools
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = (  # noqa: SIM905 - a column list reads better as one line of names
    "id title author price description cover cover_thumbnail created_at updated_at review_count rating_count"
    " rating_average creator_id rating_1_count rating_2_count rating_3_count rating_4_count rating_5_count"
    " author_slug isbn language pages publication_year publisher cover_variants search_text subject_ids"
).split()


def log(message):
    print(message, file=sys.stderr, flush=True)


def secondary_indexes(cursor, table):
    """(name, definition) of the table's indexes that back no constraint (those stay)."""
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
        " WHERE indrelid = %s::regclass AND indexrelid NOT IN (SELECT conindid FROM pg_constraint)",
        [table],
    )
    return cursor.fetchall()


def main(total):
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from books import search as searching
    from books.management.commands import seed_demo
    from books.models import slug_of_author
    from books.services import subjects_named

    # Titles, authors and subjects repeat: fold each distinct string once.
    searching.fold = functools.lru_cache(maxsize=200_000)(searching.fold)
    command = seed_demo.Command()
    command.rng = rng = random.Random(1)
    command.isbns = set()
    readers = [reader.pk for reader in command._demo_readers()]
    subjects = {subject.name: subject.pk for subject in subjects_named(seed_demo.SUBJECTS)}
    slugs = {}
    vocabulary = set()
    links = []
    started = time.monotonic()
    now = datetime.now(UTC)
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own, for COPY
        cursor.execute("SET session_replication_role = replica")  # no FK triggers: the rows are consistent
        cursor.execute("SET maintenance_work_mem = '1GB'")
        dropped = secondary_indexes(cursor, "books_book") + secondary_indexes(cursor, "books_book_subjects")
        for name, _ in dropped:
            cursor.execute(f"DROP INDEX {name}")
        with cursor.copy(f"COPY books_book ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for number in range(total):
                book_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                title = command._title()
                author = f"{rng.choice(seed_demo.FIRST_NAMES)} {rng.choice(seed_demo.LAST_NAMES)}"
                details = command._details()
                names = rng.sample(seed_demo.SUBJECTS, rng.randint(1, 3))
                text = searching.shadow_text(
                    title=title, author=author, isbn=details["isbn"], publisher=details["publisher"], subjects=names
                )
                vocabulary.update(searching.vocabulary_words(text))
                links.extend((book_id, subjects[name]) for name in names)
                if author not in slugs:
                    slugs[author] = slug_of_author(author)
                created = now - timedelta(seconds=total - number)
                copy.write_row(
                    (
                        book_id, title, author, Decimal(rng.randrange(299, 4999)) / 100,
                        "A demo book made by seed_demo.", "", "", created, created, 0,
                        1 + int(rng.random() * 20), round(Decimal(1 + rng.random() * 4), 2), rng.choice(readers),
                        0, 0, 0, 0, 0, slugs[author], details["isbn"], details["language"], details["pages"],
                        1900 + int(rng.random() * 125), details["publisher"], "{}", text,
                        json.dumps(sorted(subjects[name] for name in names)),
                    )
                )  # fmt: skip
                if number and number % 100_000 == 0:
                    log(f"  {number:,} books written ({time.monotonic() - started:.0f} s)")
        with cursor.copy("COPY books_book_subjects (book_id, subject_id) FROM STDIN") as copy:
            for link in links:
                copy.write_row(link)
        cursor.execute("CREATE TEMPORARY TABLE seeded_words (word text)")
        with cursor.copy("COPY seeded_words (word) FROM STDIN") as copy:
            for word in vocabulary:
                copy.write_row((word,))
        cursor.execute("INSERT INTO books_searchword SELECT word FROM seeded_words ON CONFLICT DO NOTHING")
        log(f"  {total:,} books, {len(links):,} subject links, {len(vocabulary):,} words copied "
            f"({time.monotonic() - started:.0f} s); building {len(dropped)} indexes")  # fmt: skip
        for _, definition in dropped:
            cursor.execute(definition)
        cursor.execute("SET session_replication_role = DEFAULT")
    log(f"seeded {total:,} books in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]))
