"""Fill the catalogue with realistic demo books, covers and reviews, fast.

    python manage.py seed_demo --books 10000 --reviews 50000 [--reset] [--covers 12]

Runs in a production install (no Faker: word lists below), so it can also fill a bucket.
Covers: `--covers` distinct images are drawn and put through the same pipeline as uploads
(re-encoded, thumbnailed); each book then gets its *own* stored copy of one of them under
its own key, through the configured storage. Sharing one stored object between books would
be cheaper, but deleting one book (django-cleanup removes its files) would leave the others
pointing at a missing file.

Rows are written with bulk_create, which skips signals, so review counts and averages are
recomputed in one UPDATE at the end and the page cache is retired once.
"""

import io
import random
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from itertools import islice

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from PIL import Image, ImageDraw
from tqdm import tqdm

from books import cache
from books.models import Book, Review
from books.signals import bulk_writes
from covers import keys
from covers.pipeline import process_cover

DEMO_USER_PREFIX = "demo_reader_"
DEMO_USERS = 40
BATCH = 1000

FIRST_NAMES = (  # noqa: SIM905 - a word list reads better as prose
    "Ada Alan Alice Amara Anna Arthur Beatrice Benedict Carmen Chidi Clara Daniel Dora Elena Emil Esther "
    "Farah Felix Grace Hana Hugo Ines Isaac Ivan Jamal Jane June Kenji Laila Leo Lucia Mara Marcus Mina "
    "Nadia Nikolai Noor Olga Omar Priya Rafael Rosa Ruth Samuel Sara Selma Tariq Theo Uma Vera Walter "
    "Yara Yusuf Zadie Zora"
).split()
LAST_NAMES = (  # noqa: SIM905 - a word list reads better as prose
    "Abbott Achebe Adichie Baldwin Barnes Bell Calvino Carter Chen Díaz Duras Ellis Eco Ferrante Fischer "
    "Gaskell Grossman Haddad Hughes Ishiguro Jansson Kaur Keller Lahiri Lem Lindqvist Marsh Mistry "
    "Morrison Murakami Nakamura Novak Okafor Okri Ortiz Pamuk Perec Quinn Rahman Rhys Rossi Saramago Sato "
    "Shaw Silva Smith Tanaka Tokarczuk Varga Walsh Wang Weiss Xu Yilmaz Zafón Zhang"
).split()
ADJECTIVES = (  # noqa: SIM905 - a word list reads better as prose
    "Silent Hidden Last Broken Golden Distant Burning Quiet Lost Forgotten Crimson Midnight Winter "
    "Endless Bright Hollow Secret Wild Northern Paper Glass Salt Iron Sleeping Invisible Little Long "
    "Painted Restless"
).split()
NOUNS = (  # noqa: SIM905 - a word list reads better as prose
    "River Garden House City Sea Mountain Orchard Library Lighthouse Island Harbor Forest Kingdom Road "
    "Bridge Moon Archive Station Map Window Letter Clock Field Tower Storm Season Song Shadow Mirror Door"
).split()
PEOPLE = (  # noqa: SIM905 - a word list reads better as prose
    "Daughter Cartographer Gardener Stranger Watchmaker Translator Beekeeper Astronomer Widow Pilot Queen "
    "Archivist Sister Thief Ferryman"
).split()
PATTERNS = (
    "The {adj} {noun}",
    "The {person} of the {noun}",
    "A {noun} of {noun2}s",
    "{adj} {noun}s",
    "The {person}'s {noun}",
    "Beyond the {adj} {noun}",
    "{noun} and {noun2}",
    "Notes from the {noun}",
)
REVIEW_OPENINGS = (
    "Couldn't put it down.",
    "Slow start, but worth it.",
    "Beautifully written.",
    "Not for me, I'm afraid.",
    "The ending surprised me.",
    "A book I will reread.",
    "Our book club argued about it for hours.",
    "Clever, warm and a little sad.",
)
REVIEW_BODIES = (
    "The characters felt real and the pacing kept me turning pages late into the night.",
    "Some chapters dragged, yet the world it builds stayed with me for days.",
    "The prose is precise without being cold, and the dialogue is wonderful.",
    "I expected more from the middle section, but the last hundred pages make up for it.",
    "It reads quickly, and still there is a lot to think about afterwards.",
)
COLOURS = ((38, 70, 83), (42, 157, 143), (233, 196, 106), (244, 162, 97), (231, 111, 81), (69, 123, 157), (29, 53, 87))


class Command(BaseCommand):
    help = "Fill the catalogue with demo books (with generated covers) and reviews."

    def add_arguments(self, parser):
        parser.add_argument("--books", type=int, default=100, help="number of books to add (default 100)")
        parser.add_argument("--reviews", type=int, default=None, help="number of reviews to add (default 5 per book)")
        parser.add_argument("--covers", type=int, default=12, help="distinct cover images to draw; 0 for none")
        parser.add_argument("--reset", action="store_true", help="first delete earlier demo data and its files")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable data")
        parser.add_argument("--threads", type=int, default=8, help="parallel uploads to the storage (default 8)")

    def handle(self, *args, books, reviews, covers, reset, seed, threads, **options):
        if books < 0 or (reviews is not None and reviews < 0) or covers < 0 or threads < 1:
            raise CommandError("--books, --reviews and --covers must be 0 or more, --threads at least 1.")
        reviews = 5 * books if reviews is None else reviews
        self.rng = random.Random(seed)
        self.quiet = options.get("verbosity", 1) == 0
        started = time.monotonic()
        with bulk_writes():
            if reset:
                self._reset()
            readers = self._demo_readers()
            images = self._draw_covers(covers)
            book_ids = self._create_books(books, readers, images, threads)
            if reviews and not book_ids:
                book_ids = list(Book.objects.values_list("pk", flat=True))
            if reviews and not book_ids:
                raise CommandError("There are no books to review: add some with --books.")
            self._create_reviews(reviews, book_ids, readers)
            Book.objects.recompute_review_stats()
        transaction.on_commit(cache.bump_catalogue_version)
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {books} books and {reviews} reviews in {elapsed:.1f} s "
                f"({covers} distinct covers, one stored copy per book)."
            )
        )

    def _bar(self, total, desc):
        return tqdm(total=total, desc=desc, unit="row", disable=self.quiet)

    def _reset(self):
        """Delete demo books and their reviews; django-cleanup removes their files after the commit."""
        demo_books = Book.objects.filter(creator__username__startswith=DEMO_USER_PREFIX)
        with transaction.atomic():
            Review.objects.filter(book__in=demo_books).delete()
            deleted, _ = demo_books.delete()
        self.stdout.write(f"Removed {deleted} earlier demo rows.")

    def _demo_readers(self):
        User = get_user_model()
        existing = {u.username: u for u in User.objects.filter(username__startswith=DEMO_USER_PREFIX)}
        missing = []
        for number in range(1, DEMO_USERS + 1):
            username = f"{DEMO_USER_PREFIX}{number:02d}"
            if username not in existing:
                user = User(username=username, email=f"{username}@example.invalid")
                user.set_unusable_password()  # demo accounts can never be signed in to
                missing.append(user)
        User.objects.bulk_create(missing)
        return list(User.objects.filter(username__startswith=DEMO_USER_PREFIX))

    def _draw_covers(self, count):
        """Distinct cover images, processed by the upload pipeline exactly like an upload."""
        processed = []
        for number in range(count):
            image = Image.new("RGB", (600, 900), COLOURS[number % len(COLOURS)])
            draw = ImageDraw.Draw(image)
            accent = COLOURS[(number * 3 + 2) % len(COLOURS)]
            draw.rectangle((60, 120 + number * 7 % 200, 540, 420), fill=accent)
            draw.ellipse((200, 560, 400, 760), outline=(250, 250, 245), width=12)
            draw.text((70, 820), f"Bookstore demo cover {number + 1}", fill=(250, 250, 245))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=80)
            upload = SimpleUploadedFile(f"demo-{number}.jpg", buffer.getvalue(), content_type="image/jpeg")
            processed.append(process_cover(upload))
        return processed

    def _store_copies(self, images, count, pool):
        """Store `count` covers (and thumbnails) under fresh keys; returns field values per book."""
        plans = []
        for _ in range(count):
            cover = self.rng.choice(images)
            token = keys.new_token()
            plans.append(
                (
                    cover,
                    (keys.cover_key(token, cover.image.extension), cover.image.data),
                    (keys.thumbnail_key(token, cover.thumbnail.extension), cover.thumbnail.data),
                )
            )
        jobs = [job for _, *pair in plans for job in pair]
        names = list(pool.map(lambda job: default_storage.save(job[0], ContentFile(job[1])), jobs))
        return [(plan[0], names[2 * i], names[2 * i + 1]) for i, plan in enumerate(plans)]

    def _title(self):
        return self.rng.choice(PATTERNS).format(
            adj=self.rng.choice(ADJECTIVES),
            noun=self.rng.choice(NOUNS),
            noun2=self.rng.choice(NOUNS),
            person=self.rng.choice(PEOPLE),
        )

    def _create_books(self, total, readers, images, threads):
        created = []
        remaining = total
        with self._bar(total, "Books") as bar, ThreadPoolExecutor(max_workers=threads) as pool:
            while remaining:
                size = min(BATCH, remaining)
                stored = self._store_copies(images, size, pool) if images else [(None, "", "")] * size
                rows = [
                    Book(
                        title=self._title(),
                        author=f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
                        price=Decimal(self.rng.randrange(299, 4999)) / 100,
                        description="A demo book made by seed_demo.",
                        cover=cover_name,
                        cover_thumbnail=thumb_name,
                        thumbnail_width=processed.thumbnail.width if processed else None,
                        thumbnail_height=processed.thumbnail.height if processed else None,
                        creator=self.rng.choice(readers),
                    )
                    for processed, cover_name, thumb_name in stored
                ]
                try:
                    with transaction.atomic():
                        Book.objects.bulk_create(rows)
                except Exception:
                    # No file may outlive the rows that failed to point at it.
                    for _, cover_name, thumb_name in stored:
                        for name in (cover_name, thumb_name):
                            if name:
                                default_storage.delete(name)
                    raise
                created += [row.pk for row in rows]
                remaining -= size
                bar.update(size)
        return created

    def _create_reviews(self, total, book_ids, readers):
        def rows():
            for _ in range(total):
                yield Review(
                    book_id=self.rng.choice(book_ids),
                    author=self.rng.choice(readers),
                    review=f"{self.rng.choice(REVIEW_OPENINGS)} {self.rng.choice(REVIEW_BODIES)}",
                    # Most readers give stars; some only write.
                    rating=self.rng.randint(1, 5) if self.rng.random() < 0.85 else None,
                )

        stream = rows()
        with self._bar(total, "Reviews") as bar:
            while batch := list(islice(stream, BATCH * 5)):
                Review.objects.bulk_create(batch)
                bar.update(len(batch))
