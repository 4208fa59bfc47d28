"""A real browser: headless Chromium opens a valid, a revoked and a tampered link served by
uvicorn on loopback and we read the DOM it built. Skipped when Debian's `chromium` is absent,
unless CEBOT_REQUIRE_BROWSER=1 (then it fails)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from core.rules import RecordStatus
from services.certificates import (
    CertificateKind,
    issue_certificate,
    recheck_certificates,
    signature,
)
from services.context import AppContext
from tests.certificates.helpers import LI_NA, Demo, set_record_status, web_context
from web import build_web_app

CHROMIUM = os.environ.get("CEBOT_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The page, not storage, is under test here: SQLite is enough (storage tests run both)."""
    return sqlite_url


def chromium_or_skip() -> str:
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if found is None:
        reason = f"headless Chromium not installed ({CHROMIUM}; apt-get install chromium)"
        if os.environ.get("CEBOT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and CEBOT_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(ctx: AppContext) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        build_web_app(ctx), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def dump_dom(browser: str, url: str, profile: Path) -> str:
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


async def test_valid_revoked_and_tampered_links_in_chromium(
    ctx: AppContext, demo: Demo, tmp_path: Path
) -> None:
    browser = chromium_or_skip()
    valid = await issue_certificate(ctx, demo.li_na, 2024, CertificateKind.PUBLIC_EXAM)
    revoked = await issue_certificate(ctx, demo.li_na, 2024, CertificateKind.CE)
    await set_record_status(ctx, demo.li_na, "ZY2024-033", RecordStatus.REVOKED.value)
    assert [r.number for r in await recheck_certificates(ctx, demo.li_na, 2024)] == [revoked.number]
    good = signature(ctx, valid.number)
    tampered = good[:-1] + ("0" if good[-1] != "0" else "1")

    web = web_context(ctx)
    with serve(web) as base:
        pages = {
            name: dump_dom(browser, f"{base}/verify/{number}?t={sig}", tmp_path / "profile")
            for name, number, sig in (
                ("valid", valid.number, good),
                ("revoked", revoked.number, signature(ctx, revoked.number)),
                ("tampered", valid.number, tampered),
            )
        }
    await web.db.dispose()

    assert 'data-status="valid"' in pages["valid"] and "证书有效" in pages["valid"]
    assert "专业技术人员继续教育公需科目考试合格证书" in pages["valid"]
    assert valid.number in pages["valid"] and "李*" in pages["valid"]

    assert 'data-status="revoked"' in pages["revoked"] and "证书已撤销" in pages["revoked"]
    assert revoked.number in pages["revoked"]

    assert 'data-status="not_genuine"' in pages["tampered"]
    assert "无法验证此证书" in pages["tampered"]
    assert valid.number not in pages["tampered"] and "李*" not in pages["tampered"]
    for page in pages.values():
        assert "李娜" not in page and LI_NA not in page
