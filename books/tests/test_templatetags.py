import pytest

from books.templatetags.bookstore_ui import COVER_TINTS, cover_tint, stars


@pytest.mark.parametrize(
    ("rating", "shown"),
    [(4, "★★★★☆"), (1, "★☆☆☆☆"), (5, "★★★★★"), ("3.50", "★★★★☆"), ("3.49", "★★★☆☆"), (None, "")],
)
def test_stars_fill_as_many_stars_as_the_rounded_rating(rating, shown):
    assert stars(rating) == shown


def test_stars_never_draw_more_than_five_or_fewer_than_none():
    assert stars(9) == "★★★★★"
    assert stars(-2) == "☆☆☆☆☆"


def test_cover_tint_is_fixed_by_the_title_and_varies_between_titles():
    assert cover_tint("Kindred") == cover_tint("kindred") == cover_tint("Kindred")
    tints = {cover_tint(title) for title in ("Kindred", "Dawn", "Wild Seed", "Beloved", "Piranesi", "Wolf Hall")}
    assert len(tints) > 3 and all(0 <= tint < COVER_TINTS for tint in tints)


@pytest.mark.parametrize(
    ("language", "currency", "shown"),
    [
        ("en-us", "USD", "$1,234.50"),
        ("en-us", "EUR", "€1,234.50"),
        ("de", "EUR", "1.234,50\xa0€"),
        ("de", "USD", "1.234,50\xa0$"),
    ],
)
def test_money_follows_the_language_and_the_configured_currency(settings, language, currency, shown):
    from decimal import Decimal

    from django.utils import translation

    from books.templatetags.bookstore_ui import money

    settings.BOOKSTORE_CURRENCY = currency
    with translation.override(language):
        assert money(Decimal("1234.50")) == shown


def test_no_template_writes_a_currency_symbol_of_its_own():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text()
        assert "${{" not in text and "€{{" not in text, path


@pytest.mark.django_db
def test_book_page_shows_and_declares_the_configured_currency(client, book, settings):
    settings.BOOKSTORE_CURRENCY = "EUR"
    html = client.get(book.get_absolute_url()).content.decode()
    assert '"priceCurrency": "EUR"' in html
    assert f"€{book.price:,.2f}" in html and "$" not in html.split("<main", 1)[1]
