"""The year's mandatory exam: start or resume an attempt, answer, submit, remedial re-exam.

Counting is enforced by the database, not by the process:
- an attempt's number is computed inside the starting transaction and (person, year,
  attempt_no) is unique, so two concurrent starts cannot both take the last attempt; the
  loser retries and resumes the winner's attempt;
- answers go through the ORM's optimistic lock (ExamAttempt.version), so the same tap twice
  is applied once and the repeat is a no-op;
- submission and expiry are conditional UPDATEs (WHERE status = 'in_progress'); only the one
  that changed the row grades and credits, any other returns the stored result.
Passing credits the policy's mandatory hours in the same transaction, with audit entries.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from core.exam import (
    AttemptStatus,
    BankQuestion,
    DrawnQuestion,
    NotEnoughQuestions,
    QuestionKind,
    attempts_allowed,
    attempts_left,
    draw,
    grade,
    is_expired,
    valid_choice,
)
from core.rules import Policy, Subject
from services.audit import audit
from services.context import AppContext
from services.courses import (
    StudyRefused,
    active_mandatory_course,
    bank_question,
    check_year,
    counted_years,
    credit_public_hours,
    mandatory_course_done,
    study_year,
)
from services.notify import queue_notice
from services.progress import PersonNotFound, find_person_by_id_number
from storage.exam_models import RemedialRequest
from storage.models import Account, ExamAttempt, ExamGrant, Person, Question, Role

T = TypeVar("T")
log = logging.getLogger(__name__)
RETRIES = 5
# lost races: a unique key taken, a version moved on, SQLite's writer lock (busy snapshot)
_RACES = (IntegrityError, StaleDataError, OperationalError)


class ExamRefused(StudyRefused):
    """Reasons (message key study-refused-<reason>): closed, already_done, course_unfinished,
    no_attempts_left, not_enough_questions, not_found, not_yours, finished, expired, stale,
    bad_answer, attempts_remain, not_admin, busy."""


async def _retrying(ctx: AppContext, job: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `job` in a transaction, again from the start when it lost a race."""
    for attempt in range(RETRIES):
        try:
            async with ctx.db.transaction() as session:
                return await job(session)
        except _RACES as exc:
            log.debug("exam transaction lost a race (%s), try %d", type(exc).__name__, attempt)
    raise ExamRefused("busy")


# ------------------------------------------------------------------------------ views


@dataclass(frozen=True, slots=True)
class CurrentQuestion:
    position: int  # 0-based; shown as number = position + 1 of total
    total: int
    kind: str
    text: str
    options: tuple[str, ...]  # in this attempt's shuffled order; answer with these indexes

    @property
    def number(self) -> int:
        return self.position + 1


@dataclass(frozen=True, slots=True)
class AttemptView:
    id: int
    year: int
    attempt_no: int
    status: str
    position: int  # questions answered so far
    total: int
    attempts_allowed: int
    makeup: bool  # a make-up of last year: the hours will count for `year`
    question: CurrentQuestion | None  # None once every question is answered: submit next


@dataclass(frozen=True, slots=True)
class ExamResult:
    attempt_id: int
    year: int
    attempt_no: int
    correct: int
    total: int
    passed: bool
    pass_mark_percent: int
    attempts_left: int
    hours_credited: Fraction | None  # None unless this submission credited hours
    makeup: bool
    already_submitted: bool  # a repeated submission: nothing was counted again


@dataclass(frozen=True, slots=True)
class ExamStatus:
    year: int
    makeup: bool
    course_done: bool
    passed: bool
    attempts_allowed: int
    attempts_used: int
    attempts_left: int
    in_progress_id: int | None
    remedial_pending: bool
    can_request_remedial: bool
    question_count: int
    pass_mark_percent: int


@dataclass(frozen=True, slots=True)
class RemedialNotice:
    """A request filed; `created` False when one was already pending (tell nobody again)."""

    request_id: int
    person_id: int
    person_name: str
    person_masked: str
    year: int
    created: bool
    admin_account_ids: tuple[int, ...]  # whom the bot sends the approve/decline buttons


@dataclass(frozen=True, slots=True)
class RemedialDecision:
    request_id: int | None  # None for a reopening without a request (the CLI)
    person_id: int
    year: int
    approved: bool
    extra_attempts: int
    attempts_left: int
    already_decided: bool  # someone else decided first; nothing changed now
    person_account_ids: tuple[int, ...]  # whom the bot tells the outcome


# ------------------------------------------------------------------------------ helpers


def _makeup(ctx: AppContext, year: int) -> bool:
    return ctx.today().year != year


async def _attempts(session: AsyncSession, person_id: int, year: int) -> list[ExamAttempt]:
    rows = await session.scalars(
        select(ExamAttempt)
        .where(ExamAttempt.person_id == person_id, ExamAttempt.year == year)
        .order_by(ExamAttempt.attempt_no)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def _granted(session: AsyncSession, person_id: int, year: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(ExamGrant.extra_attempts), 0)).where(
            ExamGrant.person_id == person_id, ExamGrant.year == year
        )
    )
    return int(total or 0)


async def _bank(session: AsyncSession, ids: Sequence[int]) -> dict[int, Question]:
    rows = await session.scalars(select(Question).where(Question.id.in_(list(ids))))
    return {q.id: q for q in rows}


async def _exam_pool(session: AsyncSession, year: int, course_id: int) -> list[BankQuestion]:
    """The mandatory exam's questions: the course's own and the year's questions that belong
    to no course and no elective topic."""
    rows = await session.scalars(
        select(Question)
        .where(
            Question.year == year,
            Question.active.is_(True),
            (Question.course_id == course_id)
            | (Question.course_id.is_(None) & Question.topic.is_(None)),
        )
        .order_by(Question.id)
    )
    return [bank_question(q) for q in rows]


def _drawn(attempt: ExamAttempt) -> list[DrawnQuestion]:
    return [DrawnQuestion.from_json(d) for d in attempt.questions]


def _answers(attempt: ExamAttempt) -> dict[int, list[int]]:
    return {int(k): [int(i) for i in v] for k, v in (attempt.answers or {}).items()}


async def _view(
    ctx: AppContext, session: AsyncSession, attempt: ExamAttempt, allowed: int
) -> AttemptView:
    drawn = _drawn(attempt)
    current = None
    if attempt.status == AttemptStatus.IN_PROGRESS and attempt.position < len(drawn):
        dq = drawn[attempt.position]
        q = (await _bank(session, [dq.id])).get(dq.id)
        if q is not None:
            options = tuple(str(q.options[i]) for i in dq.order if i < len(q.options))
            current = CurrentQuestion(attempt.position, len(drawn), q.kind, q.text, options)
    return AttemptView(
        id=attempt.id,
        year=attempt.year,
        attempt_no=attempt.attempt_no,
        status=attempt.status,
        position=attempt.position,
        total=len(drawn),
        attempts_allowed=allowed,
        makeup=_makeup(ctx, attempt.year),
        question=current,
    )


async def _grade(session: AsyncSession, attempt: ExamAttempt) -> int:
    drawn = _drawn(attempt)
    bank = {i: bank_question(q) for i, q in (await _bank(session, [d.id for d in drawn])).items()}
    return grade(drawn, bank, _answers(attempt))


async def _finish(
    ctx: AppContext,
    session: AsyncSession,
    attempt: ExamAttempt,
    status: AttemptStatus,
    **values: Any,
) -> bool:
    """Move an in-progress attempt to `status`; False when another transaction did first."""
    result = await session.execute(
        update(ExamAttempt)
        .where(ExamAttempt.id == attempt.id, ExamAttempt.status == AttemptStatus.IN_PROGRESS)
        .values(status=status.value, version=ExamAttempt.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    changed = bool(getattr(result, "rowcount", 0) == 1)
    await session.refresh(attempt)
    return changed


async def _expire(
    ctx: AppContext, session: AsyncSession, attempt: ExamAttempt, policy: Policy
) -> bool:
    """The abandoned-attempt rule (core.exam.abandon_after): past the limit an unsubmitted
    attempt is closed as failed and counts as used; answers given are kept for the record."""
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return False
    if not is_expired(policy.exam, attempt.started_at, ctx.now()):
        return False
    correct = await _grade(session, attempt)
    if await _finish(ctx, session, attempt, AttemptStatus.ABANDONED, correct=correct, passed=False):
        audit(
            session,
            at=ctx.now(),
            actor="system",
            action="exam_abandoned",
            entity="exam_attempts",
            entity_id=attempt.id,
            data={"person_id": attempt.person_id, "year": attempt.year, "no": attempt.attempt_no},
        )
    return attempt.status == AttemptStatus.ABANDONED  # a concurrent submit may have won


async def _own_attempt(session: AsyncSession, person_id: int, attempt_id: int) -> ExamAttempt:
    attempt = await session.get(ExamAttempt, attempt_id, populate_existing=True)
    if attempt is None:
        raise ExamRefused("not_found")
    if attempt.person_id != person_id:
        raise ExamRefused("not_yours")
    return attempt


async def _exam_year(
    ctx: AppContext, session: AsyncSession, person_id: int, year: int | None
) -> Policy:
    if year is None:
        year = await study_year(ctx, session, person_id, Subject.PUBLIC_MANDATORY)
    policy = check_year(ctx, year)
    if year in await counted_years(session, person_id, Subject.PUBLIC_MANDATORY):
        raise ExamRefused("already_done", year=year)
    return policy


# ------------------------------------------------------------------------------ status


async def exam_status(ctx: AppContext, person_id: int, year: int | None = None) -> ExamStatus:
    """Everything the exam menu shows. Raises StudyRefused closed when no year is open."""
    async with ctx.db.transaction() as session:
        if year is None:
            try:
                year = await study_year(ctx, session, person_id, Subject.PUBLIC_MANDATORY)
            except StudyRefused as exc:
                if exc.reason != "already_done":
                    raise
                year = int(exc.args_["year"])
        policy = check_year(ctx, year)
        passed = year in await counted_years(session, person_id, Subject.PUBLIC_MANDATORY)
        attempts = await _attempts(session, person_id, policy.year)
        for a in attempts:
            await _expire(ctx, session, a, policy)
        granted = await _granted(session, person_id, policy.year)
        left = attempts_left(policy.exam, granted, len(attempts))
        in_progress = next((a.id for a in attempts if a.status == AttemptStatus.IN_PROGRESS), None)
        pending = await _pending(session, person_id, policy.year)
        return ExamStatus(
            year=policy.year,
            makeup=_makeup(ctx, policy.year),
            course_done=await mandatory_course_done(session, person_id, policy.year),
            passed=passed,
            attempts_allowed=attempts_allowed(policy.exam, granted),
            attempts_used=len(attempts),
            attempts_left=left,
            in_progress_id=in_progress,
            remedial_pending=pending is not None,
            can_request_remedial=(
                not passed and left == 0 and in_progress is None and pending is None
            ),
            question_count=policy.exam.question_count,
            pass_mark_percent=policy.exam.pass_mark_percent,
        )


# ------------------------------------------------------------------------------ attempts


async def start_or_resume_attempt(
    ctx: AppContext,
    person_id: int,
    *,
    year: int | None = None,
    rng: random.Random | None = None,
) -> AttemptView:
    """The attempt in progress, or a new one with a fresh random draw while attempts are
    left. `year` defaults to the year the person studies now (make-up of last year first)."""
    draw_rng = rng or random.SystemRandom()

    async def job(session: AsyncSession) -> AttemptView:
        policy = await _exam_year(ctx, session, person_id, year)
        if not await mandatory_course_done(session, person_id, policy.year):
            raise ExamRefused("course_unfinished", year=policy.year)
        attempts = await _attempts(session, person_id, policy.year)
        for a in attempts:
            await _expire(ctx, session, a, policy)
        allowed = attempts_allowed(policy.exam, await _granted(session, person_id, policy.year))
        current = next((a for a in attempts if a.status == AttemptStatus.IN_PROGRESS), None)
        if current is not None:
            return await _view(ctx, session, current, allowed)
        number = max((a.attempt_no for a in attempts), default=0) + 1
        if number > allowed:
            raise ExamRefused("no_attempts_left", allowed=allowed)
        course = await active_mandatory_course(session, policy.year)
        assert course is not None  # mandatory_course_done found it
        try:
            drawn = draw(
                await _exam_pool(session, policy.year, course.id),
                policy.exam.question_count,
                draw_rng,
            )
        except NotEnoughQuestions as exc:
            raise ExamRefused("not_enough_questions", available=exc.available) from exc
        attempt = ExamAttempt(
            person_id=person_id,
            year=policy.year,
            attempt_no=number,
            status=AttemptStatus.IN_PROGRESS.value,
            questions=[d.as_json() for d in drawn],
            answers={},
            position=0,
            started_at=ctx.now(),
        )
        session.add(attempt)
        await session.flush()  # a concurrent start of the same number fails here: retry
        audit(
            session,
            at=ctx.now(),
            actor=f"person:{person_id}",
            action="exam_started",
            entity="exam_attempts",
            entity_id=attempt.id,
            data={"person_id": person_id, "year": policy.year, "no": number, "allowed": allowed},
        )
        return await _view(ctx, session, attempt, allowed)

    return await _retrying(ctx, job)


async def answer(
    ctx: AppContext, person_id: int, attempt_id: int, position: int, choices: Sequence[int]
) -> AttemptView:
    """Answer the current question with displayed option indexes (multiple choice: the whole
    chosen set at once). Repeating an answer already given is a no-op; answering another
    question than the current one (a stale button) is refused."""
    expired = False

    async def job(session: AsyncSession) -> AttemptView:
        nonlocal expired
        expired = False  # a retried transaction starts afresh
        attempt = await _own_attempt(session, person_id, attempt_id)
        policy = ctx.policies[attempt.year]
        allowed = attempts_allowed(policy.exam, await _granted(session, person_id, attempt.year))
        chosen = sorted(choices)
        given = _answers(attempt)
        if position < attempt.position and given.get(position) == chosen:
            return await _view(ctx, session, attempt, allowed)  # the same tap again
        if await _expire(ctx, session, attempt, policy):
            expired = True  # committed below, then refused
            return await _view(ctx, session, attempt, allowed)
        if attempt.status != AttemptStatus.IN_PROGRESS:
            raise ExamRefused("finished")
        drawn = _drawn(attempt)
        if position != attempt.position or position >= len(drawn):
            raise ExamRefused("stale")
        q = (await _bank(session, [drawn[position].id])).get(drawn[position].id)
        kind = QuestionKind(q.kind) if q is not None else QuestionKind.MULTIPLE
        if not valid_choice(kind, len(drawn[position].order), chosen):
            raise ExamRefused("bad_answer")
        # assign new objects: JSON columns track replacement, not in-place mutation
        attempt.answers = {**(attempt.answers or {}), str(position): chosen}
        attempt.position = position + 1
        await session.flush()  # version check: a concurrent tap makes this one retry
        return await _view(ctx, session, attempt, allowed)

    view = await _retrying(ctx, job)
    if expired:
        raise ExamRefused("expired")
    return view


async def submit(ctx: AppContext, person_id: int, attempt_id: int) -> ExamResult:
    """Grade and close the attempt; a pass credits the mandatory hours. Submitting twice (or
    twice at once) counts once: the repeat gets the stored result, already_submitted=True.
    Unanswered questions count as wrong."""
    expired = False

    async def job(session: AsyncSession) -> ExamResult:
        nonlocal expired
        expired = False  # a retried transaction starts afresh
        attempt = await _own_attempt(session, person_id, attempt_id)
        policy = ctx.policies[attempt.year]
        if await _expire(ctx, session, attempt, policy):
            expired = True
        elif attempt.status == AttemptStatus.IN_PROGRESS:
            check_year(ctx, attempt.year)
            correct = await _grade(session, attempt)
            passed = policy.exam.passes(correct, len(attempt.questions))
            if await _finish(
                ctx,
                session,
                attempt,
                AttemptStatus.SUBMITTED,
                correct=correct,
                passed=passed,
                submitted_at=ctx.now(),
            ):
                return await _submitted(ctx, session, attempt, policy)
        if attempt.status == AttemptStatus.ABANDONED:
            if not expired:
                raise ExamRefused("expired")
            return await _result(ctx, session, attempt, policy, None, already=False)
        return await _result(ctx, session, attempt, policy, None, already=True)

    result = await _retrying(ctx, job)
    if expired:
        raise ExamRefused("expired")
    return result


async def _submitted(
    ctx: AppContext, session: AsyncSession, attempt: ExamAttempt, policy: Policy
) -> ExamResult:
    """The one transaction that closed the attempt: audit it and credit a pass."""
    audit(
        session,
        at=ctx.now(),
        actor=f"person:{attempt.person_id}",
        action="exam_submitted",
        entity="exam_attempts",
        entity_id=attempt.id,
        data={
            "person_id": attempt.person_id,
            "year": attempt.year,
            "no": attempt.attempt_no,
            "correct": attempt.correct,
            "total": len(attempt.questions),
            "passed": attempt.passed,
            "submitted_on": ctx.today().isoformat(),
        },
    )
    hours = None
    if attempt.passed:
        course = await active_mandatory_course(session, policy.year)
        credited = await credit_public_hours(
            ctx,
            session,
            attempt.person_id,
            policy,
            Subject.PUBLIC_MANDATORY,
            origin="exam",
            title=course.title if course else policy.mandatory_theme,
            course_code=course.code if course else None,
            actor=f"person:{attempt.person_id}",
        )
        hours = policy.mandatory_hours if credited else None
    return await _result(ctx, session, attempt, policy, hours, already=False)


async def _result(
    ctx: AppContext,
    session: AsyncSession,
    attempt: ExamAttempt,
    policy: Policy,
    hours: Fraction | None,
    *,
    already: bool,
) -> ExamResult:
    granted = await _granted(session, attempt.person_id, attempt.year)
    used = len(await _attempts(session, attempt.person_id, attempt.year))
    return ExamResult(
        attempt_id=attempt.id,
        year=attempt.year,
        attempt_no=attempt.attempt_no,
        correct=attempt.correct or 0,
        total=len(attempt.questions),
        passed=bool(attempt.passed),
        pass_mark_percent=policy.exam.pass_mark_percent,
        attempts_left=attempts_left(policy.exam, granted, used),
        hours_credited=hours,
        makeup=_makeup(ctx, attempt.year),
        already_submitted=already,
    )


# ------------------------------------------------------------------------------ remedial


async def _pending(session: AsyncSession, person_id: int, year: int) -> RemedialRequest | None:
    return await session.scalar(
        select(RemedialRequest)
        .where(
            RemedialRequest.person_id == person_id,
            RemedialRequest.year == year,
            RemedialRequest.status == "pending",
        )
        .execution_options(populate_existing=True)
    )


async def _admin_accounts(session: AsyncSession) -> tuple[int, ...]:
    rows = await session.scalars(
        select(Role.account_id)
        .where(Role.role == "admin", Role.revoked_at.is_(None))
        .distinct()
        .order_by(Role.account_id)
    )
    return tuple(rows)


async def _person_accounts(session: AsyncSession, person_id: int) -> tuple[int, ...]:
    rows = await session.scalars(
        select(Account.id).where(Account.person_id == person_id).order_by(Account.id)
    )
    return tuple(rows)


async def _left(session: AsyncSession, policy: Policy, person_id: int) -> tuple[int, bool]:
    """Attempts left and whether one is in progress (callers expire stale ones first)."""
    attempts = await _attempts(session, person_id, policy.year)
    granted = await _granted(session, person_id, policy.year)
    in_progress = any(a.status == AttemptStatus.IN_PROGRESS for a in attempts)
    return attempts_left(policy.exam, granted, len(attempts)), in_progress


async def request_remedial(
    ctx: AppContext, person_id: int, year: int | None = None
) -> RemedialNotice:
    """Ask for remedial study and a re-exam (补学补考): only when every attempt is used and
    failed; a second request while one is pending returns that one (created=False)."""

    async def job(session: AsyncSession) -> RemedialNotice:
        policy = await _exam_year(ctx, session, person_id, year)
        for a in await _attempts(session, person_id, policy.year):
            await _expire(ctx, session, a, policy)
        left, in_progress = await _left(session, policy, person_id)
        if left > 0 or in_progress:
            raise ExamRefused("attempts_remain", left=left)
        person = await session.get(Person, person_id)
        if person is None:
            raise ExamRefused("not_found")
        request = await _pending(session, person_id, policy.year)
        created = request is None
        if request is None:
            request = RemedialRequest(
                person_id=person_id, year=policy.year, status="pending", requested_at=ctx.now()
            )
            session.add(request)
            await session.flush()  # the partial unique index refuses a concurrent second one
            audit(
                session,
                at=ctx.now(),
                actor=f"person:{person_id}",
                action="remedial_requested",
                entity="exam_remedial_requests",
                entity_id=request.id,
                data={"person_id": person_id, "year": policy.year},
            )
        return RemedialNotice(
            request_id=request.id,
            person_id=person_id,
            person_name=person.name,
            person_masked=person.id_masked,
            year=policy.year,
            created=created,
            admin_account_ids=await _admin_accounts(session) if created else (),
        )

    return await _retrying(ctx, job)


async def _is_admin(session: AsyncSession, account_id: int) -> bool:
    found = await session.scalar(
        select(Role.id).where(
            Role.account_id == account_id, Role.role == "admin", Role.revoked_at.is_(None)
        )
    )
    return found is not None


async def _grant(
    ctx: AppContext,
    session: AsyncSession,
    policy: Policy,
    person_id: int,
    actor: str,
    reason: str | None,
) -> ExamGrant:
    grant = ExamGrant(
        person_id=person_id,
        year=policy.year,
        extra_attempts=policy.exam.remedial_attempts,
        granted_by=actor,
        reason=reason,
        granted_at=ctx.now(),
    )
    session.add(grant)
    await session.flush()
    return grant


async def decide_remedial(
    ctx: AppContext,
    request_id: int,
    *,
    approve: bool,
    actor: str,
    admin_account_id: int | None = None,
    reason: str | None = None,
) -> RemedialDecision:
    """An administrator approves (adds the policy's remedial_attempts) or declines. Two
    administrators at once: the first decides, the other gets already_decided=True.
    `admin_account_id` (from the bot) must hold an active admin role."""

    async def job(session: AsyncSession) -> RemedialDecision:
        if admin_account_id is not None and not await _is_admin(session, admin_account_id):
            raise ExamRefused("not_admin")
        request = await session.get(RemedialRequest, request_id, populate_existing=True)
        if request is None:
            raise ExamRefused("not_found")
        policy = ctx.policies[request.year]
        return await _decide(ctx, session, request, policy, approve, actor, reason)

    return await _retrying(ctx, job)


async def _decide(
    ctx: AppContext,
    session: AsyncSession,
    request: RemedialRequest,
    policy: Policy,
    approve: bool,
    actor: str,
    reason: str | None,
) -> RemedialDecision:
    status = "approved" if approve else "declined"
    result = await session.execute(
        update(RemedialRequest)
        .where(RemedialRequest.id == request.id, RemedialRequest.status == "pending")
        .values(status=status, decided_at=ctx.now(), decided_by=actor, reason=reason)
        .execution_options(synchronize_session=False)
    )
    won = getattr(result, "rowcount", 0) == 1
    extra = 0
    if won and approve:
        grant = await _grant(ctx, session, policy, request.person_id, actor, reason)
        extra = grant.extra_attempts
        await session.execute(
            update(RemedialRequest)
            .where(RemedialRequest.id == request.id)
            .values(grant_id=grant.id)
            .execution_options(synchronize_session=False)
        )
    if won:
        audit(
            session,
            at=ctx.now(),
            actor=actor,
            action=f"remedial_{status}",
            entity="exam_remedial_requests",
            entity_id=request.id,
            data={
                "person_id": request.person_id,
                "year": request.year,
                "extra_attempts": extra,
                "reason": reason,
            },
        )
    await session.refresh(request)
    left, _ = await _left(session, policy, request.person_id)
    decision = RemedialDecision(
        request_id=request.id,
        person_id=request.person_id,
        year=request.year,
        approved=request.status == "approved",
        extra_attempts=extra,
        attempts_left=left,
        already_decided=not won,
        person_account_ids=await _person_accounts(session, request.person_id),
    )
    if won:
        key = "stu-remedial-approved" if approve else "stu-remedial-declined"
        _tell_person(ctx, session, decision, key)
    return decision


def _tell_person(
    ctx: AppContext, session: AsyncSession, decision: RemedialDecision, key: str
) -> None:
    """The person hears of the decision, whoever made it (the bot's button or `cebot exam
    reopen`): queued in the deciding transaction, so it exists if and only if it committed."""
    for account_id in decision.person_account_ids:
        queue_notice(
            session,
            account_id=account_id,
            key=key,
            now=ctx.now(),
            args={
                "year": decision.year,
                "extra": decision.extra_attempts,
                "left": decision.attempts_left,
            },
            buttons=(("menu-study", "m:study"),),
        )


async def reopen_exam(
    ctx: AppContext, id_number: str, year: int, *, actor: str, reason: str | None = None
) -> RemedialDecision:
    """An administrator reopens a person's exam (e.g. after a phone call, as in the notice):
    approves the pending request if there is one, else grants the attempts directly. Raises
    InvalidIdNumber, PersonNotFound or ExamRefused (closed, already_done, attempts_remain)."""

    async def job(session: AsyncSession) -> RemedialDecision:
        person = await find_person_by_id_number(ctx, session, id_number)
        if person is None:
            raise PersonNotFound()
        policy = await _exam_year(ctx, session, person.id, year)
        for a in await _attempts(session, person.id, policy.year):
            await _expire(ctx, session, a, policy)
        pending = await _pending(session, person.id, policy.year)
        if pending is not None:
            return await _decide(ctx, session, pending, policy, True, actor, reason)
        left, in_progress = await _left(session, policy, person.id)
        if left > 0 or in_progress:
            raise ExamRefused("attempts_remain", left=left)
        grant = await _grant(ctx, session, policy, person.id, actor, reason)
        audit(
            session,
            at=ctx.now(),
            actor=actor,
            action="exam_reopened",
            entity="exam_grants",
            entity_id=grant.id,
            data={
                "person_id": person.id,
                "year": policy.year,
                "extra_attempts": grant.extra_attempts,
                "reason": reason,
            },
        )
        decision = RemedialDecision(
            request_id=None,
            person_id=person.id,
            year=policy.year,
            approved=True,
            extra_attempts=grant.extra_attempts,
            attempts_left=grant.extra_attempts,
            already_decided=False,
            person_account_ids=await _person_accounts(session, person.id),
        )
        _tell_person(ctx, session, decision, "stu-remedial-reopened")
        return decision

    return await _retrying(ctx, job)


# ------------------------------------------------------------------------------ bot helpers


async def attempt_view(ctx: AppContext, person_id: int, attempt_id: int) -> AttemptView:
    """The person's attempt in progress as it stands (the current question), never starting
    a new one: for redrawing a question (a toggled option) and resuming after a restart.
    Raises ExamRefused not_found, not_yours, finished, or expired (the expiry is kept)."""
    expired = False

    async def job(session: AsyncSession) -> AttemptView:
        nonlocal expired
        expired = False  # a retried transaction starts afresh
        attempt = await _own_attempt(session, person_id, attempt_id)
        policy = ctx.policies[attempt.year]
        allowed = attempts_allowed(policy.exam, await _granted(session, person_id, attempt.year))
        if await _expire(ctx, session, attempt, policy):
            expired = True  # committed below, then refused
        elif attempt.status != AttemptStatus.IN_PROGRESS:
            raise ExamRefused("finished")
        return await _view(ctx, session, attempt, allowed)

    view = await _retrying(ctx, job)
    if expired:
        raise ExamRefused("expired")
    return view


@dataclass(frozen=True, slots=True)
class AttemptCount:
    used: int  # every attempt started counts (in progress, submitted or abandoned)
    allowed: int

    @property
    def left(self) -> int:
        return max(0, self.allowed - self.used)


async def attempt_count(ctx: AppContext, person_id: int, policy: Policy) -> AttemptCount:
    """Read-only and cheap (two counts), for summaries such as "My progress". Expiry does not
    change it: an abandoned attempt counts as used like any other."""
    async with ctx.db.transaction() as session:
        used = await session.scalar(
            select(func.count())
            .select_from(ExamAttempt)
            .where(ExamAttempt.person_id == person_id, ExamAttempt.year == policy.year)
        )
        granted = await _granted(session, person_id, policy.year)
    return AttemptCount(int(used or 0), attempts_allowed(policy.exam, granted))
