"""Flow outcomes to Bot API calls."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.flows import Outcome, Reply
from bot.handlers.chat_action import chat_action
from services.i18n import translator

log = logging.getLogger(__name__)


def markup(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """The keyboard of a new message: inline buttons, or Telegram's "share my phone" button
    (it shares the account's verified number, never a typed one)."""
    if reply.request_contact:
        return ReplyKeyboardMarkup(
            [[KeyboardButton(reply.request_contact, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    return keyboard(reply)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )


async def render(bot: Bot, update: Update, outcome: Outcome) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    query = update.callback_query
    if query is not None:
        # always answer, or the button keeps spinning on the user's screen
        await query.answer(text=outcome.notice)
        if outcome.button_accepted and query.message is not None:
            # used up: remove the keyboard so it cannot be pressed again (an old message
            # may no longer be editable; that is fine)
            with contextlib.suppress(TelegramError):
                await bot.edit_message_reply_markup(
                    chat_id=chat.id, message_id=query.message.message_id, reply_markup=None
                )
    if outcome.delete_incoming and update.message is not None:
        try:
            await update.message.delete()
        except TelegramError:
            # cannot delete (older than 48 h, ...): not worth failing the turn
            log.info("could not delete a message holding personal data")
    replies = list(outcome.replies)
    if outcome.edit_pressed and query is not None and query.message is not None and replies:
        first = replies[0]
        if first.file is None:
            try:
                await bot.edit_message_text(
                    first.text,
                    chat_id=chat.id,
                    message_id=query.message.message_id,
                    reply_markup=keyboard(first),
                )
                replies = replies[1:]
            except TelegramError:
                log.info("could not edit the pressed message; sending a new one")
    for reply in replies:
        if reply.file is not None:
            # "sending a file…" while the certificate or report is made and uploaded
            async with chat_action(bot, chat.id, ChatAction.UPLOAD_DOCUMENT):
                try:
                    path = await reply.file.ready_path()
                except Exception:
                    # a render that timed out or failed: the turn has committed (a certificate
                    # issued stays issued), so say so plainly and let the user press again
                    log.exception("file for the reply could not be made")
                    t = translator(outcome.language)
                    await bot.send_message(chat.id, t("err-file-failed", name=reply.file.name))
                    continue
                with Path(path).open("rb") as fh:
                    await bot.send_document(
                        chat.id,
                        document=fh,
                        filename=reply.file.name,
                        caption=reply.text or None,
                        reply_markup=keyboard(reply),
                    )
        else:
            await bot.send_message(chat.id, reply.text, reply_markup=markup(reply))
