"""The book journeys in a real Chromium, with covers stored in the moto S3 server."""

import re
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from books.models import Book, Review
from tests.browser.steps import (
    PASSWORD,
    add_book,
    assert_page_is_accessible,
    book_with_cover,
    cover_file,
    field,
    fill_book_form,
    image_natural_width,
    log_in,
    navigation,
)
from tests.factories import BookFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def alice(transactional_db):
    return UserFactory(username="alice")


def cover_on_detail(page):
    return page.get_by_role("img", name=re.compile(r"^Cover of "))


def card(page, title):
    return page.locator("article.book-card").filter(has=page.get_by_role("link", name=title, exact=True))


def current_src(image):
    """The URL the browser chose from the <picture>'s sources (or the <img> src)."""
    return image.evaluate("img => img.currentSrc")


def test_member_adds_book_with_cover_and_sees_it_load_on_detail_and_list(
    page, site, alice, page_problems, screenshot, tmp_path
):
    log_in(page, "alice")
    page.goto("/books/")
    expect(page.get_by_text("No books yet — add the first one.")).to_be_visible()
    screenshot("empty-list")

    add_book(page, title="Kindred", cover=cover_file(tmp_path, title="Kindred"), screenshot=screenshot)
    assert_page_is_accessible(page)
    expect(page.get_by_role("status").filter(has_text="“Kindred” was added.")).to_be_visible()
    cover = cover_on_detail(page)
    assert cover.get_attribute("src").startswith(site.s3.server.endpoint_url), "the cover is served from S3"
    assert image_natural_width(cover) > 0, "the cover image did not load"
    assert urlsplit(current_src(cover)).path.endswith("-w160.avif"), "the browser took the AVIF variant"
    assert len(site.s3.stored_keys()) == 4, "the cover, its thumbnail and its 160 px AVIF and WebP are in the bucket"
    screenshot("detail")

    navigation(page).get_by_role("link", name="Books", exact=True).click()
    thumbnail = card(page, "Kindred").locator("img")
    assert thumbnail.get_attribute("src").startswith(site.s3.server.endpoint_url)
    assert image_natural_width(thumbnail) > 0, "the thumbnail did not load"
    expect(card(page, "Kindred")).to_contain_text("$14.00")
    expect(card(page, "Kindred")).to_contain_text("Octavia E. Butler")
    assert_page_is_accessible(page)
    screenshot("list")
    page_problems.assert_none()


def test_the_form_posts_the_cover_straight_to_the_bucket_with_progress_then_sends_only_its_handle(
    page, site, alice, page_problems, screenshot, tmp_path
):
    log_in(page, "alice")
    shown = []  # the progress bar's value each time it changes while it is visible
    page.expose_function("__coverProgress", lambda value: shown.append(value))
    form_posts = []
    page.on("request", lambda request: form_posts.append(request) if request.url.endswith("/books/create/") else None)
    page.goto("/books/create/")
    cover = cover_file(tmp_path, title="Dawn")
    fill_book_form(page, title="Dawn", author="Octavia E. Butler", price="12.00", cover=cover)
    page.evaluate(
        """() => {
             const box = document.getElementById("cover-upload-progress");
             const bar = document.getElementById("cover-upload-bar");
             new MutationObserver(() => {
               if (!box.classList.contains("d-none")) window.__coverProgress(bar.value);
             }).observe(box, { attributes: true, subtree: true });
             box.classList.remove("d-none");  // as during an upload, for axe; the script shows it again
           }"""
    )
    assert_page_is_accessible(page)
    screenshot("form-with-progress")
    page.evaluate("() => document.getElementById('cover-upload-progress').classList.add('d-none')")
    shown.clear()
    site.s3.reset_requests()
    page.get_by_role("button", name="Add book").click()
    expect(page.get_by_role("heading", level=1, name="Dawn")).to_be_visible()

    assert shown and shown[-1] == 100, f"the progress bar went {shown}"
    requests = [(method, path.replace(f"/{site.s3.bucket}", "", 1)) for method, path, _query in site.s3.requests]
    incoming = next(path for method, path in requests if method == "GET")
    # The browser's CORS preflight, its POST, then the form's finalize: read, delete, store.
    assert [method for method, _path in requests[:4]] == ["OPTIONS", "POST", "GET", "DELETE"], requests
    assert {requests[0][1], requests[1][1]} <= {"", "/"} and incoming.startswith("/incoming/")
    assert requests[3][1] == incoming
    book = Book.objects.get(title="Dawn")
    assert book.cover.name.startswith("covers/") and book.cover_thumbnail.name.startswith("covers/")
    assert not [key for key in site.s3.stored_keys() if key.startswith("incoming/")]
    create = [request for request in form_posts if request.method == "POST"]
    assert len(create) == 1 and len(create[0].post_data_buffer) < cover.stat().st_size, "the file was sent again"
    assert re.search(rb'name="cover_upload"\r\n\r\n[^\r]+\r\n', create[0].post_data_buffer), "no handle was sent"
    page_problems.assert_none()


def test_when_the_grant_fails_the_form_posts_the_file_itself(page, site, alice, page_problems, tmp_path):
    log_in(page, "alice")
    page.route("**/api/v1/covers/direct-uploads", lambda route: route.fulfill(status=503, body="{}"))
    page_problems.expect_console_error("status of 503")
    add_book(page, title="Fledgling", cover=cover_file(tmp_path, title="Fledgling"))
    assert Book.objects.get(title="Fledgling").cover.name.startswith("covers/")
    assert "POST" not in site.s3.methods()  # nothing went to the bucket: the file came with the form
    page_problems.assert_none()


def test_creator_replaces_cover_then_reviews_with_keyboard_rating_and_finds_book_by_search(
    page, site, alice, page_problems, screenshot, tmp_path
):
    BookFactory(title="Dawn", author="Octavia E. Butler")  # must not match the search below
    log_in(page, "alice")
    add_book(page, title="Parable of the Sower", cover=cover_file(tmp_path, "blue.jpg", title="Parable of the Sower"))
    first_cover_src = cover_on_detail(page).get_attribute("src")
    first_keys = site.s3.stored_keys()

    page.get_by_role("link", name="Edit").click()
    current = page.get_by_role("img", name="Current cover of Parable of the Sower")
    assert image_natural_width(current) > 0
    fill_book_form(
        page,
        title="Parable of the Talents",
        description="The second Earthseed novel: Lauren Olamina's community, years later.",
        cover=cover_file(
            tmp_path, "red.png", title="Parable of the Talents", fmt="PNG", size=(400, 600), color=(150, 40, 40)
        ),
    )
    expect(page.locator("#cover-preview")).to_be_visible()
    assert_page_is_accessible(page)
    screenshot("edit-with-new-cover-chosen")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("heading", level=1, name="Parable of the Talents")).to_be_visible()
    expect(page.get_by_text("The second Earthseed novel")).to_be_visible()
    cover = cover_on_detail(page)
    assert cover.get_attribute("src") != first_cover_src
    # 272 CSS px at DPR 1: the 320 px AVIF variant of the 400 px cover (whose naturalWidth is
    # then 272: srcset's w descriptors scale it to the slot).
    assert image_natural_width(cover) == 272
    assert urlsplit(current_src(cover)).path.endswith("-w320.avif")
    new_keys = site.s3.stored_keys()
    assert len(new_keys) == 6 and not set(new_keys) & set(first_keys), "the replaced cover was removed from S3"

    # The rating chosen by keyboard only: Tab into the radio group, arrows to 4 stars, Enter to send.
    review_text = field(page, "Your review")
    review_text.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("No rating")).to_be_focused()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    four_stars = page.get_by_label("4 stars")
    expect(four_stars).to_be_checked()
    expect(four_stars).to_be_focused()
    focus_ring = page.locator("label[for=rating-4]").evaluate("label => getComputedStyle(label).outlineStyle")
    assert focus_ring == "solid", "the focused star shows a focus ring"
    assert_page_is_accessible(page)
    screenshot("rating-chosen-by-keyboard")
    page.keyboard.press("Enter")  # submits the form from the focused radio; with no text it is refused

    expect(review_text).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#error_1_id_review")).to_have_text("This field is required.")
    expect(page.get_by_label("4 stars")).to_be_checked()  # the chosen rating is kept
    assert not Review.objects.exists()
    screenshot("review-error")
    review_text.fill("Harder to read than the first, and better for it.")
    page.get_by_role("button", name="Submit Review").click()

    expect(page.get_by_role("status").filter(has_text="your review was posted")).to_be_visible()
    review = page.locator("article.review").last
    expect(review).to_contain_text("Harder to read than the first")
    expect(review).to_contain_text("Rated 4 out of 5")
    expect(page.locator(".book-rating").first).to_contain_text("Average rating 4.0 out of 5")
    assert Review.objects.get().rating == 4
    page.get_by_role("button", name="Close this message").click()
    expect(page.get_by_role("status").filter(has_text="your review was posted")).to_have_count(0)
    page.evaluate("window.scrollTo(0, 0)")  # the redirect scrolled to the new review (#review-N)
    screenshot("detail-with-review")

    search = navigation(page).get_by_role("combobox", name="Search books by title, author, ISBN or subject")
    search.fill("talents")
    search.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Books matching “talents”")
    expect(search).to_have_value("talents")
    found = card(page, "Parable of the Talents")
    expect(found).to_contain_text("4.0")
    expect(page.locator("article.book-card")).to_have_count(1)
    expect(card(page, "Dawn")).to_have_count(0)
    assert image_natural_width(found.locator("img")) > 0
    screenshot("search-results")
    found.get_by_role("link", name="Parable of the Talents", exact=True).click()  # the other link: its author
    expect(page.get_by_role("heading", level=1, name="Parable of the Talents")).to_be_visible()
    page_problems.assert_none()


CATALOGUE = [
    ("A Wizard of Earthsea", "Ursula K. Le Guin", (38, 70, 120), 5),
    ("The Dispossessed", "Ursula K. Le Guin", (150, 70, 30), 4),
    ("Kindred", "Octavia E. Butler", (110, 30, 50), 5),
    ("Middlemarch", "George Eliot", (40, 100, 80), 4),
    ("Invisible Cities", "Italo Calvino", (70, 60, 130), 5),
    ("Beloved", "Toni Morrison", (120, 90, 20), None),
    ("The Remains of the Day", "Kazuo Ishiguro", (30, 90, 110), 3),
    ("Things Fall Apart", "Chinua Achebe", (140, 50, 40), 4),
    ("Pedro Páramo", "Juan Rulfo", (60, 60, 60), None),
    ("Mrs Dalloway", "Virginia Woolf", (100, 40, 100), 4),
    ("The Master and Margarita", "Mikhail Bulgakov", (20, 20, 60), 5),
    ("Solaris", "Stanisław Lem", (20, 110, 140), 4),
]


def test_visitor_pages_through_thirty_books(page, site, transactional_db, page_problems, screenshot):
    creator = UserFactory(username="alice")
    oldest = BookFactory.create_batch(30 - len(CATALOGUE), creator=creator)
    for title, author, color, rating in CATALOGUE:
        book = book_with_cover(creator, title, color, author=author)
        if rating:
            ReviewFactory(book=book, rating=rating)
            book.refresh_review_stats()

    page.goto("/books/")
    expect(page.locator("article.book-card")).to_have_count(24)
    expect(page.get_by_text("30 books, showing 1–24")).to_be_visible()
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    newest = card(page, "Solaris")
    expect(newest).to_contain_text("Stanisław Lem")
    expect(newest).to_contain_text("Average rating 4.0 out of 5")
    for title, *_ in CATALOGUE[-6:]:  # the first row
        assert image_natural_width(card(page, title).locator("img")) > 0, f"the thumbnail of {title} did not load"
    assert_page_is_accessible(page)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("list-page-1")

    # From the keyboard: the first Tab offers to skip the navigation; past it comes the sort
    # select (it applies on change, so its fallback button is hidden), the closed filters, then
    # the first book.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Sort by")).to_be_focused()
    expect(page.get_by_role("button", name="Sort")).to_be_hidden()
    page.keyboard.press("Tab")
    expect(page.locator("details.filters > summary")).to_be_focused()
    page.keyboard.press("Tab")
    expect(card(page, "Solaris").get_by_role("link", name="Solaris")).to_be_focused()
    pages = page.get_by_role("navigation", name="Pages")
    pages.get_by_role("link", name="Next").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?page=2$"))
    expect(page.locator("article.book-card")).to_have_count(6)
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    expect(card(page, oldest[0].title)).to_be_visible()  # the oldest book is last
    screenshot("list-page-2")

    pages.get_by_role("link", name="Previous").click()
    expect(page.locator("article.book-card")).to_have_count(24)
    page_problems.assert_none()


def test_visitor_writes_a_review_logs_in_and_finds_it_kept_then_posts_it(page, site, alice, page_problems, screenshot):
    book = BookFactory(creator=UserFactory(username="carol"), title="Kindred")
    page.goto(book.get_absolute_url())
    expect(page.get_by_role("heading", name="Leave a Review")).to_be_visible()
    field(page, "Your review").fill("Gripping from the first page.")
    page.get_by_label("5 stars").check()
    assert_page_is_accessible(page)
    page.get_by_role("button", name="Submit Review").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    assert not Review.objects.exists()
    field(page, "Username or e-mail").fill("alice")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(rf"{book.get_absolute_url()}$"))
    expect(field(page, "Your review")).to_have_value("Gripping from the first page.")
    expect(field(page, "Your review")).to_be_focused()
    expect(page.get_by_label("5 stars")).to_be_checked()
    screenshot("review-kept-after-log-in")
    page.get_by_role("button", name="Submit Review").click()

    expect(page.get_by_role("status").filter(has_text="your review was posted")).to_be_visible()
    assert page.url.endswith(book.get_absolute_url())
    review = Review.objects.get()
    assert (review.author.username, review.review, review.rating) == ("alice", "Gripping from the first page.", 5)
    page.get_by_role("link", name="Read it").click()
    expect(page).to_have_url(re.compile(rf"#review-{review.pk}$"))


def test_other_member_sees_no_edit_or_delete_and_gets_the_403_page(
    page, site, transactional_db, page_problems, screenshot
):
    book = BookFactory(creator=UserFactory(username="alice"), title="Dawn")
    UserFactory(username="bob")
    log_in(page, "bob")
    page.goto(book.get_absolute_url())
    expect(page.get_by_role("heading", level=1, name="Dawn")).to_be_visible()
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("link", name="Delete")).to_have_count(0)
    expect(page.get_by_role("heading", name="Leave a Review")).to_be_visible()

    for action in ("update", "delete"):
        # Chromium logs the page's own 403 status as a console error: that one is expected.
        page_problems.expect_console_error(r"status of 403")
        response = page.goto(f"{book.get_absolute_url()}{action}/")
        assert response.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("You can’t do that")
        expect(page.get_by_text("Only the member who added this book can change or delete it.")).to_be_visible()
        assert_page_is_accessible(page)
        screenshot(f"403-{action}")
    assert Book.objects.filter(pk=book.pk, title="Dawn").exists()

    page_problems.expect_console_error(r"status of 404")
    response = page.goto(f"/books/{uuid.uuid4()}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_page_is_accessible(page)
    screenshot("404")
    page_problems.assert_none()


def test_hostile_upload_shows_its_error_beside_the_cover_field_and_keeps_the_values(
    page, site, alice, page_problems, screenshot, tmp_path
):
    log_in(page, "alice")
    hostile = tmp_path / "holiday.jpg"
    hostile.write_text("<html><body><script>alert(document.cookie)</script></body></html>")
    page.goto("/books/create/")
    fill_book_form(
        page, title="Lilith's Brood", author="Octavia E. Butler", price="19.99", description="The Xenogenesis trilogy."
    )
    fill_book_form(page, cover=hostile)
    page.get_by_role("button", name="Add book").click()

    cover_input = page.get_by_label("Cover image")
    expect(cover_input).to_have_attribute("aria-invalid", "true")
    error = page.locator("#id_cover_error")
    expect(error).to_have_text("This file is not a JPEG, PNG or WebP image.")
    described_by = cover_input.get_attribute("aria-describedby").split()
    assert "id_cover_error" in described_by, "screen readers read the error with the field"
    beside = cover_input.evaluate("(input) => input.parentElement.contains(document.getElementById('id_cover_error'))")
    assert beside, "the error is shown with the cover field"
    expect(page.get_by_role("alert")).to_contain_text("The book was not saved")

    expect(field(page, "Title")).to_have_value("Lilith's Brood")
    expect(field(page, "Author")).to_have_value("Octavia E. Butler")
    expect(field(page, "Price")).to_have_value("19.99")
    expect(field(page, "Description")).to_have_value("The Xenogenesis trilogy.")
    assert not Book.objects.exists()
    assert site.s3.stored_keys() == []
    assert_page_is_accessible(page)
    screenshot("form-with-error")

    fill_book_form(page, cover=cover_file(tmp_path, "tiny.png", fmt="PNG", size=(60, 90)))
    page.get_by_role("button", name="Add book").click()
    expect(page.locator("#id_cover_error")).to_have_text(
        "The image is 60 × 90 pixels; a cover needs at least 100 pixels on its short side."
    )
    fill_book_form(page, cover=cover_file(tmp_path, "good.jpg", title="Lilith's Brood"))
    expect(page.locator("#cover-preview")).to_be_visible()
    expect(page.locator("#id_cover_error")).to_have_count(0)  # a good file clears the old error
    expect(page.locator('[data-error-summary] a[href="#id_cover"]')).to_have_count(0)
    expect(page.get_by_label("Cover image")).not_to_have_attribute("aria-invalid", "true")
    assert "id_cover_error" not in (page.get_by_label("Cover image").get_attribute("aria-describedby") or "")
    page_problems.assert_none()


def test_creator_deletes_book_only_after_the_confirmation_page(page, site, alice, page_problems, screenshot, tmp_path):
    log_in(page, "alice")
    add_book(page, title="Wild Seed", cover=cover_file(tmp_path, title="Wild Seed", color=(40, 110, 70)))
    book = Book.objects.get(title="Wild Seed")
    ReviewFactory(book=book, rating=3)
    book.refresh_review_stats()
    assert len(site.s3.stored_keys()) == 4  # cover, thumbnail, 160 px AVIF and WebP

    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete “Wild Seed”?")
    expect(page.get_by_text("its review and its cover")).to_be_visible()
    assert image_natural_width(page.get_by_role("img", name="Cover of Wild Seed")) > 0
    assert_page_is_accessible(page)
    screenshot("confirm-delete")
    page.get_by_role("link", name="No, keep it").click()
    expect(page.get_by_role("heading", level=1, name="Wild Seed")).to_be_visible()
    assert Book.objects.filter(pk=book.pk).exists()

    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.get_by_role("status").filter(has_text="“Wild Seed” was deleted.")).to_be_visible()
    expect(page.get_by_text("No books yet — add the first one.")).to_be_visible()
    screenshot("after-delete")
    assert not Book.objects.filter(pk=book.pk).exists()
    assert not Review.objects.exists()
    assert site.s3.stored_keys() == [], "the cover, its thumbnail and its variants were removed from S3"
    page_problems.assert_none()
