"""People and roles, for administrators: find a person, move them to another unit, remove an
account's binding, grant and withdraw staff roles, reopen a decided claim, read the audit log.

Who may: `by` is the acting account, which must hold a live admin role, checked again on every
call (a button may be stale or forged); `by=None` is the operator on the server (`cebot`),
who may do everything. Every change is audited in its own transaction, with the person told
through the outbox in that same transaction. Refusals are AdminRefused, whose reason names
message key adm-refused-<reason> (admin.ftl); a reopened claim's refusals stay the claims'
ClaimRefused (claim-refused-<reason>).

A person's hour records keep the unit they were registered in (`hour_records.unit_id`): moving a
person changes where new claims go, never the history; a pending claim is still decided by the
unit it was claimed in (services.claims.decide).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import String, and_, cast, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.idnumber import (
    InvalidIdNumber,
    mask_id_numbers,
    parse_id_number,
)
from core.rules import RecordStatus
from core.uscc import normalize_unit_code
from services.audit import audit
from services.certificates import CertificateView, recheck_certificates
from services.claims import (
    ORIGIN_CLAIM,
    ClaimRefused,
    ClaimView,
    LostRace,
    list_claims,
    reopen_decision,
    reopen_record,
)
from services.context import AppContext
from services.i18n import Translator
from services.notify import accounts_of_person, queue_notice
from services.onboarding import account_bound_to, person_by_hash
from services.policies import SHANGHAI
from services.privacy import record_access
from storage.db import RACES, ScopeConflict, SessionScope
from storage.models import Account, AuditEntry, Certificate, HourRecord, Person, Role, Unit

T = TypeVar("T")
log = logging.getLogger(__name__)

CLI_ACTOR = "cli"
RETRIES = 5
# Roles an administrator grants here (invitations cover reviewer, organiser and admin too).
GRANTABLE_ROLES = ("reviewer", "organiser", "admin", "auditor")
MAX_REASON = 500
MAX_SOURCE = 100
SEARCH_LIMIT = 8
AUDIT_LIMIT = 200


class AdminRefused(Exception):
    """A refusal the user is told about; `reason` names message key adm-refused-<reason>:
    not_admin, not_found, account_not_found, unknown_unit, same_unit, not_bound, role,
    role_needs_unit, role_needs_source, last_admin, reason_required, reason_too_long, busy."""

    def __init__(self, reason: str, **args: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.args_ = args


class RaceLost(Exception):
    """A conditional UPDATE changed nothing: start again and answer from the new state."""


# ------------------------------------------------------------------ transactions, authority


async def in_transaction(
    ctx: AppContext,
    job: Callable[[AppContext, AsyncSession], Awaitable[T]],
    busy: Callable[[], Exception],
) -> T:
    """Run `job(ctx joined to the session, session)` in one transaction, so that the services
    it calls (claims, certificates) join it. On its own it retries a lost race; inside a chat
    turn the race becomes ScopeConflict and the engine runs the whole turn again."""
    if isinstance(ctx.db, SessionScope):
        try:
            async with ctx.db.transaction() as session:
                return await job(ctx, session)
        except (RaceLost, LostRace) as exc:
            raise ScopeConflict(type(exc).__name__) from exc
    for attempt in range(RETRIES):
        try:
            async with ctx.db.transaction() as session:
                return await job(ctx.within(session), session)
        except (*RACES, ScopeConflict, RaceLost, LostRace) as exc:
            log.debug("admin transaction lost a race (%s), try %d", type(exc).__name__, attempt)
    raise busy()


def account_actor(by: int | None) -> str:
    return CLI_ACTOR if by is None else f"account:{by}"


async def has_role(session: AsyncSession, account_id: int, role: str) -> bool:
    found = await session.scalar(
        select(Role.id)
        .where(Role.account_id == account_id, Role.role == role, Role.revoked_at.is_(None))
        .limit(1)
    )
    return found is not None


async def require_admin(session: AsyncSession, by: int | None) -> str:
    """The actor string of an administrator (or the operator); AdminRefused otherwise."""
    if by is not None and not await has_role(session, by, "admin"):
        raise AdminRefused("not_admin")
    return account_actor(by)


async def is_admin(ctx: AppContext, account_id: int) -> bool:
    async with ctx.db.transaction() as session:
        return await has_role(session, account_id, "admin")


def scrub(text: str | None) -> str | None:
    """Free text for the audit log and messages: anything shaped like an ID number masked."""
    if text is None:
        return None
    return mask_id_numbers(text)


def clean_reason(reason: str | None, *, required: bool) -> str | None:
    text = " ".join((reason or "").split())
    if required and not text:
        raise AdminRefused("reason_required")
    if len(text) > MAX_REASON:
        raise AdminRefused("reason_too_long", max=MAX_REASON)
    return scrub(text) or None


async def resolve_unit(session: AsyncSession, unit: str | int) -> Unit:
    if isinstance(unit, int):
        found = await session.get(Unit, unit)
    else:
        found = await session.scalar(select(Unit).where(Unit.code == normalize_unit_code(unit)))
    if found is None:
        raise AdminRefused("unknown_unit", code=str(unit))
    return found


# ------------------------------------------------------------------ views


@dataclass(frozen=True, slots=True)
class RoleView:
    id: int
    account_id: int
    account_name: str | None
    person_name: str | None
    person_masked: str | None
    role: str
    unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    source: str | None
    granted_at: datetime
    granted_by: str
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class PersonHit:
    person_id: int
    name: str
    id_masked: str
    unit_name: str | None


@dataclass(frozen=True, slots=True)
class PersonCard:
    person_id: int
    name: str
    id_masked: str
    unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    unit_confirmed: bool
    account_id: int | None  # the account bound to the person
    account_name: str | None
    roles: tuple[RoleView, ...]  # live roles of that account


@dataclass(frozen=True, slots=True)
class AccountCard:
    account_id: int
    channel: str
    display_name: str | None
    person_id: int | None
    person_name: str | None
    person_masked: str | None
    roles: tuple[RoleView, ...]


async def _role_views(session: AsyncSession, roles: Sequence[Role]) -> list[RoleView]:
    account_ids = {r.account_id for r in roles}
    unit_ids = {r.unit_id for r in roles if r.unit_id is not None}
    accounts = {
        a.id: a for a in await session.scalars(select(Account).where(Account.id.in_(account_ids)))
    }
    person_ids = {a.person_id for a in accounts.values() if a.person_id is not None}
    people = {
        p.id: p for p in await session.scalars(select(Person).where(Person.id.in_(person_ids)))
    }
    units = {u.id: u for u in await session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
    views = []
    for r in roles:
        account = accounts.get(r.account_id)
        person = people.get(account.person_id) if account and account.person_id else None
        unit = units.get(r.unit_id) if r.unit_id is not None else None
        views.append(
            RoleView(
                id=r.id,
                account_id=r.account_id,
                account_name=account.display_name if account else None,
                person_name=person.name if person else None,
                person_masked=person.id_masked if person else None,
                role=r.role,
                unit_id=r.unit_id,
                unit_code=unit.code if unit else None,
                unit_name=unit.name if unit else None,
                source=r.source,
                granted_at=r.granted_at,
                granted_by=r.granted_by,
                revoked_at=r.revoked_at,
            )
        )
    return views


async def _live_roles(session: AsyncSession, account_id: int) -> list[RoleView]:
    roles = (
        await session.scalars(
            select(Role)
            .where(Role.account_id == account_id, Role.revoked_at.is_(None))
            .order_by(Role.id)
        )
    ).all()
    return await _role_views(session, roles)


async def _card(session: AsyncSession, person: Person) -> PersonCard:
    unit = await session.get(Unit, person.unit_id) if person.unit_id else None
    account = await account_bound_to(session, person.id)
    roles = await _live_roles(session, account.id) if account else []
    return PersonCard(
        person_id=person.id,
        name=person.name,
        id_masked=person.id_masked,
        unit_id=person.unit_id,
        unit_code=unit.code if unit else None,
        unit_name=unit.name if unit else None,
        unit_confirmed=person.unit_confirmed,
        account_id=account.id if account else None,
        account_name=account.display_name if account else None,
        roles=tuple(roles),
    )


# ------------------------------------------------------------------ finding people


_TAIL = re.compile(r"^[0-9]{3}[0-9Xx]$")


def _like(text: str) -> str:
    return "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"


async def find_people(
    ctx: AppContext, by: int | None, query: str, *, limit: int = SEARCH_LIMIT
) -> list[PersonHit]:
    """By the whole ID number (looked up by its keyed hash, never stored or shown), by the
    last four characters of it, by (part of) the name, or by a name and the last four."""
    text = " ".join(query.split())
    async with ctx.db.transaction() as session:
        await require_admin(session, by)
        if not text:
            return []
        conditions: list[Any] = []
        try:
            number = parse_id_number(text.replace(" ", ""), today=ctx.today())
        except InvalidIdNumber:
            number = None
        if number is not None:
            # during a key rotation a person not yet re-hashed has the old key's hash
            hashes = [ctx.ids.lookup_hash(number.value), *ctx.ids.old_lookup_hashes(number.value)]
            conditions.append(Person.id_hash.in_(hashes))
        else:
            words = text.split()
            tails = [w.upper() for w in words if _TAIL.match(w)]
            names = [w for w in words if not _TAIL.match(w)]
            if not tails and not names:
                return []
            for tail in tails[:1]:
                conditions.append(Person.id_masked.like("%" + tail))
            for name in names:
                conditions.append(Person.name.like(_like(name)))
        rows = (
            await session.execute(
                select(Person, Unit.name)
                .outerjoin(Unit, Unit.id == Person.unit_id)
                .where(and_(*conditions))
                .order_by(Person.name, Person.id)
                .limit(limit)
            )
        ).all()
        return [PersonHit(p.id, p.name, p.id_masked, unit_name) for p, unit_name in rows]


async def person_card(ctx: AppContext, by: int | None, person_id: int) -> PersonCard:
    """One person as an administrator sees them; the view is in the person's access log."""
    async with ctx.db.transaction() as session:
        await require_admin(session, by)
        person = await session.get(Person, person_id, populate_existing=True)
        if person is None:
            raise AdminRefused("not_found")
        record_access(
            session,
            at=ctx.now(),
            person_id=person.id,
            actor_account_id=by,
            actor_role="admin" if by is not None else "cli",
            what="record",
            entity_id=person.id,
        )
        return await _card(session, person)


async def account_card(ctx: AppContext, by: int | None, account_id: int) -> AccountCard:
    async with ctx.db.transaction() as session:
        await require_admin(session, by)
        account = await session.get(Account, account_id, populate_existing=True)
        if account is None:
            raise AdminRefused("account_not_found", account=account_id)
        person = await session.get(Person, account.person_id) if account.person_id else None
        return AccountCard(
            account_id=account.id,
            channel=account.channel,
            display_name=account.display_name,
            person_id=person.id if person else None,
            person_name=person.name if person else None,
            person_masked=person.id_masked if person else None,
            roles=tuple(await _live_roles(session, account.id)),
        )


async def person_by_reference(ctx: AppContext, reference: str) -> int:
    """The command line names a person by ID number or by their number in cebot ("#12" or
    "12", as `cebot audit` shows). Returns the person id; AdminRefused("not_found")."""
    text = reference.strip()
    async with ctx.db.transaction() as session:
        person: Person | None = None
        try:
            number = parse_id_number(text, today=ctx.today())
        except InvalidIdNumber:
            number = None
        if number is not None:
            person = await person_by_hash(session, ctx.ids.lookup_hash(number.value))
        else:
            digits = text.removeprefix("#")
            if digits.isdigit() and len(digits) <= 12:
                person = await session.get(Person, int(digits))
        if person is None:
            raise AdminRefused("not_found")
        return person.id


# ------------------------------------------------------------------ moving, unbinding


@dataclass(frozen=True, slots=True)
class MoveResult:
    person_id: int
    name: str
    id_masked: str
    from_unit: str | None  # name
    to_unit: str
    to_unit_code: str
    pending_kept: int  # pending claims still decided by the unit they were claimed in


async def move_person(
    ctx: AppContext, by: int | None, person_id: int, unit: str | int
) -> MoveResult:
    """Move a person to another unit (a code or a unit id). Their records keep the unit of
    the time; the move confirms the person as a member of the new unit."""

    async def job(sctx: AppContext, session: AsyncSession) -> MoveResult:
        actor = await require_admin(session, by)
        person = await session.get(Person, person_id, populate_existing=True)
        if person is None:
            raise AdminRefused("not_found")
        target = await resolve_unit(session, unit)
        if target.id == person.unit_id:
            raise AdminRefused("same_unit", unit=target.name)
        old_unit = await session.get(Unit, person.unit_id) if person.unit_id else None
        now = ctx.now()
        current = (
            Person.unit_id.is_(None) if person.unit_id is None else Person.unit_id == person.unit_id
        )
        result = await session.execute(
            update(Person)
            .where(Person.id == person.id, current)
            .values(unit_id=target.id, unit_confirmed=True, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise RaceLost
        pending = await session.scalar(
            select(func.count())
            .select_from(HourRecord)
            .where(
                HourRecord.person_id == person.id,
                HourRecord.origin == ORIGIN_CLAIM,
                HourRecord.status == RecordStatus.PENDING.value,
            )
        )
        audit(
            session,
            at=now,
            actor=actor,
            action="person.move",
            entity="person",
            entity_id=person.id,
            data={
                "person_id": person.id,
                "id_masked": person.id_masked,
                "from_unit_id": old_unit.id if old_unit else None,
                "from_unit_code": old_unit.code if old_unit else None,
                "to_unit_id": target.id,
                "to_unit_code": target.code,
            },
        )
        for account_id in await accounts_of_person(session, person.id):
            queue_notice(
                session,
                account_id=account_id,
                key="adm-notice-moved",
                now=now,
                args={"unit": target.name},
            )
        return MoveResult(
            person_id=person.id,
            name=person.name,
            id_masked=person.id_masked,
            from_unit=old_unit.name if old_unit else None,
            to_unit=target.name,
            to_unit_code=target.code,
            pending_kept=pending or 0,
        )

    return await in_transaction(ctx, job, lambda: AdminRefused("busy"))


@dataclass(frozen=True, slots=True)
class UnbindResult:
    person_id: int
    name: str
    id_masked: str
    account_id: int


async def deactivate_binding(ctx: AppContext, by: int | None, person_id: int) -> UnbindResult:
    """The account bound to the person loses the binding (the person and their hours stay;
    someone may bind again with the ID number). The account is told."""

    async def job(sctx: AppContext, session: AsyncSession) -> UnbindResult:
        actor = await require_admin(session, by)
        person = await session.get(Person, person_id, populate_existing=True)
        if person is None:
            raise AdminRefused("not_found")
        account = await account_bound_to(session, person.id)
        if account is None:
            raise AdminRefused("not_bound", name=person.name)
        result = await session.execute(
            update(Account)
            .where(Account.id == account.id, Account.person_id == person.id)
            .values(person_id=None)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise RaceLost
        now = ctx.now()
        audit(
            session,
            at=now,
            actor=actor,
            action="account.deactivate",
            entity="person",
            entity_id=person.id,
            data={"person_id": person.id, "account_id": account.id, "id_masked": person.id_masked},
        )
        queue_notice(session, account_id=account.id, key="adm-notice-unbound", now=now)
        return UnbindResult(person.id, person.name, person.id_masked, account.id)

    return await in_transaction(ctx, job, lambda: AdminRefused("busy"))


# ------------------------------------------------------------------ roles


@dataclass(frozen=True, slots=True)
class RoleChange:
    role: RoleView
    already: bool  # nothing changed: the role was already live (grant) or withdrawn


async def grant_role(
    ctx: AppContext,
    by: int | None,
    account_id: int,
    role: str,
    *,
    unit: str | int | None = None,
    source: str | None = None,
) -> RoleChange:
    """Grant a staff role to an account: a reviewer of a unit, an organiser of an import
    source, an administrator or an auditor. Granting a live role again changes nothing."""
    if role not in GRANTABLE_ROLES:
        raise AdminRefused("role", role=role, roles=", ".join(GRANTABLE_ROLES))
    source_text = " ".join((source or "").split()) or None
    if role == "reviewer" and unit is None:
        raise AdminRefused("role_needs_unit")
    if role == "organiser" and not source_text:
        raise AdminRefused("role_needs_source")
    if source_text is not None and len(source_text) > MAX_SOURCE:
        raise AdminRefused("reason_too_long", max=MAX_SOURCE)

    async def job(sctx: AppContext, session: AsyncSession) -> RoleChange:
        actor = await require_admin(session, by)
        account = await session.get(Account, account_id)
        if account is None:
            raise AdminRefused("account_not_found", account=account_id)
        unit_id = (await resolve_unit(session, unit)).id if role == "reviewer" and unit else None
        kept_source = source_text if role == "organiser" else None
        existing = await session.scalar(
            select(Role).where(
                Role.account_id == account.id,
                Role.role == role,
                Role.revoked_at.is_(None),
                Role.unit_id.is_(None) if unit_id is None else Role.unit_id == unit_id,
                Role.source.is_(None) if kept_source is None else Role.source == kept_source,
            )
        )
        if existing is not None:
            return RoleChange((await _role_views(session, [existing]))[0], already=True)
        now = ctx.now()
        granted = Role(
            account_id=account.id,
            role=role,
            unit_id=unit_id,
            source=kept_source,
            granted_at=now,
            granted_by=actor,
        )
        session.add(granted)
        await session.flush()
        audit(
            session,
            at=now,
            actor=actor,
            action="role.grant",
            entity="role",
            entity_id=granted.id,
            data={
                "account_id": account.id,
                "person_id": account.person_id,
                "role": role,
                "unit_id": unit_id,
                "source": kept_source,
            },
        )
        queue_notice(
            session,
            account_id=account.id,
            key="adm-notice-role-granted",
            now=now,
            args={"role": role},
        )
        return RoleChange((await _role_views(session, [granted]))[0], already=False)

    return await in_transaction(ctx, job, lambda: AdminRefused("busy"))


async def withdraw_role(ctx: AppContext, by: int | None, role_id: int) -> RoleChange:
    """Withdraw a role (and any live duplicate of it). The last live administrator role
    cannot be withdrawn: grant another administrator first."""

    async def job(sctx: AppContext, session: AsyncSession) -> RoleChange:
        actor = await require_admin(session, by)
        role = await session.get(Role, role_id, populate_existing=True)
        if role is None:
            raise AdminRefused("role_not_found", role_id=role_id)
        if role.revoked_at is not None:
            return RoleChange((await _role_views(session, [role]))[0], already=True)
        same = and_(
            Role.account_id == role.account_id,
            Role.role == role.role,
            Role.unit_id.is_(None) if role.unit_id is None else Role.unit_id == role.unit_id,
            Role.source.is_(None) if role.source is None else Role.source == role.source,
        )
        if role.role == "admin":
            others = await session.scalar(
                select(func.count())
                .select_from(Role)
                .where(
                    Role.role == "admin",
                    Role.revoked_at.is_(None),
                    Role.account_id != role.account_id,
                )
            )
            if not others:
                raise AdminRefused("last_admin")
        now = ctx.now()
        result = await session.execute(
            update(Role)
            .where(same, Role.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) < 1:
            raise RaceLost
        await session.refresh(role)
        audit(
            session,
            at=now,
            actor=actor,
            action="role.withdraw",
            entity="role",
            entity_id=role.id,
            data={
                "account_id": role.account_id,
                "role": role.role,
                "unit_id": role.unit_id,
                "source": role.source,
                "withdrawn": getattr(result, "rowcount", 1),
            },
        )
        queue_notice(
            session,
            account_id=role.account_id,
            key="adm-notice-role-withdrawn",
            now=now,
            args={"role": role.role},
        )
        return RoleChange((await _role_views(session, [role]))[0], already=False)

    return await in_transaction(ctx, job, lambda: AdminRefused("busy"))


async def list_roles(
    ctx: AppContext,
    by: int | None,
    *,
    role: str | None = None,
    unit: str | None = None,
    account_id: int | None = None,
    include_withdrawn: bool = False,
) -> list[RoleView]:
    async with ctx.db.transaction() as session:
        await require_admin(session, by)
        query = select(Role)
        if not include_withdrawn:
            query = query.where(Role.revoked_at.is_(None))
        if role is not None:
            query = query.where(Role.role == role)
        if unit is not None:
            query = query.where(Role.unit_id == (await resolve_unit(session, unit)).id)
        if account_id is not None:
            query = query.where(Role.account_id == account_id)
        roles = (await session.scalars(query.order_by(Role.role, Role.account_id, Role.id))).all()
        return await _role_views(session, roles)


async def accounts_with_role(ctx: AppContext, by: int | None, role: str) -> list[RoleView]:
    """One line per account holding `role` now (to choose an auditor, say)."""
    views = await list_roles(ctx, by, role=role)
    seen: set[int] = set()
    unique = []
    for v in views:
        if v.account_id not in seen:
            seen.add(v.account_id)
            unique.append(v)
    return unique


# ------------------------------------------------------------------ reopening a claim


@dataclass(frozen=True, slots=True)
class ReopenResult:
    claim: ClaimView
    previous: str  # approved | rejected
    certificates_revoked: tuple[str, ...]


async def decided_claims(ctx: AppContext, by: int | None, person_id: int) -> list[ClaimView]:
    """The person's approved and rejected claims (what an administrator may reopen)."""

    async def job(sctx: AppContext, session: AsyncSession) -> list[ClaimView]:
        await require_admin(session, by)
        if await session.get(Person, person_id) is None:
            raise AdminRefused("not_found")
        views = await list_claims(sctx, person_id)
        decided = (RecordStatus.APPROVED.value, RecordStatus.REJECTED.value)
        return [v for v in views if v.status in decided]

    return await in_transaction(ctx, job, lambda: AdminRefused("busy"))


async def _reopen_as_operator(
    sctx: AppContext, session: AsyncSession, record_id: int, reason: str
) -> ClaimView:
    """services.claims.reopen_decision wants an administrator's account; the operator on the
    server has none, so the same checks run here before services.claims.reopen_record."""
    from core.rules import claim_verification_open

    record = await session.get(HourRecord, record_id, populate_existing=True)
    if record is None or record.origin != ORIGIN_CLAIM:
        raise ClaimRefused("not_found")
    if record.status not in (RecordStatus.APPROVED.value, RecordStatus.REJECTED.value):
        raise ClaimRefused("not_decided", status=record.status)
    policy = sctx.policies.get(record.year)
    if policy is None or not claim_verification_open(policy, sctx.today()):
        deadline = policy.verification_deadline.isoformat() if policy else ""
        raise ClaimRefused("verification_closed", year=record.year, deadline=deadline)
    await reopen_record(sctx, session, record, actor_account=None, reason=reason)
    views = await list_claims(sctx, record.person_id, record.year)
    return next(v for v in views if v.id == record.id)


async def reopen_claim(
    ctx: AppContext, by: int | None, record_id: int, reason: str
) -> ReopenResult:
    """An administrator sends a decided claim back to pending, with the reason logged. When
    it had counted, certificates that no longer hold are revoked; the person is told. One
    transaction."""
    text = clean_reason(reason, required=True)
    assert text is not None

    async def job(sctx: AppContext, session: AsyncSession) -> ReopenResult:
        actor = account_actor(by)
        record = await session.get(HourRecord, record_id, populate_existing=True)
        previous = record.status if record is not None else ""
        if by is not None:
            view = await reopen_decision(sctx, by, record_id, text)
        else:
            view = await _reopen_as_operator(sctx, session, record_id, text)
            audit(
                session,
                at=ctx.now(),
                actor=actor,
                action="claim.reopen",
                entity="hour_records",
                entity_id=record_id,
                data={"person_id": view.person_id, "previous": previous, "reason": text},
            )
        now = ctx.now()
        for account_id in await accounts_of_person(session, view.person_id):
            queue_notice(
                session,
                account_id=account_id,
                key="adm-notice-reopened",
                now=now,
                args={"title": view.title, "year": view.year, "reason": text},
            )
        # services.certificates tells the person of each certificate that no longer holds
        revoked: list[CertificateView] = []
        if previous == RecordStatus.APPROVED.value and view.year in sctx.policies:
            revoked = await recheck_certificates(sctx, view.person_id, view.year, actor=actor)
        return ReopenResult(view, previous, tuple(c.number for c in revoked))

    return await in_transaction(ctx, job, lambda: ClaimRefused("busy"))


# ------------------------------------------------------------------ the audit log


@dataclass(frozen=True, slots=True)
class AuditLine:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    data: dict[str, Any]


def day_start(day: date) -> datetime:
    """Midnight of a Shanghai day, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


async def read_audit(
    ctx: AppContext,
    by: int | None,
    *,
    person_id: int | None = None,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
    action: str | None = None,
    limit: int = AUDIT_LIMIT,
) -> list[AuditLine]:
    """The audit log, newest first. `person_id`: entries about the person, their records and
    certificates, and what they did themselves. `actor`: exactly as logged ("cli",
    "account:12"); digits alone mean that account in any form. `since`/`until`: Shanghai days,
    both included. `action`: exact, or a prefix ending in "*" ("role.*")."""
    async with ctx.db.transaction() as session:
        await require_admin(session, by)
        query = select(AuditEntry)
        if person_id is not None:
            pid = str(person_id)
            records = select(cast(HourRecord.id, String)).where(HourRecord.person_id == person_id)
            certificates = select(Certificate.number).where(Certificate.person_id == person_id)
            query = query.where(
                or_(
                    and_(AuditEntry.entity.in_(("person", "people")), AuditEntry.entity_id == pid),
                    and_(AuditEntry.entity == "hour_records", AuditEntry.entity_id.in_(records)),
                    and_(
                        AuditEntry.entity == "certificate", AuditEntry.entity_id.in_(certificates)
                    ),
                    AuditEntry.actor == f"person:{pid}",
                    AuditEntry.data["person_id"].as_integer() == person_id,
                )
            )
        if actor:
            forms = {actor}
            if actor.isdigit():
                # services log an account as "account:N" or "<channel>:N" (onboarding)
                forms = {f"account:{actor}"}
                account = await session.get(Account, int(actor))
                if account is not None:
                    forms.add(f"{account.channel}:{account.id}")
            query = query.where(AuditEntry.actor.in_(sorted(forms)))
        if action:
            if action.endswith("*"):
                query = query.where(AuditEntry.action.startswith(action[:-1], autoescape=True))
            else:
                query = query.where(AuditEntry.action == action)
        if since is not None:
            query = query.where(AuditEntry.at >= day_start(since))
        if until is not None:
            query = query.where(AuditEntry.at < day_start(until + timedelta(days=1)))
        rows = (
            await session.scalars(
                query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
            )
        ).all()
        return [
            AuditLine(e.id, e.at, e.actor, e.action, e.entity, e.entity_id, dict(e.data or {}))
            for e in rows
        ]


# ------------------------------------------------------------------ text (bot and command line)


def when(value: datetime | None) -> str:
    """A time as Shanghai wall-clock minutes."""
    return "-" if value is None else value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def role_line(t: Translator, role: RoleView) -> str:
    who = role.account_name or "-"
    if role.person_name:
        who += f" ({role.person_name} {role.person_masked})"
    scope = role.unit_name or role.source or ""
    return t(
        "adm-role-line",
        id=role.id,
        role=t(f"role-{role.role}"),
        account=role.account_id,
        who=who,
        scope=scope or "-",
        granted=when(role.granted_at),
        by=role.granted_by,
        withdrawn=t("adm-role-withdrawn-at", at=when(role.revoked_at)) if role.revoked_at else "",
    )
