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

import pytest
import uvicorn

from bot.wechat.app import wechat_app
from bot.wechat.fake_api import WeChatUser
from bot.wechat.protocol import Protocol
from bot.wechat.webhook import WECHAT_PATH, WeChatWebhook
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
    app = wechat_app(ctx, WeChatWebhook(ctx, protocol))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
        assert not task.done()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}{WECHAT_PATH}"
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
