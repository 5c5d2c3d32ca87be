"""One logging setup for every minyi process: the web app (``minyi run``, gunicorn) and the scheduler.

Each line reads ``<ISO time with offset> <LEVEL> <logger> [<request id>] <message>``; the request
id is the one of the request being served ("-" outside a request), taken from a sane
``X-Request-Id`` header (a proxy's) or made up, and echoed in the response's ``X-Request-Id``.

Every record passes ``SafeRecords`` before it is written: the values of secret query parameters
are masked (``bot.redact``) and openids are replaced by ``pseudonym(openid)``, a short keyed hash
that follows one user through the logs without naming them. Call sites that log an openid, or a
key that holds one, pass it through ``scrub(text, openid)``; the filter is the safety net for the
rest (the openid of the delivery being handled, anything shaped like a WeChat openid).

Entry points: ``configure_logging()`` (the ``minyi`` command: run, scheduler and the others),
``gunicorn_logconfig_dict()`` (gunicorn's ``logconfig_dict``), ``init_app(app)`` (request ids).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import sys
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.serving import WSGIRequestHandler

from bot.redact import redact

REQUEST_ID_HEADER = "X-Request-Id"
ENVIRON_REQUEST_ID = "minyi.request_id"
NO_REQUEST = "-"
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# gunicorn's access line: %(U)s is the path without the query string (%(r)s would carry the
# signature, nonce and openid WeChat puts there); the request id comes from our response header.
GUNICORN_ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
# Libraries that say too much at INFO.
LOGGER_LEVELS = {"apscheduler": "WARNING", "alembic.runtime.plugins": "WARNING"}

_request_id: ContextVar[str] = ContextVar("minyi_request_id", default=NO_REQUEST)
_delivery_openid: ContextVar[str | None] = ContextVar("minyi_delivery_openid", default=None)

# What a proxy's request id may look like (nginx's $request_id is 32 hex digits); anything else is
# replaced, so a client cannot write into our log lines through the header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# A WeChat openid: 28 characters of the URL-safe base64 alphabet, starting with "o".
_OPENID_SHAPE = re.compile(r"(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])")

# Until ``use_secret_key``, a key of this process alone: pseudonyms are still never openids.
_pseudonym_key = secrets.token_bytes(32)


# -- pseudonyms and scrubbing ------------------------------------------------------------------
def use_secret_key(secret_key: str) -> None:
    """Key pseudonyms with the app's ``secret_key`` (derived, so logs reveal nothing of it): every
    process configured with the same key names a user the same way."""
    global _pseudonym_key
    _pseudonym_key = hmac.new(secret_key.encode(), b"minyi log pseudonyms", hashlib.sha256).digest()


def pseudonym(openid: str) -> str:
    """``u:`` and 10 hex digits of an HMAC of the openid: the same user, the same pseudonym."""
    return "u:" + hmac.new(_pseudonym_key, openid.encode(), hashlib.sha256).hexdigest()[:10]


def scrub(text: str, openid: str | None = None) -> str:
    """``text`` fit for a log line or a stored error: secret query values masked, ``openid``, the
    delivery's openid and anything shaped like an openid replaced by their pseudonyms."""
    text = redact(text)
    for known in (openid, _delivery_openid.get()):
        if known and known in text:
            text = text.replace(known, pseudonym(known))
    return _OPENID_SHAPE.sub(lambda match: pseudonym(match.group(0)), text)


# -- request ids and the delivery being handled ------------------------------------------------
def begin_request(header: str | None) -> str:
    """Start a request's log context: its id is the header's when sane, else a new one."""
    request_id = header if header and _SANE_REQUEST_ID.fullmatch(header) else uuid.uuid4().hex
    _request_id.set(request_id)
    _delivery_openid.set(None)
    return request_id


def end_request() -> None:
    _request_id.set(NO_REQUEST)
    _delivery_openid.set(None)


def current_request_id() -> str:
    return _request_id.get()


def note_delivery(openid: str) -> None:
    """The webhook parsed a delivery from ``openid``: wherever it appears in a line logged during
    this request (a message, an exception's text), its pseudonym is written instead."""
    _delivery_openid.set(openid)


def init_app(app: Flask) -> None:
    """Give every request an id, shown in each line it logs and echoed as ``X-Request-Id``."""

    @app.before_request
    def _begin() -> None:
        request.environ[ENVIRON_REQUEST_ID] = begin_request(request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def _echo(response: Response) -> Response:
        request_id = request.environ.get(ENVIRON_REQUEST_ID)
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response

    @app.teardown_request
    def _end(_error: BaseException | None) -> None:
        end_request()


# -- the filter and the line format ------------------------------------------------------------
class SafeRecords(logging.Filter):
    """Make a record safe to write (see the module's docstring) and give it its request id. It
    changes the record itself, so every handler after it writes the safe text."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "minyi_safe", False):
            return True
        if not hasattr(record, "request_id"):
            record.request_id = _access_request_id(record) or _request_id.get()
        record.msg = scrub(_message(record).rstrip("\n"))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        record.minyi_safe = True
        return True


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # noqa: BLE001 - a call site's bad format string must not lose the line
        return f"{record.msg!s} {record.args!r}"


def _access_request_id(record: logging.LogRecord) -> str | None:
    """gunicorn writes its access line after the request: its id is in the response's header."""
    if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
        value = record.args.get("{" + REQUEST_ID_HEADER.lower() + "}o")  # gunicorn: {header}o
        return value if isinstance(value, str) and _SANE_REQUEST_ID.fullmatch(value) else None
    return None


class LineFormatter(logging.Formatter):
    """``LINE_FORMAT`` with the time in ISO 8601, milliseconds and the local UTC offset."""

    def __init__(self) -> None:
        super().__init__(LINE_FORMAT)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, UTC).astimezone().isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = NO_REQUEST
        return super().format(record)


# -- the setups --------------------------------------------------------------------------------
class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (a test runner swaps it)."""

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def safe_handler(stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) with the filter and the line format."""
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.addFilter(SafeRecords())
    handler.setFormatter(LineFormatter())
    handler.minyi = True  # type: ignore[attr-defined]
    return handler


def configure_logging(verbose: bool = False, stream: Any = None) -> logging.Handler:
    """Send every record through one safe handler (replacing one installed before); INFO, or DEBUG
    when ``verbose``. Used by the ``minyi`` command, and by ``create_app`` when it serves and
    nothing configured logging (``gunicorn 'bot:create_app()'`` without our logconfig_dict)."""
    root = logging.getLogger()
    for old in [handler for handler in root.handlers if getattr(handler, "minyi", False)]:
        root.removeHandler(old)
    handler = safe_handler(stream)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name, level in LOGGER_LEVELS.items():
        logging.getLogger(name).setLevel(level)
    return handler


def gunicorn_logconfig_dict() -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: gunicorn's error and access logs and the app's own records
    through one stderr handler with the filter and the line format. Use it with
    ``access_log_format = GUNICORN_ACCESS_LOG_FORMAT`` (no query strings)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"safe": {"()": f"{__name__}.SafeRecords"}},
        "formatters": {"line": {"()": f"{__name__}.LineFormatter"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                       "filters": ["safe"], "formatter": "line"},
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        # gunicorn.error keeps the level of --log-level; both reach the one handler through root.
        "loggers": {
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
            **{name: {"level": level} for name, level in LOGGER_LEVELS.items()},
        },
    }


class AccessLogRequestHandler(WSGIRequestHandler):
    """``minyi run``'s request line: method, path without the query string, status, size and the
    request id, through logging (werkzeug's own line carries the whole query)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        environ = getattr(self, "environ", None) or {}
        path = urlsplit(getattr(self, "path", "") or "").path or "-"
        extra = {"request_id": environ.get(ENVIRON_REQUEST_ID, NO_REQUEST)}
        logging.getLogger("minyi.access").info('%s "%s %s" %s %s', self.address_string(),
                                               getattr(self, "command", "-"), path, code, size, extra=extra)
