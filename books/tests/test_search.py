"""Search from the navigation bar: title or author, any case, paginated, never a 500."""

import pytest
from django.db import connection
from django.db.models import F, Value
from django.urls import reverse

from books.models import Book
from tests.factories import BookFactory

pytestmark = pytest.mark.django_db

LIST = reverse("book_list")


@pytest.fixture
def catalogue(member):
    BookFactory(title="The Left Hand of Darkness", author="Ursula K. Le Guin", creator=member)
    BookFactory(title="A Wizard of Earthsea", author="Ursula K. Le Guin", creator=member)
    BookFactory(title="Dune", author="Frank Herbert", creator=member)
    BookFactory(title="Kindred", author="Octavia E. Butler", creator=member)


def titles(response):
    return sorted(book.title for book in response.context["book_list"])


def test_search_matches_title_ignoring_case(client, catalogue):
    assert titles(client.get(LIST, {"q": "dUNE"})) == ["Dune"]


def test_search_matches_author_ignoring_case(client, catalogue):
    assert titles(client.get(LIST, {"q": "le guin"})) == ["A Wizard of Earthsea", "The Left Hand of Darkness"]


def test_search_matches_part_of_a_word(client, catalogue):
    assert titles(client.get(LIST, {"q": "indre"})) == ["Kindred"]


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_search_shows_everything(client, catalogue, query):
    assert len(titles(client.get(LIST, {"q": query}))) == 4


def test_search_with_no_match_says_so(client, catalogue):
    response = client.get(LIST, {"q": "Neuromancer"})
    assert response.status_code == 200
    assert titles(response) == []
    assert "No books match" in response.content.decode()


@pytest.mark.parametrize("query", ["%", "_", "100%", "\\", "'; drop table books_book; --", "\x00dune", "ü" * 5000])
def test_hostile_search_text_is_plain_text_never_a_500(client, catalogue, query):
    response = client.get(LIST, {"q": query})
    assert response.status_code == 200
    if query in ("%", "_", "100%", "\\"):
        assert titles(response) == []  # wildcards are matched literally
    assert Book.objects.count() == 4


def test_search_finds_a_nul_stripped_query(client, catalogue):
    assert titles(client.get(LIST, {"q": "\x00dune"})) == ["Dune"]


def test_search_results_are_paginated_and_sortable(client, member):
    BookFactory.create_batch(30, title="Foundation", creator=member)
    BookFactory.create_batch(5, title="Other", creator=member)
    first = client.get(LIST, {"q": "foundation", "sort": "price"})
    second = client.get(LIST, {"q": "foundation", "sort": "price", "page": 2})
    assert len(first.context["book_list"]) == 24
    assert len(second.context["book_list"]) == 6
    assert first.context["paginator"].count == 30
    assert {b.pk for b in first.context["book_list"]}.isdisjoint({b.pk for b in second.context["book_list"]})


def test_navigation_search_box_sends_q_to_the_list(client, catalogue):
    html = client.get(reverse("home")).content.decode()
    assert f'action="{LIST}"' in html and 'name="q"' in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only")
@pytest.mark.parametrize("query", ["darkness", "GUIN", "ursula darkness"])
def test_search_sql_uses_the_trigram_index_of_the_folded_text(catalogue, query):
    # A handful of rows makes scanning cheapest, so rule out a sequential scan and walking
    # the sort index to ask the real question: does the SQL Django generates for the search
    # match the index expression? (At 100,000 books the planner picks it on its own.)
    queryset = Book.objects.for_cards().search(query).sorted_by("relevance")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    assert "book_search_text_trgm_idx" in queryset.explain()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only")
def test_the_counts_and_first_page_of_a_search_read_its_matches_through_the_trigram_index(client, catalogue):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert titles(client.get(LIST, {"q": "ursula darkness", "price_max": "999"})) == ["The Left Hand of Darkness"]
    (statement,) = [q["sql"] for q in queries.captured_queries if "MATERIALIZED" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + statement)
        assert "book_search_text_trgm_idx" in "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="similar words are a PostgreSQL feature")
def test_the_closest_known_word_is_found_through_the_trigram_index(catalogue):
    from books.models import SearchWord
    from books.search import Similar, Similarity

    # A real vocabulary's size, so that the planner weighs the index as it would in production.
    SearchWord.objects.bulk_create([SearchWord(word=f"w{n:05d}x{n * 7919 % 10007}") for n in range(5000)])
    queryset = (
        SearchWord.objects.filter(Similar(F("word"), Value("darknes")))
        .annotate(score=Similarity(F("word"), Value("darknes")))
        .order_by("-score")
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE books_searchword")
    assert "searchword_trgm_idx" in queryset.explain()
    assert SearchWord.closest("darknes") == "darkness"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the first page's ids come with the counts on PostgreSQL")
def test_the_first_page_of_a_search_is_fetched_by_primary_key_in_the_searchs_order(client, member):
    from django.test.utils import CaptureQueriesContext

    # 30 matches ranked four ways (title start, title, author, elsewhere), one page of 24.
    for n in range(8):
        BookFactory(title=f"Harbor {n}", author="A. Writer", language="en", creator=member)
        BookFactory(title=f"Quiet Harbors {n}", author="B. Writer", language="en", creator=member)
        BookFactory(title=f"Tides {n}", author="Ann Harborough", language="en", creator=member)
    for n in range(6):
        BookFactory(title=f"Lights {n}", author="C. Writer", publisher="Harbor Press", language="en", creator=member)
    BookFactory(title="Harbor in French", language="fr", creator=member)
    BookFactory.create_batch(5, title="Unrelated", language="en", creator=member)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"q": "harbor", "language": "en"})
    shown = [book.pk for book in response.context["book_list"]]
    expected = Book.objects.search("harbor").filter(language="en").sorted_by("relevance").values_list("pk", flat=True)
    assert shown == list(expected[:24])
    assert response.context["paginator"].count == 30
    (fetch,) = [q["sql"] for q in queries.captured_queries if '"books_book"."id" IN (' in q["sql"]]
    assert "LIKE" not in fetch  # the search's ids by primary key, not every match read again
