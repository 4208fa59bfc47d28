"""The WeChat official-account API (服务号), over httpx.AsyncClient.

One access token per app id lives in the `wechat_tokens` table (migration 0009), shared by
every worker: it is refreshed when less than five minutes remain, by one worker at a time
(the row is locked while fetching), because WeChat allows 2,000 token fetches a day and each
fetch invalidates the previous token. A call answered with an invalid or expired token
(40001/40014/42001) refreshes once and retries once; any other errcode raises WeChatError.

Neither the secret nor the token is ever logged: both travel in URLs, so log lines here name
the API path only (and bot/app.py sets the httpx logger to WARNING).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from storage.db import Database

if TYPE_CHECKING:
    from cebot.settings import Settings


class WeChatError(Exception):
    """WeChat answered a call with errcode != 0."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatApi:
    def __init__(
        self,
        *,
        base_url: str,
        app_id: str,
        app_secret: str,
        db: Database,
        clock: Callable[[], datetime],
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._secret = app_secret
        self.db = db
        self.clock = clock
        self._own_http = http is None
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0))

    @classmethod
    def from_settings(
        cls, settings: Settings, db: Database, clock: Callable[[], datetime]
    ) -> WeChatApi | None:
        """The client for the configured account; None when WECHAT_APP_ID is unset."""
        raise NotImplementedError

    async def access_token(self, *, refresh: bool = False) -> str:
        """The shared token; fetched when missing, within 5 minutes of expiry, or `refresh`."""
        raise NotImplementedError

    async def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message (message/custom/send)."""
        raise NotImplementedError

    async def send_template(
        self, openid: str, template_id: str, data: dict[str, str], url: str | None = None
    ) -> None:
        """A template message (message/template/send); `data` maps field names to values."""
        raise NotImplementedError

    async def get_media(self, media_id: str) -> tuple[bytes, str | None]:
        """A temporary media file (media/get): its bytes and content type."""
        raise NotImplementedError

    async def create_menu(self, menu: dict[str, Any]) -> None:
        """Replace the account's custom menu (menu/create)."""
        raise NotImplementedError

    async def aclose(self) -> None:
        if self._own_http:
            await self.http.aclose()
