"""`make bench-search`: search, filters and suggestions at 100,000 books on PostgreSQL.

Seeds a PostgreSQL database with seed_demo's generator through COPY (bench/search_seed.py;
no reviews: ratings and years are drawn so the rating filter has something to count) plus a
few well-known books for the misspelling rows, VACUUM ANALYZE as autovacuum would and a
CHECKPOINT, then times each row in this process, with the page cache off (and with it the
cached counts and filter counts), so every request is what a search nobody made since the
last write costs:

- "search": everything the list view asks the database for a search, as the view asks it:
  the count, one page of 24 books, the filter counts (facets) and, where nothing matches
  exactly, the spelling correction; no template rendering;
- "page": the whole list page through Django's test client (the same, plus middleware and
  rendering the 24 cards and the filters);
- suggestions: the JSON endpoint the search box calls, through the test client.

Prints p50 and p99 in milliseconds and the first three results of each query.
`BENCH_SEARCH_BOOKS` (default 100000; `make bench-large` uses 1000000),
`BENCH_SEARCH_ROUNDS` (default 200), `BENCH_POSTGRES` (server URL), `BENCH_SEARCH_DB`
(default bookstore_search_bench), `BENCH_SEARCH_REUSE=1` keeps a database already seeded at
that size.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BOOKS = int(os.environ.get("BENCH_SEARCH_BOOKS", "100000"))
ROUNDS = int(os.environ.get("BENCH_SEARCH_ROUNDS", "200"))
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_SEARCH_DB", "bookstore_search_bench")
REUSE = os.environ.get("BENCH_SEARCH_REUSE") == "1"
DATABASE_URL = f"{POSTGRES}/{DB_NAME}"

WELL_KNOWN = [
    ("Crime and Punishment", "Fyodor Dostoevsky", "9780140449136", ["Classics"]),
    ("The Hobbit", "J. R. R. Tolkien", "9780261102217", ["Fantasy"]),
    ("Gödel, Escher, Bach", "Douglas R. Hofstadter", "9780465026562", ["Philosophy"]),
    ("At Swim-Two-Birds", "Flann O'Brien", "", ["Classics"]),
    ("Война и мир", "Лев Толстой", "", ["Classics"]),
]
ROWS = [  # (row, list parameters): the four timed kinds first, then the closing note's queries
    ("common word", {"q": "harbor"}),
    ("two words", {"q": "silent harbor"}),
    ("misspelling", {"q": "Dostoyevsky"}),
    ("misspelling", {"q": "hobit"}),
    ("filter combo", {"q": "harbor", "language": "en", "rating": "3", "year_min": "1950", "price_max": "20"}),
    ("accents", {"q": "Gödel"}),
    ("accents folded", {"q": "GÖDEL"}),
    ("accents folded", {"q": "godel"}),
    ("any order", {"q": "escher bach"}),
    ("any order", {"q": "crime punishment"}),
    ("ISBN", {"q": "978-0-465-02656-2"}),
    ("ISBN-10", {"q": "0-465-02656-7"}),
    ("apostrophe", {"q": "obrien"}),
    ("Cyrillic", {"q": "толстой"}),
    ("subject + word", {"q": "fantasy hobbit"}),
]
SUGGESTIONS = ["har", "harb", "silent har", "godel"]


def log(message):
    print(message, file=sys.stderr, flush=True)


def environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "BOOKSTORE_", "REDIS"))}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_READ_DOT_ENV="false",
        DJANGO_SECRET_KEY="bench-only-" + os.urandom(16).hex(),
        DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL=DATABASE_URL,
        BOOKSTORE_PAGE_CACHE="false",
        DATABASE_STATEMENT_TIMEOUT_MS="600000",
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


def seeded_size():
    try:
        with psycopg.connect(DATABASE_URL) as conn:
            return conn.execute("SELECT count(*) FROM books_book").fetchone()[0]
    except psycopg.Error:
        return None


def seed(env):
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    started = time.monotonic()
    subprocess.run([sys.executable, "bench/search_seed.py", str(BOOKS)], cwd=ROOT, env=env, check=True)  # noqa: S603
    log(f"seeding: {time.monotonic() - started:.0f} s")


def add_well_known():
    from accounts.models import CustomUser
    from books.models import Book
    from books.services import book_save

    creator, _ = CustomUser.objects.get_or_create(username="bench_search", defaults={"email": "bench@example.invalid"})
    for title, author, isbn, subjects in WELL_KNOWN:
        if not Book.objects.filter(title=title, author=author).exists():
            book_save(book=Book(title=title, author=author, isbn=isbn, price=12), creator=creator, subjects=subjects)


def timed(call, rounds):
    call()  # warm: connections, imports, the planner's caches
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main():
    env = environment()
    if not (REUSE and seeded_size() and seeded_size() >= BOOKS):
        seed(env)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test import Client

    from books.views import BookListView

    add_well_known()
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        # Write back now what the seeding (and, in `make bench`, the runs before this one)
        # left dirty, so the checkpointer's writes do not land among the timed searches.
        conn.execute("CHECKPOINT")
    client = Client()
    rows = []
    log(f"timing {len(ROWS)} searches and {len(SUGGESTIONS)} suggestions, {ROUNDS} rounds each")
    for row, params in ROWS:

        def queries(params=params):
            from django.test import RequestFactory

            view = BookListView(request=RequestFactory().get("/books/", params), kwargs={})
            books = view.get_queryset()
            paginator = view.get_paginator(books, 24)
            list(paginator.page(1).object_list)
            view._facets()
            return view

        view = queries()
        page = client.get("/books/", params)
        q_p50, q_p99 = timed(queries, ROUNDS)
        p_p50, p_p99 = timed(lambda params=params: client.get("/books/", params), max(ROUNDS // 4, 20))
        assert page.status_code == 200, page.status_code
        first = [f"{b.title} — {b.author}" for b in view.get_queryset()[:3]]
        rows.append((row, params, view.matches[2], view.matches[3], q_p50, q_p99, p_p50, p_p99, first))
    suggestions = []
    for text in SUGGESTIONS:
        response = client.get("/books/suggest/", {"q": text})
        s_p50, s_p99 = timed(lambda text=text: client.get("/books/suggest/", {"q": text}), ROUNDS)
        suggestions.append((text, len(response.json()["books"]), s_p50, s_p99))

    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"\nSearch at {seeded_size():,} books on PostgreSQL, page cache off (ms); load average {load}")
    print(f"{'row':15} {'query':62} {'found':>6} {'search p50/p99':>16} {'page p50/p99':>14}")
    for row, params, count, _corrected, q50, q99, p50, p99, _first in rows:
        shown = "&".join(f"{k}={v}" for k, v in params.items())
        print(f"{row:15} {shown[:62]:62} {count:>6} {q50:7.1f}/{q99:<8.1f} {p50:6.1f}/{p99:<7.1f}")
    print(f"\n{'suggestions':15} {'typed':20} {'books':>6} {'p50':>7} {'p99':>7}")
    for text, found, s50, s99 in suggestions:
        print(f"{'':15} {text:20} {found:>6} {s50:7.1f} {s99:7.1f}")
    print("\nFirst three results")
    for _row, params, _count, corrected, *_, first in rows:
        note = f"  (showing results for {corrected})" if corrected else ""
        print(f"  {params['q']!r}{' + filters' if len(params) > 1 else ''}{note}")
        for line in first:
            print(f"      {line}")


if __name__ == "__main__":
    main()
