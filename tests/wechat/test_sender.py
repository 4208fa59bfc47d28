"""The WeChat sender (bot/wechat/sender.py) in the outbox sender's loop, against the fake
WeChat API over HTTP, on SQLite and PostgreSQL: customer-service messages inside the window
(buttons numbered, the numbers then pressing them), template messages outside it, the window's
count kept, 43004 marks the account, 45009 waits for 00:00 in Shanghai, 45015 falls back to
the template once, an invalid token is refreshed once, a refused connection is retried."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.wechat.api import WeChatApi
from bot.wechat.fake_api import FakeWeChatApi
from bot.wechat.screens import resolve_choice
from bot.wechat.sender import next_quota_reset, wechat_sender
from bot.wechat.templates import TemplateConfigError, TemplateMap, parse_templates
from services.context import AppContext
from services.notify import queue_notice
from services.outbox import SenderConfig, SenderStats, drain
from services.reminders import OutboxStatus
from services.wechat_window import note_inbound, take_slot
from storage.models import Account, OutboxMessage

PUBLIC_URL = "https://ce.example.gov.cn"
TEMPLATES = {
    "claim-told-approved": {
        "template_id": "TPL-DECISION",
        "fields": {"first": "title", "keyword1": {"source": "hours", "max_length": 8}},
        "url": "/privacy",
    },
    "notice": {"template_id": "TPL-NOTICE", "fields": {"first": "title", "remark": "date"}},
}
CONFIG = SenderConfig(rate=100, per_chat_interval=0.0, poll_interval=0.05)


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChatApi]:
    async with FakeWeChatApi() as api:
        yield api


@pytest.fixture
async def api(fake: FakeWeChatApi, ctx: AppContext) -> AsyncIterator[WeChatApi]:
    client = WeChatApi(
        base_url=fake.base_url,
        app_id=fake.app_id,
        app_secret=fake.app_secret,
        db=ctx.database,
        clock=ctx.clock,
    )
    yield client
    await client.aclose()


async def wechat_account(ctx: AppContext, openid: str, *, inbound: str | None = None) -> int:
    async with ctx.db.transaction() as s:
        account = Account(channel="wechat", external_id=openid, created_at=ctx.now())
        s.add(account)
        await s.flush()
        if inbound is not None:
            await note_inbound(s, account.id, inbound, ctx.now() - timedelta(seconds=10))  # type: ignore[arg-type]
        return account.id


async def notice(
    ctx: AppContext,
    account_id: int,
    key: str = "claim-told-approved",
    buttons: tuple[tuple[str, str], ...] = (),
    **args: Any,
) -> int:
    args = args or {"title": "继续教育学习", "hours": "12", "year": 2024}
    async with ctx.db.transaction() as s:
        row = queue_notice(
            s, account_id=account_id, key=key, now=ctx.now(), args=args, buttons=buttons
        )
        await s.flush()
        return row.id


async def run(
    ctx: AppContext,
    api: WeChatApi,
    templates: dict[str, Any] = TEMPLATES,
    config: SenderConfig = CONFIG,
) -> SenderStats:
    send = wechat_sender(
        api, ctx.database, TemplateMap.model_validate(templates), ctx.clock, public_url=PUBLIC_URL
    )
    return await drain(ctx, send, config)


async def row(ctx: AppContext, row_id: int) -> OutboxMessage:
    async with ctx.db.transaction() as s:
        found = await s.get(OutboxMessage, row_id)
        assert found is not None
        return found


async def test_inside_the_window_a_numbered_customer_service_message(
    ctx: AppContext, fake: FakeWeChatApi, api: WeChatApi
) -> None:
    account_id = await wechat_account(ctx, "o-inside", inbound="message")
    row_id = await notice(
        ctx, account_id, buttons=(("reminder-open-queue", "rv:queue"), ("menu-back", "m:home"))
    )
    stats = await run(ctx, api)

    assert stats.sent == 1
    [call] = fake.calls_of("message/custom/send")
    assert call.openid == "o-inside"
    assert call.text is not None and "12" in call.text  # the notice's own text
    assert "\n1. " in call.text and "\n2. " in call.text
    assert fake.calls_of("message/template/send") == []
    assert (await row(ctx, row_id)).status == OutboxStatus.SENT.value
    async with ctx.db.transaction() as s:  # the user's "2" presses the second button
        assert await resolve_choice(s, account_id, "2") == "m:home"
        assert await resolve_choice(s, account_id, "3") == "stale"
        # one slot of five was used
        assert [await take_slot(s, account_id, ctx.now()) for _ in range(5)] == [True] * 4 + [False]


async def test_outside_the_window_a_template_with_its_link(
    ctx: AppContext, fake: FakeWeChatApi, api: WeChatApi
) -> None:
    account_id = await wechat_account(ctx, "o-outside")
    row_id = await notice(ctx, account_id, buttons=(("reminder-open-queue", "rv:queue"),))
    other = await notice(ctx, account_id, key="rvw-digest", new=2, pending=3)
    stats = await run(ctx, api)

    assert stats.sent == 2
    assert fake.calls_of("message/custom/send") == []
    decision, digest = fake.calls_of("message/template/send")
    assert decision.openid == "o-outside" and decision.template_id == "TPL-DECISION"
    assert decision.data["keyword1"] == "12"
    assert decision.data["first"] and "\n" not in decision.data["first"]
    assert decision.url == PUBLIC_URL + "/privacy"
    # a notice without its own entry takes the "notice" template
    assert digest.template_id == "TPL-NOTICE" and digest.data["remark"] == "2024-11-20"
    assert digest.url is None
    for row_id_ in (row_id, other):
        assert (await row(ctx, row_id_)).status == OutboxStatus.SENT.value


async def test_the_sixth_message_in_a_window_is_a_template(
    ctx: AppContext, fake: FakeWeChatApi, api: WeChatApi
) -> None:
    account_id = await wechat_account(ctx, "o-six", inbound="message")
    for _ in range(6):
        await notice(ctx, account_id)
    stats = await run(ctx, api)
    assert stats.sent == 6
    assert len(fake.calls_of("message/custom/send")) == 5
    assert len(fake.calls_of("message/template/send")) == 1


async def test_no_template_for_the_kind_fails_with_the_reason(
    ctx: AppContext, fake: FakeWeChatApi, api: WeChatApi
) -> None:
    account_id = await wechat_account(ctx, "o-none")
    row_id = await notice(ctx, account_id)
    stats = await run(ctx, api, templates={})
    assert stats.failed == 1 and stats.sent == 0
    failed = await row(ctx, row_id)
    assert failed.status == OutboxStatus.FAILED.value
    assert failed.last_error is not None and "claim-told-approved" in failed.last_error
    assert fake.calls_of("message/custom/send") == fake.calls_of("message/template/send") == []


async def test_unfollowed_marks_the_account_unreachable(
    ctx: AppContext, fake: FakeWeChatApi, api: WeChatApi
) -> None:
    account_id = await wechat_account(ctx, "o-gone")
    first = await notice(ctx, account_id)
    fake.fail_next("message/template/send", 43004, "require subscribe")
    stats = await run(ctx, api)
    assert stats.unreachable == 1
    assert (await row(ctx, first)).status == OutboxStatus.UNREACHABLE.value
    async with ctx.db.transaction() as s:
        account = await s.get(Account, account_id)
        assert account is not None and account.unreachable_at is not None
    # a later notice is dropped without a call
    later = await notice(ctx, account_id)
    calls = len(fake.calls)
    await run(ctx, api)
    assert (await row(ctx, later)).status == OutboxStatus.UNREACHABLE.value
    assert len(fake.calls) == calls


async def test_the_daily_quota_waits_for_midnight_in_shanghai(
    ctx: AppContext, fake: FakeWeChatApi, api: WeChatApi
) -> None:
    first = await notice(ctx, await wechat_account(ctx, "o-q1"))
    second = await notice(ctx, await wechat_account(ctx, "o-q2"))
    fake.fail_next("message/template/send", 45009, "reach max api daily quota limit")
    # one call at a time: the second row is taken after the first's answer came back
    stats = await run(ctx, api, config=SenderConfig(rate=100, max_in_flight=1, armed=1))

    assert stats.sent == 0 and stats.failed == 0
    # one call found the quota used up; the other row waited without a call of its own
    assert len(fake.calls_of("message/template/send")) == 1
    midnight = datetime(2024, 11, 20, 16, 0, tzinfo=UTC)  # 00:00 on the 21st in Shanghai
    for row_id in (first, second):
        waiting = await row(ctx, row_id)
        assert waiting.status == OutboxStatus.QUEUED.value
        assert waiting.attempts == 0
        assert abs((waiting.not_before - midnight).total_seconds()) < 5


def test_next_quota_reset() -> None:
    assert next_quota_reset(datetime(2024, 12, 31, 15, 59, tzinfo=UTC)) == datetime(
        2024, 12, 31, 16, 0, tzinfo=UTC
    )
    assert next_quota_reset(datetime(2024, 12, 31, 16, 0, tzinfo=UTC)) == datetime(
        2025, 1, 1, 16, 0, tzinfo=UTC
    )


async def test_window_closed_by_wechat_takes_the_template_once(
    ctx: AppContext, fake: FakeWeChatApi, api: WeChatApi
) -> None:
    account_id = await wechat_account(ctx, "o-closed", inbound="message")
    first = await notice(ctx, account_id)
    fake.fail_next("message/custom/send", 45015, "response out of time limit")
    await run(ctx, api)
    assert len(fake.calls_of("message/custom/send")) == 1
    [template] = fake.calls_of("message/template/send")
    assert template.openid == "o-closed"
    assert (await row(ctx, first)).status == OutboxStatus.SENT.value
    # WeChat's word stands: the next notice goes as a template without trying the window
    second = await notice(ctx, account_id)
    await run(ctx, api)
    assert len(fake.calls_of("message/custom/send")) == 1
    assert len(fake.calls_of("message/template/send")) == 2
    assert (await row(ctx, second)).status == OutboxStatus.SENT.value


async def test_an_invalid_token_is_refreshed_once(
    ctx: AppContext, fake: FakeWeChatApi, api: WeChatApi
) -> None:
    account_id = await wechat_account(ctx, "o-token", inbound="message")
    await api.access_token()
    issued = fake.tokens_issued
    fake.invalidate_tokens()
    row_id = await notice(ctx, account_id)
    stats = await run(ctx, api)
    assert stats.sent == 1
    assert fake.tokens_issued == issued + 1
    assert [c.errcode for c in fake.calls_of("message/custom/send")] == [40001, 0]
    assert (await row(ctx, row_id)).status == OutboxStatus.SENT.value


async def test_a_refused_connection_is_retried_later(ctx: AppContext) -> None:
    account_id = await wechat_account(ctx, "o-down", inbound="message")
    row_id = await notice(ctx, account_id)
    down = WeChatApi(  # nothing listens on port 9 of loopback
        base_url="http://127.0.0.1:9",
        app_id="wx0",
        app_secret="s",
        db=ctx.database,
        clock=ctx.clock,
    )
    try:
        send = wechat_sender(down, ctx.database, TemplateMap({}), ctx.clock)
        config = SenderConfig(rate=100, poll_interval=0.05, backoff_base=3600)
        stats = await drain(ctx, send, config)
    finally:
        await down.aclose()
    assert stats.retried == 1 and stats.unknown == 0
    waiting = await row(ctx, row_id)
    assert waiting.status == OutboxStatus.QUEUED.value and waiting.attempts == 1
    assert waiting.last_error is not None and "ConnectError" in waiting.last_error


def test_templates_setting_is_checked() -> None:
    assert parse_templates("").root == {}
    parsed = parse_templates(json.dumps(TEMPLATES))
    assert parsed.root["notice"].fields["remark"].source == "date"
    for bad, said in (
        ("{", "not JSON"),
        ('{"public": {"fields": {"first": "title"}}}', "template_id"),
        ('{"public": {"template_id": "T", "fields": {"a": "title"}, "url": "ftp://x"}}', "url"),
    ):
        with pytest.raises(TemplateConfigError, match=said):
            parse_templates(bad)


async def test_a_text_too_long_for_customer_service_goes_as_the_template(
    ctx: AppContext, fake: FakeWeChatApi, api: WeChatApi
) -> None:
    account_id = await wechat_account(ctx, "o-long", inbound="message")
    row_id = await notice(ctx, account_id)
    fake.fail_next("message/custom/send", 45002, "content size out of limit")
    await run(ctx, api)
    [template] = fake.calls_of("message/template/send")
    assert template.openid == "o-long" and template.template_id == "TPL-DECISION"
    assert (await row(ctx, row_id)).status == OutboxStatus.SENT.value
    # the window stays open: the next short notice is a customer-service message again
    await notice(ctx, account_id)
    await run(ctx, api)
    assert [c.errcode for c in fake.calls_of("message/custom/send")] == [45002, 0]


def scripted_api(ctx: AppContext, answer: Any) -> WeChatApi:
    """A WeChatApi whose HTTP is scripted: the token always, then `answer(request)` for each
    send (a response, or an exception raised as the transport would)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 7200})
        result = answer(request)
        if isinstance(result, Exception):
            raise result
        return result

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return WeChatApi(
        base_url="http://wechat.test",
        app_id="wx-scripted",
        app_secret="s",
        db=ctx.database,
        clock=ctx.clock,
        http=http,
    )


@pytest.mark.parametrize(
    ("answer", "outcome", "said"),
    [
        (lambda r: httpx.ReadTimeout("late", request=r), OutboxStatus.UNKNOWN, "ReadTimeout"),
        (
            lambda r: httpx.Response(200, json={"errcode": -1, "errmsg": "busy"}),
            OutboxStatus.UNKNOWN,
            "-1",
        ),
        (
            lambda r: httpx.Response(200, json={"errcode": 43019, "errmsg": "blacklist"}),
            OutboxStatus.UNREACHABLE,
            "43019",
        ),
        (
            lambda r: httpx.Response(200, json={"errcode": 40003, "errmsg": "invalid openid"}),
            OutboxStatus.FAILED,
            "40003",
        ),
    ],
)
async def test_wechat_answers_map_onto_the_outbox(
    ctx: AppContext, answer: Any, outcome: OutboxStatus, said: str
) -> None:
    account_id = await wechat_account(ctx, "o-scripted", inbound="message")
    row_id = await notice(ctx, account_id)
    api = scripted_api(ctx, answer)
    try:
        await run(ctx, api, templates={})
    finally:
        await api.http.aclose()
    found = await row(ctx, row_id)
    assert found.status == outcome.value
    assert found.last_error is not None and said in found.last_error
