"""End to end over HTTP on both databases: a WeChat worker (uvicorn on loopback, the real
engine) and a WeChat user that signs and encrypts as WeChat does. A new user subscribes,
agrees to the privacy notice by number, binds with ID number and name (told that WeChat
does not let the account delete the number), and sees their progress: passive replies
only, and no ID number in any log line."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bot.wechat.app import wechat_app, wechat_only_app
from bot.wechat.fake_api import FakeWeChatApi, WeChatUser
from bot.wechat.protocol import Protocol
from bot.wechat.webhook import WECHAT_PATH, WeChatWebhook
from cebot.settings import Settings
from core.idnumber import find_id_numbers
from services.context import AppContext
from storage.models import OutboxMessage
from tests.bot.conftest import seed_roster
from tests.wechat.serving import serve

TOKEN = "e2e-token"
APP_ID = "wx0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ACCOUNT = "gh_e2e0123456789"


@asynccontextmanager
async def worker(ctx: AppContext) -> AsyncIterator[str]:
    protocol = Protocol(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, mode="safe")
    async with serve(wechat_app(ctx, WeChatWebhook(ctx, protocol))) as base:
        yield base + WECHAT_PATH


async def test_subscribe_consent_bind_and_progress(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    roster = await seed_roster(ctx)
    caplog.set_level(logging.DEBUG)
    async with worker(ctx) as url:
        user = WeChatUser(
            url,
            token=TOKEN,
            app_id=APP_ID,
            aes_key=AES_KEY,
            mode="safe",
            openid="oE2E-zhang",
            account_id=ACCOUNT,
        )
        try:
            greeting = await user.subscribe()
            assert greeting is not None and "个人信息处理告知" in greeting
            assert "1. ✅ 同意" in greeting
            asked = await user.text("1")
            assert asked is not None and "身份证" in asked
            # the account cannot delete the message: it says so, and never echoes the number
            after_id = await user.text(roster.zhang_number)
            assert after_id is not None
            assert "微信不允许公众号删除您发的消息" in after_id and "长按" in after_id
            assert roster.zhang_number not in after_id
            bound = await user.text("张伟")
            assert bound is not None and "绑定成功" in bound
            assert "1. 📊 我的学时" in bound  # the menu, numbered
            progress = await user.text("进度")
            assert progress is not None and "合计：55 / 90 学时" in progress
            by_number = await user.text("1")
            assert by_number is not None and "合计：55 / 90 学时" in by_number
        finally:
            await user.aclose()
    async with ctx.db.transaction() as s:
        assert (await s.get(OutboxMessage, 1)) is None  # every answer was passive
    assert not find_id_numbers(caplog.text)


async def test_a_wechat_only_worker_from_the_settings(ctx: AppContext, tmp_path: Path) -> None:
    """No Telegram token: `cebot run` serves /wechat and the web pages alone."""
    async with FakeWeChatApi(app_id=APP_ID) as fake:
        settings = Settings(
            WECHAT_APP_ID=APP_ID,
            WECHAT_APP_SECRET=fake.app_secret,
            WECHAT_TOKEN=TOKEN,
            WECHAT_ENCODING_AES_KEY=AES_KEY,
            WECHAT_API_BASE_URL=fake.base_url,
            CEBOT_DATA_DIR=tmp_path / "data",
        )
        assert settings.telegram_bot_token is None
        app = wechat_only_app(settings, ctx, with_scheduler=False)
        async with serve(app) as base:
            user = WeChatUser(
                base + WECHAT_PATH,
                token=TOKEN,
                app_id=APP_ID,
                aes_key=AES_KEY,
                mode="safe",  # the default WECHAT_MESSAGE_MODE
                openid="oE2E-alone",
                account_id=ACCOUNT,
            )
            try:
                greeting = await user.subscribe()
                health = await user.http.get(base + "/healthz")
            finally:
                await user.aclose()
    assert greeting is not None and "1. ✅ 同意" in greeting
    assert health.status_code == 200


def _number_of(screen: str, label: str) -> str:
    """The number a screen gives the choice whose label holds `label` (pressing by label)."""
    for line in screen.splitlines():
        found = re.match(r"^(\d+)\. (.*)$", line.strip())
        if found and label in found.group(2):
            return found.group(1)
    raise AssertionError(f"no choice {label!r} on the screen:\n{screen}")


async def test_certificate_by_numbers_then_downloaded_over_http(
    ctx: AppContext, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bind, open 我的证书 and issue the public-subject certificate by numbers; the reply
    carries a signed download link and the verification page instead of the file; the PDF
    downloads over HTTP; a tampered link, an expired one and (after the hours behind it
    fall) a revoked certificate are refused with a page, never the file."""
    from dataclasses import replace
    from datetime import timedelta

    from services.certificate_render import shutdown_renderer
    from services.certificates import recheck_certificates
    from storage.models import HourRecord
    from tests.certificates.helpers import pdf_text
    from web.verify import build_web_app

    roster = await seed_roster(ctx)
    caplog.set_level(logging.DEBUG)
    async with worker(ctx) as url:
        base = url.removesuffix(WECHAT_PATH)
        user = WeChatUser(
            url,
            token=TOKEN,
            app_id=APP_ID,
            aes_key=AES_KEY,
            mode="safe",
            openid="oE2E-certs",
            account_id=ACCOUNT,
        )
        try:
            greeting = await user.subscribe()
            assert greeting is not None
            asked = await user.text(_number_of(greeting, "同意"))
            # WeChat's own question: it warns before the number is typed
            assert asked is not None and "长按那条消息" in asked
            assert "读取后我们会删除这条消息" not in asked
            await user.text(roster.zhang_number)
            menu = await user.text("张伟")
            assert menu is not None and "绑定成功" in menu
            screen = await user.text(_number_of(menu, "我的证书"))
            assert screen is not None
            issued = await user.text(_number_of(screen, "生成公需科目证书"))
            assert issued is not None
            assert "后续版本" not in issued
            number = re.search(r"GX2024-PE-\d{6}", issued)
            assert number, issued
            link = re.search(r"⬇️ 下载 PDF：(\S+?)（24 小时内有效）", issued)
            assert link, issued
            assert re.search(rf"🔎 验证页面：\S+/verify/{number.group(0)}\?t=\w+", issued)
            assert roster.zhang_number not in link.group(1)
            parts = urlsplit(link.group(1))
            path = f"{parts.path}?{parts.query}"

            try:
                pdf = await user.http.get(base + path)
            finally:
                shutdown_renderer()
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
            assert pdf.headers["content-type"] == "application/pdf"
            saved = tmp_path / "downloaded.pdf"
            saved.write_bytes(pdf.content)
            assert number.group(0) in pdf_text(saved)

            tampered = await user.http.get(base + path[:-1] + ("0" if path[-1] != "0" else "1"))
            assert tampered.status_code == 403 and not tampered.content.startswith(b"%PDF-")
            assert "链接无效" in tampered.text

            later = replace(ctx, clock=lambda: ctx.now() + timedelta(hours=25))
            async with serve(build_web_app(later)) as later_base:
                expired = await user.http.get(later_base + path)
            assert expired.status_code == 410 and "链接已过期" in expired.text

            # the hours behind it fall (a spot check): the certificate is revoked
            async with ctx.db.transaction() as s:
                record = await s.scalar(
                    select(HourRecord).where(
                        HourRecord.person_id == roster.zhang_id,
                        HourRecord.subject == "public_mandatory",
                    )
                )
                assert record is not None
                record.status = "revoked"
            revoked_views = await recheck_certificates(ctx, roster.zhang_id, 2024)
            assert [v.number for v in revoked_views] == [number.group(0)]
            revoked = await user.http.get(base + path)
            assert revoked.status_code == 410 and "证书已撤销" in revoked.text
            assert not revoked.content.startswith(b"%PDF-")
        finally:
            await user.aclose()
    assert not find_id_numbers(caplog.text)
