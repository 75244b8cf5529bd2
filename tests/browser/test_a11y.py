"""Keyboard and touch: focus rings anyone can see, targets a finger can hit, errors focus can find."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.browser.axe import assert_focus_visible, assert_no_axe_violations, assert_touch_targets
from tests.browser.steps import book_with_cover
from tests.factories import BookFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.browser


def sign_in(context, site, user):
    client = Client()
    client.force_login(user)
    host = site.url.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host, "path": "/"}]
    )


def test_focus_rings_and_touch_targets_on_the_main_pages(page, context, site, transactional_db, page_problems):
    alice = UserFactory(username="alice")
    book = book_with_cover(alice, "The Left Hand of Darkness", (60, 80, 110))
    ReviewFactory(book=book, author=alice, rating=4, review="Cold and warm at once.")
    for index in range(25):
        BookFactory(creator=alice, title=f"Book {index}")
    sign_in(context, site, alice)
    pages = ["/", "/books/", book.get_absolute_url(), "/books/create/", "/members/alice/"]
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
        for url in pages:
            page.goto(url)
            assert_focus_visible(page)
    page.emulate_media(color_scheme="light")
    for size in ({"width": 390, "height": 844}, {"width": 1280, "height": 800}):
        page.set_viewport_size(size)
        for url in pages:
            page.goto(url)
            assert_touch_targets(page)
    page_problems.assert_none()


def test_a_refused_form_puts_focus_on_its_first_error_linked_from_the_summary(page, context, site, transactional_db):
    sign_in(context, site, UserFactory(username="alice"))
    page.goto("/books/create/")
    page.locator("#id_title").fill("The Dispossessed")
    page.locator("#id_price").fill("-3")
    page.get_by_role("button", name="Add book").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("please correct the 2 fields")
    expect(page.locator("#id_author")).to_be_focused()  # the first invalid field, in the form's order
    summary.get_by_role("link", name=re.compile("^Price")).click()
    expect(page.locator("#id_price")).to_be_focused()
    assert_no_axe_violations(page)

    context.clear_cookies()
    page.goto("/accounts/signup/")
    page.locator("#id_username").fill("carol")
    page.locator("#id_email").fill("carol@example.com")
    page.locator("#id_password1").fill("a-long-reading-list-42")
    page.locator("#id_password2").fill("a-long-reading-list-43")
    page.get_by_role("button", name=re.compile("sign up", re.I)).click()
    expect(page.locator("[data-error-summary] a").first).to_be_visible()
    focused = page.evaluate("document.activeElement.id")
    assert focused and page.locator("[data-error-summary] a").first.get_attribute("href") == f"#{focused}"


def test_the_pages_added_since_have_no_axe_violations_at_either_size(page, context, site, transactional_db):
    """Search with its filters and suggestions, author, subject, member, import and token pages."""
    from books.models import Subject

    alice = UserFactory(username="alice", is_staff=True)
    novels = Subject.objects.create(name="Novels", slug="novels")
    book = book_with_cover(alice, "The Left Hand of Darkness", (60, 80, 110), language="en")
    book.subjects.add(novels)
    ReviewFactory(book=book, author=alice, rating=4, review="Cold and warm at once.")
    BookFactory(creator=alice, title="The Dispossessed", author="Ursula K. Le Guin")
    sign_in(context, site, alice)
    pages = [
        "/books/?q=darkness",
        "/books/?q=nothing+at+all",
        book.get_author_url(),
        novels.get_absolute_url(),
        "/members/alice/",
        "/books/import/",
        "/api/tokens/",
        "/about/",
    ]
    for size in ({"width": 1280, "height": 800}, {"width": 390, "height": 844}):
        page.set_viewport_size(size)
        for url in pages:
            page.goto(url)
            assert_no_axe_violations(page)
        page.goto("/books/")
        page.get_by_text("Filters", exact=True).click()  # the filter form, opened
        assert_no_axe_violations(page)
        search = page.locator("#nav-search")
        search.fill("left")
        expect(page.locator("#nav-search-suggestions [role=option]").first).to_be_visible()
        assert_no_axe_violations(page)  # the suggestions listbox, open


def test_the_account_and_owner_pages_have_no_axe_violations_on_a_phone(
    page, context, site, transactional_db, page_problems
):
    """The pages the journeys check at desktop size, at phone size too: log-in, sign-up, the
    owner's edit and delete pages, and the 403 page."""
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    book = book_with_cover(alice, "The Left Hand of Darkness", (60, 80, 110))
    review = ReviewFactory(book=book, author=alice, rating=4, review="Cold and warm at once.")
    others = BookFactory(creator=bob, title="Kindred")
    page.set_viewport_size({"width": 390, "height": 844})
    for url in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        page.goto(url)
        assert_no_axe_violations(page)
    sign_in(context, site, alice)
    owner_pages = [
        f"/books/{book.pk}/update/",
        f"/books/{book.pk}/delete/",
        f"/reviews/{review.pk}/update/",
        f"/reviews/{review.pk}/delete/",
        f"/books/{others.pk}/update/",  # the 403 page
        "/accounts/email/",
        "/accounts/password/change/",
    ]
    page_problems.expect_console_error(r"status of 403")  # Chromium logs the 403 page's own status
    for url in owner_pages:
        page.goto(url)
        assert_no_axe_violations(page)
