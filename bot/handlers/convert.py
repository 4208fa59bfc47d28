"""Telegram updates to channel-neutral flow events."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot.flows import ChannelUser, Event, IncomingFile


def channel_user(update: Update) -> ChannelUser | None:
    """Only private chats: the bot shows personal data, never in a group."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE or user.is_bot:
        return None
    return ChannelUser("telegram", str(user.id), user.language_code, user.first_name)


def event_from_update(update: Update) -> Event | None:
    if update.callback_query is not None:
        return Event.button(update.callback_query.data or "")
    message = update.message
    if message is None:  # edited messages, channel posts, ... are not conversation input
        return None
    if message.text is not None:
        return Event.message(message.text)
    if message.document is not None:
        doc = message.document
        return Event(
            "file",
            file=IncomingFile(doc.file_id, doc.file_name, doc.mime_type, doc.file_size),
        )
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return Event("file", file=IncomingFile(photo.file_id, None, "image/jpeg", photo.file_size))
    # stickers, voice, locations...: answered as input the current step does not expect
    return Event("file")
