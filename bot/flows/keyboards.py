"""Buttons shared by every flow: the main menu, reachable from every screen."""

from __future__ import annotations

from bot.flows.base import Button, Keyboard, Turn

# Menu callback data: "m:<action>". The router accepts exactly these.
MENU_ACTIONS = ("menu", "prog", "help", "lang", "bind", "leave", "start")


def main_menu(turn: Turn) -> Keyboard:
    t = turn.t
    return (
        (Button(t("menu-progress"), "m:prog"), Button(t("menu-help"), "m:help")),
        (Button(t("menu-language"), "m:lang"), Button(t("menu-binding"), "m:bind")),
    )


def back_to_menu(turn: Turn) -> tuple[Button, ...]:
    return (Button(turn.t("menu-back"), "m:menu"),)
