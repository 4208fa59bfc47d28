"""The lease (exactly one active scheduler/sender) and the scheduler process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import Province, context, shanghai, ticking
from sqlalchemy import select

from services.context import AppContext
from services.lease import Lease
from services.outbox import SenderConfig
from services.scheduler import LEASE_NAME, run_scheduler
from storage.db import Database
from storage.models import Campaign


async def test_two_contenders_on_postgres_exactly_one_wins(postgres_url: str) -> None:
    a, b = Database(postgres_url), Database(postgres_url)
    try:
        results = await asyncio.gather(*(Lease.try_acquire(db, "contended") for db in (a, b, a, b)))
        winners = [r for r in results if r is not None]
        assert len(winners) == 1
        assert await winners[0].alive()
        other = await Lease.try_acquire(b, "other-name")  # names are independent
        assert other is not None
        await other.release()
        await winners[0].release()
        again = await Lease.try_acquire(b, "contended")
        assert again is not None
        await again.release()
    finally:
        await a.dispose()
        await b.dispose()


async def test_postgres_lease_is_freed_when_its_connection_dies(postgres_url: str) -> None:
    a, b = Database(postgres_url), Database(postgres_url)
    try:
        held = await Lease.try_acquire(a, "crash")
        assert held is not None
        assert await Lease.try_acquire(b, "crash") is None
        assert held._conn is not None
        await held._conn.invalidate()  # as if the process died: the server ends the session
        assert not await held.alive()
        await held.release()  # closes what is left of the connection
        for _ in range(50):
            taken = await Lease.try_acquire(b, "crash")
            if taken is not None:
                await taken.release()
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the lease was not freed")
    finally:
        await a.dispose()
        await b.dispose()


async def test_sqlite_file_lock(sqlite_url: str) -> None:
    a, b = Database(sqlite_url), Database(sqlite_url)
    try:
        first = await Lease.try_acquire(a, LEASE_NAME)
        assert first is not None and await first.alive()
        assert await Lease.try_acquire(b, LEASE_NAME) is None
        await first.release()
        second = await Lease.try_acquire(b, LEASE_NAME)
        assert second is not None
        await second.release()
    finally:
        await a.dispose()
        await b.dispose()


async def test_scheduler_queues_the_day_and_sends_standby_waits(
    rctx: AppContext, province: Province, tmp_path: Path, database_url: str
) -> None:
    unit = await province.unit()
    for i in range(3):
        await province.person(unit, chat=700 + i)
    rctx.clock = ticking(shanghai(2024, 12, 24, 10))  # 7 days before 31 December
    sent: list[str] = []

    async def send(channel: str, chat: str, text: str, buttons: object) -> None:
        sent.append(chat)

    other = context(database_url, tmp_path, rctx.clock)
    other_sent: list[str] = []

    async def other_send(channel: str, chat: str, text: str, buttons: object) -> None:
        other_sent.append(chat)

    states: list[str] = []
    stop = asyncio.Event()
    config = SenderConfig(rate=50, poll_interval=0.05)
    active = asyncio.create_task(
        run_scheduler(rctx, send, config=config, stop=stop, lease_check=0.1, on_state=states.append)
    )
    await asyncio.sleep(0.3)
    standby = asyncio.create_task(
        run_scheduler(
            other, other_send, config=config, stop=stop, standby_poll=0.1, on_state=states.append
        )
    )
    for _ in range(100):
        if len(sent) == 3:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.gather(active, standby)
    await other.db.dispose()
    assert sorted(sent) == ["700", "701", "702"] and other_sent == []
    assert states[:2] == ["active", "standby"]
    async with rctx.db.transaction() as s:
        assert list(await s.scalars(select(Campaign.key))) == ["public:2024:d7"]
