"""The command list Telegram shows in its menu, in Chinese (default) and English."""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import Application

from bot.flows.router import all_commands
from services.i18n import translator


def _commands() -> tuple[str, ...]:
    return all_commands()


def commands_for(language: str) -> list[BotCommand]:
    t = translator(language)
    return [BotCommand(name, t(f"cmd-desc-{name}")) for name in _commands()]


async def post_init(application: Application) -> None:  # type: ignore[type-arg]
    """Runs once the bot is initialised, in polling and in webhook mode alike."""
    bot = application.bot
    # Chinese for everyone by default, English for clients set to English
    await bot.set_my_commands(commands_for("zh"))
    await bot.set_my_commands(commands_for("zh"), language_code="zh")
    await bot.set_my_commands(commands_for("en"), language_code="en")
