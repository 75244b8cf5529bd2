"""Seeding for `bench/run.py --only reviews`: a book with 10,000 reviews beside one with 3
and one with a single full page (20), and likewise a member with 5,000 reviews beside one
with 3 and one with full pages (20 reviews, 12 books). Run inside `manage.py shell`; prints
the URLs to measure and the queries each page runs, as JSON."""

import json

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from books import cache
from books.models import Book, Review
from books.signals import bulk_writes

BIG, SMALL, FULL_PAGE, PROLIFIC = 10_000, 3, 20, 5_000


def seed() -> dict:
    User = get_user_model()
    no_password = make_password(None)  # these members never log in
    with bulk_writes():
        readers = User.objects.bulk_create(User(username=f"reader{n}", password=no_password) for n in range(2_000))
        owner = User.objects.create(username="owner", password=no_password)
        big = Book.objects.create(title="Much reviewed", author="A. Writer", price=10, creator=owner)
        small = Book.objects.create(title="Little reviewed", author="A. Writer", price=10, creator=owner)
        page = Book.objects.create(title="A page of reviews", author="A. Writer", price=10, creator=owner)
        prolific = User.objects.create(username="prolific", password=no_password)
        casual = User.objects.create(username="casual", password=no_password)
        regular = User.objects.create(username="regular", password=no_password)
        shelf = Book.objects.bulk_create(
            Book(title=f"Shelf {n}", author="B. Writer", price=5, creator=prolific) for n in range(50)
        )
        short_shelf = Book.objects.bulk_create(
            Book(title=f"Short shelf {n}", author="B. Writer", price=5, creator=regular) for n in range(12)
        )
        casual_pick = Book.objects.create(title="Casual pick", author="B. Writer", price=5, creator=casual)

        def review(book, author, n):
            return Review(book=book, author=author, review=f"Review {n}: " + "words " * 40, rating=1 + n % 5)

        Review.objects.bulk_create(
            [review(big, readers[n % len(readers)], n) for n in range(BIG)]
            + [review(small, readers[n], n) for n in range(SMALL)]
            + [review(page, readers[n], n) for n in range(FULL_PAGE)]
            + [review(shelf[n % len(shelf)], prolific, n) for n in range(PROLIFIC)]
            + [review(short_shelf[n % len(short_shelf)], regular, n) for n in range(FULL_PAGE)]
            + [review(casual_pick, casual, n) for n in range(SMALL)],
            batch_size=2_000,
        )
    Book.objects.recompute_review_stats()
    cache.bump_catalogue_version()
    urls = {
        "detail, 3 reviews": small.get_absolute_url(),
        "detail, 20": page.get_absolute_url(),
        "detail, 10,000": big.get_absolute_url(),
        "member, 3 reviews": "/members/casual/",
        "member, 20": "/members/regular/",
        "member, 5,000": "/members/prolific/",
    }
    return {"urls": urls, "queries": {name: queries(url) for name, url in urls.items()}}


def queries(url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = Client(HTTP_HOST="127.0.0.1").get(url)
    assert response.status_code == 200, url
    return len(captured)


def main(member: str, password: str) -> None:
    """Seed, add the member the benchmark signs in as, print the URLs and query counts."""
    seeded = seed()
    get_user_model().objects.create_user(member, "bench@example.invalid", password)
    print("BENCH-JSON " + json.dumps(seeded))
