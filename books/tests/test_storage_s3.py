"""Covers in S3, through the site's own views, against moto's S3 server over HTTP.

Every request the server receives is recorded (tests/fixtures_s3.py), so these tests count
what an upload or a page render really costs.
"""

import html
import logging
import re
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from storages.backends.s3 import S3Storage

from books.models import Book
from covers.files import STORAGE_UNAVAILABLE
from covers.keys import VARIANT_EXTENSIONS
from covers.storage import MediaStorage
from tests.factories import cover_upload
from tests.fixtures_s3 import S3Server, access_key, s3_environment, secret_key, storage_from_environment
from tests.servers import closed_port

pytestmark = pytest.mark.django_db

COVER_KEY = re.compile(r"^covers/[0-9a-f]{32}\.(jpg|png|webp)$")
THUMBNAIL_KEY = re.compile(r"^covers/[0-9a-f]{32}-thumb\.(jpg|png|webp)$")


def add_book(client, title="Kindred", upload=None):
    response = client.post(
        "/books/create/",
        {"title": title, "author": "Octavia E. Butler", "price": "10.00", "cover": upload or cover_upload()},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Book.objects.get(title=title)


def image_sources(response):
    return [html.unescape(src) for src in re.findall(r'<img[^>]+src="([^"]+)"', response.content.decode())]


# --- Saving -------------------------------------------------------------------------------


def test_one_cover_upload_costs_exactly_one_put_per_stored_object(s3_storage, member_client):
    add_book(member_client)

    assert s3_storage.methods() == ["PUT", "PUT"]


def test_stored_keys_are_random_and_never_contain_the_uploaders_file_name(s3_storage, member_client):
    book = add_book(member_client, upload=cover_upload(name="my holiday photo.jpg"))

    assert COVER_KEY.match(book.cover.name)
    assert THUMBNAIL_KEY.match(book.cover_thumbnail.name)
    assert book.cover_thumbnail.name == book.cover.name.replace(".jpg", "-thumb.jpg")
    assert s3_storage.stored_keys() == sorted([book.cover.name, book.cover_thumbnail.name])
    assert not any("holiday" in key for key in s3_storage.stored_keys())


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_objects_carry_the_detected_content_type_and_an_immutable_cache_control(
    s3_storage, member_client, fmt, content_type, extension
):
    # The browser claims a JPEG called .gif: neither the name nor the claim is trusted.
    # PNG and WebP keep their format only with real transparency (opaque images become JPEG).
    look = {} if fmt == "JPEG" else {"mode": "RGBA", "color": (200, 30, 30, 128)}
    upload = cover_upload(name="cover.gif", fmt=fmt, content_type="image/jpeg", **look)
    book = add_book(member_client, upload=upload)

    for name in (book.cover.name, book.cover_thumbnail.name):
        assert name.endswith(f".{extension}")
        head = s3_storage.head(name)
        assert head["ContentType"] == content_type
        assert head["CacheControl"] == "public, max-age=31536000, immutable"


def test_cover_is_read_back_and_deleted_through_the_model(s3_storage, member_client):
    book = add_book(member_client)
    stored = s3_storage.read(book.cover.name)

    with book.cover.open("rb") as cover:
        assert cover.read() == stored
    book.cover.delete(save=False)

    assert s3_storage.stored_keys() == [book.cover_thumbnail.name]


def test_location_prefixes_every_key_in_the_bucket_but_not_the_stored_name(s3_storage, member_client):
    s3_storage.configure(AWS_LOCATION="media")
    book = add_book(member_client)

    assert COVER_KEY.match(book.cover.name)
    assert s3_storage.stored_keys() == sorted([f"media/{book.cover.name}", f"media/{book.cover_thumbnail.name}"])
    assert urlsplit(book.cover.url).path.endswith(f"/media/{book.cover.name}")


# --- URLs and page renders -----------------------------------------------------------------


def test_signed_urls_carry_a_signature_and_the_configured_expiry(s3_storage, member_client):
    s3_storage.configure(AWS_QUERYSTRING_EXPIRE="600")
    book = add_book(member_client)

    url = urlsplit(book.cover.url)
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}" == s3_storage.server.endpoint_url
    assert url.path == f"/{s3_storage.bucket}/{book.cover.name}"
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["600"]
    assert query["X-Amz-Signature"][0]


def test_default_signed_url_expiry_is_an_hour(s3_storage, member_client):
    book = add_book(member_client)

    assert parse_qs(urlsplit(book.cover.url).query)["X-Amz-Expires"] == ["3600"]


def test_signed_url_fetches_the_cover_from_the_server(s3_storage, member_client):
    book = add_book(member_client)

    with urllib.request.urlopen(book.cover.url, timeout=5) as response:  # noqa: S310 (the test server)
        body = response.read()
        assert response.headers["Content-Type"] == "image/jpeg"

    assert body == s3_storage.read(book.cover.name)


def test_custom_domain_gives_plain_unsigned_urls(s3_storage, member_client):
    s3_storage.configure(AWS_S3_CUSTOM_DOMAIN="cdn.example.com")
    book = add_book(member_client)

    assert book.cover.url == f"https://cdn.example.com/{book.cover.name}"
    assert book.cover_thumbnail.url == f"https://cdn.example.com/{book.cover_thumbnail.name}"


@pytest.mark.parametrize(
    "environment",
    [{}, {"AWS_S3_CUSTOM_DOMAIN": "cdn.example.com"}, {"AWS_LOCATION": "media"}],
    ids=["signed", "custom-domain", "location"],
)
def test_rendering_pages_with_covers_makes_no_request_to_storage(s3_storage, member_client, environment):
    s3_storage.configure(**environment)
    books = [add_book(member_client, title=f"Book {n}") for n in range(3)]
    s3_storage.reset_requests()

    pages = {
        "home": member_client.get("/"),
        "list": member_client.get("/books/"),
        "detail": member_client.get(books[0].get_absolute_url()),
        "edit form": member_client.get(f"/books/{books[0].pk}/update/"),
        "delete confirmation": member_client.get(f"/books/{books[0].pk}/delete/"),
    }

    assert s3_storage.requests == []
    for name, response in pages.items():
        assert response.status_code == 200, name
    assert len([src for src in image_sources(pages["list"]) if "-thumb." in src]) == 3
    detail_cover = next(src for src in image_sources(pages["detail"]) if books[0].cover.name in src)
    if environment.get("AWS_S3_CUSTOM_DOMAIN"):
        assert detail_cover == f"https://cdn.example.com/{books[0].cover.name}"
    else:
        assert "X-Amz-Signature=" in detail_cover


# --- Clean-up ------------------------------------------------------------------------------


# Width variants a replaced or removed cover may have had: every width in both formats.
VARIANT_NAMES = len(settings.COVER_VARIANT_WIDTHS) * len(VARIANT_EXTENSIONS)


def test_replaced_cover_and_its_thumbnail_are_deleted_after_commit(
    s3_storage, member_client, django_capture_on_commit_callbacks
):
    book = add_book(member_client)
    old = {book.cover.name, book.cover_thumbnail.name}

    s3_storage.reset_requests()

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            f"/books/{book.pk}/update/",
            {"title": book.title, "author": book.author, "price": "10.00", "cover": cover_upload(fmt="PNG")},
        )

    assert response.status_code == 302
    # The row now describes the new cover, so every name the old one's variants may have goes too.
    assert s3_storage.methods() == ["PUT", "PUT", "DELETE", "DELETE"] + ["DELETE"] * VARIANT_NAMES
    book.refresh_from_db()
    assert s3_storage.stored_keys() == sorted([book.cover.name, book.cover_thumbnail.name])
    assert not old & set(s3_storage.stored_keys())


def test_replaced_cover_is_kept_until_the_transaction_commits(s3_storage, member_client):
    book = add_book(member_client)
    old = [book.cover.name, book.cover_thumbnail.name]

    # The test's transaction never commits, so django-cleanup must not have deleted yet.
    member_client.post(
        f"/books/{book.pk}/update/",
        {"title": book.title, "author": book.author, "price": "10.00", "cover": cover_upload(fmt="PNG")},
    )

    assert set(old) < set(s3_storage.stored_keys())


def test_removed_cover_is_deleted_with_its_thumbnail(s3_storage, member_client, django_capture_on_commit_callbacks):
    book = add_book(member_client)
    s3_storage.reset_requests()

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            f"/books/{book.pk}/update/",
            {"title": book.title, "author": book.author, "price": "10.00", "cover-clear": "on"},
        )

    assert response.status_code == 302
    assert s3_storage.methods() == ["DELETE", "DELETE"] + ["DELETE"] * VARIANT_NAMES
    book.refresh_from_db()
    assert not book.cover and not book.cover_thumbnail
    assert s3_storage.stored_keys() == []


def test_deleted_book_takes_its_files_with_it(s3_storage, member_client, django_capture_on_commit_callbacks):
    book = add_book(member_client)
    s3_storage.reset_requests()

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(f"/books/{book.pk}/delete/")

    assert response.status_code == 302
    assert s3_storage.methods() == ["DELETE", "DELETE"]
    assert not Book.objects.filter(pk=book.pk).exists()
    assert s3_storage.stored_keys() == []


# --- Outage -------------------------------------------------------------------------------


@pytest.fixture(params=["server-stopped", "closed-port"])
def dead_endpoint(request, s3_storage, member_client):
    """S3 configured as before, but the endpoint no longer answers; one book already has a cover."""
    book = add_book(member_client, title="Dawn")
    if request.param == "server-stopped":
        server = S3Server()
        server.start()
        server.client().create_bucket(Bucket=s3_storage.bucket)
        endpoint = server.endpoint_url
        server.stop()
    else:
        endpoint = f"http://127.0.0.1:{closed_port()}"
    s3_storage.configure(AWS_S3_ENDPOINT_URL=endpoint)
    return book


def test_upload_to_a_dead_endpoint_is_a_form_error_and_writes_no_row(dead_endpoint, member_client, caplog):
    caplog.set_level(logging.INFO)
    response = member_client.post(
        "/books/create/",
        {"title": "Parable of the Sower", "author": "Octavia E. Butler", "price": "9.00", "cover": cover_upload()},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["cover"] == [STORAGE_UNAVAILABLE]
    assert STORAGE_UNAVAILABLE in response.content.decode()
    assert not Book.objects.filter(title="Parable of the Sower").exists()
    failures = [record for record in caplog.records if record.name == "covers.files"]
    assert failures and "Could not connect to the endpoint URL" in failures[0].getMessage()
    assert secret_key() not in caplog.text
    assert access_key() not in caplog.text
    assert "Signature" not in caplog.text


def test_new_cover_for_an_existing_book_on_a_dead_endpoint_changes_nothing(dead_endpoint, member_client):
    book = dead_endpoint
    before = (book.cover.name, book.cover_thumbnail.name, book.title)

    response = member_client.post(
        f"/books/{book.pk}/update/",
        {"title": "Dawn, revised", "author": book.author, "price": "10.00", "cover": cover_upload(fmt="PNG")},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["cover"] == [STORAGE_UNAVAILABLE]
    book.refresh_from_db()
    assert (book.cover.name, book.cover_thumbnail.name, book.title) == before


def test_read_only_pages_keep_working_when_storage_is_down(dead_endpoint, client):
    book = dead_endpoint

    for url in ("/", "/books/", book.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 200, url
    assert book.cover.name in client.get(book.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("style", "url"),
    [
        ("virtual", "https://media-bucket.s3.example.test/covers/x.jpg"),
        ("path", "https://s3.example.test/media-bucket/covers/x.jpg"),
    ],
)
def test_addressing_style_from_the_environment_shapes_the_urls(style, url):
    # django-storages ignores AWS_S3_ADDRESSING_STYLE when a client config is given, so
    # covers/storage.py must pass it on itself. URLs are computed locally: no server.
    config = storage_from_environment(
        s3_environment("https://s3.example.test", "media-bucket", AWS_S3_ADDRESSING_STYLE=style)
    )
    storage = S3Storage(**config["OPTIONS"])

    assert storage.url("covers/x.jpg").split("?")[0] == url


def test_upload_refused_by_the_storage_service_is_a_form_error_and_writes_no_row(s3_storage, member_client):
    s3_storage.server.refuse("PUT", "/covers/")

    response = member_client.post(
        "/books/create/",
        {"title": "Wild Seed", "author": "Octavia E. Butler", "price": "9.00", "cover": cover_upload()},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["cover"] == [STORAGE_UNAVAILABLE]
    assert not Book.objects.filter(title="Wild Seed").exists()
    assert s3_storage.stored_keys() == []


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"AWS_S3_ADDRESSING_STYLE": "virtual"},
        {"AWS_S3_ADDRESSING_STYLE": "path"},
        {"AWS_S3_CUSTOM_DOMAIN": "cdn.example.com"},
    ],
)
def test_content_security_policy_allows_the_origin_cover_urls_point_at(environment):
    config = storage_from_environment(s3_environment("https://s3.example.test:9000", "media-bucket", **environment))
    url = urlsplit(S3Storage(**config["OPTIONS"]).url("covers/x.jpg"))

    assert MediaStorage.from_entry(config).origins == (f"{url.scheme}://{url.netloc}",)


def test_upload_signed_with_a_wrong_secret_is_a_form_error_and_writes_no_row(s3_storage, member_client):
    """The S3 server checks signatures, so a wrongly signing app cannot pass these tests."""
    s3_storage.configure(AWS_SECRET_ACCESS_KEY="not-the-secret-of-this-key")

    response = member_client.post(
        "/books/create/",
        {"title": "Lilith's Brood", "author": "Octavia E. Butler", "price": "10.00", "cover": cover_upload()},
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Book.objects.filter(title="Lilith's Brood").exists()
    assert s3_storage.stored_keys() == []


def test_cover_url_signed_with_a_wrong_secret_is_refused(s3_storage, member_client):
    """Presigned URLs are checked too (the fixture does it: moto checks only headers)."""
    import requests

    book = add_book(member_client, title="Adulthood Rites")
    good_url = Book.objects.get(pk=book.pk).cover.url
    s3_storage.configure(AWS_SECRET_ACCESS_KEY="not-the-secret-of-this-key")
    bad_url = Book.objects.get(pk=book.pk).cover.url

    assert requests.get(good_url, timeout=10).status_code == 200
    assert requests.get(bad_url, timeout=10).status_code == 403
