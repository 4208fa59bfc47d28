"""Professional-hour claims: the person registers, the unit's reviewer verifies.

Rules come from core.rules (claimable years, categories, caps, deadlines). Every refusal is a
ClaimRefused whose reason names a message key claim-refused-<reason> (claims.ftl).

Decisions are atomic in the database, not in the process: a decision is a conditional UPDATE
(WHERE status = 'pending' AND version = the version read), so two reviewers tapping at once, or
one tapping twice, change the row once; only the winner writes the Review row and the audit
entry, every other caller gets `already_decided` with who decided. Authorisation is checked
again on every call (a button may be stale or forged): a live reviewer role of the claim's unit,
never the claimant's own account.

Duplicates: a claim whose person also has an imported professional record of the same year with
the same course title (ignoring case, width and spaces) or the same completion date is flagged
(`possible_duplicates`) in the person's list and in the review queue. Approving a flagged claim
needs `override_duplicate=True` (the reviewer saw the flag and approves anyway), so the same
course does not count twice by accident. See services.organiser_upload for approved claims
that an import duplicates later.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any, TypeVar

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from core.hours import InvalidHours, format_hours, parse_hours
from core.idnumber import mask_id_number, mask_id_numbers
from core.rules import (
    ClaimCategory,
    Counting,
    Policy,
    RecordStatus,
    Subject,
    activity_in_year,
    claim_verification_open,
    claimable_years,
    half_days_to_hours,
)
from core.text import bad_character, char_label
from services.audit import audit
from services.context import AppContext
from services.evidence import MAX_EVIDENCE_PER_CLAIM, MIN_EVIDENCE_PER_CLAIM
from services.notify import queue_notice
from services.privacy import record_access
from services.reminders import REVIEW_QUEUE_CALLBACK
from storage.db import ScopeConflict, SessionScope
from storage.models import (
    Account,
    Campaign,
    EvidenceFile,
    HourRecord,
    Person,
    RecordEvidence,
    Review,
    Role,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

ORIGIN_CLAIM = "claim"
RETRIES = 5
_RACES = (IntegrityError, StaleDataError, OperationalError)

# Free text limits: what fits a Telegram message line and the database columns.
MAX_TITLE = 300
MAX_ORGANISER = 200
MAX_REASON = 500
# Seen on other provinces' platforms (hour-rules-2019-4.md); the bot shows claim-reason-<code>,
# and a reviewer may always type their own reason instead.
COMMON_REJECTION_REASONS: tuple[str, ...] = (
    "blurry_evidence",
    "above_cap",
    "no_category",
    "outside_year",
    "duplicate_import",
    "not_professional",
)


def reason_text(reason: str | None, t: Callable[..., str]) -> str:
    """A stored rejection reason for display: a common reason's code in the reader's language,
    free text as the reviewer typed it. `t` is a services.i18n Translator."""
    if reason in COMMON_REJECTION_REASONS:
        return t(f"claim-reason-{reason}")
    return reason or ""


class ClaimRefused(Exception):
    """A refusal the user is told about; `reason` names message key claim-refused-<reason>.

    Person side: pledge, invalid (args problems), no_person, no_unit, evidence_count,
    evidence_missing, not_found, not_pending. Reviewer side: not_reviewer, other_unit,
    own_claim, verification_closed, reason_required, reason_too_long, hours, above_max,
    member_unconfirmed, duplicate, not_admin, not_decided, busy."""

    def __init__(self, reason: str, **args: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.args_ = args


async def _retrying(ctx: AppContext, job: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `job` in a transaction, again from the start when it lost a race."""
    for attempt in range(RETRIES):
        try:
            async with ctx.db.transaction() as session:
                return await job(session)
        except (*_RACES, LostRace) as exc:
            if isinstance(ctx.db, SessionScope):  # inside a chat turn: the turn starts again
                raise ScopeConflict(type(exc).__name__) from exc
            log.debug("claims transaction lost a race (%s), try %d", type(exc).__name__, attempt)
    raise ClaimRefused("busy")


class LostRace(Exception):
    """The conditional UPDATE changed nothing: read again and answer from the new state."""


# ------------------------------------------------------------------------------ drafts


@dataclass(frozen=True, slots=True)
class ClaimDraft:
    """What the person entered. Training may give `half_days` instead of `hours`."""

    year: int
    category: str
    title: str
    organiser: str
    started_on: date
    completed_on: date
    hours: Fraction | str | None = None
    half_days: int | None = None


@dataclass(frozen=True, slots=True)
class DraftProblem:
    step: str  # the draft step to go back to: year, category, title, organiser, dates, hours
    reason: str  # message key claim-problem-<reason>
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DraftCheck:
    problems: tuple[DraftProblem, ...]
    hours: Fraction | None  # the hours the claim would carry (half days converted)
    reviewer_sets_hours: bool  # the unit sets the hours on review: the bot says so

    @property
    def ok(self) -> bool:
        return not self.problems


def claim_categories(policy: Policy) -> tuple[ClaimCategory, ...]:
    return policy.categories


def reviewer_sets_hours(category: ClaimCategory) -> bool:
    return category.counting is Counting.REVIEWER_SET


def _clean(text: str) -> str:
    return " ".join(text.split())


# first-generation (15-digit) numbers too; 18-digit ones in any shape go through the one matcher
_ID_LIKE_15 = re.compile(r"(?<!\d)\d{15}(?!\d)")


def _scrub(text: str | None) -> str | None:
    """Free text for the audit log: anything shaped like an ID number is masked (a reviewer
    may paste one into a reason; the audit log never holds one)."""
    if text is None:
        return None
    return _ID_LIKE_15.sub(lambda m: mask_id_number(m.group()), mask_id_numbers(text))


def check_draft(ctx: AppContext, draft: ClaimDraft) -> DraftCheck:
    """Every problem of a draft at once, so the bot can send the person back to each step."""
    today = ctx.today()
    problems: list[DraftProblem] = []
    policy = ctx.policies.get(draft.year)
    if policy is None or draft.year not in claimable_years(today, ctx.policies):
        open_years = claimable_years(today, ctx.policies)
        problems.append(
            DraftProblem("year", "year_closed", {"year": draft.year, "open": _years(open_years)})
        )
        return DraftCheck(tuple(problems), None, False)
    category = policy.category(draft.category)
    if category is None:
        problems.append(DraftProblem("category", "category", {"value": draft.category}))
    title, organiser = _clean(draft.title), _clean(draft.organiser)
    for step, value in (("title", title), ("organiser", organiser)):
        # a control or direction-override character would be stored, then break the unit's
        # spreadsheet (PostgreSQL refuses NUL outright): refused here, with the character
        bad = bad_character(value)
        if bad is not None:
            problems.append(DraftProblem(step, "control", {"char": char_label(bad)}))
    if not title:
        problems.append(DraftProblem("title", "empty"))
    elif len(title) > MAX_TITLE:
        problems.append(DraftProblem("title", "too_long", {"max": MAX_TITLE}))
    if not organiser:
        problems.append(DraftProblem("organiser", "empty"))
    elif len(organiser) > MAX_ORGANISER:
        problems.append(DraftProblem("organiser", "too_long", {"max": MAX_ORGANISER}))
    if draft.started_on > draft.completed_on:
        problems.append(DraftProblem("dates", "dates_order"))
    elif not activity_in_year(draft.year, draft.started_on, draft.completed_on):
        problems.append(DraftProblem("dates", "outside_year", {"year": draft.year}))
    elif draft.completed_on > today:
        problems.append(DraftProblem("dates", "future"))
    hours = None if category is None else _draft_hours(policy, category, draft, problems)
    return DraftCheck(
        tuple(problems), hours, category is not None and reviewer_sets_hours(category)
    )


def _draft_hours(
    policy: Policy, category: ClaimCategory, draft: ClaimDraft, problems: list[DraftProblem]
) -> Fraction | None:
    if (draft.hours is None) == (draft.half_days is None):
        problems.append(DraftProblem("hours", "hours_or_half_days"))
        return None
    if draft.half_days is not None:
        if category.half_day_hours is None:
            problems.append(DraftProblem("hours", "no_half_days"))
            return None
        if isinstance(draft.half_days, bool) or draft.half_days <= 0:
            problems.append(DraftProblem("hours", "hours-non_positive"))
            return None
        hours = half_days_to_hours(category, draft.half_days)
    else:
        assert draft.hours is not None
        try:
            hours = parse_hours(draft.hours)
        except InvalidHours as exc:
            problems.append(DraftProblem("hours", f"hours-{exc.reason}"))
            return None
    cap = policy.max_hours_for(category.code)
    if hours > cap:
        problems.append(
            DraftProblem("hours", "above_max", {"max": format_hours(cap), "hours": str(hours)})
        )
        return None
    return hours


def _years(years: Iterable[int]) -> str:
    return ", ".join(str(y) for y in years)


# ------------------------------------------------------------------------------ views


@dataclass(frozen=True, slots=True)
class ClaimView:
    id: int
    person_id: int
    year: int
    category: str | None
    title: str
    organiser: str | None
    started_on: date | None
    completed_on: date
    hours: Fraction
    reviewer_sets_hours: bool
    status: str
    created_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    evidence_ids: tuple[int, ...]
    possible_duplicates: tuple[int, ...]  # ids of imported records that look like this claim
    # pending past the verification deadline: nobody can decide it any more (say so)
    verification_closed: bool
    version: int


@dataclass(frozen=True, slots=True)
class QueueItem:
    claim: ClaimView
    person_name: str
    person_id_masked: str
    member_confirmed: bool  # False: the person chose the unit in the bot; confirm them first
    decided_by_name: str | None = None  # set by review_item for a claim decided already
    decided_by: int | None = None  # the deciding account (review_item)


async def _evidence_ids(session: AsyncSession, record_ids: Sequence[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {r: [] for r in record_ids}
    if record_ids:
        rows = await session.execute(
            select(RecordEvidence.record_id, RecordEvidence.file_id)
            .where(RecordEvidence.record_id.in_(record_ids))
            .order_by(RecordEvidence.id)
        )
        for rid, fid in rows.all():
            found[rid].append(fid)
    return found


def normalise_title(title: str) -> str:
    """Course titles compared for duplicates: full-width folded, case and spaces ignored."""
    return "".join(unicodedata.normalize("NFKC", title).casefold().split())


def looks_like(claim: HourRecord, imported: HourRecord) -> bool:
    """Same course title, or same dates (an import carries only its completion date)."""
    return (
        claim.person_id == imported.person_id
        and claim.year == imported.year
        and (
            normalise_title(claim.title) == normalise_title(imported.title)
            or claim.completed_on == imported.completed_on
        )
    )


async def _duplicates(session: AsyncSession, claims: Sequence[HourRecord]) -> dict[int, list[int]]:
    """claim id -> ids of counting imported professional records that look like it."""
    found: dict[int, list[int]] = {c.id: [] for c in claims}
    people = sorted({c.person_id for c in claims})
    if not people:
        return found
    imported = (
        await session.scalars(
            select(HourRecord).where(
                HourRecord.person_id.in_(people),
                HourRecord.origin != ORIGIN_CLAIM,
                HourRecord.subject == Subject.PROFESSIONAL.value,
                HourRecord.status == RecordStatus.IMPORTED.value,
            )
        )
    ).all()
    for claim in claims:
        found[claim.id] = [i.id for i in imported if looks_like(claim, i)]
    return found


def _view(
    ctx: AppContext, r: HourRecord, evidence: Sequence[int], duplicates: Sequence[int]
) -> ClaimView:
    policy = ctx.policies.get(r.year)
    category = policy.category(r.category) if policy and r.category else None
    closed = (
        r.status == RecordStatus.PENDING.value
        and policy is not None
        and not claim_verification_open(policy, ctx.today())
    )
    return ClaimView(
        id=r.id,
        person_id=r.person_id,
        year=r.year,
        category=r.category,
        title=r.title,
        organiser=r.organiser,
        started_on=r.started_on,
        completed_on=r.completed_on,
        hours=r.hours,
        reviewer_sets_hours=category is not None and reviewer_sets_hours(category),
        status=r.status,
        created_at=r.created_at,
        decided_at=r.decided_at,
        decision_reason=r.decision_reason,
        evidence_ids=tuple(evidence),
        possible_duplicates=tuple(duplicates),
        verification_closed=closed,
        version=r.version,
    )


async def _views(
    ctx: AppContext, session: AsyncSession, records: Sequence[HourRecord]
) -> list[ClaimView]:
    ids = [r.id for r in records]
    evidence = await _evidence_ids(session, ids)
    duplicates = await _duplicates(session, records)
    return [_view(ctx, r, evidence[r.id], duplicates[r.id]) for r in records]


# ------------------------------------------------------------------------------ person side


async def submit_claim(
    ctx: AppContext,
    person_id: int,
    draft: ClaimDraft,
    evidence_ids: Sequence[int],
    pledged: bool,
) -> ClaimView:
    """Register a claim as pending, with its evidence, in one transaction. The pledge
    (本人承诺属实) is required; so is at least one evidence file."""
    if not pledged:
        raise ClaimRefused("pledge")
    check = check_draft(ctx, draft)
    if not check.ok:
        raise ClaimRefused("invalid", problems=check.problems)
    assert check.hours is not None
    files = list(dict.fromkeys(evidence_ids))  # the same photo sent twice counts once
    if not MIN_EVIDENCE_PER_CLAIM <= len(files) <= MAX_EVIDENCE_PER_CLAIM:
        raise ClaimRefused("evidence_count", min=MIN_EVIDENCE_PER_CLAIM, max=MAX_EVIDENCE_PER_CLAIM)
    now = ctx.now()
    async with ctx.db.transaction() as session:
        person = await session.get(Person, person_id)
        if person is None:
            raise ClaimRefused("no_person")
        if person.unit_id is None:
            raise ClaimRefused("no_unit")  # nobody could verify it
        known = set(
            await session.scalars(select(EvidenceFile.id).where(EvidenceFile.id.in_(files)))
        )
        if known != set(files):
            raise ClaimRefused("evidence_missing")
        record = HourRecord(
            person_id=person.id,
            year=draft.year,
            subject=Subject.PROFESSIONAL.value,
            origin=ORIGIN_CLAIM,
            source=None,
            dedup_key=f"claim:{uuid.uuid4().hex}",  # claims never collide; each is its own
            unit_id=person.unit_id,
            category=draft.category,
            course_code=None,
            title=_clean(draft.title),
            organiser=_clean(draft.organiser),
            started_on=draft.started_on,
            completed_on=draft.completed_on,
            hours=check.hours,
            status=RecordStatus.PENDING.value,
            pledged_at=now,
            created_at=now,
        )
        session.add(record)
        await session.flush()
        session.add_all(RecordEvidence(record_id=record.id, file_id=f) for f in files)
        audit(
            session,
            at=now,
            actor=f"person:{person.id}",
            action="claim_submit",
            entity="hour_records",
            entity_id=record.id,
            data={
                "year": draft.year,
                "category": draft.category,
                "hours": format_hours(check.hours),
                "evidence": len(files),
                "unit_id": person.unit_id,
            },
        )
        await session.flush()
        return (await _views(ctx, session, [record]))[0]


async def withdraw_claim(ctx: AppContext, person_id: int, record_id: int) -> ClaimView:
    """The person takes back their own pending claim. Evidence files stay stored."""
    now = ctx.now()
    async with ctx.db.transaction() as session:
        result = await session.execute(
            update(HourRecord)
            .where(
                HourRecord.id == record_id,
                HourRecord.person_id == person_id,
                HourRecord.origin == ORIGIN_CLAIM,
                HourRecord.status == RecordStatus.PENDING.value,
            )
            .values(status=RecordStatus.WITHDRAWN.value, version=HourRecord.version + 1)
            .execution_options(synchronize_session=False)
        )
        record = await session.get(HourRecord, record_id, populate_existing=True)
        if record is None or record.person_id != person_id or record.origin != ORIGIN_CLAIM:
            raise ClaimRefused("not_found")  # another person's claim looks the same as none
        if getattr(result, "rowcount", 0) != 1:
            raise ClaimRefused("not_pending", status=record.status)
        audit(
            session,
            at=now,
            actor=f"person:{person_id}",
            action="claim_withdraw",
            entity="hour_records",
            entity_id=record_id,
        )
        return (await _views(ctx, session, [record]))[0]


async def list_claims(ctx: AppContext, person_id: int, year: int | None = None) -> list[ClaimView]:
    """The person's own claims, newest first, with state and duplicate flags."""
    async with ctx.db.transaction() as session:
        query = select(HourRecord).where(
            HourRecord.person_id == person_id, HourRecord.origin == ORIGIN_CLAIM
        )
        if year is not None:
            query = query.where(HourRecord.year == year)
        records = (
            await session.scalars(query.order_by(HourRecord.created_at.desc(), HourRecord.id))
        ).all()
        return await _views(ctx, session, records)


# ------------------------------------------------------------------------------ authorisation


async def _account(session: AsyncSession, account_id: int) -> Account | None:
    return await session.get(Account, account_id)


async def reviewer_units(session: AsyncSession, account_id: int) -> set[int]:
    """Units the account reviews now (live, unrevoked reviewer roles)."""
    rows = await session.scalars(
        select(Role.unit_id).where(
            Role.account_id == account_id,
            Role.role == "reviewer",
            Role.revoked_at.is_(None),
            Role.unit_id.is_not(None),
        )
    )
    return {u for u in rows if u is not None}


async def _is_admin(session: AsyncSession, account_id: int) -> bool:
    found = await session.scalar(
        select(Role.id).where(
            Role.account_id == account_id, Role.role == "admin", Role.revoked_at.is_(None)
        )
    )
    return found is not None


async def _authorise_reviewer(
    session: AsyncSession, account_id: int, unit_id: int | None, person_id: int
) -> Account:
    """A live reviewer of `unit_id`, who is not `person_id` themselves."""
    account = await _account(session, account_id)
    units = await reviewer_units(session, account_id) if account is not None else set()
    if account is None or not units:
        raise ClaimRefused("not_reviewer")
    if unit_id is None or unit_id not in units:
        raise ClaimRefused("other_unit")
    if account.person_id is not None and account.person_id == person_id:
        raise ClaimRefused("own_claim")  # nobody verifies their own hours
    return account


async def account_ids_of(session: AsyncSession, person_id: int) -> list[int]:
    return list(
        await session.scalars(
            select(Account.id).where(Account.person_id == person_id).order_by(Account.id)
        )
    )


async def _decider_name(session: AsyncSession, account_id: int | None) -> str | None:
    if account_id is None:
        return None
    account = await _account(session, account_id)
    if account is None:
        return None
    if account.display_name:
        return account.display_name
    if account.person_id is not None:
        person = await session.get(Person, account.person_id)
        if person is not None:
            return person.name
    return None


# ------------------------------------------------------------------------------ reviewer side


async def review_queue(
    ctx: AppContext,
    reviewer_account_id: int,
    *,
    year: int | None = None,
    limit: int = 20,
    after_id: int | None = None,
) -> list[QueueItem]:
    """Pending claims of the reviewer's units, never the reviewer's own: the years still open
    for verification first, then the closed ones (their views say `verification_closed`);
    within a year the oldest first. Page with `after_id` (the last id shown): the order is a
    key of (closed, year, id), so a page continues where the last ended."""
    async with ctx.db.transaction() as session:
        account = await _account(session, reviewer_account_id)
        units = await reviewer_units(session, reviewer_account_id) if account else set()
        if account is None or not units:
            raise ClaimRefused("not_reviewer")
        where = [
            HourRecord.unit_id.in_(sorted(units)),
            HourRecord.origin == ORIGIN_CLAIM,
            HourRecord.status == RecordStatus.PENDING.value,
        ]
        if account.person_id is not None:
            where.append(HourRecord.person_id != account.person_id)
        if year is not None:
            where.append(HourRecord.year == year)
        records = await _queue_page(ctx, session, where, limit, after_id)
        views = await _views(ctx, session, records)
        for record in records:  # each claim shown to a reviewer is in its owner's access log
            record_access(
                session,
                at=ctx.now(),
                person_id=record.person_id,
                actor_account_id=reviewer_account_id,
                actor_role="reviewer",
                what="claim",
                entity_id=record.id,
            )
        people = {
            p.id: p
            for p in await session.scalars(
                select(Person).where(Person.id.in_({r.person_id for r in records}))
            )
        }
        return [
            QueueItem(
                v,
                people[v.person_id].name,
                people[v.person_id].id_masked,
                people[v.person_id].unit_confirmed
                or people[v.person_id].unit_id != records[i].unit_id,
            )
            for i, v in enumerate(views)
        ]


def _year_key(ctx: AppContext, year: int) -> tuple[bool, int]:
    """Queue order of a year: open for verification before closed, then by year."""
    policy = ctx.policies.get(year)
    closed = policy is None or not claim_verification_open(policy, ctx.today())
    return (closed, year)


async def _queue_page(
    ctx: AppContext,
    session: AsyncSession,
    where: list[Any],
    limit: int,
    after_id: int | None,
) -> list[HourRecord]:
    """Up to `limit` records in queue order after the record `after_id` (one query per year:
    a unit's queue spans a year or two)."""
    years = sorted(
        set((await session.scalars(select(HourRecord.year).where(*where).distinct())).all()),
        key=lambda y: _year_key(ctx, y),
    )
    cursor: tuple[tuple[bool, int], int] | None = None
    if after_id is not None:
        after = await session.get(HourRecord, after_id)
        # an id of no record: before every year, so the queue starts from its beginning
        cursor = (_year_key(ctx, after.year) if after is not None else (False, 0), after_id)
    records: list[HourRecord] = []
    for y in years:
        key = _year_key(ctx, y)
        query = select(HourRecord).where(*where, HourRecord.year == y)
        if cursor is not None:
            if key < cursor[0]:
                continue
            if key == cursor[0]:
                query = query.where(HourRecord.id > cursor[1])
        rows = await session.scalars(query.order_by(HourRecord.id).limit(limit - len(records)))
        records.extend(rows.all())
        if len(records) >= limit:
            break
    return records


async def pending_among(ctx: AppContext, record_ids: Sequence[int]) -> list[int]:
    """Which of these claims are still pending, in the order given (a page's count after
    decisions, also those made by another reviewer meanwhile)."""
    if not record_ids:
        return []
    async with ctx.db.transaction() as session:
        pending = set(
            (
                await session.scalars(
                    select(HourRecord.id).where(
                        HourRecord.id.in_(list(record_ids)),
                        HourRecord.origin == ORIGIN_CLAIM,
                        HourRecord.status == RecordStatus.PENDING.value,
                    )
                )
            ).all()
        )
    return [i for i in record_ids if i in pending]


async def review_item(ctx: AppContext, reviewer_account_id: int, record_id: int) -> QueueItem:
    """One claim as its reviewer sees it, whatever its state (the bot asks for a rejection
    reason or the verified hours with the title in view, and answers a stale button with the
    decision already made). Authorised like a decision: a live reviewer of the claim's unit,
    never the claimant; someone who reviews nothing learns nothing about record ids."""
    async with ctx.db.transaction() as session:
        if not await reviewer_units(session, reviewer_account_id):
            raise ClaimRefused("not_reviewer")
        record = await session.get(HourRecord, record_id, populate_existing=True)
        if record is None or record.origin != ORIGIN_CLAIM:
            raise ClaimRefused("not_found")
        await _authorise_reviewer(session, reviewer_account_id, record.unit_id, record.person_id)
        view = (await _views(ctx, session, [record]))[0]
        person = await session.get(Person, record.person_id)
        if person is None:  # pragma: no cover - a foreign key keeps the person
            raise ClaimRefused("not_found")
        record_access(  # shown to a reviewer: in its owner's access log, as in review_queue
            session,
            at=ctx.now(),
            person_id=record.person_id,
            actor_account_id=reviewer_account_id,
            actor_role="reviewer",
            what="claim",
            entity_id=record.id,
        )
        confirmed = person.unit_confirmed or person.unit_id != record.unit_id
        decider = await _decider_name(session, record.decided_by)
        return QueueItem(
            view, person.name, person.id_masked, confirmed, decider, record.decided_by
        )


async def evidence_for_account(ctx: AppContext, account_id: int, file_id: int) -> bool:
    """May this account see this evidence file? Its owner, or a live reviewer of the unit of
    a claim that carries it."""
    async with ctx.db.transaction() as session:
        account = await _account(session, account_id)
        if account is None:
            return False
        rows = await session.execute(
            select(HourRecord.person_id, HourRecord.unit_id)
            .join(RecordEvidence, RecordEvidence.record_id == HourRecord.id)
            .where(RecordEvidence.file_id == file_id)
        )
        pairs = rows.all()
        if any(pid == account.person_id for pid, _u in pairs if account.person_id is not None):
            return True
        units = await reviewer_units(session, account_id)
        seen = sorted({pid for pid, u in pairs if u in units})
        for pid in seen:  # a permitted read of someone else's evidence: in their access log
            record_access(
                session,
                at=ctx.now(),
                person_id=pid,
                actor_account_id=account_id,
                actor_role="reviewer",
                what="evidence",
                entity_id=file_id,
            )
        return bool(seen)


@dataclass(frozen=True, slots=True)
class DecisionResult:
    record_id: int
    status: str  # the claim's state now: approved, rejected, withdrawn
    hours: Fraction
    already_decided: bool  # True: someone (maybe this reviewer) decided before; nothing changed
    decided_by_account: int | None
    decided_by_name: str | None  # for "already decided by …"
    decided_at: datetime | None
    reason: str | None
    notify_account_ids: tuple[int, ...]  # the claimant's accounts (empty when nothing changed)
    title: str = ""  # the claim's title and year, for the messages to the claimant and reviewer
    year: int = 0


def _reason(approve: bool, reason: str | None) -> str | None:
    text = _clean(reason or "")
    if not approve and not text:
        raise ClaimRefused("reason_required", common=COMMON_REJECTION_REASONS)
    if len(text) > MAX_REASON:
        raise ClaimRefused("reason_too_long", max=MAX_REASON)
    # the reason goes to the claimant and stays on the record: never an ID number, in any shape
    return _scrub(text) or None


def _decided_hours(policy: Policy, record: HourRecord, hours: Fraction | str | None) -> Fraction:
    if hours is None:
        return record.hours
    try:
        value = parse_hours(hours)
    except InvalidHours as exc:
        raise ClaimRefused("hours", reason_code=exc.reason) from exc
    cap = policy.max_hours_for(record.category)
    if value > cap:
        raise ClaimRefused("above_max", max=format_hours(cap))
    return value


async def _already(session: AsyncSession, record: HourRecord) -> DecisionResult:
    return DecisionResult(
        record_id=record.id,
        status=record.status,
        hours=record.hours,
        already_decided=True,
        decided_by_account=record.decided_by,
        decided_by_name=await _decider_name(session, record.decided_by),
        decided_at=record.decided_at,
        reason=record.decision_reason,
        notify_account_ids=(),
        title=record.title,
        year=record.year,
    )


async def decide(
    ctx: AppContext,
    reviewer_account_id: int,
    record_id: int,
    approve: bool,
    reason: str | None = None,
    hours: Fraction | str | None = None,
    *,
    override_duplicate: bool = False,
) -> DecisionResult:
    """Approve or reject one pending claim. Checked on the server on every call; one decision
    whatever the number of taps. Rejection needs a reason: a code of COMMON_REJECTION_REASONS
    or free text. `hours` sets the verified hours (required in spirit for reviewer_set
    categories; defaults to what the person proposed)."""
    text = _reason(approve, reason)

    async def job(session: AsyncSession) -> DecisionResult:
        record = await session.get(HourRecord, record_id, populate_existing=True)
        if record is None or record.origin != ORIGIN_CLAIM:
            raise ClaimRefused("not_found")
        await _authorise_reviewer(session, reviewer_account_id, record.unit_id, record.person_id)
        if record.status != RecordStatus.PENDING.value:
            return await _already(session, record)
        policy = ctx.policies.get(record.year)
        if policy is None or not claim_verification_open(policy, ctx.today()):
            deadline = policy.verification_deadline.isoformat() if policy else ""
            raise ClaimRefused("verification_closed", year=record.year, deadline=deadline)
        new_hours = record.hours
        if approve:
            new_hours = _decided_hours(policy, record, hours)
            person = await session.get(Person, record.person_id)
            # the unit must have confirmed a member who chose it in the bot; a person who has
            # moved on since is still decided by the unit they claimed in
            if person is None or (person.unit_id == record.unit_id and not person.unit_confirmed):
                raise ClaimRefused("member_unconfirmed")
            duplicates = (await _duplicates(session, [record]))[record.id]
            if duplicates and not override_duplicate:
                raise ClaimRefused("duplicate", records=tuple(duplicates))
        status = RecordStatus.APPROVED if approve else RecordStatus.REJECTED
        now = ctx.now()
        result = await session.execute(
            update(HourRecord)
            .where(
                HourRecord.id == record.id,
                HourRecord.status == RecordStatus.PENDING.value,
                HourRecord.version == record.version,
            )
            .values(
                status=status.value,
                hours=new_hours,
                decided_at=now,
                decided_by=reviewer_account_id,
                decision_reason=text,
                version=record.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise LostRace  # someone else changed it: the retry answers from the new state
        session.add(
            Review(
                record_id=record.id,
                account_id=reviewer_account_id,
                decision=status.value,
                reason=text,
                created_at=now,
            )
        )
        audit(
            session,
            at=now,
            actor=f"account:{reviewer_account_id}",
            action=f"claim_{status.value}",
            entity="hour_records",
            entity_id=record.id,
            data={
                "person_id": record.person_id,
                "unit_id": record.unit_id,
                "claimed_hours": format_hours(record.hours),
                "hours": format_hours(new_hours),
                "reason": _scrub(text),
                "override_duplicate": override_duplicate if approve else False,
            },
        )
        return DecisionResult(
            record_id=record.id,
            status=status.value,
            hours=new_hours,
            already_decided=False,
            decided_by_account=reviewer_account_id,
            decided_by_name=await _decider_name(session, reviewer_account_id),
            decided_at=now,
            reason=text,
            notify_account_ids=tuple(await account_ids_of(session, record.person_id)),
            title=record.title,
            year=record.year,
        )

    return await _retrying(ctx, job)


@dataclass(frozen=True, slots=True)
class ManyResult:
    decided: tuple[DecisionResult, ...]
    refused: dict[int, ClaimRefused] = field(default_factory=dict)  # record id -> why not


async def decide_many(
    ctx: AppContext, reviewer_account_id: int, record_ids: Sequence[int]
) -> ManyResult:
    """Approve several claims at once, each checked and decided on its own (one refusal, for
    example a duplicate flag, does not stop the others)."""
    decided: list[DecisionResult] = []
    refused: dict[int, ClaimRefused] = {}
    for rid in dict.fromkeys(record_ids):
        try:
            decided.append(await decide(ctx, reviewer_account_id, rid, True))
        except ClaimRefused as exc:
            refused[rid] = exc
    return ManyResult(tuple(decided), refused)


async def reopen_decision(
    ctx: AppContext, admin_account_id: int, record_id: int, reason: str
) -> ClaimView:
    """An administrator sends a decided claim back to pending (a decision is otherwise final).
    Only while the year can still be verified: a claim reopened later could never be decided."""
    text = _clean(reason)
    if not text:
        raise ClaimRefused("reason_required", common=())

    async def job(session: AsyncSession) -> ClaimView:
        if not await _is_admin(session, admin_account_id):
            raise ClaimRefused("not_admin")
        record = await session.get(HourRecord, record_id, populate_existing=True)
        if record is None or record.origin != ORIGIN_CLAIM:
            raise ClaimRefused("not_found")
        if record.status not in (RecordStatus.APPROVED.value, RecordStatus.REJECTED.value):
            raise ClaimRefused("not_decided", status=record.status)
        policy = ctx.policies.get(record.year)
        if policy is None or not claim_verification_open(policy, ctx.today()):
            deadline = policy.verification_deadline.isoformat() if policy else ""
            raise ClaimRefused("verification_closed", year=record.year, deadline=deadline)
        await reopen_record(ctx, session, record, actor_account=admin_account_id, reason=text)
        return (await _views(ctx, session, [record]))[0]

    return await _retrying(ctx, job)


async def reopen_record(
    ctx: AppContext,
    session: AsyncSession,
    record: HourRecord,
    *,
    actor_account: int | None,
    reason: str,
    decision: str = "reopened",
) -> None:
    """Back to pending, conditionally on the state read (so a concurrent change wins once)."""
    now = ctx.now()
    previous = record.status
    result = await session.execute(
        update(HourRecord)
        .where(
            HourRecord.id == record.id,
            HourRecord.status == previous,
            HourRecord.version == record.version,
        )
        .values(
            status=RecordStatus.PENDING.value,
            decided_at=None,
            decided_by=None,
            decision_reason=None,
            version=record.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise LostRace
    session.add(
        Review(
            record_id=record.id,
            account_id=actor_account,
            decision=decision,
            reason=reason,
            created_at=now,
        )
    )
    audit(
        session,
        at=now,
        actor=f"account:{actor_account}" if actor_account else "system",
        action=f"claim_{decision}",
        entity="hour_records",
        entity_id=record.id,
        data={"previous": previous, "reason": _scrub(reason), "person_id": record.person_id},
    )
    await session.refresh(record)


# ------------------------------------------------------------------------------ digest, members


@dataclass(frozen=True, slots=True)
class PendingDigest:
    unit_id: int
    pending: int
    oldest_at: datetime | None
    flagged_duplicates: int
    closing_years: tuple[int, ...]  # years with pending claims whose verification is open
    unconfirmed_members: int
    reviewer_account_ids: tuple[int, ...]  # who gets the digest


async def pending_digest(ctx: AppContext, unit_id: int) -> PendingDigest:
    """Counts for the reviewers' digest (one message for many new claims)."""
    async with ctx.db.transaction() as session:
        pending = (
            await session.scalars(
                select(HourRecord).where(
                    HourRecord.unit_id == unit_id,
                    HourRecord.origin == ORIGIN_CLAIM,
                    HourRecord.status == RecordStatus.PENDING.value,
                )
            )
        ).all()
        duplicates = await _duplicates(session, pending)
        unconfirmed = await session.scalar(
            select(func.count())
            .select_from(Person)
            .where(Person.unit_id == unit_id, Person.unit_confirmed.is_(False))
        )
        reviewers = await session.scalars(
            select(Role.account_id)
            .where(Role.unit_id == unit_id, Role.role == "reviewer", Role.revoked_at.is_(None))
            .distinct()
        )
        today = ctx.today()
        years = sorted(
            {
                r.year
                for r in pending
                if r.year in ctx.policies and claim_verification_open(ctx.policies[r.year], today)
            }
        )
        return PendingDigest(
            unit_id=unit_id,
            pending=len(pending),
            oldest_at=min((r.created_at for r in pending), default=None),
            flagged_duplicates=sum(1 for d in duplicates.values() if d),
            closing_years=tuple(years),
            unconfirmed_members=unconfirmed or 0,
            reviewer_account_ids=tuple(sorted(set(reviewers))),
        )


@dataclass(frozen=True, slots=True)
class MemberView:
    person_id: int
    name: str
    id_masked: str
    unit_id: int
    confirmed: bool


@dataclass(frozen=True, slots=True)
class MemberConfirmation:
    member: MemberView
    already_confirmed: bool
    notify_account_ids: tuple[int, ...]


async def unconfirmed_members(ctx: AppContext, reviewer_account_id: int) -> list[MemberView]:
    """People who chose one of the reviewer's units in the bot and wait for confirmation."""
    async with ctx.db.transaction() as session:
        units = await reviewer_units(session, reviewer_account_id)
        if not units:
            raise ClaimRefused("not_reviewer")
        people = await session.scalars(
            select(Person)
            .where(Person.unit_id.in_(sorted(units)), Person.unit_confirmed.is_(False))
            .order_by(Person.id)
        )
        return [MemberView(p.id, p.name, p.id_masked, p.unit_id or 0, False) for p in people]


async def confirm_member(
    ctx: AppContext, reviewer_account_id: int, person_id: int
) -> MemberConfirmation:
    """A reviewer confirms that a person who joined the unit from the bot belongs to it.
    Authorised like a decision: live reviewer of the person's unit, never oneself."""

    async def job(session: AsyncSession) -> MemberConfirmation:
        person = await session.get(Person, person_id, populate_existing=True)
        if person is None:
            raise ClaimRefused("not_found")
        await _authorise_reviewer(session, reviewer_account_id, person.unit_id, person.id)
        unit_id = person.unit_id
        assert unit_id is not None  # _authorise_reviewer refused a person without a unit
        if person.unit_confirmed:
            view = MemberView(person.id, person.name, person.id_masked, unit_id, True)
            return MemberConfirmation(view, True, ())
        now = ctx.now()
        result = await session.execute(
            update(Person)
            .where(
                Person.id == person.id,
                Person.unit_id == unit_id,
                Person.unit_confirmed.is_(False),
            )
            .values(unit_confirmed=True, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise LostRace
        audit(
            session,
            at=now,
            actor=f"account:{reviewer_account_id}",
            action="member_confirm",
            entity="people",
            entity_id=person.id,
            data={"unit_id": unit_id},
        )
        view = MemberView(person.id, person.name, person.id_masked, unit_id, True)
        return MemberConfirmation(view, False, tuple(await account_ids_of(session, person.id)))

    return await _retrying(ctx, job)


# ------------------------------------------------------------------------------ reviewers' digest

REVIEW_DIGEST_KIND = "review_digest"
# New claims reach a unit's reviewers as one digest at most this often, not a message each.
REVIEW_DIGEST_HOURS = 3
REVIEW_DIGEST_MESSAGE = "rvw-digest"  # bot-review.ftl: new and pending counts


@dataclass(frozen=True, slots=True)
class DigestRun:
    key: str | None  # the digest campaign's key; None when nothing was queued
    queued: int  # messages queued, one per reviewer account
    units: int  # units with new pending claims
    claims: int  # new pending claims in them
    skipped: str | None = None  # too_soon | nothing_new | no_reviewers | raced


async def queue_review_digests(
    ctx: AppContext, *, interval: timedelta = timedelta(hours=REVIEW_DIGEST_HOURS)
) -> DigestRun:
    """Queue one digest (through the outbox, with the "rv:queue" button) for every reviewer of
    a unit that has new pending claims since the last digest; at most once per `interval`.

    A digest is a Campaign (kind review_digest) whose audience records `upto`, the highest
    claim id it covered; the next digest counts only claims above it, so the same claims are
    never announced twice. The key "review-digest:<upto>" is unique: two schedulers racing
    queue one digest. A claim whose id was taken before `upto` but committed after the digest
    was read is not announced as new, but it is counted in the next digest's pending total
    and in the 31 March reminders; the queue itself always shows every pending claim."""
    now = ctx.now()
    today = ctx.today()
    open_years = sorted(
        y for y, policy in ctx.policies.items() if claim_verification_open(policy, today)
    )
    try:
        async with ctx.db.transaction() as session:
            last = await session.scalar(
                select(Campaign)
                .where(Campaign.kind == REVIEW_DIGEST_KIND)
                .order_by(Campaign.id.desc())
                .limit(1)
            )
            if last is not None and now - last.created_at < interval:
                return DigestRun(None, 0, 0, 0, "too_soon")
            upto_before = int((last.audience or {}).get("upto", 0)) if last is not None else 0
            upto = await session.scalar(
                select(func.max(HourRecord.id)).where(HourRecord.origin == ORIGIN_CLAIM)
            )
            if not upto or upto <= upto_before or not open_years:
                return DigestRun(None, 0, 0, 0, "nothing_new")
            counts = await session.execute(
                select(
                    HourRecord.unit_id,
                    func.count(),
                    func.sum(case((HourRecord.id > upto_before, 1), else_=0)),
                )
                .where(
                    HourRecord.origin == ORIGIN_CLAIM,
                    HourRecord.status == RecordStatus.PENDING.value,
                    HourRecord.unit_id.is_not(None),
                    HourRecord.year.in_(open_years),
                )
                .group_by(HourRecord.unit_id)
            )
            per_unit = {
                int(unit): (int(pending), int(new or 0))
                for unit, pending, new in counts.all()
                if unit is not None and new
            }
            if not per_unit:
                return DigestRun(None, 0, 0, 0, "nothing_new")
            pairs = await session.execute(
                select(Role.account_id, Role.unit_id)
                .join(Account, Account.id == Role.account_id)
                .where(
                    Role.role == "reviewer",
                    Role.revoked_at.is_(None),
                    Role.unit_id.in_(sorted(per_unit)),
                    Account.unreachable_at.is_(None),
                )
                .distinct()
            )
            totals: dict[int, tuple[int, int]] = {}  # account -> (new, pending)
            for account_id, unit_id in pairs.all():
                pending, new = per_unit[int(unit_id)]
                before = totals.get(account_id, (0, 0))
                totals[account_id] = (before[0] + new, before[1] + pending)
            new_claims = sum(new for _pending, new in per_unit.values())
            if not totals:
                return DigestRun(None, 0, len(per_unit), new_claims, "no_reviewers")
            key = f"review-digest:{upto}"
            campaign = Campaign(
                key=key,
                kind=REVIEW_DIGEST_KIND,
                year=None,
                audience={
                    "upto": int(upto),
                    "after": upto_before,
                    "units": len(per_unit),
                    "claims": new_claims,
                },
                created_by="scheduler",
                created_at=now,
                queued=len(totals),
            )
            session.add(campaign)
            await session.flush()  # a racing scheduler's digest has this key: IntegrityError
            for account_id, (new, pending) in sorted(totals.items()):
                row = queue_notice(
                    session,
                    account_id=account_id,
                    key=REVIEW_DIGEST_MESSAGE,
                    now=now,
                    args={"new": new, "pending": pending},
                    buttons=(("reminder-open-queue", REVIEW_QUEUE_CALLBACK),),
                )
                row.campaign_id = campaign.id
            audit(
                session,
                at=now,
                actor="scheduler",
                action="campaign.queue",
                entity="campaign",
                entity_id=campaign.id,
                data={"key": key, "queued": len(totals), "claims": new_claims},
            )
            return DigestRun(key, len(totals), len(per_unit), new_claims)
    except IntegrityError:
        return DigestRun(None, 0, 0, 0, "raced")
