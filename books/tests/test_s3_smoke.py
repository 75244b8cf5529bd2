import pytest

from tests.factories import cover_upload

pytestmark = pytest.mark.django_db


def test_cover_uploaded_through_the_form_lands_in_the_bucket(s3_storage, member_client):
    response = member_client.post(
        "/books/create/",
        {"title": "Kindred", "author": "Octavia E. Butler", "price": "10.00", "cover": cover_upload()},
    )
    assert response.status_code == 302
    keys = s3_storage.keys()
    assert len(keys) == 2
    assert all(key.startswith("covers/") for key in keys)
    assert s3_storage.head(next(k for k in keys if not k.endswith("-thumb.jpg")))["ContentType"] == "image/jpeg"
