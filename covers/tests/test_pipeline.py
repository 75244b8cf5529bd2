"""Unit tests of the pipeline's functions: order of the checks, limits, modes, output."""

import io
import logging
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from covers import pipeline, validation
from covers.pipeline import fit_within, process_bytes, process_cover
from covers.tests import images

RED, BLUE = (220, 20, 20), (20, 20, 220)


def upload(data, name="cover.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def refusal(data, **kwargs):
    with pytest.raises(ValidationError) as excinfo:
        process_cover(upload(data, **kwargs))
    return excinfo.value


class UnreadableUpload:
    """An upload whose bytes must never be read: only its counted size is known."""

    def __init__(self, size):
        self.size = size
        self.name = "huge.jpg"

    def read(self, *args):
        raise AssertionError("the pipeline read a file it should have refused from its size")

    def seek(self, *args):
        raise AssertionError("the pipeline touched a file it should have refused from its size")


class UnderstatedUpload(io.BytesIO):
    """A file object whose `size` claims less than it holds (not a Django upload)."""

    size = 10


# --- Size ----------------------------------------------------------------------------------


def test_oversized_upload_is_refused_from_its_size_without_being_read():
    error = refusal_of(UnreadableUpload(size=40 * 1024 * 1024))
    assert error.code == "too_large"
    assert error.messages == ["The file is 40 MB; the limit is 5 MB."]


def refusal_of(file):
    with pytest.raises(ValidationError) as excinfo:
        process_cover(file)
    return excinfo.value


def test_file_one_byte_over_the_cap_never_reads_as_equal_to_it():
    error = refusal_of(UnreadableUpload(size=5 * 1024 * 1024 + 1))
    assert error.messages == ["The file is 5.1 MB; the limit is 5 MB."]


def test_read_is_capped_even_when_the_size_understates_the_file():
    error = refusal_of(UnderstatedUpload(images.jpeg() + bytes(6 * 1024 * 1024)))
    assert error.code == "too_large"


def test_size_cap_follows_the_setting(settings):
    settings.COVER_MAX_UPLOAD_BYTES = 1024 * 1024 // 2
    error = refusal_of(UnreadableUpload(size=1024 * 1024))
    assert error.messages == ["The file is 1 MB; the limit is 0.5 MB."]


# --- Content type ------------------------------------------------------------------------------


def test_type_comes_from_the_content_not_the_name_or_browser():
    data = images.encode(images.solid(), "PNG")
    processed = process_cover(SimpleUploadedFile("cover.gif", data, content_type="image/gif"))
    assert processed.image.format == "JPEG"


def test_libmagic_sees_only_the_first_bytes():
    # A JPEG with megabytes appended is typed from its head; the tail is dropped on re-encode.
    assert validation.check_content_type(images.jpeg() + b"<html>" * 100_000) == ("JPEG",)


def test_pillow_may_only_decode_the_format_libmagic_named():
    png = images.encode(images.solid(), "PNG")
    with pytest.raises(ValidationError) as excinfo:
        process_bytes(png, formats=("JPEG",))
    assert excinfo.value.code == "damaged"


# --- Pixels ------------------------------------------------------------------------------------


def test_pixel_cap_is_checked_from_the_header_before_any_decoding():
    # The header declares 7000 x 7000 but there is no pixel data: decoding would say "damaged".
    error = refusal(images.png_declaring(7000, 7000), name="cover.png")
    assert error.code == "too_many_pixels"
    assert error.messages == ["The image is 49 megapixels; the limit is 40."]


def test_image_between_pillows_warning_and_error_thresholds_is_refused_not_decoded():
    # Pillow only warns while reading the header; the pixel cap then refuses it. The file
    # has no pixel data, so a decode would have said "damaged".
    with pytest.warns(Image.DecompressionBombWarning):
        error = refusal(images.png_declaring(10_000, 10_000), name="cover.png")
    assert error.messages == ["The image is 100 megapixels; the limit is 40."]


def test_pixel_cap_follows_the_setting(settings):
    settings.COVER_MAX_PIXELS = 1_000_000
    error = refusal(images.jpeg(images.solid((1250, 1000))))
    assert error.messages == ["The image is 1.3 megapixels; the limit is 1."]


def test_a_lower_pillow_limit_set_elsewhere_is_honoured(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_500_000)
    with pytest.warns(Image.DecompressionBombWarning):
        error = refusal(images.jpeg(images.solid((2000, 1000))))
    assert error.messages == ["The image is 2 megapixels; the limit is 1.5."]


def test_pillows_own_bomb_error_is_turned_into_the_pixel_message(monkeypatch):
    # Above twice its limit Pillow raises while opening, before our check runs.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 400_000)
    error = refusal(images.jpeg(images.solid((1000, 1000))))
    assert error.code == "too_many_pixels"
    assert error.messages == ["The image is 1 megapixels; the limit is 0.4."]


# --- Damage and hangs ----------------------------------------------------------------------


def test_truncated_images_are_never_padded_and_accepted():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    data = images.jpeg(images.photo((400, 600)))
    for keep in (0.3, 0.9, 0.99):
        assert refusal(data[: int(len(data) * keep)]).code == "damaged"


def many_scan_jpeg(copies=150):
    """A progressive JPEG whose first scan is repeated: libjpeg decodes every copy in turn."""
    data = images.jpeg(images.photo((200, 300)), progressive=True)
    start = data.index(b"\xff\xda")
    end = start + 2
    while not (data[end] == 0xFF and data[end + 1] not in (0x00, *range(0xD0, 0xD8))):
        end += 1
    return data[:end] + data[start:end] * copies + data[end:]


def test_jpeg_with_hundreds_of_scans_is_refused_before_decoding(caplog):
    caplog.set_level(logging.INFO, logger="covers")
    error = refusal(many_scan_jpeg())
    assert error.code == "damaged"
    assert "160 scans" in caplog.text  # the ten Pillow writes, and the copies


def test_ordinary_progressive_jpeg_is_accepted():
    data = images.jpeg(images.photo((200, 300)), progressive=True)
    assert process_cover(upload(data)).image.format == "JPEG"


def test_unexpected_decoder_error_is_a_refusal_not_a_server_error(monkeypatch, caplog):
    def broken_load(self):
        raise RuntimeError("decoder bug")

    monkeypatch.setattr(ImageFile.ImageFile, "load", broken_load)
    with caplog.at_level(logging.WARNING, logger="covers"):
        error = refusal(images.jpeg())
    assert error.code == "damaged"
    assert "Unexpected error while decoding" in caplog.text


# --- Decoding and output -----------------------------------------------------------------------


def test_large_jpeg_is_decoded_in_draft_mode_at_a_fraction_of_its_size(settings):
    data = images.jpeg(images.solid((2000, 1500)))
    with pipeline.open_image(data, ("JPEG",)) as source:
        decoded = pipeline.decode(source, data, max_edge=500)
        assert decoded.size == (500, 375)  # libjpeg's 1/4 scale: a sixteenth of the pixels
    settings.COVER_MAX_EDGE = 500
    assert process_bytes(data).image.width == 500


def test_jpeg_is_decoded_at_full_size_when_it_is_kept_at_full_size():
    data = images.jpeg(images.solid((600, 400)))
    with pipeline.open_image(data, ("JPEG",)) as source:
        assert pipeline.decode(source, data, max_edge=2400).size == (600, 400)


def test_scaled_down_cover_keeps_its_aspect_ratio(settings):
    settings.COVER_MAX_EDGE = 300
    processed = process_bytes(images.encode(images.solid((900, 450)), "PNG"))
    assert (processed.image.width, processed.image.height) == (300, 150)


def test_thumbnail_is_made_from_the_upright_image_and_fits_the_box():
    upright = images.two_halves((400, 600), RED, BLUE)
    data = images.jpeg(upright.transpose(Image.Transpose.ROTATE_90), exif=images.orientation_exif(6).tobytes())
    thumbnail = process_bytes(data).thumbnail
    assert (thumbnail.width, thumbnail.height) == (240, 360)
    with Image.open(io.BytesIO(thumbnail.data)) as image:
        assert image.getpixel((120, 20))[0] > 180 and image.getpixel((120, 340))[2] > 180


def test_small_cover_is_never_enlarged():
    processed = process_bytes(images.jpeg(images.solid((150, 100))))
    assert (processed.image.width, processed.image.height) == (150, 100)
    assert (processed.thumbnail.width, processed.thumbnail.height) == (150, 100)


@pytest.mark.parametrize("size", [(1, 1), (99, 400), (400, 99)])
def test_image_under_the_minimum_on_its_short_side_is_refused_with_its_size(size):
    with pytest.raises(ValidationError) as refused:
        process_cover(upload(images.encode(images.solid(size), "PNG")))
    width, height = size
    assert refused.value.messages == [
        f"The image is {width} × {height} pixels; a cover needs at least 100 pixels on its short side."
    ]


def test_minimum_size_follows_the_setting(settings):
    settings.COVER_MIN_EDGE = 200
    with pytest.raises(ValidationError, match="at least 200 pixels"):
        process_cover(upload(images.jpeg(images.solid((150, 300)))))
    assert process_cover(upload(images.jpeg(images.solid((200, 300)))))


@pytest.mark.parametrize(
    ("size", "box", "expected"),
    [
        ((4000, 3000), (2400, 2400), (2400, 1800)),
        ((100, 50), (240, 360), (100, 50)),
        ((5000, 10), (240, 360), (240, 1)),
    ],
)
def test_fit_within_scales_down_only_and_keeps_the_aspect(size, box, expected):
    assert fit_within(size, box) == expected


@pytest.mark.parametrize(
    ("mode", "color", "expected_mode"),
    [
        ("CMYK", (0, 255, 255, 0), "RGB"),
        ("I;16", 40000, "L"),
        ("1", 1, "L"),
        ("LA", (128, 100), "RGBA"),
        ("LA", (128, 255), "RGB"),
        ("RGBA", (10, 20, 30, 255), "RGB"),
        ("YCbCr", (100, 120, 140), "RGB"),
    ],
)
def test_every_mode_becomes_one_browsers_display(mode, color, expected_mode):
    assert pipeline.to_display_mode(Image.new(mode, (8, 8), color)).mode == expected_mode


def test_sixteen_bit_grey_is_scaled_not_clipped_to_white():
    assert pipeline.to_display_mode(Image.new("I;16", (4, 4), 32896)).getpixel((0, 0)) == 128


def test_an_unusable_colour_profile_is_ignored_not_fatal():
    image = Image.new("RGB", (8, 8), RED)
    image.info["icc_profile"] = b"not a profile"
    assert pipeline.to_display_mode(image).getpixel((0, 0)) == RED


def test_encode_writes_nothing_the_source_carried(tmp_path):
    image = images.photo((100, 150))
    image.info.update(
        comment=b"secret comment",
        icc_profile=images.swapped_primaries_profile(),
        exif=images.gps_exif().tobytes(),
        xmp=images.XMP,
    )
    for fmt in ("JPEG", "PNG", "WEBP"):
        images.assert_clean_file(pipeline.encode(image.copy(), fmt).data, fmt)


def test_output_format_follows_what_was_written():
    assert pipeline.choose_format(Image.new("RGB", (1, 1)), "PNG") == "JPEG"
    assert pipeline.choose_format(Image.new("L", (1, 1)), "WEBP") == "JPEG"
    assert pipeline.choose_format(Image.new("RGBA", (1, 1)), "PNG") == "PNG"
    assert pipeline.choose_format(Image.new("RGBA", (1, 1)), "WEBP") == "WEBP"


def test_refusals_are_logged_without_the_uploaders_file_name(caplog):
    caplog.set_level(logging.INFO, logger="covers")
    refusal(b"<html></html>", name="secret-name\u202egpj.php")
    assert "Refused cover upload (unsupported_type): libmagic says text/html" in caplog.text
    assert "secret-name" not in caplog.text


def test_mutated_images_are_refused_or_rewritten_clean_never_an_error():
    """A small, seeded mutation run: any damaged file ends as a refusal or a clean file."""
    rng = random.Random(4)
    seeds = [
        images.jpeg(images.photo((100, 150))),
        images.jpeg(images.photo((100, 150)), progressive=True),
        images.encode(images.photo((100, 150)), "PNG"),
        images.encode(images.photo((100, 150)), "WEBP"),
        images.animated("WEBP"),
        images.animated("PNG"),
    ]
    outcomes = set()
    for _ in range(300):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            position = rng.randrange(len(data))
            if rng.random() < 0.7:
                data[position] = rng.randrange(256)
            else:
                del data[position : position + rng.randint(1, 40)]
        try:
            processed = process_cover(upload(bytes(data)))
        except ValidationError as error:
            outcomes.add(error.code)
            continue
        outcomes.add("accepted")
        images.assert_clean_file(processed.image.data, processed.image.format)
    assert {"accepted", "damaged"} <= outcomes
