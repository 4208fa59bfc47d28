"""Signed, expiring download links to a certificate's PDF: for channels that cannot send a
file (WeChat). `/download/<number>?e=<expiry, unix seconds>&t=<signature>`.

The link names the certificate number and its expiry only (never an ID number, never the
person's id); the signature is a keyed HMAC of both (IdProtector.token, the key material that
signs verification links, under its own purpose), so a changed number or a later expiry is
refused before the database is read. Links are not single use: the person may open one again
on another phone within its lifetime; a revoked certificate is refused whatever the link."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote

from services.certificates import (
    NUMBER_PATTERN,
    CertificateView,
    ensure_pdf,
    get_certificate,
    normalize_number,
)
from services.context import AppContext

PURPOSE = "certificate-download"
DEFAULT_HOURS = 24
SIGNATURE_LENGTH = 32  # hex digits: 128 bits (the link is a bearer secret for a whole PDF)
MAX_EXPIRY_DIGITS = 12  # unix seconds far beyond any real expiry: bounds the parsing


class DownloadStatus(StrEnum):
    OK = "ok"
    NOT_GENUINE = "not_genuine"  # tampered, truncated or not a link of ours
    EXPIRED = "expired"
    REVOKED = "revoked"
    NOT_FOUND = "not_found"  # genuine, but the certificate is gone


@dataclass(frozen=True)
class Download:
    status: DownloadStatus
    view: CertificateView | None = None  # for OK and REVOKED


def _payload(number: str, expires: int) -> str:
    return f"{normalize_number(number)}:{expires}"


def download_signature(ctx: AppContext, number: str, expires: int) -> str:
    return ctx.ids.token(PURPOSE, _payload(number, expires))[:SIGNATURE_LENGTH]


def download_url(
    ctx: AppContext, number: str, *, now: datetime, hours: float = DEFAULT_HOURS
) -> str:
    """The link, valid for `hours` from `now`."""
    expires = int((now + timedelta(hours=hours)).timestamp())
    number = normalize_number(number)
    signed = download_signature(ctx, number, expires)
    return f"{ctx.public_url.rstrip('/')}/download/{quote(number)}?e={expires}&t={signed}"


def _signature_ok(ctx: AppContext, number: str, expires: int, given: str) -> bool:
    given = given.strip().lower()
    if len(given) != SIGNATURE_LENGTH:
        return False
    # any key still listed: a link given just before a key rotation keeps working
    return any(
        hmac.compare_digest(given, token[:SIGNATURE_LENGTH])
        for token in ctx.ids.tokens(PURPOSE, _payload(number, expires))
    )


async def check_download(
    ctx: AppContext, number: str, expires_text: str | None, given: str | None
) -> Download:
    """What a link is worth now. The signature first (a guessed link learns nothing), then the
    expiry, then the certificate itself."""
    number = normalize_number(number)
    expires_text = (expires_text or "").strip()
    if (
        not NUMBER_PATTERN.match(number)
        or not expires_text.isdigit()
        or len(expires_text) > MAX_EXPIRY_DIGITS
        or not given
        or not _signature_ok(ctx, number, int(expires_text), given)
    ):
        return Download(DownloadStatus.NOT_GENUINE)
    if ctx.now().timestamp() >= int(expires_text):
        return Download(DownloadStatus.EXPIRED)
    view = await get_certificate(ctx, number)
    if view is None:
        return Download(DownloadStatus.NOT_FOUND)
    if not view.live:
        return Download(DownloadStatus.REVOKED, view)
    return Download(DownloadStatus.OK, view)


async def pdf_for(ctx: AppContext, view: CertificateView) -> Path:
    """The stored PDF; rendered (in the render pool, off the event loop) only when missing."""
    return await ensure_pdf(ctx, view)
