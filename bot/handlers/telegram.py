"""The one handler: every private-chat update goes through the flow engine."""

from __future__ import annotations

import time

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.flows import Engine
from bot.handlers.convert import channel_user, event_from_update
from bot.handlers.errors import on_error
from bot.handlers.render import render
from services.logcontext import request_scope
from services.metrics import UPDATE_SECONDS, UPDATES

ENGINE_KEY = "engine"


async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = channel_user(update)
    event = event_from_update(update, context.bot)
    if user is None or event is None:
        return
    engine: Engine = context.application.bot_data[ENGINE_KEY]
    started = time.perf_counter()
    result = "error"
    with request_scope(f"u{update.update_id}"):
        try:
            outcome = await engine.handle(user, event)
            await render(context.bot, update, outcome)
            result = "ok"
        finally:
            UPDATES.labels(event.kind, result).inc()
            UPDATE_SECONDS.observe(time.perf_counter() - started)


def install(application: Application, engine: Engine) -> None:  # type: ignore[type-arg]
    application.bot_data[ENGINE_KEY] = engine
    # commands, texts and buttons alike: the router, not PTB's handler list, decides
    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(on_error)
