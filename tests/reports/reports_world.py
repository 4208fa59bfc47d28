"""A small province for the report tests, built row by row, that remembers every hour record it
made so that each figure can be checked against core.rules evaluating the same records."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from fractions import Fraction

from core.rules import Policy, RecordStatus, RecordView, Subject, YearEvaluation, evaluate_year
from services.context import AppContext
from services.policies import PolicyBook
from storage.models import Account, HourRecord, Person, Review, Role, Unit


def policy_book_with_2023(ctx: AppContext) -> PolicyBook:
    """The shipped 2024 policy and a 2023 one made from it (last year's completion needs a
    policy for last year; the repository ships 2024 only)."""
    p24 = ctx.policies[2024]
    p23 = replace(
        p24,
        year=2023,
        public_deadline=date(2023, 12, 31),
        makeup_until=date(2024, 6, 30),
        registration_deadline=date(2024, 3, 31),
        verification_deadline=date(2024, 3, 31),
    )
    return PolicyBook({2023: p23, 2024: p24}, {})


@dataclass
class World:
    ctx: AppContext
    _seq: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    records: dict[tuple[int, int], list[RecordView]] = field(
        default_factory=lambda: defaultdict(list)
    )
    people: dict[int, tuple[str, int | None]] = field(default_factory=dict)  # id -> name, unit

    async def unit(self, city: str, name: str | None = None) -> tuple[int, str]:
        n = next(self._seq)
        code = f"91450100MA{n:07d}X"[:18]
        async with self.ctx.db.transaction() as s:
            u = Unit(code=code, name=name or f"单位{n}", city=city, created_at=self.ctx.now())
            s.add(u)
            await s.flush()
            return u.id, code

    async def person(
        self,
        unit_id: int | None,
        name: str,
        *,
        chat: int | None = None,
        confirmed: bool = True,
        unreachable: bool = False,
    ) -> tuple[int, int | None]:
        """(person id, account id or None)."""
        n = next(self._seq)
        now = self.ctx.now()
        async with self.ctx.db.transaction() as s:
            p = Person(
                id_hash=f"hash{n}",
                id_cipher="x",
                id_masked=f"4501**********{n:04d}",
                name=name,
                unit_id=unit_id,
                unit_confirmed=confirmed,
                created_at=now,
                updated_at=now,
            )
            s.add(p)
            await s.flush()
            account_id = None
            if chat is not None:
                a = Account(
                    channel="telegram",
                    external_id=str(chat),
                    person_id=p.id,
                    language="zh",
                    unreachable_at=now if unreachable else None,
                    created_at=now,
                )
                s.add(a)
                await s.flush()
                account_id = a.id
        self.people[p.id] = (name, unit_id)
        return p.id, account_id

    async def hours(
        self,
        person_id: int,
        subject: Subject,
        hours: int | Fraction,
        status: RecordStatus,
        *,
        year: int = 2024,
        unit_id: int | None = None,
        origin: str = "claim",
        created_at: datetime | None = None,
    ) -> int:
        n = next(self._seq)
        async with self.ctx.db.transaction() as s:
            record = HourRecord(
                person_id=person_id,
                year=year,
                subject=subject.value,
                origin=origin,
                dedup_key=f"k{n}",
                unit_id=unit_id if unit_id is not None else self.people[person_id][1],
                title="课程",
                completed_on=date(year, 6, 1),
                hours=Fraction(hours),
                status=status.value,
                created_at=created_at or self.ctx.now(),
            )
            s.add(record)
            await s.flush()
            record_id = record.id
        self.records[(person_id, year)].append(RecordView(subject, status, Fraction(hours)))
        return record_id

    async def account(self, chat: int, display_name: str | None = None) -> int:
        async with self.ctx.db.transaction() as s:
            a = Account(
                channel="telegram",
                external_id=str(chat),
                language="zh",
                display_name=display_name,
                created_at=self.ctx.now(),
            )
            s.add(a)
            await s.flush()
            return a.id

    async def role(
        self, account_id: int, role: str, unit_id: int | None = None, *, revoked: bool = False
    ) -> None:
        now = self.ctx.now()
        async with self.ctx.db.transaction() as s:
            s.add(
                Role(
                    account_id=account_id,
                    role=role,
                    unit_id=unit_id,
                    granted_at=now,
                    granted_by="test",
                    revoked_at=now if revoked else None,
                )
            )

    async def review(self, record_id: int, account_id: int, at: datetime) -> None:
        async with self.ctx.db.transaction() as s:
            s.add(
                Review(
                    record_id=record_id, account_id=account_id, decision="approve", created_at=at
                )
            )

    def evaluation(self, policy: Policy, person_id: int) -> YearEvaluation:
        """core.rules on the records this world made, one by one."""
        return evaluate_year(policy, self.records.get((person_id, policy.year), []))

    def has_records(self, person_id: int, year: int) -> bool:
        return bool(self.records.get((person_id, year)))
