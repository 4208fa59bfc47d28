"""The sender against a fake Bot API (through python-telegram-bot and telegram_sender):
429 with retry_after, 403 for some users, transient errors; exactly one message per reachable
user, blocked users marked, the rate the server saw never above the limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from conftest import Province
from fake_telegram import FakeTelegram
from sqlalchemy import select
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.outbox_sender import telegram_sender
from services.context import AppContext
from services.outbox import (
    OutboxSender,
    PermanentError,
    RetryLater,
    SenderConfig,
    TransientError,
    Unreachable,
    drain,
)
from services.reminders import BroadcastFilter, OutboxStatus, campaign_report, queue_broadcast
from storage.models import Account, OutboxMessage

RATE = 20.0
ARRIVAL_JITTER = 0.1  # seconds a request may arrive late on a busy machine
# PTB itself reads RetryAfter.retry_after in its constructor, which warns about a future type
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    request = HTTPXRequest(connection_pool_size=32)
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url, request=request) as b:
        yield b


async def people(province: Province, n: int, first_chat: int = 1000) -> list[int]:
    unit = await province.unit()
    return [(await province.person(unit, chat=first_chat + i))[1] or 0 for i in range(n)]


async def statuses(ctx: AppContext) -> dict[int, str]:
    async with ctx.db.transaction() as s:
        return {a: st for a, st in await s.execute(select(OutboxMessage.id, OutboxMessage.status))}


async def test_broadcast_through_429_and_403(
    rctx: AppContext, province: Province, fake_telegram: FakeTelegram, bot: Bot
) -> None:
    accounts = await people(province, 40)
    blocked = {1003, 1017, 1032}
    fake_telegram.blocked = blocked
    fake_telegram.throttle_calls = {10: 1, 31: 2}
    first = await queue_broadcast(rctx, "第一条通知", BroadcastFilter(), actor="admin")
    second = await queue_broadcast(rctx, "第二条通知", BroadcastFilter(), actor="admin")
    assert first.queued == second.queued == 40

    config = SenderConfig(rate=RATE, per_chat_interval=1.0, max_in_flight=8)
    stats = await drain(rctx, telegram_sender(bot), config)

    per_chat = fake_telegram.per_chat()
    reachable = {1000 + i for i in range(40)} - blocked
    assert set(per_chat) == reachable
    assert all(n == 2 for n in per_chat.values())  # one of each campaign, never a repeat
    texts = {(a.chat_id, a.text) for a in fake_telegram.accepted}
    assert len(texts) == len(fake_telegram.accepted)
    assert stats.sent == 2 * len(reachable) and stats.rate_limited == 2
    # blocked: marked, both their rows dropped after one 403 each
    assert [c for c, code, _t in fake_telegram.refused if code == 403] == sorted(blocked) or (
        sorted(c for c, code, _t in fake_telegram.refused if code == 403) == sorted(blocked)
    )
    async with rctx.db.transaction() as s:
        marked = set(
            await s.scalars(select(Account.external_id).where(Account.unreachable_at.is_not(None)))
        )
    assert marked == {str(c) for c in blocked}
    report = await campaign_report(rctx, first.key)
    assert (report.sent, report.unreachable, report.failed, report.unknown) == (37, 3, 0, 0)
    assert report.pending == 0 and report.duration is not None
    # the rate the server saw (429s included) never exceeded the limit in any second. The
    # pacer spaces the sends 1/RATE apart when they leave; on a loaded machine a request can
    # arrive up to a few tens of ms late and bunch with the next, so the server's window is
    # shortened by that much (a pacer that let 30 through in a second still fails this)
    assert fake_telegram.max_in_window(1.0 - ARRIVAL_JITTER) <= RATE
    # two messages to the same chat at least a second apart
    arrivals: dict[int, list[float]] = {}
    for a in fake_telegram.accepted:
        arrivals.setdefault(a.chat_id, []).append(a.at)
    assert min(t[1] - t[0] for t in arrivals.values()) >= 0.95
    assert len(accounts) == 40


async def test_retry_after_holds_back_only_that_chat(
    rctx: AppContext, province: Province, fake_telegram: FakeTelegram, bot: Bot
) -> None:
    """A 429 for one chat defers that chat's row until retry_after; the others go on at once
    (before, every send waited, and several 429s added up to a stalled broadcast)."""
    await people(province, 10)
    fake_telegram.throttle_calls = {3: 2}
    await queue_broadcast(rctx, "通知", BroadcastFilter(), actor="admin")
    stats = await drain(rctx, telegram_sender(bot), SenderConfig(rate=50, max_in_flight=1))
    throttled, _code, refused_at = fake_telegram.refused[0]
    others = [a.at for a in fake_telegram.accepted if a.chat_id != throttled]
    retried = [a.at for a in fake_telegram.accepted if a.chat_id == throttled]
    # the other chats did not wait for the 2 s: all of them were sent within a second
    assert len(others) == 9 and max(others) - refused_at < 1.0
    assert len(retried) == 1 and retried[0] - refused_at >= 1.9
    assert stats.rate_limited == 1 and len(fake_telegram.per_chat()) == 10


class ScriptedSend:
    """A send callable failing as told, per chat: a list of exceptions to raise in order."""

    def __init__(self, script: dict[str, list[Exception]]) -> None:
        self.script = script
        self.delivered: list[str] = []
        self.calls: list[str] = []

    async def __call__(self, channel: str, chat: str, text: str, buttons: object) -> None:
        self.calls.append(chat)
        todo = self.script.get(chat)
        if todo:
            raise todo.pop(0)
        self.delivered.append(chat)


async def test_transient_errors_are_retried_with_backoff_then_given_up(
    rctx: AppContext, province: Province
) -> None:
    await people(province, 5)
    send = ScriptedSend(
        {
            "1000": [TransientError("reset"), TransientError("reset")],  # then succeeds
            "1001": [TransientError("down")] * 5,  # gives up after max_attempts
            "1002": [TransientError("read timeout", maybe_delivered=True)],  # unknown
            "1003": [PermanentError("message is too long")],
            "1004": [Unreachable("blocked")],
        }
    )
    await queue_broadcast(rctx, "通知", BroadcastFilter(), actor="admin")
    config = SenderConfig(rate=100, backoff_base=0.05, max_attempts=3)
    stats = await drain(rctx, send, config)
    assert send.delivered == ["1000"]
    assert send.calls.count("1000") == 3 and send.calls.count("1001") == 3
    assert send.calls.count("1002") == 1 and send.calls.count("1004") == 1
    assert (stats.sent, stats.failed, stats.unknown, stats.unreachable) == (1, 2, 1, 1)
    assert sorted((await statuses(rctx)).values()) == sorted(
        ["sent", "failed", "unknown", "failed", "unreachable"]
    )


async def test_restart_requeues_claimed_rows_and_reports_sending_ones_unknown(
    rctx: AppContext, province: Province
) -> None:
    await people(province, 4)
    await queue_broadcast(rctx, "通知", BroadcastFilter(), actor="admin")
    async with rctx.db.transaction() as s:
        ids = list(await s.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
        for row_id, status in zip(ids, ["claimed", "sending", "sent", "queued"], strict=True):
            row = await s.get(OutboxMessage, row_id)
            assert row is not None
            row.status, row.claimed_by = status, "dead-sender"
    send = ScriptedSend({})
    sender = OutboxSender(rctx, send, SenderConfig(rate=100))
    recovered = await sender.recover()
    assert (recovered.requeued, recovered.unknown) == (1, 1)
    await sender.run(until_idle=True)
    assert sorted(send.delivered) == ["1000", "1003"]  # the "sending" row is never resent
    assert sorted((await statuses(rctx)).values()) == ["sent", "sent", "sent", "unknown"]


async def test_outside_the_window_nothing_is_sent(rctx: AppContext, province: Province) -> None:
    from conftest import shanghai, ticking

    await people(province, 2)
    rctx.clock = ticking(shanghai(2024, 11, 20, 21, 30))
    await queue_broadcast(rctx, "通知", BroadcastFilter(), actor="admin")
    send = ScriptedSend({})
    sender = OutboxSender(rctx, send, SenderConfig(rate=100, poll_interval=0.05))
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    await asyncio.sleep(0.5)
    stop.set()
    await task
    assert send.calls == []
    async with rctx.db.transaction() as s:
        nb = await s.scalar(select(OutboxMessage.not_before))
    assert nb == shanghai(2024, 11, 21, 9)


async def test_retry_later_from_a_plain_callable(rctx: AppContext, province: Province) -> None:
    await people(province, 3)
    send = ScriptedSend({"1001": [RetryLater(0.3)]})
    await queue_broadcast(rctx, "通知", BroadcastFilter(), actor="admin")
    stats = await drain(rctx, send, SenderConfig(rate=100))
    assert sorted(send.delivered) == ["1000", "1001", "1002"] and stats.rate_limited == 1
    assert set((await statuses(rctx)).values()) == {OutboxStatus.SENT.value}
