"""Logging for every cebot process: one line per record, plain or JSON (CEBOT_LOG_FORMAT=json
for log collectors), each with the request id, and never a full ID number: whatever a library
logs (PTB at DEBUG logs whole updates, an exception may quote a value) is masked at the last
step, after formatting, so no path around it exists."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from core.idnumber import mask_id_numbers
from services.logcontext import REQUEST_ID


def redact(text: str) -> str:
    return mask_id_numbers(text)


class RedactingFormatter(logging.Formatter):
    def __init__(self, *, as_json: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = REQUEST_ID.get()
        if not self.as_json:
            return redact(super().format(record))
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": REQUEST_ID.get(),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False))


def configure_logging(
    level: str | int = "WARNING", *, as_json: bool = False, stream: TextIO | None = None
) -> logging.Handler:
    """Replace the root handlers with one redacting handler; returns it."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter(as_json=as_json))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every Bot API call at INFO, token included in the URL: keep it at WARNING
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler
