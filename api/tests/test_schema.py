"""schemathesis against the live schema, through the WSGI app: every operation, with a full
token, and no answer may be a server error or break the schema it documents."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.models import AccessToken
from tests.factories import BookFactory, ReviewFactory, UserFactory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def _keep_test_connection():
    """The WSGI handler closes the database connection after each request, as in production;
    the test's transaction lives on that connection (Django's test client disconnects it too)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, settings, _keep_test_connection):
    settings.BOOKSTORE_API_RATE_PER_ADDRESS = "0/m"  # 0: unlimited; the limits have their own test
    settings.BOOKSTORE_API_RATE_PER_TOKEN = "0/m"
    member = UserFactory(username="alice")
    book = BookFactory(creator=member)
    ReviewFactory(book=book, author=member)
    return AccessToken.issue(member=member, name="schemathesis", read_only=False)[1]


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
