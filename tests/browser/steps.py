"""Steps the journeys share: what a member does with the keyboard and mouse."""

import io
import re
import textwrap

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import Page, expect

from books.forms import BookForm
from books.services import book_save
from tests.browser.axe import assert_no_axe_violations

PASSWORD = "correct-horse-battery"  # the factories' password; a test value, not a credential


COVER_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"  # Debian: fonts-dejavu-core


def _cover_font(size):
    try:
        return ImageFont.truetype(COVER_FONT, size)
    except OSError:
        return ImageFont.load_default(size=size)  # lacks accented letters, still legible


def cover_image(title, *, fmt="JPEG", size=(300, 450), color=(30, 90, 160)):
    """A real cover picture with its title on it, so screenshots show which book is which."""
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    width, height = size
    font = _cover_font(max(12, width // 9))
    lines = textwrap.wrap(title, width=11, break_long_words=False) or [""]
    y = int(height * 0.14)
    for line in lines[:4]:
        draw.text((width // 12, y), line, fill=(255, 255, 255), font=font)
        y += int(font.size * 1.25)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def cover_file(folder, name="cover.jpg", *, title="", **kwargs):
    """A real image on disk, as a member would pick it in the file chooser."""
    path = folder / name
    path.write_bytes(cover_image(title, **kwargs))
    return path


def book_with_cover(creator, title, color, **fields):
    """A book stored the way the site stores one, cover and thumbnail in the bucket, without the browser."""
    upload = SimpleUploadedFile(f"{title}.jpg", cover_image(title, color=color), content_type="image/jpeg")
    data = {"title": title, "author": fields.pop("author", "Ursula K. Le Guin"), "price": "11.00", **fields}
    form = BookForm(data=data, files={"cover": upload})
    assert form.is_valid(), form.errors
    return book_save(book=form.save(commit=False), creator=creator, cover=form.new_cover)


def field(page: Page, label):
    """The form control labelled `label`, with or without the required-field asterisk."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def navigation(page: Page):
    return page.get_by_role("navigation", name="Main navigation")


def expect_signed_in(page: Page, username):
    expect(navigation(page).get_by_text(f"Signed in as {username}")).to_be_visible()


def log_in(page: Page, username, password=PASSWORD):
    page.goto("/accounts/login/")
    field(page, "Username or e-mail").fill(username)
    field(page, "Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect_signed_in(page, username)


def fill_book_form(page: Page, *, title=None, author=None, price=None, description=None, cover=None):
    if title is not None:
        field(page, "Title").fill(title)
    if author is not None:
        field(page, "Author").fill(author)
    if price is not None:
        field(page, "Price").fill(price)
    if description is not None:
        field(page, "Description").fill(description)
    if cover is not None:
        page.get_by_label(re.compile(r"^(Cover image|Replace the cover)$")).set_input_files(cover)


def add_book(page: Page, *, title, author="Octavia E. Butler", price="14.00", cover=None, screenshot=None):
    """Adds a book through the form and returns on its detail page."""
    page.goto("/books/create/")
    fill_book_form(page, title=title, author=author, price=price, cover=cover)
    if cover is not None:
        expect(page.locator("#cover-preview")).to_be_visible()
        assert image_natural_width(page.locator("#cover-preview")) > 0
        if screenshot:
            screenshot("form-with-cover-preview")
    page.get_by_role("button", name="Add book").click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()


def image_natural_width(image):
    """The width the browser decoded, 0 when the picture did not load (not only the tag)."""
    image.scroll_into_view_if_needed()
    return image.evaluate(
        """async (img) => {
             if (!img.complete) await new Promise((done) => { img.onload = img.onerror = done; });
             return img.naturalWidth;
           }"""
    )


def assert_page_is_accessible(page: Page):
    """The checks a person with a screen reader or a keyboard depends on, on the current page:
    every visible form control has a label, every image has alt text and a size, and axe-core
    finds no violation in the light or the dark scheme."""
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea")]
             .filter((el) => el.type !== "hidden")
             .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                             && !el.getAttribute("aria-labelledby"))
             .map((el) => el.outerHTML)"""
    )
    assert not unlabelled, f"form controls without a label on {page.url}: {unlabelled}"
    bad_images = page.evaluate(
        """() => [...document.images]
             .filter((img) => img.id !== "cover-preview")
             .filter((img) => !img.hasAttribute("alt") || !img.getAttribute("width") || !img.getAttribute("height"))
             .map((img) => img.outerHTML)"""
    )
    assert not bad_images, f"images without alt text or size on {page.url}: {bad_images}"
    assert_no_axe_violations(page)
