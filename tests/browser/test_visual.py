"""Visual regression: the main pages at desktop and phone sizes, light and dark, against references.

The catalogue is fixed (titles, prices, dates, covers), so the pictures change only when the
look does. A difference beyond a small tolerance fails with a diff image beside the screenshot;
`make screenshots` writes new references when a change of look is deliberate.
"""

import datetime
import os
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image, ImageChops

from books.models import Book, Review
from tests.browser.axe import assert_no_axe_violations
from tests.browser.steps import book_with_cover, field
from tests.factories import BookFactory, UserFactory

pytestmark = pytest.mark.browser

REFERENCES = Path(__file__).resolve().parent / "visual"
UPDATE = os.environ.get("BOOKSTORE_UPDATE_SCREENSHOTS") == "1"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# A pixel counts as changed past this difference in any channel (font antialiasing stays under it)...
PIXEL_THRESHOLD = 48
# ...and a page as changed when more than this share of its pixels did.
CHANGED_SHARE = 0.001

# (title, author, price, cover colour or None): newest first on the list.
CATALOGUE = [
    ("The Left Hand of Darkness", "Ursula K. Le Guin", "11.00", (60, 80, 110)),
    ("Kindred", "Octavia E. Butler", "14.50", None),
    ("One Hundred Years of Solitude", "Gabriel García Márquez", "16.00", (150, 90, 40)),
    ("The Remains of the Day", "Kazuo Ishiguro", "9.99", None),
    ("Middlemarch: A Study of Provincial Life in Eight Books, with a Finale", "George Eliot", "12.00", None),
    ("Piranesi", "Susanna Clarke", "13.25", (40, 110, 100)),
    ("If on a Winter's Night a Traveler", "Italo Calvino", "10.50", None),
    ("Things Fall Apart", "Chinua Achebe", "8.75", None),
    ("The Master and Margarita", "Mikhail Bulgakov", "15.00", (120, 40, 60)),
    ("Beloved", "Toni Morrison", "12.75", None),
    ("Wolf Hall", "Hilary Mantel", "18.00", None),
    ("The Summer Book", "Tove Jansson, translated from the Swedish by Thomas Teal", "11.50", None),
]
REVIEWS = [
    (
        "bruno",
        5,
        "Cold, strange and warm at once. The journey across the ice is one of the best passages "
        "I have read in any novel, and the ending stayed with me for weeks.",
    ),
    ("chiara", 4, "Slow to start: the first chapters are all names and customs. Worth it."),
    ("dmitri", 3, "Beautifully written, though I never quite believed in the politics."),
]
FIRST_DAY = datetime.datetime(2024, 3, 1, 9, 30, tzinfo=datetime.UTC)


def seed_catalogue():
    """Twelve books with fixed dates, four with covers, and three reviews of the first."""
    alice = UserFactory(username="alice")
    books = []
    for index, (title, author, price, colour) in enumerate(reversed(CATALOGUE)):
        if colour:
            book = book_with_cover(alice, title, colour, author=author, price=price)
        else:
            book = BookFactory(creator=alice, title=title, author=author, price=price)
        Book.objects.filter(pk=book.pk).update(created_at=FIRST_DAY + datetime.timedelta(days=index))
        books.append(book)
    first = books[-1]
    for index, (username, rating, text) in enumerate(REVIEWS):
        review = Review.objects.create(book=first, author=UserFactory(username=username), rating=rating, review=text)
        Review.objects.filter(pk=review.pk).update(created_at=FIRST_DAY + datetime.timedelta(days=20 + index))
    first.refresh_review_stats()
    return first


def settle(page):
    """Waits for the fonts and every image in view, so a picture never catches a half-loaded page."""
    page.evaluate(
        """async () => {
             await document.fonts.ready;
             const inView = [...document.images].filter((img) => {
               const box = img.getBoundingClientRect();
               return box.bottom > 0 && box.top < window.innerHeight;
             });
             await Promise.all(inView.map((img) => img.decode().catch(() => null)));
           }"""
    )


def assert_list_layout(page, size):
    """Cards of a row share their height and price line; on a phone, six books or more fit a screen."""
    boxes = page.evaluate(
        """() => [...document.querySelectorAll("article.book-card")].map((card) => {
             const box = card.getBoundingClientRect();
             const title = card.querySelector(".book-card-title");
             return { top: box.top, bottom: box.bottom, height: box.height,
                      price: card.querySelector(".book-card-price").getBoundingClientRect().top,
                      titleLines: Math.round(title.getBoundingClientRect().height
                                             / parseFloat(getComputedStyle(title).lineHeight)) };
           })"""
    )
    assert max(box["titleLines"] for box in boxes) <= 2, "titles are clamped to two lines"
    if size == "desktop":
        first_row = [box for box in boxes if box["top"] == boxes[0]["top"]]
        assert len(first_row) == 6
        assert len({round(box["height"]) for box in first_row}) == 1, "equal heights"
        assert len({round(box["price"]) for box in first_row}) == 1, "prices on one line"
    else:
        on_screen = [box for box in boxes if box["bottom"] <= SIZES["phone"]["height"]]
        assert len(on_screen) >= 6, f"{len(on_screen)} books on the first phone screen"


def review_line_length(page):
    """The most characters on one line of the longest review, counted where the browser broke them."""
    return page.evaluate(
        """() => {
             const bodies = [...document.querySelectorAll(".review-body")];
             const body = bodies.sort((a, b) => b.textContent.length - a.textContent.length)[0];
             const text = body.firstChild;
             const range = document.createRange();
             const lines = new Map();
             for (let index = 0; index < text.length; index++) {
               range.setStart(text, index);
               range.setEnd(text, index + 1);
               const top = Math.round(range.getBoundingClientRect().top);
               lines.set(top, (lines.get(top) || 0) + 1);
             }
             return Math.max(...lines.values());
           }"""
    )


def changed_share(shot: Image.Image, reference: Image.Image) -> tuple[float, Image.Image]:
    difference = ImageChops.difference(shot.convert("RGB"), reference.convert("RGB"))
    strongest = ImageChops.lighter(ImageChops.lighter(*difference.split()[:2]), difference.split()[2])
    changed = strongest.point(lambda value: 255 if value > PIXEL_THRESHOLD else 0)
    count = changed.histogram()[255]
    return count / (shot.width * shot.height), changed


def compare(path: Path, name: str):
    reference_path = REFERENCES / f"{name}.png"
    with Image.open(path) as shot:
        if UPDATE:
            REFERENCES.mkdir(exist_ok=True)
            small = shot.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            small.save(reference_path, optimize=True)
            return None
        assert reference_path.exists(), f"no reference {reference_path.name}: run `make screenshots`"
        with Image.open(reference_path) as reference:
            if shot.size != reference.size:
                return f"{name}: {shot.size} against the reference's {reference.size}"
            share, changed = changed_share(shot, reference)
    if share > CHANGED_SHARE:
        changed.save(path.with_name(f"{path.stem}-diff.png"))
        return f"{name}: {share:.2%} of the pixels changed (diff beside {path})"
    return None


def sign_in(context, site, username):
    """Signs the browser in through a session cookie: the log-in form has its own journeys."""
    client = Client()
    client.force_login(UserFactory(username=username))
    host = site.url.split("//", 1)[1].split(":")[0]
    session = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_pages_look_as_the_references(page, context, site, transactional_db, page_problems, screenshot, size):
    book = seed_catalogue()
    page.set_viewport_size(SIZES[size])
    failures = []

    def shoot(name, scheme):
        settle(page)
        path = screenshot(f"{name}-{size}-{scheme}", animations="disabled", caret="hide")
        failures.append(compare(path, f"{name}-{size}-{scheme}"))
        assert_no_axe_violations(page, schemes=(scheme,))

    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
        for name, url in [("home", "/"), ("list", "/books/"), ("detail", book.get_absolute_url())]:
            page.goto(url)
            shoot(name, scheme)
            if name == "list" and scheme == "light":
                assert_list_layout(page, size)
            if name == "detail" and scheme == "light":
                assert review_line_length(page) <= 75, "reviews read at most about 75 characters a line"
                fold = SIZES[size]["height"]
                for part in (".book-title", ".book-rating", ".book-price"):
                    assert page.locator(part).first.bounding_box()["y"] < fold - 40, f"{part} above the fold"
        page_problems.expect_console_error(r"status of 404")
        page.goto("/books/no-such-page/")
        shoot("error", scheme)

    sign_in(context, site, "alice")
    page.goto("/books/create/")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
        page.goto("/books/create/")
        field(page, "Title").fill("The Dispossessed")
        field(page, "Price").fill("-3")
        page.get_by_role("button", name="Add book").click()
        page.locator("#id_price.is-invalid").wait_for()
        page.evaluate("document.activeElement && document.activeElement.blur()")
        shoot("form", scheme)

    problems = [failure for failure in failures if failure]
    assert not problems, "the look changed; if on purpose, run `make screenshots`: " + "; ".join(problems)
    page_problems.assert_none()
