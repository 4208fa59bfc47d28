"""Reminder fixtures: a tiny province built row by row (a Province helper), clocks that tick
from a chosen Shanghai moment, and a fake Bot API that can answer 429 and 403."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fake_telegram import FakeTelegram

from services.context import AppContext
from services.pii import IdProtector
from services.policies import PolicyBook
from storage.db import Database
from storage.models import (
    Account,
    ExamAttempt,
    ExamGrant,
    HourRecord,
    Person,
    Role,
    Unit,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEST_SECRET = b"test-secret-key-not-for-production"


def shanghai(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI).astimezone(UTC)


def ticking(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at `start` and runs at real speed (backoffs and 429s expire)."""
    t0 = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - t0)


def context(url: str, data_dir: Path, clock: Callable[[], datetime]) -> AppContext:
    return AppContext(
        db=Database(url),
        policies=PolicyBook.load(),
        ids=IdProtector(TEST_SECRET),
        data_dir=data_dir,
        clock=clock,
    )


@dataclass
class Province:
    ctx: AppContext
    _seq: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    async def unit(self, city: str = "南宁", code: str | None = None) -> int:
        n = next(self._seq)
        async with self.ctx.db.transaction() as s:
            u = Unit(
                code=code or f"U{n:017d}", name=f"单位{n}", city=city, created_at=self.ctx.now()
            )
            s.add(u)
            await s.flush()
            return u.id

    async def person(
        self,
        unit_id: int | None,
        *,
        chat: int | None = None,
        language: str = "zh",
        muted: bool = False,
        unreachable: bool = False,
        channel: str = "telegram",
    ) -> tuple[int, int | None]:
        """A person and (with `chat`) their bound account: (person_id, account_id)."""
        n = next(self._seq)
        now = self.ctx.now()
        async with self.ctx.db.transaction() as s:
            p = Person(
                id_hash=f"h{n}",
                id_cipher="x",
                id_masked="4501**********0000",
                name=f"人{n}",
                unit_id=unit_id,
                created_at=now,
                updated_at=now,
            )
            s.add(p)
            await s.flush()
            account_id = None
            if chat is not None:
                a = Account(
                    channel=channel,
                    external_id=str(chat),
                    person_id=p.id,
                    language=language,
                    muted_optional=muted,
                    unreachable_at=now if unreachable else None,
                    created_at=now,
                )
                s.add(a)
                await s.flush()
                account_id = a.id
            return p.id, account_id

    async def account(self, chat: int, language: str = "zh") -> int:
        async with self.ctx.db.transaction() as s:
            a = Account(
                channel="telegram",
                external_id=str(chat),
                language=language,
                created_at=self.ctx.now(),
            )
            s.add(a)
            await s.flush()
            return a.id

    async def reviewer(self, account_id: int, unit_id: int, revoked: bool = False) -> None:
        now = self.ctx.now()
        async with self.ctx.db.transaction() as s:
            s.add(
                Role(
                    account_id=account_id,
                    role="reviewer",
                    unit_id=unit_id,
                    granted_at=now,
                    granted_by="test",
                    revoked_at=now if revoked else None,
                )
            )

    async def hours(
        self,
        person_id: int,
        subject: str,
        hours: int | Fraction,
        status: str,
        *,
        year: int = 2024,
        unit_id: int | None = None,
    ) -> None:
        n = next(self._seq)
        async with self.ctx.db.transaction() as s:
            s.add(
                HourRecord(
                    person_id=person_id,
                    year=year,
                    subject=subject,
                    origin="claim",
                    dedup_key=f"k{n}",
                    unit_id=unit_id,
                    title="课程",
                    completed_on=date(year, 6, 1),
                    hours=Fraction(hours),
                    status=status,
                    created_at=self.ctx.now(),
                )
            )

    async def exam(self, person_id: int, attempts: int, grant: int = 0, year: int = 2024) -> None:
        now = self.ctx.now()
        async with self.ctx.db.transaction() as s:
            for i in range(attempts):
                s.add(
                    ExamAttempt(
                        person_id=person_id,
                        year=year,
                        attempt_no=i + 1,
                        status="submitted",
                        questions=[],
                        correct=0,
                        passed=False,
                        started_at=now,
                        submitted_at=now,
                    )
                )
            if grant:
                s.add(
                    ExamGrant(
                        person_id=person_id,
                        year=year,
                        extra_attempts=grant,
                        granted_by="admin",
                        granted_at=now,
                    )
                )


@pytest.fixture
async def rctx(database_url: str, tmp_path: Path) -> AsyncIterator[AppContext]:
    """A context on each database whose clock is set by `rctx.clock = ...` (starts ticking
    from 2024-11-20 10:00 Shanghai)."""
    c = context(database_url, tmp_path / "data", ticking(shanghai(2024, 11, 20)))
    yield c
    await c.db.dispose()


@pytest.fixture
def province(rctx: AppContext) -> Province:
    return Province(rctx)


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    api = FakeTelegram().start()
    yield api
    api.stop()
