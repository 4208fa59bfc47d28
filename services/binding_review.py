"""What makes a binding more than "an ID number and a name" (issue 17 item 4):

- the unit's reviewers are told of every new binding of their staff (they know who is who);
- a second factor where one exists: the roster's mobile number, matched against the one
  Telegram's contact button shares (Telegram has verified it; a typed number proves nothing);
- a dispute: someone with the right ID number and name who finds the person bound to another
  account asks for a review; the unit's reviewers (administrators when the unit has none)
  move the binding to them or keep it, authority re-checked on every press.

The coroutines join the caller's transaction. Phone numbers are kept as a keyed hash (to
match) and Fernet (to re-hash on key rotation), never logged or shown; notices carry the
person's name and masked ID number, as their text shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from core.phone import normalize_mobile
from services.audit import audit
from services.context import AppContext
from services.notify import queue_notice, reviewer_accounts
from services.policies import SHANGHAI
from storage.models import Account, BindingDispute, Person, Role

PHONE_PURPOSE = "phone"
DISPUTE_CALLBACK = "bd"  # bd:move:<id> / bd:keep:<id>: only the dispute's number


# ------------------------------------------------------------------ the roster's phone


def protect_phone(ctx: AppContext, phone: str) -> tuple[str, str]:
    """(hash, cipher) of a normalised mobile number."""
    return ctx.ids.token(PHONE_PURPOSE, phone), ctx.ids.encrypt(phone)


def phone_matches(ctx: AppContext, person: Person, shared: str) -> bool:
    """Is `shared` (from Telegram's contact button) the roster's number? Any key of a
    rotation matches."""
    phone = normalize_mobile(shared)
    if phone is None or person.phone_hash is None:
        return False
    return person.phone_hash in ctx.ids.tokens(PHONE_PURPOSE, phone)


# ------------------------------------------------------------------ who is told


async def admin_accounts(session: AsyncSession) -> list[int]:
    return list(
        await session.scalars(
            select(Role.account_id)
            .where(Role.role == "admin", Role.revoked_at.is_(None))
            .distinct()
            .order_by(Role.account_id)
        )
    )


async def deciders(session: AsyncSession, unit_id: int | None) -> list[int]:
    """The unit's reviewers, or the administrators when it has none."""
    reviewers = await reviewer_accounts(session, unit_id) if unit_id is not None else []
    return sorted(set(reviewers)) or await admin_accounts(session)


def _local(now: datetime) -> str:
    return now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


async def tell_unit_of_binding(
    session: AsyncSession, ctx: AppContext, person: Person, account: Account, *, by_phone: bool
) -> int:
    """Every new binding is told to the unit's reviewers; the number told."""
    if person.unit_id is None:
        return 0
    now = ctx.now()
    if by_phone:
        key = "bnd-told-bound-phone"
    elif person.unit_confirmed:
        key = "bnd-told-bound"
    else:  # not in the roster: chose this unit themselves
        key = "bnd-told-bound-unconfirmed"
    told = 0
    for reviewer in sorted(set(await reviewer_accounts(session, person.unit_id))):
        if reviewer == account.id:
            continue  # a reviewer binding themselves
        queue_notice(
            session,
            account_id=reviewer,
            key=key,
            now=now,
            args={"name": person.name, "masked": person.id_masked, "at": _local(now)},
        )
        told += 1
    return told


# ------------------------------------------------------------------ moving a binding


async def holder_of(session: AsyncSession, person_id: int) -> Account | None:
    return await session.scalar(select(Account).where(Account.person_id == person_id))


async def move_binding(
    session: AsyncSession,
    ctx: AppContext,
    person: Person,
    to: Account,
    *,
    actor: str,
    why: Literal["phone", "review"],
) -> Account | None:
    """Unbind whoever holds the person and bind `to`; the old account is told. Returns it."""
    now = ctx.now()
    old = await holder_of(session, person.id)
    if old is not None and old.id != to.id:
        old.person_id = None
        await session.flush()  # one account per person: free it before the new binding
        queue_notice(
            session,
            account_id=old.id,
            key="bnd-told-moved-away",
            now=now,
            args={"masked": person.id_masked},
        )
    to.person_id = person.id
    await session.flush()
    audit(
        session,
        at=now,
        actor=actor,
        action="account.binding_moved",
        entity="person",
        entity_id=person.id,
        data={
            "id_masked": person.id_masked,
            "from_account": old.id if old else None,
            "to_account": to.id,
            "why": why,
        },
    )
    return old


# ------------------------------------------------------------------ disputes


class DisputeRefused(Exception):
    def __init__(
        self, reason: Literal["not_found", "not_allowed", "claimant_bound"], **args: Any
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.args_ = args


@dataclass(frozen=True)
class DisputeOpened:
    dispute_id: int
    created: bool  # False: this account had already asked, nobody is asked twice
    told: int


async def open_dispute(
    session: AsyncSession, ctx: AppContext, claimant: Account, person: Person
) -> DisputeOpened:
    existing = await session.scalar(
        select(BindingDispute).where(
            BindingDispute.person_id == person.id,
            BindingDispute.claimant_account_id == claimant.id,
            BindingDispute.status == "open",
        )
    )
    if existing is not None:
        return DisputeOpened(existing.id, False, 0)
    now = ctx.now()
    holder = await holder_of(session, person.id)
    dispute = BindingDispute(
        person_id=person.id,
        claimant_account_id=claimant.id,
        holder_account_id=holder.id if holder else None,
        unit_id=person.unit_id,
        status="open",
        created_at=now,
    )
    session.add(dispute)
    await session.flush()
    told = 0
    for decider in await deciders(session, person.unit_id):
        if decider in (claimant.id, dispute.holder_account_id):
            continue  # nobody decides their own case
        queue_notice(
            session,
            account_id=decider,
            key="bnd-dispute-ask",
            now=now,
            args={"name": person.name, "masked": person.id_masked, "at": _local(now)},
            buttons=(
                ("bnd-btn-move", f"{DISPUTE_CALLBACK}:move:{dispute.id}"),
                ("bnd-btn-keep", f"{DISPUTE_CALLBACK}:keep:{dispute.id}"),
            ),
        )
        told += 1
    audit(
        session,
        at=now,
        actor=f"{claimant.channel}:{claimant.id}",
        action="binding_dispute.open",
        entity="binding_dispute",
        entity_id=dispute.id,
        data={"person_id": person.id, "id_masked": person.id_masked, "told": told},
    )
    return DisputeOpened(dispute.id, True, told)


async def may_decide(session: AsyncSession, account_id: int, dispute: BindingDispute) -> bool:
    """A live reviewer role of the person's unit (now), or administrator; never a party."""
    if account_id in (dispute.claimant_account_id, dispute.holder_account_id):
        return False
    person = await session.get(Person, dispute.person_id)
    roles = await session.scalars(
        select(Role).where(Role.account_id == account_id, Role.revoked_at.is_(None))
    )
    for role in roles:
        if role.role == "admin":
            return True
        if role.role == "reviewer" and person is not None and role.unit_id == person.unit_id:
            return True
    return False


@dataclass(frozen=True)
class DisputeDecision:
    dispute_id: int
    status: str  # moved | kept
    already: bool  # decided before this press (by this or another decider)
    name: str
    masked: str


async def decide_dispute(
    session: AsyncSession, ctx: AppContext, decider: Account, dispute_id: int, *, move: bool
) -> DisputeDecision:
    dispute = await session.get(BindingDispute, dispute_id, populate_existing=True)
    if dispute is None:
        raise DisputeRefused("not_found")
    if not await may_decide(session, decider.id, dispute):
        raise DisputeRefused("not_allowed")
    person = await session.get(Person, dispute.person_id)
    if person is None:
        raise DisputeRefused("not_found")
    if dispute.status != "open":
        return DisputeDecision(dispute.id, dispute.status, True, person.name, person.id_masked)
    claimant = await session.get(Account, dispute.claimant_account_id)
    if claimant is None:
        raise DisputeRefused("not_found")
    if move and claimant.person_id not in (None, person.id):
        raise DisputeRefused("claimant_bound")  # they bound someone else since
    now = ctx.now()
    status = "moved" if move else "kept"
    # compare-and-set: of two deciders pressing at once, one decides
    claimed: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(BindingDispute)
        .where(BindingDispute.id == dispute.id, BindingDispute.status == "open")
        .values(status=status, decided_at=now, decided_by=decider.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        await session.refresh(dispute)
        return DisputeDecision(dispute.id, dispute.status, True, person.name, person.id_masked)
    actor = f"{decider.channel}:{decider.id}"
    if move:
        await move_binding(session, ctx, person, claimant, actor=actor, why="review")
    queue_notice(
        session,
        account_id=claimant.id,
        key="bnd-told-dispute-moved" if move else "bnd-told-dispute-kept",
        now=now,
        args={"masked": person.id_masked},
    )
    audit(
        session,
        at=now,
        actor=actor,
        action=f"binding_dispute.{status}",
        entity="binding_dispute",
        entity_id=dispute.id,
        data={"person_id": person.id},
    )
    return DisputeDecision(dispute.id, status, False, person.name, person.id_masked)
