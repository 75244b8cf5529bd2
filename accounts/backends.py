import functools
from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models.sql import Query
from django.http import HttpRequest

from .db import checks_connection


class AuthenticationBackend(AllauthBackend):
    """allauth's backend, checking each account's password at most once per attempt.

    A login that looks like an e-mail address is tried as an address twice and as a
    username once; a wrong password would run the hasher twice and a right one once, and
    the timing would tell them apart. Django makes a new backend object per attempt.

    It also loads the signed-in member on each request without the ORM's query building
    (`get_user`).
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

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:
        """ModelBackend.get_user: the member with this id, if they may sign in; else None.

        Every request with a session cookie asks this before anything else, and no cache
        may answer it: a member deactivated or a password changed must count at the next
        request. The ORM's `get()` compiles the same one-row query every time; measured on
        PostgreSQL, that was about 600 µs of a member's page and this is about 250 µs (the
        same statement, compiled once per database, and the model built from its row with
        the ORM's own converters). Written here because no library offers a precompiled lookup.
        """
        user_model = get_user_model()
        try:
            pk = user_model._meta.pk.to_python(user_id)
        except ValidationError:
            return None  # not an id at all (a tampered or foreign session): nobody
        alias = router.db_for_read(user_model)
        sql, names = _user_by_pk_statement(user_model, alias)

        def read() -> Any:
            with connections[alias].cursor() as cursor:
                cursor.execute(sql, [pk])
                return cursor.fetchone()

        # The first statement of a signed-in request unless a cached page read the version
        # first: it stands in for the connection's health check (one round trip fewer).
        row = checks_connection(connections[alias], read)
        if row is None:
            return None
        # The compiler's own converters (SQLite's datetimes made aware, a field's
        # from_db_value), for the same columns in the same order.
        compiler = Query(user_model).get_compiler(alias)
        converters = compiler.get_converters([field.cached_col for field in user_model._meta.concrete_fields])
        (values,) = compiler.apply_converters([row], converters)
        user = user_model.from_db(alias, names, values)
        return user if self.user_can_authenticate(user) else None


@functools.cache
def _user_by_pk_statement(user_model: type[AbstractBaseUser], alias: str) -> tuple[str, list[str]]:
    """`SELECT <every column> FROM <users> WHERE <pk> = %s`, compiled by the ORM once."""
    names = [field.attname for field in user_model._meta.concrete_fields]
    query = user_model._default_manager.filter(pk=0).values_list(*names).query
    sql, _params = query.get_compiler(alias).as_sql()
    return sql, names
