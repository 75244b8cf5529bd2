"""Django's PostgreSQL backend, except that a server which just failed to answer a
connection is not asked again for a moment (DATABASE_RETRY_AFTER, seconds).

Without this, every query of a request retries the connection and waits the whole
connect timeout again: a page that reads the session, the count and the books took
3 × 2 s to fail against a hung server, and a handful of visitors held every thread,
/healthz included. Hand-written: no maintained package offers it for Django.
"""

import time
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    # Per process: every thread's connection gives up together.
    _unreachable_until = 0.0

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        if time.monotonic() < DatabaseWrapper._unreachable_until:
            raise psycopg.OperationalError("the database did not answer a moment ago; not retried yet")
        try:
            connection = super().get_new_connection(conn_params)
        except psycopg.OperationalError:
            DatabaseWrapper._unreachable_until = time.monotonic() + settings.DATABASE_RETRY_AFTER
            raise
        DatabaseWrapper._unreachable_until = 0.0
        return connection
