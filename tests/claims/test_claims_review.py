"""Submit, list, withdraw, review (approve, reject, many), authorisation, deadlines, reopen,
digest and member confirmation; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from claims_helpers import PDF, PNG, World, at, build_world, claim, count, draft, shanghai
from sqlalchemy import select, update

from services.claims import (
    ClaimDraft,
    ClaimRefused,
    confirm_member,
    decide,
    decide_many,
    evidence_for_account,
    list_claims,
    pending_digest,
    reopen_decision,
    review_queue,
    submit_claim,
    unconfirmed_members,
    withdraw_claim,
)
from services.context import AppContext
from services.evidence import store_evidence
from services.progress import year_evaluation
from storage.models import AuditEntry, HourRecord, Person, RecordEvidence, Review


@pytest.fixture
async def world(ctx: AppContext) -> World:
    return await build_world(ctx)


async def evaluation(ctx: AppContext, person_id: int) -> tuple[Fraction, Fraction]:
    async with ctx.db.transaction() as s:
        ev = await year_evaluation(s, ctx.policies[2024], person_id)
    return ev.professional_verified_hours, ev.professional_pending_hours


async def test_submit_pending_approve_counts(ctx: AppContext, world: World) -> None:
    png = await store_evidence(ctx, PNG)
    pdf = await store_evidence(ctx, PDF)
    view = await submit_claim(ctx, world.claimant, draft(), [png.id, pdf.id, png.id], True)
    assert view.status == "pending" and view.hours == 12 and view.evidence_ids == (png.id, pdf.id)
    assert [c.id for c in await list_claims(ctx, world.claimant, 2024)] == [view.id]
    assert await evaluation(ctx, world.claimant) == (0, 12)  # pending counts for nothing

    queue = await review_queue(ctx, world.reviewer1)
    assert [q.claim.id for q in queue] == [view.id]
    assert queue[0].claim.evidence_ids == (png.id, pdf.id) and queue[0].member_confirmed
    assert queue[0].person_id_masked.count("*") == 10
    assert await evidence_for_account(ctx, world.reviewer1, png.id)
    assert await evidence_for_account(ctx, world.claimant_account, png.id)
    assert not await evidence_for_account(ctx, world.reviewer_b, png.id)
    assert not await evidence_for_account(ctx, world.plain, png.id)
    # every permitted read by someone else is in the claimant's access log, and only those
    from storage.privacy_models import AccessLogEntry

    async with ctx.db.transaction() as s:
        log = [
            (e.actor_account_id, e.what)
            for e in await s.scalars(
                select(AccessLogEntry).where(AccessLogEntry.person_id == world.claimant)
            )
        ]
    assert sorted(log) == sorted([(world.reviewer1, "claim"), (world.reviewer1, "evidence")])

    result = await decide(ctx, world.reviewer1, view.id, approve=True)
    assert result.status == "approved" and not result.already_decided
    assert result.notify_account_ids == (world.claimant_account,)
    assert await evaluation(ctx, world.claimant) == (12, 0)
    assert await review_queue(ctx, world.reviewer1) == []
    assert await count(ctx, Review, Review.record_id == view.id) == 1
    entries = await count(ctx, AuditEntry, AuditEntry.action == "claim_approved")
    assert entries == 1

    again = await decide(ctx, world.reviewer2, view.id, approve=False, reason="blurry_evidence")
    assert again.already_decided and again.status == "approved"
    assert again.decided_by_name == "审验人一" and again.notify_account_ids == ()
    assert await count(ctx, Review, Review.record_id == view.id) == 1


async def test_rejection_needs_a_reason_and_reaches_the_claimant(
    ctx: AppContext, world: World
) -> None:
    view = await claim(ctx, world.claimant)
    for empty in (None, "", "   "):
        with pytest.raises(ClaimRefused) as exc:
            await decide(ctx, world.reviewer1, view.id, approve=False, reason=empty)
        assert exc.value.reason == "reason_required"
    with pytest.raises(ClaimRefused) as exc:
        await decide(ctx, world.reviewer1, view.id, approve=False, reason="x" * 501)
    assert exc.value.reason == "reason_too_long"
    result = await decide(ctx, world.reviewer1, view.id, approve=False, reason="证明材料不清晰")
    assert result.status == "rejected" and result.reason == "证明材料不清晰"
    assert result.notify_account_ids == (world.claimant_account,)
    [mine] = await list_claims(ctx, world.claimant)
    assert mine.status == "rejected" and mine.decision_reason == "证明材料不清晰"
    assert await evaluation(ctx, world.claimant) == (0, 0)


async def test_reviewer_sets_hours_within_the_cap(ctx: AppContext, world: World) -> None:
    view = await claim(ctx, world.claimant, category="conference", hours=Fraction(20))
    assert view.reviewer_sets_hours
    with pytest.raises(ClaimRefused) as exc:
        await decide(ctx, world.reviewer1, view.id, approve=True, hours=Fraction(91))
    assert exc.value.reason == "above_max"
    with pytest.raises(ClaimRefused) as exc:
        await decide(ctx, world.reviewer1, view.id, approve=True, hours="1.3")
    assert exc.value.reason == "hours"
    result = await decide(ctx, world.reviewer1, view.id, approve=True, hours="8")
    assert result.hours == 8
    assert await evaluation(ctx, world.claimant) == (8, 0)


async def test_submit_refusals(ctx: AppContext, world: World) -> None:
    pdf = await store_evidence(ctx, PDF)
    cases: list[tuple[ClaimDraft, list[int], bool, str]] = [
        (draft(), [pdf.id], False, "pledge"),
        (draft(), [], True, "evidence_count"),
        (draft(), [pdf.id, 9999], True, "evidence_missing"),
        (draft(hours=Fraction(91)), [pdf.id], True, "invalid"),
    ]
    for d, evidence, pledged, reason in cases:
        with pytest.raises(ClaimRefused) as exc:
            await submit_claim(ctx, world.claimant, d, evidence, pledged)
        assert exc.value.reason == reason
    with pytest.raises(ClaimRefused) as exc:
        await submit_claim(ctx, world.claimant, draft(), [1, 2, 3, 4, 5, 6], True)
    assert exc.value.reason == "evidence_count"
    async with ctx.db.transaction() as s:
        await s.execute(update(Person).where(Person.id == world.claimant).values(unit_id=None))
    with pytest.raises(ClaimRefused) as exc:
        await submit_claim(ctx, world.claimant, draft(), [pdf.id], True)
    assert exc.value.reason == "no_unit"
    assert await count(ctx, HourRecord) == 0 and await count(ctx, RecordEvidence) == 0


async def test_withdraw_only_own_and_only_pending(ctx: AppContext, world: World) -> None:
    view = await claim(ctx, world.claimant)
    other = await claim(ctx, world.claimant, title="另一项培训")
    with pytest.raises(ClaimRefused) as exc:
        await withdraw_claim(ctx, world.reviewer_person, view.id)  # someone else's
    assert exc.value.reason == "not_found"
    withdrawn = await withdraw_claim(ctx, world.claimant, view.id)
    assert withdrawn.status == "withdrawn" and withdrawn.evidence_ids  # evidence kept
    with pytest.raises(ClaimRefused) as exc:
        await withdraw_claim(ctx, world.claimant, view.id)
    assert exc.value.reason == "not_pending"
    await decide(ctx, world.reviewer1, other.id, approve=True)
    with pytest.raises(ClaimRefused) as exc:
        await withdraw_claim(ctx, world.claimant, other.id)
    assert exc.value.reason == "not_pending"
    # a withdrawn claim is no longer decidable: the reviewer is told its state
    late = await decide(ctx, world.reviewer1, view.id, approve=True)
    assert late.already_decided and late.status == "withdrawn"
    path = ctx.data_dir / "evidence"
    assert any(p.is_file() for p in path.rglob("*"))


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("reviewer_b", "other_unit"),
        ("reviewer_person_account", "own_claim"),
        ("revoked", "not_reviewer"),
        ("plain", "not_reviewer"),
        ("claimant_account", "not_reviewer"),
        ("admin", "not_reviewer"),
    ],
)
async def test_authorisation(ctx: AppContext, world: World, who: str, reason: str) -> None:
    own = who == "reviewer_person_account"
    view = await claim(ctx, world.reviewer_person if own else world.claimant)
    account = getattr(world, who)
    for approve, why in ((True, None), (False, "blurry_evidence")):
        with pytest.raises(ClaimRefused) as exc:
            await decide(ctx, account, view.id, approve=approve, reason=why)
        assert exc.value.reason == reason
    many = await decide_many(ctx, account, [view.id])
    assert not many.decided and many.refused[view.id].reason == reason
    assert await count(ctx, Review) == 0
    assert [c.status for c in await list_claims(ctx, view.person_id)] == ["pending"]
    if reason == "not_reviewer":
        with pytest.raises(ClaimRefused):
            await review_queue(ctx, account)
    elif own:  # the reviewer's own claim never shows in their queue
        assert await review_queue(ctx, account) == []
    else:
        assert await review_queue(ctx, account) == []  # another unit's claims are not shown


async def test_a_claim_of_a_revoked_role_is_refused_after_revocation(
    ctx: AppContext, world: World
) -> None:
    from storage.models import Role

    view = await claim(ctx, world.claimant)
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Role).where(Role.account_id == world.reviewer1).values(revoked_at=ctx.now())
        )
    with pytest.raises(ClaimRefused) as exc:
        await decide(ctx, world.reviewer1, view.id, approve=True)  # a stale button
    assert exc.value.reason == "not_reviewer"
    with pytest.raises(ClaimRefused) as exc:
        await decide(ctx, world.reviewer1, 987654, approve=True)  # a forged id
    assert exc.value.reason == "not_found"


async def test_verification_deadline_for_both_sides(ctx: AppContext, world: World) -> None:
    view = await claim(ctx, world.claimant)
    on_the_day = at(ctx, shanghai(2025, 3, 31, 23, 59))
    assert not (await list_claims(on_the_day, world.claimant))[0].verification_closed
    late = at(ctx, shanghai(2025, 4, 1, 0, 0))
    with pytest.raises(ClaimRefused) as exc:
        await decide(late, world.reviewer1, view.id, approve=True)
    assert exc.value.reason == "verification_closed"
    assert exc.value.args_ == {"year": 2024, "deadline": "2025-03-31"}
    [mine] = await list_claims(late, world.claimant)
    assert mine.status == "pending" and mine.verification_closed
    with pytest.raises(ClaimRefused) as exc:  # and nothing new for 2024 either
        await claim(late, world.claimant)
    assert exc.value.reason == "invalid"
    result = await decide(on_the_day, world.reviewer1, view.id, approve=True)
    assert result.status == "approved"


async def test_decide_many_checks_each(ctx: AppContext, world: World) -> None:
    a = await claim(ctx, world.claimant, title="A")
    b = await claim(ctx, world.claimant, title="B")
    own = await claim(ctx, world.reviewer_person, title="C")
    await decide(ctx, world.reviewer2, b.id, approve=False, reason="above_cap")
    many = await decide_many(ctx, world.reviewer_person_account, [a.id, b.id, own.id, a.id])
    assert [(r.record_id, r.already_decided) for r in many.decided] == [
        (a.id, False),
        (b.id, True),
    ]
    assert many.refused[own.id].reason == "own_claim"
    assert await evaluation(ctx, world.claimant) == (12, 0)


async def test_admin_reopens_a_decision(ctx: AppContext, world: World) -> None:
    view = await claim(ctx, world.claimant)
    with pytest.raises(ClaimRefused) as exc:
        await reopen_decision(ctx, world.admin, view.id, "复核")
    assert exc.value.reason == "not_decided"
    await decide(ctx, world.reviewer1, view.id, approve=False, reason="blurry_evidence")
    with pytest.raises(ClaimRefused) as exc:
        await reopen_decision(ctx, world.reviewer1, view.id, "复核")
    assert exc.value.reason == "not_admin"
    reopened = await reopen_decision(ctx, world.admin, view.id, "申诉后复核")
    assert reopened.status == "pending" and reopened.decision_reason is None
    result = await decide(ctx, world.reviewer2, view.id, approve=True)
    assert result.status == "approved" and not result.already_decided
    decisions = await _decisions(ctx, view.id)
    assert decisions == ["rejected", "reopened", "approved"]


async def _decisions(ctx: AppContext, record_id: int) -> list[str]:
    async with ctx.db.transaction() as s:
        return list(
            await s.scalars(
                select(Review.decision).where(Review.record_id == record_id).order_by(Review.id)
            )
        )


async def test_unconfirmed_member(ctx: AppContext, world: World) -> None:
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Person).where(Person.id == world.claimant).values(unit_confirmed=False)
        )
    view = await claim(ctx, world.claimant)
    [item] = await review_queue(ctx, world.reviewer1)
    assert not item.member_confirmed
    with pytest.raises(ClaimRefused) as exc:
        await decide(ctx, world.reviewer1, view.id, approve=True)
    assert exc.value.reason == "member_unconfirmed"
    assert [m.person_id for m in await unconfirmed_members(ctx, world.reviewer1)] == [
        world.claimant
    ]
    digest = await pending_digest(ctx, world.unit_a)
    assert (digest.pending, digest.unconfirmed_members) == (1, 1)
    for who, reason in (("reviewer_b", "other_unit"), ("plain", "not_reviewer")):
        with pytest.raises(ClaimRefused) as exc:
            await confirm_member(ctx, getattr(world, who), world.claimant)
        assert exc.value.reason == reason
    done = await confirm_member(ctx, world.reviewer1, world.claimant)
    assert not done.already_confirmed and done.notify_account_ids == (world.claimant_account,)
    twice = await confirm_member(ctx, world.reviewer2, world.claimant)
    assert twice.already_confirmed and twice.notify_account_ids == ()
    assert await count(ctx, AuditEntry, AuditEntry.action == "member_confirm") == 1
    assert (await decide(ctx, world.reviewer1, view.id, approve=True)).status == "approved"


async def test_nobody_confirms_themselves(ctx: AppContext, world: World) -> None:
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Person).where(Person.id == world.reviewer_person).values(unit_confirmed=False)
        )
    with pytest.raises(ClaimRefused) as exc:
        await confirm_member(ctx, world.reviewer_person_account, world.reviewer_person)
    assert exc.value.reason == "own_claim"


async def test_pending_digest(ctx: AppContext, world: World) -> None:
    await claim(ctx, world.claimant, title="A")
    await claim(
        ctx,
        world.claimant,
        title="B",
        completed_on=date(2024, 10, 17),
        started_on=date(2024, 10, 17),
    )
    digest = await pending_digest(ctx, world.unit_a)
    assert digest.pending == 2 and digest.closing_years == (2024,)
    assert set(digest.reviewer_account_ids) == {
        world.reviewer1,
        world.reviewer2,
        world.reviewer_person_account,
    }
    assert (await pending_digest(ctx, world.unit_b)).pending == 0
    queue = await review_queue(ctx, world.reviewer1, limit=1)
    rest = await review_queue(ctx, world.reviewer1, after_id=queue[0].claim.id)
    assert [q.claim.title for q in queue + rest] == ["A", "B"]  # oldest first


async def test_audit_never_holds_an_id_number(ctx: AppContext, world: World) -> None:
    view = await claim(ctx, world.claimant)
    pasted = "身份证号450103198803120212与材料不符"
    await decide(ctx, world.reviewer1, view.id, approve=False, reason=pasted)
    async with ctx.db.transaction() as s:
        data = list(await s.scalars(select(AuditEntry.data)))
    text = repr(data)
    assert "450103198803120212" not in text and "4501**********0212" in text


async def test_a_person_who_moved_is_decided_by_the_unit_claimed_in(
    ctx: AppContext, world: World
) -> None:
    view = await claim(ctx, world.claimant)
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Person)
            .where(Person.id == world.claimant)
            .values(unit_id=world.unit_b, unit_confirmed=False)
        )
    with pytest.raises(ClaimRefused) as exc:
        await decide(ctx, world.reviewer_b, view.id, approve=True)
    assert exc.value.reason == "other_unit"
    assert (await decide(ctx, world.reviewer1, view.id, approve=True)).status == "approved"


async def test_queue_open_years_first_and_pages_across_years(
    ctx: AppContext, world: World, tmp_path: Path
) -> None:
    """In March 2025 both 2024 and 2025 are open (2024 first, its deadline is nearer); in May
    2024 is closed and comes last. Pages of one walk the same order without a gap."""
    from dataclasses import replace

    from services.claims import pending_among
    from services.policies import PolicyBook, shipped_policy_dir

    folder = tmp_path / "policies"
    folder.mkdir()
    text_2024 = (shipped_policy_dir() / "2024.toml").read_text(encoding="utf-8")
    (folder / "2025.toml").write_text(
        text_2024.replace("2025", "2026").replace("2024", "2025"), encoding="utf-8"
    )
    old = [
        await claim(
            ctx,
            world.claimant,
            title=f"旧{n}",
            completed_on=date(2024, 9, n + 1),
            started_on=date(2024, 9, n + 1),
        )
        for n in range(2)
    ]
    march = replace(ctx, policies=PolicyBook.load(folder), clock=lambda: shanghai(2025, 3, 10))
    new = [
        await claim(
            march,
            world.claimant,
            year=2025,
            title=f"新{n}",
            completed_on=date(2025, 3, n + 1),
            started_on=date(2025, 3, n + 1),
        )
        for n in range(2)
    ]
    may = replace(march, clock=lambda: shanghai(2025, 5, 6))

    async def walk(when: AppContext) -> list[int]:
        seen: list[int] = []
        after = None
        while page := await review_queue(when, world.reviewer1, limit=1, after_id=after):
            seen.append(page[0].claim.id)
            after = page[0].claim.id
        return seen

    assert await walk(march) == [old[0].id, old[1].id, new[0].id, new[1].id]
    assert await walk(may) == [new[0].id, new[1].id, old[0].id, old[1].id]
    assert [q.claim.verification_closed for q in await review_queue(may, world.reviewer1)] == [
        False,
        False,
        True,
        True,
    ]
    await decide(may, world.reviewer1, new[0].id, True)
    assert await pending_among(may, [new[1].id, new[0].id, old[0].id]) == [new[1].id, old[0].id]
