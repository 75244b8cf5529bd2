"""The Content-Security-Policy header, built once per process (config.csp), is the one
django-csp builds, follows the settings, and still honours per-view decorators."""

import pytest
from csp.utils import build_policy
from django.test import RequestFactory

from config.csp import CachedPolicyCSPMiddleware

pytestmark = pytest.mark.django_db


def test_every_page_carries_the_configured_policy(client):
    response = client.get("/books/")

    assert response["Content-Security-Policy"] == build_policy()
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_a_changed_policy_is_served_at_once(client, settings):
    client.get("/books/")
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}

    assert client.get("/books/")["Content-Security-Policy"] == "default-src 'none'"


def test_a_view_that_changes_its_policy_or_asks_for_a_nonce_gets_django_csps_own_header():
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse

    headers = []
    for middleware_class in (CachedPolicyCSPMiddleware, CSPMiddleware):
        middleware = middleware_class(lambda request: HttpResponse("ok"))
        request = RequestFactory().get("/")
        middleware.process_request(request)
        request._csp_nonce = "fixed-nonce"  # as if a template had asked for one
        response = HttpResponse("ok")
        response._csp_update = {"img-src": ["https://covers.example"]}
        headers.append(middleware.process_response(request, response)["Content-Security-Policy"])

    assert "https://covers.example" in headers[0]
    assert headers[0] == headers[1]


def test_asking_for_a_nonce_after_the_header_is_written_is_an_error():
    from csp.exceptions import CSPNonceError
    from django.http import HttpResponse

    middleware = CachedPolicyCSPMiddleware(lambda request: HttpResponse("ok"))
    request = RequestFactory().get("/")
    middleware.process_request(request)
    middleware.process_response(request, HttpResponse("ok"))

    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
