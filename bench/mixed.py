"""Readers under a trickle of writes: read throughput and page-cache hit ratio with members
posting 1 and 10 reviews a second, then editing one of their books a second
(`make bench-mixed`; issue 17, item 3).

Seeds PostgreSQL at BENCH_MIXED_BOOKS (default 10,000) books like `make bench`, starts two
gunicorn servers (2 sync workers each, the same database and Redis), and for each write rate
runs, for BENCH_MIXED_SECONDS (default 15): one wrk per server, anonymous readers cycling
through the first 20 list pages and 400 book pages (a list page for every 4 book pages), and
one writer thread posting reviews at the rate, alternating servers, to random books among
those the readers read. The edit rows (BENCH_MIXED_EDIT_RATES, default "1") have the bench
member change the price of one of EDITED_BOOKS books of theirs, among those the readers read,
through the site's edit form. Prints requests per second and the share of X-Page-Cache hits
for each row, and both as a ratio of a read-only row run just before it (every page cached
again first).
"""

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402 - needs the path above
from tests.servers import Gunicorn, sign_in  # noqa: E402

BOOKS = int(os.environ.get("BENCH_MIXED_BOOKS", "10000"))
SECONDS = int(os.environ.get("BENCH_MIXED_SECONDS", "15"))
WRITERS = 4
RATES = [float(rate) for rate in os.environ.get("BENCH_MIXED_RATES", "1,10").split(",")]
EDIT_RATES = [float(rate) for rate in os.environ.get("BENCH_MIXED_EDIT_RATES", "1").split(",") if rate]
EDITED_BOOKS = 20

# wrk: each thread walks the path list; the hits are counted per thread and summed in done().
LUA = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  counter = id * 37
  hits = 0
  responses = 0
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
function response(status, headers, body)
  responses = responses + 1
  if headers["X-Page-Cache"] == "hit" then hits = hits + 1 end
end
function done(summary, latency, requests)
  local h, r = 0, 0
  for _, thread in ipairs(threads) do
    h = h + thread:get("hits")
    r = r + thread:get("responses")
  end
  io.write(string.format("HITS %%d %%d\\n", h, r))
end
"""


def reader_paths(base, own_books):
    pages = [f"/books/?page={n}" for n in range(1, 21)]
    books = []
    for page in pages:
        books += re.findall(r'href="(/books/[0-9a-f-]{36}/)"', requests.get(base + page, timeout=30).text)
    books = [*own_books, *(book for book in dict.fromkeys(books) if book not in own_books)][:400]
    mixed = []
    for index, book in enumerate(books):
        mixed.append(book)
        if index % 4 == 3:
            mixed.append(pages[(index // 4) % len(pages)])
    return mixed, books


def wrk(url, script, seconds):
    args = ["wrk", "-t1", "-c4", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url]
    output = subprocess.run(args, check=True, capture_output=True, text=True).stdout  # noqa: S603
    hits, responses = (int(n) for n in re.search(r"HITS (\d+) (\d+)", output).groups())
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]), hits, responses


def post_review(session, base, book, rng):
    data = {"review": "A mixed-load review.", "rating": str(rng.randint(1, 5)), **_csrf(session)}
    return session.post(f"{base}{book}review/", data=data, timeout=30)


def post_edit(session, base, book, rng):
    """The edit form as a member sends it: the same fields, a new price."""
    data = {"title": "Mixed Load", "author": "Bench Member", "price": f"{rng.randint(5, 40)}.00", **_csrf(session)}
    return session.post(f"{base}{book}update/", data=data, timeout=30)


def writer(sessions, books, rate, stop, posted, seed, write=post_review):
    rng = random.Random(seed)
    interval = 1 / rate
    next_at = time.monotonic()
    while not stop.is_set():
        session, base = sessions[(posted[0] + seed) % len(sessions)]
        response = write(session, base, rng.choice(books), rng)
        if response.status_code == 200:
            posted[0] += 1
        else:
            posted[1] += 1
        next_at += interval
        stop.wait(max(0.0, next_at - time.monotonic()))


def warm(env, servers, paths):
    """Every reader's page cached afresh on both servers: every cached page retired first (as
    renaming a member does), so that none expires within the next two rows (the page cache
    keeps a page 60 s), then each read once."""
    run.run(
        env,
        sys.executable,
        "manage.py",
        "shell",
        "-c",
        "from books.cache import bump_catalogue_version; bump_catalogue_version()",
        capture_output=True,
    )
    for server in servers:
        with requests.Session() as session:
            for path in paths:
                session.get(server.url + path, timeout=30)


def measure(servers, script, *, write=None, targets=(), rate=0.0, sessions=()):
    """One row: one wrk per server for SECONDS, with writers at `rate` a second when `write`."""
    stop, posted = threading.Event(), [0, 0]
    # Several writers, so that a slow post (the machine is shared) does not lower the rate.
    writers = [
        threading.Thread(target=writer, args=(sessions, targets, rate / WRITERS, stop, posted, n, write), daemon=True)
        for n in range(WRITERS if write is not None else 0)
    ]
    for thread in writers:
        thread.start()
    results = []
    readers = [
        threading.Thread(target=lambda url=server.url, out=results: out.append(wrk(url, script, SECONDS)))
        for server in servers
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    stop.set()
    for thread in writers:
        thread.join(timeout=30)
    return {
        "rps": sum(r[0] for r in results),
        "hits": sum(r[1] for r in results) / max(1, sum(r[2] for r in results)),
        "posted": posted[0],
        "failed": posted[1],
    }


def _csrf(session):
    return {"csrfmiddlewaretoken": session.cookies["csrftoken"]}


def main():
    workdir = Path(tempfile.mkdtemp(prefix="bookstore-mixed-"))
    servers = []
    try:
        env = run.base_env(run.fresh_database("postgresql", workdir), workdir)
        run.seed(env, "postgresql", BOOKS, min(5 * BOOKS, run.MAX_REVIEWS))
        own_books = run.run(
            env,
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from accounts.models import CustomUser; from books.models import Book; "
            f"member = CustomUser.objects.get(username={run.MEMBER!r}); "
            "print(' '.join(Book.objects.create(title='Mixed Load', author='Bench Member', price=10, "
            f"creator=member).get_absolute_url() for _ in range({EDITED_BOOKS})))",
            capture_output=True,
            text=True,
        ).stdout.split()[-EDITED_BOOKS:]
        for name in ("a", "b"):
            servers.append(Gunicorn(env, workdir / f"gunicorn-{name}.log", workers=int(run.WORKERS)))
        paths, books = reader_paths(servers[0].url, own_books)
        (workdir / "paths.txt").write_text("\n".join(paths) + "\n")
        script = workdir / "readers.lua"
        script.write_text(LUA % {"paths": workdir / "paths.txt"})
        sessions = [(sign_in(server.url, run.MEMBER, run.PASSWORD, timeout=30), server.url) for server in servers]
        plan = [("reviews", rate, post_review, books) for rate in RATES if rate > 0]
        plan += [("edits", rate, post_edit, own_books) for rate in EDIT_RATES if rate > 0]
        plan.sort(key=lambda row: row[1])
        rows = []
        for kind, rate, write, targets in plan:
            # The shared machine's speed drifts within minutes (one review a second measured 0.86
            # and 0.73 of a read-only row run minutes before it, a quarter of an hour apart), so
            # each write row is compared with a read-only row run just before it, as make bench
            # compares each page with the bare template run just before it. Both start with every
            # page cached afresh on both servers, none left missing or expiring by the row before.
            warm(env, servers, paths)
            reference = measure(servers, script)
            measured = measure(servers, script, write=write, targets=targets, rate=rate, sessions=sessions)
            rows.append((kind, rate, reference, measured))
            run.log(
                f"   {rate:g} {kind}/s: {measured['rps']:.0f} rps, hits {measured['hits']:.0%}, posted "
                f"{measured['posted']}; read-only just before: {reference['rps']:.0f} rps, hits {reference['hits']:.0%}"
            )
        print(
            f"Mixed load: 2 gunicorn servers x {run.WORKERS} sync workers, PostgreSQL {BOOKS} books, wrk -c4 per "
            f"server for {SECONDS} s per row; readers: 20 list pages and 400 book pages; each row against a "
            f"read-only row run just before it; load average at the end {os.getloadavg()[0]:.1f}."
        )
        print(
            f"{'writes':>7} {'a second':>9} {'posted/s':>9} {'read rps':>9} {'read-only':>9} {'x read-only':>11} "
            f"{'hit ratio':>9} {'read-only':>9} {'x read-only':>11}"
        )
        for kind, rate, reference, measured in rows:
            hits, base_hits = measured["hits"], reference["hits"]
            print(
                f"{kind:>7} {rate:9g} {measured['posted'] / SECONDS:9.1f} {measured['rps']:9.1f} "
                f"{reference['rps']:9.1f} {measured['rps'] / reference['rps']:11.2f} {hits:9.1%} {base_hits:9.1%} "
                f"{hits / base_hits if base_hits else 0:11.2f}"
                + (f"  ({measured['failed']} posts failed)" if measured["failed"] else "")
            )
    finally:
        for server in servers:
            server.stop()
        run.drop_database("postgresql")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
