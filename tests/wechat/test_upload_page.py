"""The WeChat upload page (web/upload.py) over HTTP with the real engine, on both databases:
the link given at the claim's evidence step, a PDF and two photos ending as the claim's
evidence with the next reply queued, and every bad link or file refused with a clear page
and nothing stored."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select, update
from starlette.applications import Starlette
from starlette.datastructures import UploadFile

from bot.flows import ChannelUser, Engine, Event, Outcome
from bot.wechat.api import WeChatApi
from bot.wechat.app import wechat_app
from bot.wechat.fake_api import FakeWeChatApi, WeChatUser
from bot.wechat.protocol import Protocol
from bot.wechat.sender import wechat_sender
from bot.wechat.templates import TemplateMap
from bot.wechat.webhook import DEFERRED_KEY, WECHAT_PATH, WeChatWebhook
from core.idnumber import find_id_numbers
from services.context import AppContext
from services.evidence import MAX_EVIDENCE_BYTES
from services.outbox import SenderConfig, drain
from services.upload_links import LinkState, open_link, prune_upload_links
from storage.models import Account, EvidenceFile, FlowState, OutboxMessage, Person
from storage.wechat_models import UploadLink
from tests.bot.conftest import LI_ID, Chat, Roster, seed_roster
from tests.wechat.serving import serve
from web.upload import UploadPage, upload_routes

TOKEN = "hook-token"
APP_ID = "wx0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x01" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 80
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 20
LINK = re.compile(r"📎 上传 PDF 或多张照片：(\S+?)（30 分钟内有效，仅可使用一次）")
ANY_LINK = re.compile(r"📎 上传 PDF 或多张照片：(\S+?)（(\d+) 分钟内有效，仅可使用一次）")


@dataclass
class Site:
    http: httpx.AsyncClient
    engine: Engine

    def user(self, openid: str) -> WeChatUser:
        return WeChatUser(
            f"http://wechat.test{WECHAT_PATH}",
            token=TOKEN,
            app_id=APP_ID,
            aes_key=AES_KEY,
            mode="safe",
            openid=openid,
            account_id="gh_0123456789ab",
            http=self.http,
        )


@asynccontextmanager
async def site(ctx: AppContext, minutes: int = 30) -> AsyncIterator[Site]:
    engine = Engine(ctx)
    webhook = WeChatWebhook(
        ctx,
        Protocol(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, mode="safe"),
        engine=engine,
        upload_minutes=minutes,
    )
    app = Starlette(routes=[*webhook.routes(), *upload_routes(ctx, engine)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://wechat.test") as http:
        yield Site(http, engine)
    await webhook.stop()


class WeChatChat(Chat):
    """The engine as a WeChat account (the steps before the evidence, pressed by label)."""

    def __init__(self, engine: Engine, openid: str) -> None:
        super().__init__(engine)
        self.user = ChannelUser("wechat", openid)


async def at_hours(s: Site, roster: Roster, openid: str, number: str, name: str) -> None:
    c = WeChatChat(s.engine, openid)
    await c.start()
    await c.send(number)
    await c.send(name)
    assert "绑定成功" in c.text
    await c.send("/claim")
    await c.press("新登记")
    await c.press("2024 年度")
    await c.press("培训进修类")
    await c.send("心血管疾病诊疗进展培训班")
    await c.send("广西医学会")
    await c.send("2024-05-03")
    await c.press("同一天")
    assert "学时" in c.text


async def evidence_link(s: Site, roster: Roster, openid: str = "o-zhang") -> str:
    """Zhang Wei's claim up to the evidence step; the upload link in the WeChat reply."""
    await at_hours(s, roster, openid, roster.zhang_number, "张伟")
    reply = await s.user(openid).text("4")  # the hours, through the webhook
    assert reply is not None and "请发送证明材料" in reply
    found = LINK.search(reply)
    assert found, reply
    return found.group(1)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def files(*items: tuple[str, bytes, str]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", item) for item in items]


async def evidence_of(ctx: AppContext, openid: str) -> list[dict[str, object]]:
    async with ctx.db.transaction() as s:
        state = (
            await s.scalars(
                select(FlowState)
                .join(Account, Account.id == FlowState.account_id)
                .where(Account.external_id == openid)
            )
        ).one()
        return list(state.data.get("evidence") or [])


async def add_person(ctx: AppContext, roster: Roster, number: str, name: str) -> None:
    """A second person of the hospital in the roster (a second WeChat account's claim)."""
    now = ctx.now()
    async with ctx.db.transaction() as s:
        s.add(
            Person(
                id_hash=ctx.ids.lookup_hash(number),
                id_cipher=ctx.ids.encrypt(number),
                id_masked=number[:4] + "*" * 10 + number[-4:],
                name=name,
                unit_id=roster.hospital_id,
                unit_confirmed=True,
                created_at=now,
                updated_at=now,
            )
        )


async def queued(ctx: AppContext) -> list[OutboxMessage]:
    async with ctx.db.transaction() as s:
        return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def stored_files(ctx: AppContext) -> int:
    async with ctx.db.transaction() as s:
        return len(list(await s.scalars(select(EvidenceFile))))


async def test_the_link_is_given_at_the_evidence_step_and_opens_a_form(ctx: AppContext) -> None:
    roster = await seed_roster(ctx)
    async with site(ctx) as s:
        url = await evidence_link(s, roster)
        assert url.startswith(ctx.public_url.rstrip("/") + "/upload/")
        page = await s.http.get(path_of(url))
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert 'accept="application/pdf,image/*" multiple' in page.text
    assert "<script" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    # the link names an opaque id only: no account, no ID number
    link_id = urlsplit(url).path.rsplit("/", 1)[1]
    assert roster.zhang_number not in url and "zhang" not in url
    async with ctx.db.transaction() as db:
        link = await db.get(UploadLink, link_id)
        assert link is not None and link.used_at is None
        assert link.expires_at - link.created_at == timedelta(minutes=30)


async def test_a_pdf_and_two_photos_become_the_claims_evidence(ctx: AppContext) -> None:
    roster = await seed_roster(ctx)
    async with site(ctx) as s:
        url = await evidence_link(s, roster)
        sent = await s.http.post(
            path_of(url),
            files=files(
                ("结业证书.pdf", PDF, "application/pdf"),
                ("a.jpg", JPEG, "image/jpeg"),
                ("b.png", PNG, "image/png"),
            ),
        )
        assert sent.status_code == 200, sent.text
        assert "已收到 3 个文件，请回到公众号继续" in sent.text
        evidence = await evidence_of(ctx, "o-zhang")
        assert [e["mime"] for e in evidence] == ["application/pdf", "image/jpeg", "image/png"]
        assert await stored_files(ctx) == 3
        # the flow's replies went to the user through the outbox, as a deferred WeChat reply
        rows = [r for r in await queued(ctx) if r.payload.get("key") == DEFERRED_KEY]
        assert len(rows) == 1
        text = rows[0].payload["args"]["text"]
        assert "已收到第 1 份" in text or "第 1 份" in text, text
        assert "请发送证明材料" in text  # the step again, with "done" among its buttons
        assert any("完成" in str(b) for b in rows[0].payload.get("buttons", [])), rows[0].payload
        assert LINK.search(text)  # still at the evidence step: a fresh link for more
        # the flow goes on in the chat: "完成" by its number leads to the pledge
        reply = await s.user("o-zhang").text("完成")
        assert reply is not None and "本人承诺属实" in reply
        # the fresh link, opened once the step is over, says so and takes nothing
        fresh = LINK.search(text)
        assert fresh is not None
        late = await s.http.get(path_of(fresh.group(1)))
        assert late.status_code == 409 and "已不在上传证明材料这一步" in late.text


async def test_a_used_link_is_410_and_adds_nothing(ctx: AppContext) -> None:
    roster = await seed_roster(ctx)
    async with site(ctx) as s:
        url = await evidence_link(s, roster)
        first = await s.http.post(path_of(url), files=files(("a.jpg", JPEG, "image/jpeg")))
        assert first.status_code == 200
        again = await s.http.post(path_of(url), files=files(("b.png", PNG, "image/png")))
        opened = await s.http.get(path_of(url))
    assert again.status_code == 410 and "已失效" in again.text
    assert opened.status_code == 410
    assert len(await evidence_of(ctx, "o-zhang")) == 1
    assert await stored_files(ctx) == 1


async def test_an_expired_link_is_410(ctx: AppContext) -> None:
    roster = await seed_roster(ctx)
    async with site(ctx) as s:
        url = await evidence_link(s, roster)
        async with ctx.db.transaction() as db:
            await db.execute(update(UploadLink).values(expires_at=ctx.now() - timedelta(seconds=1)))
        late = await s.http.post(path_of(url), files=files(("a.jpg", JPEG, "image/jpeg")))
    assert late.status_code == 410 and "已过期" in late.text
    assert await evidence_of(ctx, "o-zhang") == []
    assert await stored_files(ctx) == 0


async def test_a_tampered_signature_or_id_is_403(ctx: AppContext) -> None:
    roster = await seed_roster(ctx)
    async with site(ctx) as s:
        url = await evidence_link(s, roster)
        path = path_of(url)
        signature = path[-16:]
        flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
        forged = await s.http.post(path[:-16] + flipped, files=files(("a.jpg", JPEG, "image/jpeg")))
        unsigned = await s.http.get(path.split("?")[0])
        other_id = await s.http.get(path.replace("/upload/", "/upload/x"))
    assert forged.status_code == 403 and "无效" in forged.text
    assert unsigned.status_code == 403 and other_id.status_code == 403
    assert await evidence_of(ctx, "o-zhang") == []


async def test_a_file_over_the_limit_or_of_a_wrong_type_stores_nothing(ctx: AppContext) -> None:
    roster = await seed_roster(ctx)
    async with site(ctx) as s:
        url = await evidence_link(s, roster)
        big = JPEG + b"\x00" * MAX_EVIDENCE_BYTES
        too_big = await s.http.post(
            path_of(url), files=files(("a.jpg", JPEG, "image/jpeg"), ("big.jpg", big, "image/jpeg"))
        )
        word = await s.http.post(
            path_of(url),
            files=files(("a.jpg", JPEG, "image/jpeg"), ("a.docx", b"PK\x03\x04word", "image/jpeg")),
        )
        too_many = await s.http.post(
            path_of(url),
            files=files(*[(f"{n}.jpg", JPEG + bytes([n]), "image/jpeg") for n in range(6)]),
        )
        empty = await s.http.post(path_of(url), files=files(("", b"", "application/octet-stream")))
        # nothing was stored, and the link still serves
        assert await evidence_of(ctx, "o-zhang") == []
        assert await stored_files(ctx) == 0
        ok = await s.http.post(path_of(url), files=files(("a.jpg", JPEG, "image/jpeg")))
    assert too_big.status_code == 413 and "文件过大（最大 10 MB）" in too_big.text
    assert "big.jpg" in too_big.text and "没有保存任何文件" in too_big.text
    assert word.status_code == 415 and "只接受 JPG、PNG、WebP 图片或 PDF 文件" in word.text
    assert too_many.status_code == 400 and "一次最多上传 5 个文件" in too_many.text
    assert empty.status_code == 400 and "请先选择要上传的文件" in empty.text
    assert ok.status_code == 200 and len(await evidence_of(ctx, "o-zhang")) == 1


async def test_a_body_declared_over_the_limit_is_refused_unread(ctx: AppContext) -> None:
    roster = await seed_roster(ctx)
    async with site(ctx) as s:
        url = await evidence_link(s, roster)
        huge = await s.http.post(
            path_of(url),
            content=b"x" * 10,
            headers={
                "content-type": "multipart/form-data; boundary=b",
                "content-length": str(60 * 1024 * 1024),
            },
        )
    assert huge.status_code == 413 and "文件过大" in huge.text


async def test_another_accounts_link_cannot_add_to_this_claim(ctx: AppContext) -> None:
    roster = await seed_roster(ctx)
    async with site(ctx) as s:
        zhang_url = await evidence_link(s, roster, "o-zhang")
        await add_person(ctx, roster, LI_ID, "李娜")
        await at_hours(s, roster, "o-li", LI_ID, "李娜")
        li_reply = await s.user("o-li").text("3")
        assert li_reply is not None
        found = LINK.search(li_reply)
        assert found
        li_url = found.group(1)
        assert li_url != zhang_url
        sent = await s.http.post(path_of(li_url), files=files(("a.jpg", JPEG, "image/jpeg")))
        assert sent.status_code == 200
        # Li's link added to Li's claim only; Zhang's link still serves Zhang alone
        assert len(await evidence_of(ctx, "o-li")) == 1
        assert await evidence_of(ctx, "o-zhang") == []
        # and it cannot be used a second time by anyone, for either claim
        again = await s.http.post(path_of(li_url), files=files(("b.png", PNG, "image/png")))
        assert again.status_code == 410
        assert await evidence_of(ctx, "o-zhang") == []


async def test_the_page_speaks_english_to_an_english_account(ctx: AppContext) -> None:
    roster = await seed_roster(ctx)
    async with site(ctx) as s:
        url = await evidence_link(s, roster)
        async with ctx.db.transaction() as db:
            await db.execute(update(Account).values(language="en"))
        page = await s.http.get(path_of(url))
        wrong = await s.http.post(path_of(url), files=files(("a.txt", b"hello", "text/plain")))
    assert page.status_code == 200 and "Upload evidence" in page.text
    assert wrong.status_code == 415 and "No file was saved" in wrong.text


async def test_the_links_lifetime_is_the_setting_and_a_fresh_link_keeps_it(
    ctx: AppContext,
) -> None:
    roster = await seed_roster(ctx)
    async with site(ctx, minutes=10) as s:
        await at_hours(s, roster, "o-zhang", roster.zhang_number, "张伟")
        reply = await s.user("o-zhang").text("4")
        assert reply is not None
        found = ANY_LINK.search(reply)
        assert found is not None and found.group(2) == "10"
        sent = await s.http.post(
            path_of(found.group(1)), files=files(("a.jpg", JPEG, "image/jpeg"))
        )
        assert sent.status_code == 200
    async with ctx.db.transaction() as db:
        links = list(await db.scalars(select(UploadLink).order_by(UploadLink.created_at)))
    assert len(links) == 2  # the one given in the chat, the fresh one queued after the upload
    assert all(link.expires_at - link.created_at == timedelta(minutes=10) for link in links)
    rows = [r for r in await queued(ctx) if r.payload.get("key") == DEFERRED_KEY]
    assert "（10 分钟内有效" in rows[-1].payload["args"]["text"]


async def test_two_uploads_racing_on_one_link_add_the_files_of_one(ctx: AppContext) -> None:
    """Both passed the page's check; the first file's transaction decides (a conditional
    UPDATE): the other's turn is undone, nothing of it stored in the draft."""
    roster = await seed_roster(ctx)
    async with site(ctx) as s:
        url = await evidence_link(s, roster)
        link_id = urlsplit(url).path.rsplit("/", 1)[1]
        page = UploadPage(ctx, s.engine)
        state, link = await open_link(ctx, link_id, urlsplit(url).query.split("t=")[1])
        assert state is LinkState.OK and link is not None
        first = await page._feed(
            link, [(UploadFile(io.BytesIO(), filename="a.jpg"), JPEG, "image/jpeg")]
        )
        second = await page._feed(
            link, [(UploadFile(io.BytesIO(), filename="b.png"), PNG, "image/png")]
        )
    assert (first, second) == (1, 0)
    assert [e["mime"] for e in await evidence_of(ctx, "o-zhang")] == ["image/jpeg"]


def _number_of(screen: str, label: str) -> str:
    """The number a screen gives the choice whose label holds `label` (pressing by label)."""
    for line in screen.splitlines():
        found = re.match(r"^(\d+)\. (.*)$", line.strip())
        if found and label in found.group(2):
            return found.group(1)
    raise AssertionError(f"no choice {label!r} on the screen:\n{screen}")


async def test_e2e_by_numbers_an_upload_then_the_reply_by_the_wechat_sender(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    """A real WeChat worker (uvicorn, its own web pages and engine): the claim by typed
    numbers, the files through the page, the flow's reply delivered by the outbox's WeChat
    sender as a customer-service message, and the claim goes on by its numbers."""
    roster = await seed_roster(ctx)
    caplog.set_level(logging.DEBUG)
    protocol = Protocol(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, mode="safe")
    async with (
        FakeWeChatApi(app_id=APP_ID) as fake,
        serve(wechat_app(ctx, WeChatWebhook(ctx, protocol))) as base,
    ):
        user = WeChatUser(
            base + WECHAT_PATH,
            token=TOKEN,
            app_id=APP_ID,
            aes_key=AES_KEY,
            mode="safe",
            openid="oE2E-upload",
            account_id="gh_e2e0123456789",
        )
        api = WeChatApi(
            base_url=fake.base_url,
            app_id=APP_ID,
            app_secret=fake.app_secret,
            db=ctx.database,
            clock=ctx.now,
        )
        try:
            screen = await user.subscribe()
            assert screen is not None
            await user.text(_number_of(screen, "同意"))
            await user.text(roster.zhang_number)
            screen = await user.text("张伟")
            assert screen is not None and "绑定成功" in screen
            screen = await user.text("/claim")
            assert screen is not None
            screen = await user.text(_number_of(screen, "新登记"))
            assert screen is not None
            screen = await user.text(_number_of(screen, "2024 年度"))
            assert screen is not None
            await user.text(_number_of(screen, "培训进修类"))
            await user.text("心血管疾病诊疗进展培训班")
            await user.text("广西医学会")
            screen = await user.text("2024-05-03")
            assert screen is not None
            await user.text(_number_of(screen, "同一天"))
            screen = await user.text("4")
            assert screen is not None and "请发送证明材料" in screen
            found = LINK.search(screen)
            assert found is not None
            page_url = base + path_of(found.group(1))
            form = await user.http.get(page_url)
            assert form.status_code == 200 and "multiple" in form.text
            sent = await user.http.post(
                page_url,
                files=files(
                    ("证书.pdf", PDF, "application/pdf"),
                    ("a.jpg", JPEG, "image/jpeg"),
                    ("b.png", PNG, "image/png"),
                ),
            )
            assert sent.status_code == 200 and "已收到 3 个文件" in sent.text
            again = await user.http.post(page_url, files=files(("c.jpg", JPEG, "image/jpeg")))
            assert again.status_code == 410
            config = SenderConfig(rate=100, per_chat_interval=0.0, poll_interval=0.05)
            stats = await drain(
                ctx, wechat_sender(api, ctx.database, TemplateMap({}), ctx.now), config
            )
            assert stats.sent == 1
            call = await fake.wait_for("message/custom/send")
            assert call.body["touser"] == "oE2E-upload"
            assert call.text is not None and "已收到第 3 份证明材料" in call.text
            done = await user.text(_number_of(call.text, "完成"))
            assert done is not None and "本人承诺属实" in done
        finally:
            await api.aclose()
            await user.aclose()
    assert [e["mime"] for e in await evidence_of(ctx, "oE2E-upload")] == [
        "application/pdf",
        "image/jpeg",
        "image/png",
    ]
    # no ID number in the log (the database drivers' debug lines, full of ciphertext and
    # addresses, are left out: random digits there can pass the check digit)
    assert roster.zhang_number not in caplog.text
    libraries = ("aiosqlite", "asyncpg", "sqlalchemy", "httpcore", "httpx", "asyncio")
    ours_all = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(libraries))
    assert not find_id_numbers(ours_all)
    # the signature makes the link a bearer secret: none of the application's log lines holds
    # it (the HTTP client is the test's; uvicorn's access line loses its query string in
    # cebot.logging_setup.AccessPathFilter)
    signature = urlsplit(found.group(1)).query.split("t=")[1]
    ours = [
        r.getMessage()
        for r in caplog.records
        if not r.name.startswith(("httpx", "httpcore", "uvicorn.access"))
    ]
    assert ours and not any(signature in line for line in ours)


async def test_more_files_than_the_claim_still_takes_are_refused_whole(ctx: AppContext) -> None:
    roster = await seed_roster(ctx)
    async with site(ctx) as s:
        url = await evidence_link(s, roster)
        three = [(f"{n}.jpg", JPEG + bytes([n]), "image/jpeg") for n in range(3)]
        first = await s.http.post(path_of(url), files=files(*three))
        assert first.status_code == 200
        rows = [r for r in await queued(ctx) if r.payload.get("key") == DEFERRED_KEY]
        fresh = LINK.search(rows[-1].payload["args"]["text"])
        assert fresh is not None
        more = [(f"{n}.png", PNG + bytes([n]), "image/png") for n in range(3)]
        refused = await s.http.post(path_of(fresh.group(1)), files=files(*more))
        assert refused.status_code == 400
        assert "您选择了 3 个文件，这份登记还能上传 2 个" in refused.text
        assert len(await evidence_of(ctx, "o-zhang")) == 3 and await stored_files(ctx) == 3
        two = await s.http.post(path_of(fresh.group(1)), files=files(*more[:2]))
    assert two.status_code == 200 and "已收到 2 个文件" in two.text
    assert len(await evidence_of(ctx, "o-zhang")) == 5


async def test_links_expired_a_day_ago_are_pruned_the_others_kept(ctx: AppContext) -> None:
    roster = await seed_roster(ctx)
    async with site(ctx) as s:
        url = await evidence_link(s, roster)
    async with ctx.db.transaction() as db:
        account_id = (await db.scalars(select(UploadLink.account_id))).one()
        old = UploadLink(
            id="old-link",
            account_id=account_id,
            created_at=ctx.now() - timedelta(days=2),
            expires_at=ctx.now() - timedelta(days=1, seconds=1),
            files_done=0,
        )
        db.add(old)
    assert await prune_upload_links(ctx) == 1
    async with ctx.db.transaction() as db:
        kept = list(await db.scalars(select(UploadLink.id)))
    assert kept == [urlsplit(url).path.rsplit("/", 1)[1]]


class FailingEngine(Engine):
    """The real engine whose file turns fail (a database gone away mid-upload)."""

    async def handle(self, user: ChannelUser, event: Event) -> Outcome:
        if event.kind == "file":
            raise RuntimeError("the database went away")
        return await super().handle(user, event)


async def test_a_failed_turn_says_so_and_leaves_the_link_usable(ctx: AppContext) -> None:
    roster = await seed_roster(ctx)
    async with site(ctx) as s:
        url = await evidence_link(s, roster)
        failing = Starlette(routes=upload_routes(ctx, FailingEngine(ctx)))
        transport = httpx.ASGITransport(app=failing)
        async with httpx.AsyncClient(transport=transport, base_url="http://wechat.test") as http:
            failed = await http.post(path_of(url), files=files(("a.jpg", JPEG, "image/jpeg")))
        assert failed.status_code == 500 and "没有保存任何文件" in failed.text
        assert await evidence_of(ctx, "o-zhang") == []
        ok = await s.http.post(path_of(url), files=files(("a.jpg", JPEG, "image/jpeg")))
    assert ok.status_code == 200 and len(await evidence_of(ctx, "o-zhang")) == 1
