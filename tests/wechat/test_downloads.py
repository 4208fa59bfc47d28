"""Certificate download links (services/download_links.py, web/download.py) and what a WeChat
reply says in place of a file or before the ID-number question (bot/wechat/files.py, compose),
on both databases where the database is used."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select, update
from starlette.applications import Starlette

from bot.flows import ChannelUser, Engine, Event
from bot.flows.base import Button, Outcome, OutgoingFile, Reply
from bot.wechat.fake_api import WeChatUser
from bot.wechat.files import file_note
from bot.wechat.protocol import Protocol
from bot.wechat.webhook import WECHAT_PATH, WeChatWebhook, compose, webhook_from_settings
from cebot.settings import Settings
from services.certificates import CertificateKind, CertificateView, issue_certificate
from services.context import AppContext
from services.download_links import DownloadStatus, check_download, download_url
from services.i18n import translator
from storage.models import Certificate, OutboxMessage
from tests.bot.conftest import Roster, seed_roster
from web.verify import build_web_app

STORED = b"%PDF-1.7 stored copy, never rendered again"


@pytest.fixture
async def issued(ctx: AppContext) -> tuple[Roster, CertificateView]:
    roster = await seed_roster(ctx)
    view = await issue_certificate(
        ctx, roster.zhang_id, 2024, CertificateKind.PUBLIC_EXAM, actor="test", render=False
    )
    assert view.file_path is not None
    view.file_path.parent.mkdir(parents=True, exist_ok=True)
    view.file_path.write_bytes(STORED)  # as if rendered when issued
    return roster, view


@pytest.fixture
async def web(ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_web_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url=ctx.public_url) as client:
        yield client


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _tamper(url: str, key: str, value: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query[key] = value
    return f"{parts.path}?" + "&".join(f"{k}={v}" for k, v in query.items())


async def test_the_link_names_the_number_and_expiry_only(
    ctx: AppContext, issued: tuple[Roster, CertificateView]
) -> None:
    roster, view = issued
    url = download_url(ctx, view.number, now=ctx.now())
    parts = urlsplit(url)
    assert unquote(parts.path) == f"/download/{view.number}"
    query = parse_qs(parts.query)
    assert set(query) == {"e", "t"}
    assert int(query["e"][0]) == int((ctx.now() + timedelta(hours=24)).timestamp())
    assert roster.zhang_number not in url and roster.zhang_number[-4:] not in url
    assert f"={roster.zhang_id}&" not in url + "&" and f"/{roster.zhang_id}?" not in url


async def test_a_valid_link_serves_the_stored_pdf_with_the_bots_file_name(
    ctx: AppContext, issued: tuple[Roster, CertificateView], web: httpx.AsyncClient
) -> None:
    _roster, view = issued
    response = await web.get(_path(download_url(ctx, view.number, now=ctx.now())))
    assert response.status_code == 200
    assert response.content == STORED  # the stored file itself, not a new rendering
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == view.download_name
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("key", "value"),
    [("t", "0" * 32), ("t", ""), ("e", "9999999999"), ("e", "soon")],
)
async def test_a_tampered_link_is_refused_with_403_and_no_file(
    ctx: AppContext,
    issued: tuple[Roster, CertificateView],
    web: httpx.AsyncClient,
    key: str,
    value: str,
) -> None:
    _roster, view = issued
    url = download_url(ctx, view.number, now=ctx.now())
    response = await web.get(_tamper(url, key, value))
    assert response.status_code == 403
    assert STORED not in response.content
    assert 'data-status="not_genuine"' in response.text and "链接无效" in response.text


async def test_another_number_with_the_same_signature_is_refused(
    ctx: AppContext, issued: tuple[Roster, CertificateView], web: httpx.AsyncClient
) -> None:
    _roster, view = issued
    path = _path(download_url(ctx, view.number, now=ctx.now()))
    other = path.replace(view.number, view.number[:-1] + ("2" if view.number[-1] != "2" else "3"))
    response = await web.get(other)
    assert response.status_code == 403 and STORED not in response.content


async def test_an_expired_link_gets_a_clear_page_with_410_in_either_language(
    ctx: AppContext, issued: tuple[Roster, CertificateView]
) -> None:
    _roster, view = issued
    path = _path(download_url(ctx, view.number, now=ctx.now(), hours=24))
    later = replace(ctx, clock=lambda: ctx.now() + timedelta(hours=24, seconds=1))
    transport = httpx.ASGITransport(app=build_web_app(later))
    async with httpx.AsyncClient(transport=transport, base_url=ctx.public_url) as client:
        zh = await client.get(path)
        en = await client.get(path + "&lang=en")
        browser = await client.get(path, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert zh.status_code == en.status_code == browser.status_code == 410
    assert "链接已过期" in zh.text and 'lang="zh-CN"' in zh.text
    assert "Link expired" in en.text and "Link expired" in browser.text
    assert STORED not in zh.content + en.content + browser.content
    # one second before the end it still works
    just = replace(ctx, clock=lambda: ctx.now() + timedelta(hours=23, minutes=59, seconds=59))
    assert (await check_download(just, view.number, *_e_t(path))).status is DownloadStatus.OK


def _e_t(path: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(path).query)
    return query["e"][0], query["t"][0]


async def test_a_revoked_certificate_gets_the_revoked_page_never_the_file(
    ctx: AppContext, issued: tuple[Roster, CertificateView], web: httpx.AsyncClient
) -> None:
    _roster, view = issued
    path = _path(download_url(ctx, view.number, now=ctx.now()))
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Certificate)
            .where(Certificate.number == view.number)
            .values(revoked_at=ctx.now(), revoke_reason="hours_reduced")
        )
    response = await web.get(path)
    assert response.status_code == 410
    assert 'data-status="revoked"' in response.text
    assert f"证书 {view.number} 已于 2024-11-20 撤销" in response.text
    assert STORED not in response.content
    english = await web.get(path + "&lang=en")
    assert f"Certificate {view.number} was revoked on 2024-11-20" in english.text


async def test_a_missing_pdf_is_rendered_once_and_then_served(
    ctx: AppContext, issued: tuple[Roster, CertificateView], web: httpx.AsyncClient
) -> None:
    from services.certificate_render import shutdown_renderer

    _roster, view = issued
    assert view.file_path is not None
    view.file_path.unlink()  # a lost disk, or never rendered (WeChat never produces the file)
    try:
        response = await web.get(_path(download_url(ctx, view.number, now=ctx.now())))
    finally:
        shutdown_renderer()
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert view.file_path.read_bytes() == response.content  # stored for the next download


async def test_garbage_numbers_are_refused_before_the_database(
    ctx: AppContext, web: httpx.AsyncClient
) -> None:
    for path in ("/download/GX2024-PE-000001", "/download/" + "9" * 60 + "?e=1&t=x"):
        response = await web.get(path)
        assert response.status_code == 403
        assert 'data-status="not_genuine"' in response.text


# ------------------------------------------------------------------ the WeChat message


def _cert_outcome(number: str) -> Outcome:
    file = OutgoingFile(path="", name=f"公需科目证书-2024-{number}.pdf", certificate=number)
    return Outcome([Reply("证书已生成。", ((Button("📜 我的证书", "m:certs"),),), file=file)])


async def test_a_certificate_reply_carries_the_download_and_verification_links(
    ctx: AppContext,
) -> None:
    t = translator("zh")
    number = "GX2024-PE-000001"
    text = compose(_cert_outcome(number), t, file_note=file_note(ctx, t, now=ctx.now())).text
    link = download_url(ctx, number, now=ctx.now())
    assert f"⬇️ 下载 PDF：{link}（24 小时内有效）" in text
    assert f"/verify/{number}?t=" in text and "🔎 验证页面：" in text
    assert "后续版本" not in text and "Telegram" not in text
    # the links come before the numbered choices
    assert text.index(link) < text.index("1. 📜 我的证书")
    english = translator("en")
    en_text = compose(
        _cert_outcome(number), english, file_note=file_note(ctx, english, now=ctx.now(), hours=6)
    ).text
    assert "⬇️ Download PDF: " in en_text and "(valid for 6 hours)" in en_text


def test_other_files_say_where_they_are_for_now() -> None:
    t = translator("zh")
    outcome = Outcome([Reply("报表已生成。", file=OutgoingFile(path="", name="单位报表.xlsx"))])
    text = compose(outcome, t).text
    assert "单位报表.xlsx：微信公众号暂时不能提供这个文件，请在 Telegram 或命令行中获取。" in text
    assert "http" not in text  # no link for a file that is not a certificate
    en = compose(outcome, translator("en")).text
    assert "please get it on Telegram or from the command line" in en


def test_the_id_question_warns_before_the_number_is_typed() -> None:
    t = translator("zh")
    question = Outcome([Reply("您好"), Reply(t("onb-ask-id"), ((Button("≡ 主菜单", "m:menu"),),))])
    warned = compose(question, t, asks_sensitive=True).text
    assert "微信不允许公众号删除您发的消息" in warned and "长按" in warned
    assert "不会再完整显示" in warned
    # in the question itself, before its numbered choices, not on the greeting before it
    asked_at = warned.index("请输入您的18位居民身份证号码")
    assert asked_at < warned.index("长按") < warned.index("1. ≡ 主菜单")
    assert "长按" not in warned.split("\n\n")[0]
    assert "长按" not in compose(question, t).text  # other steps: no warning
    # WeChat's own question: no promise that the bot deletes the message (it cannot)
    assert "读取后我们会删除这条消息" in t("onb-ask-id")  # Telegram's, unchanged
    assert "读取后我们会删除这条消息" not in warned
    assert "请输入您的18位居民身份证号码。" in warned
    # another sensitive question keeps its text, the warning added after it
    other = Outcome([Reply("请输入证件号。")])
    assert compose(other, t, asks_sensitive=True).text.startswith("请输入证件号。\n\n⚠️")
    assert "long-press" in compose(question, translator("en"), asks_sensitive=True).text


# ------------------------------------------------------------------ a deferred reply


class _SlowEngine(Engine):
    delay = 0.0

    async def handle(self, user: ChannelUser, event: Event) -> Outcome:
        await asyncio.sleep(self.delay)
        return await super().handle(user, event)


def _number_of(screen: str, label: str) -> str:
    for line in screen.splitlines():
        found = re.match(r"^(\d+)\. (.*)$", line.strip())
        if found and label in found.group(2):
            return found.group(1)
    raise AssertionError(f"no choice {label!r} on the screen:\n{screen}")


async def test_a_deferred_certificate_reply_carries_the_link_in_the_outbox(
    ctx: AppContext,
) -> None:
    """Issuing takes longer than the passive reply allows: the link (with the configured
    lifetime) is in the customer-service message queued for the user, and it is genuine."""
    roster = await seed_roster(ctx)
    engine = _SlowEngine(ctx)
    token, app_id, aes = (
        "dl-token",
        "wx0123456789abcdef",
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    )
    webhook = WeChatWebhook(
        ctx,
        Protocol(token=token, app_id=app_id, aes_key=aes, mode="safe"),
        engine=engine,
        reply_within=0.3,
        download_hours=6,
    )
    transport = httpx.ASGITransport(app=Starlette(routes=webhook.routes()))
    async with httpx.AsyncClient(transport=transport, base_url="http://wechat.test") as http:
        user = WeChatUser(
            f"http://wechat.test{WECHAT_PATH}",
            token=token,
            app_id=app_id,
            aes_key=aes,
            mode="safe",
            openid="o-deferred",
            account_id="gh_0123456789ab",
            http=http,
        )
        greeting = await user.subscribe()
        assert greeting is not None
        await user.text(_number_of(greeting, "同意"))
        await user.text(roster.zhang_number)
        menu = await user.text("张伟")
        assert menu is not None
        screen = await user.text(_number_of(menu, "我的证书"))
        assert screen is not None
        engine.delay = 0.6
        assert await user.text(_number_of(screen, "生成公需科目证书")) == "已收到，正在处理…"
        await webhook.stop()
    async with ctx.db.transaction() as s:
        row = (await s.scalars(select(OutboxMessage))).one()
    text = str(row.payload["args"]["text"])
    link = re.search(r"⬇️ 下载 PDF：(\S+?)（6 小时内有效）", text)
    assert link, text
    number = re.search(r"/download/(GX2024-PE-\d{6})\?", link.group(1))
    assert number, link.group(1)
    query = parse_qs(urlsplit(link.group(1)).query)
    result = await check_download(ctx, number.group(1), query["e"][0], query["t"][0])
    assert result.status is DownloadStatus.OK
    assert int(query["e"][0]) == int((ctx.now() + timedelta(hours=6)).timestamp())
    assert roster.zhang_number not in text


def test_the_links_lifetime_is_a_setting(ctx: AppContext, tmp_path: Path) -> None:
    def webhook(**extra: object) -> WeChatWebhook:
        settings = Settings(
            WECHAT_APP_ID="wx0123456789abcdef",
            WECHAT_TOKEN="dl-token",
            WECHAT_MESSAGE_MODE="plain",
            CEBOT_DATA_DIR=tmp_path,
            **extra,  # type: ignore[arg-type]
        )
        made = webhook_from_settings(ctx, settings, media=FakeMediaSource())
        assert made is not None
        return made

    assert webhook().download_hours == 24
    assert webhook(WECHAT_DOWNLOAD_HOURS=6).download_hours == 6
    with pytest.raises(ValidationError):
        webhook(WECHAT_DOWNLOAD_HOURS=0)


class FakeMediaSource:
    async def get_media(self, media_id: str) -> tuple[bytes, str | None]:
        raise AssertionError("not used")
