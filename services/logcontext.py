"""The request id of the work in progress (a Telegram update, a web request, a job), carried
in a context variable so that every log line of that work can name it."""

from __future__ import annotations

import contextvars
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("cebot_request_id", default="-")


@contextmanager
def request_scope(request_id: str | None = None) -> Iterator[str]:
    rid = request_id or secrets.token_hex(6)
    token = REQUEST_ID.set(rid)
    try:
        yield rid
    finally:
        REQUEST_ID.reset(token)
