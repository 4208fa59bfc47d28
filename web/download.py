"""GET /download/{number}?e=<expiry>&t=<signature>: the certificate's PDF for a signed,
unexpired link (services/download_links.py), else a short page saying why: 403 for a link
that is not genuine, 410 for an expired link or a revoked certificate, 404 for one that is
gone. Chinese by default, English by ?lang=en or the browser's Accept-Language."""

from __future__ import annotations

import logging
from functools import cache
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from services.context import AppContext
from services.download_links import Download, DownloadStatus, check_download, pdf_for
from services.i18n import translator
from services.policies import local_today
from web.verify import MAX_NUMBER_LENGTH, SECURITY_HEADERS, TEMPLATE_DIR, RateLimiter

log = logging.getLogger(__name__)
DOWNLOAD_PATH = "/download/{number}"
STATUS_CODES = {
    DownloadStatus.NOT_GENUINE: 403,
    DownloadStatus.EXPIRED: 410,
    DownloadStatus.REVOKED: 410,
    DownloadStatus.NOT_FOUND: 404,
}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_language(request: Request) -> str:
    """?lang=en|zh first, then the first language the browser names that we have."""
    asked = request.query_params.get("lang", "").lower()
    if asked in ("zh", "en"):
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"


def render_refusal(result: Download | None, language: str) -> str:
    """The page for a refused link; None: the file could not be had right now."""
    t = translator(language)
    status = "unavailable" if result is None else result.status.value
    if result is not None and result.status is DownloadStatus.REVOKED and result.view:
        revoked = result.view.revoked_at
        detail = t(
            "dl-status-revoked-detail",
            number=result.view.number,
            date="" if revoked is None else local_today(revoked).isoformat(),
        )
    else:
        detail = t(f"dl-status-{status}-detail")
    return (
        _environment()
        .get_template("download.html.j2")
        .render(t=t, status=status, detail=detail, lang="zh-CN" if language == "zh" else "en")
    )


def download_routes(ctx: AppContext, *, limiter: RateLimiter | None = None) -> list[BaseRoute]:
    limiter = limiter or RateLimiter()

    async def download(request: Request) -> Response:
        language = page_language(request)
        if not limiter.allow(request.client.host if request.client else "unknown"):
            return HTMLResponse(
                render_refusal(Download(DownloadStatus.NOT_GENUINE), language),
                status_code=429,
                headers={**SECURITY_HEADERS, "Retry-After": str(int(limiter.window))},
            )
        number = request.path_params["number"]
        if len(number) > MAX_NUMBER_LENGTH:
            result = Download(DownloadStatus.NOT_GENUINE)
        else:
            result = await check_download(
                ctx, number, request.query_params.get("e"), request.query_params.get("t")
            )
        if result.status is not DownloadStatus.OK or result.view is None:
            return HTMLResponse(
                render_refusal(result, language),
                status_code=STATUS_CODES.get(result.status, 403),
                headers=SECURITY_HEADERS,
            )
        try:
            path = await pdf_for(ctx, result.view)
        except Exception:
            log.exception("certificate %s: the PDF could not be had", result.view.number)
            return HTMLResponse(
                render_refusal(None, language), status_code=503, headers=SECURITY_HEADERS
            )
        name = result.view.download_name
        return FileResponse(
            path,
            media_type="application/pdf",
            headers={
                **SECURITY_HEADERS,
                # the bot's own file name; RFC 5987 for its Chinese title, an ASCII fallback
                "Content-Disposition": (
                    f'attachment; filename="{result.view.number}.pdf"; '
                    f"filename*=UTF-8''{quote(name)}"
                ),
            },
        )

    return [Route(DOWNLOAD_PATH, download, methods=["GET"])]
