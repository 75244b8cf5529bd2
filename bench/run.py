"""`make bench`: seed, serve with gunicorn, load with wrk, print one table, write JSON.

For each database (PostgreSQL, SQLite) and catalogue size (10,000 and 100,000 books with
5 reviews a book up to 200,000), it creates a fresh database, migrates, runs seed_demo, starts gunicorn on
a free loopback port with bench/settings.py (which adds the bare view and bare template),
and drives every page with wrk, anonymous and signed in. Each figure is compared with the
bare template measured in the same run. Everything it creates is removed at the end.

`python bench/run.py --only reviews` runs only the review rows (bench/reviews.py): a book
with 10,000 reviews against one with 3, a member with 5,000 reviews against one with 3,
page cache off so every request renders; it prints queries per page and the time ratio.

Environment: BENCH_SIZES (default "10000,100000"), BENCH_DATABASES ("postgresql,sqlite"),
BENCH_DURATION (seconds per page, default 5), BENCH_CONNECTIONS (default 8), BENCH_THREADS (wrk
threads, default 2: `wrk -t2 -c8`, as issue 17 measured),
BENCH_POSTGRES (server URL, default postgres://postgres@127.0.0.1:5432),
BENCH_DB_NAME (default bookstore_perf_bench), BENCH_REDIS_URL (default
redis://127.0.0.1:6379/5), BENCH_WORKERS (gunicorn workers, default 2).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's own packages

from bench import cover_bytes, mixed  # noqa: E402 - needs the path above
from tests import servers  # noqa: E402 - needs the path above
from tests.servers import Gunicorn  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "10000,100000").split(",")]
DATABASES = os.environ.get("BENCH_DATABASES", "postgresql,sqlite").split(",")
DURATION = int(os.environ.get("BENCH_DURATION", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB_NAME", "bookstore_perf_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
WORKERS = os.environ.get("BENCH_WORKERS", "2")
MEMBER, PASSWORD = "bench_member", "bench-only-password-1"  # noqa: S105 - a throwaway local account
SEARCH_TERM = "harbor"
# 5 reviews a book, at most this many: the pages read denormalised counts, so more reviews
# only lengthen seeding (a detail page shows its own few either way).
MAX_REVIEWS = int(os.environ.get("BENCH_MAX_REVIEWS", "200000"))
PAGES = ("bare view", "bare template", "list", "deep page", "search", "detail")


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(env, *args, **kwargs):
    # Our own fixed command lines; nothing from outside.
    return subprocess.run(args, cwd=ROOT, env=env, check=True, **kwargs)  # noqa: S603


def fresh_database(kind, workdir):
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"{POSTGRES}/{DB_NAME}"


def drop_database(kind):
    if kind == "postgresql":
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def base_env(database_url, workdir):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "DJANGO_", "DATABASE_URL", "REDIS_URL", "BOOKSTORE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_READ_DOT_ENV="false",
        DJANGO_SECRET_KEY="bench-only-" + os.urandom(16).hex(),
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        DJANGO_MEDIA_ROOT=str(workdir / "media"),
        # As in production: one JSON line per request at INFO (config.middleware), to a file here.
        DJANGO_LOG_LEVEL="INFO",
    )
    return env


def seed(env, kind, size, reviews):
    run(env, sys.executable, "manage.py", "migrate", "--noinput", "-v0")
    started = time.monotonic()
    # A bulk load: its one UPDATE of every book's review counts may outlast the 5 s a request
    # gets on a busy shared machine.
    seed_env = {**env, "DATABASE_STATEMENT_TIMEOUT_MS": "120000"}
    run(
        seed_env,
        sys.executable,
        "manage.py",
        "seed_demo",
        "--books",
        str(size),
        "--reviews",
        str(reviews),
        "--seed",
        "1",
    )
    seconds = time.monotonic() - started
    run(
        env,
        sys.executable,
        "manage.py",
        "shell",
        "-c",
        "from accounts.models import CustomUser; "
        f"CustomUser.objects.create_user({MEMBER!r}, 'bench@example.invalid', {PASSWORD!r})",
    )
    if kind == "postgresql":
        # What autovacuum does soon after a bulk load: statistics and the visibility map
        # (which lets the planner use index-only scans).
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    return seconds


def sign_in(base):
    """The Cookie header a signed-in browser sends, for wrk: every cookie the site set, the
    session's and the CSRF token's. With the session cookie alone every page that holds a form
    made a new CSRF secret and set its cookie again, which no browser makes the site do."""
    session = servers.sign_in(base, MEMBER, PASSWORD, timeout=30)
    return "; ".join(f"{name}={value}" for name, value in sorted(session.cookies.items()))


def page_urls(base):
    listing = requests.get(f"{base}/books/", timeout=30)
    last_page = max(int(n) for n in re.findall(r"[?&]page=(\d+)", listing.text))
    detail = re.search(r'href="(/books/[0-9a-f-]{36}/)"', listing.text)[1]
    return {
        "bare view": "/bench/bare/",
        "bare template": "/bench/template/",
        "list": "/books/",
        "deep page": f"/books/?page={last_page}",
        "search": f"/books/?q={SEARCH_TERM}",
        "detail": detail,
    }


def wrk(url, cookie=None, duration=DURATION, headers=()):
    """Rate and latency of `url` under wrk; `headers` ("Name: value") beside the session cookie."""
    threads = min(THREADS, CONNECTIONS)  # wrk refuses more threads than connections
    args = ["wrk", f"-t{threads}", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    for header in headers:
        args += ["-H", header]
    output = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout  # noqa: S603
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{url} answered errors under load:\n{output}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "p50_ms": latency_ms(re.search(r"\s50%\s+([\d.]+\w+)", output)[1]),
        "p99_ms": latency_ms(re.search(r"\s99%\s+([\d.]+\w+)", output)[1]),
    }


def latency_ms(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def bench_one(kind, size):
    workdir = Path(tempfile.mkdtemp(prefix=f"bookstore-bench-{kind}-"))
    server = yardstick = None
    try:
        log(f"== {kind}, {size} books: seeding")
        env = base_env(fresh_database(kind, workdir), workdir)
        redis.Redis.from_url(REDIS_URL).flushdb()
        reviews = min(5 * size, MAX_REVIEWS)
        seed_seconds = seed(env, kind, size, reviews)
        log(f"   seeded in {seed_seconds:.0f} s; serving")
        server = Gunicorn(env, workdir / "gunicorn.log", workers=int(WORKERS))
        # The yardstick (bench/yardstick): startproject's Django, same gunicorn settings, same run.
        yardstick = Gunicorn(
            {**env, "DJANGO_SETTINGS_MODULE": "bench.yardstick.settings"},
            workdir / "yardstick.log",
            workers=int(WORKERS),
            app="bench.yardstick.wsgi:application",
        )
        base = server.url
        cookie = sign_in(base)
        urls = page_urls(base)
        rows = []
        template_url = base + urls["bare template"]
        for page in PAGES:
            # The machine is shared, so its speed drifts during a run: each page is compared
            # with the bare template measured just before it, not with one figure from the start.
            baseline = wrk(template_url)
            yard_view = wrk(yardstick.url + "/bare/")
            yard_template = wrk(yardstick.url + "/template/")
            for who, page_cookie in (("anonymous", None), ("signed in", cookie)):
                url = base + urls[page]
                wrk(url, page_cookie, duration=1)  # warm: connections, caches, counts
                figures = wrk(url, page_cookie)
                ratio = round(figures["rps"] / baseline["rps"], 3)
                rows.append(
                    {
                        "database": kind,
                        "books": size,
                        "reviews": reviews,
                        "page": page,
                        "who": who,
                        "path": urls[page],
                        **figures,
                        "bare_template_rps": baseline["rps"],
                        "ratio": ratio,
                        "yardstick_view_rps": yard_view["rps"],
                        "yardstick_template_rps": yard_template["rps"],
                        "vs_yardstick_view": round(figures["rps"] / yard_view["rps"], 3),
                        "vs_yardstick_template": round(figures["rps"] / yard_template["rps"], 3),
                    }
                )
                row = rows[-1]
                log(
                    f"   {page:14} {who:10} {figures['rps']:8.1f} rps  ratio {ratio:.2f}  "
                    f"yardstick view {row['vs_yardstick_view']:.2f} template {row['vs_yardstick_template']:.2f}"
                )
        return rows, seed_seconds
    finally:
        if server is not None:
            server.stop()
        if yardstick is not None:
            yardstick.stop()
        redis.Redis.from_url(REDIS_URL).flushdb()
        drop_database(kind)
        shutil.rmtree(workdir, ignore_errors=True)


def table(rows):
    header = (
        f"{'database':10} {'books':>7}  {'page':14} {'who':10} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}"
        f" {'/y.view':>7} {'/y.tmpl':>7}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['database']:10} {r['books']:>7}  {r['page']:14} {r['who']:10} "
            f"{r['rps']:8.1f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['ratio']:6.2f}"
            f" {r.get('vs_yardstick_view', 0):7.2f} {r.get('vs_yardstick_template', 0):7.2f}"
        )
    return "\n".join(lines)


# Each group against its first row; the middle one fills a page (20 reviews, 12 books), so
# it shows what the page size costs and the last what the 10,000 or 5,000 behind it cost.
REVIEW_GROUPS = (
    ("detail, 3 reviews", "detail, 20", "detail, 10,000"),
    ("member, 3 reviews", "member, 20", "member, 5,000"),
)


def bench_reviews(kind):
    """The review rows: pages of a much-reviewed book and member against small ones, rendered
    on every request (caches off), then signed in with the caches on (Redis), as served."""
    workdir = Path(tempfile.mkdtemp(prefix=f"bookstore-bench-reviews-{kind}-"))
    server = None
    try:
        log(f"== {kind}, reviews: seeding")
        env = base_env(fresh_database(kind, workdir), workdir)
        redis.Redis.from_url(REDIS_URL).flushdb()
        run(env, sys.executable, "manage.py", "migrate", "--noinput", "-v0")
        seeded = run(
            env,
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            f"from bench.reviews import main; main({MEMBER!r}, {PASSWORD!r})",
            capture_output=True,
            text=True,
        ).stdout
        seeded = json.loads(seeded.split("BENCH-JSON ", 1)[1])
        if kind == "postgresql":
            with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
        rows = []
        for mode, page_cache in (("rendered", "false"), ("cached", "true")):
            server = Gunicorn({**env, "BOOKSTORE_PAGE_CACHE": page_cache}, workdir / f"gunicorn-{mode}.log")
            cookie = sign_in(server.url) if mode == "cached" else None
            rows += _review_rows(kind, mode, server.url, cookie, seeded)
            server.stop()
            server = None
        return rows
    finally:
        if server is not None:
            server.stop()
        redis.Redis.from_url(REDIS_URL).flushdb()
        drop_database(kind)
        shutil.rmtree(workdir, ignore_errors=True)


def _review_rows(kind, mode, base, cookie, seeded):
    rows = []
    for group in REVIEW_GROUPS:
        figures = {}
        for name in group * 2:  # twice, interleaved: the machine's speed drifts
            wrk(base + seeded["urls"][name], cookie, duration=1)
            result = wrk(base + seeded["urls"][name], cookie)
            best = figures.get(name)
            figures[name] = result if best is None or result["rps"] > best["rps"] else best
        for name in group:
            rows.append(
                {
                    "database": kind,
                    "mode": mode,
                    "page": name,
                    "path": seeded["urls"][name],
                    "queries": seeded["queries"][name],
                    **figures[name],
                    "time_vs_small": round(figures[group[0]]["rps"] / figures[name]["rps"], 3),
                    "time_vs_full_page": round(figures[group[1]]["rps"] / figures[name]["rps"], 3),
                }
            )
            log(f"   {mode:8} {name:18} {figures[name]['rps']:8.1f} rps")
    return rows


def review_table(rows):
    header = (
        f"{'database':10} {'mode':8} {'page':18} {'queries':>7} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'x vs 3':>7} {'x vs 20':>7}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['database']:10} {r['mode']:8} {r['page']:18} {r['queries']:>7} {r['rps']:8.1f} "
            f"{r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['time_vs_small']:7.2f} {r['time_vs_full_page']:7.2f}"
        )
    return "\n".join(lines)


def main_reviews():
    started = time.monotonic()
    rows = []
    for kind in DATABASES:
        rows += bench_reviews(kind)
    print(
        "x vs 3 (vs 20) = time per request / that of the page with 3 (20) reviews (rps ratio). rendered: caches "
        "off, anonymous, every request renders and queries; cached: signed in, Redis caches on (reviews fragment). "
        f"queries: anonymous, caches off. "
        f"wrk -c{CONNECTIONS}, {DURATION}s per row (best of two), gunicorn {WORKERS} sync workers, "
        f"{os.cpu_count()} CPUs, load average at the end {os.getloadavg()[0]:.1f}."
    )
    print(review_table(rows))
    print(f"total {time.monotonic() - started:.0f} s")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"bench-reviews-{stamp}.json"
    out.write_text(json.dumps({"when": stamp, "connections": CONNECTIONS, "seconds": DURATION, "rows": rows}, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    parser = argparse.ArgumentParser(description="Seed, serve and load the site; print one table.")
    parser.add_argument("--only", choices=["reviews"], help="run only these rows (reviews: bench/reviews.py)")
    if parser.parse_args().only == "reviews":
        return main_reviews()
    started = time.monotonic()
    rows, seeding = [], {}
    for kind in DATABASES:
        for size in SIZES:
            more, seconds = bench_one(kind, size)
            rows += more
            seeding[f"{kind}-{size}"] = round(seconds, 1)
    print(
        "ratio = rps / rps of the site's own bare template measured just before, same server; /y.view and "
        "/y.tmpl = rps / rps of the yardstick's bare view and 24-item template (bench/yardstick: startproject's "
        "Django, same gunicorn settings), measured just before.\n"
        f"Request logging at INFO as in production. wrk -t{min(THREADS, CONNECTIONS)} -c{CONNECTIONS}, "
        f"{DURATION}s per row, gunicorn {WORKERS} sync workers, {os.cpu_count()} CPUs, "
        f"load average at the end {os.getloadavg()[0]:.1f}."
    )
    print(table(rows))
    print("seed_demo seconds:", seeding)
    covers = cover_bytes.measure()
    print(cover_bytes.table(covers))
    mixed.main()  # readers under 0, 1 and 10 reviews a second (bench/mixed.py)
    print(f"total {time.monotonic() - started:.0f} s")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"bench-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "connections": CONNECTIONS,
                "seconds": DURATION,
                "rows": rows,
                "seed_seconds": seeding,
                "cover_bytes": covers,
            },
            indent=2,
        )
    )
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
