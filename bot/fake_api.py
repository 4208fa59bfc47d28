"""A fake Telegram Bot API server on loopback, for development, tests and benchmarks.

It answers the methods the bot calls, feeds queued updates to getUpdates (long polling) or
posts them to the webhook set with setWebhook, and records every call. It runs uvicorn in a
thread of its own, so a test's event loop stays free for the application under test.

    api = FakeBotApi().start()
    settings = Settings(TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_BASE_URL=api.base_url, ...)
    api.send_text(42, "/start")
    call = await api.wait_for("sendMessage", lambda c: "身份证" in c.params["text"])

It also runs on its own (`python -m bot.fake_api --port 8081`), for trying the Telegram
adapter without Telegram or for benchmarks in a separate process; then POST updates to
/_fake/updates (one update or a list) and read the recorded calls from
/_fake/calls?since=N&method=sendMessage.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BOT_ID = 7_000_000_001
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "cebot",
    "username": "cebot_fake_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "max_connections"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


def _decode(key: str, value: str) -> Any:
    """PTB sends form fields whose non-string values are JSON-encoded."""
    if key in _INT_FIELDS and value.lstrip("-").isdigit():
        return int(value)
    if value[:1] in "[{" or value in ("true", "false"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        if part.get_filename():
            files[str(name)] = payload
            fields[str(name)] = {"filename": part.get_filename(), "size": len(payload)}
        else:
            fields[str(name)] = _decode(str(name), payload.decode())
    return fields, files


class FakeBotApi:
    def __init__(self, token: str = "123456:TEST-token", host: str = "127.0.0.1") -> None:
        self.token = token
        self.host = host
        self.port = 0
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] | None = None
        self.files: dict[str, bytes] = {}  # file_id -> content (sent documents and test files)
        self._updates: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1000)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._delivery: httpx.AsyncClient | None = None
        self._delivery_lock: asyncio.Lock | None = None
        self.webhook_responses: list[int] = []

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def start(self, port: int = 0) -> FakeBotApi:
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
                Route("/_fake/updates", self._control_updates, methods=["POST"]),
                Route("/_fake/calls", self._control_calls, methods=["GET"]),
            ]
        )
        # Telegram keeps client connections open for long; uvicorn's default of 5 s would close
        # idle kept-alive connections just as the bot reuses one (httpx.ReadError in tests)
        config = uvicorn.Config(
            app,
            host=self.host,
            port=port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_keep_alive=300,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="fake-bot-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake Bot API server did not start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def _run(self) -> None:
        assert self._server is not None
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._new_update = asyncio.Event()
        self._delivery_lock = asyncio.Lock()
        self._delivery = httpx.AsyncClient(timeout=30)
        try:
            loop.run_until_complete(self._server.serve())
            loop.run_until_complete(self._delivery.aclose())
        finally:
            loop.close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ feeding updates

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates, or post it to the webhook when one is set."""
        update.setdefault("update_id", next(self._update_ids))
        if self.webhook and self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._deliver(update), self._loop)
            return update
        with self._lock:
            self._updates.append(update)
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)
        return update

    async def _deliver(self, update: dict[str, Any]) -> None:
        assert self._delivery is not None and self._delivery_lock is not None
        hook = self.webhook or {}
        headers = {}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        async with self._delivery_lock:  # in order, one at a time, like one Telegram chat
            try:
                response = await self._delivery.post(hook["url"], json=update, headers=headers)
                self.webhook_responses.append(response.status_code)
            except httpx.HTTPError:
                self.webhook_responses.append(0)

    @staticmethod
    def user(user_id: int, language_code: str = "zh-hans") -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"user{user_id}",
            "language_code": language_code,
        }

    def _chat(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "type": "private", "first_name": f"user{user_id}"}

    def text_update(self, user_id: int, text: str, language_code: str = "zh-hans") -> dict:
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": self._chat(user_id),
            "from": self.user(user_id, language_code),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": next(self._update_ids), "message": message}

    def send_text(self, user_id: int, text: str, language_code: str = "zh-hans") -> dict:
        return self.push_update(self.text_update(user_id, text, language_code))

    def file_update(
        self,
        user_id: int,
        content: bytes,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
        as_photo: bool = False,
    ) -> dict[str, Any]:
        """A user sending a photo or a document; the bot downloads `content` by getFile."""
        file_id = f"up{next(self._ids)}"
        self.files[file_id] = content
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": self._chat(user_id),
            "from": self.user(user_id),
        }
        if as_photo:
            message["photo"] = [
                {
                    "file_id": file_id,
                    "file_unique_id": file_id,
                    "width": 1000,
                    "height": 700,
                    "file_size": len(content),
                }
            ]
        else:
            message["document"] = {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": filename or "evidence.pdf",
                "mime_type": mime_type or "application/pdf",
                "file_size": len(content),
            }
        return {"update_id": next(self._update_ids), "message": message}

    def send_file(self, user_id: int, content: bytes, **kwargs: Any) -> dict[str, Any]:
        return self.push_update(self.file_update(user_id, content, **kwargs))

    def callback_update(
        self, user_id: int, data: str, message: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        message = message or {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": self._chat(user_id),
            "from": BOT_USER,
            "text": "…",
        }
        query = {
            "id": str(next(self._ids)),
            "from": self.user(user_id),
            "chat_instance": f"ci{user_id}",
            "data": data,
            "message": message,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    @staticmethod
    def _button_in(call: Call, label: str) -> dict[str, Any] | None:
        markup = call.params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []) if isinstance(markup, dict) else []:
            for button in row:
                if label in button["text"]:
                    return dict(button)
        return None

    def press(self, user_id: int, label: str) -> dict[str, Any]:
        """Press the button whose label contains `label` on the newest bot message that has
        one, the way a user would."""
        for call in reversed(self.sent_to(user_id)):
            button = self._button_in(call, label)
            if button is not None:
                message = dict(call.params.get("_result") or {})
                return self.push_update(
                    self.callback_update(user_id, button["callback_data"], message)
                )
        raise LookupError(f"no button {label!r} sent to {user_id}")

    async def wait_for_button(
        self, user_id: int, label: str, *, since: int = 0, timeout: float = 10.0
    ) -> Call:
        """Wait until a message to `user_id` shows a button labelled `label`."""
        return await self.wait_for(
            "sendMessage",
            lambda c: c.params.get("chat_id") == user_id and self._button_in(c, label) is not None,
            since=since,
            timeout=timeout,
        )

    # ------------------------------------------------------------------ looking at calls

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method in ("sendMessage", "sendDocument")
                and c.params.get("chat_id") == chat_id
            ]

    def texts_to(self, chat_id: int) -> list[str]:
        return [str(c.params.get("text", "")) for c in self.sent_to(chat_id)]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] = lambda _c: True,
        *,
        timeout: float = 10.0,
        since: int = 0,
    ) -> Call:
        """The first call of `method` (index >= since in self.calls) matching predicate."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [c for c in self.calls[since:] if c.method == method and predicate(c)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} call matched within {timeout}s")
            await asyncio.sleep(0.005)

    def mark(self) -> int:
        """Index to pass as `since` to wait only for calls made from now on."""
        with self._lock:
            return len(self.calls)

    # ------------------------------------------------------------------ the API

    async def _params(self, request: Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            return _parse_multipart(body, content_type)
        if content_type.startswith("application/json"):
            return (json.loads(body) if body else {}), {}
        pairs = parse_qsl(body.decode(), keep_blank_values=True)
        pairs += list(request.query_params.items())
        return {k: _decode(k, v) for k, v in pairs}, {}

    async def _api(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        method = request.path_params["method"]
        params, files = await self._params(request)
        call = Call(method, params)
        with self._lock:
            self.calls.append(call)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return JSONResponse(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                status_code=404,
            )
        result = await handler(params, files)
        call.params["_result"] = result
        return JSONResponse({"ok": True, "result": result})

    async def _control_updates(self, request: Request) -> Response:
        body = json.loads(await request.body())
        updates = body if isinstance(body, list) else [body]
        return JSONResponse([self.push_update(u)["update_id"] for u in updates])

    async def _control_calls(self, request: Request) -> Response:
        since = int(request.query_params.get("since", 0))
        method = request.query_params.get("method")
        with self._lock:
            calls = [
                {"method": c.method, "params": c.params, "at": c.at}
                for c in self.calls[since:]
                if method is None or c.method == method
            ]
            total = len(self.calls)
        return JSONResponse({"calls": calls, "total": total})

    async def _download(self, request: Request) -> Response:
        path = request.path_params["path"]
        content = self.files.get(path.rsplit("/", 1)[-1])
        if content is None:
            return Response(status_code=404)
        return Response(content, media_type="application/octet-stream")

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            **extra,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _m_getMe(self, params: dict, files: dict) -> Any:
        return BOT_USER

    async def _m_getUpdates(self, params: dict, files: dict) -> Any:
        assert self._new_update is not None
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 30.0)
        deadline = time.monotonic() + timeout
        while True:
            self._new_update.clear()
            with self._lock:
                # Telegram forgets updates below the offset once they are confirmed
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = list(self._updates[: int(params.get("limit") or 100)])
            left = deadline - time.monotonic()
            if pending or left <= 0 or self._server is None or self._server.should_exit:
                return pending
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout=min(left, 0.5))

    async def _m_sendMessage(self, params: dict, files: dict) -> Any:
        return self._message(params, text=params.get("text", ""))

    async def _m_editMessageText(self, params: dict, files: dict) -> Any:
        return self._message(params, text=params.get("text", ""))

    async def _m_editMessageReplyMarkup(self, params: dict, files: dict) -> Any:
        return self._message(params, text="…")

    async def _m_sendDocument(self, params: dict, files: dict) -> Any:
        file_id = f"doc{next(self._ids)}"
        content = next(iter(files.values()), b"")
        self.files[file_id] = content
        info = params.get("document") if isinstance(params.get("document"), dict) else {}
        document = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": (info or {}).get("filename", "document"),
            "file_size": len(content),
        }
        return self._message(params, document=document, caption=params.get("caption"))

    async def _m_getFile(self, params: dict, files: dict) -> Any:
        file_id = str(params.get("file_id"))
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": len(self.files.get(file_id, b"")),
            "file_path": f"documents/{file_id}",
        }

    async def _m_setWebhook(self, params: dict, files: dict) -> Any:
        self.webhook = {"url": params.get("url"), "secret_token": params.get("secret_token")}
        return True

    async def _m_deleteWebhook(self, params: dict, files: dict) -> Any:
        self.webhook = None
        return True

    async def _m_getWebhookInfo(self, params: dict, files: dict) -> Any:
        return {
            "url": (self.webhook or {}).get("url") or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _true(self, params: dict, files: dict) -> Any:
        return True

    _m_deleteMessage = _true
    _m_answerCallbackQuery = _true
    _m_sendChatAction = _true
    _m_setMyCommands = _true
    _m_deleteMyCommands = _true
    _m_setMyDescription = _true
    _m_setMyShortDescription = _true
    _m_close = _true
    _m_logOut = _true


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="A fake Telegram Bot API server on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-token")
    args = parser.parse_args()
    api = FakeBotApi(token=args.token, host=args.host).start(port=args.port)
    # the first line tells a parent process where to find the server
    print(f"FAKE_API_PORT={api.port}", flush=True)
    print(f"TELEGRAM_BASE_URL={api.base_url}", flush=True)
    print(f"TELEGRAM_BASE_FILE_URL={api.base_file_url}", flush=True)
    print(f"TELEGRAM_BOT_TOKEN={api.token}", flush=True)
    try:
        while api._thread is not None and api._thread.is_alive():
            api._thread.join(timeout=1)
    except KeyboardInterrupt:
        api.stop()


if __name__ == "__main__":
    main()
