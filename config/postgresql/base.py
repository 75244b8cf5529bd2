"""Django's PostgreSQL backend, except that a server which just failed to answer a
connection is not asked again for a moment (DATABASE_RETRY_AFTER, seconds), and that a
statement run on every request can be a prepared one (`fetch_prepared`).

Without this, every query of a request retries the connection and waits the whole
connect timeout again: a page that reads the session, the count and the books took
3 × 2 s to fail against a hung server, and a handful of visitors held every thread,
/healthz included. Hand-written: no maintained package offers it for Django.
"""

import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base
from psycopg.types.numeric import Int8

logger = logging.getLogger(__name__)

# What a connection pooler in transaction mode answers when the server connection it lends
# is not the one that prepared the statement (PgBouncer before 1.21, or without
# max_prepared_statements).
_STATEMENT_LOST = (psycopg.errors.InvalidSqlStatementName, psycopg.errors.DuplicatePreparedStatement)


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

    def fetch_prepared(self, sql: str, params: Sequence[int]) -> list[tuple[Any, ...]]:
        """The rows of `sql` with integer `params`, as a statement the server parsed and planned
        once for this connection: for the statement every cached page runs (books.cache), whose
        parsing and planning were about half of the database's time for a hit (79-92 -> 45-48 µs
        of its CPU per request, measured under wrk).

        On the driver's own cursor with server-side binding: Django's cursors bind on the client
        and are never prepared, so no other query changes. Unprepared when the OPTIONS say
        prepare_threshold None (DATABASE_PREPARED_STATEMENTS=false), and from then on for this
        connection when a pooler loses the statement. Outside a transaction only (the caller's
        to check): a failed statement there would break it.
        """
        self.ensure_connection()
        connection = self.connection
        values = [Int8(value) for value in params]  # one type whatever the value: one statement
        with self.wrap_database_errors, contextlib.closing(psycopg.Cursor(connection)) as cursor:
            try:
                cursor.execute(sql, values, prepare=connection.prepare_threshold is not None)
            except _STATEMENT_LOST:
                connection.prepare_threshold = None
                logger.warning(
                    "The database lost a prepared statement (a connection pooler in transaction mode?): "
                    "running it unprepared. Set DATABASE_PREPARED_STATEMENTS=false behind such a pooler."
                )
                cursor.execute(sql, values, prepare=False)
            return cursor.fetchall()
