"""manage.py import_books: Goodreads' export and Bookstore's CSV, per-row report, idempotent."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from books.models import Book, Review
from tests.catalogue_files import BAD_ROWS, GOODREADS_HEADER, goodreads_csv, goodreads_row
from tests.factories import BookFactory

pytestmark = pytest.mark.django_db


def run(path, *args):
    out = io.StringIO()
    call_command("import_books", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write_goodreads(path, rows):
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, GOODREADS_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_1000_row_goodreads_export_with_bad_rows_imports_the_good_ones_once(tmp_path, member):
    path = tmp_path / "goodreads_library_export.csv"
    path.write_text(goodreads_csv(1000, bad_every=50), encoding="utf-8")
    report_path = tmp_path / "report.csv"
    output = run(path, "--creator", member.username, "--report", report_path)
    assert "Have created 980, updated 0, skipped 20 of 1000 rows." in output
    for _, words in BAD_ROWS.values():
        assert words in output
    assert Book.objects.count() == 980
    book = Book.objects.get(isbn="9780000000019")  # row 1: ISBN13 written ="9780000000019"
    assert (book.title, book.publisher, book.pages, book.publication_year) == (
        "The Book of Tides, Volume 1",
        "Tidewater Press",
        101,
        1951,
    )
    with report_path.open() as file:
        statuses = [row["status"] for row in csv.DictReader(file)]
    assert statuses.count("created") == 980 and len(statuses) == 1000
    # Twice: nothing changes.
    output = run(path, "--creator", member.username)
    assert "Have created 0, updated 0, skipped 1000 of 1000 rows." in output
    assert Book.objects.count() == 980


def test_dry_run_reports_and_writes_nothing(tmp_path, member):
    path = write_goodreads(tmp_path / "export.csv", [goodreads_row(1), goodreads_row(2)])
    assert "Would have created 2" in run(path, "--creator", member.username, "--dry-run")
    assert not Book.objects.exists()


def test_goodreads_isbn_10_shelves_rating_and_review_are_kept(tmp_path, member):
    row = goodreads_row(
        3,
        isbn="",
        ISBN='="0441172717"',
        **{"My Rating": "5", "My Review": "A desert planet, done right.", "Bookshelves": "science-fiction, to-read"},
    )
    run(write_goodreads(tmp_path / "export.csv", [row]), "--creator", member.username)
    book = Book.objects.get()
    assert book.isbn == "9780441172719"
    assert list(book.subjects.values_list("name", flat=True)) == ["science-fiction"]
    assert Review.objects.get().rating == 5
    book.refresh_from_db()
    assert book.rating_count == 1


def test_a_row_naming_another_members_book_is_skipped_and_a_changed_one_updated(tmp_path, member, other_member):
    BookFactory(isbn="9780000000019", title="Theirs", creator=other_member)
    mine = BookFactory(isbn="9780000000026", title="Old title", creator=member)
    path = tmp_path / "books.csv"
    path.write_text(
        "isbn,title,author,price,subjects\n"
        "978-0-00-000001-9,Theirs,Someone,3.00,\n"
        "9780000000026,New title,Someone,4.50,Sea;Islands\n"
        "0000000001,Broken,Someone,1.00,\n"
        "9780000000033,Priceless,Someone,-1,\n",
        encoding="utf-8",
    )
    output = run(path, "--creator", member.username)
    assert "added by bob" in output
    assert "is not an ISBN" in output or "check digit" in output
    assert "price" in output
    mine.refresh_from_db()
    assert (mine.title, str(mine.price), mine.author_slug) == ("New title", "4.50", "someone")
    assert sorted(mine.subjects.values_list("name", flat=True)) == ["Islands", "Sea"]
    assert Book.objects.get(isbn="9780000000019").title == "Theirs"


def test_an_unknown_file_or_member_is_refused_in_words(tmp_path, member):
    path = tmp_path / "other.csv"
    path.write_text("name,colour\nx,y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="not a Goodreads export"):
        run(path, "--creator", member.username)
    with pytest.raises(CommandError, match="No member"):
        run(path, "--creator", "nobody")
