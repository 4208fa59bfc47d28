"""The reviewers' digest (services.claims.queue_review_digests, run by the scheduler): new
pending claims reach each reviewer of their unit as one outbox message with the "rv:queue"
button, at most once per interval, never twice for the same claims, once even when two
schedulers run it at the same moment; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update

from services.claims import REVIEW_DIGEST_HOURS, REVIEW_DIGEST_KIND, queue_review_digests
from services.context import AppContext
from services.reminders import REVIEW_QUEUE_CALLBACK, render_message
from services.scheduler import review_digests
from storage.db import Database
from storage.models import Account, Campaign, OutboxMessage, Person
from tests.claims.claims_helpers import World, at, build_world, claim, shanghai

INTERVAL = timedelta(hours=REVIEW_DIGEST_HOURS)


async def digests(ctx: AppContext) -> dict[int, list[dict[str, Any]]]:
    """account id -> digest payloads queued for it, oldest first."""
    async with ctx.db.transaction() as s:
        rows = await s.execute(
            select(OutboxMessage.account_id, OutboxMessage.payload)
            .join(Campaign, Campaign.id == OutboxMessage.campaign_id)
            .where(Campaign.kind == REVIEW_DIGEST_KIND)
            .order_by(OutboxMessage.id)
        )
        found: dict[int, list[dict[str, Any]]] = {}
        for account_id, payload in rows.all():
            found.setdefault(account_id, []).append(dict(payload))
        return found


def args_of(found: dict[int, list[dict[str, Any]]], account_id: int) -> list[tuple[int, int]]:
    return [(p["args"]["new"], p["args"]["pending"]) for p in found.get(account_id, [])]


def on_day(day: date) -> dict[str, date]:
    return {"started_on": day, "completed_on": day}


async def three_claims(ctx: AppContext, world: World) -> None:
    await claim(ctx, world.claimant, title="甲一", **on_day(date(2024, 9, 1)))
    await claim(ctx, world.claimant, title="甲二", **on_day(date(2024, 9, 2)))
    async with ctx.db.transaction() as s:  # the plain person moves to unit B and claims there
        plain = await s.scalar(select(Account.person_id).where(Account.id == world.plain))
        await s.execute(update(Person).where(Person.id == plain).values(unit_id=world.unit_b))
    assert plain is not None
    await claim(ctx, plain, title="乙一", **on_day(date(2024, 9, 3)))


async def test_one_digest_per_reviewer_for_new_claims_never_twice(ctx: AppContext) -> None:
    world = await build_world(ctx)
    assert (await queue_review_digests(ctx)).skipped == "nothing_new"
    await three_claims(ctx, world)

    run = await queue_review_digests(ctx)
    assert (run.queued, run.units, run.claims) == (4, 2, 3) and run.key is not None
    found = await digests(ctx)
    # unit A's three live reviewers, unit B's one; the revoked reviewer gets nothing
    assert set(found) == {
        world.reviewer_person_account,
        world.reviewer1,
        world.reviewer2,
        world.reviewer_b,
    }
    assert args_of(found, world.reviewer1) == [(2, 2)]
    assert args_of(found, world.reviewer_b) == [(1, 1)]
    rendered = render_message(found[world.reviewer1][0], "zh", ctx.today())
    assert rendered.text == "📝 本单位有 2 条新的专业科目学时登记，共 2 条待审验。"
    assert rendered.buttons == [("📝 去审验", REVIEW_QUEUE_CALLBACK)]
    assert (
        "2 new professional-hour claims"
        in render_message(found[world.reviewer1][0], "en", ctx.today()).text
    )

    # at once again: nothing; a new claim within the interval waits for the interval's end
    assert (await queue_review_digests(ctx)).skipped == "too_soon"
    await claim(at(ctx, ctx.now() + timedelta(minutes=30)), world.claimant, title="甲三")
    early = await queue_review_digests(at(ctx, ctx.now() + INTERVAL - timedelta(minutes=1)))
    assert early.skipped == "too_soon" and await digests(ctx) == found
    run = await queue_review_digests(at(ctx, ctx.now() + INTERVAL))
    assert (run.queued, run.claims) == (3, 1)  # only unit A's reviewers hear of it
    found = await digests(ctx)
    assert args_of(found, world.reviewer1) == [(2, 2), (1, 3)]
    assert args_of(found, world.reviewer_b) == [(1, 1)]
    # later, with nothing new: nothing, however often the job runs
    for hours in (2, 3, 10):
        skipped = await queue_review_digests(at(ctx, ctx.now() + hours * INTERVAL))
        assert skipped.skipped == "nothing_new"
    assert await digests(ctx) == found


async def test_unreachable_reviewers_and_closed_years_get_no_digest(ctx: AppContext) -> None:
    world = await build_world(ctx)
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Account).where(Account.id == world.reviewer2).values(unreachable_at=ctx.now())
        )
    await claim(ctx, world.claimant)
    late = at(ctx, shanghai(2025, 4, 1, 10))  # 2024's claims can no longer be decided
    assert (await queue_review_digests(late)).skipped == "nothing_new"
    run = await review_digests(ctx)  # the scheduler's job
    assert run is not None and run.queued == 2
    assert set(await digests(ctx)) == {world.reviewer_person_account, world.reviewer1}


async def test_two_schedulers_at_once_queue_one_digest(ctx: AppContext) -> None:
    world = await build_world(ctx)
    await claim(ctx, world.claimant)
    other = replace(ctx, db=Database(ctx.database.url))  # another process: its own engine
    try:
        runs = await asyncio.gather(queue_review_digests(ctx), queue_review_digests(other))
    finally:
        await other.db.dispose()
    assert sorted(r.queued for r in runs) == [0, 3]
    assert {r.skipped for r in runs if r.queued == 0} <= {"raced", "too_soon"}
    found = await digests(ctx)
    assert all(len(found[a]) == 1 for a in found) and len(found) == 3
    async with ctx.db.transaction() as s:
        kinds = list(await s.scalars(select(Campaign.kind)))
    assert kinds == [REVIEW_DIGEST_KIND]
