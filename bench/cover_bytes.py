"""Image bytes a phone downloads for the book list and a book page, with and without the
covers' AVIF/WebP width variants (`make bench-cover-bytes`; also the last table of `make bench`).

Seeds a throwaway SQLite site with 30 books whose covers are photo-like 1600×2400 JPEGs
(about 160 KB each, as the issue measured), uploaded through the real pipeline, serves it with
gunicorn, and loads each page in Chromium at 390 CSS px and DPR 3 (Playwright), scrolled to
the end so lazy images load. "Before" is the same site with the variants hidden from the pages
(cover_variants emptied): what the site served before they existed.
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's own packages

from tests.servers import Gunicorn, manage  # noqa: E402

BOOKS = 30
CHROMIUM = os.environ.get("BOOKSTORE_CHROMIUM", "/usr/bin/chromium")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}

SEED = f"""
import io, random
from PIL import Image, ImageChops, ImageDraw, ImageFilter
from django.core.files.uploadedfile import SimpleUploadedFile
from accounts.models import CustomUser
from books.models import Book
from books.services import books_create
from covers import process_cover

def photo(seed, size=(1600, 2400)):
    rng = random.Random(seed)
    image = ImageChops.multiply(
        Image.linear_gradient("L").resize(size).convert("RGB"),
        Image.new("RGB", size, tuple(rng.randint(40, 200) for _ in range(3))),
    )
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, s = rng.randint(0, size[0]), rng.randint(0, size[1]), rng.randint(40, 500)
        draw.ellipse((x, y, x + s, y + s), fill=tuple(rng.randint(0, 255) for _ in range(3)))
    image = Image.blend(image.filter(ImageFilter.GaussianBlur(6)), Image.effect_noise(size, 24).convert("RGB"), 0.04)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile(f"photo-{{seed}}.jpg", buffer.getvalue(), content_type="image/jpeg")

member = CustomUser.objects.create_user("bench_covers", "bench@example.com", "bench-only-password-1")
covers = [process_cover(photo(n)) for n in range(6)]
books = [Book(title=f"Bench book {{n}}", author="A. Writer", price="9.00", creator=member) for n in range({BOOKS})]
books_create(books=books, covers=[covers[n % len(covers)] for n in range({BOOKS})])
print(covers[0].image.width, len(covers[0].image.data))
"""

HIDE_VARIANTS = (
    "from books.models import Book; from books.cache import bump_catalogue_version; "
    "Book.objects.update(cover_variants={}); bump_catalogue_version()"
)


def image_bytes(browser, url):
    """(bytes, count, widest file name) of every image the page loads at phone size."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    loaded = []

    def on_response(response):
        if response.request.resource_type == "image" and response.status == 200:
            loaded.append((response.url, len(response.body())))

    page.on("response", on_response)
    page.goto(url, wait_until="networkidle")
    for _ in range(20):  # lazy images load as they come into view
        page.mouse.wheel(0, 800)
        page.wait_for_timeout(100)
    page.wait_for_load_state("networkidle")
    context.close()
    names = sorted({url.rsplit("/", 1)[-1].split("-", 1)[-1] for url, _size in loaded})
    return sum(size for _url, size in loaded), len(loaded), names


def measure():
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="cover-bytes-") as tmp:
        workdir = Path(tmp)
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
        env.update(
            DJANGO_DEBUG="true",  # gunicorn serves MEDIA_ROOT itself (config/urls.py), as `make run` does
            DJANGO_READ_DOT_ENV="false",
            DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
            DJANGO_MEDIA_ROOT=str(workdir / "media"),
            DJANGO_LOG_LEVEL="WARNING",
        )
        manage(env, "migrate", "--noinput", check=True)
        seeded = manage(env, "shell", "-c", SEED, check=True, timeout=600).stdout.split()
        server = Gunicorn(env, workdir / "gunicorn.log", workers=2)
        results = {}
        try:
            detail = server.url + _first_book_url(env)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                for label in ("after", "before"):
                    if label == "before":
                        manage(env, "shell", "-c", HIDE_VARIANTS, check=True)
                    results[label] = {
                        "list": image_bytes(browser, server.url + "/books/"),
                        "detail": image_bytes(browser, detail),
                    }
                browser.close()
        finally:
            server.stop()
    return {"cover": f"{seeded[-2]} px wide, {int(seeded[-1]) // 1000} KB", "results": results}


def _first_book_url(env):
    result = manage(env, "shell", "-c", "from books.models import Book; print(Book.objects.first().get_absolute_url())")
    return result.stdout.strip().splitlines()[-1]


def table(measured):
    lines = [
        f"Image bytes at 390 CSS px, DPR 3 (Chromium), covers {measured['cover']} JPEG:",
        f"{'page':<8}{'before':>12}{'after':>12}{'fewer':>8}  files after",
    ]
    for page in ("list", "detail"):
        before, _count, _names = measured["results"]["before"][page]
        after, count, names = measured["results"]["after"][page]
        lines.append(
            f"{page:<8}{before:>12,}{after:>12,}{1 - after / before:>8.0%}  {count} images: {', '.join(names)}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(measure()))
