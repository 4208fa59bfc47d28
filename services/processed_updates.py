"""Pruning the record of handled Telegram update ids (services.flowstate marks them).

Telegram redelivers an unanswered webhook update for at most about a day, so an id older
than KEEP can never come back as a duplicate; without pruning the table grows by every update
ever received. Deleted in batches by primary key: each batch is a short transaction, so the
nightly job never holds a long lock against the workers that insert."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute

from services.context import AppContext
from storage.models import ProcessedUpdate
from storage.wechat_models import WeChatReceipt

KEEP = timedelta(days=7)
BATCH = 10_000


async def prune_older(
    ctx: AppContext,
    key: InstrumentedAttribute[Any],
    at: InstrumentedAttribute[Any],
    cutoff: datetime,
    *,
    batch: int = BATCH,
) -> int:
    """Delete the rows of `key`'s table whose `at` is before `cutoff`, `batch` keys a short
    transaction at a time; the number deleted."""
    table = key.class_
    deleted = 0
    while True:
        async with ctx.db.transaction() as session:
            keys = list(await session.scalars(select(key).where(at < cutoff).limit(batch)))
            if keys:
                await session.execute(delete(table).where(key.in_(keys)))
        deleted += len(keys)
        if len(keys) < batch:
            return deleted


async def prune_processed_updates(
    ctx: AppContext, *, keep: timedelta = KEEP, batch: int = BATCH
) -> int:
    """Delete update ids handled more than `keep` ago; the number deleted."""
    return await prune_older(
        ctx, ProcessedUpdate.update_id, ProcessedUpdate.processed_at, ctx.now() - keep, batch=batch
    )


async def prune_wechat_receipts(
    ctx: AppContext, *, keep: timedelta = KEEP, batch: int = BATCH
) -> int:
    """The same for WeChat's handled messages and events (WeChat retries within seconds)."""
    return await prune_older(
        ctx, WeChatReceipt.key, WeChatReceipt.processed_at, ctx.now() - keep, batch=batch
    )
