"""The exam as the bot drives it: attempts, counting, expiry, remedial re-exam, make-up.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from fractions import Fraction

import pytest
import time_machine
from exam_helpers import add_person, choices_for, id_number_of, read_course, set_clock, shanghai
from sqlalchemy import ColumnElement, func, select

from core.exam import DEFAULT_ABANDON_AFTER
from services.context import AppContext, utc_now
from services.courses import StudyRefused
from services.exam import (
    ExamRefused,
    ExamResult,
    answer,
    decide_remedial,
    exam_status,
    reopen_exam,
    request_remedial,
    start_or_resume_attempt,
    submit,
)
from services.policies import PolicyBook
from services.progress import year_evaluation
from storage.models import AuditEntry, ExamAttempt, HourRecord, Role


async def take(ctx: AppContext, person_id: int, *, right: bool) -> ExamResult:
    view = await start_or_resume_attempt(ctx, person_id)
    for position, chosen in enumerate(await choices_for(ctx, view.id, right=right)):
        await answer(ctx, person_id, view.id, position, chosen)
    return await submit(ctx, person_id, view.id)


async def count(ctx: AppContext, model: type, *where: ColumnElement[bool]) -> int:
    async with ctx.db.transaction() as s:
        n = await s.scalar(select(func.count()).select_from(model).where(*where))
    return n or 0


async def test_pass_on_third_attempt_credits_hours_once_and_fourth_is_refused(
    seeded: AppContext,
) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    await read_course(ctx, pid)
    policy = ctx.policies[2024]
    for expected_left in (2, 1):
        failed = await take(ctx, pid, right=False)
        assert not failed.passed and failed.correct == 0
        assert failed.attempts_left == expected_left
    passed = await take(ctx, pid, right=True)
    assert passed.passed and passed.attempt_no == 3
    assert passed.correct == passed.total == policy.exam.question_count
    assert passed.hours_credited == policy.mandatory_hours == Fraction(15)
    async with ctx.db.transaction() as s:
        ev = await year_evaluation(s, policy, pid)
        record = await s.scalar(select(HourRecord).where(HourRecord.person_id == pid))
    assert ev.public_mandatory_hours == 15 and ev.mandatory_done
    assert record is not None
    assert (record.subject, record.origin, record.status) == (
        "public_mandatory",
        "exam",
        "credited",
    )
    assert record.completed_on == date(2024, 11, 20)
    with pytest.raises(ExamRefused) as refused:
        await start_or_resume_attempt(ctx, pid, year=2024)
    assert refused.value.reason == "already_done"
    assert await count(ctx, ExamAttempt) == 3
    assert await count(ctx, AuditEntry, AuditEntry.action == "credit") == 1


async def test_fourth_attempt_refused_after_three_failures(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    await read_course(ctx, pid)
    for _ in range(3):
        await take(ctx, pid, right=False)
    with pytest.raises(ExamRefused) as refused:
        await start_or_resume_attempt(ctx, pid)
    assert refused.value.reason == "no_attempts_left" and refused.value.args_ == {"allowed": 3}
    status = await exam_status(ctx, pid)
    assert (status.attempts_used, status.attempts_left, status.can_request_remedial) == (3, 0, True)


async def test_exam_opens_only_after_every_chapter(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    with pytest.raises(ExamRefused) as refused:
        await start_or_resume_attempt(ctx, pid)
    assert refused.value.reason == "course_unfinished"
    assert not (await exam_status(ctx, pid)).course_done


async def test_attempt_resumes_at_the_same_question(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    await read_course(ctx, pid)
    view = await start_or_resume_attempt(ctx, pid)
    assert view.question is not None and view.question.number == 1
    assert view.total == ctx.policies[2024].exam.question_count
    chosen = await choices_for(ctx, view.id, right=True)
    for position in range(3):
        view = await answer(ctx, pid, view.id, position, chosen[position])
    again = await start_or_resume_attempt(ctx, pid)
    assert (again.id, again.position, again.question) == (view.id, 3, view.question)
    assert again.question is not None and again.question.number == 4


async def test_same_tap_twice_counts_once_and_stale_or_foreign_taps_are_refused(
    seeded: AppContext,
) -> None:
    ctx = seeded
    pid, other = await add_person(ctx, 1), await add_person(ctx, 2)
    await read_course(ctx, pid)
    view = await start_or_resume_attempt(ctx, pid)
    right = await choices_for(ctx, view.id, right=True)
    wrong = await choices_for(ctx, view.id, right=False)
    first = await answer(ctx, pid, view.id, 0, right[0])
    repeat = await answer(ctx, pid, view.id, 0, right[0])
    assert first.position == repeat.position == 1
    for args, reason in (
        ((pid, view.id, 0, wrong[0]), "stale"),  # a changed answer to an earlier question
        ((pid, view.id, 5, right[5]), "stale"),  # a question not yet shown
        ((other, view.id, 1, right[1]), "not_yours"),
        ((pid, view.id, 1, [0, 1] if view.total else []), "bad_answer"),
        ((pid, 10**9, 1, right[1]), "not_found"),
    ):
        if reason == "bad_answer":
            # two options on a single-choice or true/false question
            async with ctx.db.transaction() as s:
                attempt = await s.get(ExamAttempt, view.id)
            assert attempt is not None
            status = await start_or_resume_attempt(ctx, pid)
            assert status.question is not None
            if status.question.kind == "multiple":
                continue
        with pytest.raises(ExamRefused) as refused:
            await answer(ctx, *args)  # type: ignore[arg-type]
        assert refused.value.reason == reason


async def test_double_submit_counts_once(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    await read_course(ctx, pid)
    view = await start_or_resume_attempt(ctx, pid)
    for position, chosen in enumerate(await choices_for(ctx, view.id, right=True)):
        await answer(ctx, pid, view.id, position, chosen)
    first = await submit(ctx, pid, view.id)
    second = await submit(ctx, pid, view.id)
    assert first.passed and not first.already_submitted and first.hours_credited == 15
    assert second.passed and second.already_submitted and second.hours_credited is None
    assert await count(ctx, HourRecord) == 1
    assert await count(ctx, AuditEntry, AuditEntry.action == "exam_submitted") == 1


async def test_unanswered_questions_are_wrong(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    await read_course(ctx, pid)
    view = await start_or_resume_attempt(ctx, pid)
    right = await choices_for(ctx, view.id, right=True)
    for position in range(11):
        await answer(ctx, pid, view.id, position, right[position])
    result = await submit(ctx, pid, view.id)
    # 11 of 20 is 55 %: below the policy's 60 %
    assert (result.correct, result.total, result.passed) == (11, 20, False)


async def test_abandoned_attempt_expires_and_counts_as_used(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    await read_course(ctx, pid)
    start = ctx.now()
    view = await start_or_resume_attempt(ctx, pid)
    right = await choices_for(ctx, view.id, right=True)
    set_clock(ctx, start + DEFAULT_ABANDON_AFTER - timedelta(seconds=1))
    assert (await start_or_resume_attempt(ctx, pid)).id == view.id  # still resumable
    set_clock(ctx, start + DEFAULT_ABANDON_AFTER)
    with pytest.raises(ExamRefused) as refused:
        await answer(ctx, pid, view.id, 0, right[0])
    assert refused.value.reason == "expired"
    with pytest.raises(ExamRefused):
        await submit(ctx, pid, view.id)
    second = await start_or_resume_attempt(ctx, pid)
    assert second.id != view.id and second.attempt_no == 2
    async with ctx.db.transaction() as s:
        first = await s.get(ExamAttempt, view.id)
    assert first is not None and (first.status, first.passed) == ("abandoned", False)
    assert (await exam_status(ctx, pid)).attempts_left == 1


async def test_policy_time_limit_is_the_abandon_limit(seeded: AppContext) -> None:
    ctx = seeded
    p = ctx.policies[2024]
    limited = dataclasses.replace(p, exam=dataclasses.replace(p.exam, time_limit_minutes=30))
    ctx.policies = PolicyBook({2024: limited}, {})
    pid = await add_person(ctx)
    await read_course(ctx, pid)
    start = ctx.now()
    view = await start_or_resume_attempt(ctx, pid)
    set_clock(ctx, start + timedelta(minutes=30))
    assert (await start_or_resume_attempt(ctx, pid)).id != view.id


async def test_remedial_request_approval_reopens_the_exam(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx, 1)
    admin = await add_person(ctx, 9)
    async with ctx.db.transaction() as s:
        admin_account = await s.scalar(select(Role.id).limit(1))
        assert admin_account is None
        from storage.models import Account

        account_id = await s.scalar(select(Account.id).where(Account.person_id == admin))
        assert account_id is not None
        s.add(Role(account_id=account_id, role="admin", granted_at=ctx.now(), granted_by="test"))
    await read_course(ctx, pid)
    await take(ctx, pid, right=False)
    with pytest.raises(ExamRefused) as refused:
        await request_remedial(ctx, pid)
    assert refused.value.reason == "attempts_remain"
    await take(ctx, pid, right=False)
    await take(ctx, pid, right=False)

    notice = await request_remedial(ctx, pid)
    assert notice.created and notice.admin_account_ids == (account_id,) and notice.year == 2024
    assert "450103" not in notice.person_masked[4:]  # masked, never the full number
    again = await request_remedial(ctx, pid)
    assert (again.request_id, again.created, again.admin_account_ids) == (
        notice.request_id,
        False,
        (),
    )
    assert (await exam_status(ctx, pid)).remedial_pending

    with pytest.raises(ExamRefused) as refused:
        await decide_remedial(ctx, notice.request_id, approve=True, actor="x", admin_account_id=-1)
    assert refused.value.reason == "not_admin"
    decision = await decide_remedial(
        ctx, notice.request_id, approve=True, actor="admin:1", admin_account_id=account_id
    )
    extra = ctx.policies[2024].exam.remedial_attempts
    assert decision.approved and not decision.already_decided
    assert (decision.extra_attempts, decision.attempts_left) == (extra, extra)
    assert len(decision.person_account_ids) == 1
    late = await decide_remedial(ctx, notice.request_id, approve=False, actor="admin:2")
    assert late.already_decided and late.approved and late.extra_attempts == 0

    result = await take(ctx, pid, right=True)
    assert result.passed and result.attempt_no == 4
    assert await count(ctx, AuditEntry, AuditEntry.action == "remedial_approved") == 1


async def test_declined_request_adds_nothing_and_a_new_one_may_follow(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    await read_course(ctx, pid)
    for _ in range(3):
        await take(ctx, pid, right=False)
    notice = await request_remedial(ctx, pid)
    decision = await decide_remedial(ctx, notice.request_id, approve=False, actor="cli")
    assert not decision.approved and decision.attempts_left == 0
    with pytest.raises(ExamRefused):
        await start_or_resume_attempt(ctx, pid)
    assert (await request_remedial(ctx, pid)).created


async def test_administrator_reopens_by_id_number(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx, 3)
    await read_course(ctx, pid)
    with pytest.raises(ExamRefused):
        await reopen_exam(ctx, id_number_of(3), 2024, actor="cli")  # attempts remain
    for _ in range(3):
        await take(ctx, pid, right=False)
    decision = await reopen_exam(ctx, id_number_of(3), 2024, actor="cli", reason="电话申请")
    assert decision.request_id is None and decision.attempts_left == 3
    assert (await start_or_resume_attempt(ctx, pid)).attempt_no == 4


# ---------------------------------------------------------------- year end and make-up


async def test_last_minute_of_the_year_counts_for_the_year(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    await read_course(ctx, pid)
    set_clock(ctx, shanghai(2024, 12, 31, 23, 59))
    result = await take(ctx, pid, right=True)
    assert result.passed and not result.makeup
    async with ctx.db.transaction() as s:
        record = await s.scalar(select(HourRecord))
    assert record is not None and (record.year, record.completed_on) == (2024, date(2024, 12, 31))


async def test_make_up_from_first_of_january_counts_for_last_year(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    await read_course(ctx, pid)
    set_clock(ctx, shanghai(2024, 12, 31, 23, 59))
    view = await start_or_resume_attempt(ctx, pid)
    assert not view.makeup
    for position, chosen in enumerate(await choices_for(ctx, view.id, right=True)):
        await answer(ctx, pid, view.id, position, chosen)
    set_clock(ctx, shanghai(2025, 1, 1, 0, 0))
    status = await exam_status(ctx, pid)
    assert (status.year, status.makeup) == (2024, True)
    result = await submit(ctx, pid, view.id)
    assert result.passed and result.makeup and result.year == 2024
    async with ctx.db.transaction() as s:
        record = await s.scalar(select(HourRecord))
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "credit"))
        ev = await year_evaluation(s, ctx.policies[2024], pid)
    assert record is not None and (record.year, record.completed_on) == (2024, date(2024, 12, 31))
    assert entry is not None and entry.data["earned_on"] == "2025-01-01" and entry.data["makeup"]
    assert ev.public_mandatory_hours == 15


async def test_make_up_year_exam_and_its_end(seeded: AppContext) -> None:
    ctx = seeded
    pid = await add_person(ctx)
    set_clock(ctx, shanghai(2025, 6, 1, 9, 0))
    await read_course(ctx, pid)  # the 2024 course, as make-up
    result = await take(ctx, pid, right=True)
    assert result.year == 2024 and result.makeup
    later = await add_person(ctx, 2)
    set_clock(ctx, shanghai(2026, 1, 1, 0, 0))  # after makeup_until 2025-12-31
    with pytest.raises(StudyRefused) as closed:  # ExamRefused's base: any study refusal
        await start_or_resume_attempt(ctx, later)
    assert closed.value.reason == "closed"


async def test_without_make_up_the_exam_closes_at_the_end_of_the_year(seeded: AppContext) -> None:
    ctx = seeded
    ctx.policies = PolicyBook(
        {2024: dataclasses.replace(ctx.policies[2024], makeup_until=None)}, {}
    )
    pid = await add_person(ctx)
    await read_course(ctx, pid)
    set_clock(ctx, shanghai(2024, 12, 31, 23, 59))
    view = await start_or_resume_attempt(ctx, pid)
    set_clock(ctx, shanghai(2025, 1, 1, 0, 0))
    for call in (start_or_resume_attempt(ctx, pid), submit(ctx, pid, view.id)):
        with pytest.raises(StudyRefused) as refused:
            await call
        assert refused.value.reason == "closed"


async def test_year_end_with_the_real_clock_under_time_machine(seeded: AppContext) -> None:
    """The same boundary through the production clock (services.context.utc_now)."""
    ctx = seeded
    ctx.clock = utc_now
    pid = await add_person(ctx)
    with time_machine.travel(shanghai(2024, 12, 31, 23, 59), tick=False):
        await read_course(ctx, pid)
        assert (await exam_status(ctx, pid)).makeup is False
        await take(ctx, pid, right=False)
    with time_machine.travel(shanghai(2025, 1, 1, 0, 0), tick=False):
        status = await exam_status(ctx, pid)
        assert (status.year, status.makeup, status.attempts_left) == (2024, True, 2)
        result = await take(ctx, pid, right=True)
    assert (result.year, result.makeup, result.hours_credited) == (2024, True, 15)
