"""The /wechat route over HTTP (the Starlette app in process, the fake WeChat user signing and
encrypting as WeChat does), with the real engine, on both databases: what reaches a turn,
what never does, once-only handling, numbered choices, and the slow turn's deferred reply."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select
from starlette.applications import Starlette

from bot.flows import ChannelUser, Engine, Event, Outcome
from bot.flows.base import Button, OutgoingFile, Reply
from bot.flows.router import FLOWS
from bot.wechat.api import WeChatApi
from bot.wechat.fake_api import FakeWeChatApi, WeChatUser
from bot.wechat.protocol import Protocol
from bot.wechat.sender import wechat_sender
from bot.wechat.templates import TemplateMap
from bot.wechat.webhook import NUMBER_ANSWERS, WECHAT_PATH, MediaSource, WeChatWebhook, compose
from services.context import AppContext
from services.i18n import translator
from services.outbox import SenderConfig, drain
from services.processed_updates import prune_wechat_receipts
from storage.models import Account, OutboxMessage
from storage.wechat_models import WeChatReceipt, WeChatScreen, WeChatWindow
from tests.bot.conftest import seed_roster

TOKEN = "hook-token"
APP_ID = "wx0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ACCOUNT = "gh_0123456789ab"
HELP = "0771-966111"  # in the help answer


class SlowEngine(Engine):
    """The real engine, each turn `delay` seconds late (a busy database, a slow read)."""

    delay = 0.0

    async def handle(self, user: ChannelUser, event: Event) -> Outcome:
        await asyncio.sleep(self.delay)
        return await super().handle(user, event)


class FakeMedia:
    def __init__(self) -> None:
        self.fetched: list[str] = []

    async def get_media(self, media_id: str) -> tuple[bytes, str | None]:
        self.fetched.append(media_id)
        return b"\xff\xd8 not really a photo", "image/jpeg"


@dataclass
class Hook:
    webhook: WeChatWebhook
    engine: SlowEngine
    http: httpx.AsyncClient
    media: FakeMedia

    def user(self, openid: str = "o-user-1", mode: str = "safe") -> WeChatUser:
        return WeChatUser(
            f"http://wechat.test{WECHAT_PATH}",
            token=TOKEN,
            app_id=APP_ID,
            aes_key=AES_KEY,
            mode=mode,
            openid=openid,
            account_id=ACCOUNT,
            http=self.http,
        )


@asynccontextmanager
async def hook(
    ctx: AppContext, mode: str = "safe", within: float = 4.0, media: MediaSource | None = None
) -> AsyncIterator[Hook]:
    engine = SlowEngine(ctx)
    fake_media = FakeMedia()
    webhook = WeChatWebhook(
        ctx,
        Protocol(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, mode=mode),
        engine=engine,
        media=media or fake_media,
        reply_within=within,
    )
    app = Starlette(routes=webhook.routes())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://wechat.test") as http:
        yield Hook(webhook, engine, http, fake_media)
    await webhook.stop()


async def count(ctx: AppContext, column: object) -> int:
    async with ctx.db.transaction() as s:
        return int(await s.scalar(select(func.count(column))) or 0)  # type: ignore[call-overload]


async def test_subscribe_greets_with_numbered_choices_kept_in_the_database(
    ctx: AppContext,
) -> None:
    async with hook(ctx) as h:
        reply = await h.user().subscribe()
    assert reply is not None and "个人信息" in reply
    assert "回复数字选择（1、2" in reply and "1. ✅ 同意" in reply
    async with ctx.db.transaction() as s:
        screen = (await s.scalars(select(WeChatScreen))).one()
        assert len(screen.choices) >= 2
        account = await s.get(Account, screen.account_id)
        assert account is not None and account.channel == "wechat"
        # the customer-service window this event opened (services/wechat_window.py)
        window = await s.get(WeChatWindow, account.id)
        assert window is not None and window.last_kind == "click"


async def test_a_number_presses_the_button_in_every_mode(ctx: AppContext) -> None:
    await seed_roster(ctx)
    for n, mode in enumerate(("plain", "compatible", "safe")):
        async with hook(ctx, mode) as h:
            user = h.user(f"o-{mode}", mode)
            await user.subscribe()
            reply = await user.text("1")  # ✅ 同意
        assert reply is not None and "身份证" in reply, mode
        assert await count(ctx, WeChatReceipt.key) == 2 * (n + 1)


async def test_a_forged_signature_is_403_and_nothing_runs(ctx: AppContext) -> None:
    async with hook(ctx) as h:
        user = h.user()
        body, params = user.envelope(user.message_xml("text", {"Content": "/help"}, msgid=True))
        forged = await user.raw(body, params | {"msg_signature": "0" * 40})
        plain = await user.raw(body, params | {"encrypt_type": "raw"})  # safe mode only
        stale = dict(params, timestamp=str(int(time.time()) - 3600))
        old = await user.raw(body, stale)
    assert (forged.status_code, plain.status_code, old.status_code) == (403, 403, 403)
    assert await count(ctx, Account.id) == 0 and await count(ctx, WeChatReceipt.key) == 0


async def test_hostile_and_oversized_bodies_are_refused(ctx: AppContext) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType>"
        "<Content>&b;</Content><MsgId>1</MsgId></xml>"
    )
    async with hook(ctx, "plain") as h:
        user = h.user(mode="plain")
        _body, params = user.envelope("<xml/>")
        hostile = await user.raw(laughs.encode(), params)
        broken = await user.raw(b"<xml><MsgType>text", params)
        huge = await user.raw(b"<xml>" + b" " * (65 * 1024) + b"</xml>", params)
    assert (hostile.status_code, broken.status_code, huge.status_code) == (400, 400, 413)
    assert await count(ctx, Account.id) == 0


async def test_the_url_check(ctx: AppContext) -> None:
    async with hook(ctx) as h:
        user = h.user()
        response = await user.verify()
        params = dict(response.request.url.params)
        forged = await h.http.get(WECHAT_PATH, params=params | {"signature": "1" * 40})
    assert response.status_code == 200 and response.text == params["echostr"]
    assert forged.status_code == 403


async def test_a_retried_message_runs_once(ctx: AppContext) -> None:
    async with hook(ctx) as h:
        user = h.user()
        body, params = user.envelope(user.message_xml("text", {"Content": "帮助"}, msgid=True))
        first = await user.raw(body, params)
        again = await user.raw(body, params)  # WeChat did not hear the first answer
    assert HELP in (user._reply_text(first.content, encrypted=True) or "")
    assert again.text == "success"
    assert await count(ctx, WeChatReceipt.key) == 1


async def test_a_retry_while_the_first_copy_runs_is_answered_success(ctx: AppContext) -> None:
    async with hook(ctx) as h:
        h.engine.delay = 0.5
        user = h.user()
        body, params = user.envelope(user.message_xml("text", {"Content": "/help"}, msgid=True))
        first, again = await asyncio.gather(user.raw(body, params), user.raw(body, params))
    texts = sorted([first.text == "success", again.text == "success"])
    assert texts == [False, True]  # one answer with the help text, one "success"
    assert await count(ctx, WeChatReceipt.key) == 1


async def test_two_events_in_the_same_second_are_both_handled(ctx: AppContext) -> None:
    async with hook(ctx) as h:
        user = h.user()
        second = int(time.time())

        def at(xml: str) -> str:
            head, _, rest = xml.partition("<CreateTime>")
            return f"{head}<CreateTime>{second}</CreateTime>{rest.partition('</CreateTime>')[2]}"

        subscribe = user.envelope(
            at(user.message_xml("event", {"Event": "subscribe", "EventKey": ""}))
        )
        click = user.envelope(
            at(user.message_xml("event", {"Event": "CLICK", "EventKey": "cmd:help"}))
        )
        greeted = await user.raw(*subscribe)
        helped = await user.raw(*click)
        again = await user.raw(*click)  # the tap's retry
    assert "个人信息" in (user._reply_text(greeted.content, encrypted=True) or "")
    assert HELP in (user._reply_text(helped.content, encrypted=True) or "")
    assert again.text == "success"
    assert await count(ctx, WeChatReceipt.key) == 2


async def test_menu_words_and_clicks_reach_the_same_commands(ctx: AppContext) -> None:
    async with hook(ctx) as h:
        user = h.user()
        typed = await user.text("帮助")
        clicked = await user.click("cmd:help")
        slash = await user.text("/help")
    assert all(HELP in (r or "") for r in (typed, clicked, slash))


async def test_a_stale_number_says_so_and_shows_the_current_step(ctx: AppContext) -> None:
    async with hook(ctx) as h:
        user = h.user()
        await user.subscribe()  # the privacy notice: two or three choices
        reply = await user.text("9")
    assert reply is not None
    assert reply.startswith("这个数字不在当前的选项里")
    assert "1. ✅ 同意" in reply  # the current step again, its choices numbered


async def test_voice_gets_a_polite_answer_and_the_step_again(ctx: AppContext) -> None:
    async with hook(ctx) as h:
        user = h.user()
        await user.subscribe()
        reply = await user.voice()
    assert reply is not None and "文字、数字和照片" in reply
    assert "1. ✅ 同意" in reply


async def test_an_image_is_a_file_event_fetched_from_media(ctx: AppContext) -> None:
    async with hook(ctx) as h:
        event = h.webhook._image("media-7")
        assert event.kind == "file" and event.file is not None and event.file.size is None
        assert event.file.fetch is not None
        assert await event.file.fetch() == b"\xff\xd8 not really a photo"
        await h.user().subscribe()
        reply = await h.user().image("media-8")  # no step takes a photo now: said so
    assert h.media.fetched == ["media-7"]  # fetched only when a step wants it
    assert reply is not None


async def test_unsubscribe_marks_the_account_unreachable(ctx: AppContext) -> None:
    async with hook(ctx) as h:
        user = h.user()
        await user.subscribe()
        assert await user.unsubscribe() is None
    async with ctx.db.transaction() as s:
        account = (await s.scalars(select(Account))).one()
        assert account.unreachable_at is not None


async def test_a_slow_turn_answers_at_once_and_queues_its_replies(ctx: AppContext) -> None:
    async with hook(ctx, within=0.3) as h:
        user = h.user()
        h.engine.delay = 0.6
        started = time.monotonic()
        reply = await user.subscribe()
        assert time.monotonic() - started < 0.55
        assert reply == "已收到，正在处理…"
        assert await count(ctx, OutboxMessage.id) == 0  # not yet: the turn still runs
        await h.webhook.stop()  # waits for the turn and its queueing
    async with ctx.db.transaction() as s:
        row = (await s.scalars(select(OutboxMessage))).one()
        account = (await s.scalars(select(Account))).one()
    assert row.account_id == account.id and row.status == "queued"
    assert row.payload["key"] == "wechat-deferred"
    assert "个人信息" in str(row.payload["args"]["text"])
    labels = [label for label, _data in row.payload["buttons"]]
    assert "✅ 同意" in labels
    # the number -> button map is already the deferred screen's
    async with ctx.db.transaction() as s:
        screen = (await s.scalars(select(WeChatScreen))).one()
    assert screen.choices == [data for _label, data in row.payload["buttons"]]


async def test_time_before_the_turn_counts_against_the_passive_reply(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load the account lookup (and reading, decrypting) can take seconds before the
    turn starts; those count too, or the answer would come after WeChat's 5 s undeferred."""
    async with hook(ctx, within=0.4) as h:
        user = h.user()
        h.engine.delay = 0.2  # a quick turn: on its own well within the 0.4 s
        lookup = h.webhook._lookup

        async def slow_lookup(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            await asyncio.sleep(0.35)
            return await lookup(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(h.webhook, "_lookup", slow_lookup)
        started = time.monotonic()
        reply = await user.subscribe()
        assert reply == "已收到，正在处理…"
        assert time.monotonic() - started < 1.0  # not the lookup plus a whole turn and more
        await h.webhook.stop()
    assert await count(ctx, OutboxMessage.id) == 1  # the answer follows, once


async def test_two_workers_given_the_same_message_run_it_once(ctx: AppContext) -> None:
    async with hook(ctx) as one, hook(ctx) as two:
        await one.user().subscribe()  # the account exists; both copies below race on it
        one.engine.delay = two.engine.delay = 0.3
        sender = one.user()
        body, params = sender.envelope(sender.message_xml("text", {"Content": "/help"}, msgid=True))
        first, second = await asyncio.gather(
            one.http.post(WECHAT_PATH, content=body, params=params),
            two.http.post(WECHAT_PATH, content=body, params=params),
        )
    answers = [r.text for r in (first, second)]
    assert answers.count("success") == 1, answers  # the other copy's turn rolled back
    helped = first if second.text == "success" else second
    assert HELP in (sender._reply_text(helped.content, encrypted=True) or "")
    assert await count(ctx, WeChatReceipt.key) == 2  # the subscribe and the message


async def test_old_receipts_are_pruned_recent_ones_kept(ctx: AppContext) -> None:
    now = ctx.now()
    async with ctx.db.transaction() as s:
        s.add_all(
            [
                WeChatReceipt(key=f"m:{n}", processed_at=now - timedelta(days=8 if n < 3 else 1))
                for n in range(5)
            ]
        )
    assert await prune_wechat_receipts(ctx, batch=2) == 3  # two batches
    async with ctx.db.transaction() as s:
        left = sorted(await s.scalars(select(WeChatReceipt.key)))
    assert left == ["m:3", "m:4"]


async def test_a_photo_is_fetched_by_media_get_and_read_by_the_step(ctx: AppContext) -> None:
    fake = await FakeWeChatApi(app_id=APP_ID).start()
    api = WeChatApi(
        base_url=fake.base_url,
        app_id=APP_ID,
        app_secret=fake.app_secret,
        db=ctx.database,
        clock=ctx.now,
    )
    image = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(image, "PNG")  # a photo without a QR code
    fake.add_media("photo-1", image.getvalue(), "image/png")
    try:
        async with hook(ctx, media=api) as h:
            user = h.user()
            asked = await user.text("/verify")
            assert asked is not None and "二维码的照片" in asked
            reply = await user.image("photo-1")
    finally:
        await api.aclose()
        await fake.stop()
    assert reply is not None and "没有识别到二维码" in reply
    fetched = [c for c in fake.calls if c.path == "media/get"]
    assert [c.query.get("media_id") for c in fetched] == ["photo-1"]


def test_what_wechat_cannot_do_is_said_in_the_message() -> None:
    outcome = Outcome(
        [
            Reply("证书已生成。", file=OutgoingFile("/tmp/x.pdf", "证书.pdf")),
            Reply("请分享手机号码。", request_contact="📱 分享手机号"),
            Reply("请选择：", ((Button("≡ 主菜单", "m:menu"),),)),
        ],
        delete_incoming=True,
    )
    composed = compose(outcome, translator("zh"), ["前言"])
    lines = composed.text.split("\n\n")
    assert lines[0] == "前言" and "长按" in lines[1]  # before the replies
    assert "证书.pdf：微信公众号暂时不能提供这个文件，请在 Telegram 或命令行中获取" in composed.text
    assert "无法分享手机号码" in composed.text
    assert composed.text.endswith("回复数字选择（1）：\n1. ≡ 主菜单")
    assert composed.buttons == [Button("≡ 主菜单", "m:menu")]
    assert "1. ≡ 主菜单" not in composed.plain and "请选择：" in composed.plain


async def test_a_deferred_reply_reaches_the_user_by_the_wechat_sender(ctx: AppContext) -> None:
    async with FakeWeChatApi(app_id=APP_ID) as fake:
        api = WeChatApi(
            base_url=fake.base_url,
            app_id=APP_ID,
            app_secret=fake.app_secret,
            db=ctx.database,
            clock=ctx.now,
        )
        try:
            async with hook(ctx, within=0.2) as h:
                user = h.user()
                h.engine.delay = 0.4
                assert await user.subscribe() == "已收到，正在处理…"
                await h.webhook.stop()
                h.engine.delay = 0.0
                config = SenderConfig(rate=100, per_chat_interval=0.0, poll_interval=0.05)
                send = wechat_sender(api, ctx.database, TemplateMap({}), ctx.now)
                stats = await drain(ctx, send, config)
                assert stats.sent == 1
                call = await fake.wait_for("message/custom/send")
                assert call.body["touser"] == "o-user-1"
                assert call.text is not None and "个人信息" in call.text
                assert "1. ✅ 同意" in call.text  # numbered by the sender
                asked = await user.text("1")  # the delivered screen's first choice
        finally:
            await api.aclose()
    assert asked is not None and "身份证" in asked


async def test_a_number_off_the_screen_of_a_question_is_an_answer(ctx: AppContext) -> None:
    await seed_roster(ctx)
    async with hook(ctx) as h:
        user = h.user()
        await user.subscribe()
        await user.text("1")  # agreed; the ID number question (typed text) with one choice
        answer = await user.text("7")
    assert answer is not None
    assert "这个数字不在当前的选项里" not in answer  # read as the answer it is
    assert "身份证" in answer  # the ID number step says what is wrong with "7"


def test_the_number_answer_steps_exist_and_take_text() -> None:
    for flow, step in NUMBER_ANSWERS:
        assert "text" in FLOWS[flow].steps[step].accepts, (flow, step)
    outcome = Outcome([Reply("学时？", ((Button("半天", "s:ab12:halfdays"),),))])
    hinted = compose(outcome, translator("zh"), takes_number=True).text
    assert hinted.endswith("若要输入的答案本身就是 1 到 1 之间的数字，请带上单位，例如“2学时”。")
    assert "请带上单位" not in compose(outcome, translator("zh")).text
