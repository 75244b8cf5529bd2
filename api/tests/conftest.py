import pytest
from django.test import Client

from api.models import AccessToken
from tests.factories import ReviewFactory

API = "/api/v1"


class Caller:
    """A client that calls the API as one kind of caller."""

    def __init__(self, name, client, headers=None, csrf=False):
        self.name = name
        self.client = client
        self.headers = headers or {}
        self.csrf = csrf

    def call(self, method, path, json=None, **kwargs):
        headers = dict(self.headers)
        if self.csrf and method.lower() not in ("get", "head"):
            headers["X-CSRFToken"] = self.client.cookies["csrftoken"].value
        if json is not None:
            kwargs.update(data=json, content_type="application/json")
        return getattr(self.client, method.lower())(f"{API}{path}", headers=headers, **kwargs)


def token_caller(name, member, read_only=False):
    _token, secret = AccessToken.issue(member=member, name=name, read_only=read_only)
    return Caller(name, Client(), {"Authorization": f"Bearer {secret}"})


def session_caller(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    client.get("/api/tokens/")  # sets the CSRF cookie, as any page with a form does
    return Caller("owner", client, csrf=True)


@pytest.fixture
def review(book, member):
    return ReviewFactory(book=book, author=member, review="A classic.", rating=5)


class Callers(dict):
    """Each kind of caller, made on first use (a test usually needs one)."""

    def __init__(self, member, other_member):
        super().__init__()
        self.makers = {
            "anonymous": lambda: Caller("anonymous", Client()),
            "read_token": lambda: token_caller("read", member, read_only=True),
            "full_token": lambda: token_caller("full", member),
            "other": lambda: token_caller("other", other_member),
            "owner": lambda: session_caller(member),
        }

    def __missing__(self, name):
        self[name] = self.makers[name]()
        return self[name]


@pytest.fixture
def callers(member, other_member):
    return Callers(member, other_member)
