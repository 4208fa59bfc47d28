"""What a WeChat message or event means to the flows: an `Event`, something to answer
without a turn, or nothing. Pure: the webhook resolves typed numbers (screens.py) and
fetches media itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.flows.base import Event
from bot.wechat.protocol import Inbound
from bot.wechat.screens import choice_number

# menu click keys: "cmd:<command>" (the menu that `cebot wechat menu push` sets)
CLICK_PREFIX = "cmd:"
# words typed instead of a slash command (the custom menu's usual labels, in both languages)
WORD_COMMANDS = {
    "菜单": "menu",
    "主菜单": "menu",
    "进度": "progress",
    "我的进度": "progress",
    "学时": "progress",
    "帮助": "help",
    "menu": "menu",
    "progress": "progress",
    "help": "help",
}
# what a user can send that the flows cannot read: answered politely, the step shown again
UNREADABLE = frozenset({"voice", "video", "shortvideo", "location", "link", "file", "music"})

Kind = Literal["turn", "number", "image", "unreadable", "unsubscribe", "ignore"]


@dataclass(frozen=True)
class Meaning:
    kind: Kind
    event: Event | None = None  # for "turn"
    # for the customer-service window (services/wechat_window.py)
    inbound: Literal["message", "click"] = "message"


def meaning(message: Inbound) -> Meaning:
    if message.msg_type == "text":
        text = message.content.strip()
        word = WORD_COMMANDS.get(text.lower())
        if word is not None:
            return Meaning("turn", Event("command", command=word))
        if choice_number(text) is not None:
            return Meaning("number")  # a choice on the screen, or an answer (screens.py)
        return Meaning("turn", Event.message(message.content))
    if message.msg_type == "image":
        return Meaning("image")
    if message.msg_type in UNREADABLE:
        return Meaning("unreadable")
    if message.msg_type != "event":
        return Meaning("unreadable")
    if message.event == "subscribe":
        # a greeting, as /start does (a QR code's scene key is not an invitation code)
        return Meaning("turn", Event("command", command="start"), inbound="click")
    if message.event == "unsubscribe":
        return Meaning("unsubscribe")
    if message.event == "click" and message.event_key.startswith(CLICK_PREFIX):
        command = message.event_key[len(CLICK_PREFIX) :].strip().lower()
        if command:
            return Meaning("turn", Event("command", command=command), inbound="click")
    if message.event == "click":  # a key from an older menu: the menu, never a dead end
        return Meaning("turn", Event("command", command="menu"), inbound="click")
    # view (a menu link), scan, location reports, template delivery reports: nothing to say
    return Meaning("ignore")
