"""Real concurrency on PostgreSQL: two engines (as two workers would have), asyncio.gather,
several rounds. Never more than the allowed attempts count; a double submit counts once; the
same tap twice counts once; two remedial decisions at once decide once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from exam_helpers import add_person, choices_for, read_course
from sqlalchemy import ColumnElement, create_engine, func, select, text
from sqlalchemy.engine import make_url

from services.context import AppContext
from services.courses import StudyRefused
from services.exam import (
    AttemptView,
    ExamRefused,
    ExamResult,
    answer,
    decide_remedial,
    request_remedial,
    start_or_resume_attempt,
    submit,
)
from services.pii import IdProtector
from services.policies import PolicyBook
from services.question_bank import seed_demo_content
from storage.db import Database
from storage.models import AuditEntry, Base, ExamAttempt, ExamGrant, HourRecord

NOW = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)
ROUNDS = 4


def worker(url: str, data_dir: Path) -> AppContext:
    """One worker's context: its own engine and connection pool."""
    return AppContext(
        db=Database(url),
        policies=PolicyBook.load(),
        ids=IdProtector(b"concurrency-test-secret"),
        data_dir=data_dir,
        clock=lambda: NOW,
    )


def truncate(url: str) -> None:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
async def workers(postgres_url: str, tmp_path: Path) -> AsyncIterator[tuple[AppContext, ...]]:
    truncate(postgres_url)
    contexts = tuple(worker(postgres_url, tmp_path / "data") for _ in range(2))
    await seed_demo_content(contexts[0])
    yield contexts
    for c in contexts:
        await c.db.dispose()


async def count(ctx: AppContext, model: type, *where: ColumnElement[bool]) -> int:
    async with ctx.db.transaction() as s:
        n = await s.scalar(select(func.count()).select_from(model).where(*where))
    return n or 0


async def test_two_workers_start_answer_and_submit_at_once(
    workers: tuple[AppContext, AppContext],
) -> None:
    a, b = workers
    for round_no in range(ROUNDS):
        pid = await add_person(a, round_no + 1)
        await read_course(a, pid)
        pass_on = round_no % 4  # 0: never passes; 1..3: passes on that attempt
        for attempt_no in range(1, 4):
            views = await asyncio.gather(
                start_or_resume_attempt(a, pid), start_or_resume_attempt(b, pid)
            )
            assert views[0].id == views[1].id and views[0].attempt_no == attempt_no
            view: AttemptView = views[0]
            chosen = await choices_for(a, view.id, right=attempt_no == pass_on)
            taps = await asyncio.gather(
                answer(a, pid, view.id, 0, chosen[0]), answer(b, pid, view.id, 0, chosen[0])
            )
            assert [t.position for t in taps] == [1, 1]  # the same tap twice counts once
            for position in range(1, len(chosen)):
                await answer(a, pid, view.id, position, chosen[position])
            results: list[ExamResult] = list(
                await asyncio.gather(submit(a, pid, view.id), submit(b, pid, view.id))
            )
            assert sorted(r.already_submitted for r in results) == [False, True]
            assert len({(r.correct, r.passed) for r in results}) == 1
            if results[0].passed:
                break
        refused = await asyncio.gather(
            start_or_resume_attempt(a, pid), start_or_resume_attempt(b, pid), return_exceptions=True
        )
        assert all(isinstance(r, StudyRefused) for r in refused)  # no_attempts_left, already_done
        expected = min(pass_on, 3) if pass_on else 3
        assert await count(a, ExamAttempt, ExamAttempt.person_id == pid) == expected
        records = await count(a, HourRecord, HourRecord.person_id == pid)
        assert records == (1 if pass_on else 0)
    assert await count(a, AuditEntry, AuditEntry.action == "credit") == 3


async def storm(ctx: AppContext, pid: int) -> int:
    """Start and submit (unanswered, so failing) until refused; how many this worker closed."""
    closed = 0
    for _ in range(10):
        try:
            view = await start_or_resume_attempt(ctx, pid)
            result = await submit(ctx, pid, view.id)
        except ExamRefused as exc:
            if exc.reason == "no_attempts_left":
                return closed
            continue  # busy, or the attempt was closed by another worker just now
        closed += not result.already_submitted
    return closed


async def test_many_concurrent_starts_never_exceed_the_allowed_attempts(
    workers: tuple[AppContext, AppContext],
) -> None:
    a, b = workers
    for round_no in range(ROUNDS):
        pid = await add_person(a, 100 + round_no)
        await read_course(a, pid)
        closed = await asyncio.gather(*(storm(ctx, pid) for ctx in (a, b, a, b, a, b)))
        assert sum(closed) == 3  # every attempt closed exactly once
        assert await count(a, ExamAttempt, ExamAttempt.person_id == pid) == 3
        submitted = await count(
            a, AuditEntry, AuditEntry.action == "exam_submitted", AuditEntry.entity_id.is_not(None)
        )
        assert submitted == 3 * (round_no + 1)


async def test_remedial_request_and_decision_race(workers: tuple[AppContext, AppContext]) -> None:
    a, b = workers
    for round_no in range(ROUNDS):
        pid = await add_person(a, 200 + round_no)
        await read_course(a, pid)
        await storm(a, pid)
        notices = await asyncio.gather(request_remedial(a, pid), request_remedial(b, pid))
        assert notices[0].request_id == notices[1].request_id
        assert sorted(n.created for n in notices) == [False, True]
        decisions = await asyncio.gather(
            decide_remedial(a, notices[0].request_id, approve=True, actor="admin:a"),
            decide_remedial(b, notices[0].request_id, approve=True, actor="admin:b"),
        )
        assert sorted(d.already_decided for d in decisions) == [False, True]
        assert await count(a, ExamGrant, ExamGrant.person_id == pid) == 1
        closed = await asyncio.gather(storm(a, pid), storm(b, pid))
        assert sum(closed) == a.policies[2024].exam.remedial_attempts
        assert await count(a, ExamAttempt, ExamAttempt.person_id == pid) == 6
