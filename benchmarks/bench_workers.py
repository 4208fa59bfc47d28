"""Benchmark: updates per second for one and for two webhook workers on PostgreSQL, and where
the CPU goes.

Each worker is a real `cebot run --webhook --no-scheduler` process (the production command);
the load generator posts Telegram-shaped "my progress" button presses to the workers
round-robin with the webhook secret, as Telegram would, keeping `--in-flight` requests open; the
fake Bot API (its own process) receives the replies. Throughput is counted from the replies the
fake server received, so an update counts only once its answer left the bot.

The machine has 2 cores and everything shares them: the workers, PostgreSQL, the fake Bot API
and the load generator. So beside the rates the script reports the CPU seconds each of them
used (from /proc, user + system), i.e. what the ceiling is when two workers do not give twice
one worker's rate.

    python benchmarks/bench_workers.py [--users 200] [--updates 3000] [--workers 1 2]
        [--in-flight 64] [--json out.json]

PostgreSQL: CEBOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
a throw-away database per run is created and dropped. Nothing here imports from tests/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (ROOT, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import httpx  # noqa: E402
from bench_progress_updates import (  # noqa: E402
    FIRST_USER,
    RemoteFakeApi,
    drop_pg_database,
    make_pg_database,
    percentile,
    seed,
)

from bot.webhook import SECRET_HEADER, WEBHOOK_PATH  # noqa: E402
from services.context import AppContext  # noqa: E402
from services.pii import IdProtector  # noqa: E402
from services.policies import PolicyBook  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

SECRET_KEY = "bench-secret-key-" + "x" * 32
WEBHOOK_SECRET = "bench-webhook-secret"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (and its reaped children), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    # fields after the ")" start at field 3 (state): utime is 14, stime 15, cutime 16, cstime 17
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime + cutime + cstime) / CLOCK_TICKS


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_worker(url: str, api: RemoteFakeApi, data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_BASE_URL": api.base_url,
        "TELEGRAM_BASE_FILE_URL": api.base_file_url,
        "CEBOT_DATABASE_URL": url,
        "CEBOT_DATA_DIR": str(data_dir),
        "CEBOT_SECRET_KEY": SECRET_KEY,
        "CEBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CEBOT_LISTEN_PORT": str(port),
        "CEBOT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CEBOT_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from cebot.cli import main; main()",
            "run",
            "--webhook",
            "--no-scheduler",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


async def wait_ready(client: httpx.AsyncClient, port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"worker on {port} exited: {proc.stderr.read() if proc.stderr else ''}"
            )
        try:
            if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"worker on {port} not ready")


async def prepare(url: str, users: int, data_dir: Path) -> None:
    upgrade(url)
    ctx = AppContext(
        db=Database(url),
        policies=PolicyBook.load(),
        ids=IdProtector(SECRET_KEY.encode()),
        data_dir=data_dir,
    )
    try:
        await seed(ctx, users)  # bound users who agreed to the current notice
    finally:
        await ctx.db.dispose()


async def run_once(workers: int, users: int, updates: int, in_flight: int) -> dict[str, Any]:
    name, url = make_pg_database()
    tmp = Path(tempfile.mkdtemp(prefix="cebot-bench-workers-"))
    api = RemoteFakeApi()
    procs: list[subprocess.Popen[str]] = []
    try:
        await prepare(url, users, tmp / "data")
        ports = [free_port() for _ in range(workers)]
        procs = [start_worker(url, api, tmp / "data", port) for port in ports]
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=256)) as c:
            for port, proc in zip(ports, procs, strict=True):
                await wait_ready(c, port, proc)
            # warm-up: every user once, not measured
            await drive(c, api, ports, users, users, in_flight)
            components = {
                "workers": [p.pid for p in procs],
                "fake_api": [api.proc.pid],
                "load_generator": [os.getpid()],
                "postgresql": postgres_pids(),
            }
            before = {k: sum(cpu_seconds(p) for p in v) for k, v in components.items()}
            started = time.monotonic()
            latencies = await drive(c, api, ports, users, updates, in_flight)
            wall = time.monotonic() - started
            components["postgresql"] = postgres_pids()
            after = {k: sum(cpu_seconds(p) for p in v) for k, v in components.items()}
        cpu = {k: round(after[k] - before[k], 2) for k in before}
        return {
            "workers": workers,
            "updates": updates,
            "seconds": round(wall, 2),
            "updates_per_s": round(updates / wall, 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "p99_ms": round(percentile(latencies, 99) * 1000, 1),
            "cpu_seconds": cpu,
            "cpu_share_of_2_cores": {k: round(v / (2 * wall), 3) for k, v in cpu.items()},
        }
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        await api.close()
        drop_pg_database(name)


async def drive(
    client: httpx.AsyncClient,
    api: RemoteFakeApi,
    ports: list[int],
    users: int,
    updates: int,
    in_flight: int,
) -> list[float]:
    """Post `updates` presses (round-robin over users and workers), `in_flight` at a time;
    wait until every reply reached the fake server; the latencies from post to reply."""
    await api.new_calls("none")
    gate = asyncio.Semaphore(in_flight)
    posted: dict[int, list[float]] = {}

    async def post(k: int) -> None:
        update = api.builder.callback_update(FIRST_USER + k % users, "m:prog")
        port = ports[k % len(ports)]
        async with gate:
            posted.setdefault(FIRST_USER + k % users, []).append(time.monotonic())
            # like Telegram, retry a request whose connection broke (a kept-alive connection
            # the server closed); the worker drops a second copy by update_id
            for attempt in range(3):
                try:
                    response = await client.post(
                        f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
                        json=update,
                        headers={SECRET_HEADER: WEBHOOK_SECRET},
                    )
                    response.raise_for_status()
                    break
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    if attempt == 2:
                        raise

    poster = asyncio.gather(*(post(k) for k in range(updates)))
    replies: list[dict[str, Any]] = []
    deadline = time.monotonic() + float(os.environ.get("BENCH_REPLY_TIMEOUT", "600"))
    other: list[str] = []
    while len(replies) < updates and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        for r in await api.new_calls("sendMessage"):
            if "年度学习进度" in r["params"]["text"]:
                replies.append(r)
            else:
                other.append(r["params"]["text"][:80])
    if other:
        print(f"  ({len(other)} other replies, e.g. {other[0]!r})", file=sys.stderr)
    await poster
    if len(replies) < updates:
        raise RuntimeError(f"only {len(replies)} of {updates} replies arrived")
    # the fake server stamps its calls with time.monotonic() too (same machine, same clock)
    offset = 0.0
    seen: dict[int, int] = {}
    latencies = []
    for r in replies:
        user = int(r["params"]["chat_id"])
        k = seen.get(user, 0)
        seen[user] = k + 1
        if k < len(posted.get(user, [])):
            latencies.append(max(0.0, r["at"] - (posted[user][k] + offset)))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = [
        asyncio.run(run_once(k, args.users, args.updates, args.in_flight)) for k in args.workers
    ]
    base = results[0]["updates_per_s"]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"{'workers':>7} {'updates/s':>10} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8}  CPU share")
    for r in results:
        shares = ", ".join(f"{k} {v:.0%}" for k, v in r["cpu_share_of_2_cores"].items())
        print(
            f"{r['workers']:>7} {r['updates_per_s']:>10} {r['updates_per_s'] / base:>6.2f} "
            f"{r['p50_ms']:>8} {r['p99_ms']:>8}  {shares}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
