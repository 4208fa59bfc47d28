"""Pruning the record of handled Telegram update ids (services.flowstate marks them).

Telegram redelivers an unanswered webhook update for at most about a day, so an id older
than KEEP can never come back as a duplicate; without pruning the table grows by every update
ever received. Deleted in batches by primary key: each batch is a short transaction, so the
nightly job never holds a long lock against the workers that insert."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from services.context import AppContext
from storage.models import ProcessedUpdate
from storage.wechat_models import WeChatReceipt

KEEP = timedelta(days=7)
BATCH = 10_000


async def prune_processed_updates(
    ctx: AppContext, *, keep: timedelta = KEEP, batch: int = BATCH
) -> int:
    """Delete update ids handled more than `keep` ago; the number deleted."""
    cutoff = ctx.now() - keep
    deleted = 0
    while True:
        async with ctx.db.transaction() as session:
            ids = list(
                await session.scalars(
                    select(ProcessedUpdate.update_id)
                    .where(ProcessedUpdate.processed_at < cutoff)
                    .limit(batch)
                )
            )
            if ids:
                await session.execute(
                    delete(ProcessedUpdate).where(ProcessedUpdate.update_id.in_(ids))
                )
        deleted += len(ids)
        if len(ids) < batch:
            return deleted


async def prune_wechat_receipts(
    ctx: AppContext, *, keep: timedelta = KEEP, batch: int = BATCH
) -> int:
    """The same for WeChat's handled messages and events (WeChat retries within seconds)."""
    cutoff = ctx.now() - keep
    deleted = 0
    while True:
        async with ctx.db.transaction() as session:
            keys = list(
                await session.scalars(
                    select(WeChatReceipt.key)
                    .where(WeChatReceipt.processed_at < cutoff)
                    .limit(batch)
                )
            )
            if keys:
                await session.execute(delete(WeChatReceipt).where(WeChatReceipt.key.in_(keys)))
        deleted += len(keys)
        if len(keys) < batch:
            return deleted
