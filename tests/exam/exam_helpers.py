"""Helpers for the public-subject tests (imported as a top-level module: tests have no
packages, and pytest puts this folder on sys.path)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.exam import DrawnQuestion
from core.idnumber import make_id_number, mask_id_number
from services.context import AppContext
from services.courses import mandatory_course, mark_chapter_read
from storage.models import Account, ExamAttempt, Person, Question

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def set_clock(ctx: AppContext, when: datetime) -> None:
    ctx.clock = lambda: when


async def add_person(ctx: AppContext, seq: int = 1, *, account: bool = True) -> int:
    id_number = make_id_number("450103", date(1988, 3, 12), seq)
    now = ctx.now()
    async with ctx.db.transaction() as s:
        person = Person(
            id_hash=ctx.ids.lookup_hash(id_number),
            id_cipher=ctx.ids.encrypt(id_number),
            id_masked=mask_id_number(id_number),
            name=f"测试{seq}",
            created_at=now,
            updated_at=now,
        )
        s.add(person)
        await s.flush()
        if account:
            s.add(
                Account(channel="test", external_id=f"u{seq}", person_id=person.id, created_at=now)
            )
        return person.id


def id_number_of(seq: int) -> str:
    return make_id_number("450103", date(1988, 3, 12), seq)


async def read_course(ctx: AppContext, person_id: int) -> None:
    course = await mandatory_course(ctx, person_id)
    for chapter in course.chapters:
        await mark_chapter_read(ctx, person_id, course.id, chapter.seq)


async def choices_for(ctx: AppContext, attempt_id: int, *, right: bool) -> list[list[int]]:
    """Displayed option indexes answering every question of the attempt right (or wrong)."""
    async with ctx.db.transaction() as s:
        attempt = await s.get(ExamAttempt, attempt_id)
        assert attempt is not None
        drawn = [DrawnQuestion.from_json(d) for d in attempt.questions]
        bank = {
            q.id: q
            for q in await s.scalars(select(Question).where(Question.id.in_([d.id for d in drawn])))
        }
    result = []
    for d in drawn:
        answer = set(bank[d.id].answer)
        shown = [i for i, original in enumerate(d.order) if original in answer]
        if not right:
            wrong = [i for i in range(len(d.order)) if i not in shown]
            # every option right (multiple choice): a strict subset is wrong
            shown = [wrong[0]] if wrong else shown[:1]
        result.append(shown)
    return result
