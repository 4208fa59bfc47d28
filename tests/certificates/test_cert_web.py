"""The verification page through Starlette's TestClient: the QR code on the PDF leads to it;
valid, revoked, not found and not genuine pages; nothing leaks; the rate limit holds."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from starlette.testclient import TestClient

from core.rules import RecordStatus
from services.certificates import (
    CertificateKind,
    decode_qr,
    issue_certificate,
    recheck_certificates,
    signature,
    verification_url,
)
from services.context import AppContext
from tests.certificates.helpers import LI_NA, Demo, pdf_qr_codes, set_record_status, web_context
from web import RateLimiter, build_web_app


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_qr_code_leads_to_a_valid_page(ctx: AppContext, demo: Demo, tmp_path: Path) -> None:
    cert = await issue_certificate(ctx, demo.li_na, 2024, CertificateKind.CE)
    assert cert.file_path is not None
    [url] = pdf_qr_codes(cert.file_path, tmp_path)
    assert url == verification_url(ctx, cert.number)

    web = web_context(ctx)
    with TestClient(build_web_app(web)) as client:
        page = client.get(path_of(url))
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        html = page.text
        assert 'data-status="valid"' in html and "证书有效" in html
        assert "专业技术人员继续教育合格证书" in html and cert.number in html
        assert "李*" in html and "4502**********0325" in html and "90 学时" in html
        assert "李娜" not in html and LI_NA not in html
        assert 'name="viewport"' in html  # readable on a phone
        assert client.get("/healthz").text == "ok"
    await web.db.dispose()


async def test_revoked_tampered_and_unknown_pages(ctx: AppContext, demo: Demo) -> None:
    cert = await issue_certificate(ctx, demo.li_na, 2024, CertificateKind.CE)
    await set_record_status(ctx, demo.li_na, "ZY2024-033", RecordStatus.REVOKED.value)
    assert await recheck_certificates(ctx, demo.li_na, 2024)
    good = signature(ctx, cert.number)

    web = web_context(ctx)
    with TestClient(build_web_app(web)) as client:
        revoked = client.get(f"/verify/{cert.number}?t={good}")
        assert revoked.status_code == 200
        assert 'data-status="revoked"' in revoked.text and "证书已撤销" in revoked.text
        assert "2024-11-20" in revoked.text and "李*" in revoked.text

        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        ghost = "GX2024-CE-999999"
        for path in (
            f"/verify/{cert.number}?t={bad}",
            f"/verify/{cert.number}",
            f"/verify/{ghost}?t={good}",
            "/verify/" + "9" * 200 + f"?t={good}",
            "/verify/%3Cscript%3E?t=1",
        ):
            page = client.get(path)
            assert page.status_code == 404, path
            assert 'data-status="not_genuine"' in page.text and "无法验证此证书" in page.text
            for secret in ("李*", "4502", cert.number, "学时"):
                assert secret not in page.text, (path, secret)
            assert "<script>" not in page.text

        unknown = client.get(f"/verify/{ghost}?t={signature(ctx, ghost)}")
        assert unknown.status_code == 404 and 'data-status="not_found"' in unknown.text
    await web.db.dispose()


async def test_rate_limit_per_client(ctx: AppContext) -> None:
    web = web_context(ctx)
    app = build_web_app(web, limiter=RateLimiter(limit=5, window=60))
    with TestClient(app) as client:
        codes = [client.get("/verify/GX2024-CE-000001?t=0").status_code for _ in range(7)]
        assert codes == [404] * 5 + [429, 429]
        limited = client.get("/verify/GX2024-CE-000001?t=0")
        assert "查询过于频繁" in limited.text and limited.headers["retry-after"] == "60"
        assert client.get("/healthz").status_code == 200  # health is never limited
    await web.db.dispose()


def test_rate_limiter_window_and_memory_bound() -> None:
    now = [0.0]
    limiter = RateLimiter(limit=2, window=10, max_keys=3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]
    now[0] = 10.5  # the window slid past both hits
    assert limiter.allow("a")
    for key in ("b", "c", "d", "e"):
        limiter.allow(key)
    assert len(limiter._hits) == 3 and "a" not in limiter._hits


async def test_qr_code_in_a_photo_is_decoded(ctx: AppContext, demo: Demo, tmp_path: Path) -> None:
    cert = await issue_certificate(ctx, demo.li_na, 2024, CertificateKind.CE)
    assert cert.file_path is not None
    pdf_qr_codes(cert.file_path, tmp_path)  # leaves the 150 dpi page image behind
    photo = (tmp_path / f"{cert.file_path.stem}-page.png").read_bytes()
    assert decode_qr(photo) == [verification_url(ctx, cert.number)]
    assert decode_qr(b"not an image") == []
