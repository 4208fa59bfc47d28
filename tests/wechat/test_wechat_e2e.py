"""End to end over HTTP on both databases: a WeChat worker (uvicorn on loopback, the real
engine) and a WeChat user that signs and encrypts as WeChat does. A new user subscribes,
agrees to the privacy notice by number, binds with ID number and name (told that WeChat
does not let the account delete the number), and sees their progress: passive replies
only, and no ID number in any log line."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette

from bot.wechat.app import wechat_app, wechat_only_app
from bot.wechat.fake_api import FakeWeChatApi, WeChatUser
from bot.wechat.protocol import Protocol
from bot.wechat.webhook import WECHAT_PATH, WeChatWebhook
from cebot.settings import Settings
from core.idnumber import find_id_numbers
from services.context import AppContext
from storage.models import OutboxMessage
from tests.bot.conftest import seed_roster

TOKEN = "e2e-token"
APP_ID = "wx0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ACCOUNT = "gh_e2e0123456789"


@asynccontextmanager
async def worker(ctx: AppContext) -> AsyncIterator[str]:
    protocol = Protocol(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, mode="safe")
    async with serve(wechat_app(ctx, WeChatWebhook(ctx, protocol))) as base:
        yield base + WECHAT_PATH


@asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
        assert not task.done()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


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
