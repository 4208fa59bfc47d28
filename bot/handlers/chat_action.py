"""Telegram's "sending a file…" line at the top of the chat while a certificate or report is
made and uploaded. An action shows for about 5 seconds, so it is sent again every 4 until the
work is done; failing to send it never fails the work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import TelegramError

REPEAT = 4.0  # seconds: Telegram clears an action after 5 s or at the next message


@contextlib.asynccontextmanager
async def chat_action(
    bot: Bot, chat_id: int, action: str = ChatAction.UPLOAD_DOCUMENT, every: float = REPEAT
) -> AsyncIterator[None]:
    async def keep() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await bot.send_chat_action(chat_id, action)
            await asyncio.sleep(every)

    task = asyncio.create_task(keep())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
