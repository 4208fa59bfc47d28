"""Conversation state in the database, and the record of Telegram updates already handled.

FlowState carries a version column (SQLAlchemy version_id_col): two transactions that read the
same version and both write make the second one fail with StaleDataError, so two concurrent
updates of one user can never both win. A turn that changes nothing (reading "my progress")
writes nothing: it cannot conflict, and a read-only turn is the common one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from services.accounts import get_or_create_account
from services.context import AppContext
from storage.models import Account, FlowState, Person, ProcessedUpdate

_WROTE = "cebot_wrote"


def _note_flush(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


def track_writes(session: AsyncSession) -> None:
    """Remember whether this transaction wrote anything (a flush happened)."""
    event.listen(session.sync_session, "after_flush", _note_flush)


def wrote_anything(session: AsyncSession) -> bool:
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted)


@dataclass
class Conversation:
    """What every turn starts from. Holding `person` matters: the session's identity map
    keeps objects only while referenced, and while it is, session.get() needs no query."""

    account: Account
    state: FlowState
    person: Person | None


async def load_conversation(
    session: AsyncSession,
    *,
    channel: str,
    external_id: str,
    now: datetime,
    language: str | None = None,
    display_name: str | None = None,
) -> Conversation:
    """The account, its flow state and bound person in one query (created on first
    contact)."""
    row = (
        await session.execute(
            select(Account, FlowState, Person)
            .outerjoin(FlowState, FlowState.account_id == Account.id)
            .outerjoin(Person, Person.id == Account.person_id)
            .where(Account.channel == channel, Account.external_id == external_id)
        )
    ).first()
    if row is not None and row[1] is not None:
        return Conversation(row[0], row[1], row[2])
    account = row[0] if row is not None else None
    if account is None:
        account = await get_or_create_account(
            session,
            channel=channel,
            external_id=external_id,
            now=now,
            language=language,
            display_name=display_name,
        )
    person = row[2] if row is not None else None
    return Conversation(account, await load_flow_state(session, account.id, now), person)


async def load_flow_state(session: AsyncSession, account_id: int, now: datetime) -> FlowState:
    state = await session.get(FlowState, account_id)
    if state is None:
        state = FlowState(account_id=account_id, flow=None, step=None, data={}, updated_at=now)
        session.add(state)
        await session.flush()
    return state


def save_flow_state(
    state: FlowState,
    *,
    flow: str | None,
    step: str | None,
    data: dict[str, Any],
    now: datetime,
    domain_changed: bool,
) -> bool:
    """Save when the flow moved or anything else in the transaction changed: the version
    bump then makes a concurrent turn of the same user fail instead of both winning.
    Returns whether the row was written."""
    if not domain_changed and (flow, step, data) == (state.flow, state.step, state.data or {}):
        return False
    state.flow = flow
    state.step = step
    state.data = dict(data)  # a new object: JSON columns do not track in-place changes
    state.updated_at = now
    # an equal value would be no change to SQLAlchemy; the UPDATE (and version check) must run
    flag_modified(state, "updated_at")
    return True


async def mark_update_processed(ctx: AppContext, update_id: int) -> bool:
    """True the first time an update id is seen, False for a redelivery (its own transaction,
    so the answer holds across webhook workers)."""
    try:
        async with ctx.db.transaction() as session:
            session.add(ProcessedUpdate(update_id=update_id, processed_at=ctx.now()))
    except IntegrityError:
        return False
    return True
