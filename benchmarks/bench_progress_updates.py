"""Benchmark: "my progress" updates per second one worker sustains, through the full path.

The real application from bot.app.build_application polls a fake Bot API server on loopback
(bot.fake_api); every update is a press of the "my progress" button by a bound user, so each
one runs: getUpdates -> per-user ordering -> flow engine (one transaction: account, flow
state, person, hour records, evaluation, state saved) -> answerCallbackQuery,
editMessageReplyMarkup and sendMessage back over HTTP.

Runs per database:
  engine_only      the flow engine alone (no Telegram, no HTTP), 16 turns in flight;
  burst            all updates queued at once: sustained throughput (updates/s) and the
                   latency from queueing an update to its progress reply, under that backlog;
  paced            updates queued at a fixed rate: latency (p50/p99) at that load;
  http_only_burst  the burst again with the engine replaced by a canned reply: the ceiling
                   PTB, httpx and the fake server set on this machine.
The fake server runs in a process of its own (it would otherwise share the bot's GIL).

    python benchmarks/bench_progress_updates.py [--db sqlite|postgresql|both] [--users 200]
        [--updates 3000] [--rate 200] [--json out.json]

PostgreSQL: CEBOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
a throw-away database is created and dropped. Nothing here imports from tests/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without an editable install
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.app import build_application, post_init  # noqa: E402
from bot.fake_api import FakeBotApi  # noqa: E402
from bot.flows import ChannelUser, Engine, Event, Outcome, Reply  # noqa: E402
from bot.handlers.telegram import ENGINE_KEY  # noqa: E402
from bot.webhook import ALLOWED_UPDATES  # noqa: E402
from cebot.settings import Settings  # noqa: E402
from core.idnumber import make_id_number  # noqa: E402
from core.uscc import make_unit_code  # noqa: E402
from services.context import AppContext  # noqa: E402
from services.pii import IdProtector  # noqa: E402
from services.policies import PolicyBook  # noqa: E402
from services.privacy import notice  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Account, HourRecord, Person, Unit  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "CEBOT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
FIRST_USER = 10_000


async def seed(ctx: AppContext, users: int) -> None:
    now = ctx.now()
    async with ctx.db.transaction() as s:
        unit = Unit(
            code=make_unit_code("12450000MB0000001"), name="基准单位", city="南宁", created_at=now
        )
        s.add(unit)
        await s.flush()
        for i in range(users):
            number = make_id_number("450103", date(1970, 1, 1) + timedelta(days=i), i % 1000)
            person = Person(
                id_hash=ctx.ids.lookup_hash(number),
                id_cipher=ctx.ids.encrypt(number),
                id_masked=number[:4] + "*" * 10 + number[-4:],
                name=f"用户{i}",
                unit_id=unit.id,
                created_at=now,
                updated_at=now,
            )
            s.add(person)
            await s.flush()
            s.add(
                Account(
                    channel="telegram",
                    external_id=str(FIRST_USER + i),
                    person_id=person.id,
                    language="zh",
                    failed_attempts=0,
                    # they agreed to the current privacy notice, as real bound users have
                    consent_version=notice().version,
                    created_at=now,
                )
            )
            for n, (subject, status, hours) in enumerate(
                [
                    ("public_mandatory", "credited", 15),
                    ("professional", "approved", 40),
                    ("professional", "pending", 8),
                ]
            ):
                s.add(
                    HourRecord(
                        person_id=person.id,
                        year=2024,
                        subject=subject,
                        origin="import",
                        dedup_key=f"bench:{n}",
                        title="课程",
                        completed_on=date(2024, 5, 1),
                        hours=Fraction(hours),
                        status=status,
                        created_at=now,
                    )
                )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class RemoteFakeApi:
    """The fake Bot API in a process of its own, so its work does not share the bot's GIL
    (as Telegram's servers do not); driven through its /_fake control endpoints."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.fake_api", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().strip()
        if not first.startswith("FAKE_API_PORT="):
            raise RuntimeError(f"fake Bot API did not start: {first!r}")
        self.port = int(first.split("=", 1)[1])
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = self.root + "/bot"
        self.base_file_url = self.root + "/file/bot"
        self.token = "123456:TEST-token"
        self.builder = FakeBotApi()  # only to build update dicts; never started
        self.http = httpx.AsyncClient(timeout=60)
        self.cursor = 0

    async def push(self, updates: list[dict[str, Any]]) -> None:
        response = await self.http.post(self.root + "/_fake/updates", json=updates)
        response.raise_for_status()

    async def new_calls(self, method: str) -> list[dict[str, Any]]:
        response = await self.http.get(
            self.root + "/_fake/calls", params={"since": self.cursor, "method": method}
        )
        body = response.json()
        self.cursor = body["total"]
        return list(body["calls"])

    async def close(self) -> None:
        await self.http.aclose()
        self.proc.terminate()
        self.proc.wait(timeout=10)


async def run_load(api: RemoteFakeApi, users: int, updates: int, rate: float | None) -> dict:
    """Queue `updates` progress presses round-robin over the users; return the figures."""
    pushed: dict[int, list[float]] = {}
    await api.new_calls("none")  # move the cursor past earlier runs
    batch = [api.builder.callback_update(FIRST_USER + k % users, "m:prog") for k in range(updates)]
    start = time.monotonic()
    if rate is None:
        for u in batch:
            pushed.setdefault(u["callback_query"]["from"]["id"], []).append(start)
        await api.push(batch)
    else:
        for k, u in enumerate(batch):
            delay = start + k / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            pushed.setdefault(u["callback_query"]["from"]["id"], []).append(time.monotonic())
            await api.push([u])
    replies: list[dict[str, Any]] = []
    deadline = time.monotonic() + 300
    while len(replies) < updates and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        replies.extend(
            c for c in await api.new_calls("sendMessage") if "年度学习进度" in c["params"]["text"]
        )
    # per user, replies come in order (per-user ordering): the k-th answers the k-th press
    seen: dict[int, int] = {}
    latencies = []
    for c in replies:
        user = int(c["params"]["chat_id"])
        k = seen.get(user, 0)
        seen[user] = k + 1
        latencies.append(c["at"] - pushed[user][k])
    elapsed = max(c["at"] for c in replies) - start
    return {
        "updates": updates,
        "answered": len(replies),
        "seconds": round(elapsed, 3),
        "updates_per_s": round(len(replies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
        "offered_rate": rate,
    }


class CannedEngine:
    """Answers every event with a fixed progress-like reply, touching no database."""

    async def handle(self, user: ChannelUser, event: Event) -> Outcome:
        return Outcome([Reply("📊 年度学习进度")])


async def run_engine_only(ctx: AppContext, users: int, updates: int) -> dict[str, Any]:
    """The flow engine without Telegram or HTTP, 16 turns in flight (different users)."""
    engine = Engine(ctx)
    gate = asyncio.Semaphore(16)
    latencies: list[float] = []

    async def one(k: int) -> None:
        async with gate:
            began = time.monotonic()
            user = ChannelUser("telegram", str(FIRST_USER + k % users))
            outcome = await engine.handle(user, Event.button("m:prog"))
            assert "年度学习进度" in outcome.replies[0].text
            latencies.append(time.monotonic() - began)

    await asyncio.gather(*(one(k) for k in range(min(updates, 200))))  # warm-up
    latencies.clear()
    start = time.monotonic()
    await asyncio.gather(*(one(k) for k in range(updates)))
    elapsed = time.monotonic() - start
    return {
        "updates": updates,
        "updates_per_s": round(updates / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }


async def bench_database(url: str, users: int, updates: int, rate: float) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="cebot-bench-progress-"))
    ctx = AppContext(
        db=Database(url),
        policies=PolicyBook.load(),
        ids=IdProtector(b"bench-secret"),
        data_dir=data_dir,
    )
    await seed(ctx, users)
    engine_only = await run_engine_only(ctx, users, updates)
    api = RemoteFakeApi()
    settings = Settings(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_BASE_URL=api.base_url,
        TELEGRAM_BASE_FILE_URL=api.base_file_url,
        CEBOT_DATA_DIR=data_dir,
    )
    application = build_application(settings, ctx)
    try:
        async with application:
            await post_init(application)
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(
                poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES
            )
            await run_load(api, users, min(users, 200), None)  # warm-up: pools, caches
            burst = await run_load(api, users, updates, None)
            paced = await run_load(api, users, updates, rate)
            # the same path with the engine replaced by a canned answer: what PTB, HTTP and
            # the fake server alone allow on this machine (the ceiling for the full path)
            real_engine = application.bot_data[ENGINE_KEY]
            application.bot_data[ENGINE_KEY] = CannedEngine()
            http_only = await run_load(api, users, updates, None)
            application.bot_data[ENGINE_KEY] = real_engine
            await application.updater.stop()
            await application.stop()
    finally:
        await api.close()
        await ctx.db.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "engine_only": engine_only,
        "burst": burst,
        "paced": paced,
        "http_only_burst": http_only,
    }


def make_pg_database() -> tuple[str, str]:
    name = f"cebot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return name, url


def drop_pg_database(name: str) -> None:
    admin = create_engine(
        make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=200.0, help="paced run, updates/s")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    results: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        # other work on the machine skews every figure: recorded so runs can be compared
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "users": args.users,
    }
    if args.db in ("sqlite", "both"):
        path = Path(tempfile.mkdtemp(prefix="cebot-bench-progress-")) / "bench.sqlite3"
        url = f"sqlite:///{path}"
        try:
            upgrade(url)
            results["sqlite"] = asyncio.run(
                bench_database(url, args.users, args.updates, args.rate)
            )
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
    if args.db in ("postgresql", "both"):
        name, url = make_pg_database()
        try:
            results["postgresql"] = asyncio.run(
                bench_database(url, args.users, args.updates, args.rate)
            )
        finally:
            drop_pg_database(name)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
