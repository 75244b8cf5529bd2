"""A second language: German, chosen by the browser's Accept-Language or the footer's switch."""

import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

from api.models import AccessToken
from books.models import Book, ImportJob
from books.services import book_save
from tests.factories import BookFactory, ReviewFactory

pytestmark = pytest.mark.django_db

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "de" / "LC_MESSAGES" / "django.po"
# msgid and msgid_plural of every entry of a .po file (the header's empty msgid aside).
_MSGID = re.compile(r'^(msgid|msgid_plural) ((?:"(?:[^"\\]|\\.)*"\s*)+)', re.M)


def msgids(*, singular_only: bool = False) -> list[str]:
    found = []
    for kind, quoted in _MSGID.findall(CATALOGUE.read_text()):
        if singular_only and kind == "msgid_plural":
            continue
        text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', quoted))
        if text:
            found.append(text.encode().decode("unicode_escape").encode("latin-1").decode())
    return found


def compiled() -> dict:
    with CATALOGUE.with_suffix(".mo").open("rb") as mo:
        return gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]


def visible_text(html: str) -> str:
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_german_catalogue_is_complete_and_compiled():
    """Every msgid of the .po has German text in the committed .mo (msgfmt leaves out empty and fuzzy ones)."""
    catalogue = compiled()
    missing = [msgid for msgid in msgids(singular_only=True) if not (catalogue.get(msgid) or catalogue.get((msgid, 0)))]
    assert not missing, f"untranslated or not compiled: {missing}"


def english_phrases() -> set[str]:
    """Whole sentences and phrases of the site's own catalogue, without their placeholders."""
    english = set()
    for msgid in msgids():
        if msgid:
            for part in re.split(r"%\(\w+\)[sd]|%s|\{\w+\}|<[^>]+>", msgid):
                part = part.strip(" .,:;()–—“”")
                if len(part) >= 12 and part not in {"Bookstore", "Authorization: Bearer …"}:  # code reads the same
                    english.add(part)
    return english


def assert_german(response, english: set[str]) -> str:
    assert response["Content-Language"] == "de"
    text = visible_text(response.content.decode())
    left = sorted(part for part in english if part in text)
    assert not left, f"{response.request['PATH_INFO']} still says in English: {left}"
    return text


def test_main_pages_in_german_show_no_english_string_of_the_site(client, member):
    book = BookFactory(creator=member, title="Der Steppenwolf", author="Hermann Hesse", price="1234.50")
    ReviewFactory(book=book, rating=4)
    book.refresh_review_stats()
    english = english_phrases()
    for url in ("/", "/books/", book.get_absolute_url(), f"/members/{member.username}/", "/about/", "/books/no-such/"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
        assert response["Content-Language"] == "de"
        text = visible_text(response.content.decode())
        left = sorted(part for part in english if part in text)
        assert not left, f"{url} still says in English: {left}"
    client.force_login(member)
    for url in ("/books/create/", f"{book.get_absolute_url()}update/"):
        text = visible_text(client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode())
        left = sorted(part for part in english if part in text)
        assert not left, f"{url} still says in English: {left}"
        assert "Titel" in text and "Abbrechen" in text
    detail = visible_text(client.get(book.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de").content.decode())
    assert "1.234,50 $" in detail.replace("\xa0", " "), "the price as German writes it"
    assert re.search(r"Hinzugefügt von \w+ am \d+\. \w+ \d{4}|Hinzugefügt von \w+ am \d+ \w+ \d{4}", detail)


def test_the_filters_and_the_suggestions_speak_german(client, member):
    """The filter form, the applied filters and what the suggestions announce: short words the
    phrase check above cannot see."""
    siddhartha = Book(title="Siddhartha", author="Hermann Hesse", price="9.00", publication_year=1922)
    book_save(book=siddhartha, creator=member)
    html = client.get("/books/?rating=4&year_min=1900&q=hesse", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    text = visible_text(html)
    for german in ("Jedes Thema", "Jede Sprache", "Jede Bewertung", "4 Sterne und mehr", "Ab 1900", "Anwenden"):
        assert german in text, german
    for english in ("Any subject", "Any language", "Any rating", "stars & up", "Apply", "From 1900", "Filters"):
        assert english not in text, english
    assert 'aria-label="Filter entfernen: Ab 1900"' in html
    assert 'data-suggest-many="%s Bücher vorgeschlagen, mit den Pfeiltasten auswählen."' in html
    assert 'data-suggest-none="Keine Bücher vorgeschlagen."' in html


def test_the_switch_keeps_german_for_the_next_pages(client):
    response = client.post(reverse("set_language"), {"language": "de", "next": "/books/"})
    assert response.status_code == 302 and response["Location"] == "/books/"
    page = client.get("/books/")
    assert '<html lang="de">' in page.content.decode() and "Alle Bücher" in page.content.decode()


def test_staff_member_and_limit_pages_in_german_show_no_english_string_of_the_site(client, member, settings):
    """The import pages, API tokens, author and subject pages, the export links and the 429 page."""
    english = english_phrases()
    member.is_staff = True
    member.save(update_fields=["is_staff"])
    book = book_save(
        book=Book(title="Siddhartha", author="Hermann Hesse", price="9.00", creator=member),
        subjects=["Science fiction"],
    )
    done = ImportJob.objects.create(
        creator=member,
        file_name="katalog.csv",
        status=ImportJob.DONE,
        total_rows=3,
        processed_rows=3,
        created_count=2,
        skipped_count=1,
        skipped_rows=[[3, "Ohne Preis", "—"]],
    )
    running = ImportJob.objects.create(
        creator=member, file_name="mehr.csv", status=ImportJob.RUNNING, total_rows=10, processed_rows=4, dry_run=True
    )
    AccessToken.issue(member=member, name="Lese-App", read_only=True)
    client.force_login(member)
    german = "de-DE,de;q=0.9"
    pages = {
        reverse("import_start"): ["Bücher aus einer CSV-Datei importieren", "fertig", "Probelauf: prüfen"],
        done.get_absolute_url(): ["Angelegt: 2, aktualisiert: 0, übersprungen: 1.", "Übersprungene Zeilen"],
        running.get_absolute_url(): ["Import läuft: 4 von 10 Zeilen (40 %).", "(Probelauf)"],
        reverse("api_tokens"): ["Ihre Tokens", "Nur lesen", "Nie", "Name des Tokens"],
        reverse("author_detail", args=[book.author_slug]): ["Bücher von Hermann Hesse", "1 Buch"],
        book.subjects.get().get_absolute_url(): ["1 Buch zu diesem Thema"],
        f"/members/{member.username}/": ["Meine Rezensionen herunterladen (CSV)", "Bücher importieren (CSV)"],
        "/books/create/": ["Erscheinungsjahr", "Seitenzahl", "Verlag", "Themen durch Kommas trennen"],
    }
    for url, expected in pages.items():
        text = assert_german(client.get(url, HTTP_ACCEPT_LANGUAGE=german), english)
        assert all(words in text for words in expected), (url, [words for words in expected if words not in text])

    settings.BOOKSTORE_REVIEW_RATE = "1/m"
    url = reverse("review_create", args=[book.pk])
    client.post(url, {"review": "Schön"}, HTTP_ACCEPT_LANGUAGE=german)
    refused = client.post(url, {"review": "Noch eine"}, HTTP_ACCEPT_LANGUAGE=german)
    assert refused.status_code == 429
    text = assert_german(refused, english)
    assert "Sie haben gerade sehr viele Rezensionen veröffentlicht" in text
    assert re.search(r"in \d+ Sekunden? wieder", text)
