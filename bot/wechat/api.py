"""The WeChat official-account API (服务号), over httpx.AsyncClient.

One access token per app id lives in the `wechat_tokens` table (migration 0009), shared by
every worker. It is fetched when missing or when less than five minutes remain, by one worker
at a time: WeChat allows 2,000 token fetches a day and each fetch retires the previous token
within five minutes, so two workers fetching at once would waste one and break the other's.
The worker that fetches takes a lease on the row (refreshed_by, refreshed_at) in a short
transaction that holds the row's lock (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the write
lock, taken by the first statement), asks WeChat outside any transaction, and writes the token
back; the others wait for it. A call answered with an invalid or expired token
(40001/40014/42001) refreshes once and retries once; any other errcode raises WeChatError.

Neither the secret nor the token is ever logged: both travel in URLs, so log lines and error
messages here name the API path only (and bot/app.py sets the httpx logger to WARNING).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.wechat_models import WeChatToken

if TYPE_CHECKING:
    from cebot.settings import Settings

log = logging.getLogger(__name__)

_CREDENTIALS = re.compile(r"\b(access_token|secret)=[^&\s\"']+")


class RedactCredentials(logging.Filter):
    """httpx logs every request's URL at INFO, and WeChat's URLs carry the access token (and,
    fetching one, the secret): whatever level the httpx logger is set to, they are blanked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _CREDENTIALS.sub(r"\1=***", str(a)) if isinstance(a, httpx.URL | str) else a
                for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _CREDENTIALS.sub(r"\1=***", record.msg)
        return True


def _guard_httpx_logger() -> None:
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, RedactCredentials) for f in httpx_log.filters):
        httpx_log.addFilter(RedactCredentials())


_guard_httpx_logger()

TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid credential, invalid token, expired
REFRESH_AHEAD = timedelta(minutes=5)  # fetch a new token when less than this remains
LEASE = timedelta(seconds=30)  # a worker's claim to fetch; a dead worker's lapses after this
FETCH_TIMEOUT = 20.0  # seconds for one token request, end to end (within LEASE)
WAIT_STEP = 0.1  # seconds between looks while another worker fetches
MAX_MEDIA_BYTES = 20 * 1024 * 1024  # WeChat's own limits: images 10 MB, voice 2 MB, video 10 MB
TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class WeChatError(Exception):
    """WeChat answered a call with errcode != 0 (or not as the API says it answers)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


def _no_token(why: str) -> httpx.ConnectError:
    """No token could be had (WeChat unreachable, too slow, or busy: errcode -1), so the call
    it was wanted for was never made and may safely be tried again: said as a ConnectError,
    which whoever sorts transport failures into "not sent" and "maybe sent" sorts right."""
    return httpx.ConnectError(f"no WeChat access token ({why})")


def _worker_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _json_body(payload: dict[str, Any]) -> bytes:
    # WeChat shows \u escapes literally in some places (menus): send UTF-8 as it is
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


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
        self.worker = _worker_id()
        self._own_http = http is None
        self.http = http or httpx.AsyncClient(timeout=TIMEOUT)
        self._cached: tuple[str, datetime] | None = None  # this worker's copy of the row
        self._lock = asyncio.Lock()  # this worker's coroutines ask the database one at a time

    def __repr__(self) -> str:  # never the secret
        return f"WeChatApi(app_id={self.app_id!r}, base_url={self.base_url!r})"

    @classmethod
    def from_settings(
        cls, settings: Settings, db: Database, clock: Callable[[], datetime]
    ) -> WeChatApi | None:
        """The client for the configured account; None when WECHAT_APP_ID is unset."""
        if not settings.wechat_app_id:
            return None
        secret = settings.wechat_app_secret
        if secret is None or not secret.get_secret_value():
            raise ValueError("WECHAT_APP_SECRET is not set (cebot doctor checks the settings)")
        return cls(
            base_url=settings.wechat_api_base_url,
            app_id=settings.wechat_app_id,
            app_secret=secret.get_secret_value(),
            db=db,
            clock=clock,
        )

    # ------------------------------------------------------------------ the token

    async def access_token(self, *, refresh: bool = False) -> str:
        """The shared token; fetched when missing, within 5 minutes of expiry, or, with
        `refresh`, because the current one was refused (unless another worker has already
        replaced it)."""
        if refresh:
            rejected = self._cached[0] if self._cached else await self._stored_token()
            return await self._token(rejected=rejected)
        return await self._token(rejected=None)

    def _usable(self, token: str | None, expires_at: datetime | None, rejected: str | None) -> bool:
        return (
            token is not None
            and token != rejected
            and expires_at is not None
            and expires_at - self.clock() > REFRESH_AHEAD
        )

    async def _stored_token(self) -> str | None:
        async with self.db.transaction() as session:
            return await session.scalar(
                select(WeChatToken.token).where(WeChatToken.app_id == self.app_id)
            )

    async def _token(self, *, rejected: str | None) -> str:
        async with self._lock:
            if self._cached and self._usable(*self._cached, rejected):
                return self._cached[0]
            # a lease is judged by the injected clock; a clock that stands still (tests) must
            # not make a dead worker's lease last for ever, so real time bounds the wait too
            deadline = time.monotonic() + LEASE.total_seconds()
            while True:
                claim = await self._claim(rejected, take_over=time.monotonic() > deadline)
                if isinstance(claim, str):
                    return claim
                if claim:
                    return await self._fetch()
                await asyncio.sleep(WAIT_STEP)  # another worker is fetching: wait for its token

    async def _lock_row(self, session: AsyncSession) -> WeChatToken:
        """The row, locked for this transaction. The first statement is a write, so that on
        SQLite it takes the write lock (and every later read sees the latest commit)."""
        insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
        await session.execute(
            insert(WeChatToken).values(app_id=self.app_id).on_conflict_do_nothing()
        )
        row = await session.scalar(
            select(WeChatToken)
            .where(WeChatToken.app_id == self.app_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert row is not None  # inserted above if it was missing
        return row

    async def _claim(self, rejected: str | None, *, take_over: bool = False) -> str | bool:
        """The stored token when it is usable; True when this worker now holds the lease to
        fetch one; False when another worker holds it (unless `take_over`)."""
        now = self.clock()
        async with self.db.transaction() as session:
            row = await self._lock_row(session)
            if self._usable(row.token, row.expires_at, rejected):
                assert row.token is not None and row.expires_at is not None
                self._cached = (row.token, row.expires_at)
                return row.token
            if (
                not take_over
                and row.refreshed_by not in (None, self.worker)
                and row.refreshed_at is not None
                and now - row.refreshed_at < LEASE
            ):
                # another worker is fetching: the old token serves until it really expires
                if row.token and row.token != rejected and row.expires_at and row.expires_at > now:
                    return row.token
                return False
            row.refreshed_by = self.worker
            row.refreshed_at = now
        return True

    async def _fetch(self) -> str:
        """Ask WeChat for a token (this worker holds the lease) and store it."""
        try:
            data = await asyncio.wait_for(self._request_token(), FETCH_TIMEOUT)
        except (httpx.HTTPError, TimeoutError) as exc:
            await self._release()
            raise _no_token(type(exc).__name__) from None
        except WeChatError as exc:
            await self._release()
            if exc.errcode == -1:  # "system busy": try again later
                raise _no_token(exc.errmsg) from None
            raise  # a configuration problem (app id, secret, IP whitelist): said as it is
        except BaseException:
            await self._release()
            raise
        token = data.get("access_token")
        expires_in = data.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int):
            await self._release()
            raise WeChatError(-1, "token response without access_token/expires_in")
        expires_at = self.clock() + timedelta(seconds=expires_in)
        async with self.db.transaction() as session:
            await session.execute(
                update(WeChatToken)
                .where(WeChatToken.app_id == self.app_id)
                .values(
                    token=token, expires_at=expires_at, refreshed_by=None, refreshed_at=self.clock()
                )
            )
        self._cached = (token, expires_at)
        log.info("wechat token fetched for %s, valid %d s", self.app_id, expires_in)
        return token

    async def _release(self) -> None:
        """Give the lease up after a failed fetch, so that the next caller tries at once."""
        async with self.db.transaction() as session:
            await session.execute(
                update(WeChatToken)
                .where(WeChatToken.app_id == self.app_id, WeChatToken.refreshed_by == self.worker)
                .values(refreshed_by=None)
            )

    async def _request_token(self) -> dict[str, Any]:
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
        response = await self.http.get(f"{self.base_url}/cgi-bin/token", params=params)
        return self._checked("token", response)

    # ------------------------------------------------------------------ calls

    def _checked(self, path: str, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise WeChatError(-1, f"HTTP {response.status_code} from {path}")
        try:
            data = response.json()
        except ValueError:
            raise WeChatError(-1, f"{path} answered with something other than JSON") from None
        if not isinstance(data, dict):
            raise WeChatError(-1, f"{path} answered with something other than an object")
        errcode = data.get("errcode", 0)
        if errcode:
            log.info("wechat %s: errcode %s", path, errcode)
            raise WeChatError(int(errcode), str(data.get("errmsg", "")))
        return data

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        limit: int | None = None,
    ) -> httpx.Response:
        """One call, retried once with a new token when the token is refused. With `limit`,
        a body larger than that many bytes is refused as it arrives (WeChatError 45001)."""
        token = await self.access_token()
        for attempt in (1, 2):
            request = self.http.build_request(
                method,
                f"{self.base_url}/cgi-bin/{path}",
                params={**(params or {}), "access_token": token},
                content=_json_body(body) if body is not None else None,
                headers={"Content-Type": "application/json; charset=utf-8"} if body else None,
            )
            response = await self.http.send(request, stream=limit is not None)
            if limit is not None:
                response = await _bounded(response, limit)
            errcode = _errcode(response)
            if errcode in TOKEN_ERRORS and attempt == 1:
                log.info("wechat %s: token refused (%s), refreshing once", path, errcode)
                token = await self._token(rejected=token)
                continue
            return response
        raise AssertionError("unreachable")  # the loop returns on its second pass

    async def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._checked(path, await self._send("POST", path, body=body))

    async def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message (message/custom/send)."""
        await self._call(
            "message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": text}},
        )

    async def send_template(
        self, openid: str, template_id: str, data: dict[str, str], url: str | None = None
    ) -> None:
        """A template message (message/template/send); `data` maps field names to values."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {name: {"value": value} for name, value in data.items()},
        }
        if url:
            body["url"] = url
        await self._call("message/template/send", body)

    async def get_media(self, media_id: str) -> tuple[bytes, str | None]:
        """A temporary media file (media/get): its bytes and content type. Refuses files
        larger than MAX_MEDIA_BYTES (WeChatError 45001, WeChat's "media size out of limit")."""
        response = await self._send(
            "GET", "media/get", params={"media_id": media_id}, limit=MAX_MEDIA_BYTES
        )
        content_type = response.headers.get("content-type")
        if content_type is None or content_type.startswith(("application/json", "text/plain")):
            self._checked("media/get", response)  # an error comes as JSON
        if response.status_code != 200:
            raise WeChatError(-1, f"HTTP {response.status_code} from media/get")
        return response.content, content_type.split(";")[0].strip() if content_type else None

    async def create_menu(self, menu: dict[str, Any]) -> None:
        """Replace the account's custom menu (menu/create)."""
        await self._call("menu/create", menu)

    async def callback_ips(self) -> list[str]:
        """The addresses WeChat posts to the webhook from (getcallbackip): a cheap call that
        proves the token works, for `cebot doctor`."""
        response = await self._send("GET", "getcallbackip")
        ips = self._checked("getcallbackip", response).get("ip_list")
        return [str(ip) for ip in ips] if isinstance(ips, list) else []

    async def aclose(self) -> None:
        if self._own_http:
            await self.http.aclose()


async def _bounded(response: httpx.Response, limit: int) -> httpx.Response:
    """The streamed response read into memory, at most `limit` bytes of it."""
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise WeChatError(45001, f"media larger than {limit} bytes")
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise WeChatError(45001, f"media larger than {limit} bytes")
            chunks.append(chunk)
    finally:
        await response.aclose()
    # the body is decoded already: the new response must not decode it again
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=b"".join(chunks), request=response.request
    )


def _errcode(response: httpx.Response) -> int:
    """The errcode of a JSON answer, 0 for anything else (media bytes)."""
    if not response.headers.get("content-type", "").startswith(("application/json", "text/")):
        return 0
    try:
        data = response.json()
    except ValueError:
        return 0
    return int(data.get("errcode", 0) or 0) if isinstance(data, dict) else 0
