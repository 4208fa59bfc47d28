"""The one handler: every private-chat update goes through the flow engine."""

from __future__ import annotations

import time
from dataclasses import replace

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.flows import Engine
from bot.handlers.commands import CommandScopes
from bot.handlers.convert import channel_user, event_from_update
from bot.handlers.errors import on_error
from bot.handlers.membership import handle_other
from bot.handlers.render import render
from services.inbox import AlreadyHandled
from services.logcontext import request_scope
from services.metrics import UPDATE_SECONDS, UPDATES

ENGINE_KEY = "engine"
SCOPES_KEY = "command_scopes"
# set by the webhook app: update_id -> the receipt its turn writes (services/inbox.py)
RECEIPT_KEY = "receipt"


async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = channel_user(update)
    if user is None:
        return
    engine: Engine = context.application.bot_data[ENGINE_KEY]
    event = event_from_update(update, context.bot)
    if event is None:
        # a block or unblock (my_chat_member), an edited message: not conversation input
        # (idempotent, so a redelivered copy does no harm)
        with request_scope(f"u{update.update_id}"):
            kind = await handle_other(engine.ctx, context.bot, update, user)
        if kind is not None:
            UPDATES.labels(kind, "ok").inc()
        return
    make_receipt = context.application.bot_data.get(RECEIPT_KEY)
    if make_receipt is not None:
        event = replace(event, receipt=make_receipt(update.update_id))
    started = time.perf_counter()
    result = "error"
    with request_scope(f"u{update.update_id}"):
        try:
            try:
                outcome = await engine.handle(user, event)
            except AlreadyHandled:  # a redelivered copy: its first copy was answered
                result = "duplicate"
                return
            await render(context.bot, update, outcome)
            if update.effective_chat is not None and outcome.roles is not None:
                # each role its own command menu
                scopes: CommandScopes = context.application.bot_data[SCOPES_KEY]
                await scopes.sync(
                    context.bot, update.effective_chat.id, outcome.roles, outcome.language
                )
            result = "ok"
        finally:
            UPDATES.labels(event.kind, result).inc()
            UPDATE_SECONDS.observe(time.perf_counter() - started)


def install(application: Application, engine: Engine) -> None:  # type: ignore[type-arg]
    application.bot_data[ENGINE_KEY] = engine
    application.bot_data[SCOPES_KEY] = CommandScopes()
    # commands, texts and buttons alike: the router, not PTB's handler list, decides
    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(on_error)
