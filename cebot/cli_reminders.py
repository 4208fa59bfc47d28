"""`cebot broadcast`, `cebot reminders …` and `cebot scheduler`: Typer apps registered by
cebot/cli.py:

    app.add_typer(broadcast_app, name="broadcast")
    app.add_typer(reminders_app, name="reminders")
    app.add_typer(scheduler_app, name="scheduler")

cebot.cli is imported inside the commands, not at the top, so that cebot.cli can import this
module without a cycle.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any

import typer

from services.context import AppContext
from services.outbox import SenderConfig, SendFn
from services.reminders import (
    AudienceStatus,
    BroadcastFilter,
    BroadcastTooLong,
    CampaignError,
    campaign_report,
    check_broadcast_text,
    preview_broadcast,
    queue_broadcast,
    run_due,
)

broadcast_app = typer.Typer(help="Send a notice to many people (preview first).")
reminders_app = typer.Typer(help="Deadline reminders: queue, send, report.", no_args_is_help=True)
scheduler_app = typer.Typer(help="Run the reminder scheduler and sender (one is active).")


def _campaign_error(exc: CampaignError, **args: Any) -> str:
    from cebot.cli import _t

    keys = {
        "no_policy": "cli-campaign-no-policy",
        "empty_text": "cli-broadcast-empty",
        "id_number": "cli-broadcast-id-number",
        "unknown_campaign": "cli-campaign-unknown",
        "too_long": "cli-broadcast-too-long",
    }
    if isinstance(exc, BroadcastTooLong):
        args = {**args, "length": exc.length, "max": exc.limit}
    return _t()(keys.get(exc.reason, "cli-campaign-unknown"), **args)


# ------------------------------------------------------------------------------ broadcast


@broadcast_app.callback(invoke_without_command=True)
def broadcast(
    text: Annotated[str, typer.Option("--text", help="The notice (plain text).")],
    city: Annotated[str | None, typer.Option(help="Only people of units in this city.")] = None,
    unit: Annotated[str | None, typer.Option(help="Only people of this unit (credit code).")] = (
        None
    ),
    status: Annotated[
        str,
        typer.Option(
            help="all | complete | incomplete (the year's requirement) | "
            "public_incomplete (mandatory exam not passed)."
        ),
    ] = "all",
    year: Annotated[int | None, typer.Option(help="The year `--status` refers to.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = (
        False
    ),
) -> None:
    """Preview how many accounts match, confirm, then queue the notice for the sender."""
    from cebot.cli import _settings, _t, fail, friendly, run_with_context

    @friendly
    def body() -> None:
        t = _t()
        try:
            chosen = AudienceStatus(status)
        except ValueError:
            fail(t("cli-broadcast-bad-status"))
        flt = BroadcastFilter(city=city, unit_code=unit, status=chosen, year=year)
        try:
            check_broadcast_text(text)  # before the preview: nothing to confirm in vain
        except CampaignError as exc:
            fail(_campaign_error(exc))
        settings = _settings()
        try:
            count = run_with_context(settings, lambda ctx: preview_broadcast(ctx, flt))
        except CampaignError as exc:
            fail(_campaign_error(exc))
        typer.echo(t("cli-broadcast-preview", count=count))
        if count == 0:
            typer.echo(t("cli-broadcast-nobody"))
            return
        if not yes and not typer.confirm(t("cli-broadcast-confirm", count=count)):
            raise typer.Abort()
        try:
            result = run_with_context(
                settings, lambda ctx: queue_broadcast(ctx, text, flt, actor="cli")
            )
        except CampaignError as exc:
            fail(_campaign_error(exc))
        key = "cli-broadcast-queued" if result.created else "cli-broadcast-repeat"
        typer.echo(t(key, queued=result.queued, campaign=result.key))

    body()


# ------------------------------------------------------------------------------ reminders


@reminders_app.command("run-due")
def reminders_run_due(
    on: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD in Shanghai (default: today).")
    ] = None,
) -> None:
    """Queue the reminder campaigns due on a day (safe to repeat: each runs once)."""
    from cebot.cli import _settings, _t, fail, friendly, run_with_context

    @friendly
    def body() -> None:
        t = _t()
        try:
            day = date.fromisoformat(on) if on else None
        except ValueError:
            fail(f"--date {on}")
        try:
            results = run_with_context(_settings(), lambda ctx: run_due(ctx, day, actor="cli"))
        except CampaignError as exc:
            fail(_campaign_error(exc))
        if not results:
            typer.echo(t("cli-reminders-none", date=(day.isoformat() if day else "-")))
        for r in results:
            msg = "cli-reminders-queued" if r.created else "cli-reminders-repeat"
            typer.echo(t(msg, campaign=r.key, queued=r.queued))

    body()


@reminders_app.command("report")
def reminders_report(
    key: Annotated[str, typer.Argument(help="Campaign key, e.g. public:2024:d7.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A campaign's report: queued, sent, failed, unreachable, unknown, duration."""
    from cebot.cli import _settings, _t, fail, friendly, run_with_context

    @friendly
    def body() -> None:
        t = _t()
        try:
            report = run_with_context(_settings(), lambda ctx: campaign_report(ctx, key))
        except CampaignError as exc:
            fail(_campaign_error(exc, campaign=key))
        data = report.as_json()
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        typer.echo(t("cli-report-title", campaign=report.key, kind=report.kind))
        typer.echo("  " + t("cli-report-line", **{k: v for k, v in data.items() if k != "key"}))
        seconds = data["duration_seconds"]
        if report.pending or seconds is None:
            typer.echo("  " + t("cli-report-not-finished"))
        else:
            typer.echo("  " + t("cli-report-duration", seconds=str(seconds)))

    body()


@reminders_app.command("resend-unknown")
def reminders_resend_unknown(
    campaign: Annotated[
        str | None, typer.Option("--campaign", help="Only this campaign's rows (its key).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows at a time.")] = 200,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = (
        False
    ),
) -> None:
    """List the messages left "unknown" (maybe delivered) and, once confirmed, queue them
    again: whoever did get one gets it twice."""
    from cebot.cli import _settings, _t, friendly, run_with_context
    from services.outbox_unknown import requeue_unknown, unknown_rows

    @friendly
    def body() -> None:
        t = _t()
        settings = _settings()
        found = run_with_context(
            settings, lambda ctx: unknown_rows(ctx, campaign=campaign, limit=max(limit, 1))
        )
        if not found.rows:
            typer.echo(t("cli-unknown-none"))
            return
        typer.echo(t("cli-unknown-title", total=found.total))
        for row in found.rows:
            typer.echo(
                "  "
                + t(
                    "cli-unknown-row",
                    id=row.id,
                    campaign=row.campaign or row.kind,
                    account=row.account_id,
                    created=row.created_at.strftime("%Y-%m-%d %H:%M"),
                    error=row.last_error or "-",
                )
            )
        if found.total > len(found.rows):
            typer.echo("  " + t("cli-unknown-more", more=found.total - len(found.rows)))
        typer.echo(t("cli-unknown-risk"))
        if not yes and not typer.confirm(t("cli-unknown-confirm", count=len(found.rows))):
            raise typer.Abort()
        ids = [row.id for row in found.rows]
        count = run_with_context(settings, lambda ctx: requeue_unknown(ctx, ids, actor="cli"))
        typer.echo(t("cli-unknown-requeued", count=count))

    body()


# ------------------------------------------------------------------------------ scheduler


@asynccontextmanager
async def telegram_send(settings: Any, config: SenderConfig) -> AsyncIterator[SendFn]:
    """A Bot with a connection pool as large as the sender's concurrency, no rate limiter
    (the sender paces itself)."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.outbox_sender import telegram_sender

    request = HTTPXRequest(connection_pool_size=config.max_in_flight + 2)
    token = settings.telegram_bot_token.get_secret_value()
    async with Bot(token, base_url=settings.telegram_base_url, request=request) as bot:
        yield telegram_sender(bot)


@scheduler_app.callback(invoke_without_command=True)
def scheduler(
    rate: Annotated[float, typer.Option(help="Messages per second, overall.")] = 30.0,
    per_chat: Annotated[float, typer.Option(help="Seconds between two to one chat.")] = 1.0,
) -> None:
    """Run the scheduler: daily reminder campaigns at send time, and the outbox sender. Start
    one per host if you like; only one is active (database lease), the others stand by."""
    from cebot.cli import _settings, _t, build_context, ensure_migrated, fail, friendly

    @friendly
    def body() -> None:
        from bot.channels import (
            outbox_send,
            telegram_configured,
            wechat_configured,
            with_channel_rates,
        )
        from bot.wechat.templates import TemplateConfigError, parse_templates
        from services.scheduler import run_scheduler

        settings = _settings()
        t = _t()
        # Telegram, WeChat or both: each row goes by its account's channel (bot.channels)
        if not telegram_configured(settings) and not wechat_configured(settings):
            fail(t("cli-scheduler-no-channel"))
        try:
            parse_templates(settings.wechat_templates)  # said now, not at the first template
        except TemplateConfigError as exc:
            fail(t("cli-scheduler-bad-templates", reason=str(exc)))
        ensure_migrated(settings)
        ctx: AppContext = build_context(settings)
        config = with_channel_rates(SenderConfig(rate=rate, per_chat_interval=per_chat))

        def on_state(state: str) -> None:
            key = "cli-scheduler-standby" if state == "standby" else "cli-scheduler-started"
            typer.echo(t(key))

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)  # finish calls in flight, then stop
            try:
                async with outbox_send(settings, ctx, config) as send:
                    await run_scheduler(ctx, send, config=config, stop=stop, on_state=on_state)
            finally:
                await ctx.db.dispose()

        asyncio.run(main())

    body()
