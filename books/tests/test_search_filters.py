"""Filters on the list: subject, language, year and price ranges, minimum rating, combined
with the search, the sort and the pages, in the URL; counts per offered value."""

import pytest
from django.urls import reverse

from books.models import Book, Subject
from books.services import book_save

pytestmark = pytest.mark.django_db

LIST = reverse("book_list")


@pytest.fixture
def shelf(member):
    rows = [
        ("Dune", "Frank Herbert", "en", 1965, "9.99", "4.50", ["Science fiction"]),
        ("Dune Messiah", "Frank Herbert", "en", 1969, "12.00", "3.20", ["Science fiction"]),
        ("Les Misérables", "Victor Hugo", "fr", 1862, "15.00", "4.80", ["Classics"]),
        ("Solaris", "Stanisław Lem", "pl", 1961, "11.00", None, ["Science fiction", "Classics"]),
        ("Emma", "Jane Austen", "en", 1815, "7.50", "4.10", ["Classics", "Romance"]),
    ]
    for title, author, language, year, price, rating, subjects in rows:
        book = book_save(
            book=Book(title=title, author=author, language=language, publication_year=year, price=price),
            creator=member,
            subjects=subjects,
        )
        if rating:
            Book.objects.filter(pk=book.pk).update(rating_average=rating, rating_count=1)


def titles(response):
    return sorted(book.title for book in response.context["book_list"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"subject": "classics"}, ["Emma", "Les Misérables", "Solaris"]),
        ({"language": "en"}, ["Dune", "Dune Messiah", "Emma"]),
        ({"year_min": "1900"}, ["Dune", "Dune Messiah", "Solaris"]),
        ({"year_min": "1900", "year_max": "1964"}, ["Solaris"]),
        ({"year_min": "1964", "year_max": "1900"}, ["Solaris"]),  # swapped bounds are read in order
        ({"price_max": "10"}, ["Dune", "Emma"]),
        ({"price_min": "11", "price_max": "13.5"}, ["Dune Messiah", "Solaris"]),
        ({"rating": "4"}, ["Dune", "Emma", "Les Misérables"]),
        ({"q": "dune", "rating": "4"}, ["Dune"]),
        ({"q": "herbert", "subject": "science-fiction", "year_max": "1966"}, ["Dune"]),
        ({"subject": "classics", "language": "fr"}, ["Les Misérables"]),
    ],
)
def test_filters_combine_with_the_search(client, shelf, params, expected):
    assert titles(client.get(LIST, params)) == expected


@pytest.mark.parametrize(
    "junk",
    [
        {"subject": "no-such-subject"},
        {"language": "xx"},
        {"year_min": "soon"},
        {"year_max": "99999"},
        {"price_min": "-3"},
        {"price_max": "NaN"},
        {"rating": "7"},
        {"rating": "4.5"},
    ],
)
def test_junk_filters_are_ignored_never_a_500(client, shelf, junk):
    response = client.get(LIST, junk)
    assert response.status_code == 200
    assert len(response.context["book_list"]) == 5
    assert not response.context["filters"]


def test_counts_per_offered_value_follow_the_search_and_other_filters(client, shelf):
    facets = client.get(LIST, {"language": "en"}).context["facets"]
    assert {f["value"]: f["count"] for f in facets["subject"]} == {"science-fiction": 2, "classics": 1, "romance": 1}
    # a filter's own counts ignore that filter, so the other languages stay offered
    assert {f["value"]: f["count"] for f in facets["language"]} == {"en": 3, "fr": 1, "pl": 1}
    assert {f["value"]: f["count"] for f in facets["rating"]} == {"4": 2, "3": 3, "2": 3, "1": 3}
    html = client.get(LIST, {"q": "dune"}).content.decode()
    assert "Science fiction (2)</option>" in html


def test_links_keep_filters_search_and_sort(client, shelf, member):
    for n in range(30):
        book_save(book=Book(title=f"Dune study {n}", author="A. Critic", price=5, language="en"), creator=member)
    response = client.get(LIST, {"q": "dune", "language": "en", "price_max": "6", "sort": "price", "junk": "1"})
    assert response.context["paginator"].count == 30
    html = response.content.decode()
    assert "?q=dune&amp;language=en&amp;price_max=6.00&amp;sort=price&amp;page=2" in html
    second = client.get(LIST, {"q": "dune", "language": "en", "price_max": "6.00", "sort": "price", "page": 2})
    assert len(second.context["book_list"]) == 6
    # each applied filter has a link that removes it and keeps the rest
    assert 'href="?q=dune&amp;price_max=6.00&amp;sort=price"' in html
    assert '<input type="hidden" name="language" value="en">' in html  # the sort form keeps it


def test_counts_with_a_search_and_a_subject_filter_follow_changed_subjects(client, shelf):
    params = {"q": "herbert", "subject": "science-fiction", "rating": "4"}
    response = client.get(LIST, params)
    assert titles(response) == ["Dune"]
    assert response.context["paginator"].count == 1
    facets = response.context["facets"]
    assert {f["value"]: f["count"] for f in facets["subject"]} == {"science-fiction": 1}
    assert {f["value"]: f["count"] for f in facets["rating"]} == {"4": 1, "3": 2, "2": 2, "1": 2}
    messiah = Book.objects.get(title="Dune Messiah")
    messiah.subjects.add(*Subject.objects.filter(slug="classics"))  # as the admin does
    Book.objects.get(title="Dune").subjects.clear()
    messiah.title = "Dune Messiah (1969)"
    messiah.save()  # an instance read before its subjects changed keeps them
    facets = client.get(LIST, {"q": "herbert"}).context["facets"]
    assert {f["value"]: f["count"] for f in facets["subject"]} == {"science-fiction": 1, "classics": 1}
    assert titles(client.get(LIST, params)) == []
