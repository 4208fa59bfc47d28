"""The one-process setup: the bot and its web pages (certificate verification, the privacy
notice, /healthz, /metrics) in one event loop, on CEBOT_LISTEN_HOST:CEBOT_LISTEN_PORT.

`cebot run` (polling) serves the pages with uvicorn while PTB polls; `cebot chat` serves them
in the background while the console runs, so that the links it shows open. uvicorn gets
`log_config=None`: the process's logging (cebot/logging_setup.py, masking) applies to it."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import TextIO

import uvicorn
from starlette.applications import Starlette
from telegram.ext import Application

from bot.console import run_console
from bot.handlers.commands import post_init
from bot.webhook import ALLOWED_UPDATES, web_routes
from bot.wechat.webhook import WeChatWebhook
from services.context import AppContext
from services.i18n import Translator, translator
from services.process_pools import stop_process_pools

log = logging.getLogger(__name__)


class PortUnavailable(Exception):
    def __init__(self, address: str, reason: str, in_use: bool = False) -> None:
        super().__init__(f"{address}: {reason}")
        self.address, self.reason, self.in_use = address, reason, in_use

    def reason_in(self, t: Translator) -> str:
        """The usual case in the user's language, the system's words otherwise."""
        return t("cli-port-in-use") if self.in_use else self.reason


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound now, so that a busy port is a clear error before the bot
    starts (PortUnavailable)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise PortUnavailable(
            f"{host}:{port}", exc.strerror or type(exc).__name__, exc.errno == errno.EADDRINUSE
        ) from exc
    sock.setblocking(False)
    return sock


def local_address(sock: socket.socket) -> str:
    """http://host:port of a bound socket, with a host a browser on this machine can open
    (named as the default CEBOT_PUBLIC_URL names it)."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::", "", "127.0.0.1"):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def server(app: Starlette, *, lifespan: bool = True) -> uvicorn.Server:
    config = uvicorn.Config(
        app, log_config=None, lifespan="on" if lifespan else "off", timeout_graceful_shutdown=10
    )
    return uvicorn.Server(config)


def polling_app(
    application: Application,  # type: ignore[type-arg]
    ctx: AppContext,
    wechat: WeChatWebhook | None = None,
) -> Starlette:
    """The web pages, with the PTB application polling in the app's lifespan: uvicorn's
    signal handling stops both, then the process pools. With `wechat`, /wechat as well."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            async with application:
                # the application's own hook: the commands, and an embedded scheduler if any
                await (application.post_init or post_init)(application)
                await application.start()
                assert application.updater is not None
                # start_polling deletes a webhook left from a webhook deployment first
                await application.updater.start_polling(
                    allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False
                )
                try:
                    yield
                finally:
                    await application.updater.stop()
                    await application.stop()
                    if application.post_stop is not None:
                        await application.post_stop(application)
                    if wechat is not None:  # deferred WeChat turns queue their replies
                        await wechat.stop()
        finally:
            await stop_process_pools()

    routes = [*(wechat.routes() if wechat is not None else []), *web_routes(ctx)]
    return Starlette(routes=routes, lifespan=lifespan)


class _EmbeddedServer(uvicorn.Server):
    """A server in the background of another program (the console): Ctrl+C and SIGTERM stay
    that program's."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def serving(app: Starlette, sock: socket.socket) -> AsyncIterator[None]:
    """Serve `app` on `sock` in the background while the block runs (no lifespan)."""
    web = _EmbeddedServer(uvicorn.Config(app, log_config=None, lifespan="off"))
    task = asyncio.create_task(web.serve(sockets=[sock]), name="cebot-web")
    try:
        while not web.started and not task.done():
            await asyncio.sleep(0.01)
        yield
    finally:
        web.should_exit = True
        with contextlib.suppress(Exception):
            await task


async def console_with_pages(
    ctx: AppContext,
    *,
    host: str,
    port: int,
    language: str = "zh",
    user: str = "console",
    input_stream: TextIO = sys.stdin,
    output: TextIO = sys.stdout,
    channel: str = "console",
) -> None:
    """`cebot chat`: the console, with the web pages its links lead to served meanwhile on
    host:port (said once at the start; a busy port is said too, and the chat still runs).
    `channel="wechat"`: answers as the WeChat account shows them."""
    t = translator(language)
    try:
        try:
            sock = bind(host, port)
        except PortUnavailable as exc:
            reason = exc.reason_in(t)
            output.write(t("cli-web-unavailable", address=exc.address, reason=reason) + "\n")
            await run_console(
                ctx,
                language=language,
                input_stream=input_stream,
                output=output,
                user=user,
                channel=channel,
            )
            return
        with contextlib.closing(sock):
            async with serving(Starlette(routes=web_routes(ctx)), sock):
                output.write(t("cli-web-pages", url=local_address(sock)) + "\n")
                await run_console(
                    ctx,
                    language=language,
                    input_stream=input_stream,
                    output=output,
                    user=user,
                    channel=channel,
                )
    finally:
        await stop_process_pools()  # the certificates it rendered
