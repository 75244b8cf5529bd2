import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from books.models import Book, Review
from tests.factories import BookFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_book_has_uuid_primary_key_and_detail_url(book):
    assert isinstance(book.pk, uuid.UUID)
    assert book.get_absolute_url() == f"/books/{book.pk}/"


def test_book_can_be_created_without_a_cover(member):
    book = Book.objects.create(title="Dune", author="Frank Herbert", price=Decimal("9.99"), creator=member)
    book.full_clean()
    assert not book.cover
    assert str(book) == "Dune"


def test_negative_price_is_invalid(member):
    book = Book(title="Dune", author="Frank Herbert", price=Decimal("-1.00"), creator=member)
    with pytest.raises(ValidationError) as exc:
        book.full_clean()
    assert "price" in exc.value.message_dict


def test_only_the_creator_may_edit(book, member, other_member):
    from django.contrib.auth.models import AnonymousUser

    assert book.is_editable_by(member)
    assert not book.is_editable_by(other_member)
    assert not book.is_editable_by(AnonymousUser())


def test_reviews_are_oldest_first_and_last_is_newest(book):
    first = ReviewFactory(book=book, review="first")
    newest = ReviewFactory(book=book, review="second")
    assert list(book.reviews.all()) == [first, newest]
    assert Review.objects.last() == newest


def test_a_member_may_review_the_same_book_twice(book, other_member):
    ReviewFactory(book=book, author=other_member)
    ReviewFactory(book=book, author=other_member)
    assert book.reviews.filter(author=other_member).count() == 2


def test_review_stats_follow_every_write(book):
    assert (book.review_count, book.rating_count, book.rating_average) == (0, 0, None)
    ReviewFactory(book=book, rating=5)
    ReviewFactory(book=book, rating=2)
    unrated = ReviewFactory(book=book, rating=None)
    book.refresh_from_db()
    assert (book.review_count, book.rating_count, book.rating_average) == (3, 2, Decimal("3.50"))
    unrated.delete()
    Review.objects.filter(rating=5).delete()  # a queryset delete also sends post_delete
    book.refresh_from_db()
    assert (book.review_count, book.rating_count, book.rating_average) == (1, 1, Decimal("2.00"))


def test_deleting_a_book_deletes_its_reviews(book):
    ReviewFactory.create_batch(3, book=book)
    book.delete()
    assert Review.objects.count() == 0


def test_deleting_a_member_does_not_leave_orphans():
    creator = UserFactory()
    BookFactory.create_batch(2, creator=creator)
    creator.delete()
    assert Book.objects.count() == 0


def test_only_the_review_author_may_edit_it(book, member, other_member):
    from django.contrib.auth.models import AnonymousUser

    review = ReviewFactory(book=book, author=other_member)
    assert review.is_editable_by(other_member)
    assert not review.is_editable_by(member)  # not even the book's creator
    assert not review.is_editable_by(AnonymousUser())


# --- One rating per member per book ---------------------------------------------------------
def test_ten_five_star_reviews_by_one_member_count_once(book, member, other_member):
    for _ in range(10):
        ReviewFactory(book=book, author=member, rating=5)
    ReviewFactory(book=book, author=other_member, rating=1)
    book.refresh_from_db()
    assert (book.review_count, book.rating_count, book.rating_average) == (11, 2, Decimal("3.00"))
    assert [bar["count"] for bar in book.rating_distribution()] == [1, 0, 0, 0, 1]


def test_a_members_latest_rating_counts_and_an_unrated_review_keeps_the_earlier_one(book, member):
    ReviewFactory(book=book, author=member, rating=2)
    ReviewFactory(book=book, author=member, rating=4)
    ReviewFactory(book=book, author=member, rating=None)  # a later comment without stars
    book.refresh_from_db()
    assert (book.rating_count, book.rating_average, book.rating_4_count, book.rating_2_count) == (
        1,
        Decimal("4.00"),
        1,
        0,
    )
    Review.objects.filter(rating=4).delete()  # the earlier rating counts again
    book.refresh_from_db()
    assert (book.rating_count, book.rating_average, book.rating_2_count) == (1, Decimal("2.00"), 1)


def test_bulk_recompute_agrees_with_the_per_book_refresh(member, other_member):
    books = BookFactory.create_batch(3)
    for index, book in enumerate(books):
        for rating in (1 + index, 5):
            ReviewFactory(book=book, author=member, rating=rating)
        ReviewFactory(book=book, author=other_member, rating=3)
    expected = list(Book.objects.order_by("pk").values_list("rating_count", "rating_average", "rating_3_count"))
    Book.objects.update(rating_count=0, rating_average=None, rating_3_count=0)

    Book.objects.recompute_review_stats()

    assert list(Book.objects.order_by("pk").values_list("rating_count", "rating_average", "rating_3_count")) == (
        expected
    )
    assert expected == [(2, Decimal("4.00"), 1)] * 3


def test_average_is_rounded_to_two_places(book):
    for rating in (5, 4, 4):
        ReviewFactory(book=book, rating=rating)
    book.refresh_from_db()
    assert book.rating_average == Decimal("4.33")
    assert [bar["percent"] for bar in book.rating_distribution()] == [33, 67, 0, 0, 0]
