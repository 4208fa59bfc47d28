"""One outbox, several channels: the sender's `send` routed by each account's channel.

Telegram is configured by TELEGRAM_BOT_TOKEN, WeChat by WECHAT_APP_ID; a process sends to the
channels it has, and a row for an account of a channel it does not have fails with the reason
(PermanentError: the same process would fail it again; the campaign report counts it).

Pacing per channel: Telegram keeps the sender's overall `rate` (30/s) exactly as before.
WeChat publishes no per-second limit for customer-service and template sends, only daily
quotas (template messages: about 100,000 a day for a verified service account), so WeChat
rows get a pacer of their own at WECHAT_RATE: a 100,000-person campaign then takes under an
hour and a half, and a burst never competes with Telegram's 30 in any second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from services.context import AppContext
from services.outbox import Buttons, PermanentError, RetryLater, SenderConfig, SendFn

if TYPE_CHECKING:
    from telegram import Bot

    from cebot.settings import Settings

log = logging.getLogger(__name__)

TELEGRAM = "telegram"
WECHAT = "wechat"
WECHAT_RATE = 20.0  # messages per second to WeChat, apart from Telegram's
HELD_RETRY = 600.0  # seconds a row of a misconfigured channel waits before it is tried again


def route_by_channel(senders: Mapping[str, SendFn]) -> SendFn:
    """A SendFn that hands each row to its channel's sender."""
    routes = dict(senders)

    async def send(channel: str, external_id: str, text: str, buttons: Buttons | None) -> None:
        target = routes.get(channel)
        if target is None:
            configured = ", ".join(sorted(routes)) or "none"
            raise PermanentError(
                f"no sender for channel {channel} in this process (configured: {configured})"
            )
        await target(channel, external_id, text, buttons)

    return send


def held_sender(reason: str) -> SendFn:
    """A channel whose settings are wrong: its rows wait (RetryLater, the reason in their
    last_error) until the settings are fixed and the process restarted, instead of failing
    for good or stopping the other channels' sending."""

    async def send(channel: str, external_id: str, text: str, buttons: Buttons | None) -> None:
        held = RetryLater(HELD_RETRY)
        held.args = (f"{reason}; retry after {HELD_RETRY:.0f}s",)
        raise held

    return send


def with_channel_rates(config: SenderConfig) -> SenderConfig:
    """The config with WeChat's own pacer (an explicit channel_rates entry wins)."""
    return replace(config, channel_rates={WECHAT: WECHAT_RATE, **config.channel_rates})


def telegram_configured(settings: Settings) -> bool:
    token = settings.telegram_bot_token
    return token is not None and bool(token.get_secret_value())


def wechat_configured(settings: Settings) -> bool:
    return bool(settings.wechat_app_id.strip())


@contextlib.asynccontextmanager
async def outbox_send(
    settings: Settings, ctx: AppContext, config: SenderConfig, *, bot: Bot | None = None
) -> AsyncIterator[SendFn]:
    """The routed SendFn for every channel configured: Telegram through `bot` (an
    application's) or a Bot of its own made from the token, WeChat through an API client
    sharing the database's access token. Raises ValueError when neither is configured."""
    from bot.outbox_sender import telegram_sender

    async with contextlib.AsyncExitStack() as stack:
        senders: dict[str, SendFn] = {}
        if bot is not None:
            senders[TELEGRAM] = telegram_sender(bot)
        elif telegram_configured(settings):
            from telegram import Bot
            from telegram.request import HTTPXRequest

            # a pool as large as the sender's concurrency; no rate limiter: the sender paces
            request = HTTPXRequest(connection_pool_size=config.max_in_flight + 2)
            token = settings.telegram_bot_token.get_secret_value()  # type: ignore[union-attr]
            own = Bot(token, base_url=settings.telegram_base_url, request=request)
            senders[TELEGRAM] = telegram_sender(await stack.enter_async_context(own))
        if wechat_configured(settings):
            from bot.wechat.api import WeChatApi
            from bot.wechat.sender import wechat_sender
            from bot.wechat.templates import TemplateConfigError, parse_templates

            try:
                templates = parse_templates(settings.wechat_templates)
                api = WeChatApi.from_settings(settings, ctx.database, ctx.clock)
            except (TemplateConfigError, ValueError) as exc:  # `cebot doctor` says the same
                log.error("wechat: %s; WeChat messages wait until it is fixed", exc)
                senders[WECHAT] = held_sender(str(exc))
            else:
                if api is not None:
                    stack.push_async_callback(api.aclose)
                    senders[WECHAT] = wechat_sender(
                        api, ctx.database, templates, ctx.clock, public_url=ctx.public_url
                    )
        if not senders:
            raise ValueError("neither TELEGRAM_BOT_TOKEN nor WECHAT_APP_ID is set")
        yield route_by_channel(senders)


async def run_channel_scheduler(
    settings: Settings,
    ctx: AppContext,
    stop: asyncio.Event,
    *,
    bot: Bot | None = None,
    config: SenderConfig | None = None,
) -> None:
    """The scheduler and sender for every configured channel, until `stop` (embedded in a
    polling or webhook process, Telegram's application or a WeChat-only one)."""
    from services.scheduler import run_scheduler

    config = with_channel_rates(config or SenderConfig())
    async with outbox_send(settings, ctx, config, bot=bot) as send:
        await run_scheduler(ctx, send, config=config, stop=stop)
