"""A worker that serves WeChat alone (no Telegram token): /wechat and the web pages its
links lead to, optionally with the scheduler and sender. With Telegram too, /wechat is
mounted in bot/webhook.create_webhook_app or bot/serve.polling_app instead."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette

from bot.webhook import web_routes
from bot.wechat.webhook import WeChatWebhook, webhook_from_settings
from services.context import AppContext
from services.process_pools import stop_process_pools

if TYPE_CHECKING:
    from cebot.settings import Settings

log = logging.getLogger(__name__)


def wechat_app(
    ctx: AppContext, wechat: WeChatWebhook, *, settings: Settings | None = None
) -> Starlette:
    """With `settings`, the reminder scheduler and the outbox sender run in its lifespan
    (a database lease keeps exactly one active)."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        scheduler: asyncio.Task[None] | None = None
        if settings is not None:
            from bot.channels import run_channel_scheduler

            scheduler = asyncio.create_task(
                run_channel_scheduler(settings, ctx, stop), name="cebot-scheduler"
            )
        try:
            yield
        finally:
            await wechat.stop()  # deferred turns queue their replies first
            stop.set()
            if scheduler is not None:
                await asyncio.wait({scheduler}, timeout=30)
            await stop_process_pools()

    return Starlette(routes=[*wechat.routes(), *web_routes(ctx)], lifespan=lifespan)


def wechat_only_app(settings: Settings, ctx: AppContext, *, with_scheduler: bool) -> Starlette:
    """`cebot run` when only WECHAT_APP_ID is set."""
    wechat = webhook_from_settings(ctx, settings)
    if wechat is None:
        raise ValueError("neither TELEGRAM_BOT_TOKEN nor WECHAT_APP_ID is set")
    return wechat_app(ctx, wechat, settings=settings if with_scheduler else None)
