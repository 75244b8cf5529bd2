"""seed_demo: realistic books with stored covers and rated reviews, stats kept true."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from books.models import Book, Review
from covers.keys import variant_key
from covers.pipeline import VARIANT_FORMATS

pytestmark = pytest.mark.django_db


def seed(*args):
    call_command("seed_demo", *args, "--seed", "7", verbosity=0)


def test_seed_demo_adds_books_reviews_and_true_review_stats(_media_root):
    seed("--books", "30", "--reviews", "120", "--covers", "3")
    assert Book.objects.count() == 30
    assert Review.objects.count() == 120
    assert Review.objects.filter(rating__isnull=False).exists()
    # The rule, in Python: each member's most recent rating of a book counts once.
    latest = {}
    for book_id, author_id, rating in Review.objects.filter(rating__isnull=False).values_list(
        "book_id", "author_id", "rating"
    ):  # oldest first, so later ratings overwrite earlier ones
        latest[book_id, author_id] = rating
    for book in Book.objects.annotate(n=Count("reviews")):
        ratings = [rating for (book_id, _), rating in latest.items() if book_id == book.pk]
        assert book.review_count == book.n
        assert book.rating_count == len(ratings)
        assert [
            book.rating_5_count,
            book.rating_4_count,
            book.rating_3_count,
            book.rating_2_count,
            book.rating_1_count,
        ] == [ratings.count(stars) for stars in (5, 4, 3, 2, 1)]
        if not ratings:
            assert book.rating_average is None
        else:
            assert float(book.rating_average) == pytest.approx(sum(ratings) / len(ratings), abs=0.005)


def test_seeded_titles_and_authors_look_like_books(_media_root):
    seed("--books", "20", "--reviews", "0", "--covers", "0")
    books = list(Book.objects.all())
    assert len({book.title for book in books}) > 10
    assert all(len(book.author.split()) == 2 for book in books)
    assert all(book.price > 0 for book in books)


def test_each_book_gets_its_own_stored_cover_and_thumbnail(_media_root):
    seed("--books", "12", "--reviews", "0", "--covers", "2")
    names = set()
    for book in Book.objects.all():
        assert book.cover.name.startswith("covers/") and book.cover_thumbnail.name.endswith("-thumb.jpg")
        assert (Path(_media_root) / book.cover.name).is_file()
        assert (Path(_media_root) / book.cover_thumbnail.name).is_file()
        assert book.thumbnail_width and book.thumbnail_height
        names |= {book.cover.name, book.cover_thumbnail.name}
    assert len(names) == 24  # deleting one book can never take another book's cover with it


def test_seed_demo_fills_the_bucket_through_the_configured_storage(s3_storage):
    seed("--books", "3", "--reviews", "5", "--covers", "1")
    stored = {name for book in Book.objects.all() for name in (book.cover.name, book.cover_thumbnail.name)}
    # ...and each cover's width variants beside it (600 px demo covers: 160, 320 and 480 px).
    variants = {
        variant_key(book.cover.name, width, extension)
        for book in Book.objects.all()
        for extension, widths in book.cover_variants.items()
        for width in widths
    }
    assert set(s3_storage.stored_keys()) == stored | variants
    assert len(stored) == 6
    assert len(variants) == 3 * 3 * len(VARIANT_FORMATS)


def test_reset_removes_earlier_demo_books_and_files_but_keeps_members_books(
    _media_root, book, django_capture_on_commit_callbacks
):
    seed("--books", "5", "--reviews", "10", "--covers", "1")
    old_files = [Path(_media_root) / b.cover.name for b in Book.objects.exclude(pk=book.pk)]
    assert all(path.exists() for path in old_files)
    with django_capture_on_commit_callbacks(execute=True):  # files go once the delete commits
        seed("--reset", "--books", "4", "--reviews", "8", "--covers", "1")
    assert Book.objects.filter(pk=book.pk).exists()
    assert Book.objects.exclude(pk=book.pk).count() == 4
    assert Review.objects.count() == 8
    assert not any(path.exists() for path in old_files)


def test_reviews_alone_go_to_existing_books_and_update_their_stats(_media_root, book):
    seed("--books", "0", "--reviews", "6", "--covers", "0")
    book.refresh_from_db()
    assert book.review_count == 6


@pytest.mark.parametrize("args", [["--books", "-1"], ["--reviews", "-5"], ["--covers", "-2"]])
def test_negative_counts_are_a_clear_error_and_change_nothing(args):
    with pytest.raises(CommandError, match="0 or more"):
        seed(*args)
    assert Book.objects.count() == 0


def test_reviews_without_any_book_is_a_clear_error(db):
    with pytest.raises(CommandError, match="no books"):
        seed("--books", "0", "--reviews", "3")
    assert Review.objects.count() == 0


def test_seeded_catalogue_is_listed(client, _media_root):
    seed("--books", "30", "--reviews", "30", "--covers", "1")
    response = client.get("/books/", {"sort": "rating"})
    assert response.status_code == 200
    assert len(response.context["book_list"]) == 24


def test_seeded_books_have_valid_isbns_subjects_years_and_reviews_that_match_their_stars(_media_root):
    from stdnum import isbn

    from books.management.commands.seed_demo import REVIEWS_BY_STARS, plural

    seed("--books", "40", "--reviews", "80", "--covers", "0")
    books = list(Book.objects.prefetch_related("subjects"))
    assert all(isbn.is_valid(book.isbn) and len(book.isbn) == 13 for book in books)
    assert len({book.isbn for book in books}) == 40
    assert all(book.subjects.all() and 1800 <= book.publication_year <= 2025 and book.pages for book in books)
    for review in Review.objects.filter(rating__isnull=False):
        assert review.review in REVIEWS_BY_STARS[review.rating]
    assert [plural(word) for word in ("City", "Day", "Map", "Glass")] == ["Cities", "Days", "Maps", "Glasses"]
    seed("--books", "5", "--reviews", "0", "--covers", "0")  # a second run adds books with new ISBNs
    assert Book.objects.count() == 45
