"""Public-subject courses: the year's mandatory course read chapter by chapter (the exam opens
when every chapter is read), and the electives, each completed after its content and a short
check; all electives of a year completed credit the policy's elective hours once.

Also the crediting of public hours, shared with the exam (services/exam.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import storage.exam_models  # noqa: F401 - complete metadata (remedial requests)
from core.exam import BankQuestion, QuestionKind, is_correct, valid_choice
from core.records import dedup_key
from core.rules import (
    COUNTING_STATUSES,
    Policy,
    RecordStatus,
    Subject,
    makeup_open,
    public_exam_credit_year,
    public_study_open,
)
from services.audit import audit
from services.context import AppContext
from storage.models import Chapter, Course, CourseProgress, HourRecord, Person, Question

RETRIES = 3  # a unique-key race is retried: the second try sees the winner's row


class StudyRefused(Exception):
    """A refusal the person is told about; `reason` names a message key study-refused-<reason>.
    Reasons: closed, already_done, no_course, not_found, locked, not_ready, bad_answer, busy."""

    def __init__(self, reason: str, **args: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.args_ = args


# ------------------------------------------------------------------------------ years


async def counted_years(session: AsyncSession, person_id: int, subject: Subject) -> set[int]:
    """Years in which the person already has the subject's public hours (in-bot or imported)."""
    rows = await session.scalars(
        select(HourRecord.year).where(
            HourRecord.person_id == person_id,
            HourRecord.subject == subject.value,
            HourRecord.status.in_([s.value for s in COUNTING_STATUSES]),
        )
    )
    return set(rows)


def year_open(policy: Policy, today: date) -> bool:
    """The year's own study period or its make-up period in the next year."""
    return public_study_open(policy, today) or makeup_open(policy, today)


async def study_year(
    ctx: AppContext, session: AsyncSession, person_id: int, subject: Subject
) -> int:
    """Which year's public subject the person works on now (make-up of last year first), or
    StudyRefused already_done / closed."""
    today = ctx.today()
    done = await counted_years(session, person_id, subject)
    year = public_exam_credit_year(today, ctx.policies, done)
    if year is not None:
        return year
    this = ctx.policies.get(today.year)
    if this is not None and this.year in done and public_study_open(this, today):
        raise StudyRefused("already_done", year=this.year)
    raise StudyRefused("closed")


def check_year(ctx: AppContext, year: int) -> Policy:
    policy = ctx.policies.get(year)
    if policy is None or not year_open(policy, ctx.today()):
        raise StudyRefused("closed", year=year)
    return policy


# ------------------------------------------------------------------------------ crediting


async def credit_public_hours(
    ctx: AppContext,
    session: AsyncSession,
    person_id: int,
    policy: Policy,
    subject: Subject,
    *,
    origin: str,
    title: str,
    course_code: str | None,
    actor: str,
) -> bool:
    """Credit the policy's fixed public hours once (False when the year already has them,
    e.g. from an import: same dedup key). In the caller's transaction, with an audit entry.

    Make-up: hours earned next year count for the policy's year, and a record's date must lie
    in its year (core.records.check_record), so completed_on is then the year's 31 December;
    the real day is kept in the audit entry."""
    today = ctx.today()
    completed_on = today if today.year == policy.year else date(policy.year, 12, 31)
    key = dedup_key(subject, policy.year, source="", course_code="", completed_on=completed_on)
    exists = await session.scalar(
        select(HourRecord.id).where(HourRecord.person_id == person_id, HourRecord.dedup_key == key)
    )
    if exists is not None:
        return False
    person = await session.get(Person, person_id)
    hours = policy.max_public_hours(subject)
    record = HourRecord(
        person_id=person_id,
        year=policy.year,
        subject=subject.value,
        origin=origin,
        dedup_key=key,
        unit_id=person.unit_id if person else None,
        course_code=course_code,
        title=title,
        completed_on=completed_on,
        hours=hours,
        status=RecordStatus.CREDITED.value,
        created_at=ctx.now(),
    )
    session.add(record)
    await session.flush()  # a concurrent credit fails here on the unique key; callers retry
    audit(
        session,
        at=ctx.now(),
        actor=actor,
        action="credit",
        entity="hour_records",
        entity_id=record.id,
        data={
            "person_id": person_id,
            "year": policy.year,
            "subject": subject.value,
            "hours": str(hours),
            "origin": origin,
            "earned_on": today.isoformat(),
            "makeup": today.year != policy.year,
        },
    )
    return True


# ------------------------------------------------------------------------------ views


@dataclass(frozen=True, slots=True)
class ChapterInfo:
    seq: int
    title: str


@dataclass(frozen=True, slots=True)
class CourseView:
    id: int
    year: int
    code: str
    kind: str
    topic: str | None
    title: str
    chapters: tuple[ChapterInfo, ...]
    last_chapter: int  # chapters 1..last_chapter are read: the remembered place
    completed: bool

    @property
    def next_seq(self) -> int | None:
        """The chapter to read next, None when every chapter is read."""
        return self.last_chapter + 1 if self.last_chapter < len(self.chapters) else None


@dataclass(frozen=True, slots=True)
class ChapterView:
    course_id: int
    seq: int
    count: int
    title: str
    body: str
    media: list[Any]


async def _progress(session: AsyncSession, person_id: int, course_id: int) -> CourseProgress | None:
    return await session.scalar(
        select(CourseProgress).where(
            CourseProgress.person_id == person_id, CourseProgress.course_id == course_id
        )
    )


async def _view(session: AsyncSession, person_id: int, course: Course) -> CourseView:
    chapters = await session.execute(
        select(Chapter.seq, Chapter.title)
        .where(Chapter.course_id == course.id)
        .order_by(Chapter.seq)
    )
    progress = await _progress(session, person_id, course.id)
    return CourseView(
        id=course.id,
        year=course.year,
        code=course.code,
        kind=course.kind,
        topic=course.topic,
        title=course.title,
        chapters=tuple(ChapterInfo(s, t) for s, t in chapters.all()),
        last_chapter=progress.last_chapter if progress else 0,
        completed=progress is not None and progress.completed_at is not None,
    )


async def active_mandatory_course(session: AsyncSession, year: int) -> Course | None:
    return await session.scalar(
        select(Course)
        .where(Course.year == year, Course.kind == "mandatory", Course.active.is_(True))
        .order_by(Course.id)
        .limit(1)
    )


async def mandatory_course_done(session: AsyncSession, person_id: int, year: int) -> bool:
    course = await active_mandatory_course(session, year)
    if course is None:
        return False
    progress = await _progress(session, person_id, course.id)
    return progress is not None and progress.completed_at is not None


# ------------------------------------------------------------------------------ mandatory


async def mandatory_course(ctx: AppContext, person_id: int, year: int | None = None) -> CourseView:
    """The mandatory course the person studies now (or of `year`), with their place."""
    async with ctx.db.transaction() as session:
        if year is None:
            year = await study_year(ctx, session, person_id, Subject.PUBLIC_MANDATORY)
        check_year(ctx, year)
        course = await active_mandatory_course(session, year)
        if course is None:
            raise StudyRefused("no_course", year=year)
        return await _view(session, person_id, course)


async def _course(session: AsyncSession, course_id: int) -> Course:
    course = await session.get(Course, course_id)
    if course is None or not course.active:
        raise StudyRefused("not_found")
    return course


async def get_chapter(ctx: AppContext, person_id: int, course_id: int, seq: int) -> ChapterView:
    """A chapter's content; chapters open in order (read ones stay open to re-read)."""
    async with ctx.db.transaction() as session:
        course = await _course(session, course_id)
        check_year(ctx, course.year)
        progress = await _progress(session, person_id, course_id)
        if seq > (progress.last_chapter if progress else 0) + 1:
            raise StudyRefused("locked")
        chapter = await session.scalar(
            select(Chapter).where(Chapter.course_id == course_id, Chapter.seq == seq)
        )
        count = await session.scalar(
            select(func.count()).select_from(Chapter).where(Chapter.course_id == course_id)
        )
        if chapter is None:
            raise StudyRefused("not_found")
        return ChapterView(
            course_id, seq, int(count or 0), chapter.title, chapter.body, list(chapter.media)
        )


async def mark_chapter_read(
    ctx: AppContext, person_id: int, course_id: int, seq: int
) -> CourseView:
    """Remember that chapter `seq` is read (tapping twice changes nothing). The last chapter
    completes a mandatory course, and an elective that has no check questions."""
    for _ in range(RETRIES):
        try:
            async with ctx.db.transaction() as session:
                return await _mark_read(ctx, session, person_id, course_id, seq)
        except IntegrityError:
            continue  # two first reads at once created the progress row; read it again
    raise StudyRefused("busy")


async def _mark_read(
    ctx: AppContext, session: AsyncSession, person_id: int, course_id: int, seq: int
) -> CourseView:
    course = await _course(session, course_id)
    policy = check_year(ctx, course.year)
    count = int(
        await session.scalar(
            select(func.count()).select_from(Chapter).where(Chapter.course_id == course_id)
        )
        or 0
    )
    progress = await _progress(session, person_id, course_id)
    last = progress.last_chapter if progress else 0
    if not 1 <= seq <= count:
        raise StudyRefused("not_found")
    if seq > last + 1:
        raise StudyRefused("locked")
    if progress is None:
        progress = CourseProgress(person_id=person_id, course_id=course_id, last_chapter=0)
        session.add(progress)
    progress.last_chapter = max(last, seq)
    finished = progress.last_chapter == count and progress.completed_at is None
    # an elective with check questions completes when its check is passed instead
    if finished and (course.kind == "mandatory" or not await _check_questions(session, course)):
        await _complete(ctx, session, person_id, course, progress, policy)
    await session.flush()
    return await _view(session, person_id, course)


async def _complete(
    ctx: AppContext,
    session: AsyncSession,
    person_id: int,
    course: Course,
    progress: CourseProgress,
    policy: Policy,
) -> bool:
    """Mark a course completed; for an elective, credit the electives when it was the last."""
    progress.completed_at = ctx.now()
    await session.flush()
    audit(
        session,
        at=ctx.now(),
        actor=f"person:{person_id}",
        action="course_completed",
        entity="courses",
        entity_id=course.id,
        data={"person_id": person_id, "year": course.year, "code": course.code},
    )
    if course.kind != "elective":
        return False
    return await _credit_electives_if_done(ctx, session, person_id, policy)


# ------------------------------------------------------------------------------ electives


@dataclass(frozen=True, slots=True)
class TopicGroup:
    topic: str
    courses: tuple[CourseView, ...]


@dataclass(frozen=True, slots=True)
class ElectivesView:
    year: int
    groups: tuple[TopicGroup, ...]  # in the policy's topic order
    completed: int
    total: int
    credited: bool  # the year's elective hours are counted (in the bot or imported)


async def _active_electives(session: AsyncSession, year: int) -> list[Course]:
    return list(
        await session.scalars(
            select(Course)
            .where(Course.year == year, Course.kind == "elective", Course.active.is_(True))
            .order_by(Course.code)
        )
    )


async def electives(ctx: AppContext, person_id: int, year: int | None = None) -> ElectivesView:
    async with ctx.db.transaction() as session:
        credited_years = await counted_years(session, person_id, Subject.PUBLIC_ELECTIVE)
        if year is None:
            try:
                year = await study_year(ctx, session, person_id, Subject.PUBLIC_ELECTIVE)
            except StudyRefused as exc:
                if exc.reason != "already_done":
                    raise
                year = int(exc.args_["year"])
        policy = ctx.policies.get(year)
        if policy is None:
            raise StudyRefused("closed", year=year)
        views = [await _view(session, person_id, c) for c in await _active_electives(session, year)]
        order = {t: i for i, t in enumerate(policy.elective_topics)}
        topics = sorted({v.topic or "" for v in views}, key=lambda t: (order.get(t, 99), t))
        groups = tuple(
            TopicGroup(t, tuple(v for v in views if (v.topic or "") == t)) for t in topics
        )
        return ElectivesView(
            year=year,
            groups=groups,
            completed=sum(v.completed for v in views),
            total=len(views),
            credited=year in credited_years,
        )


async def _check_questions(session: AsyncSession, course: Course) -> list[Question]:
    """An elective's check: its own questions, else the bank's questions of its topic that
    belong to no course."""
    own = list(
        await session.scalars(
            select(Question)
            .where(Question.course_id == course.id, Question.active.is_(True))
            .order_by(Question.code)
        )
    )
    if own or course.topic is None:
        return own
    return list(
        await session.scalars(
            select(Question)
            .where(
                Question.year == course.year,
                Question.course_id.is_(None),
                Question.topic == course.topic,
                Question.active.is_(True),
            )
            .order_by(Question.code)
        )
    )


@dataclass(frozen=True, slots=True)
class CheckQuestion:
    id: int
    kind: str
    text: str
    options: tuple[str, ...]  # in stored order; answers are indexes into this tuple


async def elective_check(ctx: AppContext, person_id: int, course_id: int) -> list[CheckQuestion]:
    """The short check, once every chapter of the elective is read."""
    async with ctx.db.transaction() as session:
        course = await _course(session, course_id)
        check_year(ctx, course.year)
        view = await _view(session, person_id, course)
        if course.kind != "elective":
            raise StudyRefused("not_found")
        if view.next_seq is not None:
            raise StudyRefused("not_ready")
        return [
            CheckQuestion(q.id, q.kind, q.text, tuple(q.options))
            for q in await _check_questions(session, course)
        ]


@dataclass(frozen=True, slots=True)
class CheckResult:
    correct: int
    total: int
    passed: bool
    course_completed: bool
    electives_credited: bool  # True only for the submission that credited the hours


def bank_question(q: Question) -> BankQuestion:
    return BankQuestion(q.id, QuestionKind(q.kind), len(q.options), frozenset(q.answer))


async def submit_elective_check(
    ctx: AppContext, person_id: int, course_id: int, answers: Mapping[int, Sequence[int]]
) -> CheckResult:
    """Grade the check (question id -> chosen option indexes) with the exam's rules and pass
    mark; a pass completes the elective. The check may be retaken."""
    for _ in range(RETRIES):
        try:
            async with ctx.db.transaction() as session:
                return await _submit_check(ctx, session, person_id, course_id, answers)
        except IntegrityError:
            continue  # a concurrent credit or first progress row won; the retry sees it
    raise StudyRefused("busy")


async def _submit_check(
    ctx: AppContext,
    session: AsyncSession,
    person_id: int,
    course_id: int,
    answers: Mapping[int, Sequence[int]],
) -> CheckResult:
    course = await _course(session, course_id)
    policy = check_year(ctx, course.year)
    if course.kind != "elective":
        raise StudyRefused("not_found")
    progress = await _progress(session, person_id, course_id)
    view = await _view(session, person_id, course)
    if progress is None or view.next_seq is not None:
        raise StudyRefused("not_ready")
    questions = [bank_question(q) for q in await _check_questions(session, course)]
    for q in questions:
        chosen = answers.get(q.id)
        if chosen is not None and not valid_choice(q.kind, q.option_count, chosen):
            raise StudyRefused("bad_answer")
    correct = sum(
        1 for q in questions if q.id in answers and is_correct(q, frozenset(answers[q.id]))
    )
    passed = not questions or policy.exam.passes(correct, len(questions))
    credited = False
    if passed and progress.completed_at is None:
        credited = await _complete(ctx, session, person_id, course, progress, policy)
    return CheckResult(correct, len(questions), passed, progress.completed_at is not None, credited)


async def _credit_electives_if_done(
    ctx: AppContext, session: AsyncSession, person_id: int, policy: Policy
) -> bool:
    courses = await _active_electives(session, policy.year)
    if not courses:
        return False
    done = await session.scalar(
        select(func.count())
        .select_from(CourseProgress)
        .where(
            CourseProgress.person_id == person_id,
            CourseProgress.course_id.in_([c.id for c in courses]),
            CourseProgress.completed_at.is_not(None),
        )
    )
    if int(done or 0) < len(courses):
        return False
    return await credit_public_hours(
        ctx,
        session,
        person_id,
        policy,
        Subject.PUBLIC_ELECTIVE,
        origin="electives",
        title="、".join(policy.elective_topics),
        course_code=None,
        actor=f"person:{person_id}",
    )


async def elective_counts(ctx: AppContext, person_id: int, year: int) -> tuple[int, int]:
    """(completed, total) active electives of `year`: read-only and cheap, for summaries."""
    async with ctx.db.transaction() as session:
        ids = select(Course.id).where(
            Course.year == year, Course.kind == "elective", Course.active.is_(True)
        )
        total = await session.scalar(select(func.count()).select_from(ids.subquery()))
        done = await session.scalar(
            select(func.count())
            .select_from(CourseProgress)
            .where(
                CourseProgress.person_id == person_id,
                CourseProgress.course_id.in_(ids),
                CourseProgress.completed_at.is_not(None),
            )
        )
    return int(done or 0), int(total or 0)
