"""A fake WeChat API server on loopback, and a client that plays one WeChat user.

FakeWeChatApi answers the calls bot/wechat/api.py makes, at WeChat's paths under /cgi-bin/:
token (checks appid, secret and grant_type; tokens expire after `token_lifetime` seconds and
can be invalidated), message/custom/send and message/template/send (recorded: openid, text,
template_id, data, url), media/get (serves added media, 40007 for unknown ids), menu/create
(recorded), menu/get and getcallbackip. `fail_next` makes the next call of a path answer
with any errcode. It runs uvicorn in a thread of its own, so a test's event loop stays free
for the code under test.

    api = await FakeWeChatApi().start()
    client = WeChatApi(base_url=api.base_url, app_id=api.app_id, app_secret=api.app_secret, ...)
    call = await api.wait_for("message/custom/send", lambda c: c.openid == "o-1")

It also runs on its own (`python -m bot.wechat.fake_api --port 8082`: it prints the WECHAT_*
settings to use); the recorded calls are then at /_fake/calls?since=N&path=menu/create.

WeChatUser posts what WeChat's servers post to an account's webhook: XML messages and events,
signed with the account's token, encrypted (WXBizMsgCrypt, via wechatpy) in safe mode, plain
and encrypted side by side in compatible mode; it checks and decrypts the passive reply.

    user = WeChatUser(url, token=..., app_id=..., aes_key=..., mode="safe", openid="o-1",
                      account_id="gh_0123456789ab")
    reply = await user.text("你好")
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from defusedxml import ElementTree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from wechatpy.crypto import WeChatCrypto

STALE_TOKEN_GRACE = 300.0  # WeChat keeps the previous token working 5 minutes after a new fetch
MODES = ("plain", "compatible", "safe")


@dataclass
class Call:
    path: str  # without /cgi-bin/, e.g. "message/custom/send", "token", "media/get"
    query: dict[str, str]  # the query string, access_token and secret removed
    body: dict[str, Any]  # the JSON body ({} for GET)
    errcode: int = 0  # what the fake answered
    at: float = field(default_factory=time.monotonic)

    @property
    def openid(self) -> str | None:
        return self.body.get("touser")

    @property
    def text(self) -> str | None:
        content = self.body.get("text")
        return content.get("content") if isinstance(content, dict) else None

    @property
    def template_id(self) -> str | None:
        return self.body.get("template_id")

    @property
    def data(self) -> dict[str, str]:
        """A template message's fields as name -> value."""
        fields = self.body.get("data") or {}
        return {k: str(v.get("value", "")) for k, v in fields.items() if isinstance(v, dict)}

    @property
    def url(self) -> str | None:
        return self.body.get("url")


def _path(path: str) -> str:
    return path.strip("/").removeprefix("cgi-bin/")


@dataclass
class _Token:
    value: str
    expires: float  # time.monotonic()


class FakeWeChatApi:
    def __init__(
        self,
        *,
        app_id: str = "wx0123456789abcdef",
        app_secret: str = "fake-app-secret-0123456789abcdef",
        host: str = "127.0.0.1",
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.host = host
        self.port = 0
        self.calls: list[Call] = []
        self.tokens_issued = 0
        self.token_lifetime = 7200  # seconds; settable (expires_in of the next tokens)
        self.menu: dict[str, Any] | None = None
        self._tokens: dict[str, _Token] = {}
        self._media: dict[str, tuple[bytes, str]] = {}
        self._failures: dict[str, list[tuple[int, str]]] = {}
        self._msgids = itertools.count(1_000_000)
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """What WECHAT_API_BASE_URL is set to (the API's paths start with /cgi-bin/)."""
        if not self.port:
            raise RuntimeError("the fake WeChat API is not started")
        return f"http://{self.host}:{self.port}"

    async def start(self, port: int = 0) -> FakeWeChatApi:
        app = Starlette(
            routes=[
                Route("/cgi-bin/{path:path}", self._api, methods=["GET", "POST"]),
                Route("/_fake/calls", self._control_calls, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(
            app, host=self.host, port=port, log_level="warning", lifespan="off", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-wechat", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake WeChat API server did not start")
            await asyncio.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 10)

    async def __aenter__(self) -> FakeWeChatApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ test controls

    def mark(self) -> int:
        """Index to pass as `since` to wait only for calls made from now on."""
        with self._lock:
            return len(self.calls)

    def calls_of(self, path: str, *, since: int = 0) -> list[Call]:
        wanted = _path(path)
        with self._lock:
            return [c for c in self.calls[since:] if c.path == wanted]

    async def wait_for(
        self,
        path: str,
        predicate: Callable[[Call], bool] = lambda _c: True,
        *,
        since: int = 0,
        timeout: float = 10.0,
    ) -> Call:
        """The first call of `path` (index >= since in self.calls) matching predicate."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls_of(path, since=since) if predicate(c)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {_path(path)} call matched within {timeout}s")
            await asyncio.sleep(0.005)

    def add_media(self, media_id: str, data: bytes, content_type: str) -> None:
        with self._lock:
            self._media[media_id] = (data, content_type)

    def fail_next(self, path: str, errcode: int, errmsg: str = "injected") -> None:
        """The next call of `path` answers with this errcode (calls queue up in order)."""
        with self._lock:
            self._failures.setdefault(_path(path), []).append((errcode, errmsg))

    def invalidate_tokens(self) -> None:
        """Every token issued so far stops working (errcode 40001), as when another program
        fetched one with the same secret."""
        with self._lock:
            self._tokens.clear()

    def expire_tokens(self) -> None:
        """Every token issued so far has expired (errcode 42001)."""
        with self._lock:
            for token in self._tokens.values():
                token.expires = time.monotonic()

    async def _control_calls(self, request: Request) -> Response:
        """The recorded calls from index `since`, optionally of one `path`, for a test or
        benchmark that runs the fake in another process."""
        since = int(request.query_params.get("since", "0") or 0)
        wanted = request.query_params.get("path")
        with self._lock:
            calls = self.calls[since:]
        return JSONResponse(
            [
                {"path": c.path, "query": c.query, "body": c.body, "errcode": c.errcode}
                for c in calls
                if wanted is None or c.path == _path(wanted)
            ]
        )

    # ------------------------------------------------------------------ the API

    async def _api(self, request: Request) -> Response:
        path = _path(request.path_params["path"])
        query = dict(request.query_params)
        body: dict[str, Any] = {}
        if request.method == "POST":
            try:
                parsed = await request.json()
            except ValueError:
                return self._answer(Call(path, _public(query), {}), 47001, "data format error")
            body = parsed if isinstance(parsed, dict) else {}
        call = Call(path, _public(query), body)
        with self._lock:
            failures = self._failures.get(path)
            injected = failures.pop(0) if failures else None
        if path == "token":
            return self._token(call, query, injected)
        problem = self._check_token(query.get("access_token"))
        if problem is None and injected is not None:
            problem = injected
        if problem is not None:
            return self._answer(call, *problem)
        handler = _HANDLERS.get(path)
        if handler is None:
            return self._answer(call, 48001, "api unauthorized")
        return handler(self, call)

    def _answer(self, call: Call, errcode: int = 0, errmsg: str = "ok", **extra: Any) -> Response:
        call.errcode = errcode
        with self._lock:
            self.calls.append(call)
        return JSONResponse({"errcode": errcode, "errmsg": errmsg, **extra})

    def _token(
        self, call: Call, query: dict[str, str], injected: tuple[int, str] | None
    ) -> Response:
        if query.get("grant_type") != "client_credential":
            return self._answer(call, 40002, "invalid grant_type")
        if query.get("appid") != self.app_id:
            return self._answer(call, 40013, "invalid appid")
        if query.get("secret") != self.app_secret:
            return self._answer(call, 40125, "invalid appsecret")
        if injected is not None:
            return self._answer(call, *injected)
        value = secrets.token_urlsafe(96)
        now = time.monotonic()
        with self._lock:
            self.tokens_issued += 1
            for old in self._tokens.values():  # the previous tokens retire soon
                old.expires = min(old.expires, now + STALE_TOKEN_GRACE)
            self._tokens[value] = _Token(value, now + self.token_lifetime)
            call.errcode = 0
            self.calls.append(call)
        return JSONResponse({"access_token": value, "expires_in": self.token_lifetime})

    def _check_token(self, value: str | None) -> tuple[int, str] | None:
        if not value:
            return 41001, "access_token missing"
        with self._lock:
            token = self._tokens.get(value)
        if token is None:
            return 40001, "invalid credential, access_token is invalid or not latest"
        if token.expires <= time.monotonic():
            return 42001, "access_token expired"
        return None

    def _custom_send(self, call: Call) -> Response:
        if not call.openid:
            return self._answer(call, 40003, "invalid openid")
        if call.body.get("msgtype") != "text" or not call.text:
            return self._answer(call, 40008, "invalid message type")
        return self._answer(call)

    def _template_send(self, call: Call) -> Response:
        if not call.openid:
            return self._answer(call, 40003, "invalid openid")
        if not call.template_id:
            return self._answer(call, 40037, "invalid template_id")
        return self._answer(call, msgid=next(self._msgids))

    def _media_get(self, call: Call) -> Response:
        with self._lock:
            media = self._media.get(call.query.get("media_id", ""))
        if media is None:
            return self._answer(call, 40007, "invalid media_id")
        with self._lock:
            self.calls.append(call)
        data, content_type = media
        return Response(
            data,
            media_type=content_type,
            headers={"Content-Disposition": 'attachment; filename="media"'},
        )

    def _menu_create(self, call: Call) -> Response:
        buttons = call.body.get("button")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            return self._answer(call, 40016, "invalid button size")
        self.menu = call.body
        return self._answer(call)

    def _callback_ips(self, call: Call) -> Response:
        with self._lock:
            self.calls.append(call)
        return JSONResponse({"ip_list": ["127.0.0.1", "::1"]})

    def _menu_get(self, call: Call) -> Response:
        if self.menu is None:
            return self._answer(call, 46003, "menu no exist")
        with self._lock:
            self.calls.append(call)
        return JSONResponse({"menu": self.menu})


_HANDLERS: dict[str, Callable[[FakeWeChatApi, Call], Response]] = {
    "message/custom/send": FakeWeChatApi._custom_send,
    "message/template/send": FakeWeChatApi._template_send,
    "media/get": FakeWeChatApi._media_get,
    "menu/create": FakeWeChatApi._menu_create,
    "menu/get": FakeWeChatApi._menu_get,
    "getcallbackip": FakeWeChatApi._callback_ips,
}


def _public(query: dict[str, str]) -> dict[str, str]:
    """The query without what must never be recorded or shown."""
    return {k: v for k, v in query.items() if k not in ("access_token", "secret")}


# ---------------------------------------------------------------------- the WeChat user


def _cdata(value: str) -> str:
    # "]]>" cannot appear inside CDATA: split it across two sections
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class WeChatReplyError(Exception):
    """The webhook's passive reply is not what WeChat accepts (bad signature, bad XML)."""


class WeChatUser:
    """One WeChat user writing to an official account, as WeChat's servers deliver it."""

    _msgids = itertools.count(int(time.time()) * 1000)  # increasing across all users

    def __init__(
        self,
        webhook_url: str,
        *,
        token: str,
        app_id: str,
        aes_key: str | None,
        mode: str,
        openid: str,
        account_id: str,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if mode != "plain" and not aes_key:
            raise ValueError(f"{mode} mode needs the EncodingAESKey")
        self.webhook_url = webhook_url
        self.token = token
        self.app_id = app_id
        self.aes_key = aes_key
        self.mode = mode
        self.openid = openid
        self.account_id = account_id
        self._crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self._own_http = http is None
        self.http = http or httpx.AsyncClient(timeout=10.0)
        self.last_reply: dict[str, str] | None = None  # the reply's fields, decrypted
        self.last_response: httpx.Response | None = None

    # ------------------------------------------------------------------ what the user does

    async def text(self, content: str) -> str | None:
        return await self._post("text", {"Content": content}, msgid=True)

    async def click(self, key: str) -> str | None:
        return await self._post("event", {"Event": "CLICK", "EventKey": key})

    async def subscribe(self) -> str | None:
        return await self._post("event", {"Event": "subscribe", "EventKey": ""})

    async def unsubscribe(self) -> str | None:
        return await self._post("event", {"Event": "unsubscribe", "EventKey": ""})

    async def image(self, media_id: str) -> str | None:
        fields = {"PicUrl": f"http://mmbiz.qpic.cn/fake/{media_id}", "MediaId": media_id}
        return await self._post("image", fields, msgid=True)

    async def voice(self, media_id: str = "fake-voice") -> str | None:
        return await self._post("voice", {"MediaId": media_id, "Format": "amr"}, msgid=True)

    async def verify(self) -> httpx.Response:
        """The GET that WeChat sends when the webhook URL is saved: the body must be echostr."""
        params = self._signed()
        params["echostr"] = secrets.token_hex(8)
        return await self.http.get(self.webhook_url, params=params)

    async def raw(self, body: bytes, params: dict[str, str]) -> httpx.Response:
        """POST exactly this body with exactly these query parameters."""
        response = await self.http.post(
            self.webhook_url, content=body, params=params, headers={"Content-Type": "text/xml"}
        )
        self.last_response = response
        return response

    async def aclose(self) -> None:
        if self._own_http:
            await self.http.aclose()

    # ------------------------------------------------------------------ building messages

    def message_xml(self, msg_type: str, fields: dict[str, str], *, msgid: bool = False) -> str:
        """The plaintext XML of one message or event from this user."""
        parts = [
            f"<ToUserName>{_cdata(self.account_id)}</ToUserName>",
            f"<FromUserName>{_cdata(self.openid)}</FromUserName>",
            f"<CreateTime>{int(time.time())}</CreateTime>",
            f"<MsgType>{_cdata(msg_type)}</MsgType>",
            *(f"<{name}>{_cdata(value)}</{name}>" for name, value in fields.items()),
        ]
        if msgid:
            parts.append(f"<MsgId>{next(self._msgids)}</MsgId>")
        return "<xml>" + "".join(parts) + "</xml>"

    def _signed(self) -> dict[str, str]:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        return {
            "signature": _signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": self.openid,
        }

    def envelope(self, xml: str) -> tuple[bytes, dict[str, str]]:
        """The body and query WeChat would post for this plaintext message, in this mode."""
        params = self._signed()
        if self.mode == "plain":
            return xml.encode(), params
        assert self._crypto is not None
        encrypted = self._crypto.encrypt_message(xml, params["nonce"], params["timestamp"])
        tree = ElementTree.fromstring(encrypted)
        encrypt = tree.findtext("Encrypt") or ""
        params["encrypt_type"] = "aes"
        params["msg_signature"] = tree.findtext("MsgSignature") or ""
        if self.mode == "safe":
            body = (
                f"<xml><ToUserName>{_cdata(self.account_id)}</ToUserName>"
                f"<Encrypt>{_cdata(encrypt)}</Encrypt></xml>"
            )
        else:  # compatible: the plaintext fields and their encryption side by side
            body = xml.removesuffix("</xml>") + f"<Encrypt>{_cdata(encrypt)}</Encrypt></xml>"
        return body.encode(), params

    async def _post(
        self, msg_type: str, fields: dict[str, str], *, msgid: bool = False
    ) -> str | None:
        body, params = self.envelope(self.message_xml(msg_type, fields, msgid=msgid))
        response = await self.raw(body, params)
        response.raise_for_status()
        return self._reply_text(response.content, encrypted=self.mode != "plain")

    # ------------------------------------------------------------------ reading the reply

    def _reply_text(self, body: bytes, *, encrypted: bool) -> str | None:
        """The passive reply's text; None for "success" or an empty body (no reply)."""
        self.last_reply = None
        if body.strip() in (b"", b"success"):
            return None
        fields = _xml_fields(body)
        if encrypted and "Encrypt" not in fields and self.mode == "safe":
            raise WeChatReplyError("the reply is not encrypted")  # compatible takes either
        if encrypted and "Encrypt" in fields:
            assert self._crypto is not None
            try:
                plain = self._crypto.decrypt_message(
                    {"Encrypt": fields["Encrypt"]},
                    fields.get("MsgSignature", ""),
                    fields.get("TimeStamp", ""),
                    fields.get("Nonce", ""),
                )
            except Exception as exc:  # wechatpy's signature and app id errors
                raise WeChatReplyError(f"the reply does not decrypt: {type(exc).__name__}") from exc
            fields = _xml_fields(plain.encode() if isinstance(plain, str) else plain)
        self.last_reply = fields
        if fields.get("ToUserName") != self.openid or fields.get("FromUserName") != self.account_id:
            raise WeChatReplyError("the reply is addressed to someone else")
        if fields.get("MsgType") != "text":
            return None
        return fields.get("Content", "")


def _xml_fields(body: bytes) -> dict[str, str]:
    """The child elements of a flat WeChat XML document (defusedxml: no DOCTYPE, entities)."""
    try:
        root = ElementTree.fromstring(body)
    except Exception as exc:  # ParseError and defusedxml's refusals
        raise WeChatReplyError(f"the reply is not WeChat XML: {type(exc).__name__}") from exc
    if root.tag != "xml":
        raise WeChatReplyError("the reply is not WeChat XML")
    return {child.tag: child.text or "" for child in root}


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="A fake WeChat API server on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    args = parser.parse_args()

    async def serve() -> None:
        api = await FakeWeChatApi(host=args.host).start(port=args.port)
        # the first line tells a parent process where to find the server
        print(f"FAKE_WECHAT_PORT={api.port}", flush=True)
        print(f"WECHAT_API_BASE_URL={api.base_url}", flush=True)
        print(f"WECHAT_APP_ID={api.app_id}", flush=True)
        print(f"WECHAT_APP_SECRET={api.app_secret}", flush=True)
        try:
            while api._thread is not None and api._thread.is_alive():
                await asyncio.sleep(1)
        finally:
            await api.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
