"""Copies the main journey screenshots into docs/screenshots/ for the README, made small.

Run after the browser journeys (`make screenshots` does both). Each picture is reduced to a
256-colour palette, which keeps a flat web page sharp at a fraction of the size.

    python -m tests.browser.readme_screenshots
"""

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "test-artifacts" / "screenshots"
TARGET = ROOT / "docs" / "screenshots"
MAX_BYTES = 150 * 1024

# README picture: (journey test, screenshot name)
PICTURES = {
    "book-list.png": ("test_visitor_pages_through_thirty_books", "list-page-1"),
    "book-detail.png": (
        "test_creator_replaces_cover_then_reviews_with_keyboard_rating_and_finds_book_by_search",
        "detail-with-review",
    ),
    "form-with-error.png": (
        "test_hostile_upload_shows_its_error_beside_the_cover_field_and_keeps_the_values",
        "form-with-error",
    ),
    "book-detail-german.png": ("test_reader_switches_the_book_page_to_german", "book-page-german"),
    "book-detail-german-dark.png": ("test_reader_switches_the_book_page_to_german", "book-page-german-dark"),
}


def main():
    TARGET.mkdir(parents=True, exist_ok=True)
    for name, (journey, shot) in PICTURES.items():
        found = sorted((SOURCE / journey).glob(f"[0-9][0-9]-{shot}.png"))
        if not found:
            sys.exit(f"missing {SOURCE / journey}/NN-{shot}.png: run the browser journeys first")
        with Image.open(found[-1]) as image:
            small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            small.save(TARGET / name, optimize=True)
        size = (TARGET / name).stat().st_size
        print(f"{TARGET / name}: {image.width}x{image.height}, {size // 1024} KB")
        if size > MAX_BYTES:
            sys.exit(f"{name} is {size // 1024} KB, more than {MAX_BYTES // 1024} KB")


if __name__ == "__main__":
    main()
