"""Logging for every cebot process: one line per record, plain or JSON (CEBOT_LOG_FORMAT=json
for log collectors), each with the request id, and never a full ID number: whatever a library
logs (PTB at DEBUG logs whole updates, an exception may quote a value, uvicorn logs every
request line) is masked at the last step, after formatting, so no path around it exists.

uvicorn's own loggers ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi") are sent
through the same handler, whatever configured them before, and the access line loses its query
string (verification tokens `?t=…`) and has an ID number in its path masked (`/verify/<ID>`)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO
from urllib.parse import unquote

from core.idnumber import mask_id_numbers
from services.logcontext import REQUEST_ID, redact

__all__ = ["AccessPathFilter", "RedactingFormatter", "configure_logging", "redact"]

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


class RedactingFormatter(logging.Formatter):
    def __init__(self, *, as_json: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = REQUEST_ID.get()
        if not self.as_json:
            return redact(super().format(record))
        # each field masked before json.dumps: escaping (\t, \n) would hide separators
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": REQUEST_ID.get(),
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact(record.exc_text)
        return redact(json.dumps(entry, ensure_ascii=False))


def safe_path(path: str) -> str:
    """A request path for the log: no query string, no ID number (also percent-encoded)."""
    bare = path.split("?", 1)[0].split("#", 1)[0]
    decoded = unquote(bare)
    masked = mask_id_numbers(decoded)
    return bare if masked == decoded else masked


class AccessPathFilter(logging.Filter):
    """Rewrites uvicorn's access record ('%s - "%s %s HTTP/%s" %d': client, method, path with
    query, version, status) before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], safe_path(args[2]), *args[3:])
        return True


_ACCESS_FILTER = AccessPathFilter()


def route_uvicorn_logs() -> None:
    """uvicorn's loggers without handlers or levels of their own (its default config adds
    handlers that bypass ours), propagating to the root's redacting handler at its level."""
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True
        logger.disabled = False
        logger.setLevel(logging.NOTSET)
    access = logging.getLogger("uvicorn.access")
    if _ACCESS_FILTER not in access.filters:
        access.addFilter(_ACCESS_FILTER)


def configure_logging(
    level: str | int = "WARNING", *, as_json: bool = False, stream: TextIO | None = None
) -> logging.Handler:
    """Replace the root handlers with one redacting handler; returns it."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter(as_json=as_json))
    # a second line of defence: an access record reaching this handler by another logger
    handler.addFilter(_ACCESS_FILTER_FOR_HANDLER)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every Bot API call at INFO, token included in the URL: keep it at WARNING
    logging.getLogger("httpx").setLevel(logging.WARNING)
    route_uvicorn_logs()
    return handler


class _AccessRecordsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access":
            _ACCESS_FILTER.filter(record)
        return True


_ACCESS_FILTER_FOR_HANDLER = _AccessRecordsOnly()
