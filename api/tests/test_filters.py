"""The API's book list takes the site's filters, read as the site reads them."""

import pytest
from django.test import Client
from django.urls import reverse

from books.tests.test_cache_bounds import redis_page_cache  # noqa: F401 - page cache on Redis, keys counted
from books.tests.test_search_filters import shelf  # noqa: F401 - five books with languages, years, prices, subjects

from .conftest import API

pytestmark = pytest.mark.django_db

SAME_AS_THE_SITE = [
    {"subject": "classics"},
    {"language": "en"},
    {"year_min": "1964", "year_max": "1900"},
    {"price_min": "11", "price_max": "13.5"},
    {"rating": "4"},
    {"q": "herbert", "subject": "science-fiction", "year_max": "1966"},
    {"subject": "classics", "language": "fr"},
    {"rating": "7", "year_min": "soon", "language": "xx"},  # junk is left out, never an error
]


def api_titles(params):
    response = Client().get(f"{API}/books", params)
    assert response.status_code == 200, response.content
    return sorted(item["title"] for item in response.json()["items"])


@pytest.mark.parametrize("params", SAME_AS_THE_SITE)
def test_the_api_list_filters_as_the_site_list_does(client, shelf, params):  # noqa: F811
    site = sorted(book.title for book in client.get(reverse("book_list"), params).context["book_list"])
    assert api_titles(params) == site
    assert site, "each case finds books"


def test_filters_are_keyed_in_the_sites_canonical_form(redis_page_cache, shelf):  # noqa: F811
    first = Client().get(f"{API}/books", {"language": "en", "price_max": "10"})
    assert first.get("X-Page-Cache") != "hit"
    again = Client().get(f"{API}/books", {"price_max": "10.00", "language": "EN", "year_min": "soon"})
    assert again.get("X-Page-Cache") == "hit" and again.content == first.content
    other = Client().get(f"{API}/books", {"language": "fr"})
    assert other.get("X-Page-Cache") != "hit"
    assert [item["title"] for item in other.json()["items"]] == ["Les Misérables"]
