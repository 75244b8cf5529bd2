"""The colour theme: the system's by default, a remembered choice, and no flash of the wrong one."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_no_axe_violations

pytestmark = pytest.mark.browser

PAPER = {"light": "rgb(250, 247, 241)", "dark": "rgb(26, 24, 22)"}
# The body's colour as the parser reaches the end of the document, before the first paint can
# show anything later scripts would change.
_FIRST_PAINT = """
document.addEventListener("DOMContentLoaded", () => {
  window.__firstBackground = getComputedStyle(document.body).backgroundColor;
});
"""


def background(page):
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_reader_switches_to_light_on_a_dark_system_and_the_choice_stays(page, context, site, transactional_db):
    context.add_init_script(_FIRST_PAINT)
    page.emulate_media(color_scheme="dark")
    page.goto("/about/")
    assert background(page) == PAPER["dark"], "the system's dark setting by default"
    switch = page.get_by_label("Theme")
    expect(switch).to_have_value("system")

    switch.select_option("light")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert background(page) == PAPER["light"]
    assert_no_axe_violations(page, schemes=("dark",))  # light look on a dark system

    page.goto("/books/")
    assert page.evaluate("window.__firstBackground") == PAPER["light"], "no flash of the system's theme"
    expect(page.get_by_label("Theme")).to_have_value("light")

    page.emulate_media(color_scheme="light")
    page.get_by_label("Theme").select_option("dark")
    page.reload()
    assert page.evaluate("window.__firstBackground") == PAPER["dark"]
    assert_no_axe_violations(page, schemes=("light",))  # dark look on a light system

    page.get_by_label("Theme").select_option("system")
    assert background(page) == PAPER["light"]
    assert page.evaluate("localStorage.getItem('bookstore-theme')") is None


def test_reader_switches_the_book_page_to_german(page, site, transactional_db, page_problems, screenshot):
    from tests.browser.steps import book_with_cover
    from tests.factories import ReviewFactory, UserFactory

    book = book_with_cover(UserFactory(username="alice"), "Der Steppenwolf", (60, 80, 110), author="Hermann Hesse")
    ReviewFactory(book=book, rating=4, review="Ein Buch für die Nacht.")
    book.refresh_review_stats()
    page.emulate_media(reduced_motion="reduce")
    page.goto(book.get_absolute_url())
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Language").select_option("de")  # sent on change
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page).to_have_url(f"{site.url}{book.get_absolute_url()}")
    expect(page.get_by_role("heading", name="Rezension schreiben")).to_be_visible()
    expect(page.locator(".book-price")).to_have_text("11,00\xa0$")
    assert_no_axe_violations(page)
    page.evaluate("document.activeElement.blur()")
    screenshot("book-page-german", full_page=True)
    page.emulate_media(color_scheme="dark")
    screenshot("book-page-german-dark", full_page=True)
    page_problems.assert_none()
