"""The scheduler process: under the lease, queue the day's reminder campaigns at send_from
(APScheduler 3, Asia/Shanghai) and run the sender loop.

Start as many as you like (one per host, for failover): only the holder of the lease works,
the others wait on standby and take over within `standby_poll` seconds when it dies. On
becoming active, the day's campaigns are queued at once if send_from has passed (the keys make
that idempotent), so a scheduler that was down at 09:00 still reminds people that day.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import time, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from services.claims import DigestRun, queue_review_digests
from services.context import AppContext
from services.lease import Lease
from services.organiser_upload import remove_old_uploads
from services.outbox import OutboxSender, SenderConfig, SendFn
from services.privacy import purge_due_erasures, remove_old_exports
from services.processed_updates import prune_processed_updates, prune_wechat_receipts
from services.reminders import SHANGHAI, CampaignResult, run_due
from services.upload_links import prune_upload_links

log = logging.getLogger(__name__)
LEASE_NAME = "reminders"
# How often the scheduler looks for new claims; services.claims.queue_review_digests itself
# sends a unit's reviewers a digest at most every REVIEW_DIGEST_HOURS.
REVIEW_DIGEST_CHECK = timedelta(minutes=30)


def _send_from(ctx: AppContext) -> time:
    policy = ctx.policies.latest_until(ctx.today().year)
    return policy.send_from if policy is not None else time(9, 0)


async def queue_due_campaigns(ctx: AppContext) -> list[CampaignResult]:
    """The daily job. Errors are logged, not raised: tomorrow's run must still happen."""
    try:
        results = await run_due(ctx)
    except Exception:
        log.exception("reminders: queueing today's campaigns failed")
        return []
    for r in results:
        log.info("reminders: %s created=%s queued=%d", r.key, r.created, r.queued)
    return results


async def housekeeping(ctx: AppContext) -> None:
    """The nightly job: pick up policy files changed elsewhere, delete the people whose
    erasure is due (retention passed), remove personal-data exports older than a day, and
    forget handled update ids older than a week."""
    try:
        ctx.policies.refresh()
        erased = await purge_due_erasures(ctx)
        removed = await asyncio.to_thread(remove_old_exports, ctx, timedelta(days=1))
        uploads = await asyncio.to_thread(remove_old_uploads, ctx)
        pruned = await prune_processed_updates(ctx)  # ids too old to be redelivered
        pruned += await prune_wechat_receipts(ctx)  # the same for WeChat's messages
        pruned += await prune_upload_links(ctx)  # upload links expired a day ago
        log.info(
            "housekeeping: erased=%d exports_removed=%d uploads_removed=%d updates_pruned=%d",
            erased,
            removed,
            uploads,
            pruned,
        )
    except Exception:
        log.exception("housekeeping failed")


async def review_digests(ctx: AppContext) -> DigestRun | None:
    """The reviewers' digest job: new claims since the last digest, one message per reviewer.
    Errors are logged, not raised: the next run must still happen."""
    try:
        run = await queue_review_digests(ctx)
    except Exception:
        log.exception("review digest failed")
        return None
    if run.key is not None:
        log.info("review digest: %s queued=%d claims=%d", run.key, run.queued, run.claims)
    return run


async def _run_active(
    ctx: AppContext,
    send: SendFn,
    lease: Lease,
    config: SenderConfig,
    stop: asyncio.Event,
    lease_check: float,
) -> None:
    send_from = _send_from(ctx)
    scheduler = AsyncIOScheduler(timezone=SHANGHAI)
    scheduler.add_job(
        queue_due_campaigns,
        CronTrigger(hour=send_from.hour, minute=send_from.minute, timezone=SHANGHAI),
        args=[ctx],
        id="reminders-daily",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
    )
    scheduler.add_job(
        housekeeping,
        CronTrigger(hour=3, minute=30, timezone=SHANGHAI),
        args=[ctx],
        id="housekeeping-daily",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=12 * 3600,
    )
    scheduler.add_job(
        review_digests,
        IntervalTrigger(seconds=REVIEW_DIGEST_CHECK.total_seconds(), timezone=SHANGHAI),
        args=[ctx],
        id="review-digest",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(REVIEW_DIGEST_CHECK.total_seconds()),
    )
    if ctx.now().astimezone(scheduler.timezone).time() >= send_from:
        await queue_due_campaigns(ctx)  # catch up: the keys make a repeat harmless
    scheduler.start()
    sender = OutboxSender(ctx, send, config)
    await sender.recover()
    sender_stop = asyncio.Event()
    sender_task = asyncio.create_task(sender.run(sender_stop))
    try:
        while not stop.is_set() and not sender_task.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=lease_check)
            if not await lease.alive():
                log.error("reminders: lost the lease; stopping scheduler and sender")
                break
    finally:
        scheduler.shutdown(wait=False)
        sender_stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await sender_task


async def run_scheduler(
    ctx: AppContext,
    send: SendFn,
    *,
    config: SenderConfig | None = None,
    stop: asyncio.Event | None = None,
    standby_poll: float = 15.0,
    lease_check: float = 10.0,
    on_state: Callable[[str], None] | None = None,
    retry_min: float = 1.0,
    retry_max: float = 30.0,
) -> None:
    """Run until `stop` is set: standby until the lease is free, then schedule and send.
    `on_state` hears "standby" and "active" (the CLI prints them).

    A database outage does not end it: whatever failed (taking the lease, the sender) is
    logged in one line and tried again after a pause that doubles up to `retry_max` seconds,
    and is back to `retry_min` once the database answers."""
    stop = stop or asyncio.Event()
    config = config or SenderConfig()
    announced = ""
    pause = retry_min
    while not stop.is_set():
        try:
            lease = await Lease.try_acquire(ctx.database, LEASE_NAME)
            if lease is None:
                pause = retry_min
                if announced != "standby" and on_state is not None:
                    on_state("standby")
                announced = "standby"
                await _sleep_or_stop(stop, standby_poll)
                continue
            try:
                pause = retry_min
                if on_state is not None:
                    on_state("active")
                announced = "active"
                await _run_active(ctx, send, lease, config, stop, lease_check)
            finally:
                await lease.release()
        except Exception as exc:  # no traceback: the cause is the database, said by its type
            log.warning(
                "scheduler: %s (the database may be down); retrying in %.0f s",
                type(exc).__name__,
                pause,
            )
            announced = ""  # say "active" or "standby" again once it is back
            await _sleep_or_stop(stop, pause)
            pause = min(pause * 2, retry_max)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
