"""The webhook front: a Starlette app that checks Telegram's secret-token header, keeps the
update in the database inbox (services/inbox.py) and answers 200; this worker then handles it.

An update answered 200 survives a crash: a restarted worker (or another one) takes over the
rows of a worker that is gone. A redelivered update_id is dropped, before and after it is
handled. Per-user order holds as before: updates go through the application's update
processor (bot/handlers/ordering.py)."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.ext import Application

from bot.handlers.commands import post_init
from bot.handlers.ordering import ordering_key
from bot.handlers.telegram import RECEIPT_KEY
from bot.wechat.webhook import WeChatWebhook
from services import inbox
from services.context import AppContext
from services.i18n import normalize_language, translator
from services.lease import Lease
from services.metrics import WEBHOOK_REQUESTS
from services.process_pools import stop_process_pools
from web.download import download_routes
from web.ops import ops_routes
from web.privacy import privacy_route
from web.upload import upload_routes
from web.verify import verification_routes

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# my_chat_member: a block is known without a failed send; edited_message: answered, not read
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.EDITED_MESSAGE,
]
# how often a worker looks for rows of workers that are gone (and its own left over)
RECOVER_EVERY = 5.0
# a graceful stop waits this long for updates in hand; the rest stay in the inbox
DRAIN_SECONDS = 20.0


def web_routes(ctx: AppContext) -> list[BaseRoute]:
    """The pages every web process serves, the one-process `cebot run` included."""
    return [
        *ops_routes(ctx),  # /healthz, /readyz, /metrics
        # the certificates' QR codes point here
        *verification_routes(ctx),
        *download_routes(ctx),  # certificates for channels that cannot send files (WeChat)
        *upload_routes(ctx),  # evidence for channels that cannot take PDFs in chat (WeChat)
        privacy_route(),
    ]


class InboxWorker:
    """Hands the inbox's updates to the PTB application and removes them once answered."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        ctx: AppContext,
        *,
        recover_every: float = RECOVER_EVERY,
    ) -> None:
        self.application = application
        self.ctx = ctx
        self.name = uuid.uuid4().hex
        self.recover_every = recover_every
        self.busy: set[int] = set()  # update ids being handled here now
        self._tasks: set[asyncio.Task[None]] = set()
        self._lease: Lease | None = None
        self._stop = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    async def accept(self, update: Update, data: dict[str, Any]) -> bool:
        """Keep the update, then handle it; False for a redelivery."""
        update_id = update.update_id
        if not await inbox.accept(self.ctx, update_id, ordering_key(update), data, self.name):
            return False
        self._spawn(update_id, update)
        return True

    def _spawn(self, update_id: int, update: Update) -> None:
        if update_id in self.busy:
            return
        self.busy.add(update_id)
        task = asyncio.create_task(self._handle(update_id, update), name=f"update-{update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, update_id: int, update: Update) -> None:
        app = self.application
        try:
            # the processor keeps one user's updates in order, at most N at once
            await app.update_processor.process_update(update, app.process_update(update))
            await inbox.finish(self.ctx, update_id)
        except Exception as exc:  # the row stays: this worker's next round takes it again
            log.warning(
                "webhook inbox: update %d left for later (%s)", update_id, type(exc).__name__
            )
        finally:
            self.busy.discard(update_id)

    async def start(self) -> None:
        self.application.bot_data[RECEIPT_KEY] = lambda update_id: inbox.receipt(
            self.ctx, update_id
        )
        self._loop = asyncio.create_task(self._recover_loop(), name="webhook-inbox")

    async def recover(self) -> int:
        """One round: hold this worker's lease, take over what is left. Returns how many
        updates were taken."""
        if self._lease is None or not await self._lease.alive():
            if self._lease is not None:
                await self._lease.release()
            self._lease = await inbox.hold_worker_lease(self.ctx, self.name)
        found = await inbox.take_over(self.ctx, self.name, self.busy)
        for update_id, data in found.pending:
            self._spawn(update_id, Update.de_json(data, self.application.bot))
        for data in found.unknown_updates:
            task = asyncio.create_task(self._apologise(Update.de_json(data, self.application.bot)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(found.pending)

    async def _apologise(self, update: Update) -> None:
        """Its turn was done but its answer may be lost: no silence, and no second answer
        (the turn is not run again); what they send next leads on from where they are."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or chat.type != "private":
            return
        t = translator(normalize_language(user.language_code if user else None))
        try:
            await self.application.bot.send_message(chat.id, t("err-restarted"))
        except Exception as exc:  # best effort, once
            log.warning("webhook inbox: could not tell a user (%s)", type(exc).__name__)

    async def _recover_loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self.recover()
            except Exception as exc:  # the database is away: the next round tries again
                log.warning("webhook inbox: recovery round failed (%s)", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.recover_every)

    async def stop(self, drain: float = DRAIN_SECONDS) -> None:
        self._stop.set()
        if self._loop is not None:
            await self._loop
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=drain)
            if pending:
                log.warning("webhook inbox: %d updates left for the next worker", len(pending))
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
        if self._lease is not None:
            await self._lease.release()


def create_webhook_app(
    application: Application,  # type: ignore[type-arg]
    ctx: AppContext,
    *,
    secret: str,
    webhook_url: str | None = None,
    recover_every: float = RECOVER_EVERY,
    wechat: WeChatWebhook | None = None,
) -> Starlette:
    """The app starts and stops the PTB application in its lifespan; with `webhook_url` it
    also registers the webhook (every worker may do so: setWebhook is idempotent). With
    `wechat` the same worker serves WeChat at /wechat too."""
    if not secret:
        raise ValueError("a webhook needs a secret token (CEBOT_WEBHOOK_SECRET)")
    worker = InboxWorker(application, ctx, recover_every=recover_every)

    async def telegram(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            WEBHOOK_REQUESTS.labels("forbidden").inc()
            return Response(status_code=403)
        try:
            data = json.loads(await request.body())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, application.bot)
        except (ValueError, KeyError, TypeError, AttributeError):
            WEBHOOK_REQUESTS.labels("bad_request").inc()
            return Response(status_code=400)
        try:
            kept = await worker.accept(update, data)
        except Exception as exc:  # not kept: no 200, so Telegram delivers it again later
            log.warning("webhook: update not kept (%s)", type(exc).__name__)
            WEBHOOK_REQUESTS.labels("unavailable").inc()
            return Response(status_code=503)
        # Telegram redelivers when an answer is slow or lost; a second copy is dropped here
        WEBHOOK_REQUESTS.labels("queued" if kept else "duplicate").inc()
        return Response()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            async with application:
                # the application's own hook: the commands, and an embedded scheduler if any
                await (application.post_init or post_init)(application)
                if webhook_url:
                    await application.bot.set_webhook(
                        url=webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
                    )
                await application.start()
                await worker.start()
                try:
                    yield
                finally:
                    await worker.stop()
                    if wechat is not None:  # deferred WeChat turns queue their replies
                        await wechat.stop()
                    await application.stop()
                    if application.post_stop is not None:
                        await application.post_stop(application)
        finally:
            await stop_process_pools()

    app = Starlette(
        routes=[
            Route(WEBHOOK_PATH, telegram, methods=["POST"]),
            *(wechat.routes() if wechat is not None else []),
            *web_routes(ctx),
        ],
        lifespan=lifespan,
    )
    app.state.inbox_worker = worker
    return app
