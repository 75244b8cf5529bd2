import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from covers.keys import variant_key
from covers.pipeline import VARIANT_FORMATS
from tests.factories import BookFactory, ReviewFactory, UserFactory, cover_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


def test_book_changelist_searches_by_title_and_author(admin_client):
    BookFactory(title="Middlemarch", author="George Eliot", cover_thumbnail="covers/abc-thumb.jpg")
    BookFactory(title="Emma", author="Jane Austen")
    content = admin_client.get("/admin/books/book/?q=eliot").content.decode()
    assert "Middlemarch" in content and "Emma" not in content
    assert 'src="/media/covers/abc-thumb.jpg"' in content  # the small cover preview


def test_book_changelist_filters_by_creator(admin_client):
    alice = UserFactory(username="alice")
    BookFactory(title="Middlemarch", creator=alice)
    BookFactory(title="Emma")
    content = admin_client.get(f"/admin/books/book/?creator__id__exact={alice.pk}").content.decode()
    assert "Middlemarch" in content and "Emma" not in content


def test_book_change_page_shows_reviews_inline(admin_client):
    review = ReviewFactory(review="An inline review")
    response = admin_client.get(f"/admin/books/book/{review.book.pk}/change/")
    assert response.status_code == 200
    assert "An inline review" in response.content.decode()


def test_review_changelist(admin_client):
    ReviewFactory(review="Listed review", book__title="Persuasion")
    response = admin_client.get("/admin/books/review/")
    assert response.status_code == 200
    assert "Persuasion" in response.content.decode()


def test_admin_sets_a_cover_through_the_upload_pipeline(admin_client, s3_storage):
    book = BookFactory(title="Kindred")
    data = {
        "title": "Kindred",
        "author": book.author,
        "price": "9.00",
        "description": "",
        "creator": book.creator.pk,
        "cover": cover_upload(fmt="PNG", size=(600, 900)),
        "reviews-TOTAL_FORMS": "0",
        "reviews-INITIAL_FORMS": "0",
    }

    response = admin_client.post(f"/admin/books/book/{book.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    book.refresh_from_db()
    assert book.cover.name.startswith("covers/")
    assert book.thumbnail_width and book.thumbnail_height
    variants = [
        variant_key(book.cover.name, width, ext) for ext, widths in book.cover_variants.items() for width in widths
    ]
    assert len(variants) == 3 * len(VARIANT_FORMATS)  # 160, 320 and 480 px of a 600 px cover
    assert s3_storage.stored_keys() == sorted([book.cover.name, book.cover_thumbnail.name, *variants])


def test_admin_refuses_a_file_that_is_not_an_image(admin_client):
    book = BookFactory(title="Kindred")
    data = {
        "title": "Kindred",
        "author": book.author,
        "price": "9.00",
        "creator": book.creator.pk,
        "cover": SimpleUploadedFile("cover.jpg", b"not an image", content_type="image/jpeg"),
        "reviews-TOTAL_FORMS": "0",
        "reviews-INITIAL_FORMS": "0",
    }

    response = admin_client.post(f"/admin/books/book/{book.pk}/change/", data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["cover"]
    book.refresh_from_db()
    assert not book.cover
