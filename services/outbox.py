"""The sender: drains the outbox within Telegram's limits, at most once per row.

Delivery guarantee: AT MOST ONCE. Telegram's sendMessage has no idempotency key, so when a
call was made and no answer came back (the process died, the connection dropped after the
request left), nobody can tell whether the user got the message; resending could show it
twice. Exactly-once is therefore impossible; we choose never-twice and make the uncertain
window as small as possible:

    queued --claim (batch)--> claimed --one commit, just before the call--> sending
    sending --answer--> sent | queued (429, backoff) | unreachable (403) | failed | unknown

- `claimed` rows were taken in a batch but not yet attempted: after a crash they go back to
  `queued` (safe: no call was made for them).
- `sending` is committed immediately before the HTTP call and replaced by the outcome
  immediately after, so only the calls in flight at the moment of a crash (at most
  `max_in_flight`, normally one or two at 30/s) can end up `unknown`. On restart they are
  reported as `unknown`, never resent automatically.
- A 429 means Telegram did not process the request, so the row is simply queued again after
  `retry_after`, and that chat gets nothing until then; other chats go on (a 429 for one chat,
  e.g. its per-chat limit, must not stall a broadcast to thousands: the pacer already keeps
  the bot's overall rate under Telegram's limit).
- A transient error is retried with exponential backoff only when the request certainly did
  not reach Telegram (`TransientError(maybe_delivered=False)`: connection refused, pool
  timeout); a read timeout after the request left is `unknown`, not retried.

Rate limiting: a sliding-window pacer (never more than `rate` calls in any second) plus a
per-chat minimum interval, and a per-chat deferral for retry_after. We looked at `aiolimiter`
(which PTB's AIORateLimiter uses): its leaky bucket admits a burst of `max_rate` at once, so
a sliding one-second window can see up to twice the limit; and PTB's AIORateLimiter wraps
one Bot instance inside one process and retries 429 on its own. The sender needs the limit
in one place it controls (it is the only bulk producer, holding the lease), a hard "never
more than N in any second" that the fake server's log can verify, and a retry_after that
holds back only the chat it was given for; that is the Pacer below and the per-chat state.
Interactive replies from the bot's workers share the bot's Telegram limit: configure the
sender's rate a little below 30 when the bot is busy.

Claiming: PostgreSQL takes a batch with `FOR UPDATE SKIP LOCKED`, so even two senders (the
lease should prevent that) never take the same row; SQLite has one writer and one sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.reminders import in_window, next_send_time
from services.context import AppContext
from services.reminders import OutboxStatus, render_message
from storage.models import Account, Campaign, OutboxMessage
from storage.types import UTCDateTime

log = logging.getLogger(__name__)
OUTBOX = OutboxMessage.__table__

Buttons = list[tuple[str, str]]
SendFn = Callable[[str, str, str, Buttons | None], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """The row a SendFn is sending, for a channel that needs more than its text and buttons
    (WeChat: the account's customer-service window, the notice kind of a template message).
    Set in OUTGOING for the duration of each call; Telegram's sender ignores it."""

    row_id: int
    account_id: int
    language: str
    payload: Mapping[str, Any]
    campaign: Mapping[str, Any] | None


OUTGOING: ContextVar[Outgoing | None] = ContextVar("cebot_outbox_outgoing", default=None)


class RetryLater(Exception):
    """Telegram answered 429: nothing was sent; wait `seconds` before sending to that chat."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = float(seconds)


class Unreachable(Exception):
    """403: the user blocked the bot (or deleted the account). Stop sending to them."""


class TransientError(Exception):
    """A network problem. `maybe_delivered`: the request may have reached Telegram (e.g. a
    read timeout), so it must not be retried."""

    def __init__(self, message: str = "", *, maybe_delivered: bool = False) -> None:
        super().__init__(message)
        self.maybe_delivered = maybe_delivered


class PermanentError(Exception):
    """Telegram refused the message itself (400 and the like): retrying cannot help."""


@dataclass
class SenderConfig:
    rate: float = 30.0  # messages per second, overall: never more in any second
    # paced this much below `rate`, so that network jitter (a request delayed, the next on
    # time) cannot squeeze rate + 1 requests into one second at Telegram's end
    headroom: float = 0.03
    per_chat_interval: float = 1.0  # seconds between two messages to one chat
    batch_size: int = 200
    max_in_flight: int = 16  # concurrent calls; also the most rows that can end up "unknown"
    # concurrent database transactions: stay inside the engine's pool (5 by default, one of
    # them held by the lease); beyond it SQLAlchemy opens and closes overflow connections,
    # which costs more than the commits themselves
    db_concurrency: int = 3
    armed: int = 2  # rows committed "sending" that wait for their slot
    max_attempts: int = 5
    backoff_base: float = 2.0  # seconds; doubled per attempt
    backoff_max: float = 600.0
    poll_interval: float = 1.0  # idle wait for new rows
    respect_window: bool = True  # only between the policy's send_from and send_until
    sender_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    # channels with limits of their own (WeChat): messages per second, paced apart from
    # `rate`, which every other channel (Telegram) shares as before
    channel_rates: dict[str, float] = field(default_factory=dict)


@dataclass
class SenderStats:
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    retried: int = 0  # transient errors that were retried
    rate_limited: int = 0  # 429 answers
    deferred: int = 0  # rows put back because their chat was told to wait (retry_after)
    unknown: int = 0  # rows left uncertain (maybe delivered)
    expired: int = 0
    started: float = field(default_factory=time.monotonic)
    first_send: float | None = None
    last_send: float | None = None

    @property
    def achieved_rate(self) -> float:
        if self.first_send is None or self.last_send is None or self.sent < 2:
            return 0.0
        return (self.sent - 1) / max(self.last_send - self.first_send, 1e-9)


@dataclass(frozen=True, slots=True)
class RecoveryResult:
    requeued: int  # claimed, never attempted: queued again
    unknown: int  # were being sent when the sender stopped: reported, never resent


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    campaign_id: int | None
    account_id: int
    payload: dict[str, Any]
    attempts: int
    channel: str
    external_id: str
    language: str
    unreachable: bool


class Pacer:
    """A sliding-window limiter: at most `capacity` starts in any `window` seconds, where
    capacity = floor(rate) and window = capacity / (rate * (1 - headroom)) >= 1 s, so no
    second ever holds more than `rate` starts. Unlike strict spacing, a start delayed by a
    slow commit is made up for later in the same window instead of being lost, so the
    achieved rate stays at the limit. Starts are also kept `min_gap` apart (half the mean
    spacing): catching up never becomes a burst."""

    def __init__(
        self, rate: float, headroom: float = 0.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or not 0 <= headroom < 1:
            raise ValueError("rate must be positive and headroom in [0, 1)")
        self.capacity = max(1, int(rate))
        self.window = self.capacity / (rate * (1.0 - headroom))
        self.min_gap = 0.5 * self.window / self.capacity
        self._clock = clock
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    def _ready_at(self, now: float) -> float:
        at = 0.0
        if self._starts:
            at = max(at, self._starts[-1] + self.min_gap)
            if len(self._starts) >= self.capacity:
                at = max(at, self._starts[-self.capacity] + self.window)
        return at

    async def acquire(self) -> None:
        async with self._lock:  # FIFO: waiters are served in order
            while True:
                now = self._clock()
                ready = self._ready_at(now)
                if now >= ready:
                    break
                await asyncio.sleep(ready - now)
            self._starts.append(now)
            while len(self._starts) > self.capacity:
                self._starts.popleft()


class OutboxSender:
    def __init__(self, ctx: AppContext, send: SendFn, config: SenderConfig | None = None) -> None:
        self.ctx = ctx
        self.send = send
        self.config = config or SenderConfig()
        self.stats = SenderStats()
        # limits the calls themselves, right before each
        self.pacer = Pacer(self.config.rate, self.config.headroom)
        self._channel_pacers = {
            channel: Pacer(rate, self.config.headroom)
            for channel, rate in self.config.channel_rates.items()
        }
        self._armed = asyncio.Semaphore(self.config.armed)
        # a paced channel arms its own rows: one waiting for WeChat's pacer never holds
        # the slot a Telegram row needs
        self._channel_armed = {
            channel: asyncio.Semaphore(self.config.armed) for channel in self._channel_pacers
        }
        self._chat_busy: set[str] = set()
        self._chat_next: dict[str, float] = {}
        # chat -> monotonic time before which Telegram asked us not to send to it (429)
        self._chat_deferred: dict[str, float] = {}
        self._campaigns: dict[int, dict[str, Any]] = {}
        self._in_flight: set[asyncio.Task[None]] = set()
        self._db_slots = asyncio.Semaphore(self.config.db_concurrency)

    # ------------------------------------------------------------------ database steps

    async def recover(self) -> RecoveryResult:
        """Run once at start, under the lease: requeue rows never attempted, and report rows
        whose call may have happened as `unknown` (never resent: at most once)."""
        async with self._db_slots, self.ctx.db.transaction() as session:
            requeued = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.CLAIMED.value)
                .values(status=OutboxStatus.QUEUED.value, claimed_by=None, claimed_at=None)
            )
            unknown = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.SENDING.value)
                .values(
                    status=OutboxStatus.UNKNOWN.value,
                    last_error="the sender stopped during the call; maybe delivered",
                )
            )
        result = RecoveryResult(_rowcount(requeued), _rowcount(unknown))
        if result.unknown:
            log.warning("outbox: %d rows were in flight at the last stop: unknown", result.unknown)
        self.stats.unknown += result.unknown
        return result

    async def _claim(self, limit: int) -> list[_Row]:
        now = self.ctx.now()
        async with self._db_slots, self.ctx.db.transaction() as session:
            pg = session.get_bind().dialect.name == "postgresql"
            # ORDER BY not_before alone: the (status, not_before) index yields rows in that
            # order and LIMIT stops early; adding id would sort a whole campaign (all rows of
            # one campaign share not_before) to take 200 of them
            lock = "FOR UPDATE SKIP LOCKED" if pg else ""
            sql = text(
                f"""UPDATE outbox SET status = :claimed, claimed_by = :me, claimed_at = :now
                WHERE id IN (SELECT id FROM outbox WHERE status = :queued AND not_before <= :now
                             ORDER BY not_before LIMIT :limit {lock})
                RETURNING id"""
            ).bindparams(
                bindparam("now", now, type_=UTCDateTime()),
                claimed=OutboxStatus.CLAIMED.value,
                queued=OutboxStatus.QUEUED.value,
                me=self.config.sender_id,
                limit=limit,
            )
            ids = [int(r[0]) for r in await session.execute(sql)]
            if not ids:
                return []
            rows = await session.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.campaign_id,
                    OutboxMessage.account_id,
                    OutboxMessage.payload,
                    OutboxMessage.attempts,
                    Account.channel,
                    Account.external_id,
                    Account.language,
                    Account.unreachable_at,
                )
                .join(Account, Account.id == OutboxMessage.account_id)
                .where(OutboxMessage.id.in_(ids))
                .order_by(OutboxMessage.not_before, OutboxMessage.id)
            )
            claimed = [
                _Row(r[0], r[1], r[2], dict(r[3] or {}), r[4], r[5], r[6], r[7], r[8] is not None)
                for r in rows
            ]
            await self._load_campaigns(session, {r.campaign_id for r in claimed})
        return claimed

    async def _load_campaigns(self, session: AsyncSession, ids: set[int | None]) -> None:
        missing = {i for i in ids if i is not None and i not in self._campaigns}
        if missing:
            result = await session.execute(
                select(Campaign.id, Campaign.audience).where(Campaign.id.in_(missing))
            )
            for cid, audience in result:
                self._campaigns[int(cid)] = dict(audience or {})

    async def _set(self, row_id: int, expect: OutboxStatus, **values: Any) -> bool:
        """Move one row on, only from the state this sender left it in. Core on a bare
        connection: this runs twice per message, the ORM session's overhead is not needed."""
        async with self._db_slots, self.ctx.db.engine.begin() as conn:
            result = await conn.execute(
                update(OUTBOX)  # type: ignore[arg-type]
                .where(
                    OUTBOX.c.id == row_id,
                    OUTBOX.c.status == expect.value,
                    OUTBOX.c.claimed_by == self.config.sender_id,
                )
                .values(**values)
            )
        return _rowcount(result) == 1

    async def _release(self, row_id: int) -> None:
        await self._set(
            row_id,
            OutboxStatus.CLAIMED,
            status=OutboxStatus.QUEUED.value,
            claimed_by=None,
            claimed_at=None,
        )

    async def _mark_unreachable(self, row: _Row, error: str) -> None:
        """The user blocked the bot: mark the account and drop what is queued for it.

        Rows are dropped in the campaigns this sender has seen (found through the
        (campaign_id, account_id) index, not a scan of a million-row outbox); any other row
        of the account is dropped when it is claimed, since the claim reads unreachable_at."""
        now = self.ctx.now()
        async with self._db_slots, self.ctx.db.transaction() as session:
            await session.execute(
                update(Account)
                .where(Account.id == row.account_id, Account.unreachable_at.is_(None))
                .values(unreachable_at=now)
            )
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(status=OutboxStatus.UNREACHABLE.value, last_error=error[:500])
            )
            if self._campaigns:
                await session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.campaign_id.in_(list(self._campaigns)),
                        OutboxMessage.account_id == row.account_id,
                        OutboxMessage.status.in_(
                            [OutboxStatus.QUEUED.value, OutboxStatus.CLAIMED.value]
                        ),
                    )
                    .values(status=OutboxStatus.UNREACHABLE.value, last_error=error[:500])
                )

    # ------------------------------------------------------------------ one row

    def _window_open(self) -> bool:
        if not self.config.respect_window:
            return True
        policy = self.ctx.policies.latest_until(self.ctx.today().year)
        if policy is None:
            return True
        local = self.ctx.now().astimezone(_zone(policy.timezone)).time()
        return in_window(policy.send_from, policy.send_until, local)

    async def _chat_turn(self, chat: str) -> None:
        """Wait until this chat may get its next message; one row per chat at a time."""
        while True:
            wait = self._chat_next.get(chat, 0.0) - time.monotonic()
            if chat not in self._chat_busy and wait <= 0:
                self._chat_busy.add(chat)
                return
            await asyncio.sleep(max(wait, 0.01))

    async def _process(self, row: _Row) -> None:
        if row.unreachable:
            await self._set(row.id, OutboxStatus.CLAIMED, status=OutboxStatus.UNREACHABLE.value)
            self.stats.unreachable += 1
            return
        rendered = render_message(
            row.payload, row.language, self.ctx.today(), self._campaigns.get(row.campaign_id or 0)
        )
        if rendered.expired:
            await self._set(row.id, OutboxStatus.CLAIMED, status=OutboxStatus.EXPIRED.value)
            self.stats.expired += 1
            return
        chat = f"{row.channel}:{row.external_id}"
        await self._chat_turn(chat)
        try:
            wait = self._chat_deferred.get(chat, 0.0) - time.monotonic()
            if wait > 0:
                await self._defer(row, wait)
            else:
                await self._send_row(row, rendered.text, rendered.buttons, chat)
        finally:
            self._chat_busy.discard(chat)

    async def _defer(self, row: _Row, seconds: float) -> None:
        """Put a claimed row back until its chat's retry_after has passed, freeing its slot
        for other chats instead of waiting in it."""
        await self._set(
            row.id,
            OutboxStatus.CLAIMED,
            status=OutboxStatus.QUEUED.value,
            not_before=self.ctx.now() + timedelta(seconds=seconds),
            claimed_by=None,
            claimed_at=None,
        )
        self.stats.deferred += 1

    async def _send_row(self, row: _Row, text: str, buttons: Buttons | None, chat: str) -> None:
        # Only `armed` rows at a time are committed "sending" ahead of their slot: enough to
        # keep the pacer fed through a slow commit, few enough to keep the uncertain window
        # (what a crash leaves "unknown") to a couple of rows plus the calls in flight.
        async with self._channel_armed.get(row.channel, self._armed):
            if not self._window_open():
                await self._release(row.id)
                return
            if not await self._set(
                row.id,
                OutboxStatus.CLAIMED,
                status=OutboxStatus.SENDING.value,
                attempts=row.attempts + 1,
            ):
                return
            await self._channel_pacers.get(row.channel, self.pacer).acquire()
        self._chat_next[chat] = time.monotonic() + self.config.per_chat_interval
        outgoing = Outgoing(
            row.id,
            row.account_id,
            row.language,
            row.payload,
            self._campaigns.get(row.campaign_id or 0),
        )
        try:
            token = OUTGOING.set(outgoing)
            try:
                await self.send(row.channel, row.external_id, text, buttons)
            finally:
                OUTGOING.reset(token)
        except RetryLater as exc:
            # nothing was sent; this chat waits, the others go on
            self._chat_deferred[chat] = time.monotonic() + exc.seconds
            self.stats.rate_limited += 1
            await self._set(
                row.id,
                OutboxStatus.SENDING,
                status=OutboxStatus.QUEUED.value,
                attempts=row.attempts,  # a 429 is not the row's fault
                not_before=self.ctx.now() + timedelta(seconds=exc.seconds),
                claimed_by=None,
                claimed_at=None,
                last_error=str(exc),
            )
        except Unreachable as exc:
            await self._mark_unreachable(row, f"unreachable: {exc}")
            self.stats.unreachable += 1
        except TransientError as exc:
            await self._transient(row, exc)
        except PermanentError as exc:
            await self._set(
                row.id,
                OutboxStatus.SENDING,
                status=OutboxStatus.FAILED.value,
                last_error=f"permanent: {exc}"[:500],
            )
            self.stats.failed += 1
        except Exception as exc:  # an unexpected error: we cannot know if it was delivered
            log.exception("outbox: unexpected error while sending row %d", row.id)
            await self._set(
                row.id,
                OutboxStatus.SENDING,
                status=OutboxStatus.UNKNOWN.value,
                last_error=f"{type(exc).__name__}: {exc}"[:500],
            )
            self.stats.unknown += 1
        else:
            await self._set(
                row.id,
                OutboxStatus.SENDING,
                status=OutboxStatus.SENT.value,
                sent_at=self.ctx.now(),
                last_error=None,
            )
            now = time.monotonic()
            self.stats.sent += 1
            self.stats.first_send = self.stats.first_send or now
            self.stats.last_send = now

    async def _transient(self, row: _Row, exc: TransientError) -> None:
        attempts = row.attempts + 1
        if exc.maybe_delivered:
            await self._set(
                row.id,
                OutboxStatus.SENDING,
                status=OutboxStatus.UNKNOWN.value,
                last_error=f"maybe delivered: {exc}"[:500],
            )
            self.stats.unknown += 1
        elif attempts >= self.config.max_attempts:
            await self._set(
                row.id,
                OutboxStatus.SENDING,
                status=OutboxStatus.FAILED.value,
                last_error=f"gave up after {attempts} attempts: {exc}"[:500],
            )
            self.stats.failed += 1
        else:
            delay = min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempts - 1))
            delay *= random.uniform(0.8, 1.2)  # jitter: retries of many rows do not align
            await self._set(
                row.id,
                OutboxStatus.SENDING,
                status=OutboxStatus.QUEUED.value,
                not_before=self.ctx.now() + timedelta(seconds=delay),
                claimed_by=None,
                claimed_at=None,
                last_error=f"transient: {exc}"[:500],
            )
            self.stats.retried += 1

    # ------------------------------------------------------------------ the loop

    async def _next_due_in(self) -> float | None:
        """Seconds until the earliest queued row is due (0 if due now), None if none."""
        async with self._db_slots, self.ctx.db.transaction() as session:
            earliest = await session.scalar(
                select(func.min(OutboxMessage.not_before)).where(
                    OutboxMessage.status == OutboxStatus.QUEUED.value
                )
            )
        if earliest is None:
            return None
        if not isinstance(earliest, datetime):  # SQLite aggregates come back as text
            earliest = datetime.fromisoformat(str(earliest))
        if earliest.tzinfo is None:
            earliest = earliest.replace(tzinfo=self.ctx.now().tzinfo)
        return max(0.0, (earliest - self.ctx.now()).total_seconds())

    async def _wait_for_window(self, stop: asyncio.Event) -> None:
        policy = self.ctx.policies.latest_until(self.ctx.today().year)
        if not self.config.respect_window or policy is None or self._window_open():
            return
        now = self.ctx.now()
        start = next_send_time(policy.send_from, policy.send_until, now, policy.timezone)
        await _sleep_or_stop(stop, min((start - now).total_seconds(), 60.0))

    async def run(
        self,
        stop: asyncio.Event | None = None,
        *,
        until_idle: bool = False,
        idle_horizon: float = 120.0,
    ) -> SenderStats:
        """Send until `stop` is set (or, with until_idle, until nothing is due within
        `idle_horizon` seconds and nothing is in flight). Call recover() first, once."""
        stop = stop or asyncio.Event()
        slots = asyncio.Semaphore(self.config.max_in_flight)
        try:
            while not stop.is_set():
                await self._wait_for_window(stop)
                if stop.is_set() or not self._window_open():
                    continue
                rows = await self._claim(self.config.batch_size)
                if not rows:
                    if self._in_flight:
                        await asyncio.wait(self._in_flight, timeout=self.config.poll_interval)
                        continue
                    due_in = await self._next_due_in()
                    if until_idle and (due_in is None or due_in > idle_horizon):
                        break
                    wait = self.config.poll_interval if due_in is None else due_in
                    await _sleep_or_stop(stop, min(max(wait, 0.01), self.config.poll_interval))
                    continue
                for i, row in enumerate(rows):
                    if stop.is_set():
                        for rest in rows[i:]:
                            await self._release(rest.id)
                        break
                    await slots.acquire()
                    task = asyncio.create_task(self._guarded(row, slots))
                    self._in_flight.add(task)
                    task.add_done_callback(self._in_flight.discard)
                self._prune_chats()
            if self._in_flight:  # a graceful stop lets calls in flight finish
                await asyncio.wait(self._in_flight)
        finally:
            for task in list(self._in_flight):
                task.cancel()
        return self.stats

    async def _guarded(self, row: _Row, slots: asyncio.Semaphore) -> None:
        try:
            await self._process(row)
        except asyncio.CancelledError:
            raise
        except Exception:  # a database hiccup must not kill the loop; restart recovers
            log.exception("outbox: row %d could not be processed", row.id)
        finally:
            slots.release()

    def _prune_chats(self) -> None:
        now = time.monotonic()
        if len(self._chat_next) > 10_000:
            self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
        if len(self._chat_deferred) > 1_000:
            self._chat_deferred = {k: v for k, v in self._chat_deferred.items() if v > now}


async def drain(ctx: AppContext, send: SendFn, config: SenderConfig | None = None) -> SenderStats:
    """Recover, then send everything due (tests and `cebot reminders send`)."""
    sender = OutboxSender(ctx, send, config)
    await sender.recover()
    return await sender.run(until_idle=True)


# --------------------------------------------------------------------------- helpers


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(seconds, 0.0))
