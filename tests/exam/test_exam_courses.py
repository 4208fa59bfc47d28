"""The mandatory course's chapters and the electives, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from exam_helpers import add_person, set_clock, shanghai
from sqlalchemy import func, select

from services.context import AppContext
from services.courses import (
    CheckResult,
    StudyRefused,
    elective_check,
    electives,
    get_chapter,
    mandatory_course,
    mark_chapter_read,
    submit_elective_check,
)
from services.progress import year_evaluation
from storage.models import AuditEntry, HourRecord, Question


async def right_answers(ctx: AppContext, course_id: int, person_id: int) -> dict[int, list[int]]:
    checks = await elective_check(ctx, person_id, course_id)
    async with ctx.db.transaction() as s:
        rows = await s.scalars(select(Question).where(Question.id.in_([c.id for c in checks])))
        return {q.id: list(q.answer) for q in rows}


async def finish_elective(ctx: AppContext, person_id: int, course_id: int) -> CheckResult:
    view = await mark_chapter_read(ctx, person_id, course_id, 1)
    while view.next_seq is not None:
        view = await mark_chapter_read(ctx, person_id, course_id, view.next_seq)
    return await submit_elective_check(
        ctx, person_id, course_id, await right_answers(ctx, course_id, person_id)
    )


async def test_chapters_in_order_place_remembered_course_done(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    course = await mandatory_course(ctx, pid)
    assert course.year == 2024 and course.title == ctx.policies[2024].mandatory_theme
    assert len(course.chapters) == 4 and course.next_seq == 1 and not course.completed
    with pytest.raises(StudyRefused) as refused:
        await mark_chapter_read(ctx, pid, course.id, 3)
    assert refused.value.reason == "locked"
    with pytest.raises(StudyRefused):
        await get_chapter(ctx, pid, course.id, 2)
    chapter = await get_chapter(ctx, pid, course.id, 1)
    assert (chapter.seq, chapter.count) == (1, 4) and "2013" in chapter.body
    await mark_chapter_read(ctx, pid, course.id, 1)
    await mark_chapter_read(ctx, pid, course.id, 1)  # tapped twice
    await mark_chapter_read(ctx, pid, course.id, 2)
    again = await mandatory_course(ctx, pid)
    assert (again.last_chapter, again.next_seq, again.completed) == (2, 3, False)
    await mark_chapter_read(ctx, pid, course.id, 3)
    done = await mark_chapter_read(ctx, pid, course.id, 4)
    assert done.completed and done.next_seq is None
    assert (await get_chapter(ctx, pid, course.id, 1)).seq == 1  # read chapters stay open


async def test_electives_grouped_by_policy_topic(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    view = await electives(ctx, pid)
    assert [g.topic for g in view.groups] == list(ctx.policies[2024].elective_topics)
    assert (view.completed, view.total, view.credited) == (0, 5, False)


async def test_all_electives_completed_credit_hours_exactly_once(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    view = await electives(ctx, pid)
    courses = [c for g in view.groups for c in g.courses]
    first = courses[0]
    with pytest.raises(StudyRefused) as refused:
        await elective_check(ctx, pid, first.id)
    assert refused.value.reason == "not_ready"
    await mark_chapter_read(ctx, pid, first.id, 1)
    checks = await elective_check(ctx, pid, first.id)
    assert 1 <= len(checks) <= 2
    failed = await submit_elective_check(ctx, pid, first.id, {})  # nothing answered
    assert failed.correct == 0
    assert not failed.passed and not failed.course_completed
    results = [await finish_elective(ctx, pid, c.id) for c in courses]
    assert [r.electives_credited for r in results] == [False] * 4 + [True]
    again = await finish_elective(ctx, pid, courses[-1].id)
    assert again.passed and not again.electives_credited
    async with ctx.db.transaction() as s:
        ev = await year_evaluation(s, ctx.policies[2024], pid)
        records = list(await s.scalars(select(HourRecord)))
        credits = await s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "credit")
        )
    assert ev.public_elective_hours == ctx.policies[2024].elective_hours == 10
    assert len(records) == 1 and credits == 1
    assert (records[0].subject, records[0].origin) == ("public_elective", "electives")
    assert (await electives(ctx, pid)).credited


async def test_electives_made_up_next_year_count_for_last_year(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    set_clock(ctx, shanghai(2025, 1, 1, 0, 0))
    view = await electives(ctx, pid)
    assert view.year == 2024
    for c in [c for g in view.groups for c in g.courses]:
        await finish_elective(ctx, pid, c.id)
    async with ctx.db.transaction() as s:
        record = await s.scalar(select(HourRecord))
    assert record is not None and (record.year, record.completed_on) == (2024, date(2024, 12, 31))


async def test_study_closed_after_make_up(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    set_clock(ctx, shanghai(2026, 1, 1, 0, 0))
    with pytest.raises(StudyRefused) as refused:
        await mandatory_course(ctx, pid)
    assert refused.value.reason == "closed"
