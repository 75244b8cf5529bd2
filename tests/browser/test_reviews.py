"""A member's own reviews in a real Chromium: paging by keyboard, editing, deleting."""

import re

import pytest
from playwright.sync_api import expect

from books.models import Book, Review
from tests.browser.steps import assert_page_is_accessible, field, log_in, navigation
from tests.factories import BookFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.browser


def distribution(page):
    return page.locator("ul.rating-distribution")


def test_member_pages_through_reviews_by_keyboard_then_edits_and_deletes_their_own(
    page, site, transactional_db, page_problems, screenshot
):
    alice = UserFactory(username="alice")
    book = BookFactory(creator=UserFactory(username="carol"), title="The Dispossessed")
    ReviewFactory(book=book, author=alice, review="Slow going at first.", rating=2)
    for n in range(24):
        ReviewFactory(book=book, review=f"Reader note {n:02}.", rating=4)
    log_in(page, "alice")
    page.goto(book.get_absolute_url())
    expect(distribution(page).get_by_text("2 stars: 1 (4%)")).to_be_visible()
    expect(page.locator("article.review")).to_have_count(20)
    assert_page_is_accessible(page)

    # Page 2 by keyboard: Tab from the last review link on page 1 reaches the page links.
    reviews_nav = page.get_by_role("navigation", name="Review pages")
    reviews_nav.get_by_role("link", name="2", exact=True).focus()
    page.keyboard.press("Tab")
    expect(reviews_nav.get_by_role("link", name="Next")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?page=2#reviews$"))
    expect(page.locator("article.review")).to_have_count(5)
    mine = page.locator("article.review").filter(has_text="Slow going at first.")  # the oldest: last
    expect(mine).to_be_visible()
    screenshot("reviews-page-2")

    # Sorted by lowest rating, from the keyboard: her 2 stars come first.
    page.get_by_label("Sort reviews by").select_option("lowest")  # applies on change
    expect(page).to_have_url(re.compile(r"\?sort=lowest#reviews$"))
    expect(page.locator("article.review").first).to_contain_text("Slow going at first.")

    page.locator("article.review").first.get_by_role("link", name="Edit your review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit your review of “The Dispossessed”")
    field(page, "Your review").fill("")
    page.get_by_role("button", name="Save review").click()
    expect(field(page, "Your review")).to_be_focused()  # a refused edit lands on the field
    expect(page.get_by_role("alert")).to_contain_text("Your review was not saved")
    assert_page_is_accessible(page)
    field(page, "Your review").fill("It grew on me: a great book.")
    page.get_by_label("5 stars").check()
    page.get_by_role("button", name="Save review").click()

    expect(page.get_by_role("status").filter(has_text="Your review was updated.")).to_be_visible()
    expect(page.get_by_text("It grew on me: a great book.")).to_be_visible()
    expect(distribution(page).get_by_text("5 stars: 1 (4%)")).to_be_visible()
    expect(distribution(page).get_by_text("2 stars: 0 (0%)")).to_be_visible()
    screenshot("review-edited")

    page.locator("article.review").filter(has_text="It grew on me").get_by_role(
        "link", name="Delete your review"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your review of “The Dispossessed”?")
    assert_page_is_accessible(page)
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.get_by_role("status").filter(has_text="Your review was deleted.")).to_be_visible()
    expect(page.get_by_text("It grew on me: a great book.")).to_have_count(0)
    expect(distribution(page).get_by_text("5 stars: 0 (0%)")).to_be_visible()
    assert not Review.objects.filter(author=alice).exists()
    assert Book.objects.get(pk=book.pk).rating_count == 24
    page_problems.assert_none()


def test_member_opens_their_page_from_the_account_menu_by_keyboard(page, site, transactional_db, page_problems):
    alice = UserFactory(username="alice")
    ReviewFactory(author=alice, book__title="Kindred", review="Unforgettable.", rating=5)
    log_in(page, "alice")
    menu = navigation(page).get_by_role("button", name="Signed in as alice")
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(navigation(page).get_by_role("link", name="Your page")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/members/alice/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("alice")
    expect(page.get_by_text("Unforgettable.")).to_be_visible()
    assert_page_is_accessible(page)
    page.get_by_role("link", name="Kindred").click()
    expect(page.get_by_role("heading", level=1, name="Kindred")).to_be_visible()
    page_problems.assert_none()
