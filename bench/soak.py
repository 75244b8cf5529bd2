"""Soak: two app servers behind nginx under mixed readers and writers, through a Redis restart
and a 10-second S3 outage; then media_audit and the review counters against the rows.

    make soak                      # SOAK_SECONDS=300
    make soak SOAK_SECONDS=60

Everything is real and on loopback: two gunicorn servers with the production settings
(.env.production.example) on a fresh PostgreSQL database, their own redis-server
(tests/outage.py, so it can be restarted), moto's S3 server (tests/fixtures_s3.py, signatures
checked) behind a TCP relay that can drop every connection, and deploy/nginx/bookstore.conf
in front (tests/servers.py). Anonymous readers browse, search and open books; members sign
in, add books with covers, edit them (sometimes with a new cover), review and delete them.
At 30% of the run Redis is stopped and started again; at 60% S3 fails for 10 s.

Prints figures, asserts nothing; exits 1 if media_audit finds a missing file or a book's
counters disagree with its rows.
"""

import io
import json
import logging
import os
import random
import re
import secrets
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402
import urllib3  # noqa: E402
from PIL import Image  # noqa: E402

from tests.fixtures_s3 import S3Server, s3_environment  # noqa: E402
from tests.outage import RedisServer  # noqa: E402
from tests.production import example_environment  # noqa: E402
from tests.servers import Gunicorn, Nginx, manage  # noqa: E402
from tests.services import postgres_server, postgres_url  # noqa: E402

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # our own self-signed certificate

HOST = "books.example.com"
SECONDS = int(os.environ.get("SOAK_SECONDS", "300"))
READERS, WRITERS = 4, 4
S3_OUTAGE_SECONDS = 10
PASSWORD = "soak-Pa55word-" + secrets.token_hex(4)
WORDS = ["dune", "kindred", "sower", "night", "river", "glass", "iron", "salt", "ember", "harbour", "winter", "garden"]
STORAGE_UNAVAILABLE = "Cover storage is unavailable"


class S3Relay:
    """A TCP relay in front of the S3 server; while `down`, it drops every connection at once."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.down = False
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.open = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def fail(self):
        self.down = True
        for sock in list(self.open):  # keep-alive connections die too
            self._close(sock)

    def recover(self):
        self.down = False

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            if self.down:
                self._close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                self._close(client)
                continue
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source, target):
        self.open.update((source, target))
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            self._close(source)
            self._close(target)

    def _close(self, sock):
        self.open.discard(sock)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
            sock.close()
        except OSError:
            pass


class Recorder:
    def __init__(self, started):
        self.started = started
        self.lock = threading.Lock()
        self.rows = []  # (offset s, action, status, seconds, note)

    def add(self, action, status, seconds, note=""):
        with self.lock:
            self.rows.append((time.monotonic() - self.started, action, status, seconds, note))


class Client:
    """A browser behind nginx: one cookie jar, the public Host, CSRF tokens from the forms."""

    def __init__(self, base, recorder):
        self.base = base
        self.recorder = recorder
        self.session = requests.Session()
        self.session.headers["Host"] = HOST

    def request(self, action, method, path, **kwargs):
        started = time.monotonic()
        headers = {"Referer": f"https://{HOST}{path}", "Origin": f"https://{HOST}"} if method == "POST" else {}
        try:
            response = self.session.request(
                method, self.base + path, headers=headers, allow_redirects=False, timeout=30, verify=False, **kwargs
            )
        except requests.RequestException as exc:
            self.recorder.add(action, f"error:{type(exc).__name__}", time.monotonic() - started)
            return None
        note = STORAGE_UNAVAILABLE if STORAGE_UNAVAILABLE in response.text else ""
        self.recorder.add(action, response.status_code, time.monotonic() - started, note)
        return response

    def token(self, action, path):
        page = self.request(action, "GET", path)
        if page is None or page.status_code != 200:
            return None
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        return match.group(1) if match else None

    def post_form(self, action, form_path, data, files=None, post_path=None):
        token = self.token(f"{action} (form)", form_path)
        if token is None:
            return None
        return self.request(
            action, "POST", post_path or form_path, data={**data, "csrfmiddlewaretoken": token}, files=files
        )


def cover_bytes(seed):
    rng = random.Random(seed)
    size = (600, 900)
    noise = Image.effect_noise(size, rng.randint(20, 60))
    red = Image.linear_gradient("L").rotate(rng.choice([0, 90, 180])).resize(size)
    image = Image.merge("RGB", (Image.blend(red, noise, 0.3), noise, Image.radial_gradient("L").resize(size)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


class Catalogue:
    """The book ids the clients know, and whose they are."""

    def __init__(self, seeded):
        self.lock = threading.Lock()
        self.everyone = list(seeded)
        self.by_member = {}

    def add(self, member, book_id):
        with self.lock:
            self.everyone.append(book_id)
            self.by_member.setdefault(member, []).append(book_id)

    def remove(self, member, book_id):
        with self.lock:
            for books in (self.everyone, self.by_member.get(member, [])):
                if book_id in books:
                    books.remove(book_id)

    def any(self, rng):
        with self.lock:
            return rng.choice(self.everyone) if self.everyone else None

    def of(self, member, rng):
        with self.lock:
            books = self.by_member.get(member, [])
            return rng.choice(books) if books else None


def reader(base, recorder, catalogue, deadline, seed):
    rng = random.Random(seed)
    client = Client(base, recorder)
    while time.monotonic() < deadline:
        choice = rng.random()
        if choice < 0.3:
            client.request("browse", "GET", rng.choice(["/books/", "/books/?page=2", "/books/?sort=title", "/"]))
        elif choice < 0.5:
            client.request("search", "GET", f"/books/?q={rng.choice(WORDS)}")
        else:
            book_id = catalogue.any(rng)
            if book_id:
                client.request("book page", "GET", f"/books/{book_id}/")
        time.sleep(rng.uniform(0.02, 0.1))


def sign_in(base, recorder, username):
    client = Client(base, recorder)
    response = client.post_form("sign in", "/accounts/login/", {"login": username, "password": PASSWORD})
    return client if response is not None and response.status_code == 302 else None


def writer(base, recorder, catalogue, deadline, seed, username, covers):
    rng = random.Random(seed)
    client = None
    signed_in_at = 0.0
    while time.monotonic() < deadline:
        if client is None or time.monotonic() - signed_in_at > 30:
            client = sign_in(base, recorder, username)
            signed_in_at = time.monotonic()
            if client is None:
                time.sleep(1)
                continue
        choice = rng.random()
        mine = catalogue.of(username, rng)
        if choice < 0.3 or mine is None:
            data = {
                "title": f"{rng.choice(WORDS).title()} {uuid.uuid4().hex[:6]}",
                "author": "Soak Writer",
                "price": "9.50",
                "description": "Written during the soak.",
            }
            response = client.post_form(
                "create with cover",
                "/books/create/",
                data,
                files={"cover": ("c.jpg", rng.choice(covers), "image/jpeg")},
            )
            if response is not None and response.status_code == 302:
                match = re.search(r"/books/([0-9a-f-]{36})/", response.headers.get("Location", ""))
                if match:
                    catalogue.add(username, match.group(1))
        elif choice < 0.55:
            data = {"title": f"Edited {uuid.uuid4().hex[:6]}", "author": "Soak Writer", "price": "11.00"}
            files = {"cover": ("n.jpg", rng.choice(covers), "image/jpeg")} if rng.random() < 0.4 else None
            client.post_form("edit with cover" if files else "edit", f"/books/{mine}/update/", data, files=files)
        elif choice < 0.85:
            book_id = catalogue.any(rng)
            data = {"review": f"Review {uuid.uuid4().hex}", "rating": str(rng.choice([1, 2, 3, 4, 5, ""]))}
            client.post_form("review", f"/books/{book_id}/", data, post_path=f"/books/{book_id}/review/")
        else:
            response = client.post_form("delete", f"/books/{mine}/delete/", {})
            if response is not None and response.status_code == 302:
                catalogue.remove(username, mine)
        time.sleep(rng.uniform(0.05, 0.2))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def report(recorder, events, s3_window):
    rows = recorder.rows
    statuses = Counter(str(status) for _t, _a, status, _s, _n in rows)
    durations = [seconds * 1000 for _t, _a, _status, seconds, _n in rows]
    print(f"\nSoak: {SECONDS} s, 2 app servers behind nginx, {READERS} readers and {WRITERS} writers")
    for line in events:
        print(f"  {line}")
    print(f"\nrequests: {len(rows)} ({len(rows) / SECONDS:.1f}/s)")
    print("by status: " + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items())))
    errors = {status: count for status, count in statuses.items() if not status.isdigit() or int(status) >= 500}
    print("errors (5xx or no answer): " + (", ".join(f"{s}: {c}" for s, c in sorted(errors.items())) or "none"))
    print(f"latency: p50 {percentile(durations, 0.5):.0f} ms, p99 {percentile(durations, 0.99):.0f} ms")
    print(f"\n{'action':<24}{'count':>7}{'p50 ms':>8}{'p99 ms':>8}  statuses")
    for action in sorted({row[1] for row in rows}):
        mine = [row for row in rows if row[1] == action]
        times = [row[3] * 1000 for row in mine]
        counts = Counter(str(row[2]) for row in mine)
        summary = ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))
        print(f"{action:<24}{len(mine):>7}{percentile(times, 0.5):>8.0f}{percentile(times, 0.99):>8.0f}  {summary}")
    start, end = s3_window
    uploads = [row for row in rows if start <= row[0] <= end + 1 and row[1] in ("create with cover", "edit with cover")]
    clean = sum(1 for row in uploads if row[4] == STORAGE_UNAVAILABLE)
    failed = sum(1 for row in uploads if not str(row[2]).isdigit() or int(row[2]) >= 500)
    saved = sum(1 for row in uploads if row[2] == 302)
    print(
        f'\nduring the S3 outage (+1 s): {len(uploads)} cover uploads: {clean} answered "{STORAGE_UNAVAILABLE}" '
        f"on the form, {saved} saved (before or after the cut), {failed} 5xx or no answer"
    )
    return errors


def check_counters(database_url):
    """Each book's stored review statistics against its review rows."""
    query = """
        SELECT b.id, b.review_count, b.rating_count, b.rating_average,
            (SELECT count(*) FROM books_review r WHERE r.book_id = b.id),
            (SELECT count(*) FROM books_review r WHERE r.book_id = b.id AND r.rating IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM books_review n WHERE n.book_id = r.book_id AND n.author_id = r.author_id
                AND n.rating IS NOT NULL AND n.id > r.id)),
            (SELECT round(avg(r.rating)::numeric, 2) FROM books_review r WHERE r.book_id = b.id
                AND r.rating IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM books_review n WHERE n.book_id = r.book_id AND n.author_id = r.author_id
                AND n.rating IS NOT NULL AND n.id > r.id))
        FROM books_book b
    """
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(query).fetchall()
        reviews = conn.execute("SELECT count(*) FROM books_review").fetchone()[0]
    wrong = [row for row in rows if (row[1], row[2], row[3]) != (row[4], row[5], row[6])]
    print(f"review counters: {len(rows)} books, {reviews} reviews, {len(wrong)} books whose counters disagree")
    for row in wrong[:10]:
        print(f"  book {row[0]}: stored {row[1]}/{row[2]}/{row[3]}, rows say {row[4]}/{row[5]}/{row[6]}")
    return wrong


def main():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request
    work = Path(tempfile.mkdtemp(prefix="bookstore-soak-"))
    pg = postgres_server()
    dbname = f"bookstore_soak_{secrets.token_hex(4)}"
    with psycopg.connect(**pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    database_url = postgres_url(pg, dbname)
    redis = RedisServer(work / "redis.log")
    s3 = S3Server()
    s3.start()
    bucket = f"soak-{secrets.token_hex(4)}"
    s3.client().create_bucket(Bucket=bucket)
    relay = S3Relay(s3.get_host_and_port()[1])
    env = example_environment(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
        DATABASE_URL=database_url,
        REDIS_URL=redis.url(0),
        EMAIL_URL="dummymail://",
        **s3_environment(f"http://127.0.0.1:{relay.port}", bucket),
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="2",
        # Four writers post far faster than a member may (10 reviews a minute, 20 books an
        # hour): the soak loads the write path, so the per-member limits are off here.
        BOOKSTORE_REVIEW_RATE="",
        BOOKSTORE_BOOK_RATE="",
    )
    apps, nginx = [], None
    try:
        manage(env, "migrate", "--noinput", check=True)
        manage(env, "collectstatic", "--noinput", check=True)
        members = [f"writer{number}" for number in range(WRITERS)]
        seeded = manage(
            {**env, "SOAK_PASSWORD": PASSWORD, "SOAK_MEMBERS": ",".join(members)},
            "shell",
            "-c",
            "import json, os; from accounts.models import CustomUser; from allauth.account.models import EmailAddress; "
            "from books.models import Book\n"
            "for name in os.environ['SOAK_MEMBERS'].split(','):\n"
            "    u = CustomUser.objects.create_user(name, name + '@example.com', os.environ['SOAK_PASSWORD'])\n"
            "    EmailAddress.objects.create(user=u, email=u.email, verified=True, primary=True)\n"
            "seed = CustomUser.objects.create_user('seed', 'seed@example.com', os.environ['SOAK_PASSWORD'])\n"
            "print(json.dumps([str(Book.objects.create(title=f'Seed book {n}', author='Seed', price=5, "
            "creator=seed).pk) for n in range(40)]))",
            check=True,
        )
        catalogue = Catalogue(json.loads(seeded.stdout.strip().splitlines()[-1]))
        apps = [Gunicorn(env, work / f"app{n}.log", production=True, host=HOST) for n in (1, 2)]
        nginx = Nginx([int(app.url.rsplit(":", 1)[1]) for app in apps], HOST, work / "nginx.log")
        covers = [cover_bytes(seed) for seed in range(4)]

        started = time.monotonic()
        recorder = Recorder(started)
        deadline = started + SECONDS
        threads = [
            threading.Thread(target=reader, args=(nginx.https, recorder, catalogue, deadline, n))
            for n in range(READERS)
        ] + [
            threading.Thread(
                target=writer, args=(nginx.https, recorder, catalogue, deadline, 100 + n, members[n], covers)
            )
            for n in range(WRITERS)
        ]
        for thread in threads:
            thread.start()

        events = []
        time.sleep(SECONDS * 0.3)
        redis_down = time.monotonic() - started
        redis.stop()
        time.sleep(2)
        redis.start()
        events.append(f"Redis stopped at {redis_down:.0f} s, started again at {time.monotonic() - started:.0f} s")
        time.sleep(max(0.0, started + SECONDS * 0.6 - time.monotonic()))
        s3_start = time.monotonic() - started
        relay.fail()
        time.sleep(S3_OUTAGE_SECONDS)
        relay.recover()
        s3_end = time.monotonic() - started
        events.append(f"S3 dropping every connection from {s3_start:.0f} s to {s3_end:.0f} s")
        for thread in threads:
            thread.join()

        errors = report(recorder, events, (s3_start, s3_end))
        for app in apps:  # each worker drains its queued cover deletes as it exits
            app.stop()
        apps = []
        audit = manage(env, "media_audit", "--no-progress")
        summary = [line for line in audit.stdout.splitlines() if "files listed" in line]
        print(f"\nmedia_audit: {summary[-1] if summary else audit.stdout + audit.stderr}")
        missing = len(re.findall(r"^missing file:", audit.stdout, re.MULTILINE))
        # What the outage left behind (uploads it cut short, deletes it refused), as cron would clean it.
        cleanup = manage(env, "media_audit", "--no-progress", "--delete-orphans", "--older-than", "1s")
        summary = [line for line in cleanup.stdout.splitlines() if "files listed" in line]
        print(f"media_audit --delete-orphans --older-than 1s: {summary[-1] if summary else cleanup.stdout}")
        wrong = check_counters(database_url)
        print(f"\n5xx or unanswered: {sum(errors.values())}; missing files: {missing}; counters wrong: {len(wrong)}")
        return 1 if missing or wrong else 0
    finally:
        if nginx:
            nginx.stop()
        for app in apps:
            app.stop()
        redis.stop()
        s3.stop()
        with psycopg.connect(**pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
