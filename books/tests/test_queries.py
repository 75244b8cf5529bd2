"""Query budgets: each page runs the same small number of queries at any catalogue size."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import CustomUser
from books.models import Book, Review
from books.signals import bulk_writes
from tests.factories import BookFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("book_list")


@pytest.fixture(params=[5, 60], ids=["5-books", "60-books"])
def catalogue(request, member):
    """A catalogue with reviews by several members, at two sizes so growth is caught."""
    readers = UserFactory.create_batch(3)
    books = BookFactory.create_batch(request.param, creator=member, title="Solaris reprint")
    for index, book in enumerate(books):
        for reader in readers[: 1 + index % 3]:
            ReviewFactory(book=book, author=reader, rating=1 + index % 5)
    return books


# Anonymous: the count and the filter counts by subject, language and rating, then one page
# query. PostgreSQL reads the count and the filter counts in one statement (books/filters.py),
# SQLite in 4. Both are cached per catalogue version once caching is on.
COUNTS = 1 if connection.vendor == "postgresql" else 4


@pytest.mark.parametrize(
    "params",
    [{}, {"page": 999}, {"q": "solaris"}, {"q": "solaris", "sort": "rating", "page": 3}, {"sort": "title"}],
    ids=["list", "deep-page", "search", "deep-search-sorted", "sorted"],
)
def test_anonymous_list_pages_run_the_counts_and_one_page_query(client, catalogue, params, django_assert_num_queries):
    with django_assert_num_queries(COUNTS + 1):
        response = client.get(LIST, params)
    assert response.status_code == 200
    assert len(response.context["book_list"]) > 0


def test_anonymous_detail_runs_three_queries(client, catalogue, django_assert_num_queries):
    book = catalogue[-1]
    with django_assert_num_queries(3):  # the book with its creator, its subjects, its reviews with authors
        response = client.get(book.get_absolute_url())
    assert response.context["reviews"]


def test_anonymous_home_runs_one_query(client, catalogue, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get(reverse("home"))


@pytest.mark.parametrize("params", [{}, {"page": 999}, {"q": "solaris"}], ids=["list", "deep-page", "search"])
def test_signed_in_list_pages_add_only_session_and_user(member_client, catalogue, params, django_assert_num_queries):
    with django_assert_num_queries(2 + COUNTS + 1):  # session, user, the counts, the page
        response = member_client.get(LIST, params)
    assert "Signed in as" in response.content.decode()


def test_signed_in_detail_adds_only_session_and_user(member_client, catalogue, django_assert_num_queries):
    with django_assert_num_queries(5):
        response = member_client.get(catalogue[0].get_absolute_url())
    assert "Submit Review" in response.content.decode()


def test_cached_count_leaves_the_books_and_the_version_for_a_list_page(
    client, settings, catalogue, django_assert_num_queries
):
    settings.BOOKSTORE_PAGE_CACHE = True
    client.get(LIST, {"sort": "price"})  # counts the catalogue once for this version
    with django_assert_num_queries(2):  # the catalogue version row and the page's books
        response = client.get(LIST, {"sort": "rating", "page": 2})  # another page: rendered, count reused
    assert response.status_code == 200
    with django_assert_num_queries(1):  # the version only
        client.get(LIST, {"sort": "rating", "page": 2})  # the same page again: from the cache


def many_reviews(book, count, *, authors=100, author=None):
    """`count` reviews of `book` by `authors` members (or all by `author`), written in bulk."""
    if author is None:
        members = CustomUser.objects.bulk_create(
            CustomUser(username=f"reader-{book.pk.hex[:8]}-{n}", password="!")
            for n in range(authors)  # noqa: S106
        )
    else:
        members = [author]
    with bulk_writes():
        Review.objects.bulk_create(
            Review(book=book, author=members[n % len(members)], review=f"Review {n}.", rating=1 + n % 5)
            for n in range(count)
        )
    Book.objects.filter(pk=book.pk).recompute_review_stats()
    book.refresh_from_db()
    return book


@pytest.mark.parametrize("size", [3, 10_000], ids=["3-reviews", "10000-reviews"])
@pytest.mark.parametrize("params", [{}, {"sort": "highest", "page": 500}], ids=["first-page", "last-page-by-rating"])
def test_detail_runs_the_same_queries_at_3_or_10000_reviews(client, member, size, params, django_assert_num_queries):
    book = many_reviews(BookFactory(creator=member), size)
    assert book.review_count == size
    with django_assert_num_queries(3):  # the book with its creator, its subjects, a page of reviews
        response = client.get(book.get_absolute_url(), params)
    assert len(response.context["reviews"]) == (min(size, 20) if not params else (size - 1) % 20 + 1)
    member_client = Client()
    member_client.force_login(member)
    with django_assert_num_queries(5):  # + session and user
        member_client.get(book.get_absolute_url(), params)


@pytest.mark.parametrize("size", [3, 5_000], ids=["3-reviews", "5000-reviews"])
def test_member_page_runs_the_same_queries_at_3_or_5000_reviews(client, member, size, django_assert_num_queries):
    book = BookFactory(creator=member)
    many_reviews(book, size, author=member)
    # The member, then a count and a page each for their books and their reviews.
    with django_assert_num_queries(5):
        response = client.get(reverse("member_detail", args=[member.username]), {"reviews_page": 2})
    assert response.context["reviews_page"].paginator.count == size


@pytest.mark.parametrize("size", [2, 40], ids=["2-books", "40-books"])
def test_author_and_subject_pages_run_the_same_queries_at_any_size(client, member, size, django_assert_num_queries):
    from books.services import book_save

    for n in range(size):
        book_save(book=Book(title=f"Book {n}", author="Ursula K. Le Guin", price=1), creator=member, subjects=["SF"])
    with django_assert_num_queries(3):  # the author's name, a count and a page of cards
        client.get(reverse("author_detail", args=["ursula-k-le-guin"]))
    with django_assert_num_queries(3):  # the subject, a count and a page of cards
        client.get(reverse("subject_detail", args=["sf"]))


@pytest.mark.parametrize("size", [3, 5_000], ids=["3-reviews", "5000-reviews"])
def test_a_warm_member_page_fetches_only_the_member_at_3_or_5000_reviews(
    client, member, other_member, settings, size, django_assert_num_queries
):
    settings.BOOKSTORE_PAGE_CACHE = True  # as with Redis: counts and lists are cached fragments
    book = BookFactory(creator=member)
    many_reviews(book, size, author=member)
    url = reverse("member_detail", args=[member.username])
    client.force_login(other_member)
    cold = client.get(url, {"reviews_page": 2})
    # The session, the reader, the member, the catalogue version: no count, no rows.
    with django_assert_num_queries(4):
        warm = client.get(url, {"reviews_page": 2})

    def reviews_section(response):
        return response.content.decode().split('id="reviews"')[1]

    assert reviews_section(warm) == reviews_section(cold)  # the rest holds a fresh CSRF token
    # Page 2 of 5,000 holds 20 reviews; with 3, a page past the end shows the last (all 3).
    assert warm.content.decode().count('class="review ') == (20 if size > 20 else size)
