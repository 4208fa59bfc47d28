"""The error handler: the user hears that something went wrong; the log gets the traceback
without personal data."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.ext import ContextTypes

from services.i18n import normalize_language, translator
from services.logcontext import redact

log = logging.getLogger("bot.errors")


def redacted_traceback(error: BaseException) -> str:
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return redact(text)  # SQL parameters dropped, ID numbers in any shape masked


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if error is not None:
        log.error("update %s failed:\n%s", update_id, redacted_traceback(error))
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    user = update.effective_user
    t = translator(normalize_language(user.language_code if user else None))
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, t("err-generic"))
    except Exception:  # the apology itself failed (network): the log already has the error
        log.warning("could not tell the user about the failure")
