"""Direct uploads against the moto S3 server over HTTP: presigned POST, then finalize."""

import pytest
import requests
from django.core import signing

from api.direct_upload import SALT
from tests.factories import image_bytes

from .conftest import token_caller

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(member):
    return token_caller("full", member)


def start(caller, book):
    response = caller.call("post", f"/books/{book.pk}/cover/direct-uploads")
    assert response.status_code == 201, response.content
    return response.json()


def post_to_bucket(grant, body):
    return requests.post(grant["url"], data=grant["fields"], files={"file": ("x.jpg", body)}, timeout=10)


def finalize(caller, book, handle):
    return caller.call("post", f"/books/{book.pk}/cover/direct-uploads/finalize", json={"upload": handle})


def covers_stored(s3_storage):
    return [key for key in s3_storage.stored_keys() if key.startswith("covers/")]


def test_direct_upload_is_reencoded_and_the_incoming_object_deleted(s3_storage, owner, book):
    grant = start(owner, book)
    assert grant["fields"]["key"].startswith("incoming/") and grant["max_bytes"] == 5 * 1024 * 1024
    assert post_to_bucket(grant, image_bytes("PNG")).status_code in (200, 204)
    response = finalize(owner, book, grant["upload"])
    assert response.status_code == 200, response.content
    # Presigning costs no request; the bucket saw the POST, then finalize's four.
    key = grant["fields"]["key"]
    folders = [
        (method, path.split("/", 2)[2].split("/")[0] if path.count("/") > 1 else "")
        for method, path, _q in s3_storage.requests
    ]
    assert folders == [("POST", ""), ("GET", "incoming"), ("PUT", "covers"), ("PUT", "covers"), ("DELETE", "incoming")]
    assert s3_storage.requests[1][1].endswith(key) and s3_storage.requests[-1][1].endswith(key)
    assert response.json()["cover_url"]
    keys = s3_storage.stored_keys()
    assert not [key for key in keys if key.startswith("incoming/")]
    assert len(covers_stored(s3_storage)) == 2  # cover and thumbnail, re-encoded
    # The handle is spent: the object is gone.
    assert finalize(owner, book, grant["upload"]).status_code == 404


def test_a_non_image_is_refused_and_removed(s3_storage, owner, book):
    grant = start(owner, book)
    post_to_bucket(grant, b"%PDF-1.4 not an image" * 10)
    response = finalize(owner, book, grant["upload"])
    assert response.status_code == 422
    assert response.json()["errors"] == {"cover": ["This file is not a JPEG, PNG or WebP image."]}
    assert s3_storage.stored_keys() == []


def test_an_object_larger_than_the_cap_is_refused_without_reading_it(s3_storage, settings, owner, book):
    grant = start(owner, book)
    settings.COVER_MAX_UPLOAD_BYTES = 1024  # the bucket took it under the old cap; finalize holds the new one
    s3_storage.put(grant["fields"]["key"], image_bytes("PNG", size=(600, 600)) + b"\0" * 400_000)
    s3_storage.reset_requests()
    response = finalize(owner, book, grant["upload"])
    assert response.status_code == 422
    assert "the limit is" in response.json()["errors"]["cover"][0]
    reads = [r for r in s3_storage.requests if r[0] == "GET"]
    assert len(reads) == 1  # one ranged GET of at most cap + 1 bytes, nothing more
    assert s3_storage.stored_keys() == []


def test_someone_elses_upload_is_refused_and_kept_for_its_owner(s3_storage, owner, other_member, book):
    grant = start(owner, book)
    post_to_bucket(grant, image_bytes())
    intruder = token_caller("bob", other_member)
    assert finalize(intruder, book, grant["upload"]).status_code == 403
    assert covers_stored(s3_storage) == []
    assert finalize(owner, book, grant["upload"]).status_code == 200


def test_a_key_outside_incoming_or_a_forged_handle_is_refused(s3_storage, owner, member, book):
    s3_storage.put("covers/someone-elses.jpg", image_bytes())
    outside = signing.dumps({"name": "covers/someone-elses.jpg", "member": member.pk, "book": str(book.pk)}, salt=SALT)
    assert finalize(owner, book, outside).status_code == 400
    forged = signing.dumps({"name": "incoming/x", "member": member.pk, "book": str(book.pk)}, key="wrong", salt=SALT)
    assert finalize(owner, book, forged).status_code == 400
    assert s3_storage.stored_keys() == ["covers/someone-elses.jpg"]


def test_the_bucket_refuses_a_post_over_the_cap_or_to_another_key(s3_storage, settings, owner, book):
    settings.COVER_MAX_UPLOAD_BYTES = 1024
    grant = start(owner, book)
    assert post_to_bucket(grant, b"x" * 5000).status_code == 400
    elsewhere = {**grant, "fields": {**grant["fields"], "key": "covers/chosen-by-client.jpg"}}
    assert post_to_bucket(elsewhere, b"x" * 500).status_code == 403
    assert s3_storage.stored_keys() == []


def test_direct_upload_needs_s3(owner, book):
    response = owner.call("post", f"/books/{book.pk}/cover/direct-uploads")
    assert response.status_code == 404
    assert "S3" in response.json()["detail"]
