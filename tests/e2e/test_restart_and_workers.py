"""State lives in the database: a restarted application resumes a half-finished flow, and two
webhook workers on PostgreSQL serve one user's consecutive updates."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from bot.app import build_application, post_init
from bot.fake_api import FakeBotApi
from bot.webhook import ALLOWED_UPDATES, SECRET_HEADER, create_webhook_app
from cebot.settings import Settings
from services.context import AppContext
from storage.db import Database
from storage.models import Account, FlowState

USER = 777


async def _run_polling_until(settings: Settings, ctx: AppContext, work) -> None:
    application = build_application(settings, ctx)
    async with application:
        await post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )
        try:
            await work()
        finally:
            await application.updater.stop()
            await application.stop()


async def test_restart_mid_flow_resumes_on_a_new_application(
    ctx, roster, fake_api: FakeBotApi, settings, zhang_id
):
    async def first_half() -> None:
        mark = fake_api.mark()
        fake_api.send_text(USER, "/start")
        await fake_api.wait_for_button(USER, "✅ 同意", since=mark)
        fake_api.press(USER, "✅ 同意")
        await fake_api.wait_for("sendMessage", lambda c: "身份证号码" in c.params["text"])
        fake_api.send_text(USER, zhang_id)
        await fake_api.wait_for("sendMessage", lambda c: "姓名" in c.params["text"], since=mark)

    await _run_polling_until(settings, ctx, first_half)

    # a new process: a fresh database engine and a fresh application, nothing in memory
    fresh = dataclasses.replace(ctx, db=Database(ctx.db.url))
    try:

        async def second_half() -> None:
            mark = fake_api.mark()
            fake_api.send_text(USER, "张伟")
            await fake_api.wait_for(
                "sendMessage", lambda c: "绑定成功" in c.params["text"], since=mark
            )

        await _run_polling_until(settings, fresh, second_half)
    finally:
        await fresh.db.dispose()
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(Account.person_id)) == roster


@asynccontextmanager
async def worker(settings: Settings, ctx: AppContext) -> AsyncIterator[str]:
    """One webhook worker process: its own engine, application and HTTP server."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/telegram"
    application = build_application(settings, ctx)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    web = create_webhook_app(application, ctx, secret=secret)
    server = uvicorn.Server(uvicorn.Config(web, log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
        if task.done():
            task.result()
    try:
        yield url
    finally:
        server.should_exit = True
        await task
        sock.close()


async def test_two_webhook_workers_share_one_users_conversation(
    ctx, roster, fake_api: FakeBotApi, settings, zhang_id, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers are a PostgreSQL deployment")
    ctx_a = dataclasses.replace(ctx, db=Database(database_url))
    ctx_b = dataclasses.replace(ctx, db=Database(database_url))
    headers = {SECRET_HEADER: settings.webhook_secret.get_secret_value()}
    try:
        async with (
            worker(settings, ctx_a) as url_a,
            worker(settings, ctx_b) as url_b,
            httpx.AsyncClient() as http,
        ):
            # agreeing to the privacy notice on one worker, then the binding across both
            mark = fake_api.mark()
            await http.post(url_b, json=fake_api.text_update(USER, "/start"), headers=headers)
            await fake_api.wait_for_button(USER, "✅ 同意", since=mark)
            agree = next(
                b["callback_data"]
                for c in reversed(fake_api.sent_to(USER))
                for row in (c.params.get("reply_markup") or {}).get("inline_keyboard", [])
                for b in row
                if "同意" in b["text"] and "不" not in b["text"]
            )
            steps_buttons = [(url_a, agree, "身份证号码")]
            for url, data, expected in steps_buttons:
                mark = fake_api.mark()
                response = await http.post(
                    url, json=fake_api.callback_update(USER, data), headers=headers
                )
                assert response.status_code == 200
                await fake_api.wait_for(
                    "sendMessage", lambda c, e=expected: e in c.params["text"], since=mark
                )
            steps = [
                (url_b, zhang_id, "姓名"),
                (url_a, "张伟", "绑定成功"),
                (url_b, "/progress", "合计：75 / 90 学时"),
            ]
            for url, text, expected in steps:
                mark = fake_api.mark()
                response = await http.post(
                    url, json=fake_api.text_update(USER, text), headers=headers
                )
                assert response.status_code == 200
                await fake_api.wait_for(
                    "sendMessage", lambda c, e=expected: e in c.params["text"], since=mark
                )
            # two taps at the same moment on two workers, each moving the flow: both
            # answered, each applied on fresh state or told to try again
            async with ctx.db.transaction() as s:
                before = await s.scalar(select(FlowState.version))
            mark = fake_api.mark()
            await asyncio.gather(
                *(
                    http.post(url, json=fake_api.callback_update(USER, "m:leave"), headers=headers)
                    for url in (url_a, url_b)
                )
            )
            for _ in range(500):  # both taps answered, as help or as "try again"
                replies = [
                    c
                    for c in fake_api.calls[mark:]
                    if c.method == "sendMessage"
                    and ("确定要解除" in c.params["text"] or "太快" in c.params["text"])
                ]
                if len(replies) == 2:
                    break
                await asyncio.sleep(0.01)
            assert len(replies) == 2
            async with ctx.db.transaction() as s:
                after = await s.scalar(select(FlowState.version))
            answered = [t for t in fake_api.texts_to(USER) if "确定要解除" in t]
            assert after - before == len(answered) >= 1
    finally:
        await ctx_a.db.dispose()
        await ctx_b.db.dispose()
