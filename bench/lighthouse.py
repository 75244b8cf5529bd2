"""Lighthouse scores of the book list and a book page, as production serves them
(`make bench-lighthouse`).

A throwaway site under the production settings (DEBUG off, collectstatic with WhiteNoise's
compressed files, JSON request logs), its covers in a moto S3 server reached over HTTP:
30 books, a third of them with photo-like 1600×2400 JPEG covers uploaded through the real
pipeline (so the AVIF/WebP width variants exist), the rest with designed covers, and reviews.
Lighthouse 12.2.3 (from npm, installed under build/lighthouse the first time; the last
release that runs on Node 20) runs in Debian's Chromium with its mobile (simulated slow 4G,
4× CPU slowdown) and desktop presets, and prints performance / accessibility / best practices /
SEO, with any audit under full marks. Plain HTTP on loopback: Lighthouse's "uses HTTPS" is
not scored, the rest is what a visitor gets.
"""

import json
import logging
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's own packages

from bench.cover_bytes import SEED as COVER_SEED  # noqa: E402
from tests.fixtures_s3 import S3Server, s3_environment  # noqa: E402
from tests.production import example_environment  # noqa: E402
from tests.servers import Gunicorn, manage  # noqa: E402

LIGHTHOUSE = "lighthouse@12.2.3"
TOOL_DIR = ROOT / "build" / "lighthouse"
CHROMIUM = os.environ.get("BOOKSTORE_CHROMIUM", "/usr/bin/chromium")
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
    "--disable-sync --no-first-run --disable-quic"
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")

# Twenty more books without a cover file (designed covers) and reviews on the first book.
MORE = """
from accounts.models import CustomUser
from books.models import Book, Review
member = CustomUser.objects.get(username="bench_covers")
readers = [
    CustomUser.objects.create_user(f"reader{n}", f"reader{n}@example.com", "bench-only-password-1") for n in range(5)
]
for n in range(20):
    Book.objects.create(title=f"A designed cover, book {n}", author="B. Author", price="12.50", creator=member,
                        description="A book without a cover file: its cover is drawn from the title.")
first = Book.objects.order_by("created_at").first()
for n, reader in enumerate(readers):
    Review.objects.create(book=first, author=reader, rating=n % 5 + 1, review="A fair review, " * 8)
print(first.get_absolute_url())
"""


def lighthouse_binary():
    binary = TOOL_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        TOOL_DIR.mkdir(parents=True, exist_ok=True)
        npm = ["npm", "install", "--silent", "--no-save", "-E", LIGHTHOUSE]
        subprocess.run(npm, cwd=TOOL_DIR, check=True)  # noqa: S603, S607 - a pinned package from the registry
    return binary


def audit(binary, url, preset, out):
    arguments = [str(binary), url, "--quiet", f"--chrome-flags={CHROME_FLAGS}", "--output=json", f"--output-path={out}"]
    if preset == "desktop":
        arguments.append("--preset=desktop")
    subprocess.run(arguments, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=300)  # noqa: S603
    report = json.loads(Path(out).read_text())
    scores = {key: round(report["categories"][key]["score"] * 100) for key in CATEGORIES}
    misses = [
        f"{key}: {ref['id']} {report['audits'][ref['id']].get('displayValue', '')}".rstrip()
        for key in CATEGORIES
        for ref in report["categories"][key]["auditRefs"]
        if ref["weight"] > 0 and (report["audits"][ref["id"]].get("score") or 1) < 1
    ]
    names = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift")
    metrics = {name: report["audits"][name].get("displayValue", "") for name in names}
    return scores, metrics, misses


def main():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request
    binary = lighthouse_binary()
    with tempfile.TemporaryDirectory(prefix="bookstore-lighthouse-") as tmp:
        work = Path(tmp)
        s3 = S3Server()
        s3.start()
        bucket = f"lighthouse-{secrets.token_hex(4)}"
        s3.client().create_bucket(Bucket=bucket)
        env = example_environment(
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_CSRF_TRUSTED_ORIGINS="http://127.0.0.1",
            BOOKSTORE_SITE_DOMAIN="127.0.0.1",
            DATABASE_URL=f"sqlite:///{work / 'site.sqlite3'}",
            DJANGO_CONN_MAX_AGE="0",
            REDIS_URL=None,
            EMAIL_URL="dummymail://",
            DJANGO_BEHIND_PROXY="false",
            DJANGO_SECURE_SSL_REDIRECT="false",
            DJANGO_SECURE_COOKIES="false",
            DJANGO_SECURE_HSTS_SECONDS="0",
            **s3_environment(s3.endpoint_url, bucket),
            GUNICORN_WORKERS="2",
        )
        server = None
        try:
            manage(env, "migrate", "--noinput", check=True)
            manage(env, "collectstatic", "--noinput", check=True)
            manage(env, "shell", "-c", COVER_SEED, check=True, timeout=600)
            detail = manage(env, "shell", "-c", MORE, check=True).stdout.strip().splitlines()[-1]
            server = Gunicorn(env, work / "gunicorn.log", production=True)
            print(f"Lighthouse 12.2.3, Chromium, production settings; {server.url}; load average {os.getloadavg()}")
            print(f"{'page':<8}{'preset':<9}{'perf / a11y / best / SEO':<27}FCP, LCP, TBT, CLS")
            for name, path in (("list", "/books/"), ("detail", detail)):
                for preset in ("mobile", "desktop"):
                    scores, metrics, misses = audit(binary, server.url + path, preset, work / f"{name}-{preset}.json")
                    figures = " / ".join(str(scores[key]) for key in CATEGORIES)
                    print(f"{name:<8}{preset:<9}{figures:<27}{', '.join(metrics.values())}")
                    for miss in misses:
                        print(f"{'':<17}under full marks: {miss}")
        finally:
            if server:
                server.stop()
            s3.stop()


if __name__ == "__main__":
    main()
