"""Reminder campaigns and broadcasts: choose the audience with one set-based query and queue
one outbox row per account; render each message when it is sent; report on a campaign.

Each campaign's audience is ONE `INSERT INTO outbox … SELECT …` (no loop over people), so a
province of a million people is queued in seconds. A row's payload holds only the kind and the
person's numbers (hours in half-hour units, attempts left); the text is rendered at send time
in the account's language, so no text is stored a million times and a changed translation
applies to queued rows too.

Idempotent twice over: the campaign key is unique ("public:2024:d7"), and (campaign_id,
account_id) is unique in the outbox, so running a day again queues nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.hours import format_hours, from_half_units, to_half_units
from core.idnumber import contains_id_number
from core.reminders import DueCampaign, ReminderKind, due_campaigns, next_send_time
from core.rules import COUNTING_STATUSES, Policy, RecordStatus, Subject
from services.audit import audit
from services.context import AppContext
from services.i18n import LANGUAGES, translator
from services.notify import NOTICE, render_notice
from storage.models import Account, Campaign, OutboxMessage, Unit
from storage.types import UTCDateTime

SHANGHAI = "Asia/Shanghai"
# the channels the outbox sends to (bot.channels); console accounts get nothing
DEFAULT_CHANNELS = ("telegram", "wechat")
BROADCAST = "broadcast"
# Button under a reviewer reminder: opens the unit's review queue (handled by the bot's router).
REVIEW_QUEUE_CALLBACK = "rv:queue"


class OutboxStatus(StrEnum):
    QUEUED = "queued"  # waiting for its time
    CLAIMED = "claimed"  # taken by the sender, not yet attempted: safe to requeue on restart
    SENDING = "sending"  # the call to Telegram may have started
    SENT = "sent"
    FAILED = "failed"  # permanent error or too many transient ones
    UNREACHABLE = "unreachable"  # the user blocked the bot; dropped
    UNKNOWN = "unknown"  # was "sending" when the sender died: maybe delivered, never resent
    EXPIRED = "expired"  # its deadline passed before it could be sent


class AudienceStatus(StrEnum):
    ALL = "all"
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    # the year's mandatory public course and exam not passed (the public reminders' audience)
    PUBLIC_INCOMPLETE = "public_incomplete"


@dataclass(frozen=True, slots=True)
class BroadcastFilter:
    city: str | None = None
    unit_code: str | None = None
    status: AudienceStatus = AudienceStatus.ALL
    year: int | None = None  # the year `status` refers to; None = the current study year

    def as_json(self) -> dict[str, Any]:
        return {
            "city": self.city,
            "unit": self.unit_code,
            "status": self.status.value,
            "year": self.year,
        }


@dataclass(frozen=True, slots=True)
class CampaignResult:
    key: str
    campaign_id: int
    created: bool  # False: the key existed, nothing was queued now
    queued: int


@dataclass(frozen=True, slots=True)
class CampaignReport:
    key: str
    kind: str
    created_at: datetime
    queued: int
    counts: Mapping[str, int]
    first_sent_at: datetime | None
    last_sent_at: datetime | None
    pending: int  # queued + claimed + sending, still in the pipeline

    def count(self, status: OutboxStatus | str) -> int:
        return int(self.counts.get(str(status), 0))

    @property
    def sent(self) -> int:
        return self.count(OutboxStatus.SENT)

    @property
    def failed(self) -> int:
        return self.count(OutboxStatus.FAILED)

    @property
    def unreachable(self) -> int:
        return self.count(OutboxStatus.UNREACHABLE)

    @property
    def unknown(self) -> int:
        return self.count(OutboxStatus.UNKNOWN)

    @property
    def duration(self) -> timedelta | None:
        """From queueing to the last message sent (None before the first is sent)."""
        return None if self.last_sent_at is None else self.last_sent_at - self.created_at

    def as_json(self) -> dict[str, Any]:
        d = self.duration
        return {
            "key": self.key,
            "kind": self.kind,
            "queued": self.queued,
            "sent": self.sent,
            "failed": self.failed,
            "unreachable": self.unreachable,
            "unknown": self.unknown,
            "expired": self.count(OutboxStatus.EXPIRED),
            "pending": self.pending,
            "duration_seconds": None if d is None else round(d.total_seconds(), 1),
        }


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    text: str
    buttons: list[tuple[str, str]] | None = None
    expired: bool = False


@dataclass(frozen=True, slots=True)
class _Audience:
    """`cte` defines `aud(account_id, …)`; `payload` is a JSON expression over aud's columns."""

    cte: str
    payload: str
    params: dict[str, Any] = field(default_factory=dict)


class CampaignError(ValueError):
    """reason: no_policy | empty_text | id_number | unknown_campaign."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Telegram refuses a message longer than 4096 characters, counted in UTF-16 code units
TELEGRAM_MESSAGE_LIMIT = 4096


class BroadcastTooLong(CampaignError):
    """The notice, as the sender renders it in some language, is longer than Telegram takes."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__("too_long")
        self.length = length
        self.limit = limit


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_broadcast_text(message: str) -> str:
    """The notice's text, stripped, or CampaignError: empty, or too long for one Telegram
    message once the sender has put its heading in front (in every language). The bot's
    broadcast flow and `cebot broadcast` both ask here before anything is queued."""
    message = message.strip()
    if not message:
        raise CampaignError("empty_text")
    heading = max(
        _utf16_length(translator(lang)("reminder-broadcast", message="")) for lang in LANGUAGES
    )
    limit = TELEGRAM_MESSAGE_LIMIT - heading
    length = _utf16_length(message)
    if length > limit:
        raise BroadcastTooLong(length, limit)
    return message


# --------------------------------------------------------------------------- SQL building


def _counting_sql() -> str:
    return ", ".join(f"'{s.value}'" for s in sorted(COUNTING_STATUSES))


def _json_object(dialect: str, pairs: Sequence[tuple[str, str]]) -> str:
    """A JSON object built in SQL from (key, SQL expression) pairs."""
    fn = "json_build_object" if dialect == "postgresql" else "json_object"
    return f"{fn}(" + ", ".join(f"'{k}', {expr}" for k, expr in pairs) + ")"


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _account_filter(*, optional: bool) -> str:
    # unreachable accounts (blocked the bot) get nothing; muted ones no optional reminder
    sql = "a.unreachable_at IS NULL AND a.channel IN :channels"
    return sql + (" AND NOT a.muted_optional" if optional else "")


def _evaluation_cte(policy: Policy) -> str:
    """`ev(person_id, pub, verified, pending, needed)` in half-hour units, for every person
    with hours in the year, the same arithmetic as core.rules.evaluate_year (integers only):
    public hours capped at the policy's amounts, needed = max(0, min_total - public -
    verified, ceil(share * public / (1 - share)) - verified)."""
    counting = _counting_sql()
    mand = to_half_units(policy.mandatory_hours)
    elec = to_half_units(policy.elective_hours)
    min_total = to_half_units(policy.min_total_hours)
    n, d = policy.professional_share.numerator, policy.professional_share.denominator
    k = d - n  # share / (1 - share) = n / (d - n)
    return f"""
    sums AS (
      SELECT person_id,
        SUM(CASE WHEN subject = '{Subject.PUBLIC_MANDATORY.value}' AND status IN ({counting})
                 THEN hours ELSE 0 END) AS pm,
        SUM(CASE WHEN subject = '{Subject.PUBLIC_ELECTIVE.value}' AND status IN ({counting})
                 THEN hours ELSE 0 END) AS pe,
        SUM(CASE WHEN subject = '{Subject.PROFESSIONAL.value}' AND status IN ({counting})
                 THEN hours ELSE 0 END) AS v,
        SUM(CASE WHEN subject = '{Subject.PROFESSIONAL.value}'
                  AND status = '{RecordStatus.PENDING.value}' THEN hours ELSE 0 END) AS pend
      FROM hour_records WHERE year = :year GROUP BY person_id
    ),
    capped AS (
      SELECT person_id, v, pend,
        (CASE WHEN pm > {mand} THEN {mand} ELSE pm END)
        + (CASE WHEN pe > {elec} THEN {elec} ELSE pe END) AS pub
      FROM sums
    ),
    ev AS (
      SELECT person_id, pub, v AS verified, pend AS pending,
        CASE WHEN {min_total} - pub - v >= ({n} * pub + {k - 1}) / {k} - v
             THEN {min_total} - pub - v ELSE ({n} * pub + {k - 1}) / {k} - v END AS short
      FROM capped
    )"""


def _needed_expr(policy: Policy) -> str:
    """Half-hours still needed for a person joined as `ev` (LEFT JOIN: no hours at all)."""
    min_total = to_half_units(policy.min_total_hours)
    return (
        f"(CASE WHEN ev.person_id IS NULL THEN {min_total}"
        " WHEN ev.short > 0 THEN ev.short ELSE 0 END)"
    )


def _public_audience(dialect: str, due: DueCampaign, policy: Policy) -> _Audience:
    counting = _counting_sql()
    cte = f"""
    aud AS (
      SELECT a.id AS account_id,
        {policy.exam.attempts} + COALESCE(g.extra, 0) - COALESCE(x.used, 0) AS attempts_left,
        CASE WHEN cp.person_id IS NULL THEN 0 ELSE 1 END AS course_done
      FROM accounts a
      LEFT JOIN (SELECT person_id, SUM(extra_attempts) AS extra FROM exam_grants
                 WHERE year = :year GROUP BY person_id) g ON g.person_id = a.person_id
      LEFT JOIN (SELECT person_id, COUNT(*) AS used FROM exam_attempts
                 WHERE year = :year GROUP BY person_id) x ON x.person_id = a.person_id
      LEFT JOIN (SELECT DISTINCT p.person_id FROM course_progress p
                 JOIN courses c ON c.id = p.course_id
                 WHERE c.year = :year AND c.kind = 'mandatory' AND p.completed_at IS NOT NULL
                ) cp ON cp.person_id = a.person_id
      WHERE a.person_id IS NOT NULL AND {_account_filter(optional=not due.final)}
        AND NOT EXISTS (
          SELECT 1 FROM hour_records h
          WHERE h.person_id = a.person_id AND h.year = :year
            AND h.subject = '{Subject.PUBLIC_MANDATORY.value}' AND h.status IN ({counting}))
    )"""
    payload = _json_object(
        dialect,
        [
            *_common_pairs(due),
            # every attempt started counts (core.exam.attempts_left); never below zero
            ("attempts_left", "CASE WHEN aud.attempts_left > 0 THEN aud.attempts_left ELSE 0 END"),
            ("course_done", "aud.course_done"),
        ],
    )
    return _Audience(cte, payload)


def _professional_audience(dialect: str, due: DueCampaign, policy: Policy) -> _Audience:
    needed = _needed_expr(policy)
    cte = f"""{_evaluation_cte(policy)},
    aud AS (
      SELECT a.id AS account_id, {needed} AS needed, COALESCE(ev.pending, 0) AS pending
      FROM accounts a LEFT JOIN ev ON ev.person_id = a.person_id
      WHERE a.person_id IS NOT NULL AND {_account_filter(optional=not due.final)}
        AND {needed} > 0
    )"""
    payload = _json_object(
        dialect, [*_common_pairs(due), ("needed", "aud.needed"), ("pending", "aud.pending")]
    )
    return _Audience(cte, payload)


def _reviewer_audience(dialect: str, due: DueCampaign) -> _Audience:
    # one row per account even when it reviews several units: the counts are added up
    cte = f"""
    aud AS (
      SELECT r.account_id AS account_id, SUM(q.cnt) AS claims
      FROM roles r
      JOIN accounts a ON a.id = r.account_id
      JOIN (SELECT unit_id, COUNT(*) AS cnt FROM hour_records
            WHERE year = :year AND subject = '{Subject.PROFESSIONAL.value}'
              AND status = '{RecordStatus.PENDING.value}' AND unit_id IS NOT NULL
            GROUP BY unit_id) q ON q.unit_id = r.unit_id
      WHERE r.role = 'reviewer' AND r.revoked_at IS NULL
        AND {_account_filter(optional=not due.final)}
      GROUP BY r.account_id
    )"""
    payload = _json_object(dialect, [*_common_pairs(due), ("claims", "aud.claims")])
    return _Audience(cte, payload)


def _common_pairs(due: DueCampaign) -> list[tuple[str, str]]:
    return [
        ("kind", _sql_str(due.kind.value)),
        ("year", str(int(due.year))),
        ("deadline", _sql_str(due.deadline.isoformat())),
        ("final", "1" if due.final else "0"),
    ]


def _public_missing_sql() -> str:
    """True for an account (`a`) whose person has no counting mandatory public hours in :year."""
    return f"""NOT EXISTS (
          SELECT 1 FROM hour_records h
          WHERE h.person_id = a.person_id AND h.year = :year
            AND h.subject = '{Subject.PUBLIC_MANDATORY.value}'
            AND h.status IN ({_counting_sql()}))"""


def _broadcast_audience(dialect: str, flt: BroadcastFilter, policy: Policy | None) -> _Audience:
    where = ["a.person_id IS NOT NULL", _account_filter(optional=False)]
    params: dict[str, Any] = {}
    joins = ""
    if flt.city is not None or flt.unit_code is not None:
        joins += " JOIN people p ON p.id = a.person_id JOIN units u ON u.id = p.unit_id"
    if flt.city is not None:
        where.append("u.city = :city")
        params["city"] = flt.city
    if flt.unit_code is not None:
        where.append("u.code = :unit_code")
        params["unit_code"] = flt.unit_code
    ctes = ""
    if flt.status is AudienceStatus.PUBLIC_INCOMPLETE:
        if policy is None:
            raise CampaignError("no_policy")
        where.append(_public_missing_sql())
        params["year"] = policy.year
    elif flt.status is not AudienceStatus.ALL:
        if policy is None:
            raise CampaignError("no_policy")
        ctes = _evaluation_cte(policy) + ","
        joins += " LEFT JOIN ev ON ev.person_id = a.person_id"
        op = "=" if flt.status is AudienceStatus.COMPLETE else ">"
        where.append(f"{_needed_expr(policy)} {op} 0")
        params["year"] = policy.year
    cte = f"""{ctes}
    aud AS (SELECT a.id AS account_id FROM accounts a {joins} WHERE {" AND ".join(where)})"""
    # the text itself is kept once, in the campaign; the row only says where to find it
    return _Audience(cte, _json_object(dialect, [("kind", _sql_str(BROADCAST))]), params)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _bind(sql: str, params: Mapping[str, Any]) -> Any:
    stmt = text(sql).bindparams(bindparam("channels", expanding=True))
    for name in ("not_before", "now"):
        if f":{name}" in sql:
            stmt = stmt.bindparams(bindparam(name, type_=UTCDateTime()))
    return stmt


async def _insert_campaign(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    year: int | None,
    audience: dict[str, Any],
    actor: str,
    now: datetime,
) -> tuple[int, bool]:
    """The campaign's id and whether it was created now (False: the key already existed)."""
    dialect = _dialect(session)
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = {
        "key": key,
        "kind": kind,
        "year": year,
        "audience": audience,
        "created_by": actor,
        "created_at": now,
        "queued": 0,
    }
    stmt = insert(Campaign).values(**values).on_conflict_do_nothing(index_elements=["key"])
    new_id = (await session.execute(stmt.returning(Campaign.id))).scalar_one_or_none()
    if new_id is not None:
        return int(new_id), True
    existing = await session.scalar(select(Campaign.id).where(Campaign.key == key))
    assert existing is not None
    return int(existing), False


async def _queue(
    session: AsyncSession,
    campaign_id: int,
    audience: _Audience,
    *,
    optional: bool,
    channels: Sequence[str],
    not_before: datetime,
    now: datetime,
    year: int | None,
) -> int:
    # SQLite needs the WHERE before ON CONFLICT to parse INSERT … SELECT … ON CONFLICT
    # INSERT first, WITH inside: Python's sqlite3 reports rowcount only for statements that
    # start with INSERT/UPDATE/DELETE. No ON CONFLICT: the campaign was created in this very
    # transaction and each audience yields an account once, so the unique (campaign_id,
    # account_id) cannot be hit, and a speculative insert per row is slower.
    sql = f"""INSERT INTO outbox (campaign_id, account_id, payload, optional, status, attempts,
                        not_before, created_at)
    WITH {audience.cte}
    SELECT :campaign_id, aud.account_id, {audience.payload}, :optional,
           '{OutboxStatus.QUEUED.value}', 0, :not_before, :now
    FROM aud"""
    params = {
        **audience.params,
        "campaign_id": campaign_id,
        "optional": optional,
        "channels": list(channels),
        "not_before": not_before,
        "now": now,
    }
    if year is not None:
        params.setdefault("year", year)
    result = await session.execute(_bind(sql, params), params)
    return int(getattr(result, "rowcount", 0) or 0)


def _send_from(ctx: AppContext, now: datetime) -> datetime:
    policy = ctx.policies.latest_until(ctx.today().year)
    if policy is None:
        return now
    return next_send_time(policy.send_from, policy.send_until, now, policy.timezone)


# --------------------------------------------------------------------------- reminders


async def queue_campaign(
    ctx: AppContext,
    due: DueCampaign,
    *,
    actor: str = "scheduler",
    channels: Sequence[str] = DEFAULT_CHANNELS,
) -> CampaignResult:
    """Create one reminder campaign and queue its audience, in one transaction."""
    policy = ctx.policies.get(due.year)
    if policy is None:
        raise CampaignError("no_policy")
    now = ctx.now()
    async with ctx.db.transaction() as session:
        dialect = _dialect(session)
        campaign_id, created = await _insert_campaign(
            session,
            key=due.key,
            kind=due.kind.value,
            year=due.year,
            audience={"days_before": due.days_before, "final": due.final},
            actor=actor,
            now=now,
        )
        if not created:
            return CampaignResult(due.key, campaign_id, False, 0)
        if due.kind is ReminderKind.PUBLIC:
            audience = _public_audience(dialect, due, policy)
        elif due.kind is ReminderKind.PROFESSIONAL:
            audience = _professional_audience(dialect, due, policy)
        else:
            audience = _reviewer_audience(dialect, due)
        queued = await _queue(
            session,
            campaign_id,
            audience,
            optional=not due.final,
            channels=channels,
            not_before=_send_from(ctx, now),
            now=now,
            year=due.year,
        )
        await session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(queued=queued)
        )
        audit(
            session,
            at=now,
            actor=actor,
            action="campaign.queue",
            entity="campaign",
            entity_id=campaign_id,
            data={"key": due.key, "queued": queued},
        )
    return CampaignResult(due.key, campaign_id, True, queued)


async def run_due(
    ctx: AppContext,
    today: date | None = None,
    *,
    actor: str = "scheduler",
    channels: Sequence[str] = DEFAULT_CHANNELS,
) -> list[CampaignResult]:
    """Queue every reminder campaign due on `today` (default: today in Shanghai)."""
    day = today or ctx.today()
    return [
        await queue_campaign(ctx, due, actor=actor, channels=channels)
        for due in due_campaigns(ctx.policies.values(), day)
    ]


# --------------------------------------------------------------------------- broadcasts


def _status_policy(ctx: AppContext, flt: BroadcastFilter) -> Policy | None:
    """The year `status` refers to: the given one, else the oldest year whose professional
    hours can still be verified (in January–March that is last year), else the newest."""
    if flt.status is AudienceStatus.ALL:
        return None
    if flt.year is not None:
        return ctx.policies.get(flt.year)
    today = ctx.today()
    if flt.status is AudienceStatus.PUBLIC_INCOMPLETE:
        # the public subjects of this calendar year (a person may make up an earlier year,
        # but the current one is what a notice about the exam is about)
        return ctx.policies.get(today.year) or ctx.policies.latest_until(today.year)
    open_years = sorted(
        y for y, p in ctx.policies.items() if date(y, 1, 1) <= today <= p.verification_deadline
    )
    if open_years:
        return ctx.policies[open_years[0]]
    return ctx.policies.latest_until(today.year)


async def broadcast_cities(ctx: AppContext, query: str = "", limit: int = 20) -> list[str]:
    """Cities of the units, for choosing a broadcast's audience: all of them, or those whose
    name contains `query`."""
    async with ctx.db.transaction() as session:
        stmt = select(Unit.city).distinct().order_by(Unit.city).limit(limit)
        text_ = query.strip().replace("%", "").replace("_", "")
        if text_:
            stmt = stmt.where(Unit.city.like(f"%{text_}%"))
        return [str(c) for c in await session.scalars(stmt) if c]


def status_year(ctx: AppContext, flt: BroadcastFilter) -> int | None:
    """The year a broadcast filter's `status` refers to (None: `all`, or no such policy)."""
    policy = _status_policy(ctx, flt)
    return None if policy is None else policy.year


async def preview_broadcast(
    ctx: AppContext, flt: BroadcastFilter, *, channels: Sequence[str] = DEFAULT_CHANNELS
) -> int:
    """How many accounts a broadcast with this filter would reach now."""
    async with ctx.db.transaction() as session:
        audience = _broadcast_audience(_dialect(session), flt, _status_policy(ctx, flt))
        sql = f"WITH {audience.cte} SELECT COUNT(*) FROM aud"
        params = {**audience.params, "channels": list(channels)}
        return int((await session.execute(_bind(sql, params), params)).scalar_one())


async def queue_broadcast(
    ctx: AppContext,
    message: str,
    flt: BroadcastFilter,
    *,
    actor: str,
    key: str | None = None,
    channels: Sequence[str] = DEFAULT_CHANNELS,
) -> CampaignResult:
    """Queue an administrator's notice. Broadcasts are notices, not reminders: a mute of
    optional reminders does not hold them back. `key` (default: from the text, filter and
    minute) makes a double confirmation queue it once."""
    message = check_broadcast_text(message)
    if contains_id_number(message):
        # a notice to many never carries an ID number, however it is written
        raise CampaignError("id_number")
    policy = _status_policy(ctx, flt)
    now = ctx.now()
    audience_json = {**flt.as_json(), "year": policy.year if policy else flt.year}
    if key is None:
        digest = hashlib.sha256(
            repr((message, sorted(audience_json.items(), key=str))).encode()
        ).hexdigest()[:12]
        key = f"{BROADCAST}:{now:%Y%m%d%H%M}:{digest}"
    async with ctx.db.transaction() as session:
        audience = _broadcast_audience(_dialect(session), flt, policy)
        campaign_id, created = await _insert_campaign(
            session,
            key=key,
            kind=BROADCAST,
            year=policy.year if policy else None,
            audience={**audience_json, "message": message},
            actor=actor,
            now=now,
        )
        if not created:
            return CampaignResult(key, campaign_id, False, 0)
        queued = await _queue(
            session,
            campaign_id,
            audience,
            optional=False,
            channels=channels,
            not_before=_send_from(ctx, now),
            now=now,
            year=policy.year if policy else None,
        )
        await session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(queued=queued)
        )
        audit(
            session,
            at=now,
            actor=actor,
            action="broadcast.queue",
            entity="campaign",
            entity_id=campaign_id,
            data={"key": key, "queued": queued, "filter": audience_json},
        )
    return CampaignResult(key, campaign_id, True, queued)


# --------------------------------------------------------------------------- reports


async def campaign_report(ctx: AppContext, key: str) -> CampaignReport:
    async with ctx.db.transaction() as session:
        campaign = await session.scalar(select(Campaign).where(Campaign.key == key))
        if campaign is None:
            raise CampaignError("unknown_campaign")
        rows = await session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.campaign_id == campaign.id)
            .group_by(OutboxMessage.status)
        )
        counts = {str(status): int(n) for status, n in rows}
        first, last = (
            await session.execute(
                select(func.min(OutboxMessage.sent_at), func.max(OutboxMessage.sent_at)).where(
                    OutboxMessage.campaign_id == campaign.id
                )
            )
        ).one()
    utc = UTCDateTime()
    pending = sum(
        counts.get(s.value, 0)
        for s in (OutboxStatus.QUEUED, OutboxStatus.CLAIMED, OutboxStatus.SENDING)
    )
    return CampaignReport(
        key=campaign.key,
        kind=campaign.kind,
        created_at=campaign.created_at,
        queued=campaign.queued,
        counts=counts,
        # aggregates bypass the column type, so SQLite hands back naive text-parsed values
        first_sent_at=utc.process_result_value(_as_datetime(first), None),  # type: ignore[arg-type]
        last_sent_at=utc.process_result_value(_as_datetime(last), None),  # type: ignore[arg-type]
        pending=pending,
    )


async def recent_campaigns(ctx: AppContext, limit: int = 8) -> list[CampaignReport]:
    """The newest campaigns (reminders and broadcasts alike), newest first, each with its
    counts: three queries whatever the limit, not one report per campaign."""
    async with ctx.db.transaction() as session:
        campaigns = list(
            await session.scalars(
                select(Campaign)
                .order_by(Campaign.created_at.desc(), Campaign.id.desc())
                .limit(limit)
            )
        )
        ids = [c.id for c in campaigns]
        if not ids:
            return []
        counts: dict[int, dict[str, int]] = {i: {} for i in ids}
        rows = await session.execute(
            select(OutboxMessage.campaign_id, OutboxMessage.status, func.count())
            .where(OutboxMessage.campaign_id.in_(ids))
            .group_by(OutboxMessage.campaign_id, OutboxMessage.status)
        )
        for cid, status, n in rows:
            counts[int(cid)][str(status)] = int(n)
        times = {
            int(cid): (first, last)
            for cid, first, last in await session.execute(
                select(
                    OutboxMessage.campaign_id,
                    func.min(OutboxMessage.sent_at),
                    func.max(OutboxMessage.sent_at),
                )
                .where(OutboxMessage.campaign_id.in_(ids))
                .group_by(OutboxMessage.campaign_id)
            )
        }
    utc = UTCDateTime()
    reports = []
    for c in campaigns:
        first, last = times.get(c.id, (None, None))
        pending = sum(
            counts[c.id].get(s.value, 0)
            for s in (OutboxStatus.QUEUED, OutboxStatus.CLAIMED, OutboxStatus.SENDING)
        )
        reports.append(
            CampaignReport(
                key=c.key,
                kind=c.kind,
                created_at=c.created_at,
                queued=c.queued,
                counts=counts[c.id],
                first_sent_at=utc.process_result_value(_as_datetime(first), None),  # type: ignore[arg-type]
                last_sent_at=utc.process_result_value(_as_datetime(last), None),  # type: ignore[arg-type]
                pending=pending,
            )
        )
    return reports


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


# --------------------------------------------------------------------------- settings


async def set_optional_muted(ctx: AppContext, account_id: int, muted: bool, *, actor: str) -> bool:
    """Mute (or unmute) an account's optional reminders. The final reminder of each deadline
    (core.reminders: the fewest days before it) and broadcasts still reach a muted account.
    True when the setting changed."""
    async with ctx.db.transaction() as session:
        account = await session.get(Account, account_id)
        if account is None or bool(account.muted_optional) == muted:
            return False
        account.muted_optional = muted
        audit(
            session,
            at=ctx.now(),
            actor=actor,
            action="account.mute_optional" if muted else "account.unmute_optional",
            entity="account",
            entity_id=account_id,
        )
    return True


# --------------------------------------------------------------------------- rendering


def render_message(
    payload: Mapping[str, Any],
    language: str,
    today: date,
    campaign_audience: Mapping[str, Any] | None = None,
) -> RenderedMessage:
    """The text (and buttons) of one outbox row, in the account's language, with the days
    left counted on the day it is sent."""
    t = translator(language)
    kind = str(payload.get("kind"))
    if kind == NOTICE:  # a one-off message to one person (services.notify)
        text, notice_buttons = render_notice(payload, language)
        return RenderedMessage(text, notice_buttons or None)
    if kind == BROADCAST:
        body = str((campaign_audience or {}).get("message", ""))
        return RenderedMessage(t("reminder-broadcast", message=body))
    deadline = date.fromisoformat(str(payload["deadline"]))
    left = (deadline - today).days
    if left < 0:
        return RenderedMessage("", expired=True)
    year = int(payload["year"])
    common = {"year": year, "days": left, "deadline": deadline.isoformat()}
    lines = [t("reminder-final" if payload.get("final") else "reminder-title", **common)]
    buttons: list[tuple[str, str]] | None = None
    if kind == ReminderKind.PUBLIC.value:
        step = "reminder-public-exam" if payload.get("course_done") else "reminder-public-course"
        lines.append(t(step, **common))
        lines.append(t("reminder-public-attempts", attempts=int(payload.get("attempts_left", 0))))
    elif kind == ReminderKind.PROFESSIONAL.value:
        needed = format_hours(from_half_units(int(payload.get("needed", 0))))
        pending = int(payload.get("pending", 0))
        lines.append(t("reminder-professional-needed", needed=needed, **common))
        if pending:
            lines.append(
                t("reminder-professional-pending", pending=format_hours(from_half_units(pending)))
            )
    elif kind == ReminderKind.REVIEWER.value:
        lines.append(t("reminder-reviewer-claims", claims=int(payload.get("claims", 0)), **common))
        buttons = [(t("reminder-open-queue"), REVIEW_QUEUE_CALLBACK)]
    lines.append(t("reminder-days-left", **common))
    return RenderedMessage("\n".join(lines), buttons)
