"""The WeChat webhook: `/wechat` on the Starlette app. GET answers WeChat's server-URL check;
POST reads a signed (in safe mode encrypted) message, runs its turn through the same flow
engine as Telegram, and answers passively with one message.

- Timing: WeChat waits 5 s, then retries. The turn runs as a task; when it ends within
  `reply_within` (4 s) its replies are the passive answer, else the answer is
  "已收到，正在处理…" and, once the turn ends, its replies are queued in the outbox for this
  account (services/notify.py), which the WeChat sender delivers as a customer-service
  message (bot/wechat/sender.py). The turn is never cancelled: what it commits, stays.
- Once only: the turn's transaction writes a receipt (wechat_receipts) keyed by MsgId, or for
  an event by sender + time + event + key, so a redelivery on any worker rolls its turn back
  quietly (services/inbox.AlreadyHandled) and is answered "success" (nothing). A retry that
  arrives while this worker still runs the first copy is answered "success" at once.
- Replies: their texts joined into one message, each reply's buttons as numbered lines
  (screens.py), the number -> button map kept in the database for whichever worker gets "2".
  WeChat cannot send files: a certificate comes as a signed, expiring download link and its
  verification page, other files are said to be on Telegram or the command line for now
  (files.py). An ID number typed in the chat cannot be deleted by the account: the question
  says so before it is answered, and the user is told to delete it themselves after.
- Nothing here logs a message's text, and ID numbers never reach the log (the flows mask)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from typing import Protocol as TypingProtocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.flows import ChannelUser, Engine, Event, IncomingFile, Outcome
from bot.flows.base import Button, Receipt, Reply, Step
from bot.flows.claim import CLAIM_FLOW
from bot.flows.review import REVIEW
from bot.flows.router import FLOWS
from bot.flows.spot import SPOT
from bot.wechat.files import FileNote, elsewhere_note, file_note
from bot.wechat.inbound import Meaning, meaning
from bot.wechat.protocol import MAX_BODY, Inbound, Protocol, Refused
from bot.wechat.screens import remember_choices, render_numbered, resolve_choice
from bot.wechat.upload_offer import UPLOAD_MINUTES, upload_offer, with_offer
from services.accounts import set_blocked
from services.context import AppContext
from services.download_links import DEFAULT_HOURS
from services.i18n import Translator, normalize_language, translator
from services.inbox import AlreadyHandled
from services.notify import queue_notice
from services.wechat_window import note_inbound
from storage.models import Account, FlowState
from storage.wechat_models import WeChatReceipt

if TYPE_CHECKING:
    from cebot.settings import Settings

log = logging.getLogger(__name__)
WECHAT_PATH = "/wechat"
CHANNEL = "wechat"
REPLY_WITHIN = 4.0
DEFERRED_KEY = "wechat-deferred"  # the outbox row's message key: the turn's text as it is
SUCCESS = "success"  # WeChat's "nothing now" (never retried)
MAX_OPENID = 64  # Account.external_id


class MediaSource(TypingProtocol):
    """What the webhook needs of the API client (bot/wechat/api.WeChatApi)."""

    async def get_media(self, media_id: str) -> tuple[bytes, str | None]: ...


@dataclass
class Composed:
    """One passive (or deferred) message: the text with numbered choices, and the choices."""

    text: str
    plain: str  # without the numbered lines (the outbox's sender numbers them itself)
    buttons: list[Button] = field(default_factory=list)


def compose(
    outcome: Outcome,
    t: Translator,
    before: list[str] | None = None,
    *,
    takes_number: bool = False,
    asks_sensitive: bool = False,
    file_note: FileNote | None = None,
) -> Composed:
    """The outcome's replies as one message: each reply's buttons numbered after its text,
    counting on across replies. `takes_number`: the step now asked is answered with a small
    number, so the user is told how to type one that is also a choice ("2学时").
    `asks_sensitive`: the step now asked takes an ID number, so its question says first that
    the account cannot delete it (bot/wechat/files.py has `file_note`: a file's sentence)."""
    note = file_note or elsewhere_note(t)
    parts, plain = list(before or []), list(before or [])
    if outcome.notice:
        parts.append(outcome.notice)
        plain.append(outcome.notice)
    if outcome.delete_incoming:
        parts.append(t("wechat-cannot-delete"))
        plain.append(t("wechat-cannot-delete"))
    buttons: list[Button] = []
    for index, reply in enumerate(outcome.replies):
        text = reply.text
        if reply.file is not None:  # WeChat cannot send a file: a link, or where to get it
            text += "\n" + note(reply.file)
        if asks_sensitive and index == len(outcome.replies) - 1:
            # the question is the last reply: warned before the number is typed. Telegram's
            # ID question promises that the bot deletes the message: WeChat has its own
            text = (
                t("wechat-ask-id")
                if text == t("onb-ask-id")
                else text + "\n\n" + t("wechat-id-warning")
            )
        if reply.request_contact:  # Telegram's "share my phone" has no WeChat equivalent
            text += "\n" + t("wechat-no-contact")
        row_buttons = [b for row in reply.buttons for b in row]
        parts.append(render_numbered(text, reply.buttons, t, start=len(buttons) + 1))
        plain.append(text)
        buttons.extend(row_buttons)
    if takes_number and buttons:
        parts.append(t("wechat-number-as-text", count=len(buttons)))
        plain.append(t("wechat-number-as-text", count=len(buttons)))
    return Composed("\n\n".join(p for p in parts if p), "\n\n".join(p for p in plain if p), buttons)


async def number_event(session: AsyncSession, account_id: int, text: str) -> tuple[Event, bool]:
    """The event for a typed number, and whether it was stale: the button it stands for on
    the current screen; the number as text when the screen has no choices or its step takes
    typed answers (e.g. "8" at the hours question); else (a number from an older screen)
    the current step again."""
    data = await resolve_choice(session, account_id, text)
    if data is None or (data == "stale" and await step_takes_text(session, account_id)):
        return Event.message(text), False
    if data == "stale":
        return Event("open"), True
    return Event.button(data), False


# the steps whose typed answer is a small number (hours, half days, a sample size): their
# screens say how to type a number that is also one of the choices
NUMBER_ANSWERS = frozenset(
    {
        (CLAIM_FLOW.name, "hours"),
        (CLAIM_FLOW.name, "halfdays"),
        (REVIEW.name, "hours"),
        (SPOT.name, "size"),
    }
)


async def _current_step(session: AsyncSession, account_id: int) -> tuple[str, Step | None]:
    state = await session.get(FlowState, account_id)
    if state is None or state.flow is None:
        return "", None
    flow = FLOWS.get(state.flow)
    return f"{state.flow}:{state.step}", flow.steps.get(state.step or "") if flow else None


async def step_takes_text(session: AsyncSession, account_id: int) -> bool:
    """The account's current step accepts typed text."""
    _name, step = await _current_step(session, account_id)
    return step is not None and "text" in step.accepts


async def step_wants_number(session: AsyncSession, account_id: int) -> bool:
    """The account's current step is answered with a small number (NUMBER_ANSWERS)."""
    name, step = await _current_step(session, account_id)
    flow, _, step_name = name.partition(":")
    return step is not None and (flow, step_name) in NUMBER_ANSWERS


async def step_is_sensitive(session: AsyncSession, account_id: int) -> bool:
    """The account's current step asks for personal data (the ID number: Step.sensitive)."""
    _name, step = await _current_step(session, account_id)
    return step is not None and step.sensitive


def receipt_for(key: str, now: Callable[[], datetime]) -> Receipt:
    async def record(session: AsyncSession) -> None:
        if await session.get(WeChatReceipt, key) is not None:
            raise AlreadyHandled(key)
        session.add(WeChatReceipt(key=key, processed_at=now()))
        await session.flush()  # a concurrent copy conflicts here; the engine retries once

    return record


async def read_limited(request: Request, limit: int = MAX_BODY) -> bytes | None:
    """The body, or None when it is larger than `limit` (never read further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class WeChatWebhook:
    def __init__(
        self,
        ctx: AppContext,
        protocol: Protocol,
        *,
        engine: Engine | None = None,
        media: MediaSource | None = None,
        reply_within: float = REPLY_WITHIN,
        download_hours: int = DEFAULT_HOURS,
        upload_minutes: int = UPLOAD_MINUTES,
    ) -> None:
        self.ctx = ctx
        self.upload_ttl = timedelta(minutes=upload_minutes)  # an upload link's lifetime
        self.download_hours = download_hours  # a certificate link's lifetime
        self.protocol = protocol
        self.engine = engine or Engine(ctx)
        self.media = media
        self.reply_within = reply_within
        self.running: set[str] = set()  # dedup keys whose turn runs here now
        self._tasks: set[asyncio.Task[None]] = set()  # deferred turns still running
        self.on_stop: list[Callable[[], Awaitable[None]]] = []  # e.g. closing its API client

    def routes(self) -> list[BaseRoute]:
        return [Route(WECHAT_PATH, self.endpoint, methods=["GET", "POST"])]

    async def endpoint(self, request: Request) -> Response:
        # WeChat's 5 seconds run from here, not from when the turn starts: reading, decrypting
        # and finding the account under load all count against the passive reply
        arrived = time.monotonic()
        params = dict(request.query_params)
        if request.method == "GET":
            try:
                return PlainTextResponse(self.protocol.verify_url(params))
            except Refused as refused:
                log.info("wechat: url check refused (%s)", refused.reason)
                return Response(status_code=refused.status)
        body = await read_limited(request)
        if body is None:
            return Response(status_code=413)
        try:
            message = self.protocol.read(params, body)
        except Refused as refused:
            log.info("wechat: message refused (%s)", refused.reason)
            return Response(status_code=refused.status)
        if len(message.openid) > MAX_OPENID:
            return Response(status_code=400)
        text = await self.answer(message, arrived=arrived)
        if text is None:
            return PlainTextResponse(SUCCESS)
        return Response(self.protocol.reply(message, text), media_type="application/xml")

    # ------------------------------------------------------------- one message

    async def answer(self, message: Inbound, *, arrived: float | None = None) -> str | None:
        """The passive reply's text, or None for "success" (nothing to say now). `arrived`:
        when the request came in (time.monotonic()); the turn gets what is left of
        `reply_within` from then."""
        found = meaning(message)
        if found.kind == "ignore":
            return None
        if found.kind == "unsubscribe":
            # idempotent: a redelivered copy marks nothing new
            await set_blocked(self.ctx, channel=CHANNEL, external_id=message.openid, blocked=True)
            return None
        key = message.dedup_key
        if key in self.running:
            return None  # WeChat retried while the first copy still runs here
        self.running.add(key)
        try:
            return await self._turn(
                message, found, key, time.monotonic() if arrived is None else arrived
            )
        finally:
            self.running.discard(key)

    async def _turn(
        self, message: Inbound, found: Meaning, key: str, arrived: float
    ) -> str | None:
        user = ChannelUser(CHANNEL, message.openid)
        account_id, language, handled = await self._lookup(message.openid, key)
        if handled:
            return None
        t = translator(language)
        before: list[str] = []
        event: Event
        if found.kind == "number":
            event, before = await self._number(account_id, message.content, t)
        elif found.kind == "image":
            event = self._image(message.media_id)
        elif found.kind == "unreadable":
            before = [t("wechat-unsupported")]
            event = Event("open")  # the current step again
        else:
            assert found.event is not None
            event = found.event
        event = replace(event, receipt=receipt_for(key, self.ctx.now))
        task = asyncio.create_task(self._run(user, event), name=f"wechat-{key[:40]}")
        left = self.reply_within - (time.monotonic() - arrived)
        await asyncio.wait({task}, timeout=max(left, 0.0))
        if not task.done():
            # too slow for the passive reply: say so now, deliver the rest when it ends
            follow = asyncio.create_task(self._deliver_later(task, message, found, before))
            self._tasks.add(follow)
            follow.add_done_callback(self._tasks.discard)
            return t("wechat-processing")
        outcome = task.result()
        if outcome is None:
            return None
        composed = await self._after(message.openid, found, outcome, before, deferred=False)
        return composed.text

    async def _run(self, user: ChannelUser, event: Event) -> Outcome | None:
        """The turn; None for a copy handled before (its first copy was answered)."""
        try:
            return await self.engine.handle(user, event)
        except AlreadyHandled:
            return None
        except Exception:
            log.exception("wechat turn failed")
            language = normalize_language(user.language_hint)
            return Outcome([Reply(translator(language)("err-generic"))], language=language)

    async def _lookup(self, openid: str, key: str) -> tuple[int | None, str, bool]:
        """(account id or None for a new user, its language, already handled)."""
        async with self.ctx.db.transaction() as session:
            row = (
                await session.execute(
                    select(Account.id, Account.language).where(
                        Account.channel == CHANNEL, Account.external_id == openid
                    )
                )
            ).first()
            handled = await session.get(WeChatReceipt, key) is not None
        if row is None:
            return None, normalize_language(None), handled
        return int(row[0]), normalize_language(row[1]), handled

    async def _number(
        self, account_id: int | None, text: str, t: Translator
    ) -> tuple[Event, list[str]]:
        """A typed number: the button it stands for on the current screen, the number as
        text when the screen has no choices, or (from an older screen) the current step again
        with a sentence saying so."""
        if account_id is None:
            return Event.message(text), []
        async with self.ctx.db.transaction() as session:
            event, stale = await number_event(session, account_id, text)
        return event, [t("wechat-stale-number")] if stale else []

    def _image(self, media_id: str) -> Event:
        media = self.media

        async def fetch() -> bytes:
            # WeChat says no size up front: the flows check the length of what came
            if media is None:
                raise RuntimeError("WeChat media cannot be fetched: no API client")
            data, _content_type = await media.get_media(media_id)
            return data

        return Event("file", file=IncomingFile(media_id, None, "image/jpeg", None, fetch=fetch))

    async def _deliver_later(
        self,
        task: asyncio.Task[Outcome | None],
        message: Inbound,
        found: Meaning,
        before: list[str],
    ) -> None:
        outcome = await task
        if outcome is None:
            return
        try:
            await self._after(message.openid, found, outcome, before, deferred=True)
        except Exception:
            log.exception("wechat: a deferred reply could not be queued")

    async def _after(
        self, openid: str, found: Meaning, outcome: Outcome, before: list[str], *, deferred: bool
    ) -> Composed:
        """After the turn, one transaction: the message composed for the step now shown,
        the window opened by this message, the screen, and for a deferred turn its reply in
        the outbox."""
        now = self.ctx.now()
        t = translator(outcome.language)
        async with self.ctx.db.transaction() as session:
            account_id = await session.scalar(
                select(Account.id).where(Account.channel == CHANNEL, Account.external_id == openid)
            )
            note = file_note(self.ctx, t, now=now, hours=self.download_hours)
            if account_id is None:  # the turn failed before the account existed
                return compose(outcome, t, before, file_note=note)
            takes_number = await step_wants_number(session, account_id)
            composed = compose(
                outcome,
                t,
                before,
                takes_number=takes_number,
                asks_sensitive=await step_is_sensitive(session, account_id),
                file_note=note,
            )
            # at the claim's evidence step: the upload page's link (bot/wechat/upload_offer.py)
            offer = await upload_offer(session, self.ctx, account_id, t, ttl=self.upload_ttl)
            composed.text = with_offer(composed.text, offer)
            composed.plain = with_offer(composed.plain, offer)
            await note_inbound(session, account_id, found.inbound, now)
            await remember_choices(session, account_id, composed.buttons, now)
            if deferred:
                queue_notice(
                    session,
                    account_id=account_id,
                    key=DEFERRED_KEY,
                    now=now,
                    args={"text": composed.plain},
                    buttons=[(b.label, b.data) for b in composed.buttons],
                )
        return composed

    async def stop(self, drain: float = 20.0) -> None:
        """Let deferred turns finish and queue their replies (a graceful stop)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=drain)
        for close in self.on_stop:
            await close()
        self.on_stop.clear()


def webhook_from_settings(
    ctx: AppContext,
    settings: Settings,
    *,
    media: MediaSource | None = None,
    engine: Engine | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> WeChatWebhook | None:
    """The configured webhook; None when WECHAT_APP_ID is unset (no WeChat channel). Without
    `media` it makes its own API client (bot/wechat/api.py), closed by `stop`."""
    if not settings.wechat_app_id:
        return None
    own_api = None
    if media is None:
        from bot.wechat.api import WeChatApi  # the HTTP client only where it is used

        own_api = WeChatApi.from_settings(settings, ctx.database, ctx.now)
        media = own_api
    token = settings.wechat_token.get_secret_value() if settings.wechat_token else ""
    aes = settings.wechat_encoding_aes_key
    protocol = Protocol(
        token=token,
        app_id=settings.wechat_app_id,
        aes_key=aes.get_secret_value() if aes else None,
        mode=settings.wechat_message_mode,
        wall_clock=wall_clock,
    )
    webhook = WeChatWebhook(
        ctx,
        protocol,
        engine=engine,
        media=media,
        reply_within=settings.wechat_reply_within,
        download_hours=settings.wechat_download_hours,
        upload_minutes=settings.wechat_upload_minutes,
    )
    if own_api is not None:
        webhook.on_stop.append(own_api.aclose)
    return webhook
