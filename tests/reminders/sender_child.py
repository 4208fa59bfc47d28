"""Run the sender in a separate process, for the kill test: python sender_child.py DB_URL
BASE_URL TOKEN. It drains the outbox at a fixed rate and is killed from outside."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from conftest import context, shanghai, ticking
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.outbox_sender import telegram_sender
from services.outbox import OutboxSender, SenderConfig

CHILD_CONFIG = SenderConfig(rate=50, max_in_flight=8, sender_id="child")


async def main(url: str, base_url: str, token: str) -> None:
    ctx = context(url, Path("/tmp"), ticking(shanghai(2024, 11, 20)))
    request = HTTPXRequest(connection_pool_size=16)
    async with Bot(token, base_url=base_url, request=request) as bot:
        sender = OutboxSender(ctx, telegram_sender(bot), CHILD_CONFIG)
        await sender.recover()
        print("ready", flush=True)
        await sender.run(until_idle=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
