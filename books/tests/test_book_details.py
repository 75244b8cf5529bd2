"""ISBN, publisher, year, pages, language and subjects; author and subject pages."""

import pytest
from django.urls import reverse

from books.forms import BookForm
from books.models import Book, Subject
from books.services import book_save
from tests.factories import BookFactory

pytestmark = pytest.mark.django_db

VALID = {"title": "A Wizard of Earthsea", "author": "Ursula K. Le Guin", "price": "9.99"}


@pytest.mark.parametrize("written", ["0-553-38304-3", "0553383043 ", "978-0-553-38304-1", "978 0 553 38304 1"])
def test_isbn_10_or_13_with_or_without_hyphens_is_stored_as_isbn_13(written):
    form = BookForm(data={**VALID, "isbn": written})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["isbn"] == "9780553383041"


def test_isbn_with_a_wrong_check_digit_is_refused_in_words():
    form = BookForm(data={**VALID, "isbn": "978-0-553-38304-2"})
    assert not form.is_valid()
    assert "check digit is wrong" in form.errors["isbn"][0]
    assert "is not an ISBN" in BookForm(data={**VALID, "isbn": "12345"}).errors["isbn"][0]


def test_a_second_book_with_the_same_isbn_names_the_first(member):
    BookFactory(title="Dune", author="Frank Herbert", isbn="9780441172719", creator=member)
    form = BookForm(data={**VALID, "isbn": "0-441-17271-7"})
    assert not form.is_valid()
    assert form.errors["isbn"] == ["This ISBN is already in the catalogue: “Dune” by Frank Herbert."]


def test_editing_a_book_keeps_its_own_isbn(member):
    book = BookFactory(isbn="9780441172719", creator=member)
    assert BookForm(data={**VALID, "isbn": "9780441172719"}, instance=book).is_valid()


def test_books_without_isbn_do_not_collide(member):
    BookFactory.create_batch(2, creator=member)
    assert Book.objects.filter(isbn="").count() == 2


@pytest.mark.parametrize(("year", "valid"), [("1450", True), ("2024", True), ("1449", False), ("3000", False)])
def test_publication_year_is_in_a_sane_range(year, valid):
    assert BookForm(data={**VALID, "publication_year": year}).is_valid() is valid


@pytest.mark.parametrize(("pages", "valid"), [("320", True), ("0", False), ("-5", False)])
def test_pages_are_a_positive_number(pages, valid):
    assert BookForm(data={**VALID, "pages": pages}).is_valid() is valid


def test_language_is_an_iso_639_code_offered_by_name():
    form = BookForm(data={**VALID, "language": "fr"})
    assert form.is_valid(), form.errors
    assert ("fr", "French") in form.fields["language"].choices
    assert not BookForm(data={**VALID, "language": "xx"}).is_valid()


def test_the_seed_contract_still_creates_a_book(member):
    book = Book.objects.create(title="Kindred", author="Octavia E. Butler", price=5, creator=member)
    assert (book.isbn, book.publisher, book.publication_year, book.pages, book.language) == ("", "", None, None, "")
    assert book.get_author_url() == "/authors/octavia-e-butler/"


def test_adding_a_book_with_details_shows_them_and_links_its_subjects(member_client):
    data = {
        **VALID,
        "isbn": "0-553-38304-3",
        "publisher": "Spectra",
        "publication_year": "1968",
        "pages": "183",
        "language": "en",
        "subjects": "Fantasy, wizards ,fantasy,  Coming of age",
    }
    response = member_client.post(reverse("book_create"), data, follow=True)
    assert response.redirect_chain, response.context["form"].errors
    book = Book.objects.get()
    assert sorted(book.subjects.values_list("name", flat=True)) == ["Coming of age", "Fantasy", "wizards"]
    page = response.content.decode()
    for text in ("978-0-553-38304-1", "Spectra", "1968", "183", "English", 'href="/subjects/coming-of-age/"'):
        assert text in page
    assert 'href="/authors/ursula-k-le-guin/"' in page


def test_editing_keeps_subjects_unless_changed(member_client, member):
    book = book_save(book=Book(**VALID, creator=member), subjects=["Fantasy"])
    form_page = member_client.get(reverse("book_update", args=[book.pk])).content.decode()
    assert 'value="Fantasy"' in form_page
    member_client.post(reverse("book_update", args=[book.pk]), {**VALID, "subjects": "Sea, Islands"})
    assert sorted(book.subjects.values_list("name", flat=True)) == ["Islands", "Sea"]
    assert Subject.objects.filter(slug="fantasy").exists()  # a subject outlives its last book


def test_author_page_lists_only_that_authors_books_and_cards_link_to_it(client, member):
    BookFactory(title="The Dispossessed", author="Ursula K. Le Guin", creator=member)
    BookFactory(title="Lathe of Heaven", author="Ursula K. Le Guin", creator=member)
    BookFactory(title="Dune", author="Frank Herbert", creator=member)
    page = client.get("/authors/ursula-k-le-guin/").content.decode()
    assert "Books by Ursula K. Le Guin" in page
    assert "The Dispossessed" in page and "Lathe of Heaven" in page and "Dune" not in page
    assert 'href="/authors/frank-herbert/"' in client.get(reverse("book_list")).content.decode()
    assert client.get("/authors/nobody-at-all/").status_code == 404


def test_subject_page_lists_its_books(client, member):
    book_save(book=Book(title="Solaris", author="Stanisław Lem", price=3, creator=member), subjects=["Science fiction"])
    book_save(book=Book(title="Emma", author="Jane Austen", price=3, creator=member), subjects=["Romance"])
    page = client.get("/subjects/science-fiction/").content.decode()
    assert "Solaris" in page and "Emma" not in page
    assert 'href="/authors/stanislaw-lem/"' in page
    assert client.get("/subjects/nothing/").status_code == 404
