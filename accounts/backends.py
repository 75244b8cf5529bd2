from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.http import HttpRequest


class AuthenticationBackend(AllauthBackend):
    """allauth's backend, checking each account's password at most once per attempt.

    A login that looks like an e-mail address is tried as an address twice and as a
    username once; a wrong password would run the hasher twice and a right one once, and
    the timing would tell them apart. Django makes a new backend object per attempt.
    """

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> Any:
        self._checked: set[Any] = set()
        return super().authenticate(request, **credentials)

    def _check_password(self, user: Any, password: str) -> bool | None:
        if user is not None:
            if user.pk in self._checked:
                return None
            self._checked.add(user.pk)
        return super()._check_password(user, password)
