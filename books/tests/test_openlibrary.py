"""Fill the add-a-book form from Open Library, against a local server serving recorded answers."""

import http.server
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from books.models import Book
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "openlibrary"
KNOWN = "9780553383041"  # A Wizard of Earthsea, recorded in FIXTURES
UNKNOWN = "9780306406157"
RATE_LIMITED = "9780441172719"
SLOW = "9780000000019"
ELSEWHERE = "9780000000026"  # its answer redirects to another host
COVER_JPEG = image_bytes("JPEG", size=(300, 450))


class OpenLibrary(http.server.BaseHTTPRequestHandler):
    requests: list = []

    def do_GET(self):  # noqa: N802 - http.server's name
        self.requests.append((self.path, self.headers.get("User-Agent")))
        url = urlsplit(self.path)
        isbn = (
            parse_qs(url.query).get("bibkeys", ["ISBN:"])[0][5:] or url.path.split("/")[-1].split(".")[0].split("-")[0]
        )
        if isbn == RATE_LIMITED:
            return self.answer(429, b"Too Many Requests", "text/plain")
        if isbn == SLOW:
            time.sleep(1)
        if isbn == ELSEWHERE:  # the same server under another host name
            return self.redirect(f"http://localhost:{self.server.server_address[1]}/books/OL1M.json")
        if url.path == "/api/books":
            fixture = FIXTURES / f"api_books_{isbn}.json"
            return self.answer(200, (fixture if fixture.exists() else FIXTURES / "api_books_unknown.json").read_bytes())
        if url.path == f"/isbn/{KNOWN}.json":
            return self.redirect("/books/OL7353617M.json")
        if url.path == "/books/OL7353617M.json":
            return self.answer(200, (FIXTURES / "edition_OL7353617M.json").read_bytes())
        if url.path == f"/b/isbn/{KNOWN}-L.jpg":
            return self.answer(200, COVER_JPEG, "image/jpeg")
        return self.answer(404, b"Not found", "text/plain")

    def answer(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def openlibrary_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OpenLibrary)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def openlibrary(settings, openlibrary_server):
    settings.OPENLIBRARY_BASE_URL = settings.OPENLIBRARY_COVERS_URL = openlibrary_server
    settings.OPENLIBRARY_TIMEOUT = 0.5
    OpenLibrary.requests.clear()
    return OpenLibrary.requests


TYPED = {"title": "", "author": "", "price": "12.00", "publisher": "Typed by hand", "subjects": "Mine"}


def look_up(client, isbn, **typed):
    response = client.post(reverse("book_create"), {**TYPED, **typed, "isbn": isbn, "lookup": "1"})
    assert response.status_code == 200
    form = response.context["form"]
    return response, {
        name: form[name].value()
        for name in (
            "isbn",
            "title",
            "author",
            "publisher",
            "publication_year",
            "pages",
            "language",
            "subjects",
            "price",
        )
    }


def test_lookup_fills_the_form_and_saves_nothing(member_client, openlibrary):
    response, values = look_up(member_client, "0-553-38304-3")
    assert values == {
        "isbn": KNOWN,
        "title": "A Wizard of Earthsea",
        "author": "Ursula K. Le Guin",
        "publisher": "Spectra",
        "publication_year": 2004,
        "pages": 183,
        "language": "en",
        "subjects": "Fantasy, Wizards, Earthsea (Imaginary place)",
        "price": "12.00",
    }
    assert "Filled from Open Library" in response.content.decode()
    assert not Book.objects.exists()
    assert all(agent.startswith("Bookstore/") for _, agent in openlibrary)


@pytest.mark.parametrize(
    ("isbn", "words"),
    [
        (UNKNOWN, "Open Library has no book with the ISBN 9780306406157"),
        (RATE_LIMITED, "too many requests"),
        (SLOW, "could not be reached"),  # slower than the timeout
    ],
    ids=["404", "429", "timeout"],
)
def test_a_failed_lookup_says_why_and_leaves_the_form_as_it_was(member_client, openlibrary, isbn, words):
    response, values = look_up(member_client, isbn, title="My own title")
    assert words in response.content.decode()
    assert (values["title"], values["publisher"], values["subjects"]) == ("My own title", "Typed by hand", "Mine")


def test_network_failure_is_a_clear_message(member_client, settings):
    settings.OPENLIBRARY_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    response, values = look_up(member_client, KNOWN, title="Kept")
    assert "Open Library could not be reached" in response.content.decode()
    assert values["title"] == "Kept"


def test_a_redirect_to_another_host_is_not_followed(member_client, openlibrary):
    response, _ = look_up(member_client, ELSEWHERE)
    assert "Open Library could not be reached" in response.content.decode()
    assert [path for path, _ in openlibrary if "OL1M" in path] == []
    assert any(path.startswith("/books/OL7353617M") for path, _ in look_up(member_client, KNOWN) and openlibrary)


def test_a_bad_isbn_is_refused_before_asking(member_client, openlibrary):
    response, _ = look_up(member_client, "978-0-553-38304-2")
    assert "check digit is wrong" in response.content.decode()
    assert openlibrary == []


def test_the_cover_is_fetched_through_the_upload_pipeline_when_asked(member_client, openlibrary):
    data = {"title": "A Wizard of Earthsea", "author": "Ursula K. Le Guin", "price": "9", "isbn": KNOWN}
    member_client.post(reverse("book_create"), {**data, "openlibrary_cover": "on"})
    book = Book.objects.get()
    assert book.cover.name.startswith("covers/") and book.cover.name.endswith(".jpg")
    assert book.thumbnail_width


def test_a_cover_over_the_size_cap_is_refused_unread(member_client, openlibrary, settings):
    settings.COVER_MAX_UPLOAD_BYTES = 1000
    data = {"title": "A Wizard of Earthsea", "author": "Ursula K. Le Guin", "price": "9", "isbn": KNOWN}
    response = member_client.post(reverse("book_create"), {**data, "openlibrary_cover": "on"})
    assert "larger than the site accepts" in response.content.decode()
    assert not Book.objects.exists()


def test_a_missing_cover_is_a_form_error(member_client, openlibrary):
    data = {"title": "Unknown", "author": "Someone", "price": "9", "isbn": UNKNOWN}
    response = member_client.post(reverse("book_create"), {**data, "openlibrary_cover": "on"})
    assert "Open Library has no cover for this ISBN." in response.content.decode()
    assert not Book.objects.exists()


def test_only_the_creator_may_look_up_on_the_edit_form(other_client, book, openlibrary):
    response = other_client.post(reverse("book_update", args=[book.pk]), {"isbn": KNOWN, "lookup": "1"})
    assert response.status_code == 403
    assert openlibrary == []
