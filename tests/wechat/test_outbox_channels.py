"""One outbox, two channels (bot/channels.py), on SQLite and PostgreSQL: Telegram and WeChat
rows go out in one drain, each through its channel's fake API; a row for a channel this
process has no sender for fails with the reason; the senders are built from the settings
(either channel alone, or both); WeChat is paced apart, and its pacing never slows Telegram's."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from telegram import Bot
from typer.testing import CliRunner

from bot.channels import outbox_send, route_by_channel, with_channel_rates
from bot.fake_api import FakeBotApi
from bot.outbox_sender import telegram_sender
from bot.wechat.api import WeChatApi
from bot.wechat.fake_api import FakeWeChatApi
from bot.wechat.sender import wechat_sender
from bot.wechat.templates import TemplateMap
from cebot.cli_reminders import scheduler_app
from cebot.settings import Settings
from services.context import AppContext
from services.notify import queue_notice
from services.outbox import OutboxSender, SenderConfig, drain
from services.reminders import OutboxStatus
from services.wechat_window import note_inbound
from storage.models import Account, OutboxMessage

TEMPLATES = '{"notice": {"template_id": "TPL-N", "fields": {"first": "title"}}}'


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi().start()
    yield api
    api.stop()


@pytest.fixture
async def wx_api() -> AsyncIterator[FakeWeChatApi]:
    async with FakeWeChatApi() as api:
        yield api


def both_settings(bot_api: FakeBotApi, wx_api: FakeWeChatApi, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_BASE_URL": bot_api.base_url,
        "WECHAT_APP_ID": wx_api.app_id,
        "WECHAT_APP_SECRET": wx_api.app_secret,
        "WECHAT_API_BASE_URL": wx_api.base_url,
        "WECHAT_TEMPLATES": TEMPLATES,
    }
    values.update(extra)
    return Settings(**values)


async def account(ctx: AppContext, channel: str, external_id: str, *, window: bool = False) -> int:
    async with ctx.db.transaction() as s:
        a = Account(channel=channel, external_id=external_id, created_at=ctx.now())
        s.add(a)
        await s.flush()
        if window:
            await note_inbound(s, a.id, "message", ctx.now() - timedelta(minutes=1))
        return a.id


async def notice(ctx: AppContext, account_id: int) -> int:
    async with ctx.db.transaction() as s:
        row = queue_notice(
            s,
            account_id=account_id,
            key="claim-told-approved",
            now=ctx.now(),
            args={"title": "急救培训", "hours": "8"},
            buttons=(("menu-progress", "m:prog"),),
        )
        await s.flush()
        return row.id


async def status(ctx: AppContext, row_id: int) -> tuple[str, str | None]:
    async with ctx.db.transaction() as s:
        row = await s.get(OutboxMessage, row_id)
        assert row is not None
        return row.status, row.last_error


async def test_telegram_and_wechat_rows_in_one_drain(
    ctx: AppContext, bot_api: FakeBotApi, wx_api: FakeWeChatApi
) -> None:
    tg = await notice(ctx, await account(ctx, "telegram", "501"))
    wx_in = await notice(ctx, await account(ctx, "wechat", "o-in", window=True))
    wx_out = await notice(ctx, await account(ctx, "wechat", "o-out"))
    console = await notice(ctx, await account(ctx, "console", "local"))
    wx = WeChatApi(
        base_url=wx_api.base_url,
        app_id=wx_api.app_id,
        app_secret=wx_api.app_secret,
        db=ctx.database,
        clock=ctx.clock,
    )
    try:
        async with Bot(bot_api.token, base_url=bot_api.base_url) as bot:
            send = route_by_channel(
                {
                    "telegram": telegram_sender(bot),
                    "wechat": wechat_sender(
                        wx, ctx.database, TemplateMap.model_validate_json(TEMPLATES), ctx.clock
                    ),
                }
            )
            stats = await drain(ctx, send, SenderConfig(rate=50, poll_interval=0.05))
    finally:
        await wx.aclose()

    assert stats.sent == 3 and stats.failed == 1
    [tg_call] = bot_api.sent_to(501)
    assert "急救培训" in tg_call.params["text"]
    assert tg_call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "m:prog"
    [custom] = wx_api.calls_of("message/custom/send")
    assert custom.openid == "o-in" and custom.text is not None and "1. " in custom.text
    [template] = wx_api.calls_of("message/template/send")
    assert template.openid == "o-out" and template.template_id == "TPL-N"
    for row_id in (tg, wx_in, wx_out):
        assert (await status(ctx, row_id))[0] == OutboxStatus.SENT.value
    state, error = await status(ctx, console)
    assert state == OutboxStatus.FAILED.value
    assert error is not None and "no sender for channel console" in error


async def test_the_senders_come_from_the_settings(
    ctx: AppContext, bot_api: FakeBotApi, wx_api: FakeWeChatApi
) -> None:
    tg = await notice(ctx, await account(ctx, "telegram", "601"))
    wx = await notice(ctx, await account(ctx, "wechat", "o-601"))
    config = with_channel_rates(SenderConfig(rate=50, poll_interval=0.05))
    # WeChat alone: Telegram's row says why it was not sent
    only_wechat = both_settings(bot_api, wx_api, TELEGRAM_BOT_TOKEN="")
    async with outbox_send(only_wechat, ctx, config) as send:
        await drain(ctx, send, config)
    assert (await status(ctx, wx))[0] == OutboxStatus.SENT.value
    state, error = await status(ctx, tg)
    assert state == OutboxStatus.FAILED.value and error is not None
    assert "no sender for channel telegram" in error and "wechat" in error
    assert bot_api.sent_to(601) == []

    # both: a new row on each channel goes out
    tg2 = await notice(ctx, await account(ctx, "telegram", "602"))
    wx2 = await notice(ctx, await account(ctx, "wechat", "o-602"))
    async with outbox_send(both_settings(bot_api, wx_api), ctx, config) as send:
        await drain(ctx, send, config)
    for row_id in (tg2, wx2):
        assert (await status(ctx, row_id))[0] == OutboxStatus.SENT.value
    assert len(bot_api.sent_to(602)) == 1
    assert [c.openid for c in wx_api.calls_of("message/template/send")] == ["o-601", "o-602"]

    neither = both_settings(bot_api, wx_api, TELEGRAM_BOT_TOKEN="", WECHAT_APP_ID="")
    with pytest.raises(ValueError, match="neither"):
        async with outbox_send(neither, ctx, config):
            pass


async def test_wechat_is_paced_apart_from_telegram(
    ctx: AppContext, bot_api: FakeBotApi, wx_api: FakeWeChatApi
) -> None:
    wechat_rate = 4.0
    for i in range(8):
        await notice(ctx, await account(ctx, "wechat", f"o-pace-{i}"))
        await notice(ctx, await account(ctx, "telegram", str(700 + i)))
    config = SenderConfig(
        rate=100, per_chat_interval=0.0, poll_interval=0.05, channel_rates={"wechat": wechat_rate}
    )
    settings = both_settings(bot_api, wx_api)
    async with outbox_send(settings, ctx, config) as send:
        sender = OutboxSender(ctx, send, config)
        await sender.recover()
        stats = await sender.run(until_idle=True)
    assert stats.sent == 16

    wx_times = sorted(c.at for c in wx_api.calls_of("message/template/send"))
    tg_times = sorted(c.at for c in bot_api.calls_of("sendMessage"))
    assert len(wx_times) == len(tg_times) == 8
    # never more than 4 WeChat sends in any second (0.1 s allowed for arrival jitter)
    for i in range(len(wx_times) - 4):
        assert wx_times[i + 4] - wx_times[i] >= 1.0 - 0.1
    # Telegram's rows did not wait behind WeChat's pacer: all out before WeChat's last
    assert tg_times[-1] < wx_times[-1]
    assert tg_times[-1] - tg_times[0] < 1.0


def scheduler_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)  # no .env of the project's
    for name in ("TELEGRAM_BOT_TOKEN", "WECHAT_APP_ID", "WECHAT_TEMPLATES"):
        monkeypatch.delenv(name, raising=False)
    base = {"CEBOT_LANGUAGE": "en", "CEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    for name, value in (base | env).items():
        monkeypatch.setenv(name, value)
    app = typer.Typer()
    app.add_typer(scheduler_app, name="scheduler")
    result = CliRunner().invoke(app, ["scheduler"])
    return result.exit_code, result.stdout + result.stderr


def test_the_scheduler_needs_a_channel_and_good_templates(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, out = scheduler_cli(monkeypatch, tmp_path)
    assert code == 1 and "set TELEGRAM_BOT_TOKEN or WECHAT_APP_ID" in out
    code, out = scheduler_cli(
        monkeypatch, tmp_path, WECHAT_APP_ID="wx1", WECHAT_TEMPLATES='{"public": {}}'
    )
    assert code == 1 and "WECHAT_TEMPLATES" in out and "template_id" in out
    assert not (tmp_path / "x.db").exists()  # refused before touching the database


async def test_wrong_wechat_settings_hold_its_rows_and_telegram_goes_on(
    ctx: AppContext, bot_api: FakeBotApi, wx_api: FakeWeChatApi
) -> None:
    tg = await notice(ctx, await account(ctx, "telegram", "901"))
    wx = await notice(ctx, await account(ctx, "wechat", "o-901"))
    config = with_channel_rates(SenderConfig(rate=50, poll_interval=0.05))
    wrong = both_settings(bot_api, wx_api, WECHAT_TEMPLATES='{"public": {"fields": {}}}')
    async with outbox_send(wrong, ctx, config) as send:
        await drain(ctx, send, config)
    assert (await status(ctx, tg))[0] == OutboxStatus.SENT.value
    state, error = await status(ctx, wx)
    assert state == OutboxStatus.QUEUED.value  # waits for the fix; nothing lost
    assert error is not None and "WECHAT_TEMPLATES public" in error
    assert wx_api.calls_of("message/template/send") == []
