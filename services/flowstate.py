"""Conversation state in the database, and the record of Telegram updates already handled.

FlowState carries a version column (SQLAlchemy version_id_col): two transactions that read the
same version and both write make the second one fail with StaleDataError, so two concurrent
updates of one user can never both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from services.context import AppContext
from storage.models import FlowState, ProcessedUpdate


async def load_flow_state(session: AsyncSession, account_id: int, now: datetime) -> FlowState:
    state = await session.get(FlowState, account_id)
    if state is None:
        state = FlowState(account_id=account_id, flow=None, step=None, data={}, updated_at=now)
        session.add(state)
        await session.flush()
    return state


def save_flow_state(
    state: FlowState, *, flow: str | None, step: str | None, data: dict[str, Any], now: datetime
) -> None:
    """Always touches the row, so every update bumps the version and conflicts are caught
    even when the flow itself did not move."""
    state.flow = flow
    state.step = step
    state.data = dict(data)  # a new object: JSON columns do not track in-place changes
    state.updated_at = now
    # an equal value would be no change to SQLAlchemy; the UPDATE (and version check) must run
    flag_modified(state, "updated_at")


async def mark_update_processed(ctx: AppContext, update_id: int) -> bool:
    """True the first time an update id is seen, False for a redelivery (its own transaction,
    so the answer holds across webhook workers)."""
    try:
        async with ctx.db.transaction() as session:
            session.add(ProcessedUpdate(update_id=update_id, processed_at=ctx.now()))
    except IntegrityError:
        return False
    return True
