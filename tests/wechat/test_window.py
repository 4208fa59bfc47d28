"""The customer-service window (services.wechat_window) on SQLite and PostgreSQL: 5 messages
within 48 hours of a message, 3 within 60 seconds of a click, a new inbound resets the count,
and two senders racing for the last slot never both get it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from core.wechat_window import may_send
from services.context import AppContext
from services.wechat_window import close_window, note_inbound, take_slot
from storage.models import Account


async def _account(ctx: AppContext, openid: str = "o-window-1") -> int:
    async with ctx.db.transaction() as s:
        a = Account(channel="wechat", external_id=openid, created_at=ctx.now())
        s.add(a)
        await s.flush()
        return a.id


async def _slots(ctx: AppContext, account_id: int, at: datetime, n: int) -> list[bool]:
    taken = []
    for _ in range(n):
        async with ctx.db.transaction() as s:
            taken.append(await take_slot(s, account_id, at))
    return taken


async def _note(ctx: AppContext, account_id: int, kind: str, at: datetime) -> None:
    async with ctx.db.transaction() as s:
        await note_inbound(s, account_id, kind, at)  # type: ignore[arg-type]


async def test_no_inbound_no_slot(ctx: AppContext) -> None:
    account_id = await _account(ctx)
    assert await _slots(ctx, account_id, ctx.now(), 1) == [False]


async def test_five_within_48_hours_of_a_message(ctx: AppContext) -> None:
    account_id = await _account(ctx)
    t0 = ctx.now()
    await _note(ctx, account_id, "message", t0)
    later = t0 + timedelta(hours=47, minutes=59)
    assert await _slots(ctx, account_id, later, 6) == [True] * 5 + [False]


async def test_message_window_closes_at_48_hours(ctx: AppContext) -> None:
    account_id = await _account(ctx)
    t0 = ctx.now()
    await _note(ctx, account_id, "message", t0)
    assert await _slots(ctx, account_id, t0 + timedelta(hours=48), 1) == [False]
    # and the closed window did not count the refused slot: just inside still has all five
    assert await _slots(ctx, account_id, t0 + timedelta(hours=1), 5) == [True] * 5


async def test_three_within_60_seconds_of_a_click(ctx: AppContext) -> None:
    account_id = await _account(ctx)
    t0 = ctx.now()
    await _note(ctx, account_id, "click", t0)
    assert await _slots(ctx, account_id, t0 + timedelta(seconds=59), 4) == [True] * 3 + [False]

    other = await _account(ctx, "o-window-2")
    await _note(ctx, other, "click", t0)
    assert await _slots(ctx, other, t0 + timedelta(seconds=60), 1) == [False]


async def test_a_new_message_resets_the_count(ctx: AppContext) -> None:
    account_id = await _account(ctx)
    t0 = ctx.now()
    await _note(ctx, account_id, "message", t0)
    assert await _slots(ctx, account_id, t0 + timedelta(hours=1), 5) == [True] * 5
    assert await _slots(ctx, account_id, t0 + timedelta(hours=2), 1) == [False]
    t1 = t0 + timedelta(hours=3)
    await _note(ctx, account_id, "message", t1)
    assert await _slots(ctx, account_id, t1 + timedelta(hours=47), 6) == [True] * 5 + [False]


async def test_a_click_after_a_message_opens_the_click_window(ctx: AppContext) -> None:
    account_id = await _account(ctx)
    t0 = ctx.now()
    await _note(ctx, account_id, "message", t0)
    await _note(ctx, account_id, "click", t0 + timedelta(minutes=5))
    assert await _slots(ctx, account_id, t0 + timedelta(minutes=5, seconds=30), 4) == [
        True,
        True,
        True,
        False,
    ]
    assert await _slots(ctx, account_id, t0 + timedelta(minutes=7), 1) == [False]


async def test_closed_by_wechat_stays_closed_until_the_user_writes(ctx: AppContext) -> None:
    account_id = await _account(ctx)
    t0 = ctx.now()
    await _note(ctx, account_id, "message", t0)
    async with ctx.db.transaction() as s:
        await close_window(s, account_id)
    assert await _slots(ctx, account_id, t0 + timedelta(minutes=1), 1) == [False]
    await _note(ctx, account_id, "message", t0 + timedelta(minutes=2))
    assert await _slots(ctx, account_id, t0 + timedelta(minutes=3), 1) == [True]


async def test_racing_senders_never_exceed_the_limit(ctx: AppContext) -> None:
    account_id = await _account(ctx)
    t0 = ctx.now()
    await _note(ctx, account_id, "click", t0)

    async def one() -> bool:
        try:
            async with ctx.db.transaction() as s:
                return await take_slot(s, account_id, t0 + timedelta(seconds=1))
        except Exception:  # SQLite may refuse a concurrent writer: that slot is not taken
            return False

    granted = sum(await asyncio.gather(*(one() for _ in range(8))))
    assert 1 <= granted <= 3
    # the count kept is exactly what was granted: the rest of the three are still there
    left = await _slots(ctx, account_id, t0 + timedelta(seconds=2), 3)
    assert left == [True] * (3 - granted) + [False] * granted


@pytest.mark.parametrize(
    ("kind", "elapsed", "sent", "expected"),
    [
        ("message", timedelta(hours=47), 4, True),
        ("message", timedelta(hours=47), 5, False),
        ("click", timedelta(seconds=30), 2, True),
        ("click", timedelta(seconds=61), 0, False),
        ("subscribe", timedelta(seconds=1), 0, False),
    ],
)
def test_core_rule(kind: str, elapsed: timedelta, sent: int, expected: bool) -> None:
    t0 = datetime(2024, 12, 30, 2, 0)
    assert may_send(kind, t0, sent, t0 + elapsed) is expected
