"""Spot checks: a reproducible draw (seed and population), filters, size and share; an auditor's
confirmation or revocation (the record stops counting, certificates that no longer hold are
revoked, the person and the unit's reviewers are told); who may mark; one decision when two
mark at once (PostgreSQL, two workers)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from admin_helpers import YEAR, Province, build_province, count
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import make_url

from core.rules import RecordStatus
from services.certificates import REVOKED_NOTICE, issue_certificate
from services.context import AppContext
from services.notify import render_notice
from services.people_admin import grant_role, withdraw_role
from services.pii import IdProtector
from services.policies import PolicyBook
from services.progress import year_evaluation
from services.spot_checks import (
    COMMON_REVOKE_REASONS,
    ItemView,
    SpotRefused,
    assign_draw,
    choose,
    draw_sample,
    item_view,
    list_draws,
    mark_item,
    next_item,
    parse_share,
    population,
    population_digest,
    show_draw,
)
from storage.db import Database
from storage.models import AuditEntry, Base, Certificate, HourRecord, OutboxMessage, Review
from storage.privacy_models import AccessLogEntry
from storage.spot_models import SpotCheck, SpotCheckItem


@pytest.fixture
async def province(ctx: AppContext) -> Province:
    return await build_province(ctx)


async def drawn_records(ctx: AppContext, check_id: int) -> list[int]:
    async with ctx.db.transaction() as s:
        return list(
            await s.scalars(
                select(SpotCheckItem.record_id)
                .where(SpotCheckItem.check_id == check_id)
                .order_by(SpotCheckItem.seq)
            )
        )


async def item_of(ctx: AppContext, check_id: int, record_id: int) -> int:
    async with ctx.db.transaction() as s:
        found = await s.scalar(
            select(SpotCheckItem.id).where(
                SpotCheckItem.check_id == check_id, SpotCheckItem.record_id == record_id
            )
        )
    assert found is not None
    return found


async def outbox(ctx: AppContext, account_id: int) -> list[dict[str, object]]:
    async with ctx.db.transaction() as s:
        rows = await s.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.account_id == account_id)
            .order_by(OutboxMessage.id)
        )
        return list(rows)


# ------------------------------------------------------------------ the draw


def test_choose_is_a_function_of_seed_and_population() -> None:
    ids = list(range(100, 160))
    assert choose(ids, 7, 42) == choose(list(reversed(ids)), 7, 42)  # order does not matter
    assert choose(ids, 7, 42) != choose(ids, 7, 43)
    assert len(set(choose(ids, 7, 42))) == 7 and set(choose(ids, 7, 42)) <= set(ids)
    assert sorted(choose(ids, 500, 1)) == ids  # never more than the population


def test_parse_share() -> None:
    assert parse_share("10%") == Fraction(1, 10)
    assert parse_share(" 12.5 ％") == Fraction(1, 8)
    assert parse_share("0.2") == Fraction(1, 5) and parse_share("1/4") == Fraction(1, 4)
    for bad in ("0", "0%", "150%", "abc", "-1", "1/0"):
        with pytest.raises(SpotRefused) as caught:
            parse_share(bad)
        assert caught.value.reason == "share"


async def test_same_seed_same_sample_and_the_population_is_recorded(
    ctx: AppContext, province: Province
) -> None:
    first = await draw_sample(ctx, province.admin, year=YEAR, size=5, seed=7)
    again = await draw_sample(ctx, province.admin, year=YEAR, size=5, seed=7)
    other = await draw_sample(ctx, province.admin, year=YEAR, size=5, seed=8)
    a, b, c = [await drawn_records(ctx, d.id) for d in (first, again, other)]
    assert a == b and len(a) == 5
    assert a != c
    # the population is every approved claim of the year (no pending, rejected or import)
    assert first.population == len(province.approved)
    assert first.population_sha256 == population_digest(province.approved)
    assert a == choose(province.approved, 5, 7)  # anyone can repeat the draw
    assert first.seed == 7 and first.size == 5 and first.open == 5
    assert await count(ctx, AuditEntry, AuditEntry.action == "spot.draw") == 3


async def test_a_draw_without_seed_gets_one_stored(ctx: AppContext, province: Province) -> None:
    draw = await draw_sample(ctx, province.admin, year=YEAR, size=3)
    assert draw.seed >= 0
    assert await drawn_records(ctx, draw.id) == choose(province.approved, 3, draw.seed)


async def test_size_share_and_filters(ctx: AppContext, province: Province) -> None:
    n = len(province.approved)
    by_share = await draw_sample(ctx, province.admin, year=YEAR, share="25%", seed=1)
    assert by_share.size == math.ceil(n / 4) and by_share.share == "1/4"
    everything = await draw_sample(ctx, province.admin, year=YEAR, size=999, seed=1)
    assert everything.size == n  # at most the population
    tiny = await draw_sample(ctx, province.admin, year=YEAR, share=Fraction(1, 1000), seed=1)
    assert tiny.size == 1  # a share never rounds down to nothing

    liuzhou = await draw_sample(ctx, province.admin, year=YEAR, city="柳州市", size=50, seed=2)
    unit_a = await draw_sample(ctx, province.admin, year=YEAR, unit="ua", size=50, seed=2)
    async with ctx.db.transaction() as s:
        units_b = set(
            await s.scalars(
                select(SpotCheckItem.unit_id).where(SpotCheckItem.check_id == liuzhou.id)
            )
        )
        units_a = set(
            await s.scalars(
                select(SpotCheckItem.unit_id).where(SpotCheckItem.check_id == unit_a.id)
            )
        )
    assert units_b == {province.unit_b} and units_a == {province.unit_a}
    assert liuzhou.size + unit_a.size == n
    assert unit_a.unit_code == "UA"
    assert await population(ctx, province.admin, year=YEAR, city="柳州市") == liuzhou.size


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"size": 3, "share": "10%"}, "size_or_share"),
        ({}, "size_or_share"),
        ({"size": 0}, "size"),
        ({"size": 3, "unit": "NOPE"}, "unknown_unit"),
        ({"size": 3, "unit": "UC"}, "empty"),
        ({"size": 3, "city": "桂林市"}, "empty"),
        ({"size": 3, "seed": -1}, "seed"),
    ],
)
async def test_bad_draws_are_refused(
    ctx: AppContext, province: Province, kwargs: dict[str, object], reason: str
) -> None:
    with pytest.raises(SpotRefused) as caught:
        await draw_sample(ctx, province.admin, year=YEAR, **kwargs)  # type: ignore[arg-type]
    assert caught.value.reason == reason
    assert await count(ctx, SpotCheck) == 0


async def test_only_administrators_draw_and_assign(ctx: AppContext, province: Province) -> None:
    for who in (province.auditor, province.reviewer_a, province.plain):
        with pytest.raises(SpotRefused) as caught:
            await draw_sample(ctx, who, year=YEAR, size=2)
        assert caught.value.reason == "not_admin"
    with pytest.raises(SpotRefused) as caught:
        await draw_sample(ctx, province.admin, year=2023, size=2)
    assert caught.value.reason == "no_policy"
    draw = await draw_sample(ctx, None, year=YEAR, size=2, seed=3)  # the operator
    with pytest.raises(SpotRefused) as caught:
        await assign_draw(ctx, province.admin, draw.id, province.plain)
    assert caught.value.reason == "auditor_account"
    with pytest.raises(SpotRefused) as caught:
        await assign_draw(ctx, province.auditor, draw.id, province.auditor)
    assert caught.value.reason == "not_admin"
    assigned = await assign_draw(ctx, province.admin, draw.id, province.auditor2)
    assert assigned.auditor_account_id == province.auditor2
    notices = await outbox(ctx, province.auditor2)
    assert [n["key"] for n in notices] == ["spot-notice-assigned"]
    assert notices[0]["buttons"] == [["spot-button-open", f"sp:{draw.id}"]]
    # an auditor sees only their own draws; an administrator every draw
    assert [d.id for d in await list_draws(ctx, province.auditor2)] == [draw.id]
    assert await list_draws(ctx, province.auditor) == []
    assert len(await list_draws(ctx, province.admin)) == 1
    with pytest.raises(SpotRefused):
        await list_draws(ctx, province.plain)


# ------------------------------------------------------------------ marking


async def whole_unit_a(ctx: AppContext, province: Province, auditor: int | None = None) -> int:
    draw = await draw_sample(
        ctx, province.admin, year=YEAR, unit="UA", size=100, seed=11, auditor=auditor
    )
    return draw.id


async def test_revoking_stops_counting_revokes_the_certificate_and_tells_everyone(
    ctx: AppContext, province: Province
) -> None:
    ce = await issue_certificate(ctx, province.p1, YEAR, "ce", actor="test")
    pe = await issue_certificate(ctx, province.p1, YEAR, "public_exam", actor="test")
    policy = ctx.policies[YEAR]
    async with ctx.db.transaction() as s:
        before = await year_evaluation(s, policy, province.p1)
    assert before.complete and before.professional_verified_hours == 74

    check = await whole_unit_a(ctx, province, auditor=province.auditor2)
    item = await item_of(ctx, check, province.p1_claim_small)
    result = await mark_item(ctx, province.auditor2, item, confirm=False, reason="evidence_false")
    assert not result.already and result.item.outcome == "revoked"
    assert result.certificates_revoked == (ce.number,)
    assert result.person_told == 1 and result.reviewers_told == 1

    async with ctx.db.transaction() as s:
        after = await year_evaluation(s, policy, province.p1)
        record = await s.get(HourRecord, province.p1_claim_small)
        certs = {c.number: c for c in await s.scalars(select(Certificate))}
        reviews = list(
            await s.scalars(select(Review).where(Review.record_id == province.p1_claim_small))
        )
    assert after.professional_verified_hours == 44 and not after.complete
    assert record is not None and record.status == RecordStatus.REVOKED.value
    assert record.decision_reason == "evidence_false"
    assert certs[ce.number].revoked_at is not None
    assert certs[pe.number].revoked_at is None  # the public exam still holds
    assert [r.decision for r in reviews] == ["approved", "spot_revoked"]

    person_keys = [n["key"] for n in await outbox(ctx, province.p1_account)]
    # why, then the certificate (told by services.certificates, in the same transaction)
    assert person_keys == ["spot-notice-revoked", REVOKED_NOTICE]
    unit_notice = await outbox(ctx, province.reviewer_a)
    assert [n["key"] for n in unit_notice] == ["spot-notice-revoked-unit"]
    assert await outbox(ctx, province.reviewer_b) == []
    args = unit_notice[0]["args"]
    assert isinstance(args, dict) and args["masked"].startswith("4501")
    # the reason code reads in each reader's language when the message is sent
    zh, _ = render_notice(unit_notice[0], "zh")
    en, _ = render_notice(unit_notice[0], "en")
    assert "王芳" in zh and "证明材料" in zh and "evidence" in en.lower()
    assert await count(ctx, AuditEntry, AuditEntry.action == "spot.revoke") == 1
    assert await count(ctx, AuditEntry, AuditEntry.action == "certificate.revoke") == 1


def test_every_common_reason_reads_in_both_languages() -> None:
    for key in ("spot-notice-revoked", "spot-notice-revoked-unit"):
        for code in (*COMMON_REVOKE_REASONS, "照片是翻拍的"):
            args = {"title": "课", "year": 2024, "hours": "3", "reason": code}
            args |= {"name": "王芳", "masked": "4501**********0012"}
            for language in ("zh", "en"):
                shown, _ = render_notice({"key": key, "args": args}, language)
                assert shown != key
                if code in COMMON_REVOKE_REASONS:
                    # translated, not the code itself after "Reason:" / "理由："
                    assert f": {code}." not in shown and f"：{code}。" not in shown
                else:
                    assert code in shown  # typed text, as typed


async def test_confirming_changes_nothing_but_the_check(
    ctx: AppContext, province: Province
) -> None:
    check = await whole_unit_a(ctx, province, auditor=province.auditor2)
    item = await item_of(ctx, check, province.p1_claim_big)
    result = await mark_item(ctx, province.auditor2, item, confirm=True)
    assert result.item.outcome == "confirmed" and result.certificates_revoked == ()
    async with ctx.db.transaction() as s:
        record = await s.get(HourRecord, province.p1_claim_big)
    assert record is not None and record.status == "approved"
    assert await outbox(ctx, province.p1_account) == []
    assert await count(ctx, Review, Review.decision == "spot_confirmed") == 1
    # marking again: one decision, the second is told who marked it
    again = await mark_item(ctx, province.auditor2, item, confirm=False, reason="duplicate")
    assert again.already and again.item.outcome == "confirmed"
    assert again.item.marked_by == "auditor2"
    assert await count(ctx, Review, Review.record_id == province.p1_claim_big) == 2


async def test_who_may_mark(ctx: AppContext, province: Province) -> None:
    check = await whole_unit_a(ctx, province, auditor=province.auditor)
    own = await item_of(ctx, check, province.auditor_claim)
    other = await item_of(ctx, check, province.p1_claim_big)
    with pytest.raises(SpotRefused) as caught:
        await mark_item(ctx, province.auditor, own, confirm=True)
    assert caught.value.reason == "own_claim"  # nobody checks their own claim
    for who, reason in (
        (province.auditor2, "not_assigned"),
        (province.plain, "not_auditor"),
        (province.reviewer_a, "not_auditor"),
    ):
        with pytest.raises(SpotRefused) as caught:
            await mark_item(ctx, who, other, confirm=True)
        assert caught.value.reason == reason
    with pytest.raises(SpotRefused) as caught:
        await mark_item(ctx, province.auditor, other, confirm=False, reason="  ")
    assert caught.value.reason == "reason_required"
    with pytest.raises(SpotRefused) as caught:
        await mark_item(ctx, province.auditor, other, confirm=False, reason="长" * 501)
    assert caught.value.reason == "reason_too_long"

    # the reviewer who approved a claim cannot check it as an auditor
    await grant_role(ctx, province.admin, province.reviewer_a, "auditor")
    await assign_draw(ctx, province.admin, check, province.reviewer_a)
    with pytest.raises(SpotRefused) as caught:
        await mark_item(ctx, province.reviewer_a, other, confirm=True)
    assert caught.value.reason == "own_decision"

    # an auditor whose role was withdrawn can no longer mark, even their assigned draw
    await assign_draw(ctx, province.admin, check, province.auditor)
    async with ctx.db.transaction() as s:
        role_id = await s.scalar(
            text("select id from roles where account_id = :a and role = 'auditor'"),
            {"a": province.auditor},
        )
    await withdraw_role(ctx, province.admin, int(role_id))
    with pytest.raises(SpotRefused) as caught:
        await mark_item(ctx, province.auditor, other, confirm=True)
    assert caught.value.reason == "not_auditor"
    # an administrator may mark any item
    done = await mark_item(ctx, province.admin, other, confirm=True)
    assert done.item.outcome == "confirmed" and done.item.marked_by == "admin"


async def test_a_claim_changed_after_the_draw_is_taken_out(
    ctx: AppContext, province: Province
) -> None:
    check = await whole_unit_a(ctx, province, auditor=province.auditor2)
    item = await item_of(ctx, check, province.p1_claim_small)
    async with ctx.db.transaction() as s:
        await s.execute(
            update(HourRecord)
            .where(HourRecord.id == province.p1_claim_small)
            .values(status="pending", version=HourRecord.version + 1)
        )
    result = await mark_item(ctx, province.auditor2, item, confirm=False, reason="duplicate")
    assert result.item.outcome == "void" and result.item.reason == "record_pending"
    async with ctx.db.transaction() as s:
        record = await s.get(HourRecord, province.p1_claim_small)
    assert record is not None and record.status == "pending"
    assert await outbox(ctx, province.p1_account) == []


async def test_items_one_by_one_then_the_draw_is_done(ctx: AppContext, province: Province) -> None:
    draw = await draw_sample(
        ctx, province.admin, year=YEAR, city="柳州市", size=3, seed=5, auditor=province.auditor2
    )
    seen: list[int] = []
    first = await next_item(ctx, province.auditor2, draw.id)
    assert first is not None and first.seq == 1 and first.size == 3
    assert first.evidence and first.evidence[0].path.is_file()
    assert first.id_masked.count("*") == 10 and first.decided_by_name == "reviewer-b"
    # skipping the first moves on; after the last, what is still open comes round again
    current: ItemView | None = await next_item(ctx, province.auditor2, draw.id, after_seq=1)
    while current is not None:
        seen.append(current.seq)
        result = await mark_item(ctx, province.auditor2, current.id, confirm=True)
        assert not result.draw_done or current.seq == 1
        current = await next_item(ctx, province.auditor2, draw.id, after_seq=current.seq)
    assert seen == [2, 3, 1]
    assert result.draw_done
    view, items = await show_draw(ctx, province.auditor2, draw.id)
    assert view.status == "done" and view.confirmed == 3 and view.open == 0
    assert [i.outcome for i in items] == ["confirmed"] * 3
    # what the auditor saw is in each person's access log
    assert await count(ctx, AccessLogEntry, AccessLogEntry.actor_role == "auditor") >= 6
    with pytest.raises(SpotRefused) as caught:
        await item_view(ctx, province.auditor, items[0].id)
    assert caught.value.reason == "not_assigned"
    with pytest.raises(SpotRefused) as caught:
        await assign_draw(ctx, province.admin, draw.id, province.auditor)
    assert caught.value.reason == "closed"


# ------------------------------------------------------------------ two at once (PostgreSQL)

ROUNDS = 5
NOW = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)


def truncate(url: str) -> None:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
async def workers(postgres_url: str, tmp_path: Path) -> AsyncIterator[tuple[AppContext, ...]]:
    truncate(postgres_url)
    contexts = tuple(
        AppContext(
            db=Database(postgres_url),
            policies=PolicyBook.load(),
            ids=IdProtector(b"spot-concurrency-secret"),
            data_dir=tmp_path / "data",
            clock=lambda: NOW,
        )
        for _ in range(2)
    )
    yield contexts
    for c in contexts:
        await c.db.dispose()


async def test_two_auditors_marking_at_once_make_one_decision(
    workers: tuple[AppContext, ...],
) -> None:
    one, two = workers
    province = await build_province(one, extra_people=2 * ROUNDS)
    draw = await draw_sample(one, province.admin, year=YEAR, size=100, seed=9)
    await assign_draw(one, province.admin, draw.id, province.auditor2)
    async with one.db.transaction() as s:
        items = list(
            await s.scalars(
                select(SpotCheckItem.id)
                .where(
                    SpotCheckItem.check_id == draw.id,
                    SpotCheckItem.person_id != province.auditor_person,
                )
                .order_by(SpotCheckItem.seq)
            )
        )
    for n, item in enumerate(items[:ROUNDS]):
        # the assigned auditor revokes while an administrator confirms; or both revoke
        results = await asyncio.gather(
            mark_item(one, province.auditor2, item, confirm=False, reason="not_attended"),
            mark_item(two, province.admin, item, confirm=n % 2 == 0, reason="hours_overstated"),
        )
        winners = [r for r in results if not r.already]
        assert len(winners) == 1, results
        loser = next(r for r in results if r.already)
        assert loser.item.outcome == winners[0].item.outcome
        async with one.db.transaction() as s:
            stored = await s.get(SpotCheckItem, item)
            assert stored is not None and stored.outcome == winners[0].item.outcome
            record = await s.get(HourRecord, stored.record_id)
            assert record is not None
            assert (record.status == "revoked") == (stored.outcome == "revoked")
            spot_reviews = await s.scalar(
                select(text("count(*)"))
                .select_from(Review)
                .where(Review.record_id == stored.record_id, Review.decision.like("spot_%"))
            )
        assert spot_reviews == 1
        marks = await count(
            one,
            AuditEntry,
            AuditEntry.entity_id == str(stored.record_id),
            AuditEntry.action.in_(["spot.confirm", "spot.revoke"]),
        )
        assert marks == 1
