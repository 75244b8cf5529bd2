"""Who is calling: a personal access token (Authorization: Bearer …), the browser session (with
Django's CSRF check on writes), or, for reads only, nobody. Each also counts the request
against its rate limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import get_adapter
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer, SessionAuth

from . import ratelimit
from .models import AccessToken

READ_ONLY_MESSAGE = "This token is read-only."


@dataclass(frozen=True)
class Caller:
    user: AbstractBaseUser | AnonymousUser
    token: AccessToken | None = None


def client_address(request: HttpRequest) -> str:
    """The client's address as the log-in limits see it (X-Forwarded-For from trusted proxies only)."""
    try:
        return str(get_adapter(request).get_client_ip(request))
    except PermissionDenied:
        return "unknown"


class TokenAuth(HttpBearer):
    """A personal access token. A wrong or revoked one is a 401, never a fall-back to anonymous."""

    def __init__(self, *, write: bool) -> None:
        super().__init__()
        self.write = write

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        found = AccessToken.find(token)
        if found is None:
            ratelimit.check_address(client_address(request))
            raise AuthenticationError(message="This token is not valid or was revoked.")
        ratelimit.check_token(found.pk)
        if self.write and found.read_only:
            raise HttpError(403, READ_ONLY_MESSAGE)
        found.touch()
        request.user = found.member
        return Caller(user=found.member, token=found)


class SessionCaller(SessionAuth):
    """The signed-in browser session; ninja checks the CSRF token on unsafe methods."""

    def _get_key(self, request: HttpRequest) -> str | None:
        # No session, nothing to check: an anonymous write is a 401, not a CSRF failure.
        return super()._get_key(request) if request.user.is_authenticated else None

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        if not request.user.is_authenticated:
            return None
        ratelimit.check_address(client_address(request))
        return Caller(user=request.user)


def anonymous(request: HttpRequest) -> Any:
    """Reads need no credentials; still counted per address."""
    ratelimit.check_address(client_address(request))
    return Caller(user=AnonymousUser())


READ = [TokenAuth(write=False), SessionCaller(), anonymous]
SIGNED_IN = [TokenAuth(write=False), SessionCaller()]
WRITE = [TokenAuth(write=True), SessionCaller()]
