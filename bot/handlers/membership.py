"""Updates that are not conversation input: the user blocking or unblocking the bot
(my_chat_member) and a message edited after it was sent (edited_message).

An edited message is answered, never read as input. We chose this over taking it as the
answer to the step now waiting: an edit changes an earlier message, usually the answer to an
earlier step (a name, a title, an ID number typed three screens ago); taken as the current
step's answer it would store the wrong thing in the wrong field. So the user hears that the
change was not read and is asked to send it again. An edit that now holds an ID number is
deleted, like any message holding one."""

from __future__ import annotations

import contextlib
import logging

from telegram import Bot, ChatMemberUpdated, Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.flows import ChannelUser
from core.idnumber import contains_id_number
from services.accounts import account_language, set_blocked
from services.context import AppContext
from services.i18n import normalize_language, translator

log = logging.getLogger(__name__)

# statuses after which the bot cannot write to a private chat (the user blocked it)
_GONE = {ChatMemberStatus.BANNED, ChatMemberStatus.LEFT}


async def on_chat_member(ctx: AppContext, user: ChannelUser, change: ChatMemberUpdated) -> str:
    """Mark or unmark the account; "blocked", "unblocked" or "unchanged" (for the metrics)."""
    status = change.new_chat_member.status
    blocked = status in _GONE
    changed = await set_blocked(
        ctx, channel=user.channel, external_id=user.external_id, blocked=blocked
    )
    if not changed:
        return "unchanged"
    log.info("account %s the bot", "blocked" if blocked else "unblocked")
    return "blocked" if blocked else "unblocked"


async def on_edited(ctx: AppContext, bot: Bot, user: ChannelUser, message: Message) -> None:
    language = await account_language(
        ctx, channel=user.channel, external_id=user.external_id
    ) or normalize_language(user.language_hint)
    t = translator(language)
    if contains_id_number(message.text or message.caption or ""):
        with contextlib.suppress(TelegramError):  # older than 48 h: cannot be deleted
            await message.delete()
    await bot.send_message(message.chat_id, t("bot-edited-not-read"))


async def handle_other(ctx: AppContext, bot: Bot, update: Update, user: ChannelUser) -> str | None:
    """Handle the update if it is one of these kinds; its kind for the metrics, or None."""
    if update.my_chat_member is not None:
        await on_chat_member(ctx, user, update.my_chat_member)
        return "member"
    if update.edited_message is not None:
        await on_edited(ctx, bot, user, update.edited_message)
        return "edited"
    return None
