"""Buttons shared by every flow: the main menu, reachable from every screen."""

from __future__ import annotations

from bot.flows import features
from bot.flows.base import Button, Keyboard, Turn

# Menu callback data: "m:<action>". The router accepts these and the features' actions.
MENU_ACTIONS = ("menu", "prog", "help", "lang", "bind", "leave", "start")

# The main menu's layout: (action, label key, roles that see it; empty = everyone). A feature
# action shows only once its module has registered it.
_LAYOUT: tuple[tuple[tuple[str, str, frozenset[str]], ...], ...] = (
    (("prog", "menu-progress", frozenset()), ("study", "menu-study", frozenset())),
    (("claims", "menu-claims", frozenset()), ("certs", "menu-certs", frozenset())),
    (
        ("review", "menu-review", frozenset({"reviewer", "admin"})),
        ("upload", "menu-upload", frozenset({"organiser"})),
        ("admin", "menu-admin", frozenset({"admin"})),
    ),
    (
        ("reports", "menu-reports", frozenset({"reviewer", "admin"})),
        ("spot", "menu-spot", frozenset({"auditor", "admin"})),
        ("people", "menu-people", frozenset({"admin"})),
    ),
    (("help", "menu-help", frozenset()), ("lang", "menu-language", frozenset())),
    (("bind", "menu-binding", frozenset()),),
)


def main_menu(turn: Turn) -> Keyboard:
    t = turn.t
    known = set(MENU_ACTIONS) | set(features.actions())
    rows = []
    for layout_row in _LAYOUT:
        row = tuple(
            Button(t(label), f"m:{action}")
            for action, label, roles in layout_row
            if action in known and (not roles or roles & turn.roles)
        )
        if row:
            rows.append(row)
    return tuple(rows)


def back_to_menu(turn: Turn) -> tuple[Button, ...]:
    return (Button(turn.t("menu-back"), "m:menu"),)
