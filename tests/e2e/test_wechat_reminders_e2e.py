"""The 31 December reminder on both channels, end to end on SQLite and PostgreSQL: on 30
December an administrator runs `cebot reminders run-due`; the scheduler's sender loop (what
`cebot run` embeds and `cebot scheduler` runs: bot.channels.run_channel_scheduler, with the
senders built from the settings) delivers it to a Telegram account as a message through the
fake Bot API, to a WeChat account outside its customer-service window as a template message
and to one inside it as a customer-service message, through the fake WeChat API over HTTP.
The campaign report counts all three sent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
import typer
from typer.testing import CliRunner

from bot.channels import run_channel_scheduler
from bot.fake_api import FakeBotApi
from bot.wechat.fake_api import FakeWeChatApi
from cebot.cli_reminders import reminders_app
from cebot.settings import Settings
from services.context import AppContext
from services.pii import IdProtector
from services.policies import PolicyBook
from services.reminders import campaign_report
from services.wechat_window import note_inbound
from storage.db import Database
from storage.models import Account, Person

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_BEFORE = datetime(2024, 12, 30, 10, 0, tzinfo=SHANGHAI)  # inside the sending hours
KEY = "public:2024:d1"  # the final public reminder, one day before 31 December
SECRET = "e2e-wechat-reminders-secret"
TEMPLATES = {
    "public": {
        "template_id": "TPL-PUBLIC-DEADLINE",
        "fields": {"first": "title", "keyword1": "deadline", "keyword2": "days", "remark": "body"},
        "url": "/privacy",
    }
}

cli = typer.Typer()
cli.add_typer(reminders_app, name="reminders")


def ticking(start: datetime) -> Callable[[], datetime]:
    t0 = time.monotonic()
    return lambda: start.astimezone(UTC) + timedelta(seconds=time.monotonic() - t0)


@pytest.fixture
async def wx_api() -> AsyncIterator[FakeWeChatApi]:
    async with FakeWeChatApi() as api:
        yield api


@pytest.fixture
def settings(
    fake_api: FakeBotApi,
    wx_api: FakeWeChatApi,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    monkeypatch.chdir(tmp_path)  # no .env of the project's
    env = {
        "CEBOT_DATABASE_URL": database_url,
        "CEBOT_DATA_DIR": str(tmp_path / "data"),
        "CEBOT_SECRET_KEY": SECRET,
        "CEBOT_PUBLIC_URL": "https://ce.example.gov.cn",
        "TELEGRAM_BOT_TOKEN": fake_api.token,
        "TELEGRAM_BASE_URL": fake_api.base_url,
        "WECHAT_APP_ID": wx_api.app_id,
        "WECHAT_APP_SECRET": wx_api.app_secret,
        "WECHAT_API_BASE_URL": wx_api.base_url,
        "WECHAT_TEMPLATES": json.dumps(TEMPLATES),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return Settings()


@pytest.fixture
async def dctx(settings: Settings, tmp_path: Path) -> AsyncIterator[AppContext]:
    context = AppContext(
        db=Database(settings.database_url),
        policies=PolicyBook.load(),
        ids=IdProtector(settings.secret),
        data_dir=tmp_path / "data",
        public_url=settings.public_url,
        clock=ticking(DAY_BEFORE),
    )
    yield context
    await context.db.dispose()


async def bound_account(ctx: AppContext, n: int, channel: str, external_id: str) -> int:
    """A person with nothing of 2024's public subjects yet, bound to one account."""
    now = ctx.now()
    async with ctx.db.transaction() as s:
        person = Person(
            id_hash=f"e2e-wx-{n}",
            id_cipher="x",
            id_masked="4501**********0000",
            name=f"测试{n}",
            unit_id=None,
            created_at=now,
            updated_at=now,
        )
        s.add(person)
        await s.flush()
        account = Account(
            channel=channel, external_id=external_id, person_id=person.id, created_at=now
        )
        s.add(account)
        await s.flush()
        return account.id


def run_due_cli() -> tuple[int, str]:
    # the CLI reads the wall clock: it runs on 30 December 2024, 10:00 in Shanghai
    with time_machine.travel(DAY_BEFORE, tick=True):
        result = CliRunner().invoke(cli, ["reminders", "run-due"])
    return result.exit_code, result.stdout + result.stderr


async def test_the_31_december_reminder_on_telegram_and_wechat(
    dctx: AppContext, settings: Settings, fake_api: FakeBotApi, wx_api: FakeWeChatApi
) -> None:
    await bound_account(dctx, 1, "telegram", "801")
    await bound_account(dctx, 2, "wechat", "o-far")  # last wrote long ago: template
    near = await bound_account(dctx, 3, "wechat", "o-near")
    async with dctx.db.transaction() as s:  # wrote an hour ago: customer-service message
        await note_inbound(s, near, "message", dctx.now() - timedelta(hours=1))

    code, out = await asyncio.to_thread(run_due_cli)
    assert code == 0, out
    assert KEY in out

    stop = asyncio.Event()
    task = asyncio.create_task(run_channel_scheduler(settings, dctx, stop))
    try:
        tg = await fake_api.wait_for(
            "sendMessage", lambda c: c.params.get("chat_id") == 801, timeout=20
        )
        template = await wx_api.wait_for(
            "message/template/send", lambda c: c.openid == "o-far", timeout=20
        )
        custom = await wx_api.wait_for(
            "message/custom/send", lambda c: c.openid == "o-near", timeout=20
        )
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=30)

    assert "截止日期：2024-12-31（还剩 1 天）" in tg.params["text"]
    assert template.template_id == "TPL-PUBLIC-DEADLINE"
    assert template.data["keyword1"] == "2024-12-31"
    assert template.data["keyword2"] == "1"
    assert template.data["first"] and template.data["remark"]
    assert template.url == "https://ce.example.gov.cn/privacy"
    assert custom.text is not None and "截止日期：2024-12-31（还剩 1 天）" in custom.text
    # each got it once: no template to the account inside its window, no message twice
    assert [c.openid for c in wx_api.calls_of("message/template/send")] == ["o-far"]
    assert [c.openid for c in wx_api.calls_of("message/custom/send")] == ["o-near"]
    assert len(fake_api.sent_to(801)) == 1

    report = await campaign_report(dctx, KEY)
    assert report.queued == 3 and report.sent == 3 and report.failed == 0
