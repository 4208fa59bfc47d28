"""A fake WeChat API server on loopback, and a client that plays one WeChat user.

FakeWeChatApi answers the calls bot/wechat/api.py makes (token, custom and template send,
media/get, menu/create) and records them; WeChatUser posts signed (and, in safe mode,
encrypted) XML to a real webhook, as WeChat's servers do, and reads the passive reply.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Call:
    path: str  # e.g. "cgi-bin/message/custom/send"
    params: dict[str, Any]  # the query (access_token removed) and the JSON body, merged
    at: float = field(default_factory=time.monotonic)


class FakeWeChatApi:
    def __init__(self, *, app_id: str = "wx0123456789abcdef", app_secret: str = "fake-secret",
                 host: str = "127.0.0.1") -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.host = host
        self.port = 0
        self.calls: list[Call] = []
        self.tokens_issued = 0
        self.token_lifetime = 7200  # seconds, settable
        self.menu: dict[str, Any] | None = None

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    async def start(self) -> FakeWeChatApi:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    def mark(self) -> int:
        """Index to pass as `since` to wait only for calls made from now on."""
        return len(self.calls)

    async def wait_for(self, path: str, predicate: Callable[[Call], bool] = lambda _c: True,
                       *, since: int = 0, timeout: float = 10.0) -> Call:
        raise NotImplementedError

    def add_media(self, media_id: str, data: bytes, content_type: str) -> None:
        raise NotImplementedError

    def fail_next(self, path: str, errcode: int, errmsg: str = "injected") -> None:
        """The next call of `path` answers with this errcode."""
        raise NotImplementedError

    def invalidate_tokens(self) -> None:
        """Every token issued so far stops working (errcode 40001)."""
        raise NotImplementedError


class WeChatUser:
    def __init__(self, webhook_url: str, *, token: str, app_id: str, aes_key: str | None,
                 mode: str, openid: str, account_id: str) -> None:
        self.webhook_url = webhook_url
        self.token = token
        self.app_id = app_id
        self.aes_key = aes_key
        self.mode = mode
        self.openid = openid
        self.account_id = account_id

    async def text(self, content: str) -> str | None:
        raise NotImplementedError

    async def click(self, key: str) -> str | None:
        raise NotImplementedError

    async def subscribe(self) -> str | None:
        raise NotImplementedError

    async def unsubscribe(self) -> str | None:
        raise NotImplementedError

    async def image(self, media_id: str) -> str | None:
        raise NotImplementedError

    async def voice(self) -> str | None:
        raise NotImplementedError

    async def raw(self, body: bytes, params: dict[str, str]) -> httpx.Response:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError
