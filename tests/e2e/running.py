"""The production application as the e2e tests run it: built by bot.app, polling the fake Bot
API over HTTP (what `cebot run` does, without run_polling's signal handling)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram.ext import Application

from bot.app import build_application, post_init
from bot.fake_api import FakeBotApi
from bot.webhook import ALLOWED_UPDATES
from cebot.settings import Settings
from services.context import AppContext


@asynccontextmanager
async def polling(settings: Settings, ctx: AppContext) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    application = build_application(settings, ctx)
    async with application:
        await post_init(application)  # run_polling would call it
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


async def said(api: FakeBotApi, chat: int, text: str, since: int, timeout: float = 10.0) -> str:
    """The text of the first message to `chat` since `since` that contains `text`."""
    call = await api.wait_for(
        "sendMessage",
        lambda c: c.params.get("chat_id") == chat and text in c.params["text"],
        since=since,
        timeout=timeout,
    )
    return str(call.params["text"])


async def answer(api: FakeBotApi, chat: int, text: str, expect: str) -> str:
    mark = api.mark()
    api.send_text(chat, text)
    return await said(api, chat, expect, mark)


async def tap(api: FakeBotApi, chat: int, label: str, expect: str) -> str:
    mark = api.mark()
    api.press(chat, label)
    return await said(api, chat, expect, mark)


async def bind(api: FakeBotApi, chat: int, id_number: str, name: str) -> None:
    """/start, agree to the privacy notice, the ID number (deleted from the chat), the name:
    up to the main menu."""
    mark = api.mark()
    api.send_text(chat, "/start")
    await api.wait_for_button(chat, "✅ 同意", since=mark)
    await tap(api, chat, "✅ 同意", "身份证号码")
    mark = api.mark()
    api.send_text(chat, id_number)
    await api.wait_for("deleteMessage", since=mark)
    mark = api.mark()
    api.send_text(chat, name)
    await api.wait_for_button(chat, "申报学时", since=mark)
