"""A small fake Telegram Bot API for the sender's tests and benchmark: sendMessage answers
403 for blocked chats, 429 with retry_after on chosen calls, and optional latency; every
accepted message is logged with its arrival time, so tests measure the rate the server saw.

bot/fake_api.py (the bot's e2e fake) always answers ok; this one exists for the error paths.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT = {"id": 1, "is_bot": True, "first_name": "cebot", "username": "cebot_test_bot"}


@dataclass
class Arrival:
    chat_id: int
    text: str
    at: float
    reply_markup: Any = None


@dataclass
class FakeTelegram:
    token: str = "123:FAKE"
    host: str = "127.0.0.1"
    blocked: set[int] = field(default_factory=set)
    # call numbers (1-based, counting every sendMessage) answered 429 with retry_after
    throttle_calls: dict[int, int] = field(default_factory=dict)
    latency: float = 0.0
    accepted: list[Arrival] = field(default_factory=list)
    refused: list[tuple[int, int, float]] = field(default_factory=list)  # (chat, code, at)
    port: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._calls = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    def start(self) -> FakeTelegram:
        app = Starlette(routes=[Route("/bot{token}/{method}", self._api, methods=["POST", "GET"])])
        config = uvicorn.Config(app, host=self.host, port=0, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake Telegram did not start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    async def _api(self, request: Request) -> JSONResponse:
        now = time.monotonic()  # arrival, before any parsing delays it
        method = request.path_params["method"]
        if method == "getMe":
            return JSONResponse({"ok": True, "result": BOT})
        if method != "sendMessage":
            return JSONResponse({"ok": True, "result": True})
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            params: dict[str, Any] = json.loads(body or b"{}")
        else:
            params = dict(parse_qsl(body.decode()))
        chat = int(params["chat_id"])
        with self._lock:
            self._calls += 1
            call = self._calls
            if chat in self.blocked:
                self.refused.append((chat, 403, now))
                return JSONResponse(
                    {
                        "ok": False,
                        "error_code": 403,
                        "description": "Forbidden: bot was blocked by the user",
                    },
                    status_code=403,
                )
            if call in self.throttle_calls:
                retry = self.throttle_calls[call]
                self.refused.append((chat, 429, now))
                return JSONResponse(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {retry}",
                        "parameters": {"retry_after": retry},
                    },
                    status_code=429,
                )
            markup = params.get("reply_markup")
            if isinstance(markup, str):
                markup = json.loads(markup)
            self.accepted.append(Arrival(chat, str(params.get("text", "")), now, markup))
        if self.latency:  # the answer is slow, as Telegram's sometimes is
            await asyncio.sleep(self.latency)
        message = {
            "message_id": call,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "text": params.get("text", ""),
        }
        return JSONResponse({"ok": True, "result": message})

    # ------------------------------------------------------------------ measuring

    def per_chat(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        with self._lock:
            for a in self.accepted:
                counts[a.chat_id] = counts.get(a.chat_id, 0) + 1
        return counts

    def max_in_window(self, window: float = 1.0) -> int:
        """Most requests (accepted or refused) the server saw in any `window` seconds."""
        with self._lock:
            times = sorted([a.at for a in self.accepted] + [r[2] for r in self.refused])
        best, j = 0, 0
        for i, t in enumerate(times):
            while times[j] <= t - window:
                j += 1
            best = max(best, i - j + 1)
        return best

    def tightest(self, n: int) -> float:
        """Shortest time spanned by n + 1 consecutive requests (n intervals)."""
        with self._lock:
            times = sorted([a.at for a in self.accepted] + [r[2] for r in self.refused])
        return min((times[i + n] - times[i] for i in range(len(times) - n)), default=float("inf"))
