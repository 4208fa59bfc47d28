"""Broadcasts end to end: the real application (polling, as in test_journey.py) and the real
outbox sender (bot/outbox_sender.py) talk HTTP to the fake Bot API. An administrator queues a
notice through the bot; every reachable person gets it exactly once (one after a 429 with
retry_after); the one who blocked the bot (403) is marked unreachable and never tried again,
until they write to the bot again. On SQLite and PostgreSQL.

bot/fake_api.py always answers ok, so `RefusingBotApi` below adds 403 for blocked chats and
429 for a chat's next message (the addition proposed for bot/fake_api.py itself).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from telegram.ext import Application

from bot.fake_api import FakeBotApi
from bot.outbox_sender import telegram_sender
from cebot.settings import Settings
from services.context import AppContext
from services.outbox import SenderConfig, SenderStats, drain
from services.pii import IdProtector
from services.policies import PolicyBook
from services.privacy import notice
from services.reminders import BroadcastFilter, campaign_report, queue_broadcast
from storage.db import Database
from storage.models import Account, Campaign, Person, Role
from tests.e2e.running import polling

# PTB reads RetryAfter.retry_after in its constructor, which warns about a future type
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

ADMIN = 900
PEOPLE = (501, 502, 503, 504)
BLOCKED = 503  # answers 403: the user blocked the bot
THROTTLED = 504  # its first notice is answered 429, retry after 1 s
SECRET = b"e2e-reminders-secret-not-for-production"


class RefusingBotApi(FakeBotApi):
    """The fake Bot API, answering sendMessage as Telegram does to a bot that was blocked
    (403) or that sends too fast (429 with retry_after). Refused calls are not recorded as
    calls (nothing was sent) but in `refused` as (chat_id, status)."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: set[int] = set()
        self.throttle_next: dict[int, int] = {}  # chat -> retry_after for its next message
        self.refused: list[tuple[int, int]] = []

    async def _api(self, request: Request) -> Response:
        if (
            request.path_params["method"] == "sendMessage"
            and request.path_params["token"] == self.token
        ):
            params, _files = await self._params(request)  # Starlette keeps the body for super
            chat = int(params.get("chat_id") or 0)
            with self._lock:
                if chat in self.blocked:
                    self.refused.append((chat, 403))
                    return JSONResponse(
                        {
                            "ok": False,
                            "error_code": 403,
                            "description": "Forbidden: bot was blocked by the user",
                        },
                        status_code=403,
                    )
                retry = self.throttle_next.pop(chat, None)
                if retry is not None:
                    self.refused.append((chat, 429))
                    return JSONResponse(
                        {
                            "ok": False,
                            "error_code": 429,
                            "description": f"Too Many Requests: retry after {retry}",
                            "parameters": {"retry_after": retry},
                        },
                        status_code=429,
                    )
        return await super()._api(request)


@pytest.fixture
def fake_api() -> Iterator[RefusingBotApi]:  # replaces tests/e2e/conftest.py's for this module
    api = RefusingBotApi()
    api.start()
    yield api
    api.stop()


@pytest.fixture
async def ctx(database_url: str, tmp_path: Path, fixed_now: datetime) -> AsyncIterator[AppContext]:
    """10:00 in Shanghai (inside the send window) and ticking, so that a retry_after of one
    second passes for the sender as it does for the server."""
    started = time.monotonic()
    context = AppContext(
        db=Database(database_url),
        policies=PolicyBook.load(),
        ids=IdProtector(SECRET),
        data_dir=tmp_path / "data",
        clock=lambda: fixed_now + timedelta(seconds=time.monotonic() - started),
    )
    yield context
    await context.db.dispose()


async def seed(ctx: AppContext, unit_person_id: int) -> dict[int, int]:
    """Four people of 张伟's unit with bound Telegram accounts, and an administrator."""
    now = ctx.now()
    accounts: dict[int, int] = {}
    async with ctx.db.transaction() as s:
        zhang = await s.get(Person, unit_person_id)
        assert zhang is not None
        for chat in PEOPLE:
            person = Person(
                id_hash=f"h{chat}",
                id_cipher="x",
                id_masked="4501**********0000",
                name=f"人{chat}",
                unit_id=zhang.unit_id,
                unit_confirmed=True,
                created_at=now,
                updated_at=now,
            )
            s.add(person)
            await s.flush()
            account = Account(
                channel="telegram",
                external_id=str(chat),
                person_id=person.id,
                language="zh",
                consent_version=notice().version,
                created_at=now,
            )
            s.add(account)
            await s.flush()
            accounts[chat] = account.id
        admin = Account(channel="telegram", external_id=str(ADMIN), language="zh", created_at=now)
        s.add(admin)
        await s.flush()
        s.add(Role(account_id=admin.id, role="admin", granted_at=now, granted_by="test"))
    return accounts


async def admin_broadcasts(api: RefusingBotApi, text: str) -> str:
    """The administrator's flow through Telegram; returns the confirmation's text."""
    mark = api.mark()
    api.send_text(ADMIN, "/admin")
    for press, then in (
        (None, "群发通知"),
        ("群发通知", "全部城市"),
        ("全部城市", "全部单位"),
        ("全部单位", "所有人"),
    ):
        if press is not None:
            mark = api.mark()
            api.press(ADMIN, press)
        await api.wait_for_button(ADMIN, then, since=mark)
    mark = api.mark()
    api.press(ADMIN, "所有人")
    await api.wait_for("sendMessage", lambda c: "第 4 步" in c.params["text"], since=mark)
    mark = api.mark()
    api.send_text(ADMIN, text)
    preview = await api.wait_for(
        "sendMessage", lambda c: "将发送给" in c.params["text"], since=mark
    )
    assert "将发送给 4 个账号" in preview.params["text"]
    await api.wait_for_button(ADMIN, "确认发送", since=mark)
    mark = api.mark()
    api.press(ADMIN, "确认发送")
    done = await api.wait_for("sendMessage", lambda c: "已排队" in c.params["text"], since=mark)
    return str(done.params["text"])


def notices_to(api: RefusingBotApi, chat: int, text: str) -> int:
    return sum(text in t for t in api.texts_to(chat))


async def send_all(ctx: AppContext, application: Application) -> SenderStats:  # type: ignore[type-arg]
    config = SenderConfig(rate=30.0, per_chat_interval=1.0, poll_interval=0.1)
    return await drain(ctx, telegram_sender(application.bot), config)


async def test_broadcast_delivered_once_blocked_marked_and_back_again(
    ctx: AppContext, roster: int, fake_api: RefusingBotApi, settings: Settings
) -> None:
    api = fake_api
    accounts = await seed(ctx, roster)
    api.blocked = {BLOCKED}
    api.throttle_next = {THROTTLED: 1}
    async with polling(settings, ctx) as application:
        confirmation = await admin_broadcasts(api, "今晚22点系统维护")
        assert "已排队 4 条通知" in confirmation

        stats = await send_all(ctx, application)
        for chat in set(PEOPLE) - {BLOCKED}:
            assert notices_to(api, chat, "📢 通知：今晚22点系统维护") == 1, chat
        assert api.texts_to(BLOCKED) == []
        assert api.refused.count((BLOCKED, 403)) == 1  # one try, then never again
        assert api.refused.count((THROTTLED, 429)) == 1
        assert (stats.sent, stats.unreachable, stats.rate_limited) == (3, 1, 1)
        async with ctx.db.transaction() as s:
            marked = set(
                await s.scalars(
                    select(Account.external_id).where(Account.unreachable_at.is_not(None))
                )
            )
            [key] = list(await s.scalars(select(Campaign.key)))
        assert marked == {str(BLOCKED)}
        report = await campaign_report(ctx, key)
        assert (report.queued, report.sent, report.unreachable, report.pending) == (4, 3, 1, 0)
        assert report.duration is not None

        # the administrator's report button, through Telegram
        mark = api.mark()
        api.press(ADMIN, "查看发送报告")
        shown = await api.wait_for(
            "sendMessage", lambda c: "已发送 3" in c.params["text"], since=mark
        )
        assert "无法送达 1" in shown.params["text"] and "待发送 0" in shown.params["text"]

        # the next notice leaves the blocked account out: it is not even queued
        second = await queue_broadcast(ctx, "第二条通知", BroadcastFilter(), actor="test")
        assert second.queued == 3
        await send_all(ctx, application)
        assert api.refused.count((BLOCKED, 403)) == 1
        assert all(notices_to(api, c, "第二条通知") == 1 for c in set(PEOPLE) - {BLOCKED})

        # they unblock the bot and write again: reachable again
        api.blocked.clear()
        mark = api.mark()
        api.send_text(BLOCKED, "/menu")
        await api.wait_for("sendMessage", lambda c: c.params.get("chat_id") == BLOCKED, since=mark)
        async with ctx.db.transaction() as s:
            back = await s.get(Account, accounts[BLOCKED])
            assert back is not None and back.unreachable_at is None
        third = await queue_broadcast(ctx, "第三条通知", BroadcastFilter(), actor="test")
        assert third.queued == 4
        await send_all(ctx, application)
        assert all(notices_to(api, c, "第三条通知") == 1 for c in PEOPLE)
        assert notices_to(api, BLOCKED, "今晚22点系统维护") == 0  # the old ones stay dropped
        assert notices_to(api, BLOCKED, "第二条通知") == 0
    # nothing was sent twice over the whole run (the administrator's preview aside)
    texts = [(c.params.get("chat_id"), c.params.get("text")) for c in api.calls_of("sendMessage")]
    notices = [x for x in texts if x[0] in PEOPLE and "📢" in str(x[1])]
    assert len(notices) == len(set(notices)) == 3 + 3 + 4
