"""GET /verify/{number}?t=<signature>: a phone-readable page in Chinese stating whether a
certificate is valid, revoked, not found or not genuine, with masked data only.

Enumeration: the signature is checked before the database is read, so a guessed number learns
nothing; on top, an in-process sliding-window limiter per client IP slows guessing. With several
workers each keeps its own counts, so a deployment behind a proxy must limit there too (e.g.
nginx `limit_req` on /verify/), and run uvicorn with --proxy-headers so the client IP is real.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from services.certificates import KIND_HOURS, Verification, VerifyStatus, verify
from services.context import AppContext
from services.i18n import translator

TEMPLATE_DIR = Path(str(resources.files("web") / "templates"))
MAX_NUMBER_LENGTH = 40
# the token is a bearer secret: no caching, no Referer leaking it, no indexing, no scripts
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
}


class RateLimiter:
    """At most `limit` hits per `window` seconds per key (a sliding window). Keeps at most
    `max_keys` keys: the least recently seen are dropped first, so a flood of addresses
    cannot exhaust memory."""

    def __init__(
        self,
        limit: int = 30,
        window: float = 60.0,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()  # cheap, and safe should a thread ever call allow()

    def allow(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            allowed = len(hits) < self.limit
            if allowed:
                hits.append(now)
            self._hits[key] = hits  # re-inserted: now the most recently seen
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
            return allowed


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(result: Verification | None, language: str = "zh") -> str:
    """The page for a verification result; None means "rate limited"."""
    t = translator(language)
    hours: list[tuple[str, str]] = []
    if result is not None and result.kind is not None:
        hours = [
            (t(f"cert-hours-{key}"), t("cert-hours-unit", hours=result.hours[key]))
            for key in KIND_HOURS[result.kind]
            if key in result.hours
        ]
    return (
        _environment()
        .get_template("verify.html.j2")
        .render(t=t, r=result, hours=hours, lang="zh-CN" if language == "zh" else "en")
    )


def _client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def verification_routes(ctx: AppContext, *, limiter: RateLimiter | None = None) -> list[BaseRoute]:
    """The verification page, for mounting in another Starlette app (the webhook's)."""
    limiter = limiter or RateLimiter()
    language = "zh"  # the page is for anyone holding the paper: Chinese, whatever the bot uses

    async def verify_page(request: Request) -> Response:
        if not limiter.allow(_client_key(request)):
            return HTMLResponse(
                render_page(None, language),
                status_code=429,
                headers={**SECURITY_HEADERS, "Retry-After": str(int(limiter.window))},
            )
        number = request.path_params["number"]
        given = request.query_params.get("t")
        if len(number) > MAX_NUMBER_LENGTH:
            result = Verification(VerifyStatus.NOT_GENUINE)
        else:
            result = await verify(ctx, number, given)
        found = result.status in (VerifyStatus.VALID, VerifyStatus.REVOKED)
        return HTMLResponse(
            render_page(result, language),
            status_code=200 if found else 404,
            headers=SECURITY_HEADERS,
        )

    return [Route("/verify/{number}", verify_page, methods=["GET"])]


def build_web_app(ctx: AppContext, *, limiter: RateLimiter | None = None) -> Starlette:
    """Verification and health on their own (no Telegram)."""
    from web.download import download_routes
    from web.ops import ops_routes
    from web.privacy import privacy_route
    from web.upload import upload_routes

    return Starlette(
        routes=[
            *verification_routes(ctx, limiter=limiter),
            *download_routes(ctx),
            *upload_routes(ctx),
            *ops_routes(ctx),
            privacy_route(),
        ]
    )
