"""The interface on a phone-sized screen, driven from the keyboard."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import assert_page_is_accessible, book_with_cover, image_natural_width, navigation
from tests.factories import BookFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.browser


def test_phone_visitor_opens_the_menu_by_keyboard_and_searches(page, site, transactional_db, page_problems, screenshot):
    book = book_with_cover(UserFactory(username="alice"), "The Left Hand of Darkness", (60, 80, 110))
    ReviewFactory(book=book, rating=5, review="Cold, strange and warm at once.")
    book.refresh_review_stats()
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto("/books/")
    search = navigation(page).get_by_role("combobox", name="Search books by title, author, ISBN or subject")
    expect(search).to_be_visible()  # no need to open the menu to search
    books_link = navigation(page).get_by_role("link", name="Books", exact=True)
    expect(books_link).to_be_hidden()
    menu = navigation(page).get_by_role("button", name="Toggle navigation")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.focus()
    page.keyboard.press("Enter")  # Bootstrap's collapse, from the packaged script the CSP allows
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(books_link).to_be_visible()
    expect(page.locator("#navbar-main")).to_have_class("navbar-collapse collapse show")  # opening finished
    screenshot("phone-menu-open")

    search.fill("left hand")
    search.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Books matching “left hand”")
    thumbnail = page.locator("article.book-card img")
    assert image_natural_width(thumbnail) > 0
    card = page.locator("article.book-card").bounding_box()
    thumbnail_box = thumbnail.bounding_box()
    title = page.locator("article.book-card a.book-card-link").bounding_box()
    assert card["width"] > 340, "a compact list on a phone: one book a row"
    assert thumbnail_box["x"] + thumbnail_box["width"] <= title["x"], "the thumbnail beside the title"
    assert card["height"] < 844 / 6, "at least six books a screen"
    author = page.locator("article.book-card .book-card-author a").bounding_box()
    assert author["height"] >= 44, "the author link above the card's own link is a 44 px target"
    assert author["y"] >= title["y"] + title["height"], "below the title, not over it"
    screenshot("phone-search-results")
    expect(page.get_by_role("button", name="Sort")).to_be_hidden()
    page.get_by_label("Sort by").select_option("price")  # applies on change, keeping the search
    expect(page).to_have_url(re.compile(r"\?q=left\+hand&sort=price$"))

    page.locator("article.book-card a.book-card-link").click()
    cover = page.get_by_role("img", name="Cover of The Left Hand of Darkness")
    assert image_natural_width(cover) > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "nothing sticks out sideways"
    assert_page_is_accessible(page)
    screenshot("phone-detail", full_page=True)
    page_problems.assert_none()


def test_sort_works_without_javascript_through_its_button(browser, site, transactional_db):
    creator = UserFactory(username="alice")
    for title in ("Kindred", "Dawn", "Wild Seed"):
        BookFactory(creator=creator, title=title)
    context = browser.new_context(base_url=site.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/books/")
        page.get_by_label("Sort by").select_option("title")
        expect(page).to_have_url(re.compile(r"/books/$"))  # nothing happens on change without scripts
        page.get_by_role("button", name="Sort").click()
        expect(page).to_have_url(re.compile(r"\?sort=title$"))
        titles = page.locator("article.book-card h2").all_inner_texts()
        assert titles == ["Dawn", "Kindred", "Wild Seed"]
    finally:
        context.close()
