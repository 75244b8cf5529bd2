"""The API's documentation in a real Chromium: Swagger UI from the package's static files, under
the site's CSP, with no violation and no console error."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_api_docs_render_offline_under_the_csp(page, page_problems):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/api/docs/")
    expect(page.get_by_role("heading", name="Bookstore API")).to_be_visible()
    expect(page.get_by_text("/api/v1/books/{book_id}/reviews").first).to_be_visible()
    page.get_by_text("/api/v1/me").first.click()  # an operation opens
    expect(page.get_by_text("Try it out").first).to_be_visible()
    base = page.url.split("/api/docs/")[0]
    assert [url for url in requests if not url.startswith(base)] == []  # nothing from a CDN
    page_problems.assert_none()
