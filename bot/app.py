"""The one application factory, for long polling and for the webhook."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from telegram.ext import Application, ApplicationBuilder

from bot.channels import run_channel_scheduler
from bot.flows import Engine
from bot.handlers.commands import post_init
from bot.handlers.ordering import PerUserUpdateProcessor
from bot.handlers.telegram import install
from bot.outbox_sender import telegram_sender
from bot.serve import bind, local_address, polling_app, server
from bot.webhook import WEBHOOK_PATH, create_webhook_app
from bot.wechat.webhook import webhook_from_settings
from cebot.settings import Settings
from services.context import AppContext
from services.scheduler import run_scheduler

log = logging.getLogger(__name__)

MAX_CONCURRENT_UPDATES = 64


def build_application(settings: Settings, ctx: AppContext) -> Application:  # type: ignore[type-arg]
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        raise ValueError("TELEGRAM_BOT_TOKEN is not set (try `cebot chat` to use the terminal)")
    # httpx logs every request URL at INFO, and Bot API URLs contain the token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .concurrent_updates(PerUserUpdateProcessor(MAX_CONCURRENT_UPDATES))
        .post_init(post_init)
        # PTB would start its own APScheduler (idle) in every worker because APScheduler is
        # installed for services/scheduler.py; cebot schedules nothing through PTB
        .job_queue(None)
        .build()
    )
    install(application, Engine(ctx))
    return application


def embed_scheduler(
    application: Application,  # type: ignore[type-arg]
    ctx: AppContext,
    settings: Settings | None = None,
) -> None:
    """Run the reminder scheduler and outbox sender inside this application's event loop,
    with its Bot: a one-process deployment needs nothing else. The database lease still
    guards it, so a second process would only stand by. run_scheduler outlives database
    outages itself; should it still end, the log says so (never "exception never
    retrieved"). With `settings`, the sender also sends to WeChat when WECHAT_APP_ID is set
    (bot.channels routes each row by its account's channel)."""
    stop = asyncio.Event()
    first_init = application.post_init
    tasks: list[asyncio.Task[None]] = []

    async def start(app: Application) -> None:  # type: ignore[type-arg]
        if first_init is not None:
            await first_init(app)
        # not app.create_task: Application.stop() waits for those, and this one ends only
        # when `finish` (post_stop, after stop()) tells it to
        if settings is not None:
            job = run_channel_scheduler(settings, ctx, stop, bot=app.bot)
        else:
            job = run_scheduler(ctx, telegram_sender(app.bot), stop=stop)
        task = asyncio.create_task(job, name="cebot-scheduler")
        task.add_done_callback(_scheduler_ended)
        tasks.append(task)

    async def finish(_app: Application) -> None:  # type: ignore[type-arg]
        stop.set()
        if tasks:
            await asyncio.wait(tasks, timeout=30)

    application.post_init = start
    application.post_stop = finish


def _scheduler_ended(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.critical("the embedded scheduler ended: %s", type(error).__name__)


def run_polling(
    settings: Settings,
    ctx: AppContext,
    *,
    with_scheduler: bool = True,
    announce: Callable[[str], None] | None = None,
) -> None:
    """The one-process deployment: polling, the scheduler, and the web pages the bot links
    to (the certificates' QR codes, the privacy notice) on CEBOT_LISTEN_HOST/PORT;
    `announce` hears their address."""
    if _wechat_only(settings, ctx, with_scheduler=with_scheduler, announce=announce):
        return
    application = build_application(settings, ctx)
    if with_scheduler:
        embed_scheduler(application, ctx, settings)
    sock = bind(settings.listen_host, settings.listen_port)  # a busy port fails here, at once
    if announce is not None:
        announce(local_address(sock))
    # /wechat too when WECHAT_APP_ID is set (bot/wechat/webhook.py)
    wechat = webhook_from_settings(ctx, settings)
    asyncio.run(server(polling_app(application, ctx, wechat)).serve(sockets=[sock]))


def run_webhook(settings: Settings, ctx: AppContext, *, with_scheduler: bool = False) -> None:
    if _wechat_only(settings, ctx, with_scheduler=with_scheduler):
        return
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not secret:
        raise ValueError("CEBOT_WEBHOOK_SECRET must be set for the webhook")
    application = build_application(settings, ctx)
    if with_scheduler:
        embed_scheduler(application, ctx, settings)
    web = create_webhook_app(
        application,
        ctx,
        secret=secret,
        webhook_url=settings.public_url.rstrip("/") + WEBHOOK_PATH,
        wechat=webhook_from_settings(ctx, settings),  # /wechat when WECHAT_APP_ID is set
    )
    sock = bind(settings.listen_host, settings.listen_port)
    asyncio.run(server(web).serve(sockets=[sock]))


def _wechat_only(
    settings: Settings,
    ctx: AppContext,
    *,
    with_scheduler: bool,
    announce: Callable[[str], None] | None = None,
) -> bool:
    """Serve WeChat alone (and the web pages) when WeChat is set and Telegram is not; False
    when Telegram is configured (the caller serves both, or Telegram alone)."""
    from bot.channels import telegram_configured, wechat_configured
    from bot.wechat.app import wechat_only_app

    if telegram_configured(settings) or not wechat_configured(settings):
        return False
    web = wechat_only_app(settings, ctx, with_scheduler=with_scheduler)
    sock = bind(settings.listen_host, settings.listen_port)
    if announce is not None:
        announce(local_address(sock))
    asyncio.run(server(web).serve(sockets=[sock]))
    return True
