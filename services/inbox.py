"""The webhook inbox: an update answered 200 is kept in the database until it is handled.

- `accept` stores the raw update (encrypted: users type ID numbers) in its own short
  transaction, claimed by the worker that received it; a redelivery is refused here (still
  in the inbox) or by `processed_updates` (handled already).
- The turn's transaction records the update in `processed_updates` (`receipt`): the turn and
  "handled" commit together, so a crash either leaves the update to be handled again or
  handled once; never twice.
- `finish` removes the row once the answer is sent (and records updates no turn handled).
- A worker holds a lease named after itself while it runs (services/lease.py: freed by the
  database or the kernel when the process dies). `take_over` hands a dead worker's rows to a
  live one: rows never handled are handled again; rows whose turn committed but whose answer
  was being sent are dropped and counted as `unknown`, like the outbox's rows in flight at a
  crash (sending again could answer twice).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.context import AppContext
from services.lease import Lease
from storage.models import ProcessedUpdate, WebhookInbox

log = logging.getLogger(__name__)
WORKER_LEASE = "webhook-worker:"
UNCLAIMED = "-"  # the lease name standing for rows nobody claimed


class AlreadyHandled(Exception):
    """The receipt found the update handled before (a redelivery): the turn is undone."""


@dataclass
class Recovered:
    """What `take_over` found: updates to handle now (oldest first), and those that were
    being answered when their worker stopped."""

    pending: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    unknown_updates: list[dict[str, Any]] = field(default_factory=list)  # to say sorry


async def accept(
    ctx: AppContext, update_id: int, user_key: int | None, data: dict[str, Any], worker: str
) -> bool:
    """Keep the update, claimed by `worker`; False for a copy already kept or handled."""
    try:
        async with ctx.db.transaction() as session:
            if await session.get(ProcessedUpdate, update_id) is not None:
                return False
            session.add(
                WebhookInbox(
                    update_id=update_id,
                    user_key=user_key,
                    payload=ctx.ids.encrypt(json.dumps(data, ensure_ascii=False)),
                    received_at=ctx.now(),
                    claimed_by=worker,
                )
            )
    except IntegrityError:
        return False
    return True


def receipt(ctx: AppContext, update_id: int) -> Callable[[AsyncSession], Awaitable[None]]:
    """Written in the turn's transaction: the update is handled when the turn commits."""

    async def record(session: AsyncSession) -> None:
        if await session.get(ProcessedUpdate, update_id) is not None:
            raise AlreadyHandled(update_id)
        session.add(ProcessedUpdate(update_id=update_id, processed_at=ctx.now()))
        await session.flush()  # a concurrent copy conflicts here; the engine retries once

    return record


def _insert_ignore(dialect: str) -> Any:
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def finish(ctx: AppContext, update_id: int) -> None:
    """The update's answer is out (or it needed no turn): forget the row, remember the id."""
    async with ctx.db.transaction() as session:
        insert = _insert_ignore(ctx.database.dialect)
        await session.execute(
            insert(ProcessedUpdate)
            .values(update_id=update_id, processed_at=ctx.now())
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
        await session.execute(delete(WebhookInbox).where(WebhookInbox.update_id == update_id))


async def hold_worker_lease(ctx: AppContext, worker: str) -> Lease | None:
    return await Lease.try_acquire(ctx.database, WORKER_LEASE + worker)


async def take_over(ctx: AppContext, worker: str, busy: set[int]) -> Recovered:
    """Claim the rows of workers that are gone (their lease is free) and this worker's own
    rows not in hand (`busy`: being handled here now), e.g. when `finish` failed."""
    found = Recovered()
    async with ctx.db.transaction() as session:
        owners = set(await session.scalars(select(WebhookInbox.claimed_by).distinct()))
    for owner in sorted(owners, key=lambda o: o or ""):
        if owner == worker:
            continue
        lease = await Lease.try_acquire(ctx.database, WORKER_LEASE + (owner or UNCLAIMED))
        if lease is None:  # alive: its rows are its own
            continue
        try:
            async with ctx.db.transaction() as session:
                await session.execute(
                    update(WebhookInbox)
                    .where(
                        WebhookInbox.claimed_by.is_(None)
                        if owner is None
                        else WebhookInbox.claimed_by == owner
                    )
                    .values(claimed_by=worker)
                )
        finally:
            await lease.release()
    async with ctx.db.transaction() as session:
        rows = list(
            await session.execute(
                select(WebhookInbox.update_id, WebhookInbox.payload, ProcessedUpdate.update_id)
                .outerjoin(ProcessedUpdate, ProcessedUpdate.update_id == WebhookInbox.update_id)
                .where(WebhookInbox.claimed_by == worker)
                .order_by(WebhookInbox.update_id)
            )
        )
        # turn committed, answer maybe sent: never answered again (at most once)
        found.unknown = [u for u, _p, done in rows if done is not None and u not in busy]
        if found.unknown:
            await session.execute(
                delete(WebhookInbox).where(WebhookInbox.update_id.in_(found.unknown))
            )
    unreadable = []
    for update_id, payload, done in rows:
        if update_id in busy:
            continue
        try:
            data = json.loads(ctx.ids.decrypt(payload))
        except (InvalidToken, ValueError):  # a key no longer listed: it cannot be handled
            if done is None:
                unreadable.append(update_id)
            continue
        if done is None:
            found.pending.append((update_id, data))
        elif update_id in found.unknown:
            found.unknown_updates.append(data)
    if unreadable:
        log.warning("webhook inbox: %d updates unreadable (key changed); dropped", len(unreadable))
        for update_id in unreadable:
            await finish(ctx, update_id)
    if found.unknown:
        log.warning(
            "webhook inbox: %d updates were being answered when their worker stopped; "
            "their answers may be missing (unknown=%d, update ids %s)",
            len(found.unknown),
            len(found.unknown),
            ",".join(str(u) for u in found.unknown[:100]),
        )
    if found.pending:
        log.info("webhook inbox: %d updates taken over", len(found.pending))
    return found
