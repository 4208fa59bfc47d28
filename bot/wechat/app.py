"""A worker that serves WeChat alone (no Telegram token): /wechat and the web pages its
links lead to. With Telegram too, /wechat is mounted in bot/webhook.create_webhook_app or
bot/serve.polling_app instead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from bot.webhook import web_routes
from bot.wechat.webhook import WeChatWebhook
from services.context import AppContext
from services.process_pools import stop_process_pools


def wechat_app(ctx: AppContext, wechat: WeChatWebhook) -> Starlette:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await wechat.stop()  # deferred turns queue their replies first
            await stop_process_pools()

    return Starlette(routes=[*wechat.routes(), *web_routes(ctx)], lifespan=lifespan)
