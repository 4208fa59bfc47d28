"""A small demo province so that a fresh machine has something to show: four units in three
cities, eight people, 2024 hours in every state (complete, short, pending review)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from core.rules import RecordStatus, Subject
from services.context import AppContext
from services.imports import ImportResult, import_hours, import_people, import_units
from services.question_bank import seed_demo_content
from storage.models import HourRecord, Person

DEMO_SOURCE = "广西专业技术人员继续教育基地（演示）"
# (ID number, claim key, title, organiser, day, hours): claims waiting for the unit's review
_PENDING_CLAIMS = [
    (
        "450305198511230448",
        "demo-claim-1",
        "市级教研活动：作业设计专题",
        "柳州市教育局",
        date(2024, 10, 16),
        Fraction(12),
    ),
]


@dataclass(frozen=True)
class DemoResult:
    units: ImportResult
    people: ImportResult
    hours: ImportResult
    claims_added: int


def demo_file(name: str) -> Path:
    return Path(str(resources.files("services") / "demo" / name))


async def seed_demo(ctx: AppContext) -> DemoResult:
    """Idempotent: running it again adds nothing."""
    units = await import_units(ctx, demo_file("units.csv"), actor="demo")
    people = await import_people(ctx, demo_file("people.csv"), actor="demo")
    hours = await import_hours(ctx, demo_file("hours.csv"), source=DEMO_SOURCE, actor="demo")
    added = 0
    now = ctx.now()
    async with ctx.db.transaction() as session:
        for id_number, key, title, organiser, day, hours_claimed in _PENDING_CLAIMS:
            person = await session.scalar(
                select(Person).where(Person.id_hash == ctx.ids.lookup_hash(id_number))
            )
            assert person is not None  # people.csv holds every claimant
            exists = await session.scalar(
                select(HourRecord.id).where(
                    HourRecord.person_id == person.id, HourRecord.dedup_key == key
                )
            )
            if exists is None:
                session.add(
                    HourRecord(
                        person_id=person.id,
                        year=day.year,
                        subject=Subject.PROFESSIONAL.value,
                        origin="claim",
                        dedup_key=key,
                        unit_id=person.unit_id,
                        category="training",
                        title=title,
                        organiser=organiser,
                        started_on=day,
                        completed_on=day,
                        hours=hours_claimed,
                        status=RecordStatus.PENDING.value,
                        pledged_at=now,
                        created_at=now,
                    )
                )
                added += 1
    await seed_demo_content(ctx)
    return DemoResult(units, people, hours, added)
