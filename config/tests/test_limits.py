"""Oversized request bodies are refused before they reach the disk (issue 12, item 5)."""

import io
import os

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from books.models import Book

pytestmark = pytest.mark.django_db

BOUNDARY = "----bookstore-test-boundary"
FORGED_TOKEN = "f" * 32


class WatchedUpload(io.RawIOBase):
    """A client sending a body in pieces; as the server reads it, notes what the upload temp dir holds."""

    def __init__(self, body, temp_dir):
        self._body = io.BytesIO(body)
        self._temp_dir = temp_dir
        self.files_seen = set()
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = self._body.read(size)
        self.bytes_read += len(chunk)
        self.files_seen |= set(os.listdir(self._temp_dir))
        return chunk

    def readline(self, size=-1):
        line = self._body.readline(size)
        self.bytes_read += len(line)
        return line


def multipart_with_cover(size):
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{FORGED_TOKEN}\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\nHuge\r\n'
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="cover"; filename="huge.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    return head + b"\xff" * size + f"\r\n--{BOUNDARY}--\r\n".encode()


def post_raw(body_stream, *, length=None):
    """A POST through Django's WSGI handler, as gunicorn would hand it over."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/books/create/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "203.0.113.5",
        "wsgi.url_scheme": "http",
        "wsgi.input": body_stream,
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "HTTP_COOKIE": f"csrftoken={FORGED_TOKEN}",
    }
    if length is None:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = str(length)
    status = []
    # As Django's test client does: the request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, lambda code, headers, exc_info=None: status.append(code))
        content = b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return int(status[0].split()[0]), content.decode()


@pytest.fixture
def upload_temp_dir(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    os.mkdir(settings.FILE_UPLOAD_TEMP_DIR)
    return settings.FILE_UPLOAD_TEMP_DIR


def test_oversized_anonymous_upload_with_a_forged_csrf_cookie_never_reaches_the_disk(upload_temp_dir, settings):
    body = multipart_with_cover(settings.BOOKSTORE_MAX_REQUEST_BYTES + 2 * 1024 * 1024)
    stream = WatchedUpload(body, upload_temp_dir)

    status, page = post_raw(stream, length=len(body))

    assert status == 413
    assert "too large" in page
    assert stream.files_seen == set()
    assert stream.bytes_read == 0
    assert not Book.objects.exists()


def test_oversized_streamed_body_without_a_length_is_refused_after_the_limit(upload_temp_dir, settings):
    body = multipart_with_cover(settings.BOOKSTORE_MAX_REQUEST_BYTES + 2 * 1024 * 1024)
    stream = WatchedUpload(body, upload_temp_dir)

    status, _page = post_raw(stream)

    assert status == 413
    assert stream.files_seen == set()
    assert stream.bytes_read <= settings.BOOKSTORE_MAX_REQUEST_BYTES + 1


def test_small_streamed_body_is_read_as_usual(upload_temp_dir):
    """Under the limit a chunked body reaches the view (here: the log-in redirect, nothing saved)."""
    body = multipart_with_cover(10_000)
    status, _page = post_raw(WatchedUpload(body, upload_temp_dir))
    assert status in (302, 403)


def test_member_sees_a_readable_page_for_a_too_large_form(member_client, settings):
    settings.BOOKSTORE_MAX_REQUEST_BYTES = 300
    from tests.factories import cover_upload

    response = member_client.post(
        "/books/create/", {"title": "T", "author": "A", "price": "1.00", "cover": cover_upload()}
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert not Book.objects.exists()
