"""`make bench-api` (and the end of `make bench`): the API's book list against the HTML list.

Seeds PostgreSQL with 10,000 books (BENCH_API_SIZE), serves it with gunicorn as bench/run.py
does, and loads with wrk, in one run: the HTML list and the API's first page (24 books, the
same number as a page of the site) for an anonymous reader, a signed-in member (session) and,
for the API, a personal access token. Rate limits are off for the run.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402 - needs the path above
    CONNECTIONS,
    DURATION,
    MEMBER,
    REDIS_URL,
    WORKERS,
    base_env,
    drop_database,
    fresh_database,
    log,
    seed,
    sign_in,
    wrk,
)
from tests.servers import Gunicorn  # noqa: E402

SIZE = int(os.environ.get("BENCH_API_SIZE", "10000"))
KIND = os.environ.get("BENCH_API_DATABASE", "postgresql")


def issue_token(env):
    script = (
        "from accounts.models import CustomUser; from api.models import AccessToken; "
        f"print(AccessToken.issue(member=CustomUser.objects.get(username={MEMBER!r}), name='bench', read_only=True)[1])"
    )
    out = subprocess.run(  # noqa: S603 - our own fixed command line
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="bookstore-bench-api-"))
    server = None
    try:
        log(f"== API vs HTML list, {KIND}, {SIZE} books: seeding")
        env = base_env(fresh_database(KIND, workdir), workdir)
        env.update({"BOOKSTORE_API_RATE_PER_ADDRESS": "0/m", "BOOKSTORE_API_RATE_PER_TOKEN": "0/m"})
        redis.Redis.from_url(REDIS_URL).flushdb()
        seed(env, KIND, SIZE, min(5 * SIZE, 50_000))
        token = issue_token(env)
        server = Gunicorn(env, workdir / "gunicorn.log", workers=int(WORKERS))
        base = server.url
        session = [f"Cookie: {sign_in(base)}"]
        token_header = [f"Authorization: Bearer {token}"]
        # Each pair in the order HTML, API, API, HTML, each row the mean of its two runs: the
        # machine is shared and its speed drifts, so neither side always goes first.
        pairs = [
            ("anonymous", ("/books/", []), ("/api/v1/books", [])),
            ("signed in", ("/books/", session), ("/api/v1/books", session)),
            ("token", None, ("/api/v1/books", token_header)),
        ]
        rows = []
        for who, html, api in pairs:
            sides = [("HTML list", html), ("API list", api)]
            runs: dict[str, list[dict]] = {}
            for page, target in (sides + sides[::-1]) if html else [sides[1], sides[1]]:
                path, headers = target
                wrk(base + path, headers=headers, duration=1)  # warm: connections, caches, counts
                runs.setdefault(page, []).append(wrk(base + path, headers=headers))
            for page, measured in runs.items():
                path = html[0] if page == "HTML list" else api[0]
                mean = {key: round(sum(m[key] for m in measured) / len(measured), 2) for key in measured[0]}
                rows.append({"page": page, "who": who, "path": path, **mean})
                log(f"   {page:10} {who:10} {mean['rps']:8.1f} rps")
    finally:
        if server is not None:
            server.stop()
        redis.Redis.from_url(REDIS_URL).flushdb()
        drop_database(KIND)
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"{KIND}, {SIZE} books, wrk -c{CONNECTIONS}, mean of 2 x {DURATION}s per row, gunicorn {WORKERS} sync workers"
    )
    print(f"{'page':10} {'who':10} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for r in rows:
        print(f"{r['page']:10} {r['who']:10} {r['rps']:8.1f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f}")


if __name__ == "__main__":
    main()
