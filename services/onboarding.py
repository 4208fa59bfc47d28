"""Binding a chat account to a person, leaving it, invitations for staff roles, unit search,
and the service centre's contact data.

The coroutines taking a session join the caller's transaction (the flow engine's one
transaction per update); audit entries carry masked or opaque values only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from core.idnumber import IdNumber
from core.text import NAME_MAX, text_problem
from core.uscc import normalize_unit_code
from services.audit import audit
from services.binding_review import tell_unit_of_binding
from services.context import AppContext
from services.policies import SHANGHAI
from storage.models import Account, Invitation, Person, Role, Unit

ROLES = ("reviewer", "organiser", "admin")
INVITATION_TTL = timedelta(days=7)


def actor_of(account: Account) -> str:
    # the account id, not the Telegram user id: the log needs no external identifiers
    return f"{account.channel}:{account.id}"


# ------------------------------------------------------------------ identity in a flow draft


@dataclass(frozen=True)
class ProtectedId:
    """What a flow may keep of an ID number between two messages: never the number itself."""

    id_hash: str
    id_cipher: str
    id_masked: str

    @classmethod
    def of(cls, ctx: AppContext, number: IdNumber) -> ProtectedId:
        value = number.value
        return cls(ctx.ids.lookup_hash(value), ctx.ids.encrypt(value), number.masked())

    def as_data(self) -> dict[str, str]:
        return {"id_hash": self.id_hash, "id_cipher": self.id_cipher, "id_masked": self.id_masked}

    @classmethod
    def from_data(cls, data: dict[str, object]) -> ProtectedId:
        return cls(str(data["id_hash"]), str(data["id_cipher"]), str(data["id_masked"]))


async def person_by_hash(session: AsyncSession, id_hash: str) -> Person | None:
    return await session.scalar(select(Person).where(Person.id_hash == id_hash))


async def account_bound_to(session: AsyncSession, person_id: int) -> Account | None:
    return await session.scalar(select(Account).where(Account.person_id == person_id))


_DOTS = str.maketrans({"•": "·", "・": "·", "．": "·", ".": "·"})


def names_match(given: str, roster: str) -> bool:
    """Spaces (also the full-width one) are typing noise in Chinese names, not part of them."""

    def norm(s: str) -> str:
        # the middle dot of minority names is typed in several forms
        return "".join(s.split()).translate(_DOTS).casefold()

    return norm(given) == norm(roster)


def binding_name_problem(name: str) -> Literal["invalid", "control", "formula"] | None:
    """Why a typed name cannot be a person's name (message key onb-name-<reason>), else None:
    core.text's rules, as an import checks them (a name that starts like a formula would run
    in the unit's report)."""
    problem = text_problem(name, NAME_MAX, name=True)
    if problem in ("control", "formula"):  # the more telling reason first
        return problem
    if not name or problem == "too_long" or any(ch.isdigit() for ch in name):
        return "invalid"
    return None


# ------------------------------------------------------------------ binding


class BindRefused(Exception):
    def __init__(self, reason: Literal["person_taken", "account_bound"]) -> None:
        super().__init__(reason)
        self.reason = reason


async def bind_account(
    session: AsyncSession,
    ctx: AppContext,
    account: Account,
    person: Person,
    *,
    by_phone: bool = False,
) -> None:
    """One account binds one person and one person one account (also a unique constraint,
    which catches the race of two accounts binding the same person at once). The unit's
    reviewers are told (issue 17 item 4: an ID number and a name are not a secret)."""
    if account.person_id is not None and account.person_id != person.id:
        raise BindRefused("account_bound")
    other = await account_bound_to(session, person.id)
    if other is not None and other.id != account.id:
        raise BindRefused("person_taken")
    account.person_id = person.id
    audit(
        session,
        at=ctx.now(),
        actor=actor_of(account),
        action="account.bind",
        entity="person",
        entity_id=person.id,
        data={
            "id_masked": person.id_masked,
            "unit_confirmed": person.unit_confirmed,
            "by_phone": by_phone,
        },
    )
    await session.flush()
    await tell_unit_of_binding(session, ctx, person, account, by_phone=by_phone)


async def create_unconfirmed_person(
    session: AsyncSession,
    ctx: AppContext,
    account: Account,
    pid: ProtectedId,
    name: str,
    unit: Unit,
) -> Person:
    """A person missing from the roster who chose their unit: unconfirmed until its reviewer
    confirms them."""
    now = ctx.now()
    person = Person(
        id_hash=pid.id_hash,
        id_cipher=pid.id_cipher,
        id_masked=pid.id_masked,
        name=name.strip()[:100],
        unit_id=unit.id,
        unit_confirmed=False,
        created_at=now,
        updated_at=now,
    )
    session.add(person)
    await session.flush()
    audit(
        session,
        at=now,
        actor=actor_of(account),
        action="person.self_register",
        entity="person",
        entity_id=person.id,
        data={"id_masked": pid.id_masked, "unit_code": unit.code},
    )
    return person


async def leave_binding(session: AsyncSession, ctx: AppContext, account: Account) -> bool:
    """Unbind; the person and their hours stay. False when nothing was bound."""
    if account.person_id is None:
        return False
    person_id = account.person_id
    account.person_id = None
    audit(
        session,
        at=ctx.now(),
        actor=actor_of(account),
        action="account.leave",
        entity="person",
        entity_id=person_id,
    )
    await session.flush()
    return True


# ------------------------------------------------------------------ units


async def search_units(session: AsyncSession, query: str, limit: int = 8) -> list[Unit]:
    """By exact unified social credit code, else by a part of the name."""
    text = query.strip()
    if not text:
        return []
    code = normalize_unit_code(text)
    by_code = await session.scalar(select(Unit).where(Unit.code == code))
    if by_code is not None:
        return [by_code]
    pattern = "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"
    rows = await session.scalars(
        select(Unit)
        .where(or_(Unit.name.like(pattern), func.lower(Unit.name).like(pattern.lower())))
        .order_by(Unit.name)
        .limit(limit)
    )
    return list(rows)


async def unit_by_id(session: AsyncSession, unit_id: int) -> Unit | None:
    return await session.get(Unit, unit_id)


# ------------------------------------------------------------------ invitations


class InvitationInvalid(Exception):
    def __init__(self, reason: Literal["unknown", "used", "expired"]) -> None:
        super().__init__(reason)
        self.reason = reason


def new_invitation_code() -> str:
    # URL-safe and short enough for a /start deep link (Telegram allows 64 characters)
    return secrets.token_urlsafe(18)


async def create_invitation(
    session: AsyncSession,
    ctx: AppContext,
    *,
    role: str,
    actor: str,
    unit_id: int | None = None,
    source: str | None = None,
    ttl: timedelta = INVITATION_TTL,
) -> str:
    """A one-time code; only its keyed hash is stored. Returns the code to deliver."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if role == "reviewer" and unit_id is None:
        raise ValueError("a reviewer invitation needs a unit")
    if role == "organiser" and not source:
        raise ValueError("an organiser invitation needs a source")
    code = new_invitation_code()
    now = ctx.now()
    invitation = Invitation(
        code_hash=ctx.ids.token("invite", code),
        role=role,
        unit_id=unit_id,
        source=source,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invitation)
    await session.flush()
    audit(
        session,
        at=now,
        actor=actor,
        action="invitation.create",
        entity="invitation",
        entity_id=invitation.id,
        data={"role": role, "unit_id": unit_id, "source": source},
    )
    return code


@dataclass(frozen=True)
class IssuedInvitation:
    code: str
    role: str
    expires_at: datetime

    def deep_link(self, bot_username: str) -> str:
        """What the invitee opens: Telegram starts the bot with `/start <code>`."""
        return f"https://t.me/{bot_username.lstrip('@')}?start={self.code}"


class UnknownUnit(LookupError):
    pass


async def issue_invitation(
    ctx: AppContext,
    *,
    role: str,
    actor: str,
    unit_code: str | None = None,
    source: str | None = None,
    ttl: timedelta = INVITATION_TTL,
) -> IssuedInvitation:
    """One transaction, for the command line (`cebot invite reviewer --unit CODE`, ...).
    Raises UnknownUnit, or ValueError for a role without its unit or source."""
    async with ctx.db.transaction() as session:
        unit_id = None
        if unit_code is not None:
            unit = await session.scalar(
                select(Unit).where(Unit.code == normalize_unit_code(unit_code))
            )
            if unit is None:
                raise UnknownUnit(unit_code)
            unit_id = unit.id
        code = await create_invitation(
            session, ctx, role=role, actor=actor, unit_id=unit_id, source=source, ttl=ttl
        )
        return IssuedInvitation(code, role, ctx.now() + ttl)


async def redeem_invitation(
    session: AsyncSession, ctx: AppContext, account: Account, code: str
) -> Role:
    """Grant the invitation's role to the account; a code works once and expires."""
    now = ctx.now()
    invitation = await session.scalar(
        # any key: an invitation made before a key rotation still works
        select(Invitation).where(Invitation.code_hash.in_(ctx.ids.tokens("invite", code.strip())))
    )
    if invitation is None:
        raise InvitationInvalid("unknown")
    if invitation.used_at is not None:
        raise InvitationInvalid("used")
    if invitation.expires_at <= now:
        raise InvitationInvalid("expired")
    # compare-and-set: of two accounts redeeming one code at once, exactly one wins
    claimed: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=now, used_by=account.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise InvitationInvalid("used")
    role = Role(
        account_id=account.id,
        role=invitation.role,
        unit_id=invitation.unit_id,
        source=invitation.source,
        granted_at=now,
        granted_by=f"invitation:{invitation.id}",
    )
    session.add(role)
    await session.flush()
    audit(
        session,
        at=now,
        actor=actor_of(account),
        action="invitation.redeem",
        entity="role",
        entity_id=role.id,
        data={"role": role.role, "invitation_id": invitation.id},
    )
    return role


async def active_roles(session: AsyncSession, account: Account) -> list[Role]:
    rows = await session.scalars(
        select(Role).where(Role.account_id == account.id, Role.revoked_at.is_(None))
    )
    return list(rows)


# ------------------------------------------------------------------ service centre


@dataclass(frozen=True)
class ServiceLine:
    """The regional training centre's help line (RULES.md, "Service")."""

    phone: str
    email: str
    periods: tuple[tuple[time, time], ...]  # each [start, end) on a working day
    weekdays: frozenset[int]  # Monday = 0

    def open_at(self, now: datetime) -> bool:
        # Public holidays and make-up working days are not known here: Monday to Friday only.
        local = now.astimezone(SHANGHAI)
        if local.weekday() not in self.weekdays:
            return False
        return any(start <= local.time() < end for start, end in self.periods)

    def hours_text(self) -> str:
        return ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in self.periods)


SERVICE_LINE = ServiceLine(
    phone="0771-966111",
    email="gxpx365@126.com",
    periods=((time(9, 0), time(12, 0)), (time(14, 0), time(18, 0))),
    weekdays=frozenset(range(5)),
)
