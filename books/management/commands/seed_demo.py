"""Fill the catalogue with realistic demo books, covers and reviews, fast.

    python manage.py seed_demo --books 10000 --reviews 50000 [--reset] [--covers 12]

Runs in a production install (no Faker: word lists below), so it can also fill a bucket.
Covers: `--covers` distinct images go through the upload pipeline; each book gets its own
stored copy (deleting one book deletes its files). Books and reviews are written by the bulk
services of books.services, which store covers safely and recompute statistics once.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from PIL import Image, ImageDraw
from stdnum import ean
from tqdm import tqdm

from accounts.models import CustomUser
from books.models import Book, Review
from books.services import books_create, books_delete, books_set_subjects, reviews_create
from covers.pipeline import ProcessedCover, process_cover

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
    "A {noun} of {nouns2}",
    "{adj} {nouns}",
    "The {person}'s {noun}",
    "Beyond the {adj} {noun}",
    "{noun} and {noun2}",
    "Notes from the {noun}",
)
# Review text by number of stars, so that what a review says agrees with its rating.
REVIEWS_BY_STARS = {
    5: (
        "Couldn't put it down: the characters felt real and the pacing kept me reading late into the night.",
        "A book I will reread. The prose is precise without being cold, and the ending is perfect.",
        "Wonderful from the first page to the last; our book club is still talking about it.",
    ),
    4: (
        "Beautifully written, though a few chapters in the middle drag a little.",
        "Clever, warm and a little sad. I expected slightly more from the ending, but I loved it.",
        "Slow start, but worth it: the world it builds stayed with me for days.",
    ),
    3: (
        "Good in places. Some scenes are memorable, others felt like filler.",
        "An easy read with a few lovely moments, but I will not remember much of it next year.",
        "Mixed feelings: strong characters, a plot that loses its way halfway through.",
    ),
    2: (
        "Not for me, I'm afraid. The dialogue felt stiff and the twists were easy to guess.",
        "I finished it, but only just; the last hundred pages repeat what came before.",
    ),
    1: (
        "I gave up after a few chapters: flat characters and a story that goes nowhere.",
        "Disappointing. The blurb promised far more than the book delivers.",
    ),
}
UNRATED_REVIEWS = (
    "Read it for our book club; we argued about the ending for an hour.",
    "Bought it for the cover, stayed for the first chapter. More thoughts when I finish.",
)
SUBJECTS = (  # noqa: SIM905 - a word list reads better as prose
    "Fiction;Literary fiction;Historical fiction;Science fiction;Fantasy;Mystery;Crime;Thriller;Romance;"
    "Poetry;Biography;History;Travel;Philosophy;Nature;Short stories;Young adult;Classics;Essays;Humour"
).split(";")
PUBLISHERS = (
    "Harbour Lane Press",
    "Northlight Books",
    "Quillfield",
    "Saltmarsh & Reed",
    "Blue Orchard Publishing",
    "Meridian House",
    "Paper Lantern",
)
LANGUAGES = ("en",) * 14 + ("fr", "de", "es", "it", "pl", "ja")
COLOURS = ((38, 70, 83), (42, 157, 143), (233, 196, 106), (244, 162, 97), (231, 111, 81), (69, 123, 157), (29, 53, 87))


def plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "sh", "ch", "x")):
        return noun + "es"
    return noun + "s"


class Command(BaseCommand):
    help = "Fill the catalogue with demo books (with generated covers) and reviews."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--books", type=int, default=100, help="number of books to add (default 100)")
        parser.add_argument("--reviews", type=int, default=None, help="number of reviews to add (default 5 per book)")
        parser.add_argument("--covers", type=int, default=12, help="distinct cover images to draw; 0 for none")
        parser.add_argument("--reset", action="store_true", help="first delete earlier demo data and its files")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable data")
        parser.add_argument("--threads", type=int, default=8, help="parallel uploads to the storage (default 8)")

    def handle(
        self,
        *args: Any,
        books: int,
        reviews: int | None,
        covers: int,
        reset: bool,
        seed: int | None,
        threads: int,
        **options: Any,
    ) -> None:
        if books < 0 or (reviews is not None and reviews < 0) or covers < 0 or threads < 1:
            raise CommandError("--books, --reviews and --covers must be 0 or more, --threads at least 1.")
        reviews = 5 * books if reviews is None else reviews
        self.rng = random.Random(seed)
        self.quiet = options.get("verbosity", 1) == 0
        started = time.monotonic()
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
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {books} books and {reviews} reviews in {elapsed:.1f} s "
                f"({covers} distinct covers, one stored copy per book)."
            )
        )

    def _bar(self, total: int, desc: str) -> tqdm[Any]:
        return tqdm(total=total, desc=desc, unit="row", disable=self.quiet)

    def _reset(self) -> None:
        """Delete demo books and their reviews; their files go after the commit."""
        deleted = books_delete(books=Book.objects.filter(creator__username__startswith=DEMO_USER_PREFIX))
        self.stdout.write(f"Removed {deleted} earlier demo rows.")

    def _demo_readers(self) -> list[CustomUser]:
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

    def _draw_covers(self, count: int) -> list[ProcessedCover]:
        """Distinct cover images, processed by the upload pipeline exactly like an upload."""
        processed = []
        for number in range(count):
            image = Image.new("RGB", (600, 900), COLOURS[number % len(COLOURS)])
            draw = ImageDraw.Draw(image)
            accent = COLOURS[(number * 3 + 2) % len(COLOURS)]
            # A framed cover with an ornament: no block across it, which read as a damaged picture.
            draw.rectangle((36, 36, 563, 863), outline=accent, width=10)
            draw.rectangle((60, 60, 539, 839), outline=(250, 250, 245), width=3)
            draw.ellipse((220, 330, 380, 490), outline=(250, 250, 245), width=10)
            draw.text((70, 820), f"Bookstore demo cover {number + 1}", fill=(250, 250, 245))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=80)
            upload = SimpleUploadedFile(f"demo-{number}.jpg", buffer.getvalue(), content_type="image/jpeg")
            processed.append(process_cover(upload))
        return processed

    def _title(self) -> str:
        noun, noun2 = self.rng.sample(NOUNS, 2)
        return self.rng.choice(PATTERNS).format(
            adj=self.rng.choice(ADJECTIVES),
            noun=noun,
            noun2=noun2,
            nouns=plural(noun),
            nouns2=plural(noun2),
            person=self.rng.choice(PEOPLE),
        )

    def _isbn(self) -> str:
        """A new ISBN-13 with a valid check digit (979-8: the group of independent publishers)."""
        while True:
            body = f"9798{self.rng.randrange(10**8):08d}"
            isbn = body + ean.calc_check_digit(body)
            if isbn not in self.isbns:
                self.isbns.add(isbn)
                return isbn

    def _details(self) -> dict[str, Any]:
        year = min(2025, int(2025 - self.rng.expovariate(1 / 25)))  # mostly recent, a few classics
        return {
            "isbn": self._isbn(),
            "publisher": self.rng.choice(PUBLISHERS),
            "publication_year": max(year, 1800),
            "pages": self.rng.randrange(96, 900),
            "language": self.rng.choice(LANGUAGES),
        }

    def _create_books(
        self, total: int, readers: list[CustomUser], images: list[ProcessedCover], threads: int
    ) -> list[Any]:
        created = []
        remaining = total
        self.isbns = set(Book.objects.exclude(isbn="").values_list("isbn", flat=True)) if total else set()
        with self._bar(total, "Books") as bar, ThreadPoolExecutor(max_workers=threads) as pool:
            while remaining:
                size = min(BATCH, remaining)
                rows = [
                    Book(
                        title=self._title(),
                        author=f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
                        price=Decimal(self.rng.randrange(299, 4999)) / 100,
                        description="A demo book made by seed_demo.",
                        creator=self.rng.choice(readers),
                        **self._details(),
                    )
                    for _ in range(size)
                ]
                covers = [self.rng.choice(images) if images else None for _ in rows]
                created += [row.pk for row in books_create(books=rows, covers=covers, map_=pool.map)]
                books_set_subjects(subjects={row: self.rng.sample(SUBJECTS, self.rng.randint(1, 3)) for row in rows})
                remaining -= size
                bar.update(size)
        return created

    def _create_reviews(self, total: int, book_ids: list[Any], readers: list[CustomUser]) -> None:
        def rows() -> Iterator[Review]:
            for _ in range(total):
                # Most readers give stars, more often good ones; some only write.
                rating = self.rng.choices((5, 4, 3, 2, 1), weights=(30, 35, 20, 10, 5))[0]
                rated = self.rng.random() < 0.85
                yield Review(
                    book_id=self.rng.choice(book_ids),
                    author=self.rng.choice(readers),
                    review=self.rng.choice(REVIEWS_BY_STARS[rating] if rated else UNRATED_REVIEWS),
                    rating=rating if rated else None,
                )

        with self._bar(total, "Reviews") as bar:
            reviews_create(reviews=self._counted(rows(), bar), batch_size=BATCH * 5)

    @staticmethod
    def _counted(rows: Iterator[Review], bar: tqdm[Any]) -> Iterator[Review]:
        for row in rows:
            yield row
            bar.update(1)
