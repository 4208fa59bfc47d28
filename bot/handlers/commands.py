"""What Telegram shows about the bot: its description, short description and command menu, in
Chinese (default) and English.

Command scopes: everyone gets the default list (what every professional can use); a chat
whose account holds staff roles gets its own list (BotCommandScopeChat) with their commands
added. Setting a scope for every staff account at start-up would cost one call per account
and worker, so a chat's scope is set lazily, after a turn whose outcome carries roles that
differ from what this worker last set for that chat: a new reviewer sees 审核 in the menu
after their invitation's reply; a revoked one loses it at their next message to a worker
that had set it. The menu is a hint only: every command re-checks its authority on the
server, so a stale entry is refused politely, never obeyed."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import Application

from bot.flows.router import all_commands
from services.i18n import LANGUAGES, translator

log = logging.getLogger(__name__)

# staff-only commands and the roles that use them (as the main menu shows their buttons)
STAFF_COMMANDS: dict[str, frozenset[str]] = {
    "review": frozenset({"reviewer", "admin"}),
    "report": frozenset({"reviewer", "admin"}),
    "upload": frozenset({"organiser"}),
    "admin": frozenset({"admin"}),
    "people": frozenset({"admin"}),
    "policies": frozenset({"admin"}),
    "spot": frozenset({"auditor", "admin"}),
}
STAFF_ROLES = frozenset().union(*STAFF_COMMANDS.values())


def _commands() -> tuple[str, ...]:
    return all_commands()


def commands_for(language: str, roles: Iterable[str] = ()) -> list[BotCommand]:
    """The menu of an account with these roles (none: everyone's default menu)."""
    held = frozenset(roles)
    t = translator(language)
    return [
        BotCommand(name, t(f"cmd-desc-{name}"))
        for name in _commands()
        if name not in STAFF_COMMANDS or STAFF_COMMANDS[name] & held
    ]


async def set_profile(bot: Bot) -> None:
    """Description (shown before the first /start), short description (the profile) and the
    default command menu, per language; Chinese also for clients in any other language."""
    for language in (None, *LANGUAGES):
        t = translator(language or "zh")
        await bot.set_my_description(t("bot-description"), language_code=language)
        await bot.set_my_short_description(t("bot-short-description"), language_code=language)
        await bot.set_my_commands(commands_for(language or "zh"), language_code=language)


async def post_init(application: Application) -> None:  # type: ignore[type-arg]
    """Runs once the bot is initialised, in polling and in webhook mode alike."""
    await set_profile(application.bot)


class CommandScopes:
    """The per-chat menus this worker has set: chat id -> (staff roles, language)."""

    def __init__(self) -> None:
        self._set: dict[int, tuple[frozenset[str], str]] = {}

    async def sync(self, bot: Bot, chat_id: int, roles: Iterable[str], language: str) -> None:
        staff = frozenset(roles) & STAFF_ROLES
        known = self._set.get(chat_id)
        if known is None and not staff:
            return  # the default menu applies; nothing was set here for this chat
        if known == (staff, language):
            return
        scope = BotCommandScopeChat(chat_id)
        try:
            if staff:
                await bot.set_my_commands(commands_for(language, staff), scope=scope)
                self._set[chat_id] = (staff, language)
            else:
                await bot.delete_my_commands(scope=scope)  # back to the default menu
                self._set.pop(chat_id, None)
        except TelegramError as exc:  # a hint only: the turn itself has been answered
            log.info("could not set the chat's command menu (%s)", type(exc).__name__)
