"""CSV exports: streamed, the member's own rows only, staff's catalogue, and they import back."""

import csv
import io

import pytest
from django.urls import reverse

from books.importing import import_books
from books.models import Book
from books.services import book_save, books_delete
from tests.factories import BookFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db

FIELDS = ("isbn", "title", "author", "price", "description", "publisher", "publication_year", "pages", "language")


def download(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="bookstore-')
    return b"".join(response.streaming_content).decode("utf-8-sig")


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def shelf(member):
    book_save(
        book=Book(
            title="=HYPERLINK(evil)",  # a formula to a spreadsheet: written harmless, read back as it was
            author="Ursula K. Le Guin",
            price="9.99",
            isbn="9780553383041",
            publisher="Spectra",
            publication_year=1968,
            pages=183,
            language="en",
            description='A wizard, a shadow, "quotes", and a line\nbreak.',
        ),
        creator=member,
        subjects=["Fantasy", "Coming of age"],
    )
    book_save(book=Book(title="No ISBN", author="Anonymous", price="0"), creator=member)


def test_member_downloads_only_their_own_books_with_details(member_client, member, other_member):
    shelf(member)
    BookFactory(title="Someone else's", creator=other_member)
    exported = rows(download(member_client, "export_my_books"))
    assert [row["title"] for row in exported] == ["'=HYPERLINK(evil)", "No ISBN"]
    assert exported[0]["subjects"] in ("Fantasy;Coming of age", "Coming of age;Fantasy")
    first = exported[0]
    assert (first["isbn"], first["publication_year"], first["language"]) == ("9780553383041", "1968", "en")


def test_an_export_imports_back_into_the_same_catalogue(member_client, member):
    shelf(member)
    before = list(Book.objects.order_by("title").values_list(*FIELDS))
    subjects_before = sorted(Book.objects.values_list("subjects__name", flat=True).exclude(subjects=None))
    exported = download(member_client, "export_my_books")
    # Into the same catalogue: nothing changes.
    report = import_books(io.StringIO(exported), creator=member)
    assert [r.status for r in report.results] == ["skipped", "skipped"]
    # Into an emptied one: the same books come back.
    books_delete(books=Book.objects.all())
    report = import_books(io.StringIO(exported), creator=member)
    assert [r.status for r in report.results] == ["created", "created"]
    assert list(Book.objects.order_by("title").values_list(*FIELDS)) == before
    assert sorted(Book.objects.values_list("subjects__name", flat=True).exclude(subjects=None)) == subjects_before


def test_member_downloads_their_reviews(member_client, member, book):
    ReviewFactory(book=book, author=member, review="Mine, =1+1", rating=4)
    ReviewFactory(book=book, review="Not mine")
    exported = rows(download(member_client, "export_my_reviews"))
    assert [(r["book_title"], r["rating"], r["review"]) for r in exported] == [(book.title, "4", "Mine, =1+1")]


def test_only_staff_export_the_whole_catalogue(client, member_client, member, other_member):
    BookFactory(title="One", creator=member)
    BookFactory(title="Two", creator=other_member)
    assert member_client.get(reverse("export_catalogue")).status_code == 403
    client.force_login(UserFactory(username="staff", is_staff=True))
    exported = rows(download(client, "export_catalogue"))
    assert sorted((r["title"], r["creator"]) for r in exported) == [("One", "alice"), ("Two", "bob")]


def test_signed_out_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("export_my_books"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("size", [3, 30])
def test_an_export_runs_the_same_queries_at_any_size(member_client, member, size, django_assert_num_queries):
    for n in range(size):
        book_save(book=Book(title=f"Book {n}", author="A", price=1), creator=member, subjects=["S"])
    response = member_client.get(reverse("export_my_books"))
    with django_assert_num_queries(2):  # one chunk of books, its subjects
        b"".join(response.streaming_content)
