"""The search journey in a real Chromium: type, pick a suggestion by keyboard, search, filter."""

import pytest
from playwright.sync_api import expect

from books.models import Book
from books.services import book_save
from tests.browser.steps import assert_page_is_accessible
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def shelf(transactional_db):
    member = UserFactory(username="alice")
    for title, author, language, subjects in [
        ("Gödel, Escher, Bach", "Douglas R. Hofstadter", "en", ["Mathematics"]),
        ("The Hobbit", "J. R. R. Tolkien", "en", ["Fantasy"]),
        ("Le Hobbit", "J. R. R. Tolkien", "fr", ["Fantasy"]),
        ("The Hobbit Companion", "David Day", "en", ["Reference"]),
    ]:
        book_save(book=Book(title=title, author=author, price=10, language=language), creator=member, subjects=subjects)


def test_reader_picks_a_suggestion_by_keyboard_then_searches_and_filters(page, site, shelf, page_problems):
    page.goto("/")
    box = page.get_by_role("combobox", name="Search books by title, author, ISBN or subject")
    box.focus()
    page.keyboard.type("GODEL")
    suggestions = page.get_by_role("listbox", name="Suggested books")
    expect(suggestions.get_by_role("option")).to_have_count(1)
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#nav-search-status")).to_have_text("1 book suggested, use the arrow keys to choose.")
    page.keyboard.press("ArrowDown")
    expect(suggestions.get_by_role("option", name="Gödel, Escher, Bach Douglas R. Hofstadter")).to_have_attribute(
        "aria-selected", "true"
    )
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Gödel, Escher, Bach")).to_be_visible()

    box = page.get_by_role("combobox", name="Search books by title, author, ISBN or subject")
    box.fill("")
    box.focus()
    page.keyboard.type("hobbit")
    expect(page.get_by_role("listbox", name="Suggested books").get_by_role("option")).to_have_count(3)
    page.keyboard.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("hobbit")
    cards = page.locator("article.book-card h2, article.book-card h3")
    expect(cards.first).to_contain_text("Hobbit")

    page.get_by_text("Filters", exact=True).click()
    page.get_by_role("form", name="Filter books").get_by_label("Language").select_option(label="French (1)")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**language=fr**")
    assert "language=fr" in page.url and "q=hobbit" in page.url
    expect(page.locator("article.book-card")).to_have_count(1)
    expect(page.get_by_role("link", name="Remove filter: French")).to_be_visible()
    assert_page_is_accessible(page)
    page_problems.assert_none()


def test_search_box_is_visible_on_a_phone_without_opening_the_menu(page, site, shelf, page_problems):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/books/")
    box = page.get_by_role("combobox", name="Search books by title, author, ISBN or subject")
    expect(box).to_be_visible()
    expect(page.get_by_role("button", name="Toggle navigation")).to_be_visible()
    box.fill("tolkien")
    box.press("Enter")
    expect(page.locator("article.book-card")).to_have_count(2)
    page_problems.assert_none()
