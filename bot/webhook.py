"""The webhook front: a Starlette app that checks Telegram's secret-token header, ignores a
redelivered update_id, queues the update for the application and answers 200 at once."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.handlers.commands import post_init
from services.context import AppContext
from services.flowstate import mark_update_processed
from services.metrics import WEBHOOK_REQUESTS
from web.ops import ops_routes
from web.privacy import privacy_route
from web.verify import verification_routes

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def create_webhook_app(
    application: Application,  # type: ignore[type-arg]
    ctx: AppContext,
    *,
    secret: str,
    webhook_url: str | None = None,
) -> Starlette:
    """The app starts and stops the PTB application in its lifespan; with `webhook_url` it
    also registers the webhook (every worker may do so: setWebhook is idempotent)."""
    if not secret:
        raise ValueError("a webhook needs a secret token (CEBOT_WEBHOOK_SECRET)")

    async def telegram(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            WEBHOOK_REQUESTS.labels("forbidden").inc()
            return Response(status_code=403)
        try:
            data = json.loads(await request.body())
            update_id = int(data["update_id"])
        except (ValueError, KeyError, TypeError):
            WEBHOOK_REQUESTS.labels("bad_request").inc()
            return Response(status_code=400)
        # Telegram redelivers when an answer is slow or lost; a second copy is dropped here
        if not await mark_update_processed(ctx, update_id):
            WEBHOOK_REQUESTS.labels("duplicate").inc()
            return Response()
        await application.update_queue.put(Update.de_json(data, application.bot))
        WEBHOOK_REQUESTS.labels("queued").inc()
        return Response()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with application:
            # the application's own hook: the commands, and an embedded scheduler if any
            await (application.post_init or post_init)(application)
            if webhook_url:
                await application.bot.set_webhook(
                    url=webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
                )
            await application.start()
            try:
                yield
            finally:
                await application.stop()
                if application.post_stop is not None:
                    await application.post_stop(application)

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, telegram, methods=["POST"]),
            *ops_routes(ctx),  # /healthz, /readyz, /metrics
            # the certificates' QR codes point here: the same app serves them
            *verification_routes(ctx),
            privacy_route(),
        ],
        lifespan=lifespan,
    )
