"""Suggestions while typing: up to 8 books as JSON, the same search as the list."""

import pytest
from django.urls import reverse

from books.models import Book
from books.services import book_save

pytestmark = pytest.mark.django_db

SUGGEST = reverse("book_suggest")


@pytest.fixture
def shelf(member):
    for n in range(12):
        book_save(book=Book(title=f"Harbour Lights {n}", author="Ama Ata", price=5), creator=member)
    book_save(book=Book(title="Gödel, Escher, Bach", author="Douglas R. Hofstadter", price=9), creator=member)


def test_suggests_at_most_eight_books_with_title_author_link_and_thumbnail(client, shelf):
    response = client.get(SUGGEST, {"q": "harbour"})
    assert response.status_code == 200
    books = response.json()["books"]
    assert len(books) == 8
    assert set(books[0]) == {"title", "author", "url", "thumbnail"}
    assert books[0]["title"].startswith("Harbour Lights") and books[0]["thumbnail"] is None
    assert "public" in response["Cache-Control"]


@pytest.mark.parametrize("query", ["godel", "GÖDEL", "hofstadter go", "esch"])
def test_suggestions_fold_case_and_accents_and_match_partial_words(client, shelf, query):
    books = client.get(SUGGEST, {"q": query}).json()["books"]
    assert [book["title"] for book in books] == ["Gödel, Escher, Bach"]
    assert books[0]["url"] == Book.objects.get(author="Douglas R. Hofstadter").get_absolute_url()


@pytest.mark.parametrize("query", ["", "  ", "%", "\x00", "x" * 500])
def test_empty_or_hostile_input_suggests_nothing_never_a_500(client, shelf, query):
    response = client.get(SUGGEST, {"q": query})
    assert response.status_code == 200
    assert response.json()["books"] == []
