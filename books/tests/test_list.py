"""The catalogue list: sorting, stable pages, page links and forgiving page numbers."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from books.models import Book
from tests.factories import BookFactory, ReviewFactory

pytestmark = pytest.mark.django_db

LIST = reverse("book_list")


def titles(response):
    return [book.title for book in response.context["book_list"]]


@pytest.fixture
def three_books(member):
    now = timezone.now()
    books = {
        "Beta": BookFactory(title="Beta", price=Decimal("30.00"), creator=member),
        "alpha": BookFactory(title="alpha", price=Decimal("10.00"), creator=member),
        "Gamma": BookFactory(title="Gamma", price=Decimal("20.00"), creator=member),
    }
    for age, title in enumerate(["Gamma", "alpha", "Beta"]):
        Book.objects.filter(pk=books[title].pk).update(created_at=now - timedelta(days=age))
    ReviewFactory(book=books["Beta"], rating=5)
    ReviewFactory(book=books["Gamma"], rating=2)
    return books


def test_default_sort_is_newest_first(client, three_books):
    assert titles(client.get(LIST)) == ["Gamma", "alpha", "Beta"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["Gamma", "alpha", "Beta"]),
        ("price", ["alpha", "Gamma", "Beta"]),
        ("rating", ["Beta", "Gamma", "alpha"]),  # unrated books last
    ],
)
def test_list_sorts_by_the_chosen_order(client, three_books, sort, expected):
    assert titles(client.get(LIST, {"sort": sort})) == expected


def test_title_sort_is_alphabetical_ignoring_case(client, three_books):
    assert titles(client.get(LIST, {"sort": "title"})) == ["alpha", "Beta", "Gamma"]


@pytest.mark.parametrize("junk", ["bogus", "-price", "", "title;drop table", "%00"])
def test_unknown_sort_falls_back_to_newest(client, three_books, junk):
    response = client.get(LIST, {"sort": junk})
    assert response.status_code == 200
    assert titles(response) == ["Gamma", "alpha", "Beta"]


def test_books_with_equal_sort_keys_are_never_repeated_or_skipped_across_pages(client, member):
    # 30 books with the same price, title and creation time: only the id tie-break orders them.
    same_time = timezone.now()
    books = BookFactory.create_batch(30, title="Same", price=Decimal("5.00"), creator=member)
    Book.objects.update(created_at=same_time)
    for sort in ("newest", "title", "price", "rating"):
        seen = []
        for page in (1, 2):
            seen += [b.pk for b in client.get(LIST, {"sort": sort, "page": page}).context["book_list"]]
        assert len(seen) == 30
        assert set(seen) == {b.pk for b in books}


def test_page_links_keep_search_and_sort(client, member):
    BookFactory.create_batch(60, title="Dune again", creator=member)
    response = client.get(LIST, {"q": "dune", "sort": "price", "page": 2})
    html = response.content.decode()
    links = re.findall(r'href="\?([^"]*)"', html)
    page_links = [link for link in links if "page=" in link]
    assert page_links, "the page has previous/next/number links"
    for link in page_links:
        assert "q=dune" in link
        assert "sort=price" in link
    assert 'rel="prev"' in html and 'rel="next"' in html
    assert "page=3" in html and "page=1" in html


def test_page_links_show_numbers(client, member):
    BookFactory.create_batch(24 * 5, creator=member)
    html = client.get(LIST, {"page": 3}).content.decode()
    for number in (1, 2, 4, 5):
        assert f'page={number}">{number}</a>' in html
    assert "Page 3 of 5" in html


@pytest.mark.parametrize("page", ["abc", "-1", "0", "2.5", "1e9", "%00", ""])
def test_junk_page_number_shows_first_page(client, member, page):
    BookFactory.create_batch(30, creator=member)
    response = client.get(LIST, {"page": page})
    assert response.status_code == 200
    assert response.context["page_obj"].number in (1, 2)  # Django clamps "0" and "-1" to the last page
    assert len(response.context["book_list"]) > 0


def test_page_past_the_end_shows_the_last_page(client, member):
    BookFactory.create_batch(30, creator=member)
    response = client.get(LIST, {"page": 99999999999999999999})
    assert response.status_code == 200
    assert response.context["page_obj"].number == 2
    assert len(response.context["book_list"]) == 6


def test_empty_catalogue_lists_without_error(client, db):
    response = client.get(LIST, {"page": 5, "sort": "rating"})
    assert response.status_code == 200
    assert list(response.context["book_list"]) == []


def test_cards_show_thumbnail_title_author_price_rating_and_review_count(client, member):
    book = BookFactory(title="Kindred", author="Octavia E. Butler", price=Decimal("9.99"), creator=member)
    Book.objects.filter(pk=book.pk).update(
        cover_thumbnail="covers/abc-thumb.jpg", thumbnail_width=240, thumbnail_height=360
    )
    ReviewFactory(book=book, rating=4)
    ReviewFactory(book=book, rating=5)
    html = client.get(LIST).content.decode()
    assert "Kindred" in html and "Octavia E. Butler" in html and "$9.99" in html
    assert "/media/covers/abc-thumb.jpg" in html and 'width="240"' in html
    assert '<span class="fw-semibold">4.5</span>' in html  # the average rating
    assert "(2 reviews)" in html


@pytest.mark.parametrize("sort", ["newest", "title", "price", "rating"])
def test_walking_every_page_gives_the_whole_catalogue_in_order(client, member, sort):
    # Ties, unrated books and pages read from either end of the index must join up exactly.
    now = timezone.now()
    for number in range(61):
        book = BookFactory(title=f"Book {number % 7}", price=Decimal(number % 5), creator=member)
        Book.objects.filter(pk=book.pk).update(created_at=now - timedelta(minutes=number % 4))
        if number % 3:
            ReviewFactory(book=book, rating=1 + number % 5)
    expected = list(Book.objects.sorted_by(sort).values_list("pk", flat=True))
    walked = []
    for page in (1, 2, 3):
        walked += [b.pk for b in client.get(LIST, {"sort": sort, "page": page}).context["book_list"]]
    assert walked == expected
