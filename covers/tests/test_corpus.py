"""The hostile-file corpus: every case built here, run three ways.

(a) straight through `covers.process_cover`; (b) posted to the create view with local
storage (form error next to the cover field, no row, no file); (c) posted with the real S3
storage against moto's server (refused: the bucket stays empty; accepted: the stored
objects are clean, upright, displayable, and under server-chosen keys).
"""

import functools
import html
import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from books.models import Book
from covers import process_cover
from covers.keys import variant_key
from covers.pipeline import CONTENT_TYPES
from covers.tests import images
from covers.validation import DAMAGED, EMPTY, NOT_AN_IMAGE

RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 220, 20)
KEY = re.compile(r"^covers/[0-9a-f]{32}(-thumb)?\.(jpg|png|webp)$")


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[], bytes]
    name: str = "cover.jpg"
    content_type: str = "image/jpeg"
    # Refused: the error code and the exact message the person reads.
    code: str | None = None
    message: str | None = None
    # Accepted: the format written, and a check of the stored cover's pixels.
    stored_as: str | None = None
    check: Callable[[Image.Image], None] | None = None

    def upload(self):
        return SimpleUploadedFile(self.name, self.data(), content_type=self.content_type)

    def data(self):
        return _built(self.build)


@functools.cache
def _built(build):
    # Some files (the 7 MB one, the deflate bomb) are worth building once per session.
    return build()


def refused(case_id, build, code, message, **kwargs):
    return Case(case_id, build, code=code, message=message, **kwargs)


def accepted(case_id, build, stored_as, check=None, **kwargs):
    return Case(case_id, build, stored_as=stored_as, check=check, **kwargs)


def near(actual, expected, tolerance=24):
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def top_and_bottom(image):
    rgb = image.convert("RGB")
    return rgb.getpixel((rgb.width // 2, rgb.height // 8)), rgb.getpixel((rgb.width // 2, rgb.height * 7 // 8))


# --- Builders of the hostile files ---------------------------------------------------------


def html_page():
    return b"<!DOCTYPE html><html><head><title>cover</title></head><body>" + images.SCRIPT + b"</body></html>\n"


def jpeg_with_script_and_php_appended():
    return images.jpeg() + b"\n" + images.SCRIPT + b"\n" + images.PHP + b"\n"


def php_then_jpeg():
    return images.PHP + b"\n__halt_compiler();" + images.jpeg()


def svg_with_script():
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="180" onload="alert(1)">'
        b'<rect width="120" height="180" fill="red"/>' + images.SCRIPT + b"</svg>\n"
    )


def pdf():
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def truncated(data, keep=0.6):
    return data[: int(len(data) * keep)]


def jpeg_header_then_garbage():
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x13\x37" * 400


def deflate_bomb():
    """A real PNG of 8000 x 6500 black pixels: 52 MB of pixels in about 50 KB of file."""
    return images.png(8000, 6500, color_type=0)


def over_the_size_cap():
    """A valid JPEG padded to 5.8 MB: refused from its size, before anything reads it.

    Over the cover cap but under the request cap (config/limits.py answers 413 above it)."""
    data = images.jpeg()
    return data + bytes(5_800_000 - len(data))


def jpeg_with_private_metadata():
    data = images.jpeg(
        images.photo(),
        exif=images.gps_exif().tobytes(),
        comment=b"shot at 12 Secret Lane " + images.SCRIPT,
        xmp=images.XMP,
    )
    return images.with_segment_after_soi(data, images.iptc_segment(b"Home address " + images.SCRIPT))


def exif_rotated():
    """Upright: red top, blue bottom, taller than wide. Stored sideways with Orientation 6."""
    upright = images.two_halves((120, 180), RED, BLUE)
    return images.jpeg(upright.transpose(Image.Transpose.ROTATE_90), exif=images.orientation_exif(6).tobytes())


def exif_upside_down_png():
    upright = images.two_halves((120, 180), RED, BLUE)
    return images.encode(upright.transpose(Image.Transpose.ROTATE_180), "PNG", exif=images.orientation_exif(3))


def cmyk_jpeg():
    return images.jpeg(Image.new("CMYK", (120, 180), (0, 255, 255, 0)))  # pure red in ink


def sixteen_bit_grey_png():
    return images.encode(Image.new("I;16", (120, 180), 40000), "PNG")


def png_with_script_in_text_chunk():
    return images.png(100, 150, extra_chunks=[(b"tEXt", b"Comment\x00" + images.SCRIPT + images.PHP)])


def transparent(fmt):
    def build():
        image = Image.new("RGBA", (120, 180), (0, 0, 0, 0))
        image.paste((30, 160, 30, 255), (20, 20, 100, 160))
        return images.encode(image, fmt)

    return build


def palette_png_with_transparency():
    image = Image.new("P", (100, 150), 0)
    image.putpalette([0, 0, 0, 220, 20, 20])
    image.paste(1, (20, 20, 80, 130))
    return images.encode(image, "PNG", transparency=0)


def wide_gamut_jpeg():
    return images.jpeg(Image.new("RGB", (100, 150), (255, 0, 0)), icc_profile=images.swapped_primaries_profile())


def srgb_tagged_jpeg():
    return images.jpeg(Image.new("RGB", (100, 150), GREEN), icc_profile=images.srgb_profile())


def jpeg_declaring(width, height):
    """A small JPEG whose frame header (SOF0) is patched to declare width x height."""
    data = bytearray(images.jpeg(images.solid((16, 16))))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def mpo_two_pictures():
    """A camera MPO (JPEG with a second picture appended the standard way); the first is kept."""
    first, second = Image.new("RGB", (120, 180), RED), Image.new("RGB", (120, 180), BLUE)
    return images.encode(first, "MPO", save_all=True, append_images=[second])


def large_dimensions():
    return images.jpeg(images.two_halves((3000, 4500), RED, BLUE), quality=70)


# --- Checks of the stored cover ----------------------------------------------------------------


def is_red(image):
    assert near(image.convert("RGB").getpixel((image.width // 2, image.height // 2)), RED, 40)


def upright(image):
    assert image.height > image.width
    top, bottom = top_and_bottom(image)
    assert near(top, RED, 40) and near(bottom, BLUE, 40)


def grey_near(value):
    def check(image):
        assert image.mode == "L"
        assert abs(image.getpixel((10, 10)) - value) <= 3

    return check


def rgb_near(color):
    def check(image):
        assert near(image.convert("RGB").getpixel((image.width // 2, image.height // 2)), color)

    return check


def keeps_transparency(image):
    assert image.mode == "RGBA"
    assert image.getpixel((2, 2))[3] == 0
    assert image.getpixel((image.width // 2, image.height // 2))[3] == 255


def first_frame_red(image):
    assert getattr(image, "n_frames", 1) == 1
    is_red(image)


def scaled_to_max_edge(image):
    assert image.size == (1600, 2400)
    upright(image)


CORPUS = [
    refused("html-named-jpg", html_page, "unsupported_type", NOT_AN_IMAGE),
    refused("php-that-contains-a-jpeg", php_then_jpeg, "unsupported_type", NOT_AN_IMAGE, name="cover.php.jpg"),
    refused(
        "svg-with-script-named-svg",
        svg_with_script,
        "unsupported_type",
        NOT_AN_IMAGE,
        name="cover.svg",
        content_type="image/svg+xml",
    ),
    refused(
        "svg-with-script-named-png",
        svg_with_script,
        "unsupported_type",
        NOT_AN_IMAGE,
        name="cover.png",
        content_type="image/png",
    ),
    refused("pdf", pdf, "unsupported_type", NOT_AN_IMAGE, name="cover.pdf", content_type="application/pdf"),
    refused("zero-bytes", lambda: b"", "empty", EMPTY),
    refused("gif", lambda: images.encode(images.solid(mode="P", color=1), "GIF"), "unsupported_type", NOT_AN_IMAGE),
    refused("tiff", lambda: images.encode(images.solid(), "TIFF"), "unsupported_type", NOT_AN_IMAGE),
    refused("bmp", lambda: images.encode(images.solid(), "BMP"), "unsupported_type", NOT_AN_IMAGE),
    refused("truncated-jpeg", lambda: truncated(images.jpeg()), "damaged", DAMAGED),
    refused("truncated-png", lambda: truncated(images.encode(images.photo(), "PNG")), "damaged", DAMAGED),
    refused("truncated-webp", lambda: truncated(images.encode(images.photo(), "WEBP")), "damaged", DAMAGED),
    refused("jpeg-header-then-garbage", jpeg_header_then_garbage, "damaged", DAMAGED),
    refused(
        "png-declaring-30000x30000",
        lambda: images.png_declaring(30000, 30000),
        "too_many_pixels",
        "The image is 900 megapixels; the limit is 40.",
        name="cover.png",
    ),
    refused(
        "png-deflate-bomb-52-megapixels",
        deflate_bomb,
        "too_many_pixels",
        "The image is 52 megapixels; the limit is 40.",
        name="cover.png",
    ),
    refused(
        "jpeg-declaring-60000x60000",
        lambda: jpeg_declaring(60000, 60000),
        "too_many_pixels",
        "The image is 3600 megapixels; the limit is 40.",
    ),
    refused("over-the-size-cap", over_the_size_cap, "too_large", "The file is 5.6 MB; the limit is 5 MB."),
    accepted("jpeg-with-script-and-php-appended", jpeg_with_script_and_php_appended, "JPEG"),
    accepted("jpeg-with-gps-exif-xmp-iptc-comment", jpeg_with_private_metadata, "JPEG"),
    accepted("exif-rotated-jpeg", exif_rotated, "JPEG", upright),
    accepted("exif-upside-down-png", exif_upside_down_png, "JPEG", upright, name="cover.png"),
    accepted("cmyk-jpeg", cmyk_jpeg, "JPEG", is_red),
    accepted("mpo-two-pictures", mpo_two_pictures, "JPEG", first_frame_red),
    accepted("16-bit-grey-png", sixteen_bit_grey_png, "JPEG", grey_near(156), name="cover.png"),
    accepted("16-bit-rgb-png", images.sixteen_bit_rgb_png, "JPEG", rgb_near((233, 117, 19)), name="cover.png"),
    accepted("animated-webp", lambda: images.animated("WEBP"), "JPEG", first_frame_red, name="cover.webp"),
    accepted("animated-png", lambda: images.animated("PNG"), "JPEG", first_frame_red, name="cover.png"),
    accepted("png-with-script-in-text-chunk", png_with_script_in_text_chunk, "JPEG", name="cover.png"),
    accepted("transparent-png", transparent("PNG"), "PNG", keeps_transparency, name="cover.png"),
    accepted("transparent-webp", transparent("WEBP"), "WEBP", keeps_transparency, name="cover.webp"),
    accepted("palette-png-with-transparency", palette_png_with_transparency, "PNG", keeps_transparency),
    accepted("wide-gamut-jpeg-converted-to-srgb", wide_gamut_jpeg, "JPEG", rgb_near((0, 0, 255))),
    accepted("srgb-tagged-jpeg", srgb_tagged_jpeg, "JPEG", rgb_near(GREEN)),
    accepted("larger-than-max-edge", large_dimensions, "JPEG", scaled_to_max_edge),
    accepted(
        "png-named-html-sent-as-text-html",
        transparent("PNG"),
        "PNG",
        keeps_transparency,
        name="index.html",
        content_type="text/html",
    ),
    accepted("name-with-path-traversal", images.jpeg, "JPEG", name="../../etc/passwd.jpg"),
    accepted("name-of-500-characters", images.jpeg, "JPEG", name="n" * 496 + ".jpg"),
    accepted("name-with-nul-byte", images.jpeg, "JPEG", name="evil\x00.php.jpg"),
    accepted("name-with-right-to-left-override", images.jpeg, "JPEG", name="invoice\u202egpj.php"),
    accepted("name-with-markup", images.jpeg, "JPEG", name="<img src=x onerror=alert(1)>.jpg"),
]
CASES = [pytest.param(case, id=case.id) for case in CORPUS]
REFUSED = [pytest.param(case, id=case.id) for case in CORPUS if case.code]
ACCEPTED = [pytest.param(case, id=case.id) for case in CORPUS if not case.code]


def assert_stored_cover_is_clean(case, cover_data, thumbnail_data):
    images.assert_clean_file(cover_data, case.stored_as)
    images.assert_clean_file(thumbnail_data, case.stored_as)
    with Image.open(io.BytesIO(thumbnail_data)) as thumbnail:
        assert thumbnail.width <= 240 and thumbnail.height <= 360
    with Image.open(io.BytesIO(cover_data)) as cover:
        if case.check:
            case.check(cover)


def assert_key_is_chosen_by_the_server(case, key):
    assert KEY.match(key), key
    suffix = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[case.stored_as]
    assert key.endswith(f".{suffix}")
    token = key.removeprefix("covers/")
    for part in re.split(r"[^0-9A-Za-z]+", case.name):
        if len(part) >= 3 and part.lower() not in {"jpg", "png", "webp"}:
            assert part.lower() not in token


# --- (a) straight through the pipeline -------------------------------------------------------


@pytest.mark.parametrize("case", REFUSED)
def test_pipeline_refuses_hostile_file_with_a_clear_reason(case, caplog):
    caplog.set_level(logging.INFO, logger="covers")
    with pytest.raises(ValidationError) as excinfo:
        process_cover(case.upload())
    error = excinfo.value
    assert error.code == case.code
    assert error.messages == [case.message]
    assert any(f"Refused cover upload ({case.code})" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("case", ACCEPTED)
def test_pipeline_rewrites_accepted_file_without_anything_but_pixels(case):
    processed = process_cover(case.upload())
    assert processed.image.format == case.stored_as
    assert processed.thumbnail.format == case.stored_as
    assert processed.image.content_type == CONTENT_TYPES[case.stored_as]
    with Image.open(io.BytesIO(processed.image.data)) as cover:
        assert cover.size == (processed.image.width, processed.image.height)
    assert_stored_cover_is_clean(case, processed.image.data, processed.thumbnail.data)


# --- (b) through the create view, local storage ----------------------------------------------


def post_book(client, case):
    return client.post(
        "/books/create/",
        {"title": "Kindred", "author": "Octavia E. Butler", "price": "10.00", "cover": case.upload()},
    )


def stored_files(media_root):
    return sorted(path for path in media_root.rglob("*") if path.is_file()) if media_root.exists() else []


def assert_form_refused(response, case):
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["cover"] == [case.message]
    assert list(form.errors) == ["cover"]
    content = response.content.decode()
    # Shown next to the cover field, and the rest of what was typed is still there.
    assert f'id="id_cover_error"><strong>{html.escape(case.message)}</strong>' in content
    assert 'value="Kindred"' in content and 'value="Octavia E. Butler"' in content
    assert Book.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("case", REFUSED)
def test_create_view_refuses_hostile_cover_and_stores_nothing(case, member_client, _media_root):
    response = post_book(member_client, case)
    assert_form_refused(response, case)
    assert stored_files(_media_root) == []


@pytest.mark.django_db
@pytest.mark.parametrize("case", ACCEPTED)
def test_create_view_stores_clean_cover_under_server_chosen_keys(case, member_client, _media_root):
    response = post_book(member_client, case)
    assert response.status_code == 302
    book = Book.objects.get()
    assert [book.cover.name, book.cover_thumbnail.name] != ["", ""]
    for key in (book.cover.name, book.cover_thumbnail.name):
        assert_key_is_chosen_by_the_server(case, key)
    # The cover, its thumbnail and the width variants the row lists (named after the cover):
    # nothing else, and no variant carries metadata either.
    variants = [
        variant_key(book.cover.name, width, extension)
        for extension, widths in book.cover_variants.items()
        for width in widths
    ]
    stored = [str(path.relative_to(_media_root)) for path in stored_files(_media_root)]
    assert sorted(stored) == sorted([book.cover.name, book.cover_thumbnail.name, *variants])
    for name in variants:
        with default_storage.open(name) as file, Image.open(file) as variant:
            assert not variant.info.get("exif") and not variant.info.get("xmp") and not variant.info.get("icc_profile")
    with default_storage.open(book.cover.name) as cover, default_storage.open(book.cover_thumbnail.name) as thumb:
        cover_data, thumbnail_data = cover.read(), thumb.read()
    assert_stored_cover_is_clean(case, cover_data, thumbnail_data)
    # The list page's <img width height> come from the row: they must be the stored size.
    with Image.open(io.BytesIO(thumbnail_data)) as thumbnail:
        assert (book.thumbnail_width, book.thumbnail_height) == thumbnail.size


# --- (c) through the create view, S3 storage (moto's server over HTTP) ------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("case", REFUSED)
def test_s3_bucket_stays_empty_when_cover_is_refused(case, s3_storage, member_client):
    response = post_book(member_client, case)
    assert_form_refused(response, case)
    assert s3_storage.stored_keys() == []
    assert not [request for request in s3_storage.requests if request[0] in ("PUT", "POST")]


@pytest.mark.django_db
@pytest.mark.parametrize("case", ACCEPTED)
def test_s3_bucket_holds_only_the_clean_rewritten_cover(case, s3_storage, member_client):
    response = post_book(member_client, case)
    assert response.status_code == 302
    book = Book.objects.get()
    keys = s3_storage.stored_keys()
    variants = {
        variant_key(book.cover.name, width, extension): f"image/{extension}"
        for extension, widths in book.cover_variants.items()
        for width in widths
    }
    assert keys == sorted([book.cover.name, book.cover_thumbnail.name, *variants])
    for key in keys:
        # A variant's key is the cover's, with its width and format: chosen by the server too.
        if key not in variants:
            assert_key_is_chosen_by_the_server(case, key)
        assert s3_storage.head(key)["ContentType"] == variants.get(key, CONTENT_TYPES[case.stored_as])
    assert_stored_cover_is_clean(case, s3_storage.read(book.cover.name), s3_storage.read(book.cover_thumbnail.name))
