"""Where a served page spends its time: py-spy samples one gunicorn worker under wrk load.

    .venv/bin/python bench/profile_served.py            # `make bench-profile`

Seeds PostgreSQL at BENCH_PROFILE_BOOKS (default 10,000) books like `make bench`, serves with
gunicorn (one sync worker, production settings: request logging at INFO), and for the
anonymous (page cache hit) and signed-in list and detail pages records SECONDS (default 8) of
py-spy samples while wrk loads that page. Prints, per page, the requests per second under the
profiler (slower than without it) and the functions with the largest share of samples: "own"
(the sample's innermost frame) and "total" (anywhere on the stack).
"""

import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402 - needs the path above
from tests.servers import Gunicorn  # noqa: E402

BOOKS = int(os.environ.get("BENCH_PROFILE_BOOKS", "10000"))
SECONDS = int(os.environ.get("BENCH_PROFILE_SECONDS", "8"))
TOP = int(os.environ.get("BENCH_PROFILE_TOP", "12"))
PY_SPY = str(Path(sys.executable).parent / "py-spy")
SERVER_FRAMES = ("/gunicorn/", "<frozen runpy>", "__main__.py")


def worker_pid(master):
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def record(pid, url, cookie, workdir):
    out = workdir / "profile.txt"
    spy = subprocess.Popen(  # noqa: S603 - our own py-spy, fixed arguments
        [
            PY_SPY,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(SECONDS),
            "--rate",
            "250",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    figures = run.wrk(url, cookie, duration=SECONDS)
    spy.wait(timeout=60)
    return figures, out.read_text()


def frame_name(frame):
    # "function (path/to/file.py:123)" -> "function (file.py)"
    name, _, where = frame.partition(" (")
    return f"{name} ({Path(where.split(':')[0]).name})" if where else name


def summarise(collapsed):
    own, total, samples = collections.Counter(), collections.Counter(), 0
    pending = ""
    for line in collapsed.splitlines():
        # A frame's name can hold a line break (a template's source shown as its "file"):
        # such a sample spans lines, and only its last one ends with the count.
        stack, _, count = (pending + line).rpartition(" ")
        if not count.isdigit():
            pending += line + "\n"
            continue
        pending = ""
        if not stack:
            continue
        count = int(count)
        samples += count
        raw = stack.split(";")
        own[frame_name(raw[-1])] += count
        # Cumulative shares of the request's own code: gunicorn's loop and the interpreter's
        # start-up frames are on every sample.
        for frame in {frame_name(f) for f in raw if not any(skip in f for skip in SERVER_FRAMES)}:
            total[frame] += count
    return own, total, samples


def main():
    workdir = Path(tempfile.mkdtemp(prefix="bookstore-profile-"))
    server = None
    try:
        env = run.base_env(run.fresh_database("postgresql", workdir), workdir)
        run.seed(env, "postgresql", BOOKS, min(5 * BOOKS, run.MAX_REVIEWS))
        server = Gunicorn(env, workdir / "gunicorn.log", workers=1)
        pid = worker_pid(server.process.pid)
        cookie = run.sign_in(server.url)
        urls = run.page_urls(server.url)
        for page in ("list", "detail"):
            for who, page_cookie in (("anonymous", None), ("signed in", cookie)):
                url = server.url + urls[page]
                run.wrk(url, page_cookie, duration=1)  # warm: connections, caches
                figures, collapsed = record(pid, url, page_cookie, workdir)
                own, total, samples = summarise(collapsed)
                print(f"\n== {page}, {who}: {figures['rps']:.0f} rps under the profiler, {samples} samples")
                print("   own:   " + "; ".join(f"{name} {100 * n / samples:.0f}%" for name, n in own.most_common(TOP)))
                # Cumulative: skip the frames every request has (the WSGI handler, the middleware chain).
                common = {name for name, n in total.items() if n >= 0.9 * max(total.values(), default=0)}
                shares = [(name, n) for name, n in total.most_common() if name not in common][:TOP]
                print("   total: " + "; ".join(f"{name} {100 * n / samples:.0f}%" for name, n in shares))
    finally:
        if server is not None:
            server.stop()
        run.drop_database("postgresql")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
