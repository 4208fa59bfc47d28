"""The custom menu of the WeChat service account, built from the bot's own commands.

A WeChat menu has at most 3 top-level buttons of at most 5 sub-buttons each; a top-level
name may take 16 bytes (UTF-8: five Chinese characters), a sub-button's 60, a key 128. Every
sub-button is a CLICK with the key "cmd:<command>", which the webhook turns into that command,
so a menu entry does exactly what typing the command does (and is re-checked the same way).
Staff commands (review, upload, admin …) are not in it: the menu is the same for everyone,
and staff reach theirs from the main menu (cmd:menu), which shows the buttons of their roles.
"""

from __future__ import annotations

from typing import Any

from services.i18n import Translator

KEY_PREFIX = "cmd:"
MAX_TOP_BUTTONS = 3
MAX_SUB_BUTTONS = 5
TOP_NAME_BYTES = 16
SUB_NAME_BYTES = 60
KEY_BYTES = 128

# (label of the top-level button, the commands under it)
MENU: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wechat-menu-study", ("progress", "study", "exam", "claim", "certs")),
    ("wechat-menu-mine", ("menu", "reminders", "binding", "mydata", "language")),
    ("wechat-menu-help", ("help", "verify", "privacy", "cancel")),
)


class MenuTooLarge(ValueError):
    """A label, key or count over WeChat's limits: menu/create would refuse the menu."""


def command_key(command: str) -> str:
    return f"{KEY_PREFIX}{command}"


def command_of(key: str) -> str | None:
    """The command a CLICK key names, None for a key that is not one of ours."""
    return key.removeprefix(KEY_PREFIX) or None if key.startswith(KEY_PREFIX) else None


def _label(t: Translator, command: str) -> str:
    # a shorter WeChat label where one is written, else the command's description
    key = f"wechat-menu-cmd-{command}"
    return t(key) if t.has(key) else t(f"cmd-desc-{command}")


def _checked(name: str, limit: int, what: str) -> str:
    size = len(name.encode("utf-8"))
    if not name or size > limit:
        raise MenuTooLarge(f"{what} {name!r} is {size} bytes (WeChat allows 1 to {limit})")
    return name


def build_menu(t: Translator) -> dict[str, Any]:
    """The body of menu/create, in the translator's language."""
    if len(MENU) > MAX_TOP_BUTTONS:
        raise MenuTooLarge(f"{len(MENU)} top-level buttons (WeChat allows {MAX_TOP_BUTTONS})")
    buttons = []
    for label, commands in MENU:
        if len(commands) > MAX_SUB_BUTTONS:
            raise MenuTooLarge(f"{len(commands)} sub-buttons under {label}")
        subs = [
            {
                "type": "click",
                "name": _checked(_label(t, command), SUB_NAME_BYTES, "sub-button"),
                "key": _checked(command_key(command), KEY_BYTES, "key"),
            }
            for command in commands
        ]
        buttons.append({"name": _checked(t(label), TOP_NAME_BYTES, "button"), "sub_button": subs})
    return {"button": buttons}
