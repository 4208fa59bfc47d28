"""The terminal adapter (`cebot chat`): the same flows as on Telegram, buttons shown as
numbered choices. Lets anyone try the bot on a fresh machine without a Telegram token."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import sys
from pathlib import Path
from typing import TextIO

from bot.flows import Button, ChannelUser, Engine, Event, IncomingFile, Outcome
from bot.flows.base import Notifier, OutgoingFile
from services.context import AppContext
from services.i18n import translator

log = logging.getLogger(__name__)

# erase the line just typed (cursor up one line, clear it): used after an ID number
_ERASE_LAST_LINE = "\x1b[1A\x1b[2K"


class ConsoleSession:
    """Holds the buttons on screen, so that typing "2" presses the second one."""

    def __init__(self, engine: Engine, user: ChannelUser, output: TextIO) -> None:
        self.engine = engine
        self.user = user
        self.output = output
        self.choices: list[Button] = []
        self.files: list[OutgoingFile] = []
        self.language = user.language_hint or "zh"

    def write(self, text: str) -> None:
        self.output.write(text + "\n")
        self.output.flush()

    async def send(self, event: Event) -> None:
        try:
            outcome = await self.engine.handle(self.user, event)
        except Exception:
            # the traceback goes to the log only; the console user gets a plain sentence
            log.exception("console turn failed")
            self.write(translator(self.language)("console-error"))
            return
        self.render(outcome)
        for outgoing in self.files:
            try:
                path = await outgoing.ready_path()
            except Exception:
                log.exception("console file failed")
                self.write(translator(self.language)("console-error"))
                continue
            self.write(f"📎 {outgoing.name}: {path}")
        self.files = []

    def render(self, outcome: Outcome) -> None:
        self.language = outcome.language
        t = translator(outcome.language)
        if outcome.delete_incoming:
            if self.output.isatty():
                self.output.write(_ERASE_LAST_LINE)
            self.write(t("console-id-hidden"))
        self.choices = []
        for reply in outcome.replies:
            self.write("")
            self.write(reply.text)
            for row in reply.buttons:
                labels = []
                for button in row:
                    self.choices.append(button)
                    labels.append(f"[{len(self.choices)}] {button.label}")
                self.write("   " + "   ".join(labels))
            if reply.file is not None:
                self.files.append(reply.file)

    async def next_event(self, line: str) -> Event | None:
        """The event for a typed line (the WeChat rendering reads numbers from the database)."""
        return self.event_for(line)

    def event_for(self, line: str) -> Event | None:
        """None when the line was answered here (a file that does not exist)."""
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.choices):
            return Event.button(self.choices[int(text) - 1].data)
        if text.startswith("/file "):
            path = Path(text[len("/file ") :].strip()).expanduser()
            if not path.is_file():
                self.write(translator(self.language)("console-no-file"))
                return None
            return file_event(path, notify=self._notify)
        return Event.message(text)

    async def _notify(self, text: str) -> None:
        """Said at once while the turn still works (reading a certificate takes seconds)."""
        self.write(text)


def file_event(path: Path, notify: Notifier | None = None) -> Event:
    """`/file <path>` on the console sends a local photo or PDF, as a Telegram user would."""

    async def fetch() -> bytes:
        return await asyncio.to_thread(path.read_bytes)

    size = path.stat().st_size
    mime = mimetypes.guess_type(path.name)[0]
    return Event(
        "file", file=IncomingFile(str(path), path.name, mime, size, fetch=fetch, notify=notify)
    )


async def run_console(
    ctx: AppContext,
    *,
    language: str = "zh",
    input_stream: TextIO = sys.stdin,
    output: TextIO = sys.stdout,
    user: str = "console",
    channel: str = "console",
) -> None:
    """Chat in the terminal until /quit or end of input. State is in the database, so a
    new session resumes where the last one stopped. `channel="wechat"` shows every answer
    as the WeChat account would send it (bot/wechat/console.py)."""
    kind = ConsoleSession
    if channel == "wechat":
        from bot.wechat.console import WeChatConsoleSession

        kind = WeChatConsoleSession
    session = kind(Engine(ctx), ChannelUser("console", user, language_hint=language), output)
    session.write(translator(language)("console-banner"))
    await session.send(Event("open"))
    while True:
        if output.isatty():
            output.write("> ")
            output.flush()
        line = await asyncio.to_thread(input_stream.readline)
        if not line:  # EOF
            break
        if not line.strip():
            continue
        if line.strip().lower() in ("/quit", "/exit"):
            break
        event = await session.next_event(line)
        if event is not None:
            await session.send(event)
    session.write(translator(session.language)("console-bye"))
