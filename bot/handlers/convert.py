"""Telegram updates to channel-neutral flow events."""

from __future__ import annotations

from telegram import Bot, Update
from telegram.constants import ChatAction, ChatType

from bot.flows import ChannelUser, Event, IncomingFile
from bot.flows.base import FileFetcher, Notifier


def channel_user(update: Update) -> ChannelUser | None:
    """Only private chats: the bot shows personal data, never in a group."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE or user.is_bot:
        return None
    return ChannelUser("telegram", str(user.id), user.language_code, user.first_name)


def _fetcher(bot: Bot | None, file_id: str) -> FileFetcher | None:
    if bot is None:
        return None

    async def fetch() -> bytes:
        # getFile then the download; Telegram serves bot downloads up to 20 MB
        telegram_file = await bot.get_file(file_id)
        return bytes(await telegram_file.download_as_bytearray())

    return fetch


def _notifier(bot: Bot | None, chat_id: int) -> Notifier | None:
    if bot is None:
        return None

    async def notify(text: str) -> None:
        # "typing…" at the top of the chat, and the short message itself
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
        await bot.send_message(chat_id, text)

    return notify


def event_from_update(update: Update, bot: Bot | None = None) -> Event | None:
    if update.callback_query is not None:
        return Event.button(update.callback_query.data or "")
    message = update.message
    if message is None:  # edited messages, channel posts, ... are not conversation input
        return None
    if message.text is not None:
        return Event.message(message.text)
    if message.contact is not None:
        # only the sender's own contact counts (a forwarded card is someone else's number)
        own = message.from_user is not None and message.contact.user_id == message.from_user.id
        return Event("contact", phone=message.contact.phone_number if own else "")
    if message.document is not None:
        doc = message.document
        return Event(
            "file",
            file=IncomingFile(
                doc.file_id,
                doc.file_name,
                doc.mime_type,
                doc.file_size,
                fetch=_fetcher(bot, doc.file_id),
                notify=_notifier(bot, message.chat_id),
            ),
        )
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return Event(
            "file",
            file=IncomingFile(
                photo.file_id,
                None,
                "image/jpeg",
                photo.file_size,
                fetch=_fetcher(bot, photo.file_id),
                notify=_notifier(bot, message.chat_id),
            ),
        )
    # stickers, voice, locations...: answered as input the current step does not expect
    return Event("file")
