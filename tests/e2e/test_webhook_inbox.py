"""The webhook inbox (issue 17 item 10) on both databases: an update answered 200 is in the
database until its turn commits; a worker takes over the rows of a worker that is gone (its
lease free), never those of a live one; a turn that committed is never run again, whether
Telegram redelivers the update or a worker takes its row over.

The kill test (a worker process killed with SIGKILL mid-way) is in
tests/faults/test_process_faults.py."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from telegram import Update

from bot.app import build_application
from bot.fake_api import FakeBotApi
from bot.webhook import SECRET_HEADER, WEBHOOK_PATH, InboxWorker, create_webhook_app
from cebot.settings import Settings
from services import inbox
from services.context import AppContext
from storage.models import ProcessedUpdate, WebhookInbox

HELP = "0771-966111"  # in the /help answer


@asynccontextmanager
async def webhook(settings: Settings, ctx: AppContext) -> AsyncIterator[tuple[str, InboxWorker]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}{WEBHOOK_PATH}"
    assert settings.webhook_secret is not None
    web = create_webhook_app(
        build_application(settings, ctx),
        ctx,
        secret=settings.webhook_secret.get_secret_value(),
        recover_every=0.2,
    )
    server = uvicorn.Server(uvicorn.Config(web, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
        assert not task.done()
    try:
        yield url, web.state.inbox_worker
    finally:
        server.should_exit = True
        await task
        sock.close()


async def rows(ctx: AppContext) -> tuple[int, int]:
    """(updates in the inbox, updates handled)"""
    async with ctx.db.transaction() as s:
        kept = await s.scalar(select(func.count(WebhookInbox.update_id)))
        handled = await s.scalar(select(func.count(ProcessedUpdate.update_id)))
    return int(kept or 0), int(handled or 0)


async def settle(ctx: AppContext, kept: int, timeout: float = 10) -> None:
    for _ in range(int(timeout / 0.05)):
        if (await rows(ctx))[0] == kept:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the inbox kept {(await rows(ctx))[0]} rows, not {kept}")


def helps(api: FakeBotApi, chat: int) -> int:
    return sum(1 for text in api.texts_to(chat) if HELP in text)


async def test_an_update_is_kept_until_handled_and_a_redelivery_is_dropped(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings
) -> None:
    update = fake_api.text_update(501, "/help")
    headers = {SECRET_HEADER: "e2e-webhook-secret"}
    async with webhook(settings, ctx) as (url, _worker), httpx.AsyncClient() as http:
        assert (await http.post(url, json=update, headers=headers)).status_code == 200
        await fake_api.wait_for("sendMessage", lambda c: HELP in c.params["text"])
        await settle(ctx, 0)
        assert await rows(ctx) == (0, 1)
        # Telegram did not hear the 200 and sends it again: answered once, not twice
        assert (await http.post(url, json=update, headers=headers)).status_code == 200
        await asyncio.sleep(0.5)
    assert helps(fake_api, 501) == 1
    assert await rows(ctx) == (0, 1)


async def test_a_dead_workers_updates_are_taken_over_once(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings
) -> None:
    # left by a worker that died: one never handled, one handled but maybe not answered
    never = fake_api.text_update(601, "/help")
    answered = fake_api.text_update(602, "/help")
    assert await inbox.accept(ctx, never["update_id"], 601, never, "dead-worker")
    assert await inbox.accept(ctx, answered["update_id"], 602, answered, "dead-worker")
    async with ctx.db.transaction() as s:
        await inbox.receipt(ctx, answered["update_id"])(s)  # its turn had committed
    # and one of a worker that is alive (it holds its lease)
    alive = fake_api.text_update(603, "/help")
    assert await inbox.accept(ctx, alive["update_id"], 603, alive, "live-worker")
    lease = await inbox.hold_worker_lease(ctx, "live-worker")
    assert lease is not None
    try:
        async with webhook(settings, ctx) as (url, worker):
            await fake_api.wait_for("sendMessage", lambda c: c.params["chat_id"] == 601)
            await settle(ctx, 1)
            await asyncio.sleep(0.5)  # more recovery rounds: the live worker's row stays
            assert await rows(ctx) == (1, 2)  # 601 handled, 602 dropped, 603 waits
            assert helps(fake_api, 603) == 0
            await lease.release()  # that worker ends: its update is taken over now
            await settle(ctx, 0)
            await fake_api.wait_for("sendMessage", lambda c: c.params["chat_id"] == 603)
            # Telegram redelivers the taken-over update: still once
            async with httpx.AsyncClient() as http:
                response = await http.post(
                    url, json=never, headers={SECRET_HEADER: "e2e-webhook-secret"}
                )
            assert response.status_code == 200
            await asyncio.sleep(0.5)
            assert worker.busy == set()
    finally:
        await lease.release()
    assert (helps(fake_api, 601), helps(fake_api, 602), helps(fake_api, 603)) == (1, 0, 1)
    # 602's answer may have been lost: not answered again, but told so, once
    told = [c for c in fake_api.calls_of("sendMessage") if "服务刚刚重启" in c.params["text"]]
    assert [c.params["chat_id"] for c in told] == [602]
    assert await rows(ctx) == (0, 3)


async def test_a_second_copy_handled_at_once_runs_one_turn(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings
) -> None:
    """Two workers taking the same row (one thought the other dead): the receipt, written
    in the turn's transaction, lets one turn commit and ends the other quietly."""
    update = fake_api.text_update(701, "/help")
    async with webhook(settings, ctx) as (_url, worker):
        assert await worker.accept(Update.de_json(update, worker.application.bot), update)
        worker.busy.discard(update["update_id"])  # as if another worker took it meanwhile
        worker._spawn(update["update_id"], Update.de_json(update, worker.application.bot))
        await settle(ctx, 0)
        await asyncio.sleep(0.5)
    assert helps(fake_api, 701) == 1
    assert await rows(ctx) == (0, 1)


async def test_no_200_before_the_update_is_kept(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings
) -> None:
    """The database refuses the inbox row: Telegram hears 503 and delivers again later; a
    body that is not an update is refused with 400 and nothing is kept."""
    refused = 0

    def outage(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        nonlocal refused
        if statement.startswith("INSERT INTO webhook_inbox") and refused == 0:
            refused += 1
            raise OperationalError(statement, {}, ConnectionError("the database is away"))

    update = fake_api.text_update(801, "/help")
    headers = {SECRET_HEADER: "e2e-webhook-secret"}
    async with webhook(settings, ctx) as (url, _worker), httpx.AsyncClient() as http:
        for body in (b"[]", b'{"update_id": "7"}', b'{"update_id": 7, "message": "x"}'):
            bad = await http.post(url, content=body, headers=headers)
            assert bad.status_code == 400, body
        event.listen(ctx.db.engine.sync_engine, "before_cursor_execute", outage)
        try:
            first = await http.post(url, json=update, headers=headers)
            assert first.status_code == 503 and refused == 1
            assert await rows(ctx) == (0, 0)
            again = await http.post(url, json=update, headers=headers)  # Telegram's retry
            assert again.status_code == 200
        finally:
            event.remove(ctx.db.engine.sync_engine, "before_cursor_execute", outage)
        await fake_api.wait_for("sendMessage", lambda c: c.params["chat_id"] == 801)
        await settle(ctx, 0)
        await asyncio.sleep(0.3)
    assert helps(fake_api, 801) == 1
    assert await rows(ctx) == (0, 1)


async def test_one_users_updates_are_answered_in_order(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings
) -> None:
    """Posted back to back (none waits for its answer), one user's updates still run in
    arrival order through the inbox (bot/handlers/ordering.py)."""
    commands = ["/help", "/cancel"] * 4
    headers = {SECRET_HEADER: "e2e-webhook-secret"}
    async with webhook(settings, ctx) as (url, _worker), httpx.AsyncClient() as http:
        for command in commands:
            update = fake_api.text_update(901, command)
            assert (await http.post(url, json=update, headers=headers)).status_code == 200
        await settle(ctx, 0)
        await asyncio.sleep(0.3)
    # /help answers with the help text; /cancel says there is nothing to cancel (then the menu)
    answers = [
        "help" if HELP in text else "cancel"
        for text in fake_api.texts_to(901)
        if HELP in text or "没有进行中的操作" in text
    ]
    assert answers == ["help", "cancel"] * 4
