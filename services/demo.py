"""A small demo province so that a fresh machine has something to show: four units in three
cities, eight people, 2024 hours in every state (complete, short, pending review).

Years after the last real notice up to today's year get demo policies (generated from the
newest real one, marked `demo = true`, never a real notice) with the same course, questions and
a share of the hours, so that a new user on any date sees a current year with its exam open, a
previous year with make-up, and the year end coming."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from core.rules import RecordStatus, Subject
from services.context import AppContext
from services.imports import ImportResult, import_hours, import_people, import_units
from services.policy_admin import draft_text
from services.question_bank import import_courses, import_questions, seed_demo_content
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


async def seed_demo(ctx: AppContext, *, policy_dir: Path | None = None) -> DemoResult:
    """Idempotent: running it again adds nothing. With `policy_dir` (the administrator's
    policy folder) the years since the last real notice are seeded too."""
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
    if policy_dir is not None:
        for year in await seed_demo_years(ctx, policy_dir):
            hours_added = await _seed_year_content(ctx, policy_dir, year)
            added += hours_added
    return DemoResult(units, people, hours, added)


TEMPLATE_YEAR = 2024  # the demo's course, questions and hours are written for this year


def demo_years(ctx: AppContext) -> list[int]:
    """Years after the newest real (non-demo) policy up to today's year."""
    real = [y for y, p in ctx.policies.items() if not p.demo]
    if not real:
        return []
    return list(range(max(real) + 1, ctx.today().year + 1))


async def seed_demo_years(ctx: AppContext, policy_dir: Path) -> list[int]:
    """Write a demo policy for each year since the last real notice (once), reload the book,
    and return those years."""
    years = demo_years(ctx)
    source = ctx.policies.paths.get(TEMPLATE_YEAR)
    if not years or source is None:
        return []
    template = source.read_text(encoding="utf-8")
    for year in years:
        target = policy_dir / f"{year}.toml"
        if year in ctx.policies or year in ctx.policies.drafts or target.exists():
            continue  # a real or an administrator's file for that year wins
        policy_dir.mkdir(parents=True, exist_ok=True)
        target.write_text(draft_text(template, TEMPLATE_YEAR, year, demo=True), encoding="utf-8")
    ctx.policies.reload()
    return [y for y in years if y in ctx.policies and ctx.policies[y].demo]


def _shifted(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


async def _seed_year_content(ctx: AppContext, work_dir: Path, year: int) -> int:
    """The template year's course and questions, and its hours moved to `year`: all of them
    for a past year, for the current year only the professional hours done by today (the
    public subjects are left to do, in the bot)."""
    folder = work_dir / "demo-content"
    folder.mkdir(parents=True, exist_ok=True)
    courses = json.loads(demo_file(f"course-{TEMPLATE_YEAR}.json").read_text(encoding="utf-8"))
    for course in courses:
        course["year"] = year
    course_file = folder / f"course-{year}.json"
    course_file.write_text(json.dumps(courses, ensure_ascii=False), encoding="utf-8")
    await import_courses(ctx, course_file, actor="demo")

    questions_text = demo_file(f"questions-{TEMPLATE_YEAR}.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(questions_text)))
    for row in rows:
        row["year"] = str(year)
    questions_file = folder / f"questions-{year}.csv"
    questions_file.write_text(_csv_text(rows), encoding="utf-8")
    await import_questions(ctx, questions_file, actor="demo")

    today = ctx.today()
    hour_rows = []
    for row in csv.DictReader(io.StringIO(demo_file("hours.csv").read_text(encoding="utf-8"))):
        done = _shifted(date.fromisoformat(row["完成日期"]), year)
        if year == today.year and (row["科目"] != "专业科目" or done > today):
            continue
        row["年度"] = str(year)
        row["完成日期"] = done.isoformat()
        row["课程编号"] = row["课程编号"].replace(str(TEMPLATE_YEAR), str(year))
        hour_rows.append(row)
    if not hour_rows:
        return 0
    hours_file = folder / f"hours-{year}.csv"
    hours_file.write_text(_csv_text(hour_rows), encoding="utf-8")
    result = await import_hours(ctx, hours_file, source=DEMO_SOURCE, actor="demo")
    return result.added


def _csv_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
