"""The fake WeChat server and the fake WeChat user.

The user is tried against a tiny echo webhook of this file's own that checks and replies with
wechatpy, as an account's server would, in the three message modes; the server is tried with
plain HTTP calls (the API client's own tests are in test_api.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from defusedxml import ElementTree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.wechat.fake_api import FakeWeChatApi, WeChatReplyError, WeChatUser

TOKEN = "echoToken2024"
APP_ID = "wx0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
ACCOUNT = "gh_0123456789ab"
MAX_BODY = 64 * 1024


class EchoWebhook:
    """An account's webhook in miniature: checks the signature, decrypts, answers "echo: …"."""

    def __init__(self, *, tamper: bool = False, plain_replies: bool = False) -> None:
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
        self.bodies: list[bytes] = []
        self.messages: list[Any] = []
        self.tamper = tamper  # sign replies wrongly, to see the user refuse them
        self.plain_replies = plain_replies  # answer encrypted messages in plain text
        self.app = Starlette(routes=[Route("/wechat", self.handle, methods=["GET", "POST"])])

    async def handle(self, request: Request) -> Response:
        q = request.query_params
        try:
            check_signature(TOKEN, q.get("signature"), q.get("timestamp"), q.get("nonce"))
        except InvalidSignatureException:
            return PlainTextResponse("bad signature", status_code=403)
        if request.method == "GET":
            return PlainTextResponse(q.get("echostr", ""))
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("too large", status_code=413)
        self.bodies.append(body)
        ElementTree.fromstring(body)  # defusedxml refuses DOCTYPE and entities first
        encrypted = q.get("encrypt_type") == "aes"
        xml = (
            self.crypto.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"])
            if encrypted
            else body
        )
        message = parse_message(xml)
        self.messages.append(message)
        if message.type == "text":
            content = f"echo: {message.content}"
        elif message.type == "image":
            content = f"image: {message.media_id}"
        elif message.type == "event" and message.event == "click":
            content = f"click: {message.key}"
        elif message.type == "event" and message.event == "subscribe":
            content = "welcome"
        else:
            return PlainTextResponse("success")
        # wechatpy puts the content in CDATA as it is: "]]>" in it would end the section
        # early (invalid XML, or XML of the sender's making), so it is split first
        safe_content = content.replace("]]>", "]]]]><![CDATA[>")
        reply = TextReply(message=message, content=safe_content).render()
        if not encrypted or self.plain_replies:
            return Response(reply, media_type="application/xml")
        out = self.crypto.encrypt_message(reply, q["nonce"], q["timestamp"])
        if self.tamper:
            out = out.replace("<Nonce><![CDATA[", "<Nonce><![CDATA[x")
        return Response(out, media_type="application/xml")


@pytest.fixture
async def echo() -> AsyncIterator[tuple[EchoWebhook, httpx.AsyncClient]]:
    hook = EchoWebhook()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=hook.app), base_url="http://account.test"
    ) as http:
        yield hook, http


def _user(http: httpx.AsyncClient, mode: str, **overrides: Any) -> WeChatUser:
    options: dict[str, Any] = {
        "token": TOKEN,
        "app_id": APP_ID,
        "aes_key": AES_KEY,
        "mode": mode,
        "openid": "o-user-1",
        "account_id": ACCOUNT,
        "http": http,
    } | overrides
    return WeChatUser("http://account.test/wechat", **options)


MODES = ["plain", "compatible", "safe"]


@pytest.mark.parametrize("mode", MODES)
async def test_round_trip_of_every_kind(
    mode: str, echo: tuple[EchoWebhook, httpx.AsyncClient]
) -> None:
    hook, http = echo
    user = _user(http, mode)
    tricky = "你好 <b>&amp; ]]> 4501"
    assert await user.text(tricky) == f"echo: {tricky}"
    assert await user.click("cmd:progress") == "click: cmd:progress"
    assert await user.subscribe() == "welcome"
    assert await user.image("media-1") == "image: media-1"
    assert await user.voice() is None  # the webhook answered "success": no reply
    assert await user.unsubscribe() is None
    kinds = [(m.type, getattr(m, "event", None)) for m in hook.messages]
    assert kinds == [
        ("text", None),
        ("event", "click"),
        ("event", "subscribe"),
        ("image", None),
        ("voice", None),
        ("event", "unsubscribe"),
    ]
    assert all(m.source == "o-user-1" and m.target == ACCOUNT for m in hook.messages)
    assert user.last_reply is None


@pytest.mark.parametrize("mode", MODES)
async def test_message_ids_increase(mode: str, echo: tuple[EchoWebhook, httpx.AsyncClient]) -> None:
    hook, http = echo
    user, other = _user(http, mode), _user(http, mode, openid="o-user-2")
    await user.text("1")
    await other.text("2")
    await user.image("m")
    ids = [int(m.id) for m in hook.messages]
    assert ids == sorted(ids) and len(set(ids)) == 3


async def test_safe_mode_hides_the_text_and_compatible_mode_carries_both(
    echo: tuple[EchoWebhook, httpx.AsyncClient],
) -> None:
    hook, http = echo
    await _user(http, "safe").text("秘密的话")
    await _user(http, "compatible").text("公开的话")
    await _user(http, "plain").text("明文的话")
    safe, compatible, plain = (ElementTree.fromstring(b) for b in hook.bodies)
    assert [c.tag for c in safe] == ["ToUserName", "Encrypt"]
    assert "秘密".encode() not in hook.bodies[0]
    assert compatible.findtext("Content") == "公开的话" and compatible.findtext("Encrypt")
    assert plain.findtext("Content") == "明文的话" and plain.find("Encrypt") is None


async def test_reply_in_plain_mode_is_read_as_is(
    echo: tuple[EchoWebhook, httpx.AsyncClient],
) -> None:
    _hook, http = echo
    user = _user(http, "plain", aes_key=None)
    assert await user.text("hi") == "echo: hi"
    assert user.last_reply is not None and user.last_reply["MsgType"] == "text"
    assert "Encrypt" not in user.last_reply


@pytest.mark.parametrize("mode", MODES)
async def test_a_wrong_token_is_refused_by_the_webhook(
    mode: str, echo: tuple[EchoWebhook, httpx.AsyncClient]
) -> None:
    hook, http = echo
    user = _user(http, mode, token="someoneElse99")
    with pytest.raises(httpx.HTTPStatusError):
        await user.text("hi")
    assert user.last_response is not None and user.last_response.status_code == 403
    assert hook.messages == []


async def test_a_badly_signed_reply_is_refused() -> None:
    hook = EchoWebhook(tamper=True)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=hook.app), base_url="http://account.test"
    ) as http:
        with pytest.raises(WeChatReplyError, match="decrypt"):
            await _user(http, "safe").text("hi")


async def test_verify_echoes_echostr(echo: tuple[EchoWebhook, httpx.AsyncClient]) -> None:
    _hook, http = echo
    response = await _user(http, "safe").verify()
    assert response.status_code == 200
    assert response.text == response.request.url.params["echostr"]


async def test_raw_posts_exactly_what_it_is_given(
    echo: tuple[EchoWebhook, httpx.AsyncClient],
) -> None:
    hook, http = echo
    user = _user(http, "plain")
    body, params = user.envelope(user.message_xml("text", {"Content": "x"}, msgid=True))
    response = await user.raw(body, params)
    assert response.status_code == 200 and hook.bodies == [body]
    params["signature"] = "0" * 40
    assert (await user.raw(body, params)).status_code == 403


def test_modes_need_what_they_use() -> None:
    with pytest.raises(ValueError, match="mode"):
        WeChatUser(
            "http://x",
            token=TOKEN,
            app_id=APP_ID,
            aes_key=None,
            mode="aes",
            openid="o",
            account_id=ACCOUNT,
        )
    with pytest.raises(ValueError, match="EncodingAESKey"):
        WeChatUser(
            "http://x",
            token=TOKEN,
            app_id=APP_ID,
            aes_key=None,
            mode="safe",
            openid="o",
            account_id=ACCOUNT,
        )


# ---------------------------------------------------------------------- the fake server


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChatApi]:
    async with FakeWeChatApi() as api:
        yield api


async def _token(http: httpx.AsyncClient, fake: FakeWeChatApi, **params: str) -> dict[str, Any]:
    query = {"grant_type": "client_credential", "appid": fake.app_id, "secret": fake.app_secret}
    response = await http.get(f"{fake.base_url}/cgi-bin/token", params=query | params)
    data: dict[str, Any] = response.json()
    return data


async def _post(
    http: httpx.AsyncClient, fake: FakeWeChatApi, path: str, token: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await http.post(
        f"{fake.base_url}/cgi-bin/{path}", params={"access_token": token}, json=body
    )
    data: dict[str, Any] = response.json()
    return data


async def test_token_endpoint_checks_the_credentials(fake: FakeWeChatApi) -> None:
    async with httpx.AsyncClient() as http:
        assert (await _token(http, fake, secret="wrong"))["errcode"] == 40125
        assert (await _token(http, fake, appid="wx-other"))["errcode"] == 40013
        assert (await _token(http, fake, grant_type="password"))["errcode"] == 40002
        assert fake.tokens_issued == 0
        issued = await _token(http, fake)
    assert issued["expires_in"] == 7200 and len(issued["access_token"]) > 32
    assert fake.tokens_issued == 1
    recorded = fake.calls_of("token")
    assert all("secret" not in c.query for c in recorded)  # never kept, even by the fake


async def test_tokens_expire_and_can_be_invalidated(fake: FakeWeChatApi) -> None:
    text = {"touser": "o-1", "msgtype": "text", "text": {"content": "hi"}}
    async with httpx.AsyncClient() as http:
        fake.token_lifetime = 1
        short = (await _token(http, fake))["access_token"]
        await asyncio.sleep(1.1)
        assert (await _post(http, fake, "message/custom/send", short, text))["errcode"] == 42001
        fake.token_lifetime = 7200
        token = (await _token(http, fake))["access_token"]
        assert (await _post(http, fake, "message/custom/send", token, text))["errcode"] == 0
        fake.invalidate_tokens()
        assert (await _post(http, fake, "message/custom/send", token, text))["errcode"] == 40001
        assert (await _post(http, fake, "message/custom/send", "", text))["errcode"] == 41001


async def test_sends_are_recorded_and_failures_injected(fake: FakeWeChatApi) -> None:
    async with httpx.AsyncClient() as http:
        token = (await _token(http, fake))["access_token"]
        since = fake.mark()
        fake.fail_next("message/custom/send", 45047, "out of response count limit")
        text = {"touser": "o-1", "msgtype": "text", "text": {"content": "你好"}}
        assert (await _post(http, fake, "message/custom/send", token, text))["errcode"] == 45047
        assert (await _post(http, fake, "message/custom/send", token, text))["errcode"] == 0
        template = {
            "touser": "o-2",
            "template_id": "T1",
            "url": "https://x.test/c",
            "data": {"first": {"value": "截止提醒"}},
        }
        answer = await _post(http, fake, "message/template/send", token, template)
    assert answer["errcode"] == 0 and "msgid" in answer
    sent = await fake.wait_for("message/custom/send", lambda c: c.errcode == 0, since=since)
    assert (sent.openid, sent.text) == ("o-1", "你好")
    assert [c.errcode for c in fake.calls_of("message/custom/send")] == [45047, 0]
    call = await fake.wait_for("message/template/send", since=since)
    assert (call.openid, call.template_id, call.data, call.url) == (
        "o-2",
        "T1",
        {"first": "截止提醒"},
        "https://x.test/c",
    )
    assert all("access_token" not in c.query for c in fake.calls)
    with pytest.raises(TimeoutError):
        await fake.wait_for("menu/create", timeout=0.05)


async def test_media_is_served_and_unknown_ids_refused(fake: FakeWeChatApi) -> None:
    fake.add_media("m-1", b"\xff\xd8jpeg", "image/jpeg")
    async with httpx.AsyncClient() as http:
        token = (await _token(http, fake))["access_token"]
        url = f"{fake.base_url}/cgi-bin/media/get"
        found = await http.get(url, params={"access_token": token, "media_id": "m-1"})
        missing = await http.get(url, params={"access_token": token, "media_id": "m-2"})
    assert found.content == b"\xff\xd8jpeg" and found.headers["content-type"] == "image/jpeg"
    assert missing.json()["errcode"] == 40007


async def test_menu_is_recorded(fake: FakeWeChatApi) -> None:
    menu = {"button": [{"type": "click", "name": "学时", "key": "cmd:progress"}]}
    async with httpx.AsyncClient() as http:
        token = (await _token(http, fake))["access_token"]
        assert (await _post(http, fake, "menu/create", token, {"button": []}))["errcode"] == 40016
        assert (await _post(http, fake, "menu/create", token, menu))["errcode"] == 0
    assert fake.menu == menu


def test_the_fake_runs_on_its_own() -> None:
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "bot.wechat.fake_api", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        settings = dict(process.stdout.readline().strip().split("=", 1) for _ in range(4))
        base = settings["WECHAT_API_BASE_URL"]
        assert base == f"http://127.0.0.1:{settings['FAKE_WECHAT_PORT']}"
        query = {
            "grant_type": "client_credential",
            "appid": settings["WECHAT_APP_ID"],
            "secret": settings["WECHAT_APP_SECRET"],
        }
        issued = httpx.get(f"{base}/cgi-bin/token", params=query).json()
        assert issued["expires_in"] == 7200
        calls = httpx.get(f"{base}/_fake/calls", params={"path": "token"}).json()
        assert [c["errcode"] for c in calls] == [0]
        assert settings["WECHAT_APP_SECRET"] not in str(calls)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(("mode", "accepted"), [("compatible", True), ("safe", False)])
async def test_a_plain_reply_to_an_encrypted_message(mode: str, accepted: bool) -> None:
    hook = EchoWebhook(plain_replies=True)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=hook.app), base_url="http://account.test"
    ) as http:
        user = _user(http, mode)
        if accepted:  # WeChat takes either kind of reply in compatible mode
            assert await user.text("hi") == "echo: hi"
        else:
            with pytest.raises(WeChatReplyError, match="not encrypted"):
                await user.text("hi")
