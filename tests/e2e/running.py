"""The production application as the e2e tests run it: built by bot.app, polling the fake Bot
API over HTTP (what `cebot run` does, without run_polling's signal handling)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram.ext import Application

from bot.app import build_application, post_init
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
