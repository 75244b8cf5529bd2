"""The book form's direct-upload path (static/js/direct-upload.js): the browser posts the cover
to the moto S3 server, the form carries the handle in `cover_upload`, the view finalizes it as
the API does. The browser journey is tests/browser/test_books.py."""

import pytest
import requests
from django.core import signing
from django.urls import reverse

from books.models import Book
from covers.incoming import BAD_HANDLE, NOT_YOURS, SALT
from tests.factories import BookFactory, image_bytes

from .test_views import VALID_BOOK

pytestmark = pytest.mark.django_db


def grant_for(client, path="/api/v1/covers/direct-uploads"):
    response = client.post(path)  # the session, as the form's script asks
    assert response.status_code == 201, response.content
    return response.json()


def post_to_bucket(grant, body):
    response = requests.post(grant["url"], data=grant["fields"], files={"file": ("x.jpg", body)}, timeout=10)
    assert response.status_code in (200, 204), response.content


def under(s3_storage, prefix):
    return [key for key in s3_storage.stored_keys() if key.startswith(prefix)]


def cover_errors(response):
    assert response.status_code == 200
    return response.context["form"].errors.get("cover")


def test_the_form_finalizes_a_direct_upload_through_the_pipeline(s3_storage, member_client):
    grant = grant_for(member_client)
    post_to_bucket(grant, image_bytes("PNG"))
    response = member_client.post(reverse("book_create"), {**VALID_BOOK, "cover_upload": grant["upload"]})
    assert response.status_code == 302
    book = Book.objects.get()
    assert book.cover.name.startswith("covers/")
    assert under(s3_storage, "covers/") == sorted([book.cover.name, book.cover_thumbnail.name])
    assert under(s3_storage, "incoming/") == []


def test_the_edit_form_finalizes_an_upload_granted_for_that_book(s3_storage, member_client, book):
    grant = grant_for(member_client, f"/api/v1/books/{book.pk}/cover/direct-uploads")
    post_to_bucket(grant, image_bytes())
    data = {**VALID_BOOK, "cover_upload": grant["upload"]}
    assert member_client.post(reverse("book_update", args=[book.pk]), data).status_code == 302
    book.refresh_from_db()
    assert book.cover.name.startswith("covers/") and under(s3_storage, "incoming/") == []


def test_another_members_upload_is_refused_and_kept_for_its_owner(s3_storage, client, member, other_member):
    client.force_login(other_member)
    grant = grant_for(client)
    post_to_bucket(grant, image_bytes())
    client.force_login(member)
    response = client.post(reverse("book_create"), {**VALID_BOOK, "cover_upload": grant["upload"]})
    assert cover_errors(response) == [str(NOT_YOURS)]
    assert 'id="id_cover_error"' in response.content.decode()  # beside the cover field
    assert not Book.objects.exists()
    assert under(s3_storage, "covers/") == [] and under(s3_storage, "incoming/") == [grant["fields"]["key"]]


def test_a_forged_handle_or_one_for_another_book_is_refused(s3_storage, member_client, member, book):
    s3_storage.put("covers/someone-elses.jpg", image_bytes())
    forged = signing.dumps({"name": "incoming/x", "member": member.pk, "book": None}, key="wrong", salt=SALT)
    outside = signing.dumps({"name": "covers/someone-elses.jpg", "member": member.pk, "book": None}, salt=SALT)
    other_book = grant_for(member_client, f"/api/v1/books/{BookFactory(creator=member).pk}/cover/direct-uploads")
    for handle in (forged, outside, other_book["upload"]):
        response = member_client.post(reverse("book_update", args=[book.pk]), {**VALID_BOOK, "cover_upload": handle})
        assert cover_errors(response) == [str(BAD_HANDLE)]
    book.refresh_from_db()
    assert not book.cover and s3_storage.stored_keys() == ["covers/someone-elses.jpg"]


def test_a_non_image_or_oversized_upload_gets_the_pipelines_message(s3_storage, settings, member_client):
    grant = grant_for(member_client)
    post_to_bucket(grant, b"%PDF-1.4 not an image" * 10)
    response = member_client.post(reverse("book_create"), {**VALID_BOOK, "cover_upload": grant["upload"]})
    assert cover_errors(response) == ["This file is not a JPEG, PNG or WebP image."]
    grant = grant_for(member_client)
    post_to_bucket(grant, image_bytes("PNG", size=(600, 600)) + b"\0" * 4000)
    settings.COVER_MAX_UPLOAD_BYTES = 1024  # the bucket took it under the old cap; the form holds the new one
    response = member_client.post(reverse("book_create"), {**VALID_BOOK, "cover_upload": grant["upload"]})
    assert "the limit is" in cover_errors(response)[0]
    assert not Book.objects.exists() and s3_storage.stored_keys() == []  # both incoming objects deleted


def test_the_form_offers_direct_upload_only_with_s3(member_client, s3_storage):
    page = member_client.get(reverse("book_create")).content.decode()
    assert 'data-direct-upload="/api/v1/covers/direct-uploads"' in page and "js/direct-upload.js" in page


def test_with_local_storage_the_form_posts_the_file_and_refuses_a_handle(member_client, member):
    page = member_client.get(reverse("book_create")).content.decode()
    assert "data-direct-upload" not in page and 'name="cover_upload"' not in page
    handle = signing.dumps({"name": "incoming/x", "member": member.pk, "book": None}, salt=SALT)
    response = member_client.post(reverse("book_create"), {**VALID_BOOK, "cover_upload": handle})
    assert cover_errors(response) == [str(BAD_HANDLE)]
