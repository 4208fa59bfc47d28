"""The yearly policy's life cycle: draft, check, activate; two policies across two year ends;
a year without a policy; the demo's years around today."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.rules import PolicyError, claimable_years, open_public_years
from services.certificates import CertificateKind, get_certificate, issue_certificate
from services.context import AppContext
from services.courses import mandatory_course, mark_chapter_read
from services.demo import demo_file, seed_demo
from services.exam import answer as answer_question
from services.exam import exam_status, start_or_resume_attempt, submit
from services.pii import IdProtector
from services.policies import PolicyBook
from services.policy_admin import PolicyAdminError, activate, check_year, new_draft
from services.progress import year_evaluation
from services.question_bank import import_courses, import_questions, seed_demo_content
from storage.db import Database
from storage.models import AuditEntry, ExamAttempt, HourRecord, Person, Question

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[AppContext, Clock]]:
    clock = Clock(shanghai(2024, 11, 20))
    policy_dir = tmp_path / "policies"
    ctx = AppContext(
        db=Database(database_url),
        policies=PolicyBook.load(policy_dir),
        ids=IdProtector(b"k" * 32),
        data_dir=tmp_path / "data",
        clock=clock,
    )
    yield ctx, clock
    await ctx.db.dispose()


def policy_dir(ctx: AppContext) -> Path:
    return ctx.policies.dirs[-1]


async def add_content(ctx: AppContext, year: int, tmp_path: Path) -> None:
    """The 2024 demo course and bank, moved to `year` (what an administrator imports)."""
    courses = json.loads(demo_file("course-2024.json").read_text(encoding="utf-8"))
    for c in courses:
        c["year"] = year
    course_file = tmp_path / f"course-{year}.json"
    course_file.write_text(json.dumps(courses, ensure_ascii=False), encoding="utf-8")
    await import_courses(ctx, course_file)
    text = demo_file("questions-2024.csv").read_text(encoding="utf-8")
    questions = tmp_path / f"questions-{year}.csv"
    questions.write_text(text.replace(",2024,", f",{year},"), encoding="utf-8")
    await import_questions(ctx, questions)


def fill_in(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    text = text.replace('theme = ""', 'theme = "2025年度主题"', 1)
    text = text.replace('source = ""', 'source = "2025年度通知"', 1)
    path.write_text(text, encoding="utf-8")


async def activated_2025(ctx: AppContext, tmp_path: Path) -> None:
    path = new_draft(ctx, policy_dir(ctx), 2025, None)
    fill_in(path)
    ctx.policies.reload()
    await add_content(ctx, 2025, tmp_path)
    await activate(ctx, 2025, actor="test")


async def add_person(ctx: AppContext, seq: int) -> int:
    now = ctx.now()
    async with ctx.db.transaction() as s:
        person = Person(
            id_hash=f"h{seq}",
            id_cipher=b"x",
            id_masked=f"4501**********000{seq}",
            name=f"测试{seq}",
            created_at=now,
            updated_at=now,
        )
        s.add(person)
        await s.flush()
        return person.id


async def pass_exam(ctx: AppContext, person_id: int) -> tuple[int, bool]:
    """Read the course and answer every question right; (credited year, make-up)."""
    course = await mandatory_course(ctx, person_id)
    for chapter in course.chapters:
        await mark_chapter_read(ctx, person_id, course.id, chapter.seq)
    view = await start_or_resume_attempt(ctx, person_id)
    async with ctx.db.transaction() as s:
        attempt = await s.get(ExamAttempt, view.id)
        assert attempt is not None
        drawn = list(attempt.questions)
    for position, d in enumerate(drawn):
        async with ctx.db.transaction() as s:
            q = await s.get(Question, d["id"])
            assert q is not None
            right = [i for i, original in enumerate(d["order"]) if original in set(q.answer)]
        await answer_question(ctx, person_id, view.id, position, right)
    result = await submit(ctx, person_id, view.id)
    assert result.passed
    return result.year, result.makeup


# ------------------------------------------------------------------------ draft and activate


async def test_draft_check_activate(world: tuple[AppContext, Clock], tmp_path: Path) -> None:
    ctx, _clock = world
    path = new_draft(ctx, policy_dir(ctx), 2025, 2024)
    text = path.read_text(encoding="utf-8")
    assert 'status = "draft"' in text and "year = 2025" in text
    assert 'deadline = "2025-12-31"' in text and 'registration_deadline = "2026-03-31"' in text
    assert "notice of 2024-04-18" in text  # comments keep their history
    # a draft is never used for anyone's year
    assert 2025 not in ctx.policies and 2025 in ctx.policies.drafts
    with pytest.raises(PolicyAdminError) as exists:
        new_draft(ctx, policy_dir(ctx), 2025, 2024)
    assert exists.value.reason == "exists"

    check = await check_year(ctx, 2025)
    assert not check.ok
    joined = "\n".join(check.problems)
    for field in ("public.mandatory.theme", "source", "course:", "electives:"):
        assert field in joined, joined
    with pytest.raises(PolicyAdminError) as refused:
        await activate(ctx, 2025, actor="test")
    assert refused.value.reason == "invalid" and refused.value.problems
    assert 2025 not in ctx.policies

    fill_in(path)
    ctx.policies.reload()
    await add_content(ctx, 2025, tmp_path)
    assert (await check_year(ctx, 2025)).ok
    await activate(ctx, 2025, actor="test")
    assert ctx.policies[2025].active and 2025 not in ctx.policies.drafts
    assert 'status = "active"' in path.read_text(encoding="utf-8")
    async with ctx.db.transaction() as s:
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "policy.activated"))
    assert entry is not None and entry.data["year"] == 2025
    with pytest.raises(PolicyAdminError) as again:
        await activate(ctx, 2025, actor="test")
    assert again.value.reason == "already_active"


async def test_a_question_bank_too_small_is_named(
    world: tuple[AppContext, Clock], tmp_path: Path
) -> None:
    ctx, _clock = world
    path = new_draft(ctx, policy_dir(ctx), 2025, 2024)
    fill_in(path)
    ctx.policies.reload()
    await add_content(ctx, 2025, tmp_path)
    text = path.read_text(encoding="utf-8").replace("question_count = 20", "question_count = 400")
    path.write_text(text, encoding="utf-8")
    ctx.policies.reload()
    problems = (await check_year(ctx, 2025)).problems
    assert any(p.startswith("questions:") and "400" in p for p in problems), problems


def test_a_broken_draft_does_not_stop_the_bot_but_a_broken_active_year_does(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "2025.toml").write_text('status = "draft"\nyear = 2025\n', encoding="utf-8")
    book = PolicyBook.load(folder)
    assert 2025 not in book and 2024 in book
    (folder / "2025.toml").write_text("year = 2025\n", encoding="utf-8")  # active by default
    with pytest.raises(PolicyError):
        PolicyBook.load(folder)


def test_refresh_picks_up_a_change_made_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "policies"
    book = PolicyBook.load(folder)
    other = PolicyBook.load(folder)  # another worker
    ctx_dir = folder
    ctx_dir.mkdir()
    source = book.paths[2024].read_text(encoding="utf-8")
    from services.policy_admin import draft_text

    (folder / "2025.toml").write_text(
        draft_text(source, 2024, 2025).replace('theme = ""', 'theme = "主题"'), encoding="utf-8"
    )
    monkeypatch.setattr("services.policies.REFRESH_SECONDS", 0.0)
    assert other.refresh() and 2025 in other.drafts
    assert not other.refresh()  # nothing changed since


# ------------------------------------------------------------------------ two year ends


async def test_two_year_ends_with_two_policies(
    world: tuple[AppContext, Clock], tmp_path: Path
) -> None:
    ctx, clock = world
    await seed_demo_content(ctx)
    await activated_2025(ctx, tmp_path)
    early, late = await add_person(ctx, 1), await add_person(ctx, 2)

    # the last minute of 2024: the exam counts for 2024, no make-up
    clock.now = shanghai(2024, 12, 31, 23, 59)
    assert await pass_exam(ctx, early) == (2024, False)
    cert = await issue_certificate(ctx, early, 2024, CertificateKind.PUBLIC_EXAM)
    frozen = dict(cert.data)

    # 1 January 2025: the 2024 exam is closed; the make-up still credits 2024
    clock.now = shanghai(2025, 1, 1, 0, 1)
    assert open_public_years(ctx.today(), ctx.policies) == [2024, 2025]
    status = await exam_status(ctx, late)
    assert (status.year, status.makeup) == (2024, True)
    assert await pass_exam(ctx, late) == (2024, True)
    async with ctx.db.transaction() as s:
        late_years = set(
            await s.scalars(
                select(HourRecord.year).where(
                    HourRecord.person_id == late, HourRecord.subject == "public_mandatory"
                )
            )
        )
    assert late_years == {2024}
    # the person who finished 2024 studies 2025 now
    assert (await exam_status(ctx, early)).year == 2025

    # 31 March closes 2024's professional registration
    clock.now = shanghai(2025, 3, 31, 23, 0)
    assert claimable_years(ctx.today(), ctx.policies) == [2024, 2025]
    clock.now = shanghai(2025, 4, 1, 0, 1)
    assert claimable_years(ctx.today(), ctx.policies) == [2025]

    # the second year end, with no 2026 policy yet: 2025 make-up, nothing for 2026
    clock.now = shanghai(2026, 1, 2)
    assert 2026 not in ctx.policies
    status = await exam_status(ctx, early)
    assert (status.year, status.makeup) == (2025, True)
    assert claimable_years(ctx.today(), ctx.policies) == [2025]
    assert await pass_exam(ctx, early) == (2025, True)
    async with ctx.db.transaction() as s:
        years = set(await s.scalars(select(HourRecord.year).where(HourRecord.person_id == early)))
    assert years == {2024, 2025}  # never a record for a year without a policy

    # the 2024 certificate and figures never moved
    again = await get_certificate(ctx, cert.number)
    assert again is not None and again.live and again.data == frozen
    async with ctx.db.transaction() as s:
        ev = await year_evaluation(s, ctx.policies[2024], early)
    assert ev.public_mandatory_hours == 15


async def test_changing_2025_never_changes_a_2024_figure(
    world: tuple[AppContext, Clock], tmp_path: Path
) -> None:
    ctx, _clock = world
    await seed_demo_content(ctx)
    await activated_2025(ctx, tmp_path)
    pid = await add_person(ctx, 3)
    async with ctx.db.transaction() as s:
        before = await year_evaluation(s, ctx.policies[2024], pid)
    path = ctx.policies.paths[2025]
    text = path.read_text(encoding="utf-8").replace("min_total_hours = 90", "min_total_hours = 120")
    path.write_text(text, encoding="utf-8")
    ctx.policies.reload()
    assert ctx.policies[2025].min_total_hours == 120
    async with ctx.db.transaction() as s:
        after = await year_evaluation(s, ctx.policies[2024], pid)
    assert after == before and after.min_total_hours == 90


# ------------------------------------------------------------------------ the demo


async def test_demo_seeds_the_years_around_today(world: tuple[AppContext, Clock]) -> None:
    ctx, clock = world
    clock.now = shanghai(2026, 11, 28)
    await seed_demo(ctx, policy_dir=policy_dir(ctx))
    assert {2025, 2026} <= set(ctx.policies)
    assert ctx.policies[2026].demo and not ctx.policies[2024].demo
    assert "演示" in ctx.policies[2026].source
    assert ctx.policies[2026].public_deadline == date(2026, 12, 31)
    assert open_public_years(ctx.today(), ctx.policies) == [2025, 2026]
    assert (await check_year(ctx, 2026)).ok  # course, bank and electives are there
    async with ctx.db.transaction() as s:
        zhang = await s.scalar(select(Person).where(Person.name == "张伟"))
        assert zhang is not None
        this_year = await year_evaluation(s, ctx.policies[2026], zhang.id)
        last_year = await year_evaluation(s, ctx.policies[2025], zhang.id)
    # this year: the public subjects are left to do in the bot; last year as in the template
    assert this_year.public_mandatory_hours == 0 and this_year.professional_verified_hours > 0
    assert last_year.public_mandatory_hours == 15
    # a second run adds nothing
    records = await _count_records(ctx)
    await seed_demo(ctx, policy_dir=policy_dir(ctx))
    assert await _count_records(ctx) == records


async def test_demo_before_any_gap_adds_no_year(world: tuple[AppContext, Clock]) -> None:
    ctx, _clock = world  # 2024-11-20: the real 2024 policy is current
    await seed_demo(ctx, policy_dir=policy_dir(ctx))
    assert list(ctx.policies) == [2024]


async def _count_records(ctx: AppContext) -> int:
    async with ctx.db.transaction() as s:
        return len(list(await s.scalars(select(HourRecord.id))))
