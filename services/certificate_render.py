"""Certificates as PDF: Jinja2 templates rendered by WeasyPrint, A4 landscape, Simplified
Chinese (Noto CJK), with the verification QR code embedded as a PNG data URI.

WeasyPrint is CPU-bound pure Python: in a thread it would hold the GIL and stall every other
user's coroutine, so `render_pdf` runs it in a small, lazily created process pool whose workers
run at a lower CPU priority (the bot's event loop wins the CPU when both want it). The pool is
shut down by `shutdown_renderer()` (and at interpreter exit)."""

from __future__ import annotations

import base64
import contextlib
import io
import os
from collections.abc import Mapping
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import qrcode
from qrcode.constants import ERROR_CORRECT_M

from services.worker_pool import WorkerPool

KINDS = ("public_exam", "ce")
TEMPLATE_DIR = Path(str(resources.files("services") / "templates" / "certificates"))


def render_niceness() -> int:
    """CEBOT_RENDER_NICENESS (default 5): render workers yield the CPU to the bot's event loop,
    so a certificate may take a moment longer but a tap does not."""
    configured = os.environ.get("CEBOT_RENDER_NICENESS", "").strip()
    return int(configured) if configured.isdigit() else 5


def render_workers() -> int:
    """CEBOT_RENDER_WORKERS, else one per CPU beyond the first (the event loop keeps one)."""
    configured = os.environ.get("CEBOT_RENDER_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def render_timeout() -> float:
    """CEBOT_RENDER_TIMEOUT (default 120 s): a render still running then is ended in its
    worker (a template or font that never finishes must not hold a worker for good)."""
    configured = os.environ.get("CEBOT_RENDER_TIMEOUT", "").strip()
    with contextlib.suppress(ValueError):
        if configured and float(configured) > 0:
            return float(configured)
    return 120.0


# ------------------------------------------------------------------ synchronous rendering


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a missing field fails loudly, never prints blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn_date"] = cn_date
    return env


def cn_date(value: str | date) -> str:
    """'2024-11-20' -> '2024年11月20日'."""
    d = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{d.year}年{d.month}月{d.day}日"


def qr_data_uri(url: str) -> str:
    """The verification URL as a PNG data URI (a 4-module quiet zone, so phones decode it)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render_html(kind: str, data: Mapping[str, Any], *, number: str, verification_url: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown certificate kind: {kind}")
    template = _environment().get_template(f"{kind}.html.j2")
    return template.render(
        d=data, number=number, verification_url=verification_url, qr=qr_data_uri(verification_url)
    )


@cache
def _font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()  # reused: fontconfig look-ups are cached per process


def render_pdf_sync(
    kind: str, data: Mapping[str, Any], *, number: str, verification_url: str
) -> bytes:
    """Render in this thread (blocks it for ~0.2-0.5 s). The pool calls this."""
    from weasyprint import HTML  # imported late: it is heavy, and only render processes need it

    html = render_html(kind, data, number=number, verification_url=verification_url)
    pdf = HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf(font_config=_font_config())
    assert pdf is not None  # write_pdf without a target returns the bytes
    return pdf


def _render_job(kind: str, data: dict[str, Any], number: str, verification_url: str) -> bytes:
    return render_pdf_sync(kind, data, number=number, verification_url=verification_url)


def _worker_init() -> None:
    with contextlib.suppress(OSError):  # not permitted everywhere: rendering still works
        os.nice(render_niceness())


def _warm_up() -> bool:
    # loads WeasyPrint, fontconfig and the CJK fonts once, so the first user does not wait
    render_pdf_sync(
        "ce",
        {
            "name": "预热",
            "id_masked": "4501**********0000",
            "unit": "",
            "year": 2000,
            "hours": {
                "public_mandatory": "0",
                "public_elective": "0",
                "public": "0",
                "professional": "0",
                "total": "0",
            },
            "issuer": "预热",
            "issued_on": "2000-01-01",
            "mandatory_theme": "",
        },
        number="GX2000-CE-000000",
        verification_url="http://localhost/verify/GX2000-CE-000000?t=0",
    )
    return True


# ------------------------------------------------------------------ the process pool

# the preload makes forks cheap (WeasyPrint and fontconfig imported once, in the forkserver)
_pool = WorkerPool(
    render_workers,
    initializer=_worker_init,
    preload=["services.certificate_render", "weasyprint"],
)


async def render_pdf(
    kind: str, data: Mapping[str, Any], *, number: str, verification_url: str
) -> bytes:
    """Render off the event loop, in the process pool (at most `render_workers()` at once; more
    requests queue). A crashed worker is replaced and the job retried once; a render running
    past `render_timeout()` is ended in its worker and raises TimeoutError."""
    result: bytes = await _pool.run(
        _render_job, kind, dict(data), number, verification_url, timeout=render_timeout()
    )
    return result


async def warm_up_renderer() -> None:
    """Start every worker and load fonts in it; call at start-up or before benchmarking."""
    await _pool.warm_up(_warm_up)


def shutdown_renderer(grace: float | None = None) -> None:
    """Stop the pool's processes (idempotent); the next render starts a new pool. A render
    running then finishes (or ends at its timeout), or with `grace` is stopped after that many
    seconds."""
    _pool.shutdown(grace)
