"""Issue 17, items 9, 10 and 12 replayed: the processes surviving faults.

- 9: the scheduler (reminders and the outbox sender) through a database outage: on
  PostgreSQL the scheduler's connections go through a TCP proxy on loopback that is cut and
  restored (the real server stays up for everyone else); on SQLite every statement fails
  while the outage lasts. Notices queued before, during and after are all sent, once.
- 10: a webhook worker process is killed (SIGKILL) while it handles 300 updates, and started
  again; Telegram's part (post until answered 200, redeliver) is played by the test.
- 12: the first update after the database server ended the pool's connections succeeds
  (pre-ping); SIGTERM of a webhook server leaves none of its worker processes behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.fake_api import FakeBotApi
from bot.flows import ChannelUser, Engine, Event
from bot.webhook import SECRET_HEADER, WEBHOOK_PATH
from services.context import AppContext
from services.outbox import SenderConfig
from services.pii import IdProtector
from services.policies import PolicyBook
from services.reminders import BroadcastFilter, queue_broadcast
from services.scheduler import run_scheduler
from storage.db import Database
from storage.models import OutboxMessage, ProcessedUpdate, WebhookInbox
from tests.fault_ledger import FaultLedger
from tests.faults.world import add_bound_people

ROOT = Path(__file__).resolve().parents[2]
SECRET = "faults-secret-key-" + "k" * 32
WEBHOOK_SECRET = "faults-webhook"


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi().start()
    yield api
    api.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ a database outage


class TcpProxy:
    """Loopback TCP proxy to the PostgreSQL server. `cut()` ends every connection through it
    and refuses new ones (as a stopped server would) until `restore()`."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.down = False
        self.refused = 0  # connections ended or refused by the outage
        self._open: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[Any]] = set()
        self.port = 0

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
        if self._handlers:  # their transports are aborted: they end by themselves
            await asyncio.wait(set(self._handlers), timeout=10)
        if self._server is not None:
            await self._server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
            handler.add_done_callback(self._handlers.discard)
        if self.down:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer, up_writer)
        self._open.add(pair)
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
            )
        finally:
            self._open.discard(pair)
            writer.transport.abort()
            up_writer.transport.abort()

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
        sink.transport.abort()

    def cut(self) -> None:
        self.down = True
        for client, upstream in list(self._open):
            self.refused += 1
            client.transport.abort()
            upstream.transport.abort()
        self._open.clear()

    def restore(self) -> None:
        self.down = False


class StatementOutage:
    """SQLite has no server to stop: while `down`, every statement of the engine fails as
    an unreachable database would (sqlite3.OperationalError, wrapped by SQLAlchemy)."""

    def __init__(self, db: Database) -> None:
        self.down = False
        self.refused = 0
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._check)

    def _check(self, *_args: Any) -> None:
        if self.down:
            self.refused += 1
            raise sqlite3.OperationalError("unable to open database file (injected outage)")

    def cut(self) -> None:
        self.down = True

    def restore(self) -> None:
        self.down = False


@asynccontextmanager
async def outage_prone(
    database_url: str, data_dir: Path, clock: Any
) -> AsyncIterator[tuple[AppContext, TcpProxy | StatementOutage]]:
    """A context whose database can be made unreachable, with its switch."""
    proxy: TcpProxy | None = None
    if database_url.startswith("postgresql"):
        url = make_url(database_url)
        proxy = await TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
        db = Database(url.set(host="127.0.0.1", port=proxy.port))
        switch: TcpProxy | StatementOutage = proxy
    else:
        db = Database(database_url)
        switch = StatementOutage(db)
    ctx = AppContext(
        db=db,
        policies=PolicyBook.load(),
        ids=IdProtector(b"test-secret-key-not-for-production"),
        data_dir=data_dir,
        clock=clock,
    )
    try:
        yield ctx, switch
    finally:
        switch.restore()
        await db.dispose()
        if proxy is not None:
            await proxy.stop()


async def queued(ctx: AppContext) -> int:
    async with ctx.db.transaction() as s:
        return int(
            await s.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.status != "sent")
            )
            or 0
        )


async def until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


OUTAGE_SECONDS = float(os.environ.get("CEBOT_FAULTS_OUTAGE_SECONDS", "12"))


async def test_9_scheduler_outlives_a_database_outage(
    ctx: AppContext,
    database_url: str,
    tmp_path: Path,
    faults: FaultLedger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    chats = range(7000, 7030)
    await add_bound_people(ctx, chats)
    delivered: list[tuple[str, str]] = []

    async def send(_channel: str, chat: str, message: str, _buttons: Any) -> None:
        delivered.append((chat, message))

    config = SenderConfig(rate=200, per_chat_interval=0, poll_interval=0.1, respect_window=False)
    states: list[str] = []
    async with outage_prone(database_url, tmp_path / "data", ctx.clock) as (sched_ctx, switch):
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_scheduler(
                sched_ctx,
                send,
                config=config,
                stop=stop,
                standby_poll=0.2,
                lease_check=0.2,
                on_state=states.append,
                retry_min=0.2,
                retry_max=3.0,
            )
        )
        try:
            before = await queue_broadcast(ctx, "停电前的通知", BroadcastFilter(), actor="admin")
            await until(lambda: _zero(queued, ctx), 30, "the notices before the outage")
            switch.cut()
            # queued while the scheduler cannot reach the database (by the command line of a
            # machine that can): the notices that were never sent
            during = await queue_broadcast(ctx, "停电期间的通知", BroadcastFilter(), actor="admin")
            await asyncio.sleep(OUTAGE_SECONDS)
            assert not task.done(), "the scheduler ended during the outage"
            switch.restore()
            await until(lambda: _zero(queued, ctx), 60, "the notices queued during the outage")
            after = await queue_broadcast(ctx, "恢复后的通知", BroadcastFilter(), actor="admin")
            await until(lambda: _zero(queued, ctx), 30, "the notices after the outage")
            alive = not task.done()
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=30)
    tried = before.queued + during.queued + after.queued
    per_message: dict[tuple[str, str], int] = {}
    for item in delivered:
        per_message[item] = per_message.get(item, 0) + 1
    lost = tried - len(per_message)
    duplicated = sum(n - 1 for n in per_message.values())
    tracebacks = faults.tracebacks_in(caplog.records) + (0 if alive else 1)
    faults.record(
        "9 scheduler through a database outage",
        tried=tried,
        injected=switch.refused,
        lost=lost,
        duplicated=duplicated,
        tracebacks=tracebacks,
    )
    assert tried == 3 * len(chats)
    assert switch.refused > 0, "the outage was never felt"
    assert any("retrying" in r.getMessage() for r in caplog.records)
    assert states.count("active") >= 2  # active again after the outage
    assert (lost, duplicated, tracebacks) == (0, 0, 0)


async def _zero(count: Any, ctx: AppContext) -> bool:
    return await count(ctx) == 0


# ------------------------------------------------------------------ pre-ping


def _terminate_backends(url: str) -> int:
    """End every other connection to this test's own database (as a server restart would)."""
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            ended = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
            conn.commit()
    finally:
        engine.dispose()
    return int(ended)


async def _turns(db: Database, tmp_path: Path, users: range) -> list[str]:
    ctx = AppContext(
        db=db,
        policies=PolicyBook.load(),
        ids=IdProtector(b"test-secret-key-not-for-production"),
        data_dir=tmp_path / "data",
    )
    engine = Engine(ctx)
    replies = []
    for user in users:
        outcome = await engine.handle(ChannelUser("telegram", str(user)), Event.message("/start"))
        replies.append(outcome.replies[0].text)
    return replies


async def test_12_first_update_after_the_server_ended_the_pool_connections(
    database_url: str, tmp_path: Path, faults: FaultLedger
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a database server restart is PostgreSQL's (SQLite has no server)")
    # the fault is real: without pre-ping the first update after it fails
    bare = Database(database_url, pool_pre_ping=False)
    try:
        await _turns(bare, tmp_path, range(1, 4))
        assert _terminate_backends(database_url) >= 1
        with pytest.raises(DBAPIError):
            await _turns(bare, tmp_path, range(4, 5))
    finally:
        await bare.dispose()

    db = Database(database_url)  # as every process makes it: pre-ping on
    try:
        first = await _turns(db, tmp_path, range(10, 13))
        ended = _terminate_backends(database_url)
        after = await _turns(db, tmp_path, range(13, 16))
    finally:
        await db.dispose()
    failed = sum(1 for reply in after if reply != first[0])
    faults.record(
        "12 first update after a database restart",
        tried=len(after),
        injected=ended,
        lost=failed,
        tracebacks=failed,
    )
    assert ended >= 1
    assert failed == 0, after


# ------------------------------------------------------------------ webhook processes


def environment(url: str, api: FakeBotApi, data: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_BASE_URL": api.base_url,
        "TELEGRAM_BASE_FILE_URL": api.base_file_url,
        "CEBOT_DATABASE_URL": url,
        "CEBOT_DATA_DIR": str(data),
        "CEBOT_SECRET_KEY": SECRET,
        "CEBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CEBOT_LISTEN_PORT": str(port),
        "CEBOT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CEBOT_LOG_LEVEL": "WARNING",
    }


def start(code: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *code],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


CEBOT_WEBHOOK = ["-c", "from cebot.cli import main; main()", "run", "--webhook", "--no-scheduler"]


async def wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for _ in range(600):
            assert proc.poll() is None, log.read_text(errors="replace")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError("the webhook server did not start")


@contextlib.contextmanager
def stopping(procs: list[subprocess.Popen[bytes]]) -> Iterator[None]:
    try:
        yield
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


UPDATES = 300
FIRST_USER = 810_000


@pytest.mark.postgres
async def test_10_webhook_worker_killed_mid_way_loses_no_update(
    database_url: str, tmp_path: Path, fake_api: FakeBotApi, faults: FaultLedger
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a webhook deployment of several processes is PostgreSQL's")
    port = free_port()
    env = environment(database_url, fake_api, tmp_path / "data", port)
    log = tmp_path / "worker.log"
    procs = [start(CEBOT_WEBHOOK, env, log)]
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    # one user per update: each update's answer is told apart by its chat
    updates = [fake_api.text_update(FIRST_USER + k, "/start") for k in range(UPDATES)]
    failed_posts = 0
    killed_at = -1

    def replies() -> int:
        return len(fake_api.calls_of("sendMessage")) // 2  # two messages answer a /start

    async def deliver(client: httpx.AsyncClient, update: dict[str, Any], again: bool) -> None:
        """As Telegram does: post until answered 200 (and, for some, once more anyway)."""
        nonlocal failed_posts
        for copy in range(2 if again else 1):
            while True:
                try:
                    response = await client.post(
                        url, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}
                    )
                    if response.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                failed_posts += 1
                await asyncio.sleep(0.05)
            if copy == 0 and again:
                await asyncio.sleep(0.2)

    async def kill_mid_way() -> None:
        nonlocal killed_at
        while replies() < UPDATES // 3:
            assert procs[0].poll() is None, log.read_text(errors="replace")
            await asyncio.sleep(0.002)
        procs[0].send_signal(signal.SIGKILL)  # no cleanup, no finally: a crash
        procs[0].wait(timeout=10)
        killed_at = replies()
        procs.append(start(CEBOT_WEBHOOK, env, log))

    with stopping(procs):
        await wait_ready(port, procs[0], log)
        limits = httpx.Limits(max_connections=40)  # Telegram's default max_connections
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            slots = asyncio.Semaphore(40)

            async def one(k: int) -> None:
                async with slots:
                    await deliver(client, updates[k], again=k % 10 == 0)

            await asyncio.gather(kill_mid_way(), *(one(k) for k in range(UPDATES)))
        checker = Database(database_url)
        try:

            async def all_handled() -> bool:
                async with checker.transaction() as s:
                    handled = await s.scalar(select(func.count(ProcessedUpdate.update_id)))
                    left = await s.scalar(select(func.count(WebhookInbox.update_id)))
                return handled == UPDATES and left == 0

            await until(all_handled, 90, "every update handled")
        finally:
            await checker.dispose()
        await asyncio.sleep(1.5)  # would a second answer follow?
    assert 0 < killed_at < UPDATES, "the kill was not mid-way"
    # /start of a new user is answered by a greeting and the privacy notice: the notice is
    # the mark of one answer
    per_chat = {FIRST_USER + k: 0 for k in range(UPDATES)}
    for call in fake_api.calls_of("sendMessage"):
        if "个人信息处理告知" in str(call.params.get("text")):
            per_chat[int(call.params["chat_id"])] += 1
    output = log.read_text(errors="replace")
    # rows whose turn had committed while their answer was on its way at the kill: never
    # answered twice (the turn is not run again), and their users are told of the restart
    unknown_ids = {
        int(u)
        for listed in re.findall(r"unknown=\d+, update ids ([\d,]+)", output)
        for u in listed.split(",")
    }
    unknown = sum(int(n) for n in re.findall(r"unknown=(\d+)", output))
    assert unknown == len(unknown_ids)
    chat_of = {u["update_id"]: u["message"]["chat"]["id"] for u in updates}
    unanswered = {chat for chat, n in per_chat.items() if n == 0}
    duplicated = sum(n - 1 for n in per_chat.values() if n > 1)
    # those in flight at the kill were told the answer may be missing (not answered twice)
    told = [
        int(c.params["chat_id"])
        for c in fake_api.calls_of("sendMessage")
        if "服务刚刚重启" in str(c.params.get("text"))
    ]
    assert sorted(told) == sorted(chat_of[u] for u in unknown_ids)
    # an update is lost when its user heard nothing: no answer and no word of the restart
    lost = len(unanswered - set(told))
    tracebacks = output.count("Traceback")
    faults.record(
        "10 webhook worker killed (SIGKILL)",
        tried=UPDATES,
        # the kill, and the updates Telegram delivers twice on purpose (those that failed at
        # the kill were posted again too: `failed_posts`, printed below)
        injected=1 + len(range(0, UPDATES, 10)),
        lost=lost,
        duplicated=duplicated,
        tracebacks=tracebacks,
    )
    print(
        f"\nkill test: killed after {killed_at} answers, {failed_posts} posts failed and were "
        f"redelivered, {unknown} updates in flight at the kill ({len(unanswered)} of them "
        f"unanswered, told of the restart)"
    )
    assert (lost, duplicated, tracebacks) == (0, 0, 0), output[-3000:]
    assert unknown <= 64  # at most the updates in flight in one process (MAX_CONCURRENT)


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                for child in (task / "children").read_text().split():
                    if int(child) not in found:
                        found.add(int(child))
                        todo.append(int(child))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


WARM_THEN_WEBHOOK = [
    "-c",
    "import asyncio\n"
    "from cebot.cli import build_context, ensure_migrated\n"
    "from cebot.settings import load_settings\n"
    "from bot.app import run_webhook\n"
    "from services.certificate_render import warm_up_renderer\n"
    "from services.evidence_reading import warm_up_reader\n"
    "from services.tabular import in_file_worker\n"
    "settings = load_settings()\n"
    "ensure_migrated(settings)\n"
    "ctx = build_context(settings)\n"
    "async def warm():\n"
    "    await warm_up_renderer()\n"
    "    await warm_up_reader()\n"
    "    await in_file_worker(len, 'abc')\n"
    "asyncio.run(warm())  # all three pools running: a certificate, a photo, an upload\n"
    "run_webhook(settings, ctx)\n",
]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
async def test_12_sigterm_of_the_webhook_server_leaves_no_worker_process(
    database_url: str, tmp_path: Path, fake_api: FakeBotApi, faults: FaultLedger
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("once is enough: the processes do not depend on the database")
    port = free_port()
    env = environment(database_url, fake_api, tmp_path / "data", port)
    env["CEBOT_RENDER_WORKERS"] = "1"
    log = tmp_path / "server.log"
    proc = start(WARM_THEN_WEBHOOK, env, log)
    with stopping([proc]):
        await wait_ready(port, proc, log)
        children = _descendants(proc.pid)
        assert len(children) >= 3, "the pools' processes did not start"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    orphans = [pid for pid in children if _alive(pid)]
    for pid in orphans:  # clean up after a failure
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    output = log.read_text(errors="replace")
    faults.record(
        "12 SIGTERM of the webhook server",
        tried=len(children),
        injected=1,
        lost=len(orphans),
        tracebacks=output.count("Traceback"),
    )
    assert orphans == [], f"{len(orphans)} of {len(children)} processes left behind"
    assert "Traceback" not in output, output[-3000:]
