"""A cover's AVIF/WebP width variants: made at upload, shown through <picture>, deleted, audited
and copied with the cover, and back-filled by `manage.py cover_variants`."""

import io
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from books.models import Book
from books.services import book_delete, book_save
from covers import keys, process_cover
from covers.deletes import worker
from covers.pipeline import VARIANT_FORMATS
from tests.factories import cover_upload, image_bytes

pytestmark = pytest.mark.django_db

FORMATS = [image_format.lower() for image_format in VARIANT_FORMATS]


def run(command, *args):
    out, err = StringIO(), StringIO()
    try:
        call_command(command, *args, "--no-progress", stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def photo_upload(size=(600, 900)):
    return cover_upload(size=size, color=(30, 90, 160))


def add_book(member, title="Kindred", size=(600, 900)):
    book = Book(title=title, author="Octavia E. Butler", price="9.00")
    return book_save(book=book, creator=member, cover=process_cover(photo_upload(size)))


def stored_variants(media_root):
    return sorted(str(path.relative_to(media_root)) for path in (media_root / "covers").glob("*-w*"))


def test_pillow_here_encodes_avif():
    # Pinned Pillow 12 ships libavif in its wheels: the variants include AVIF.
    assert FORMATS == ["avif", "webp"]


def test_upload_stores_each_narrower_width_in_each_format_beside_the_cover(member, _media_root):
    book = add_book(member)

    # 720 is wider than the 600-pixel cover: never scaled up.
    assert book.cover_variants == {"avif": [160, 320, 480], "webp": [160, 320, 480]}
    stem = book.cover.name.rsplit(".", 1)[0]
    assert stored_variants(_media_root) == sorted(
        f"{stem}-w{width}.{extension}" for width in (160, 320, 480) for extension in FORMATS
    )
    for width in (160, 320, 480):
        for extension in FORMATS:
            with Image.open(_media_root / f"{stem}-w{width}.{extension}") as image:
                assert image.format == extension.upper()
                assert image.size == (width, width * 3 // 2)
    book.refresh_from_db()
    assert book.cover_variants == {"avif": [160, 320, 480], "webp": [160, 320, 480]}


def test_phone_sized_variants_are_far_smaller_than_the_cover_and_thumbnail(member, _media_root):
    book = add_book(member, size=(1600, 2400))
    stem = book.cover.name.rsplit(".", 1)[0]
    small = (_media_root / f"{stem}-w160.avif").stat().st_size
    assert small < (_media_root / book.cover_thumbnail.name).stat().st_size
    assert (_media_root / f"{stem}-w320.avif").stat().st_size < (_media_root / book.cover.name).stat().st_size / 3


def test_list_and_detail_pages_offer_the_variants_through_picture(client, member):
    book = add_book(member)

    for url, sizes, fallback in (
        ("/books/", "(max-width: 575.98px) 52px, 220px", book.cover_thumbnail.url),
        (book.get_absolute_url(), "(max-width: 575.98px) 104px, 272px", book.cover.url),
    ):
        html = client.get(url).content.decode()
        picture = re.search(r"<picture class=\"cover-picture\">(.*?)</picture>", html, re.S)
        assert picture, url
        sources = re.findall(r'<source type="([^"]+)" srcset="([^"]+)" sizes="([^"]+)">', picture[1])
        assert [source[0] for source in sources] == [f"image/{extension}" for extension in FORMATS]
        stem = book.cover.name.rsplit(".", 1)[0]
        assert sources[0][1] == ", ".join(f"/media/{stem}-w{width}.avif {width}w" for width in (160, 320, 480))
        assert {source[2] for source in sources} == {sizes}
        # The JPEG fallback for browsers without either format.
        assert f'src="{fallback}"' in picture[1]


def test_a_small_cover_has_no_variants_and_a_plain_img(client, member, _media_root):
    book = add_book(member, size=(120, 180))

    assert book.cover_variants == {"avif": [], "webp": []}
    assert stored_variants(_media_root) == []
    assert "<picture" not in client.get(book.get_absolute_url()).content.decode()


@pytest.mark.parametrize("background", [True, False], ids=["background", "in the commit hook"])
def test_variants_are_deleted_with_their_book_and_when_the_cover_is_replaced(
    transactional_db, settings, member, _media_root, background
):
    settings.COVER_DELETES_IN_BACKGROUND = background
    book = add_book(member)
    first = stored_variants(_media_root)
    assert len(first) == 6

    book_save(book=book, cover=process_cover(photo_upload()))
    assert worker.drain()
    second = stored_variants(_media_root)
    assert len(second) == 6 and not set(first) & set(second)

    book_delete(book=book)
    assert worker.drain()
    assert stored_variants(_media_root) == []
    assert list((_media_root / "covers").iterdir()) == []


def test_audit_counts_variants_as_used_and_those_of_a_gone_cover_as_orphans(member, _media_root):
    book = add_book(member)
    (_media_root / "covers" / "gone-w320.avif").write_bytes(image_bytes("JPEG"))

    status, out, _err = run("media_audit", "--older-than", "0s", "--delete-orphans")

    assert status == 1
    assert "2 used by books and 6 width variants of their covers: 1 orphans" in out
    assert "orphan: covers/gone-w320.avif" in out
    assert len(stored_variants(_media_root)) == 6
    assert run("media_audit", "--older-than", "0s")[0] == 0
    assert book.cover_variants


def test_copy_takes_the_variants_with_their_types_and_the_audit_passes(s3_storage, member, settings, _media_root):
    storages = settings.STORAGES  # the bucket
    settings.STORAGES = {**storages, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    book = add_book(member)
    local = stored_variants(_media_root)
    settings.STORAGES = storages

    status, out, _err = run("media_copy")

    assert status == 0, out
    assert set(local) <= set(s3_storage.stored_keys())
    avif = next(name for name in local if name.endswith(".avif"))
    assert s3_storage.head(avif)["ContentType"] == "image/avif"
    assert book.cover.name in s3_storage.stored_keys()
    assert run("media_audit")[0] == 0


def test_back_fill_makes_missing_variants_once(client, member, _media_root):
    old = add_book(member, title="Dawn")
    for path in (_media_root / "covers").glob("*-w*"):
        path.unlink()
    Book.objects.filter(pk=old.pk).update(cover_variants={})
    add_book(member, title="Imago")  # already has its variants
    Book(title="No cover", author="Anon", price="1.00", creator=member).save()
    assert "<picture" not in client.get(old.get_absolute_url()).content.decode()

    status, out, _err = run("cover_variants")

    assert status == 0
    assert "Made variants for 1 covers; 0 changed meanwhile (skipped), 0 failed; 1 needed them." in out
    old.refresh_from_db()
    assert old.cover_variants == {"avif": [160, 320, 480], "webp": [160, 320, 480]}
    assert len(stored_variants(_media_root)) == 12
    # Cached pages are retired: the book page now offers them.
    assert "<picture" in client.get(old.get_absolute_url()).content.decode()
    stem = old.cover.name.rsplit(".", 1)[0]
    with Image.open(io.BytesIO((_media_root / f"{stem}-w320.webp").read_bytes())) as image:
        assert image.size == (320, 480)

    status, out, _err = run("cover_variants")
    assert "Made variants for 0 covers; 0 changed meanwhile (skipped), 0 failed; 0 needed them." in out


def test_back_fill_reports_an_unreadable_cover_and_exits_non_zero(member, _media_root):
    book = add_book(member)
    Book.objects.filter(pk=book.pk).update(cover_variants={})
    (_media_root / book.cover.name).write_bytes(b"not an image")

    status, _out, err = run("cover_variants")

    assert status == 1
    assert f"failed: book {book.pk} cover {book.cover.name}" in err


def test_variant_names_come_from_the_cover_name():
    assert keys.variant_key("covers/abc.jpg", 320, "avif") == "covers/abc-w320.avif"
    assert keys.variant_stem("covers/abc-w320.avif") == "covers/abc"
    assert keys.variant_stem("covers/abc-thumb.jpg") is None
    assert keys.variant_keys("covers/abc-thumb.jpg", [160]) == []
