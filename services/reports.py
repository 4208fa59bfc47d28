"""Reports: what a unit and the administrators act on.

- The unit report (单位报表) of a year: every member with public mandatory, electives,
  professional verified and pending hours, total, complete or what is missing, whether they may
  be rated excellent in the annual appraisal (年度考核) and whether they meet the title-application
  condition (职称申报: this year's mandatory course), with last year's completion beside it.
  Set-based: ONE query sums the members' hour records by person, year, subject and status; the
  figures then come from core.rules (evaluate_year, title_application, may_be_rated_excellent)
  in Python, so every number is the core's own, never a second copy of the rules in SQL.
- "Who still needs what": the members sorted by what is missing, and a reminder to them through
  the outbox (one row per member, idempotent per unit, year and day).
- Province statistics by city and unit for a year: people, complete, share complete, hours by
  subject, claims pending by unit, and units whose reviewers have not acted. Set-based SQL that
  runs on PostgreSQL and SQLite; its completion test is core.rules' arithmetic in integers
  (half-hour units, exact share comparison), checked against core in the tests.
- Files: XLSX (openpyxl: header row frozen, widths set), CSV (UTF-8 with BOM, so Excel reads the
  Chinese), and a PNG chart of completion by city (matplotlib, Agg, a CJK font when one is
  installed). Rendering runs in a worker thread (`render`), never on the event loop.

Authority is checked here, on every call (a bot button may be stale or forged): a unit report
for a live reviewer of that unit or an administrator; statistics and unit reminders for
administrators (and the reviewers of the unit, for reminders). `by=None` is the command line,
run by the operator on the server.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import (
    Integer,
    RowMapping,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.hours import ZERO, format_hours, from_half_units, to_half_units
from core.reminders import next_send_time
from core.rules import (
    COUNTING_STATUSES,
    Policy,
    RecordStatus,
    RecordView,
    Subject,
    TitleApplicationCheck,
    YearEvaluation,
    evaluate_year,
    may_be_rated_excellent,
    title_application,
)
from core.text import csv_safe, looks_like_formula, sheet_safe
from services.audit import audit
from services.claims import reviewer_units
from services.context import AppContext
from services.i18n import Translator, translator
from services.notify import NOTICE
from services.policies import SHANGHAI
from services.privacy import record_accesses
from storage.models import Account, Campaign, HourRecord, OutboxMessage, Person, Role, Unit
from storage.types import UTCDateTime

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

ORIGIN_CLAIM = "claim"
DEFAULT_STALE_DAYS = 7
REMIND_KIND = "unit_remind"
# the channels the outbox sends to (bot.channels); console accounts get nothing
DEFAULT_CHANNELS = ("telegram", "wechat")
OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
# produced files are kept this long under <data dir>/reports, then swept away: they hold names
FILE_TTL_SECONDS = 3600.0


class ReportRefused(Exception):
    """A refusal the user is told about: message key rep-refused-<reason>.

    not_allowed (neither a reviewer nor an administrator), other_unit (a reviewer of another
    unit), not_admin (statistics), unknown_unit, no_policy."""

    def __init__(self, reason: str, **args: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.args_ = args


# ------------------------------------------------------------------------------ authority


async def _roles(session: AsyncSession, account_id: int) -> tuple[bool, set[int]]:
    """(is a live administrator, the units it reviews now)."""
    admin = await session.scalar(
        select(Role.id).where(
            Role.account_id == account_id, Role.role == "admin", Role.revoked_at.is_(None)
        )
    )
    return admin is not None, await reviewer_units(session, account_id)


async def _authorise_unit(session: AsyncSession, by: int | None, unit_id: int) -> None:
    if by is None:  # the command line, on the server
        return
    admin, units = await _roles(session, by)
    if admin or unit_id in units:
        return
    raise ReportRefused("other_unit" if units else "not_allowed")


async def _authorise_admin(session: AsyncSession, by: int | None) -> None:
    if by is None:
        return
    admin, _units = await _roles(session, by)
    if not admin:
        raise ReportRefused("not_admin")


async def allowed_units(ctx: AppContext, account_id: int) -> tuple[bool, list[Unit]]:
    """What the reports screen offers this account: (administrator, units it reviews)."""
    async with ctx.db.transaction() as session:
        admin, ids = await _roles(session, account_id)
        units = (
            list(await session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.code)))
            if ids
            else []
        )
    return admin, units


async def _unit(session: AsyncSession, unit: str | int) -> Unit:
    if isinstance(unit, int):
        found = await session.get(Unit, unit)
    else:
        found = await session.scalar(select(Unit).where(Unit.code == unit.strip().upper()))
    if found is None:
        raise ReportRefused("unknown_unit", unit=str(unit))
    return found


def _policy(ctx: AppContext, year: int) -> Policy:
    policy = ctx.policies.get(year)
    if policy is None:
        raise ReportRefused("no_policy", year=year)
    return policy


# ------------------------------------------------------------------------------ unit report


@dataclass(frozen=True, slots=True)
class MemberRow:
    """One member's year, every figure from core.rules."""

    person_id: int
    name: str
    id_masked: str
    unit_confirmed: bool
    evaluation: YearEvaluation
    last_year: YearEvaluation | None  # None: last year has no policy, or no record of theirs
    title: TitleApplicationCheck
    excellent_allowed: bool

    @property
    def complete(self) -> bool:
        return self.evaluation.complete

    @property
    def mandatory_done(self) -> bool:
        return self.evaluation.mandatory_done

    @property
    def professional_needed(self) -> Fraction:
        return self.evaluation.professional_hours_needed

    @property
    def needs_something(self) -> bool:
        """The year is not complete, or the mandatory course (the title condition) is not done."""
        return not self.complete or not self.mandatory_done


def needs_order(row: MemberRow) -> tuple[bool, Fraction, bool, str, int]:
    """'Who still needs what': the most missing first — most professional hours still needed,
    then the mandatory course missing — and those who need nothing last."""
    return (
        not row.needs_something,
        -row.professional_needed,
        row.mandatory_done,
        row.name,
        row.person_id,
    )


@dataclass(frozen=True, slots=True)
class UnitReport:
    unit_id: int
    unit_code: str
    unit_name: str
    city: str
    year: int
    policy: Policy
    last_policy: Policy | None
    generated_at: datetime
    members: tuple[MemberRow, ...]  # by name

    @property
    def complete_count(self) -> int:
        return sum(1 for m in self.members if m.complete)

    @property
    def mandatory_done_count(self) -> int:
        return sum(1 for m in self.members if m.mandatory_done)

    @property
    def pending_hours(self) -> Fraction:
        return sum((m.evaluation.professional_pending_hours for m in self.members), ZERO)

    def still_needed(self) -> list[MemberRow]:
        return sorted((m for m in self.members if m.needs_something), key=needs_order)


async def _member_sums(
    session: AsyncSession, unit_id: int, years: Sequence[int]
) -> dict[tuple[int, int], list[RecordView]]:
    """ONE grouped query for the whole unit: (person, year) -> the sums by subject and status
    (evaluate_year adds records per subject and status, so their sums evaluate the same)."""
    hours = func.sum(type_coerce(HourRecord.hours, Integer))
    rows = await session.execute(
        select(HourRecord.person_id, HourRecord.year, HourRecord.subject, HourRecord.status, hours)
        .join(Person, Person.id == HourRecord.person_id)
        .where(Person.unit_id == unit_id, HourRecord.year.in_(list(years)))
        .group_by(HourRecord.person_id, HourRecord.year, HourRecord.subject, HourRecord.status)
    )
    found: dict[tuple[int, int], list[RecordView]] = defaultdict(list)
    for person_id, year, subject, status, units in rows:
        try:
            view = RecordView(Subject(subject), RecordStatus(status), from_half_units(int(units)))
        except ValueError:  # a status or subject this version does not know counts for nothing
            log.warning("unit report: unknown subject/status %s/%s skipped", subject, status)
            continue
        found[(int(person_id), int(year))].append(view)
    return found


async def _build_unit_report(
    ctx: AppContext, session: AsyncSession, year: int, unit: Unit
) -> UnitReport:
    policy = _policy(ctx, year)
    last_policy = ctx.policies.get(year - 1)
    years = [year] if last_policy is None else [year - 1, year]
    sums = await _member_sums(session, unit.id, years)
    people = await session.execute(
        select(Person.id, Person.name, Person.id_masked, Person.unit_confirmed)
        .where(Person.unit_id == unit.id)
        .order_by(Person.name, Person.id)
    )
    members: list[MemberRow] = []
    for person_id, name, masked, confirmed in people:
        ev = evaluate_year(policy, sums.get((person_id, year), ()))
        last_views = sums.get((person_id, year - 1))
        last = (
            evaluate_year(last_policy, last_views)
            if last_policy is not None and last_views is not None
            else None
        )
        members.append(
            MemberRow(
                person_id=person_id,
                name=name,
                id_masked=masked,
                unit_confirmed=bool(confirmed),
                evaluation=ev,
                last_year=last,
                title=title_application(ev, last),
                excellent_allowed=may_be_rated_excellent(ev),
            )
        )
    return UnitReport(
        unit_id=unit.id,
        unit_code=unit.code,
        unit_name=unit.name,
        city=unit.city,
        year=year,
        policy=policy,
        last_policy=last_policy,
        generated_at=ctx.now(),
        members=tuple(members),
    )


async def unit_report(ctx: AppContext, year: int, *, unit: str | int, by: int | None) -> UnitReport:
    """The unit report. `unit`: its credit code (str) or id (int). `by`: the account asking
    (a live reviewer of the unit, or an administrator), None for the command line.
    Raises ReportRefused."""
    async with ctx.db.transaction() as session:
        found = await _unit(session, unit)
        await _authorise_unit(session, by, found.id)
        report = await _build_unit_report(ctx, session, year, found)
        if by is not None:
            # each member may see in "My data" that their line was viewed, and by whom
            admin, _units = await _roles(session, by)
            await record_accesses(
                session,
                at=ctx.now(),
                person_ids=[m.person_id for m in report.members],
                actor_account_id=by,
                actor_role="admin" if admin else "reviewer",
                what="report",
            )
        return report


async def unit_access(ctx: AppContext, *, unit: str | int, by: int | None) -> tuple[int, str]:
    """(id, name) of a unit the account may see reports of; raises ReportRefused."""
    async with ctx.db.transaction() as session:
        found = await _unit(session, unit)
        await _authorise_unit(session, by, found.id)
        return found.id, found.name


# ------------------------------------------------------------------------------ reminders


@dataclass(frozen=True, slots=True)
class RemindResult:
    key: str
    created: bool  # False: this unit's members were reminded today already; nothing queued
    queued: int  # rows queued now (created) or then (not created)
    needing: int  # members who still need something
    unreachable: int  # of those, without a reachable account (not bound, or blocked the bot)


def remind_key(unit_id: int, year: int, day: date) -> str:
    return f"{REMIND_KIND}:{unit_id}:{year}:{day.isoformat()}"


async def _insert_campaign(
    session: AsyncSession, key: str, year: int, audience: dict[str, Any], actor: str, now: datetime
) -> tuple[int, bool]:
    dialect = session.get_bind().dialect.name
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        upsert(Campaign)
        .values(
            key=key,
            kind=REMIND_KIND,
            year=year,
            audience=audience,
            created_by=actor,
            created_at=now,
            queued=0,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Campaign.id)
    )
    new_id = (await session.execute(stmt)).scalar_one_or_none()
    if new_id is not None:
        return int(new_id), True
    existing = await session.scalar(select(Campaign.id).where(Campaign.key == key))
    assert existing is not None
    return int(existing), False


def remind_args(report: UnitReport, row: MemberRow) -> dict[str, str]:
    """The notice's arguments (rendered at send time in the member's language)."""
    return {
        "unit": report.unit_name,
        "year": str(report.year),
        "mandatory": "yes" if row.mandatory_done else "no",
        "deadline": report.policy.public_deadline.isoformat(),
        "professional": "yes" if row.professional_needed > 0 else "no",
        "needed": format_hours(row.professional_needed),
        "registration": report.policy.registration_deadline.isoformat(),
    }


async def remind_members(
    ctx: AppContext,
    year: int,
    *,
    unit: str | int,
    by: int | None,
    channels: Sequence[str] = DEFAULT_CHANNELS,
) -> RemindResult:
    """Queue a reminder for every member who still needs something: one outbox row per member
    (their one bound account), once per unit, year and day (the campaign key is unique, and
    so is (campaign, account) in the outbox). Sent within the policy's sending hours."""
    now = ctx.now()
    today = ctx.today()
    async with ctx.db.transaction() as session:
        found = await _unit(session, unit)
        await _authorise_unit(session, by, found.id)
        report = await _build_unit_report(ctx, session, year, found)
        needing = {m.person_id: m for m in report.still_needed()}
        key = remind_key(found.id, year, today)
        actor = "cli" if by is None else f"account:{by}"
        # who can be reached: the members' bound accounts (one query for the unit)
        reachable = {
            int(pid): int(aid)
            for aid, pid in await session.execute(
                select(Account.id, Account.person_id)
                .join(Person, Person.id == Account.person_id)
                .where(
                    Person.unit_id == found.id,
                    Account.unreachable_at.is_(None),
                    Account.channel.in_(list(channels)),
                )
            )
            if pid in needing
        }
        campaign_id, created = await _insert_campaign(
            session,
            key,
            year,
            {"unit_id": found.id, "year": year, "by": actor},
            actor,
            now,
        )
        if not created:
            queued = await session.scalar(select(Campaign.queued).where(Campaign.id == campaign_id))
            return RemindResult(
                key, False, int(queued or 0), len(needing), len(needing) - len(reachable)
            )
        not_before = next_send_time(
            report.policy.send_from, report.policy.send_until, now, report.policy.timezone
        )
        rows = [
            {
                "campaign_id": campaign_id,
                "account_id": account_id,
                "payload": {
                    "kind": NOTICE,
                    "key": "rep-remind-notice",
                    "args": remind_args(report, needing[person_id]),
                    "buttons": [],
                },
                "optional": False,  # the unit asks; like a broadcast, a mute does not hold it
                "status": "queued",
                "attempts": 0,
                "not_before": not_before,
                "created_at": now,
            }
            for person_id, account_id in sorted(reachable.items())
        ]
        if rows:
            await session.execute(insert(OUTBOX), rows)
        await session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(queued=len(rows))
        )
        audit(
            session,
            at=now,
            actor=actor,
            action="report.remind",
            entity="unit",
            entity_id=found.id,
            data={"key": key, "queued": len(rows), "needing": len(needing)},
        )
    return RemindResult(key, True, len(rows), len(needing), len(needing) - len(reachable))


# ------------------------------------------------------------------------------ statistics


@dataclass(frozen=True, slots=True)
class Tally:
    """People and hours of a group (a unit, a city, the province) for one year."""

    people: int = 0
    complete: int = 0
    mandatory_done: int = 0
    public_mandatory_hours: Fraction = ZERO
    public_elective_hours: Fraction = ZERO
    professional_verified_hours: Fraction = ZERO
    professional_pending_hours: Fraction = ZERO

    @property
    def share_complete(self) -> Fraction:
        return Fraction(self.complete, self.people) if self.people else ZERO

    @property
    def total_hours(self) -> Fraction:
        return (
            self.public_mandatory_hours
            + self.public_elective_hours
            + self.professional_verified_hours
        )

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.people + other.people,
            self.complete + other.complete,
            self.mandatory_done + other.mandatory_done,
            self.public_mandatory_hours + other.public_mandatory_hours,
            self.public_elective_hours + other.public_elective_hours,
            self.professional_verified_hours + other.professional_verified_hours,
            self.professional_pending_hours + other.professional_pending_hours,
        )


@dataclass(frozen=True, slots=True)
class UnitStats:
    unit_id: int | None  # None: people without a unit
    code: str
    name: str
    city: str
    tally: Tally
    pending_claims: int = 0
    oldest_pending: datetime | None = None


@dataclass(frozen=True, slots=True)
class CityStats:
    city: str
    units: int
    tally: Tally
    pending_claims: int


@dataclass(frozen=True, slots=True)
class IdleUnit:
    """A unit with claims pending longer than the stale period whose reviewers decided nothing
    in that period (or which has no reviewer at all)."""

    unit_id: int
    code: str
    name: str
    city: str
    stale_claims: int
    oldest_pending: datetime
    last_decision: datetime | None
    reviewers: tuple[str, ...]  # display names (or "account N"); empty: nobody reviews it


@dataclass(frozen=True, slots=True)
class ProvinceStats:
    year: int
    generated_at: datetime
    stale_days: int
    units: tuple[UnitStats, ...]  # by city, then code
    cities: tuple[CityStats, ...]  # by city name
    total: Tally
    pending_claims: int
    idle_units: tuple[IdleUnit, ...]  # oldest pending first


def _counting_sql() -> str:
    return ", ".join(f"'{s.value}'" for s in sorted(COUNTING_STATUSES))


def _capped(column: str, cap: int) -> str:
    return f"(CASE WHEN {column} IS NULL THEN 0 WHEN {column} > {cap} THEN {cap} ELSE {column} END)"


def tally_sql(policy: Policy) -> str:
    """Per unit: people, complete, mandatory done and hour sums (half-hour units) for
    `:year`, every person of the roster counted (a person without records is incomplete).

    The same arithmetic as core.rules.evaluate_year, in integers: public hours capped at the
    policy's amounts; complete = total >= min_total and verified * d >= n * total for the
    professional share n/d (exact, as YearEvaluation.share_met)."""
    counting = _counting_sql()
    mand = to_half_units(policy.mandatory_hours)
    elec = to_half_units(policy.elective_hours)
    min_total = to_half_units(policy.min_total_hours)
    n, d = policy.professional_share.numerator, policy.professional_share.denominator
    pro = Subject.PROFESSIONAL.value
    return f"""
    WITH sums AS (
      SELECT person_id,
        SUM(CASE WHEN subject = '{Subject.PUBLIC_MANDATORY.value}' AND status IN ({counting})
                 THEN hours ELSE 0 END) AS pm,
        SUM(CASE WHEN subject = '{Subject.PUBLIC_ELECTIVE.value}' AND status IN ({counting})
                 THEN hours ELSE 0 END) AS pe,
        SUM(CASE WHEN subject = '{pro}' AND status IN ({counting}) THEN hours ELSE 0 END) AS v,
        SUM(CASE WHEN subject = '{pro}' AND status = '{RecordStatus.PENDING.value}'
                 THEN hours ELSE 0 END) AS pend
      FROM hour_records WHERE year = :year GROUP BY person_id
    ),
    ev AS (
      SELECT p.unit_id, {_capped("s.pm", mand)} AS pm, {_capped("s.pe", elec)} AS pe,
             COALESCE(s.v, 0) AS v, COALESCE(s.pend, 0) AS pend
      FROM people p LEFT JOIN sums s ON s.person_id = p.id
    )
    SELECT unit_id, COUNT(*) AS people,
      SUM(CASE WHEN pm + pe + v >= {min_total} AND {d} * v >= {n} * (pm + pe + v)
               THEN 1 ELSE 0 END) AS complete,
      SUM(CASE WHEN pm > 0 THEN 1 ELSE 0 END) AS mandatory_done,
      SUM(pm) AS pm, SUM(pe) AS pe, SUM(v) AS v, SUM(pend) AS pend
    FROM ev GROUP BY unit_id"""


_PENDING_SQL = f"""
    SELECT unit_id, COUNT(*) AS claims, MIN(created_at) AS oldest FROM hour_records
    WHERE year = :year AND subject = '{Subject.PROFESSIONAL.value}'
      AND status = '{RecordStatus.PENDING.value}' AND origin = '{ORIGIN_CLAIM}'
      AND unit_id IS NOT NULL
    GROUP BY unit_id"""

# Units with claims pending since before :since, and the last decision their own (live)
# reviewers took on any of the unit's records; idle when that is NULL or before :since.
_IDLE_SQL = f"""
    WITH stale AS (
      SELECT unit_id, COUNT(*) AS claims, MIN(created_at) AS oldest FROM hour_records
      WHERE year = :year AND subject = '{Subject.PROFESSIONAL.value}'
        AND status = '{RecordStatus.PENDING.value}' AND origin = '{ORIGIN_CLAIM}'
        AND unit_id IS NOT NULL AND created_at < :since
      GROUP BY unit_id
    ),
    acted AS (
      SELECT h.unit_id, MAX(r.created_at) AS last_at
      FROM reviews r
      JOIN hour_records h ON h.id = r.record_id
      JOIN roles ro ON ro.account_id = r.account_id AND ro.unit_id = h.unit_id
                   AND ro.role = 'reviewer' AND ro.revoked_at IS NULL
      WHERE h.unit_id IN (SELECT unit_id FROM stale)
      GROUP BY h.unit_id
    )
    SELECT stale.unit_id, stale.claims, stale.oldest, acted.last_at
    FROM stale LEFT JOIN acted ON acted.unit_id = stale.unit_id
    WHERE acted.last_at IS NULL OR acted.last_at < :since"""


def _as_utc(value: Any) -> datetime | None:
    """Aggregates bypass the column type: SQLite gives naive text, PostgreSQL aware values."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return UTCDateTime().process_result_value(value, None)  # type: ignore[arg-type]


def _tally(row: RowMapping) -> Tally:
    return Tally(
        people=int(row["people"]),
        complete=int(row["complete"] or 0),
        mandatory_done=int(row["mandatory_done"] or 0),
        public_mandatory_hours=from_half_units(int(row["pm"] or 0)),
        public_elective_hours=from_half_units(int(row["pe"] or 0)),
        professional_verified_hours=from_half_units(int(row["v"] or 0)),
        professional_pending_hours=from_half_units(int(row["pend"] or 0)),
    )


async def province_stats(
    ctx: AppContext, year: int, *, by: int | None, stale_days: int = DEFAULT_STALE_DAYS
) -> ProvinceStats:
    """Statistics by city and unit for `year` (administrators; `by=None`: the command line).
    Three grouped queries and two small look-ups, whatever the number of people."""
    policy = _policy(ctx, year)
    now = ctx.now()
    since = now - timedelta(days=max(0, stale_days))
    async with ctx.db.transaction() as session:
        await _authorise_admin(session, by)
        tallies = {
            (None if r["unit_id"] is None else int(r["unit_id"])): _tally(r)
            for r in (await session.execute(text(tally_sql(policy)), {"year": year})).mappings()
        }
        pending = {
            int(r.unit_id): (int(r.claims), _as_utc(r.oldest))
            for r in await session.execute(text(_PENDING_SQL), {"year": year})
        }
        idle_sql = text(_IDLE_SQL).bindparams(bindparam("since", type_=UTCDateTime()))
        idle_rows = list(await session.execute(idle_sql, {"year": year, "since": since}))
        idle_ids = [int(r.unit_id) for r in idle_rows]
        wanted = sorted({u for u in tallies if u is not None} | set(pending) | set(idle_ids))
        units: dict[int, tuple[str, str, str]] = {}
        if wanted:
            for unit_id, code, name, city in await session.execute(
                select(Unit.id, Unit.code, Unit.name, Unit.city).where(Unit.id.in_(wanted))
            ):
                units[int(unit_id)] = (code, name, city)
        names: dict[int, list[str]] = defaultdict(list)
        if idle_ids:
            reviewer_rows = await session.execute(
                select(Role.unit_id, Account.id, Account.display_name, Person.name)
                .join(Account, Account.id == Role.account_id)
                .outerjoin(Person, Person.id == Account.person_id)
                .where(
                    Role.role == "reviewer",
                    Role.revoked_at.is_(None),
                    Role.unit_id.in_(idle_ids),
                )
                .order_by(Role.unit_id, Account.id)
            )
            for unit_id, account_id, display, person_name in reviewer_rows:
                names[int(unit_id)].append(display or person_name or f"#{account_id}")
    unit_stats: list[UnitStats] = []
    keys: list[int | None] = [*wanted, *([None] if None in tallies else [])]
    for key in keys:
        code, name, city = units.get(key, ("", "", "")) if key is not None else ("", "", "")
        claims, oldest = pending.get(key, (0, None)) if key is not None else (0, None)
        unit_stats.append(
            UnitStats(
                unit_id=key,
                code=code,
                name=name,
                city=city,
                tally=tallies.get(key, Tally()),
                pending_claims=claims,
                oldest_pending=oldest,
            )
        )
    unit_stats.sort(key=lambda s: (s.city == "", s.city, s.code))
    by_city: dict[str, list[UnitStats]] = defaultdict(list)
    for s in unit_stats:
        by_city[s.city].append(s)
    cities = tuple(
        CityStats(
            city=city,
            units=sum(1 for s in group if s.unit_id is not None),
            tally=sum((s.tally for s in group), Tally()),
            pending_claims=sum(s.pending_claims for s in group),
        )
        for city, group in sorted(by_city.items(), key=lambda kv: (kv[0] == "", kv[0]))
    )
    idle: list[IdleUnit] = []
    for r in idle_rows:
        code, name, city = units.get(int(r.unit_id), ("", "", ""))
        oldest = _as_utc(r.oldest)
        assert oldest is not None
        idle.append(
            IdleUnit(
                unit_id=int(r.unit_id),
                code=code,
                name=name,
                city=city,
                stale_claims=int(r.claims),
                oldest_pending=oldest,
                last_decision=_as_utc(r.last_at),
                reviewers=tuple(names.get(int(r.unit_id), ())),
            )
        )
    idle.sort(key=lambda i: (i.oldest_pending, i.code))
    return ProvinceStats(
        year=year,
        generated_at=now,
        stale_days=stale_days,
        units=tuple(unit_stats),
        cities=cities,
        total=sum((c.tally for c in cities), Tally()),
        pending_claims=sum(c.pending_claims for c in cities),
        idle_units=tuple(idle),
    )


# ------------------------------------------------------------------------------ tables

Cell = str | int | float | None


def percent(share: Fraction) -> str:
    """'83.3%': one decimal, rounded half up (display only; the share itself is exact)."""
    tenths = (share * 1000 + Fraction(1, 2)).__floor__()
    return f"{tenths // 10}.{tenths % 10}%"


def hours_cell(hours: Fraction) -> int | float:
    """A number Excel can add up: hours are multiples of 0.5, exact in binary."""
    return int(hours) if hours.denominator == 1 else float(hours)


def local_time(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def missing_text(t: Translator, row: MemberRow) -> str:
    """What the member still needs, in words ('' when nothing)."""
    parts: list[str] = []
    if not row.mandatory_done:
        parts.append(t("rep-missing-mandatory"))
    if row.professional_needed > 0:
        parts.append(t("rep-missing-professional", hours=format_hours(row.professional_needed)))
    if not row.evaluation.share_met:
        parts.append(t("rep-missing-share"))
    if parts and row.evaluation.professional_pending_hours > 0:
        parts.append(
            t(
                "rep-missing-pending",
                hours=format_hours(row.evaluation.professional_pending_hours),
            )
        )
    return t("rep-list-sep").join(parts)


def _yes(t: Translator, value: bool | None) -> str:
    if value is None:
        return t("rep-none")
    return t("rep-yes") if value else t("rep-no")


class _Words:
    """The table's repeated words, translated once per table (thousands of rows)."""

    def __init__(self, t: Translator) -> None:
        self.t = t
        self.flags = {v: _yes(t, v) for v in (True, False, None)}
        self.nothing = t("rep-nothing-missing")
        self._missing: dict[tuple[bool, Fraction, bool, Fraction], str] = {}

    def missing(self, row: MemberRow) -> str:
        ev = row.evaluation
        key = (
            row.mandatory_done,
            row.professional_needed,
            ev.share_met,
            ev.professional_pending_hours,
        )
        if key not in self._missing:
            self._missing[key] = missing_text(self.t, row) or self.nothing
        return self._missing[key]


def unit_report_headers(report: UnitReport, t: Translator) -> list[str]:
    return [
        t("rep-col-no"),
        t("rep-col-name"),
        t("rep-col-id"),
        t("rep-col-confirmed"),
        t("rep-col-mandatory"),
        t("rep-col-electives"),
        t("rep-col-verified"),
        t("rep-col-pending"),
        t("rep-col-total"),
        t("rep-col-complete"),
        t("rep-col-needed"),
        t("rep-col-missing"),
        t("rep-col-excellent"),
        t("rep-col-title", year=report.year),
        t("rep-col-last-year", year=report.year - 1),
    ]


def _member_cells(words: _Words, m: MemberRow) -> list[Cell]:
    """A member's row without its number (the first column, set per sheet)."""
    ev, flag = m.evaluation, words.flags
    return [
        m.name,
        m.id_masked,
        flag[m.unit_confirmed],
        hours_cell(ev.public_mandatory_hours),
        hours_cell(ev.public_elective_hours),
        hours_cell(ev.professional_verified_hours),
        hours_cell(ev.professional_pending_hours),
        hours_cell(ev.total_hours),
        flag[ev.complete],
        hours_cell(ev.professional_hours_needed),
        words.missing(m),
        flag[m.excellent_allowed],
        flag[m.title.eligible],
        flag[m.title.last_year_complete],
    ]


def unit_report_table(
    report: UnitReport, t: Translator, rows: Iterable[MemberRow] | None = None
) -> tuple[list[str], list[list[Cell]]]:
    """Headers and rows of the unit report (the XLSX's first sheet and the CSV)."""
    words = _Words(t)
    members = report.members if rows is None else rows
    body = [[i, *_member_cells(words, m)] for i, m in enumerate(members, start=1)]
    return unit_report_headers(report, t), body


def _tally_cells(tally: Tally) -> list[Cell]:
    return [
        tally.people,
        tally.complete,
        percent(tally.share_complete),
        tally.mandatory_done,
        hours_cell(tally.public_mandatory_hours),
        hours_cell(tally.public_elective_hours),
        hours_cell(tally.professional_verified_hours),
        hours_cell(tally.professional_pending_hours),
    ]


def _tally_headers(t: Translator) -> list[str]:
    return [
        t("rep-col-people"),
        t("rep-col-complete-count"),
        t("rep-col-share"),
        t("rep-col-mandatory-count"),
        t("rep-col-mandatory-hours"),
        t("rep-col-elective-hours"),
        t("rep-col-verified-hours"),
        t("rep-col-pending-hours"),
    ]


def stats_tables(
    stats: ProvinceStats, t: Translator
) -> list[tuple[str, list[str], list[list[Cell]]]]:
    """(sheet title, headers, rows) for each table of the statistics."""
    no_unit = t("rep-no-unit")
    cities: list[list[Cell]] = [
        [c.city or no_unit, c.units, *_tally_cells(c.tally), c.pending_claims] for c in stats.cities
    ]
    cities.append(
        [
            t("rep-total"),
            sum(c.units for c in stats.cities),
            *_tally_cells(stats.total),
            stats.pending_claims,
        ]
    )
    units: list[list[Cell]] = [
        [
            u.city or no_unit,
            u.code,
            u.name or no_unit,
            *_tally_cells(u.tally),
            u.pending_claims,
            local_time(u.oldest_pending),
        ]
        for u in stats.units
    ]
    pending: list[list[Cell]] = [
        [u.city, u.code, u.name, u.pending_claims, local_time(u.oldest_pending)]
        for u in sorted(
            (u for u in stats.units if u.pending_claims), key=lambda u: (-u.pending_claims, u.code)
        )
    ]
    idle: list[list[Cell]] = [
        [
            i.city,
            i.code,
            i.name,
            i.stale_claims,
            local_time(i.oldest_pending),
            local_time(i.last_decision) or t("rep-never"),
            t("rep-list-sep").join(i.reviewers) or t("rep-no-reviewer"),
        ]
        for i in stats.idle_units
    ]
    return [
        (
            t("rep-sheet-cities"),
            [t("rep-col-city"), t("rep-col-units"), *_tally_headers(t), t("rep-col-claims")],
            cities,
        ),
        (
            t("rep-sheet-units"),
            [
                t("rep-col-city"),
                t("rep-col-code"),
                t("rep-col-unit"),
                *_tally_headers(t),
                t("rep-col-claims"),
                t("rep-col-oldest"),
            ],
            units,
        ),
        (
            t("rep-sheet-pending"),
            [
                t("rep-col-city"),
                t("rep-col-code"),
                t("rep-col-unit"),
                t("rep-col-claims"),
                t("rep-col-oldest"),
            ],
            pending,
        ),
        (
            t("rep-sheet-idle", days=stats.stale_days),
            [
                t("rep-col-city"),
                t("rep-col-code"),
                t("rep-col-unit"),
                t("rep-col-stale", days=stats.stale_days),
                t("rep-col-oldest"),
                t("rep-col-last-decision"),
                t("rep-col-reviewers"),
            ],
            idle,
        ),
    ]


# ------------------------------------------------------------------------------ files


def _width(value: Cell) -> int:
    text_value = "" if value is None else str(value)
    # CJK characters take two columns in a spreadsheet
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text_value)


def write_xlsx(path: Path, sheets: Sequence[tuple[str, list[str], list[list[Cell]]]]) -> Path:
    """A workbook with one sheet per table: bold header row, frozen, columns sized to fit."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)  # streams rows: a 5,000-member unit in well under a second
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=_sheet_title(title))
        ws.freeze_panes = "A2"
        for i, header in enumerate(headers):
            sample = [_width(header), *(_width(r[i]) for r in rows[:500])]
            ws.column_dimensions[get_column_letter(i + 1)].width = min(max(sample) + 2, 60)
        cells = []
        for header in headers:
            cell = WriteOnlyCell(ws, value=sheet_safe(header))
            cell.font, cell.fill, cell.alignment = bold, fill, centre
            cells.append(cell)
        ws.append(cells)
        for row in rows:
            ws.append([_text_cell(ws, value) for value in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _text_cell(ws: Any, value: Cell) -> Any:
    """Text stays text: openpyxl makes a string starting with "=" a live formula, so such a
    value (a name typed at binding, say) is written as an explicit string cell; characters no
    sheet can hold are dropped (one bad name must not break a whole unit's report)."""
    if not isinstance(value, str):
        return value
    value = sheet_safe(value)
    if not looks_like_formula(value):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    return cell


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)
    return cleaned[:31] or "Sheet"


def write_csv(path: Path, headers: list[str], rows: list[list[Cell]]) -> Path:
    """UTF-8 with a byte-order mark: Excel opens the Chinese text correctly. Text that a
    spreadsheet would run (= + - @ first) gets an apostrophe before it (OWASP)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([csv_safe(h) for h in headers])
        writer.writerows(
            ["" if c is None else csv_safe(c) if isinstance(c, str) else c for c in row]
            for row in rows
        )
    return path


def unit_report_sheets(
    report: UnitReport, t: Translator
) -> list[tuple[str, list[str], list[list[Cell]]]]:
    """The report, and "who still needs what": the same rows, most missing first."""
    words = _Words(t)
    cells = {m.person_id: _member_cells(words, m) for m in report.members}
    headers = unit_report_headers(report, t)
    rows: list[list[Cell]] = [[i, *cells[m.person_id]] for i, m in enumerate(report.members, 1)]
    needed: list[list[Cell]] = [
        [i, *cells[m.person_id]] for i, m in enumerate(report.still_needed(), 1)
    ]
    return [
        (t("rep-sheet-report", year=report.year), headers, rows),
        (t("rep-sheet-needed"), headers, needed),
    ]


def unit_report_xlsx(report: UnitReport, path: Path, language: str = "zh") -> Path:
    return write_xlsx(path, unit_report_sheets(report, translator(language)))


def unit_report_csv(report: UnitReport, path: Path, language: str = "zh") -> Path:
    headers, rows = unit_report_table(report, translator(language))
    return write_csv(path, headers, rows)


def stats_xlsx(stats: ProvinceStats, path: Path, language: str = "zh") -> Path:
    return write_xlsx(path, stats_tables(stats, translator(language)))


def stats_csv(stats: ProvinceStats, path: Path, language: str = "zh") -> Path:
    """The units table (the one a spreadsheet user filters and sorts)."""
    _title, headers, rows = stats_tables(stats, translator(language))[1]
    return write_csv(path, headers, rows)


_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Serif CJK SC",
)


@cache
def cjk_font_path() -> str | None:
    """An installed font with Chinese glyphs (fonts-noto-cjk on Debian), None when there is
    none: the chart is still drawn, its Chinese labels then show as boxes."""
    from matplotlib import font_manager

    found = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for name in _CJK_FONTS:
        if name in found:
            return found[name]
    for name, path in sorted(found.items()):
        if "CJK" in name or "Hei" in name:
            return path
    log.warning("no CJK font found: the chart's Chinese labels will not show")
    return None


def completion_chart_png(stats: ProvinceStats, path: Path, language: str = "zh") -> Path:
    """A horizontal bar per city: the share of people whose year is complete. Uses the
    object-oriented API (Figure + Agg canvas), which is safe off the main thread; pyplot's
    global state is not touched."""
    import warnings

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    t = translator(language)
    font_path = cjk_font_path()
    font = FontProperties(fname=font_path) if font_path else FontProperties()
    # ranked, the best first: which cities lag is what the reader looks for
    cities = sorted(
        (c for c in stats.cities if c.tally.people),
        key=lambda c: (-c.tally.share_complete, c.city),
    )
    labels = [c.city or t("rep-no-unit") for c in cities]
    shares = [float(c.tally.share_complete) * 100 for c in cities]
    height = max(3.0, 0.45 * len(cities) + 1.6)
    fig = Figure(figsize=(8.0, height), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    positions = list(range(len(cities)))
    bars = ax.barh(positions, shares, color="#2E75B6")
    ax.set_yticks(positions)
    ax.set_yticklabels(labels, fontproperties=font)
    ax.invert_yaxis()  # first city on top
    ax.set_xlim(0, 125)  # room for the labels right of a full bar
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    ax.set_xlabel(t("rep-chart-x"), fontproperties=font)
    ax.set_title(
        t("rep-chart-title", year=stats.year, share=percent(stats.total.share_complete)),
        fontproperties=font,
    )
    for bar, city in zip(bars, cities, strict=True):
        ax.text(
            bar.get_width() + 1,
            bar.get_y() + bar.get_height() / 2,
            f"{percent(city.tally.share_complete)} ({city.tally.complete}/{city.tally.people})",
            va="center",
            fontsize=8,
        )
    if not cities:
        ax.text(50, 0.5, t("rep-chart-empty"), ha="center", fontproperties=font)
    ax.grid(axis="x", alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # "Glyph missing" when no CJK font is installed; a tight layout a tiny chart cannot fit
        warnings.simplefilter("ignore")
        fig.tight_layout()
        fig.savefig(path, format="png")
    return path


async def render(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a file renderer in a worker thread: the event loop keeps serving other users."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def report_file(ctx: AppContext, name: str) -> Path:
    """A fresh path under <data dir>/reports for a file to send; files older than
    FILE_TTL_SECONDS there are removed first (they hold names: keep them briefly)."""
    folder = ctx.data_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - FILE_TTL_SECONDS
    for old in folder.iterdir():
        try:
            if old.is_file() and old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:  # another worker removed it first
            pass
    return folder / f"{secrets.token_hex(8)}-{name}"


def stats_lines(stats: ProvinceStats, t: Translator, *, max_units: int = 5) -> list[str]:
    total = stats.total
    lines = [
        t(
            "rep-stats-title",
            year=stats.year,
            people=total.people,
            complete=total.complete,
            share=percent(total.share_complete),
        ),
        t(
            "rep-stats-hours",
            mandatory=format_hours(total.public_mandatory_hours),
            electives=format_hours(total.public_elective_hours),
            verified=format_hours(total.professional_verified_hours),
            pending=format_hours(total.professional_pending_hours),
        ),
    ]
    for c in stats.cities:
        lines.append(
            t(
                "rep-stats-city",
                city=c.city or t("rep-no-unit"),
                people=c.tally.people,
                complete=c.tally.complete,
                share=percent(c.tally.share_complete),
                claims=c.pending_claims,
            )
        )
    lines.append(t("rep-stats-pending", claims=stats.pending_claims))
    top = sorted((u for u in stats.units if u.pending_claims), key=lambda u: -u.pending_claims)
    for u in top[:max_units]:
        lines.append(t("rep-stats-pending-unit", unit=u.name, code=u.code, claims=u.pending_claims))
    lines.append(t("rep-stats-idle", count=len(stats.idle_units), days=stats.stale_days))
    for i in stats.idle_units[:max_units]:
        lines.append(
            t(
                "rep-stats-idle-unit",
                unit=i.name,
                claims=i.stale_claims,
                since=local_time(i.oldest_pending)[:10],
                reviewers=t("rep-list-sep").join(i.reviewers) or t("rep-no-reviewer"),
            )
        )
    return lines


def unit_summary_lines(report: UnitReport, t: Translator, *, most: int = 5) -> list[str]:
    members = len(report.members)
    complete = report.complete_count
    lines = [
        t(
            "rep-unit-summary",
            unit=report.unit_name,
            year=report.year,
            members=members,
            complete=complete,
            share=percent(Fraction(complete, members) if members else ZERO),
            mandatory=report.mandatory_done_count,
            pending=format_hours(report.pending_hours),
        )
    ]
    needing = report.still_needed()
    if not members:
        lines.append(t("rep-unit-empty"))
    elif not needing:
        lines.append(t("rep-unit-all-done"))
    else:
        lines.append(t("rep-unit-missing-most", count=len(needing)))
        for m in needing[:most]:
            lines.append(t("rep-needed-line", name=m.name, missing=missing_text(t, m)))
    return lines
