"""Numbered choices: WeChat has no inline buttons, so each reply's buttons are shown as
numbered lines ("回复 1、2、3…") and the number -> callback data map of the account's current
screen is kept in the database (wechat_screens), so that whichever worker receives "2" presses
the second button. One current screen per account; a number not on it is "stale"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.base import Button, Keyboard
from services.i18n import Translator
from storage.wechat_models import WeChatScreen

# full-width digits (a Chinese keyboard) read as the ASCII ones
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
# a longer digit string is an answer (hours, a year, a phone), never a choice
MAX_CHOICE_DIGITS = 2

Choices = Keyboard | Sequence[tuple[str, str]] | Sequence[Button]


def flat_buttons(buttons: Choices) -> list[Button]:
    """A keyboard's buttons row by row, or (label, data) pairs, as one numbered list."""
    flat: list[Button] = []
    for item in buttons:
        if isinstance(item, Button):
            flat.append(item)
        elif isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, str) for x in item):
            flat.append(Button(str(item[0]), str(item[1])))
        else:
            flat.extend(b for b in item if isinstance(b, Button))
    return flat


def render_numbered(text: str, buttons: Choices, t: Translator, *, start: int = 1) -> str:
    """The text, then a hint and one "1. label" line per button (numbers from `start`, so
    several replies joined into one message keep counting)."""
    flat = flat_buttons(buttons)
    if not flat:
        return text
    numbers = range(start, start + len(flat))
    shown = "、".join(str(n) for n in numbers[:3]) + ("…" if len(numbers) > 3 else "")
    lines = [text, "", t("wechat-choose", numbers=shown)]
    lines += [f"{n}. {b.label}" for n, b in zip(numbers, flat, strict=True)]
    return "\n".join(lines)


def choice_number(text: str) -> int | None:
    """The number a user typed ("2", " 2 ", "２"), or None for any other text."""
    cleaned = text.strip().translate(_FULL_WIDTH)
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > MAX_CHOICE_DIGITS:
        return None
    return int(cleaned)


async def remember_choices(
    session: AsyncSession, account_id: int, buttons: Choices, now: datetime
) -> None:
    """Make these the account's current screen (an empty list: a screen without choices,
    so any number typed next is passed on as text)."""
    data = [b.data for b in flat_buttons(buttons)]
    screen = await session.get(WeChatScreen, account_id)
    if screen is None:
        session.add(WeChatScreen(account_id=account_id, choices=data, screen=1, shown_at=now))
    else:
        screen.choices = data
        screen.screen = (screen.screen or 0) + 1
        screen.shown_at = now
    await session.flush()


async def resolve_choice(
    session: AsyncSession, account_id: int, text: str
) -> str | Literal["stale"] | None:
    """The callback data of the typed number on the current screen; "stale" for a number
    that is not on it (from an older screen); None when the text is not a number, or the
    current screen has no choices (the number is an answer to the question asked)."""
    number = choice_number(text)
    if number is None:
        return None
    screen = await session.get(WeChatScreen, account_id)
    choices = list(screen.choices) if screen is not None else []
    if not choices:
        return None
    if 1 <= number <= len(choices):
        return str(choices[number - 1])
    return "stale"
