"""Spot checks (抽查): departments draw verified claims at random and an auditor re-examines them.

The draw is reproducible. The population is every approved professional claim of the year that
matches the filter (a city, a unit: the unit the claim was registered in), ordered by record id;
`random.Random(seed).sample(population, size)` picks the items, in the order they are checked.
The seed, the population's size and a SHA-256 of its ids are stored with the draw, so the same
seed over the same population gives the same sample, and anyone can repeat it (`choose`).

An administrator draws and assigns the draw to an auditor (a live "auditor" role). The auditor
(or an administrator, or the operator on the server) marks each item:
- confirmed: nothing changes but the record of the check;
- revoked, with a reason: the hour record becomes `revoked` and stops counting, certificates
  of that person and year that no longer hold are revoked (services.certificates), and the
  person and the unit's reviewers are told through the outbox, all in one transaction;
- void: the claim had changed since the draw (reopened, say), so there is nothing to judge.

Marking is a conditional UPDATE of the item (WHERE outcome = 'open') after locking the draw's
row: of two auditors marking the same item at once, one decides; the other is told who did.
Nobody checks their own claim or a claim they approved themselves. Refusals are SpotRefused,
reason = message key spot-refused-<reason> (admin.ftl).
"""

from __future__ import annotations

import hashlib
import math
import random
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

import storage.spot_models  # noqa: F401 - puts the spot tables on Base.metadata
from core.hours import format_hours
from core.rules import RecordStatus, Subject
from services.audit import audit
from services.certificates import CertificateView, recheck_certificates
from services.claims import ORIGIN_CLAIM
from services.context import AppContext
from services.evidence import evidence_path
from services.i18n import Translator
from services.notify import accounts_of_person, queue_notice, reviewer_accounts
from services.people_admin import (
    AdminRefused,
    RaceLost,
    account_actor,
    has_role,
    in_transaction,
    resolve_unit,
    scrub,
)
from services.privacy import record_access
from storage.models import Account, EvidenceFile, HourRecord, Person, RecordEvidence, Review, Unit
from storage.spot_models import SpotCheck, SpotCheckItem

T = TypeVar("T")
MAX_SEED = 2**63  # a seed is an integer in [0, MAX_SEED)
NEW_SEED_BELOW = 10**9  # a drawn seed short enough to read out and type again
MAX_SIZE = 1000  # items in one draw: an auditor's work, not a census
MAX_REASON = 500
OPEN, CONFIRMED, REVOKED, VOID = "open", "confirmed", "revoked", "void"
_ACTIONS = {CONFIRMED: "spot.confirm", REVOKED: "spot.revoke", VOID: "spot.void"}
# Seen in spot checks of continuing-education hours; an auditor may always type a reason.
COMMON_REVOKE_REASONS: tuple[str, ...] = (
    "evidence_false",
    "not_attended",
    "hours_overstated",
    "not_professional",
    "outside_year",
    "duplicate",
)


class SpotRefused(Exception):
    """reason: not_admin, not_auditor, not_assigned, auditor_account, no_policy, size_or_share,
    size, share, seed, unknown_unit, empty, not_found, closed, reason_required,
    reason_too_long, own_claim, own_decision, busy."""

    def __init__(self, reason: str, **args: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.args_ = args


def _spot(exc: AdminRefused) -> SpotRefused:
    return SpotRefused(exc.reason, **exc.args_)


# ------------------------------------------------------------------ the draw itself (pure)


def choose(population: Sequence[int], size: int, seed: int) -> list[int]:
    """The sample: `size` ids of the sorted population, in the order drawn. Deterministic for
    a seed and a population."""
    ordered = sorted(population)
    return random.Random(seed).sample(ordered, min(size, len(ordered)))


def population_digest(population: Sequence[int]) -> str:
    return hashlib.sha256(",".join(str(i) for i in sorted(population)).encode()).hexdigest()


def parse_share(text: str) -> Fraction:
    """ "10%", "10 %", "0.1" or "1/10" as a Fraction in (0, 1]."""
    raw = text.strip().replace("％", "%").replace(" ", "")
    try:
        value = Fraction(raw[:-1]) / 100 if raw.endswith("%") else Fraction(raw)
    except (ValueError, ZeroDivisionError):
        raise SpotRefused("share") from None
    if not 0 < value <= 1:
        raise SpotRefused("share")
    return value


def sample_size(population: int, *, size: int | None, share: Fraction | None) -> int:
    if (size is None) == (share is None):
        raise SpotRefused("size_or_share")
    if size is not None:
        if size < 1 or size > MAX_SIZE:
            raise SpotRefused("size", max=MAX_SIZE)
        return min(size, population)
    assert share is not None
    return min(population, MAX_SIZE, max(1, math.ceil(population * share)))


# ------------------------------------------------------------------ views


@dataclass(frozen=True, slots=True)
class DrawView:
    id: int
    year: int
    city: str | None
    unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    seed: int
    population: int
    population_sha256: str
    size: int
    requested_size: int | None
    share: str | None
    status: str  # open | done
    auditor_account_id: int | None
    auditor_name: str | None
    created_by: str
    created_at: datetime
    open: int
    confirmed: int
    revoked: int
    void: int


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    file_id: int
    path: Path
    mime: str


@dataclass(frozen=True, slots=True)
class ItemView:
    id: int
    check_id: int
    seq: int
    size: int  # of the draw
    outcome: str
    reason: str | None
    marked_by: str | None
    marked_at: datetime | None
    record_id: int
    record_status: str
    year: int
    category: str | None
    title: str
    organiser: str | None
    started_on: date | None
    completed_on: date
    hours: Fraction
    decided_at: datetime | None
    decided_by_name: str | None
    person_id: int
    person_name: str
    id_masked: str
    unit_name: str | None
    unit_code: str | None
    evidence: tuple[EvidenceItem, ...]


@dataclass(frozen=True, slots=True)
class MarkResult:
    item: ItemView
    already: bool  # someone had marked it before: nothing changed
    certificates_revoked: tuple[str, ...]
    person_told: int  # accounts of the person told
    reviewers_told: int
    draw_done: bool  # no open item left in the draw


async def _name_of(session: AsyncSession, account_id: int | None) -> str | None:
    if account_id is None:
        return None
    account = await session.get(Account, account_id)
    if account is None:
        return None
    if account.display_name:
        return account.display_name
    person = await session.get(Person, account.person_id) if account.person_id else None
    return person.name if person else f"#{account.id}"


async def _marker_name(session: AsyncSession, marked_by: str | None) -> str | None:
    if marked_by is None or not marked_by.startswith("account:"):
        return marked_by
    return await _name_of(session, int(marked_by.split(":", 1)[1]))


async def _draw_view(session: AsyncSession, check: SpotCheck) -> DrawView:
    counts = dict(
        (
            await session.execute(
                select(SpotCheckItem.outcome, func.count())
                .where(SpotCheckItem.check_id == check.id)
                .group_by(SpotCheckItem.outcome)
            )
        )
        .tuples()
        .all()
    )
    unit = await session.get(Unit, check.unit_id) if check.unit_id else None
    return DrawView(
        id=check.id,
        year=check.year,
        city=check.city,
        unit_id=check.unit_id,
        unit_code=unit.code if unit else None,
        unit_name=unit.name if unit else None,
        seed=check.seed,
        population=check.population,
        population_sha256=check.population_sha256,
        size=check.size,
        requested_size=check.requested_size,
        share=check.share,
        status=check.status,
        auditor_account_id=check.auditor_account_id,
        auditor_name=await _name_of(session, check.auditor_account_id),
        created_by=check.created_by,
        created_at=check.created_at,
        open=counts.get(OPEN, 0),
        confirmed=counts.get(CONFIRMED, 0),
        revoked=counts.get(REVOKED, 0),
        void=counts.get(VOID, 0),
    )


async def _item_view(
    ctx: AppContext, session: AsyncSession, item: SpotCheckItem, check: SpotCheck
) -> ItemView:
    record = await session.get(HourRecord, item.record_id, populate_existing=True)
    person = await session.get(Person, item.person_id)
    assert record is not None and person is not None  # foreign keys
    unit = await session.get(Unit, item.unit_id) if item.unit_id else None
    files = (
        await session.scalars(
            select(EvidenceFile)
            .join(RecordEvidence, RecordEvidence.file_id == EvidenceFile.id)
            .where(RecordEvidence.record_id == record.id)
            .order_by(RecordEvidence.id)
        )
    ).all()
    # the approval's reviewer, not a later spot check's auditor
    approved_by = await session.scalar(
        select(Review.account_id)
        .where(Review.record_id == record.id, Review.decision == RecordStatus.APPROVED.value)
        .order_by(Review.id.desc())
        .limit(1)
    )
    return ItemView(
        id=item.id,
        check_id=item.check_id,
        seq=item.seq,
        size=check.size,
        outcome=item.outcome,
        reason=item.reason,
        marked_by=await _marker_name(session, item.marked_by),
        marked_at=item.marked_at,
        record_id=record.id,
        record_status=record.status,
        year=record.year,
        category=record.category,
        title=record.title,
        organiser=record.organiser,
        started_on=record.started_on,
        completed_on=record.completed_on,
        hours=item.hours,
        decided_at=record.decided_at,
        decided_by_name=await _name_of(session, approved_by or record.decided_by),
        person_id=person.id,
        person_name=person.name,
        id_masked=person.id_masked,
        unit_name=unit.name if unit else None,
        unit_code=unit.code if unit else None,
        evidence=tuple(
            EvidenceItem(f.id, evidence_path(ctx.data_dir, f.sha256), f.mime) for f in files
        ),
    )


# ------------------------------------------------------------------ authority


async def _admin(session: AsyncSession, by: int | None) -> str:
    if by is not None and not await has_role(session, by, "admin"):
        raise SpotRefused("not_admin")
    return account_actor(by)


async def _checker(session: AsyncSession, by: int | None, check: SpotCheck) -> str:
    """Who may see and mark a draw's items: the operator, an administrator, or the auditor it
    is assigned to while they hold the auditor role. Returns the access-log role."""
    if by is None:
        return "cli"
    if await has_role(session, by, "admin"):
        return "admin"
    if not await has_role(session, by, "auditor"):
        raise SpotRefused("not_auditor")
    if check.auditor_account_id != by:
        raise SpotRefused("not_assigned", check=check.id)
    return "auditor"


async def is_staff(ctx: AppContext, account_id: int) -> tuple[bool, bool]:
    """(administrator, auditor) now: for the bot's screens; every call checks again."""
    async with ctx.db.transaction() as session:
        return (
            await has_role(session, account_id, "admin"),
            await has_role(session, account_id, "auditor"),
        )


# ------------------------------------------------------------------ drawing


def _population_query(year: int, city: str | None, unit_id: int | None) -> Any:
    query = select(HourRecord.id).where(
        HourRecord.year == year,
        HourRecord.origin == ORIGIN_CLAIM,
        HourRecord.subject == Subject.PROFESSIONAL.value,
        HourRecord.status == RecordStatus.APPROVED.value,
    )
    if unit_id is not None:
        query = query.where(HourRecord.unit_id == unit_id)
    if city is not None:
        query = query.join(Unit, Unit.id == HourRecord.unit_id).where(Unit.city == city)
    return query.order_by(HourRecord.id)


async def population(
    ctx: AppContext,
    by: int | None,
    *,
    year: int,
    city: str | None = None,
    unit: str | int | None = None,
) -> int:
    """How many claims a draw with this filter would draw from (the bot shows it first)."""
    async with ctx.db.transaction() as session:
        await _admin(session, by)
        unit_id = await _unit_id(session, unit)
        ids = (await session.scalars(_population_query(year, city, unit_id))).all()
        return len(ids)


async def _unit_id(session: AsyncSession, unit: str | int | None) -> int | None:
    if unit is None:
        return None
    try:
        return (await resolve_unit(session, unit)).id
    except AdminRefused as exc:
        raise _spot(exc) from None


async def cities(ctx: AppContext) -> list[str]:
    async with ctx.db.transaction() as session:
        return sorted(set(await session.scalars(select(Unit.city).distinct())))


async def draw_sample(
    ctx: AppContext,
    by: int | None,
    *,
    year: int,
    city: str | None = None,
    unit: str | int | None = None,
    size: int | None = None,
    share: Fraction | str | None = None,
    seed: int | None = None,
    auditor: int | None = None,
) -> DrawView:
    """Draw a sample and store it with its seed; assign it to `auditor` at once if given."""
    if year not in ctx.policies:
        raise SpotRefused("no_policy", year=year)
    share_value = parse_share(share) if isinstance(share, str) else share
    if seed is None:
        seed = secrets.randbelow(NEW_SEED_BELOW)
    if not 0 <= seed < MAX_SEED:
        raise SpotRefused("seed")
    city_text = " ".join((city or "").split()) or None

    async def job(sctx: AppContext, session: AsyncSession) -> DrawView:
        actor = await _admin(session, by)
        unit_id = await _unit_id(session, unit)
        ids = list((await session.scalars(_population_query(year, city_text, unit_id))).all())
        if not ids:
            raise SpotRefused("empty", year=year)
        k = sample_size(len(ids), size=size, share=share_value)
        chosen = choose(ids, k, seed)
        now = ctx.now()
        check = SpotCheck(
            year=year,
            city=city_text,
            unit_id=unit_id,
            requested_size=size,
            share=None if share_value is None else str(share_value),
            seed=seed,
            population=len(ids),
            population_sha256=population_digest(ids),
            size=len(chosen),
            status=OPEN,
            created_by=actor,
            created_at=now,
        )
        session.add(check)
        await session.flush()
        records = {
            r.id: r
            for r in await session.scalars(select(HourRecord).where(HourRecord.id.in_(chosen)))
        }
        session.add_all(
            SpotCheckItem(
                check_id=check.id,
                seq=n,
                record_id=rid,
                person_id=records[rid].person_id,
                unit_id=records[rid].unit_id,
                hours=records[rid].hours,
                outcome=OPEN,
            )
            for n, rid in enumerate(chosen, start=1)
        )
        audit(
            session,
            at=now,
            actor=actor,
            action="spot.draw",
            entity="spot_check",
            entity_id=check.id,
            data={
                "year": year,
                "city": city_text,
                "unit_id": unit_id,
                "size": len(chosen),
                "requested_size": size,
                "share": check.share,
                "seed": seed,
                "population": len(ids),
                "population_sha256": check.population_sha256,
            },
        )
        await session.flush()
        if auditor is not None:
            await _assign(ctx, session, check, auditor, actor)
        return await _draw_view(session, check)

    return await _run(ctx, job)


async def _run(ctx: AppContext, job: Callable[[AppContext, AsyncSession], Awaitable[T]]) -> T:
    try:
        return await in_transaction(ctx, job, lambda: SpotRefused("busy"))
    except AdminRefused as exc:
        raise _spot(exc) from None


async def _assign(
    ctx: AppContext, session: AsyncSession, check: SpotCheck, auditor: int, actor: str
) -> None:
    if not await has_role(session, auditor, "auditor"):
        raise SpotRefused("auditor_account", account=auditor)
    now = ctx.now()
    check.auditor_account_id = auditor
    check.assigned_at = now
    check.assigned_by = actor
    audit(
        session,
        at=now,
        actor=actor,
        action="spot.assign",
        entity="spot_check",
        entity_id=check.id,
        data={"auditor_account_id": auditor},
    )
    queue_notice(
        session,
        account_id=auditor,
        key="spot-notice-assigned",
        now=now,
        args={"check": check.id, "size": check.size, "year": check.year},
        buttons=[("spot-button-open", f"sp:{check.id}")],
    )
    await session.flush()


async def assign_draw(ctx: AppContext, by: int | None, check_id: int, auditor: int) -> DrawView:
    async def job(sctx: AppContext, session: AsyncSession) -> DrawView:
        actor = await _admin(session, by)
        check = await session.get(SpotCheck, check_id, populate_existing=True)
        if check is None:
            raise SpotRefused("not_found")
        if check.status != OPEN:
            raise SpotRefused("closed", check=check.id)
        await _assign(ctx, session, check, auditor, actor)
        return await _draw_view(session, check)

    return await _run(ctx, job)


# ------------------------------------------------------------------ reading


async def list_draws(
    ctx: AppContext, by: int | None, *, open_only: bool = False, limit: int = 20
) -> list[DrawView]:
    """Administrators and the operator see every draw; an auditor the draws assigned to them."""
    async with ctx.db.transaction() as session:
        query = select(SpotCheck)
        if by is not None and not await has_role(session, by, "admin"):
            if not await has_role(session, by, "auditor"):
                raise SpotRefused("not_auditor")
            query = query.where(SpotCheck.auditor_account_id == by)
        if open_only:
            query = query.where(SpotCheck.status == OPEN)
        checks = (await session.scalars(query.order_by(SpotCheck.id.desc()).limit(limit))).all()
        return [await _draw_view(session, c) for c in checks]


async def show_draw(
    ctx: AppContext, by: int | None, check_id: int
) -> tuple[DrawView, list[ItemView]]:
    async with ctx.db.transaction() as session:
        check = await session.get(SpotCheck, check_id, populate_existing=True)
        if check is None:
            raise SpotRefused("not_found")
        await _checker(session, by, check)
        items = (
            await session.scalars(
                select(SpotCheckItem)
                .where(SpotCheckItem.check_id == check.id)
                .order_by(SpotCheckItem.seq)
            )
        ).all()
        return await _draw_view(session, check), [
            await _item_view(ctx, session, i, check) for i in items
        ]


async def next_item(
    ctx: AppContext, by: int | None, check_id: int, *, after_seq: int = 0
) -> ItemView | None:
    """The next open item after `after_seq` (then from the start again), or None when every
    item is marked. Showing it is logged in the person's access log."""
    async with ctx.db.transaction() as session:
        check = await session.get(SpotCheck, check_id, populate_existing=True)
        if check is None:
            raise SpotRefused("not_found")
        role = await _checker(session, by, check)
        base = select(SpotCheckItem).where(
            SpotCheckItem.check_id == check.id, SpotCheckItem.outcome == OPEN
        )
        item = await session.scalar(
            base.where(SpotCheckItem.seq > after_seq).order_by(SpotCheckItem.seq).limit(1)
        ) or await session.scalar(base.order_by(SpotCheckItem.seq).limit(1))
        if item is None:
            return None
        view = await _item_view(ctx, session, item, check)
        _log_view(session, ctx, by, role, view)
        return view


async def item_view(ctx: AppContext, by: int | None, item_id: int) -> ItemView:
    async with ctx.db.transaction() as session:
        item = await session.get(SpotCheckItem, item_id, populate_existing=True)
        check = await session.get(SpotCheck, item.check_id) if item else None
        if item is None or check is None:
            raise SpotRefused("not_found")
        role = await _checker(session, by, check)
        view = await _item_view(ctx, session, item, check)
        _log_view(session, ctx, by, role, view)
        return view


def _log_view(
    session: AsyncSession, ctx: AppContext, by: int | None, role: str, view: ItemView
) -> None:
    record_access(
        session,
        at=ctx.now(),
        person_id=view.person_id,
        actor_account_id=by,
        actor_role=role,
        what="claim",
        entity_id=view.record_id,
    )
    if view.evidence:
        record_access(
            session,
            at=ctx.now(),
            person_id=view.person_id,
            actor_account_id=by,
            actor_role=role,
            what="evidence",
            entity_id=view.record_id,
        )


# ------------------------------------------------------------------ marking


def _reason(confirm: bool, reason: str | None) -> str | None:
    text = " ".join((reason or "").split())
    if not confirm and not text:
        raise SpotRefused("reason_required")
    if len(text) > MAX_REASON:
        raise SpotRefused("reason_too_long", max=MAX_REASON)
    return scrub(text) or None


async def mark_item(
    ctx: AppContext, by: int | None, item_id: int, *, confirm: bool, reason: str | None = None
) -> MarkResult:
    """Confirm or revoke one drawn claim (a revocation needs a reason: a code of
    COMMON_REVOKE_REASONS or free text). One decision per item, whoever taps."""
    text = _reason(confirm, reason)

    async def job(sctx: AppContext, session: AsyncSession) -> MarkResult:
        item = await session.get(SpotCheckItem, item_id)
        if item is None:
            raise SpotRefused("not_found")
        # the draw's row lock orders every mark of one draw: the last one closes it
        check = await session.scalar(
            select(SpotCheck)
            .where(SpotCheck.id == item.check_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert check is not None
        await _checker(session, by, check)
        await session.refresh(item)
        if item.outcome != OPEN:
            view = await _item_view(ctx, session, item, check)
            return MarkResult(view, True, (), 0, 0, check.status != OPEN)
        record = await session.get(HourRecord, item.record_id, populate_existing=True)
        assert record is not None
        marker = await session.get(Account, by) if by is not None else None
        if marker is not None and marker.person_id == record.person_id:
            raise SpotRefused("own_claim")
        if by is not None and record.decided_by == by:
            raise SpotRefused("own_decision")
        now = ctx.now()
        actor = account_actor(by)
        stored_reason: str | None
        if record.status != RecordStatus.APPROVED.value:
            outcome, stored_reason = VOID, f"record_{record.status}"
        else:
            outcome, stored_reason = (CONFIRMED if confirm else REVOKED), text
        result = await session.execute(
            update(SpotCheckItem)
            .where(SpotCheckItem.id == item.id, SpotCheckItem.outcome == OPEN)
            .values(outcome=outcome, reason=stored_reason, marked_by=actor, marked_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise RaceLost
        revoked: list[CertificateView] = []
        person_told = reviewers_told = 0
        if outcome == REVOKED:
            changed = await session.execute(
                update(HourRecord)
                .where(
                    HourRecord.id == record.id,
                    HourRecord.status == RecordStatus.APPROVED.value,
                    HourRecord.version == record.version,
                )
                .values(
                    status=RecordStatus.REVOKED.value,
                    decided_at=now,
                    decided_by=by,
                    decision_reason=text,
                    version=record.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(changed, "rowcount", 0) != 1:
                raise RaceLost
        if outcome != VOID:
            session.add(
                Review(
                    record_id=record.id,
                    account_id=by,
                    decision=f"spot_{outcome}",
                    reason=stored_reason,
                    created_at=now,
                )
            )
        audit(
            session,
            at=now,
            actor=actor,
            action=_ACTIONS[outcome],
            entity="hour_records",
            entity_id=record.id,
            data={
                "person_id": record.person_id,
                "unit_id": record.unit_id,
                "check_id": check.id,
                "item_id": item.id,
                "hours": format_hours(item.hours),
                "reason": stored_reason,
            },
        )
        if outcome == REVOKED:
            # why first; then services.certificates tells the person of each certificate
            # that no longer holds, in this same transaction
            person_told, reviewers_told = await _tell(session, record, item, text or "", now)
            if record.year in sctx.policies:
                revoked = await recheck_certificates(
                    sctx, record.person_id, record.year, actor=actor
                )
        await session.flush()
        left = await session.scalar(
            select(func.count())
            .select_from(SpotCheckItem)
            .where(SpotCheckItem.check_id == check.id, SpotCheckItem.outcome == OPEN)
        )
        if not left and check.status == OPEN:
            check.status = "done"
            check.closed_at = now
            audit(
                session,
                at=now,
                actor=actor,
                action="spot.done",
                entity="spot_check",
                entity_id=check.id,
            )
        await session.refresh(item)
        view = await _item_view(ctx, session, item, check)
        return MarkResult(
            view, False, tuple(c.number for c in revoked), person_told, reviewers_told, not left
        )

    return await _run(ctx, job)


async def _tell(
    session: AsyncSession, record: HourRecord, item: SpotCheckItem, reason: str, now: datetime
) -> tuple[int, int]:
    """The person (each bound account) and the reviewers of the unit the claim was verified
    in; the reason is a code (rendered in each reader's language) or the auditor's text."""
    person = await session.get(Person, record.person_id)
    assert person is not None
    hours = format_hours(item.hours)
    people = await accounts_of_person(session, record.person_id)
    for account_id in people:
        queue_notice(
            session,
            account_id=account_id,
            key="spot-notice-revoked",
            now=now,
            args={"title": record.title, "year": record.year, "hours": hours, "reason": reason},
        )
    reviewers = (
        sorted(set(await reviewer_accounts(session, record.unit_id))) if record.unit_id else []
    )
    for account_id in reviewers:
        queue_notice(
            session,
            account_id=account_id,
            key="spot-notice-revoked-unit",
            now=now,
            args={
                "name": person.name,
                "masked": person.id_masked,
                "title": record.title,
                "year": record.year,
                "hours": hours,
                "reason": reason,
            },
        )
    return len(people), len(reviewers)


# ------------------------------------------------------------------ text (bot and command line)


def reason_text(t: Translator, reason: str | None) -> str:
    """A stored reason for display: a common code in the reader's language, else as typed."""
    if reason in COMMON_REVOKE_REASONS:
        return t(f"spot-reason-{reason}")
    if reason and reason.startswith("record_"):
        return t("spot-void-reason", status=reason.removeprefix("record_"))
    return reason or ""


def draw_scope(t: Translator, draw: DrawView) -> str:
    if draw.unit_name:
        return t("spot-scope-unit", unit=draw.unit_name, code=draw.unit_code or "")
    if draw.city:
        return t("spot-scope-city", city=draw.city)
    return t("spot-scope-province")


def draw_line(t: Translator, draw: DrawView) -> str:
    return t(
        "spot-draw-line",
        id=draw.id,
        year=draw.year,
        scope=draw_scope(t, draw),
        size=draw.size,
        population=draw.population,
        open=draw.open,
        confirmed=draw.confirmed,
        revoked=draw.revoked,
        auditor=draw.auditor_name or t("spot-no-auditor"),
        status=t(f"spot-status-{draw.status}"),
    )


def draw_details(t: Translator, draw: DrawView) -> list[str]:
    return [
        draw_line(t, draw),
        t(
            "spot-draw-seed",
            seed=str(draw.seed),
            population=draw.population,
            digest=draw.population_sha256[:16],
            size=draw.size,
        ),
    ]


def item_line(t: Translator, item: ItemView) -> str:
    outcome = t(f"spot-outcome-{item.outcome}")
    if item.reason:
        outcome += t("spot-outcome-reason", reason=reason_text(t, item.reason))
    return t(
        "spot-item-line",
        seq=item.seq,
        item=item.id,
        record=item.record_id,
        name=item.person_name,
        masked=item.id_masked,
        unit=item.unit_name or "-",
        title=item.title,
        hours=format_hours(item.hours),
        outcome=outcome,
    )
