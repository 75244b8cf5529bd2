"""Query budgets: each page runs the same small number of queries at any catalogue size."""

import pytest
from django.urls import reverse

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


# Anonymous: COUNT (cached per catalogue version once caching is on) + one page query.
@pytest.mark.parametrize(
    "params",
    [{}, {"page": 999}, {"q": "solaris"}, {"q": "solaris", "sort": "rating", "page": 3}, {"sort": "title"}],
    ids=["list", "deep-page", "search", "deep-search-sorted", "sorted"],
)
def test_anonymous_list_pages_run_two_queries(client, catalogue, params, django_assert_num_queries):
    with django_assert_num_queries(2):
        response = client.get(LIST, params)
    assert response.status_code == 200
    assert len(response.context["book_list"]) > 0


def test_anonymous_detail_runs_two_queries(client, catalogue, django_assert_num_queries):
    book = catalogue[-1]
    with django_assert_num_queries(2):  # the book with its creator, its reviews with authors
        response = client.get(book.get_absolute_url())
    assert response.context["reviews"]


def test_anonymous_home_runs_one_query(client, catalogue, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get(reverse("home"))


@pytest.mark.parametrize("params", [{}, {"page": 999}, {"q": "solaris"}], ids=["list", "deep-page", "search"])
def test_signed_in_list_pages_add_only_session_and_user(member_client, catalogue, params, django_assert_num_queries):
    with django_assert_num_queries(4):  # session, user, count, page
        response = member_client.get(LIST, params)
    assert "Signed in as" in response.content.decode()


def test_signed_in_detail_adds_only_session_and_user(member_client, catalogue, django_assert_num_queries):
    with django_assert_num_queries(4):
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
