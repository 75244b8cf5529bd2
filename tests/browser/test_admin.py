"""The admin's project pages, as staff see them: axe finds nothing there either."""

import pytest
from django.test import Client

from tests.browser.axe import assert_no_axe_violations
from tests.browser.steps import book_with_cover
from tests.factories import ReviewFactory, UserFactory

pytestmark = pytest.mark.browser


def test_staff_pages_of_books_and_reviews_pass_axe(page, context, site, transactional_db, page_problems):
    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    book = book_with_cover(staff, "The Dispossessed", (40, 90, 60))
    ReviewFactory(book=book, rating=4, review="An ambiguous utopia.")
    client = Client()
    client.force_login(staff)
    host = site.url.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host, "path": "/"}]
    )

    for size in ({"width": 1280, "height": 800}, {"width": 390, "height": 844}):
        page.set_viewport_size(size)
        for url in ("/admin/", "/admin/books/book/", f"/admin/books/book/{book.pk}/change/", "/admin/books/review/"):
            page.goto(url)
            assert_no_axe_violations(page, preload=False)
    link = page.goto("/admin/books/book/") and page.get_by_role("link", name="Cover of The Dispossessed")
    assert link.count() == 1, "the cover link in the book list is named after the book"
    page_problems.assert_none()
