"""Log formatting for production: one JSON object per line on stdout, never a secret.

Imported by gunicorn's master before Django is set up: no Django settings or models here.
Every record passes through `redact()` (docs/ARCHITECTURE.md, "In production").
"""

from __future__ import annotations

import contextvars
import datetime
import functools
import logging
import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

REDACTED = "[redacted]"

# The request being served, set by config.middleware.RequestLogMiddleware; "-" outside one.
request_id_var = contextvars.ContextVar("request_id", default="-")

# On the request log's records (config.middleware): the names of its extra fields, in order,
# which JsonFormatter then writes without the library's generic passes. Its leading
# underscore keeps the library from writing it as a field itself.
REQUEST_LINE = "_request_line"

_SENSITIVE_NAME = r"[\w.-]*(?:passw(?:or)?d|secret|signature|credential|token|api[_-]?key|sessionid|csrf)[\w.-]*"
_SENSITIVE_NAME_RE = re.compile(rf"^{_SENSITIVE_NAME}$", re.IGNORECASE)
_REDACTIONS = [
    # A query string anywhere: "?" then a run without spaces holding a "=".
    (re.compile(r"\?(?=[^\s\"'<>]*=)[^\s\"'<>]+"), f"?{REDACTED}"),
    # user:password@ inside a URL (DATABASE_URL, REDIS_URL, EMAIL_URL).
    (re.compile(r"(://[^:/?#\s@]+):[^@/?#\s]+@"), rf"\1:{REDACTED}@"),
    # name=value / name: value pairs whose name says secret (X-Amz-Credential=..., password: ...).
    (re.compile(rf"({_SENSITIVE_NAME})(['\"]?\s*[=:]\s*['\"]?)([^\s'\"&,;)}}\]]+)", re.IGNORECASE), rf"\1\2{REDACTED}"),
    # allauth's password-reset and e-mail confirmation keys travel in the path.
    (re.compile(r"(/password/reset/key/)(?!\w+-set-password/)[^/\s\"']+"), rf"\1{REDACTED}"),
    (re.compile(r"(/confirm-email/)[^/\s\"']+"), rf"\1{REDACTED}"),
]


# Every redaction above needs one of these in the text: most log fields (level, logger, a
# path, a timestamp) have none, and one search skips the five substitutions for them.
_MAY_NEED_REDACTION = re.compile(
    r"[?@]|passw|secret|signature|credential|token|api[_-]?key|sessionid|csrf|confirm-email", re.IGNORECASE
)


def redact(text: str) -> str:
    """`text` with every secret-looking part replaced by a placeholder."""
    if not _MAY_NEED_REDACTION.search(text):
        return text
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


@functools.lru_cache(maxsize=1024)
def _sensitive_name(key: str) -> bool:
    # A record's field names are the same dozen on every line: one regex match each per
    # process, not per line (the request log writes a line per request).
    return bool(_SENSITIVE_NAME_RE.match(key))


_PLAIN = (str, int, float, bool, type(None))


def _redact_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """A record's fields, redacted: `_redact_value` of the dict, with one search for all its
    strings instead of one each (a request line has six; most hold nothing to redact)."""
    strings = [value for value in fields.values() if type(value) is str]
    # Joined by a character no alternative of the search matches, so no match can span two.
    clean = not _MAY_NEED_REDACTION.search("\x00".join(strings))
    return {
        key: REDACTED
        if _sensitive_name(str(key))
        else value
        if clean and type(value) in _PLAIN
        else _redact_value(value)
        for key, value in fields.items()
    }


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: REDACTED if _sensitive_name(str(key)) else _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redact_value(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if hasattr(value, "method") and hasattr(value, "path") and hasattr(value, "META"):
        # Django puts the HttpRequest on django.request/django.security records; its repr
        # carries the full query string. Method and path are what matter.
        return redact(f"{value.method} {value.path}")
    return redact(str(value))


class RequestIdFilter(logging.Filter):
    """Stamps every record with the id of the request being served (or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(_LibraryJsonFormatter):
    """python-json-logger's formatter, with every field (and the traceback) redacted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return _redact_fields(log_data)

    def format(self, record: logging.LogRecord) -> str:
        fields = record.__dict__.get(REQUEST_LINE)
        if (
            fields
            and not (record.exc_info or record.exc_text or record.stack_info or isinstance(record.msg, dict))
            and not (self.defaults or self.rename_fields_keep_missing)
        ):
            return self._request_line(record, fields)
        return super().format(record)

    def _request_line(self, record: logging.LogRecord, fields: tuple[str, ...]) -> str:
        """The request log's line: the JSON the library writes for it (a test compares the
        two), built from the fields the record names instead of the library's passes over
        every attribute of the record, its defaults and its renames.

        Hand-written for this one line because there is one per request: under wrk, a cached
        page went from 0.57 to 0.61 of the yardstick's bare view with it (docs/ARCHITECTURE.md,
        "Caching"). Any other record, and this one with a traceback, takes the library's way.
        """
        record.message = record.getMessage()
        if "asctime" in self._required_fields:
            record.asctime = self.formatTime(record, self.datefmt)
        log_data = {self._get_rename(field): record.__dict__.get(field) for field in self._required_fields}
        for key, value in self.static_fields.items():
            log_data[self._get_rename(key)] = value
        for name in fields:
            log_data[self._get_rename(name)] = record.__dict__[name]
        if self.timestamp:
            key = self.timestamp if isinstance(self.timestamp, str) else "timestamp"
            log_data[self._get_rename(key)] = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
        return self.serialize_log_record(self.process_log_record(log_data))


class PlainFormatter(logging.Formatter):
    """Human-readable lines for a developer's terminal, redacted like the JSON ones."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return redact(super().format(record))


JSON_FORMAT = "%(levelname)s %(name)s %(message)s %(request_id)s"
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """The `LOGGING` dict: everything to stdout, JSON or plain, through the redacting filter."""
    if log_format == "json":
        # No JSON line says where it was logged from (funcName, lineno, pathname), nor its
        # thread's or process's name: the logging HOWTO's "Optimization" switches, which skip
        # a walk up the stack and two look-ups for every record (about 7 of a request line's
        # 30 µs). The process id stays (gunicorn's own format shows it). Plain lines are a
        # developer's: there they all stay.
        logging._srcfile = None
        logging.logThreads = False
        logging.logMultiprocessing = False
    formatter = (
        {"()": "config.logging.JsonFormatter", "fmt": JSON_FORMAT}
        if log_format == "json"
        else {"()": "config.logging.PlainFormatter", "format": PLAIN_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # Through the root handler only: Django's defaults would also print to stderr
            # (debug) or mail admins, so a line could show twice, unredacted.
            "django": {"level": "INFO", "propagate": True},
            # runserver's own access line; the request log already has one per request.
            "django.server": {"level": "WARNING", "propagate": True},
            # Django's own logger would add a second line for every 4xx (the request log
            # already has one); 5xx still come with their traceback.
            "django.request": {"level": "ERROR"},
            # botocore logs request details at DEBUG; never let it print signed URLs or keys.
            "botocore": {"level": "WARNING"},
            "boto3": {"level": "WARNING"},
            "s3transfer": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
        },
    }
