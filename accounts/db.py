"""A request's first statement as the database connection's health check.

Here because the member read (accounts.backends) is one such statement and books, whose
version read is the other, already depends on this app; config/ is not for apps to import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import InterfaceError, OperationalError

T = TypeVar("T")


def checks_connection(connection: Any, statement: Callable[[], T]) -> T:
    """`statement()`, run so that it stands in for the health check of a kept connection.

    With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first statement of every
    request on a kept connection: one more round trip to the database each time (80–110 µs
    here). The version read of a cached page and the member read of a signed-in request are
    the first statements of their requests, and reads that may safely run twice: on a kept
    connection the database dropped (a restart, a dropped link), the statement fails, the
    connection is closed and the statement runs again on a new one, which is what a failed
    check does. Anywhere else (no kept connection, checks off or already done this request,
    inside a transaction, whose broken state is Django's to report) it simply runs.

    Hand-written: Django has no way to say "this statement is the check".
    """
    if (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    ):
        connection.health_check_done = True
        try:
            return statement()
        except (OperationalError, InterfaceError):
            connection.close()
    return statement()
