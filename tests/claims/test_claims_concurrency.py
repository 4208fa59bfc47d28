"""Real concurrency on PostgreSQL: two workers (two engines and pools), asyncio.gather, several
rounds. Two reviewers at once, one reviewer tapping twice, a withdrawal racing an approval and
two confirmations of one member each give exactly one decision, one Review row, one audit
entry; the loser is told who decided."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from claims_helpers import World, build_world, claim, count, shanghai
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url

from services.claims import (
    ClaimRefused,
    DecisionResult,
    confirm_member,
    decide,
    decide_many,
    withdraw_claim,
)
from services.context import AppContext
from services.pii import IdProtector
from services.policies import PolicyBook
from storage.db import Database
from storage.models import AuditEntry, Base, HourRecord, Person, Review

ROUNDS = 6
NOW = shanghai(2024, 11, 20, 10)


def worker(url: str, data_dir: Path) -> AppContext:
    return AppContext(
        db=Database(url),
        policies=PolicyBook.load(),
        ids=IdProtector(b"claims-concurrency-secret"),
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
    yield contexts
    for c in contexts:
        await c.db.dispose()


def one_winner(results: list[DecisionResult], record_id: int) -> DecisionResult:
    winners = [r for r in results if not r.already_decided]
    assert len(winners) == 1, results
    losers = [r for r in results if r.already_decided]
    for loser in losers:  # "already decided by …", with the winner's state
        assert loser.status == winners[0].status
        assert loser.decided_by_account == winners[0].decided_by_account
        assert loser.decided_by_name and loser.notify_account_ids == ()
    assert all(r.record_id == record_id for r in results)
    return winners[0]


async def decisions(ctx: AppContext, record_id: int) -> tuple[int, int]:
    reviews = await count(ctx, Review, Review.record_id == record_id)
    audits = await count(
        ctx,
        AuditEntry,
        AuditEntry.entity_id == str(record_id),
        AuditEntry.action.in_(["claim_approved", "claim_rejected", "claim_withdraw"]),
    )
    return reviews, audits


async def test_two_reviewers_and_double_taps(workers: tuple[AppContext, AppContext]) -> None:
    a, b = workers
    w: World = await build_world(a)
    for round_no in range(ROUNDS):
        # two reviewers at once, one approving, one rejecting
        first = await claim(a, w.claimant, title=f"两人同时 {round_no}")
        results = list(
            await asyncio.gather(
                decide(a, w.reviewer1, first.id, approve=True),
                decide(b, w.reviewer2, first.id, approve=False, reason="blurry_evidence"),
            )
        )
        winner = one_winner(results, first.id)
        assert await decisions(a, first.id) == (1, 1)
        # one reviewer tapping twice, on two workers
        second = await claim(a, w.claimant, title=f"双击 {round_no}")
        results = list(
            await asyncio.gather(
                decide(a, w.reviewer1, second.id, approve=True),
                decide(b, w.reviewer1, second.id, approve=True),
            )
        )
        one_winner(results, second.id)
        assert await decisions(a, second.id) == (1, 1)
        assert winner.status in ("approved", "rejected")


async def test_withdraw_racing_approval(workers: tuple[AppContext, AppContext]) -> None:
    a, b = workers
    w = await build_world(a)
    for round_no in range(ROUNDS):
        view = await claim(a, w.claimant, title=f"撤回 {round_no}")
        results = await asyncio.gather(
            withdraw_claim(a, w.claimant, view.id),
            decide(b, w.reviewer1, view.id, approve=True),
            return_exceptions=True,
        )
        withdrawn, decided = results
        async with a.db.transaction() as s:
            record = await s.get(HourRecord, view.id)
            assert record is not None
            status = record.status
        if isinstance(withdrawn, ClaimRefused):  # the approval came first
            assert withdrawn.reason == "not_pending" and status == "approved"
            assert isinstance(decided, DecisionResult) and not decided.already_decided
        else:
            assert status == "withdrawn"
            assert isinstance(decided, DecisionResult) and decided.already_decided
        assert await decisions(a, view.id) == (1 if status == "approved" else 0, 1)


async def test_approving_many_at_once_from_two_workers(
    workers: tuple[AppContext, AppContext],
) -> None:
    a, b = workers
    w = await build_world(a)
    ids = [(await claim(a, w.claimant, title=f"批量 {n}")).id for n in range(8)]
    first, second = await asyncio.gather(
        decide_many(a, w.reviewer1, ids), decide_many(b, w.reviewer2, list(reversed(ids)))
    )
    assert not first.refused and not second.refused
    won = [r.record_id for r in first.decided + second.decided if not r.already_decided]
    assert sorted(won) == sorted(ids)
    assert await count(a, Review) == len(ids)


async def test_two_confirmations_of_one_member(workers: tuple[AppContext, AppContext]) -> None:
    a, b = workers
    w = await build_world(a)
    for _round in range(ROUNDS):
        async with a.db.transaction() as s:
            await s.execute(
                update(Person).where(Person.id == w.claimant).values(unit_confirmed=False)
            )
        results = await asyncio.gather(
            confirm_member(a, w.reviewer1, w.claimant),
            confirm_member(b, w.reviewer2, w.claimant),
        )
        assert sorted(r.already_confirmed for r in results) == [False, True]
    assert await count(a, AuditEntry, AuditEntry.action == "member_confirm") == ROUNDS
