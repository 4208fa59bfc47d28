"""A synthetic province for load tests and benchmarks (`cebot demo --people N`): units in
Guangxi's fourteen cities, people with valid (made-up) ID numbers, hashed and encrypted like
real ones, a chat account for most of them, and a year of hours in every state: public subjects
done or not, professional hours verified, pending or missing. Deterministic for a seed.

Bulk inserts through SQLAlchemy Core in chunks (one transaction each), so a million people is
minutes, not hours; the importer's validation is not what these numbers measure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import func, insert, select

from core.idnumber import make_id_number, mask_id_number
from core.uscc import make_unit_code
from services.context import AppContext
from storage.models import Account, HourRecord, Person, Unit

CITIES = (
    "南宁市",
    "柳州市",
    "桂林市",
    "梧州市",
    "北海市",
    "防城港市",
    "钦州市",
    "贵港市",
    "玉林市",
    "百色市",
    "贺州市",
    "河池市",
    "来宾市",
    "崇左市",
)
REGIONS = ("450103", "450202", "450305", "450403", "450502", "450602", "450702", "450802")
CHUNK = 5000
CHANNEL = "synthetic"  # accounts nobody can message: the sender treats them as unreachable


@dataclass(frozen=True)
class ProvinceResult:
    units: int
    people: int
    accounts: int
    records: int


def _unit_code(n: int) -> str:
    # 17 body characters: registration authority 1, kind 2, region 450000, then a serial
    return make_unit_code(f"12450000MB{n:07d}")


def _records_for(
    rng: random.Random, person_id: int, unit_id: int, year: int, now: Any
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(subject: str, key: str, hours: Fraction, status: str, origin: str, day: date) -> None:
        rows.append(
            {
                "person_id": person_id,
                "year": year,
                "subject": subject,
                "origin": origin,
                "source": "synthetic",
                "dedup_key": key,
                "unit_id": unit_id,
                "title": "合成数据",
                "completed_on": day,
                "hours": hours,
                "status": status,
                "created_at": now,
                "version": 1,
            }
        )

    start = date(year, 1, 1)
    if rng.random() < 0.7:
        add(
            "public_mandatory",
            f"public_mandatory:{year}",
            Fraction(15),
            "credited",
            "exam",
            start + timedelta(days=rng.randrange(300)),
        )
    if rng.random() < 0.6:
        add(
            "public_elective",
            f"public_elective:{year}",
            Fraction(10),
            "credited",
            "electives",
            start + timedelta(days=rng.randrange(300)),
        )
    for n in range(rng.choice((0, 1, 2, 3, 4))):
        status = rng.choices(("approved", "pending", "rejected"), weights=(75, 20, 5))[0]
        hours = Fraction(rng.randrange(8, 61, 2), 2)
        add(
            "professional",
            f"syn:{n}",
            hours,
            status,
            "claim",
            start + timedelta(days=rng.randrange(330)),
        )
    return rows


def synthetic_id_number(n: int) -> str:
    """The n-th synthetic person's ID number (unique for n below 14,000,000)."""
    birth = date(1960, 1, 1) + timedelta(days=n % 14000)
    return make_id_number(REGIONS[n % len(REGIONS)], birth, n // 14000 % 1000)


async def generate_province(
    ctx: AppContext,
    people: int,
    *,
    year: int,
    seed: int = 2024,
    people_per_unit: int = 200,
    account_share: float = 0.8,
) -> ProvinceResult:
    """Add `people` people (after any already there: numbering continues) with their year."""
    rng = random.Random(seed)
    now = ctx.now()
    async with ctx.db.transaction() as session:
        first_unit = int(await session.scalar(select(func.count(Unit.id))) or 0)
        first_person = int(await session.scalar(select(func.count(Person.id))) or 0)
    unit_count = max(1, -(-people // people_per_unit))
    unit_rows = [
        {
            "code": _unit_code(first_unit + n),
            "name": f"合成单位{first_unit + n:06d}",
            "city": CITIES[(first_unit + n) % len(CITIES)],
            "created_at": now,
        }
        for n in range(unit_count)
    ]
    async with ctx.db.transaction() as session:
        unit_ids = list(
            (await session.execute(insert(Unit).returning(Unit.id), unit_rows)).scalars()
        )
    accounts = records = 0
    for chunk_start in range(0, people, CHUNK):
        size = min(CHUNK, people - chunk_start)
        person_rows = []
        units_of: list[int] = []
        for i in range(chunk_start, chunk_start + size):
            n = first_person + i
            number = synthetic_id_number(n)
            unit_id = unit_ids[i // people_per_unit]
            units_of.append(unit_id)
            person_rows.append(
                {
                    # the real lookup hash: a load test can bind these people by number
                    "id_hash": ctx.ids.lookup_hash(number),
                    "id_cipher": ctx.ids.encrypt(number),
                    "id_masked": mask_id_number(number),
                    "name": f"合成{n:07d}",
                    "unit_id": unit_id,
                    "unit_confirmed": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        async with ctx.db.transaction() as session:
            ids = list(
                (await session.execute(insert(Person).returning(Person.id), person_rows)).scalars()
            )
            account_rows = [
                {
                    "channel": CHANNEL,
                    "external_id": f"syn{pid}",
                    "person_id": pid,
                    "language": "zh",
                    "muted_optional": False,
                    "failed_attempts": 0,
                    "created_at": now,
                }
                for pid in ids
                if rng.random() < account_share
            ]
            if account_rows:
                await session.execute(insert(Account), account_rows)
            record_rows = [
                row
                for pid, unit_id in zip(ids, units_of, strict=True)
                for row in _records_for(rng, pid, unit_id, year, now)
            ]
            if record_rows:
                await session.execute(insert(HourRecord), record_rows)
        accounts += len(account_rows)
        records += len(record_rows)
    return ProvinceResult(unit_count, people, accounts, records)
