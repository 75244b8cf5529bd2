import io
import json
import logging

import pytest

from config.logging import JsonFormatter, PlainFormatter, RequestIdFilter, redact, request_id_var
from tests.factories import cover_upload
from tests.fixtures_s3 import s3_environment, storage_from_environment

SIGNED_URL = (
    "https://bookstore-media.s3.amazonaws.com/covers/abc.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAEXAMPLE%2F20261126%2Feu-west-1%2Fs3%2Faws4_request"
    "&X-Amz-Signature=0123456789abcdef0123456789abcdef&X-Amz-Expires=3600"
)


def make_record(message, *args, exc_info=None, **extra):
    record = logging.getLogger("bookstore.test").makeRecord(
        "bookstore.test", logging.ERROR, __file__, 1, message, args, exc_info, extra=extra
    )
    RequestIdFilter().filter(record)
    return record


def json_line(record):
    line = JsonFormatter(fmt="%(levelname)s %(name)s %(message)s %(request_id)s").format(record)
    assert "\n" not in line
    return json.loads(line)


def test_signed_url_signature_and_credential_never_reach_the_log():
    logged = json_line(make_record("Could not read %s", SIGNED_URL))
    assert "0123456789abcdef" not in json.dumps(logged)
    assert "AKIAEXAMPLE" not in json.dumps(logged)
    assert logged["message"] == "Could not read https://bookstore-media.s3.amazonaws.com/covers/abc.jpg?[redacted]"


def test_sigv2_signature_and_passwords_in_urls_are_redacted():
    text = redact(
        "GET /covers/a.jpg?AWSAccessKeyId=AKIA&Signature=c2VjcmV0&Expires=1 "
        "db postgres://bookstore:hunter2@db.internal:5432/bookstore password=hunter2"
    )
    assert "c2VjcmV0" not in text and "hunter2" not in text
    assert "postgres://bookstore:[redacted]@db.internal:5432/bookstore" in text


def test_one_time_keys_in_emailed_links_are_redacted_from_paths():
    assert redact("/accounts/password/reset/key/4-cb3dh1-9a8b7c/") == "/accounts/password/reset/key/[redacted]/"
    assert redact("/accounts/confirm-email/MQ:1v2:abc/") == "/accounts/confirm-email/[redacted]/"


def test_secret_named_extra_fields_are_dropped_and_other_extras_kept():
    logged = json_line(make_record("Sign-up failed", password="hunter2", api_key="k-123", username="alice"))
    assert logged["password"] == "[redacted]" and logged["api_key"] == "[redacted]"
    assert logged["username"] == "alice"
    assert logged["level"] == "ERROR" and logged["logger"] == "bookstore.test"


def test_secrets_inside_nested_extra_fields_are_redacted_beside_plain_ones():
    logged = json_line(make_record("Upload retried", attempt=2, target={"url": SIGNED_URL}, tries=[SIGNED_URL]))
    assert "0123456789abcdef" not in json.dumps(logged) and "AKIAEXAMPLE" not in json.dumps(logged)
    assert logged["attempt"] == 2 and logged["target"]["url"].endswith("abc.jpg?[redacted]")


def test_exception_traceback_is_kept_and_redacted():
    try:
        raise ConnectionError(f"Could not connect to the endpoint URL: {SIGNED_URL}")
    except ConnectionError:
        import sys

        logged = json_line(make_record("Cover storage failed while saving %s", "covers/x.jpg", exc_info=sys.exc_info()))
    assert "Traceback" in logged["exc_info"] and "ConnectionError" in logged["exc_info"]
    assert "0123456789abcdef" not in logged["exc_info"]


def test_django_request_object_is_logged_as_method_and_path_without_query(rf):
    request = rf.get("/books/", {"q": "private search", "X-Amz-Signature": "abc123"})
    logged = json_line(make_record("Forbidden (CSRF cookie not set.): %s", request.path, request=request))
    assert logged["request"] == "GET /books/"


def test_plain_format_is_redacted_too():
    formatter = PlainFormatter("%(levelname)s [%(request_id)s] %(message)s")
    token = request_id_var.set("req-1")
    try:
        line = formatter.format(make_record("fetch %s", SIGNED_URL))
    finally:
        request_id_var.reset(token)
    assert line == "ERROR [req-1] fetch https://bookstore-media.s3.amazonaws.com/covers/abc.jpg?[redacted]"


@pytest.fixture
def json_log():
    """The production handler (JSON formatter and request-id filter) on the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(fmt="%(levelname)s %(name)s %(message)s %(request_id)s"))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


@pytest.mark.django_db
def test_failed_cover_upload_is_logged_with_its_request_id_and_traceback(settings, s3_storage, member_client, json_log):
    # A bucket that does not exist: the storage service refuses every upload.
    missing = storage_from_environment(s3_environment(s3_storage.server.endpoint_url, "no-such-bucket"))
    settings.STORAGES = {**settings.STORAGES, "default": missing}
    response = member_client.post(
        "/books/create/",
        {"title": "Kindred", "author": "Octavia E. Butler", "price": "10.00", "cover": cover_upload()},
        HTTP_X_REQUEST_ID="upload-42",
    )
    assert response.status_code == 200  # the form again, with the error
    lines = json_log()
    failure = next(line for line in lines if line["logger"] == "covers.files")
    assert failure["request_id"] == "upload-42"
    assert failure["message"].startswith("Cover storage failed while saving covers/")
    assert "NoSuchBucket" in failure["exc_info"]
    request_line = next(line for line in lines if line["logger"] == "bookstore.request")
    assert request_line["request_id"] == "upload-42" and request_line["status"] == 200
