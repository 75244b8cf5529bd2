"""The cover part of `BookForm`: refusals change nothing, and the limits are stated up front."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from books.forms import BookForm
from books.models import Book
from covers import keys
from covers.tests import images

pytestmark = pytest.mark.django_db


def post(client, url, cover, title):
    return client.post(url, {"title": title, "author": "Octavia E. Butler", "price": "10.00", "cover": cover})


def test_refused_new_cover_leaves_the_book_its_current_cover_and_files(member_client, _media_root):
    post(member_client, "/books/create/", SimpleUploadedFile("a.jpg", images.jpeg()), "Kindred")
    book = Book.objects.get()
    before = (book.cover.name, book.cover_thumbnail.name, book.thumbnail_width, book.thumbnail_height)

    html = SimpleUploadedFile("b.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")
    response = post(member_client, f"/books/{book.pk}/update/", html, "Renamed")

    assert response.status_code == 200
    assert response.context["form"].errors["cover"] == ["This file is not a JPEG, PNG or WebP image."]
    book.refresh_from_db()
    assert book.title == "Kindred"
    assert (book.cover.name, book.cover_thumbnail.name, book.thumbnail_width, book.thumbnail_height) == before
    assert default_storage.exists(book.cover.name) and default_storage.exists(book.cover_thumbnail.name)
    stored = sorted(str(path.relative_to(_media_root)) for path in _media_root.rglob("*") if path.is_file())
    # The current cover, its thumbnail and its width variants: nothing of the refused upload.
    assert [name for name in stored if not keys.variant_stem(name)] == sorted(before[:2])
    assert {keys.variant_stem(name) for name in stored} - {None} == {book.cover.name.rsplit(".", 1)[0]}


def test_cover_help_text_states_the_configured_limits(settings):
    settings.COVER_MAX_UPLOAD_BYTES = 3 * 1024 * 1024
    settings.COVER_MAX_PIXELS = 24_000_000
    assert BookForm().fields["cover"].help_text == (
        "Optional. A JPEG, PNG or WebP image, up to 3 MB and 24 megapixels."
    )


def test_valid_cover_gives_the_form_a_processed_cover_and_thumbnail_size():
    data = {"title": "Kindred", "author": "Octavia E. Butler", "price": "10.00"}
    form = BookForm(
        data=data, files={"cover": SimpleUploadedFile("x.png", images.encode(images.solid((600, 900)), "PNG"))}
    )
    assert form.is_valid(), form.errors
    assert form.new_cover.image.format == "JPEG"
    assert (form.new_cover.thumbnail.width, form.new_cover.thumbnail.height) == (240, 360)


def test_list_page_shows_the_thumbnail_with_its_width_and_height(member_client):
    cover = SimpleUploadedFile("a.png", images.encode(images.solid((800, 1000)), "PNG"))
    post(member_client, "/books/create/", cover, "Kindred")
    book = Book.objects.get()
    content = member_client.get("/books/").content.decode()
    assert f'src="{book.cover_thumbnail.url}"' in content
    assert 'width="240" height="300"' in content
    assert book.cover.url not in content  # the list never loads full-size covers
