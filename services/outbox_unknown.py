"""Rows the sender left `unknown` (the call was made, no answer came: a crash, a read timeout).

The sender never resends them on its own (at most once, services/outbox.py). Whether to send
them again is an operator's decision, taken knowing the cost: a person who did get the message
gets it twice. `cebot reminders unknown` lists them; `--resend` queues the listed rows again,
each once, and writes the decision to the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from services.audit import audit
from services.context import AppContext
from services.reminders import OutboxStatus
from storage.models import Campaign, OutboxMessage

REQUEUED_NOTE = "queued again by {actor} after unknown: may arrive twice"


@dataclass(frozen=True, slots=True)
class UnknownRow:
    id: int
    campaign: str | None  # the campaign's key; None for a one-off notice
    account_id: int
    kind: str
    created_at: datetime
    last_error: str | None


@dataclass(frozen=True, slots=True)
class UnknownList:
    rows: list[UnknownRow]
    total: int  # all unknown rows matching, even beyond `limit`


async def unknown_rows(
    ctx: AppContext, *, campaign: str | None = None, limit: int = 200
) -> UnknownList:
    """Unknown rows, oldest first (of one campaign when `campaign` is a key)."""
    where = [OutboxMessage.status == OutboxStatus.UNKNOWN.value]
    async with ctx.db.transaction() as session:
        if campaign is not None:
            campaign_id = await session.scalar(select(Campaign.id).where(Campaign.key == campaign))
            if campaign_id is None:
                return UnknownList([], 0)
            where.append(OutboxMessage.campaign_id == campaign_id)
        total = await session.scalar(select(func.count(OutboxMessage.id)).where(*where)) or 0
        result = await session.execute(
            select(
                OutboxMessage.id,
                Campaign.key,
                OutboxMessage.account_id,
                OutboxMessage.payload,
                OutboxMessage.created_at,
                OutboxMessage.last_error,
            )
            .outerjoin(Campaign, Campaign.id == OutboxMessage.campaign_id)
            .where(*where)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        rows = [
            UnknownRow(
                int(r[0]), r[1], int(r[2]), str((r[3] or {}).get("kind", "?")), r[4], r[5]
            )
            for r in result
        ]
    return UnknownList(rows, int(total))


async def requeue_unknown(ctx: AppContext, ids: Sequence[int], *, actor: str) -> int:
    """Queue these rows again, if they are still unknown (a row requeued by someone else in
    the meantime is not queued twice). One transaction, with its audit entry."""
    if not ids:
        return 0
    now = ctx.now()
    async with ctx.db.transaction() as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(list(ids)),
                OutboxMessage.status == OutboxStatus.UNKNOWN.value,
            )
            .values(
                status=OutboxStatus.QUEUED.value,
                not_before=now,
                claimed_by=None,
                claimed_at=None,
                last_error=REQUEUED_NOTE.format(actor=actor)[:500],
            )
            .returning(OutboxMessage.id)
        )
        requeued = sorted(int(r[0]) for r in result)
        if requeued:
            audit(
                session,
                at=now,
                actor=actor,
                action="outbox.requeue_unknown",
                entity="outbox",
                data={"ids": requeued[:1000], "count": len(requeued)},
            )
    return len(requeued)
