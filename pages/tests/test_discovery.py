"""What search engines, feed readers and link previews read: sitemap, robots.txt, feeds,
meta and OpenGraph tags, and schema.org's Book."""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.sites.models import Site
from django.urls import reverse

from books.sitemaps import BookSitemap
from tests.factories import BookFactory, ReviewFactory

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"


def locations(response):
    root = ET.fromstring(response.content)  # noqa: S314 - our own response
    return [element.text for element in root.iter(f"{SITEMAP}loc")]


def test_the_sitemap_lists_every_book_in_sections(client, member, monkeypatch, settings):
    settings.BOOKSTORE_SITE_DOMAIN = "books.example.org"
    Site.objects.update(domain="books.example.org")  # as accounts keeps it in production
    monkeypatch.setattr(BookSitemap, "limit", 2)
    books = BookFactory.create_batch(5, creator=member)
    index = locations(client.get("/sitemap.xml"))
    book_sections = [url for url in index if "sitemap-books.xml" in url]
    assert len(book_sections) == 3  # 5 books, 2 a section
    assert all(url.startswith("http://books.example.org/") for url in index)
    listed = []
    for page in (1, 2, 3):
        response = client.get("/sitemap-books.xml", {"p": page})
        assert response["Content-Type"].startswith("application/xml")
        listed += locations(response)
    assert sorted(listed) == sorted(f"http://books.example.org{book.get_absolute_url()}" for book in books)
    assert client.get("/sitemap-books.xml", {"p": 4}).status_code == 404


def test_robots_txt_keeps_crawlers_out_of_forms_and_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for private in ("/admin/", "/accounts/", "/books/create/", "/reviews/"):
        assert f"Disallow: {private}" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


def test_the_new_books_feed_is_atom_with_the_newest_first(client, member):
    BookFactory(title="Older", author="A. Writer", creator=member)
    BookFactory(title="Newer", author="B. Writer", creator=member, description="Sea and storms.")
    response = client.get(reverse("book_feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 - our own response
    titles = [entry.find(f"{ATOM}title").text for entry in feed.iter(f"{ATOM}entry")]
    assert titles == ["Newer, by B. Writer", "Older, by A. Writer"]


def test_a_books_reviews_feed_lists_its_reviews_and_404s_for_an_unknown_book(client, book, other_member):
    ReviewFactory(book=book, author=other_member, review="Quietly devastating.", rating=4)
    ReviewFactory(author=other_member, review="About another book.")
    response = client.get(reverse("book_reviews_feed", args=[book.pk]))
    feed = ET.fromstring(response.content)  # noqa: S314 - our own response
    entries = list(feed.iter(f"{ATOM}entry"))
    assert [e.find(f"{ATOM}summary").text for e in entries] == ["Quietly devastating."]
    assert entries[0].find(f"{ATOM}title").text == f"{other_member.username}, 4 out of 5"
    assert client.get(reverse("book_reviews_feed", args=["5f0c1e4e-0000-4000-8000-000000000000"])).status_code == 404


def json_ld(response):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def test_a_book_page_carries_its_description_opengraph_and_schema_org_book(client, member, other_member):
    book = BookFactory(creator=member, title="Kindred", author="Octavia E. Butler", description="A time-travel novel.")
    ReviewFactory(book=book, author=other_member, rating=4)
    content = client.get(book.get_absolute_url()).content.decode()
    assert '<meta name="description" content="A time-travel novel.">' in content
    assert '<meta property="og:title" content="Kindred by Octavia E. Butler">' in content
    assert f'<meta property="og:url" content="http://testserver{book.get_absolute_url()}">' in content
    data = json_ld(client.get(book.get_absolute_url()))
    assert data["@type"] == "Book" and data["name"] == "Kindred"
    assert data["author"] == {"@type": "Person", "name": "Octavia E. Butler"}
    assert data["aggregateRating"]["ratingValue"] == "4.00" and data["aggregateRating"]["ratingCount"] == 1


def test_a_hostile_title_cannot_close_the_json_ld_block(client, member):
    book = BookFactory(creator=member, title='</script><script>alert("x")</script>', author="Mallory")
    response = client.get(book.get_absolute_url())
    assert json_ld(response)["name"] == '</script><script>alert("x")</script>'
    assert '<script>alert("x")' not in response.content.decode()
