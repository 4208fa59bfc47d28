"""`cebot chat --channel wechat`: the console showing each answer exactly as the WeChat
account would send it (one message, the buttons as numbered lines, files named but not
sent, the ID number's "delete it yourself" sentence), with typed words, commands and numbers
read as the webhook reads them. Numbers resolve through the same screens table as on
WeChat (bot/wechat/screens.py, in the database), not an in-memory map."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.console import ConsoleSession
from bot.flows import Event
from bot.wechat.files import file_note
from bot.wechat.inbound import meaning
from bot.wechat.protocol import Inbound
from bot.wechat.screens import remember_choices
from bot.wechat.webhook import compose, number_event, step_is_sensitive, step_wants_number
from services.i18n import translator
from storage.models import Account

log = logging.getLogger(__name__)


class WeChatConsoleSession(ConsoleSession):
    before: list[str] = []  # noqa: RUF012 - replaced, never mutated: sentences for the next answer

    async def _account_id(self) -> int | None:
        async with self.engine.ctx.db.transaction() as session:
            found = await session.scalar(
                select(Account.id).where(
                    Account.channel == self.user.channel,
                    Account.external_id == self.user.external_id,
                )
            )
        return int(found) if found is not None else None

    async def next_event(self, line: str) -> Event | None:
        self.before = []
        text = line.strip()
        if text.startswith("/file "):
            return self.event_for(line)  # a photo, as WeChat's image message
        found = meaning(
            Inbound(
                msg_type="text",
                openid=self.user.external_id,
                account="",
                create_time=0,
                content=text,
            )
        )
        if found.kind != "number":
            return found.event
        account_id = await self._account_id()
        if account_id is None:
            return Event.message(text)
        async with self.engine.ctx.db.transaction() as session:
            event, stale = await number_event(session, account_id, text)
        if stale:
            self.before = [translator(self.language)("wechat-stale-number")]
        return event

    async def send(self, event: Event) -> None:
        try:
            outcome = await self.engine.handle(self.user, event)
        except Exception:
            log.exception("console turn failed")
            self.write(translator(self.language)("console-error"))
            return
        self.language = outcome.language
        t, before, self.before = translator(outcome.language), self.before, []
        account_id = await self._account_id()
        note = file_note(self.engine.ctx, t, now=self.engine.ctx.now())  # the pages are served
        if account_id is None:
            composed = compose(outcome, t, before, file_note=note)
        else:
            async with self.engine.ctx.db.transaction() as session:
                takes_number = await step_wants_number(session, account_id)
                composed = compose(
                    outcome,
                    t,
                    before,
                    takes_number=takes_number,
                    asks_sensitive=await step_is_sensitive(session, account_id),
                    file_note=note,
                )
                await remember_choices(session, account_id, composed.buttons, self.engine.ctx.now())
        self.write("")
        self.write(composed.text)
