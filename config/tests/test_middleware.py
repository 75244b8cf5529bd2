import json
import logging

import pytest
from pythonjsonlogger.json import JsonFormatter as LibraryJsonFormatter

from config.logging import JSON_FORMAT, JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_log(caplog):
    caplog.set_level(logging.INFO, logger="bookstore.request")
    return lambda: [record for record in caplog.records if record.name == "bookstore.request"]


def test_each_request_gets_an_id_echoed_in_the_response(client):
    first = client.get("/books/")
    second = client.get("/books/")
    assert len(first["X-Request-ID"]) == 32
    assert set(first["X-Request-ID"]) <= set("0123456789abcdef")
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_safe_incoming_request_id_is_kept(client):
    response = client.get("/books/", HTTP_X_REQUEST_ID="lb-7f3a:01")
    assert response["X-Request-ID"] == "lb-7f3a:01"


@pytest.mark.parametrize("unsafe", ["has space", "a" * 200, "line\u2028break", "<script>", ""])
def test_an_unsafe_incoming_request_id_is_replaced(client, unsafe):
    response = client.get("/books/", HTTP_X_REQUEST_ID=unsafe)
    assert response["X-Request-ID"] != unsafe
    assert len(response["X-Request-ID"]) == 32


def test_one_log_line_per_request_with_its_figures_and_no_query_string(client, request_log):
    response = client.get("/books/?q=private+search&X-Amz-Signature=abc123")
    [record] = request_log()
    assert (record.method, record.path, record.status) == ("GET", "/books/", 200)
    assert record.request_id == response["X-Request-ID"]
    assert record.user_id is None
    assert record.duration_ms >= 0
    assert "private" not in record.getMessage() and "abc123" not in record.getMessage()


def test_request_line_names_the_signed_in_member(member_client, member, request_log):
    member_client.get("/books/create/")
    [record] = request_log()
    assert record.user_id == str(member.pk)


def test_not_found_is_one_request_line_not_two(client, caplog, request_log):
    caplog.set_level(logging.INFO)
    client.get("/no-such-page/")
    [record] = request_log()
    assert record.status == 404
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_health_probes_are_not_logged_while_they_succeed(client, request_log):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert request_log() == []


@pytest.mark.parametrize(
    "path",
    ["/books/", "/accounts/password/reset/key/4-cb3dh1-9a8b7c/"],
    ids=["plain", "a one-time key in the path"],
)
def test_the_request_line_is_written_as_the_json_library_writes_it(client, member, request_log, path):
    client.get(path)
    client.force_login(member)
    client.get(path)
    formatter = JsonFormatter(fmt=JSON_FORMAT)
    for record in request_log():
        RequestIdFilter().filter(record)
        line = formatter.format(record)
        # The library's own way for the same record, with the same redaction.
        assert line == LibraryJsonFormatter.format(formatter, record)
        assert "cb3dh1" not in line
    assert [json.loads(formatter.format(record))["user_id"] for record in request_log()] == [None, str(member.pk)]


def test_the_request_line_takes_the_short_way_and_other_lines_the_librarys(client, request_log, monkeypatch):
    passes = []
    monkeypatch.setattr(LibraryJsonFormatter, "add_fields", lambda *args: passes.append(args))
    client.get("/books/")
    [record] = request_log()
    formatter = JsonFormatter(fmt=JSON_FORMAT)
    assert json.loads(formatter.format(record))["path"] == "/books/"
    assert passes == []
    # A line of the same logger with a traceback (a middleware failed) keeps the library's way.
    record.exc_info = (ValueError, ValueError("boom"), None)
    formatter.format(record)
    assert len(passes) == 1
