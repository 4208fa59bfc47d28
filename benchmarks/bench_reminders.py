"""Benchmark: reminders for a synthetic province on PostgreSQL.

  1  generate   units, people, bound Telegram accounts, hour records and reviewers with
                INSERT … SELECT generate_series (no Python loop over people);
  2  audience   time to choose each campaign's audience and queue its outbox rows (one
                INSERT … SELECT per campaign): public d30, professional d30, reviewer d30,
                and a broadcast to everyone. Aim: under 30 s each;
  3  sender     the sender drains the outbox against a loopback fake Bot API
                (bot/fake_api.py) for --send-seconds at each --rates value; the achieved rate
                is measured from the fake server's log. Aim: at least 95 % of the limit, and
                never more than the limit in any one second.

    python benchmarks/bench_reminders.py [--people 1000000] [--rates 30] [--send-seconds 20]
        [--url postgresql://postgres@127.0.0.1:5432/postgres] [--keep] [--json out.json]

A throw-away database is created next to --url's and dropped at the end (unless --keep).
Nothing here imports from tests/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without an editable install
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from telegram import Bot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from bot.fake_api import FakeBotApi  # noqa: E402
from bot.outbox_sender import telegram_sender  # noqa: E402
from services.context import AppContext  # noqa: E402
from services.outbox import OutboxSender, SenderConfig  # noqa: E402
from services.pii import IdProtector  # noqa: E402
from services.policies import PolicyBook  # noqa: E402
from services.reminders import BroadcastFilter, queue_broadcast  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
CITIES = ["南宁", "柳州", "桂林", "梧州", "北海", "防城港", "钦州", "贵港", "玉林", "百色",
          "贺州", "河池", "来宾", "崇左"]  # fmt: skip


def shanghai(y: int, m: int, d: int, hh: int = 10) -> datetime:
    return datetime(y, m, d, hh, tzinfo=SHANGHAI).astimezone(UTC)


def machine() -> dict[str, Any]:
    model = "?"
    mem_gb = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_gb, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# --------------------------------------------------------------------------- generation


def generate(url: str, people: int) -> dict[str, float]:
    """The province, all set-based. Shares: 60 % passed the mandatory exam, 70 % have some
    verified professional hours (30 % enough), 20 % a pending claim; 5 % muted, 1 % blocked."""
    units = max(1, people // 1000)
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    now = "TIMESTAMPTZ '2024-11-01 00:00:00+00'"
    cities = "ARRAY[" + ", ".join(f"'{c}'" for c in CITIES) + "]"
    steps = {
        "units": f"""INSERT INTO units (id, code, name, city, created_at)
            SELECT u, 'G' || lpad(u::text, 17, '0'), '单位' || u, ({cities})[1 + u % {len(CITIES)}],
                   {now}
            FROM generate_series(1, {units}) u""",
        "people": f"""INSERT INTO people (id, id_hash, id_cipher, id_masked, name, unit_id,
                unit_confirmed, created_at, updated_at)
            SELECT i, md5(i::text), 'x', '4501**********' || lpad((i % 10000)::text, 4, '0'),
                   '人' || i, 1 + (i / 10) % {units}, true, {now}, {now}
            FROM generate_series(1, {people}) i""",
        "accounts": f"""INSERT INTO accounts (id, channel, external_id, person_id, language,
                muted_optional, unreachable_at, failed_attempts, created_at)
            SELECT i, 'telegram', (100000000 + i)::text, i,
                   CASE WHEN i % 10 = 0 THEN 'en' ELSE 'zh' END, i % 20 = 7,
                   CASE WHEN i % 100 = 3 THEN {now} END, 0, {now}
            FROM generate_series(1, {people}) i""",
        "hours": f"""INSERT INTO hour_records (person_id, year, subject, origin, dedup_key,
                unit_id, title, completed_on, hours, status, created_at, version)
            SELECT i, 2024, 'public_mandatory', 'exam', 'public_mandatory:2024',
                   1 + (i / 10) % {units},
                   '必修课', DATE '2024-06-01', 30, 'credited', {now}, 1
            FROM generate_series(1, {people}) i WHERE i % 10 < 6
            UNION ALL
            SELECT i, 2024, 'professional', 'import', 'imp:' || i, 1 + (i / 10) % {units},
                   '专业课', DATE '2024-07-01', CASE WHEN i % 10 < 3 THEN 160 ELSE 40 END,
                   'imported', {now}, 1
            FROM generate_series(1, {people}) i WHERE i % 10 < 7
            UNION ALL
            SELECT i, 2024, 'professional', 'claim', 'claim:' || i, 1 + (i / 10) % {units},
                   '申报', DATE '2024-08-01', 16, 'pending', {now}, 1
            FROM generate_series(1, {people}) i WHERE i % 5 = 1""",
        "reviewers": f"""WITH acc AS (
                INSERT INTO accounts (id, channel, external_id, language, muted_optional,
                    failed_attempts, created_at)
                SELECT {people} + u, 'telegram', (900000000 + u)::text, 'zh', false, 0, {now}
                FROM generate_series(1, {units}) u RETURNING id)
            INSERT INTO roles (account_id, role, unit_id, granted_at, granted_by)
            SELECT id, 'reviewer', id - {people}, {now}, 'bench' FROM acc""",
    }
    timings: dict[str, float] = {}
    with engine.begin() as conn:
        for name, sql in steps.items():
            t0 = time.perf_counter()
            conn.execute(text(sql))
            timings[name] = time.perf_counter() - t0
        for table in ("units", "people", "accounts"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        t0 = time.perf_counter()
        conn.execute(text("VACUUM ANALYZE"))
        timings["analyze"] = time.perf_counter() - t0
    engine.dispose()
    return timings


# --------------------------------------------------------------------------- audience


async def timed_campaigns(ctx: AppContext, clock: list[datetime]) -> list[dict[str, Any]]:
    """Each campaign on its own, timed: queue_campaign per due campaign."""
    from core.reminders import due_campaigns
    from services.reminders import queue_campaign

    out: list[dict[str, Any]] = []
    for day in (date(2024, 12, 1), date(2025, 3, 1)):
        clock[0] = shanghai(day.year, day.month, day.day, 9)
        for due in due_campaigns(ctx.policies.values(), day):
            t0 = time.perf_counter()
            r = await queue_campaign(ctx, due, actor="bench")
            out.append(
                {
                    "campaign": r.key,
                    "queued": r.queued,
                    "seconds": round(time.perf_counter() - t0, 2),
                }
            )
            print(
                f"  {r.key:<28} queued {r.queued:>9,}  in {out[-1]['seconds']:>6.2f} s", flush=True
            )
    t0 = time.perf_counter()
    b = await queue_broadcast(ctx, "基准测试通知", BroadcastFilter(), actor="bench")
    out.append(
        {
            "campaign": "broadcast (everyone)",
            "queued": b.queued,
            "seconds": round(time.perf_counter() - t0, 2),
        }
    )
    print(
        f"  {'broadcast (everyone)':<28} queued {b.queued:>9,}  in {out[-1]['seconds']:>6.2f} s",
        flush=True,
    )
    return out


# --------------------------------------------------------------------------- sender


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def serve_fake(conn: Any) -> None:
    """The fake Bot API in a process of its own: sharing the benchmark's interpreter (and
    its GIL) would make the fake, not the sender, the bottleneck. Sends its base URL, waits
    for any message, answers with the arrival times (CLOCK_MONOTONIC, shared by processes)."""
    api = FakeBotApi(token="123456:BENCH").start()
    conn.send(api.base_url)
    while True:
        conn.recv()
        with api._lock:  # the fake's own log of what arrived, and when
            times = [c.at for c in api.calls if c.method == "sendMessage"]
            api.calls.clear()
        conn.send(times)


async def sender_rate(
    ctx: AppContext, fake: Any, base_url: str, rate: float, seconds: float
) -> dict[str, Any]:
    request = HTTPXRequest(connection_pool_size=32)
    async with Bot("123456:BENCH", base_url=base_url, request=request) as bot:
        real_send = telegram_sender(bot)
        starts: list[float] = []

        async def send(channel: str, chat: str, text: str, buttons: Any) -> None:
            starts.append(time.monotonic())  # the sender's side: when each call began
            await real_send(channel, chat, text, buttons)

        sender = OutboxSender(ctx, send, SenderConfig(rate=rate, sender_id=f"bench-{rate}"))
        await sender.recover()
        fake.send("reset")
        fake.recv()
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        await asyncio.sleep(seconds)
        stop.set()
        stats = await task
    fake.send("report")
    times = sorted(fake.recv())
    achieved = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return {
        "limit": rate,
        "messages": len(times),
        "achieved_per_s": round(achieved, 2),
        "ratio": round(achieved / rate, 3),
        "max_in_any_second": _max_in_window(times),
        "client_achieved_per_s": round(
            (len(starts) - 1) / (starts[-1] - starts[0]) if len(starts) > 1 else 0.0, 2
        ),
        "client_max_in_any_second": _max_in_window(sorted(starts)),
        "sender_sent": stats.sent,
        "unknown": stats.unknown,
        "failed": stats.failed,
        "unreachable": stats.unreachable,
    }


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--rates", default="30", help="comma-separated limits, e.g. 30,100")
    parser.add_argument("--send-seconds", type=float, default=20.0)
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "CEBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    admin_url = make_url(args.url).set(drivername="postgresql+psycopg")
    name = f"cebot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        pg_version = conn.execute(text("SHOW server_version")).scalar_one()
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    info = {**machine(), "postgresql": pg_version, "people": args.people}
    print("machine:", json.dumps(info, ensure_ascii=False), flush=True)
    results: dict[str, Any] = {"machine": info}
    try:
        upgrade(url)
        print(f"generating {args.people:,} people …", flush=True)
        gen = generate(url, args.people)
        results["generate_seconds"] = {k: round(v, 2) for k, v in gen.items()}
        print("  " + ", ".join(f"{k} {v:.1f} s" for k, v in gen.items()), flush=True)
        results.update(asyncio.run(_async_part(url, args)))
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    campaigns = results["campaigns"]
    slowest = max(c["seconds"] for c in campaigns)
    print(
        f"audience + outbox: slowest campaign {slowest:.2f} s "
        f"(aim < 30 s: {'met' if slowest < 30 else 'NOT met'})"
    )
    for s in results["sender"]:
        print(
            f"sender at limit {s['limit']:g}/s: achieved {s['achieved_per_s']}/s = "
            f"{s['ratio']:.1%} of the limit (aim >= 95 %: "
            f"{'met' if s['ratio'] >= 0.95 else 'NOT met'}); most in any second: "
            f"{s['max_in_any_second']} at the fake server, "
            f"{s['client_max_in_any_second']} at the sender "
            f"(sender-side rate {s['client_achieved_per_s']}/s)"
        )
    print(f"load average at the end: {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))


async def _async_part(url: str, args: argparse.Namespace) -> dict[str, Any]:
    clock = [shanghai(2024, 12, 1, 9)]
    ticking_from: list[float] = [0.0]

    def now() -> datetime:
        if ticking_from[0]:
            return clock[0] + timedelta(seconds=time.monotonic() - ticking_from[0])
        return clock[0]

    ctx = AppContext(
        db=Database(url),
        policies=PolicyBook.load(),
        ids=IdProtector(b"bench-secret"),
        data_dir=Path("/tmp"),
        clock=now,
    )
    out: dict[str, Any] = {}
    try:
        print("queueing campaigns (one INSERT … SELECT each):", flush=True)
        out["campaigns"] = await timed_campaigns(ctx, clock)
        # send during the window, with a clock that runs (backoffs and 429s expire)
        # back to 1 December, 10:00: the public reminders are due and not expired
        clock[0] = shanghai(2024, 12, 1, 10)
        ticking_from[0] = time.monotonic()
        parent, child = multiprocessing.Pipe()
        proc = multiprocessing.get_context("spawn").Process(
            target=serve_fake, args=(child,), daemon=True
        )
        proc.start()
        base_url = parent.recv()
        try:
            out["sender"] = []
            for rate in (float(r) for r in args.rates.split(",")):
                print(f"sending at {rate:g}/s for {args.send_seconds:g} s …", flush=True)
                out["sender"].append(
                    await sender_rate(ctx, parent, base_url, rate, args.send_seconds)
                )
        finally:
            proc.kill()
    finally:
        await ctx.db.dispose()
    return out


if __name__ == "__main__":
    main()
