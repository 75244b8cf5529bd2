"""Django's PostgreSQL backend, except that a server which just failed to answer a
connection is not asked again for a moment (DATABASE_RETRY_AFTER, seconds), and that the
statement every cached page runs is a prepared one (`fetch_prepared`).

Without the first, every query of a request retries the connection and waits the whole
connect timeout again: a page that reads the session, the count and the books took
3 × 2 s to fail against a hung server, and a handful of visitors held every thread,
/healthz included. Hand-written: no maintained package offers it for Django.
"""

import functools
import hashlib
import time
from collections.abc import Sequence
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base
from psycopg import pq

# SQLSTATEs of PREPARE and EXECUTE: a statement this server connection never prepared (a new
# connection; or, behind a pooler in transaction mode, another server connection than the
# last one), and one it already has (prepared there through the pooler by another client).
_NOT_PREPARED = "26000"
_ALREADY_PREPARED = "42P05"
_ANSWERED = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)


class DatabaseWrapper(base.DatabaseWrapper):
    # The libpq connection fetch_prepared last prepared on, and the statements it prepared there.
    _prepared_on: Any = None
    _prepared_names: set[bytes]
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

    def fetch_prepared(self, sql: str, params: Sequence[int]) -> list[tuple[str | None, ...]]:
        """The rows of `sql` (placeholders $1, $2, ...) with integer `params`, as text, run as a
        statement the server parsed and planned once: the version read every cached page runs
        (books.cache). Outside a transaction only, the caller's to check: the statement it
        sends first may fail (not prepared on this connection yet), which would break one.

        Hand-written on libpq (psycopg's own `pgconn`), where psycopg's cursor does the same
        job: for this one statement, measured per call in one process against the database
        of `make bench`, psycopg's client-side cursor (Django's) cost about 89 µs of this
        process's CPU and 83–95 µs of the database's (parsing and planning every time); its
        prepared cursor 69–93 and 50–57; libpq's own prepared call 31–47 and 35–52. A hit
        costs about 0.7 ms of CPU all told, so that is a tenth of it.

        Prepared before its first run on each connection and named after the statement, so it
        also works behind a pooler in transaction mode (PgBouncer) that lends another server
        connection to the next statement: where the server says it lacks it, it is prepared
        again, and if even the statement right after PREPARE meets a connection without it,
        it runs unprepared.
        """
        self.ensure_connection()
        pgconn = self.connection.pgconn
        name = _statement_name(sql)
        values: list[bytes | None] = [str(int(value)).encode() for value in params]
        if self._prepared_on is not pgconn:  # a new connection: prepared nothing yet
            self._prepared_on, self._prepared_names = pgconn, set()
        with self.wrap_database_errors:
            if name not in self._prepared_names:
                # Prepared before its first run, not after a failed one: each failed statement
                # is an ERROR line in the server's log, once per new connection otherwise.
                _prepare(pgconn, name, sql)
                self._prepared_names.add(name)
            result = pgconn.exec_prepared(name, values)
            if _sqlstate(result) == _NOT_PREPARED:  # a pooler lent another server connection
                _prepare(pgconn, name, sql)
                result = pgconn.exec_prepared(name, values)
                if _sqlstate(result) == _NOT_PREPARED:
                    result = pgconn.exec_params(sql.encode(), values)
            _raise_for(pgconn, result)
            fields = range(result.nfields)
            # Text in UTF-8: Django sets the connection's client_encoding to UTF8.
            return [
                tuple([None if (cell := result.get_value(row, field)) is None else cell.decode() for field in fields])
                for row in range(result.ntuples)
            ]


@functools.lru_cache(maxsize=64)
def _statement_name(sql: str) -> bytes:
    return b"bookstore_" + hashlib.sha256(sql.encode()).hexdigest()[:16].encode()


def _prepare(pgconn: Any, name: bytes, sql: str) -> None:
    """PREPARE `sql` as `name` on this server connection; one it already has is fine (prepared
    there through a pooler by another client)."""
    prepared = pgconn.prepare(name, sql.encode())
    if _sqlstate(prepared) != _ALREADY_PREPARED:
        _raise_for(pgconn, prepared)


def _sqlstate(result: Any) -> str:
    state = result.error_field(pq.DiagnosticField.SQLSTATE)
    return state.decode("ascii") if state else ""


def _raise_for(pgconn: Any, result: Any) -> None:
    """The exception psycopg would raise for a failed `result`: the server's own error class,
    or OperationalError when the connection broke (no SQLSTATE), which Django then closes and
    accounts.db.checks_connection retries on a new one."""
    if result.status in _ANSWERED:
        return
    if pgconn.status == pq.ConnStatus.BAD or not _sqlstate(result):
        raise psycopg.OperationalError(result.error_message.decode(errors="replace").strip() or "connection lost")
    raise psycopg.errors.error_from_result(result, encoding="utf-8")
