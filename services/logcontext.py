"""The request id of the work in progress (a Telegram update, a web request, a job), carried
in a context variable so that every log line of that work can name it; and `redact`, what every
log line and error report goes through."""

from __future__ import annotations

import contextvars
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from core.idnumber import mask_id_numbers

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("cebot_request_id", default="-")


@contextmanager
def request_scope(request_id: str | None = None) -> Iterator[str]:
    rid = request_id or secrets.token_hex(6)
    token = REQUEST_ID.set(rid)
    try:
        yield rid
    finally:
        REQUEST_ID.reset(token)


# SQLAlchemy appends the statement's parameters (names, hashes, ...) to its messages
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\]$", re.MULTILINE | re.DOTALL)
# a verification token (certificate links) or any other token in a URL's query string
_URL_TOKEN = re.compile(r"([?&](?:t|token|code|start)=)[^&\s\"'#<>]+")


def redact(text: str) -> str:
    """What any log line, traceback or error report may not carry: ID numbers in any shape
    (masked), SQL parameters and URL tokens (dropped)."""
    text = _SQL_PARAMETERS.sub("[parameters hidden]", text)
    text = _URL_TOKEN.sub(r"\1…", text)
    return mask_id_numbers(text)
