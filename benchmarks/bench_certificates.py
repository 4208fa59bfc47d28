"""Benchmark: certificate issuing, and everyone else's latency while certificates render.

Measures, on a fresh migrated database (SQLite by default) with generated complete people:

  A  bare     one WeasyPrint render of the ce template with the same data, in this process
              (`render_pdf_sync`): the least work a certificate needs;
  B  issue    `services.certificates.issue_certificate` end to end for a new person: eligibility
              from the rules core, number, frozen data, audit, render in the process pool, PDF
              written; median over distinct people (each person is issued once);
  C  idle     p99 latency of "my progress" (`services.progress.year_evaluation` in its own
              transaction) for simulated users polling, with nothing else running;
  D  loaded   the same p99 while ten certificates are issued at once (process pool);
  E  threads  the same p99 while ten renders run in a thread pool instead, to show why the
              process pool is used (WeasyPrint holds the GIL).

and reports B/A (aim: at most 1.2) and D/C (aim: at most 2).

    python benchmarks/bench_certificates.py [--repeat 15] [--users 10] [--interval 0.05]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench] [--json out.json]

Nothing here imports from tests/: the AppContext is built below.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without an editable install
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from core.idnumber import make_id_number  # noqa: E402
from services.certificate_render import (  # noqa: E402
    render_niceness,
    render_pdf_sync,
    render_workers,
    shutdown_renderer,
    warm_up_renderer,
)
from services.certificates import (  # noqa: E402
    CertificateKind,
    issue_certificate,
    verification_url,
)
from services.context import AppContext  # noqa: E402
from services.imports import import_hours  # noqa: E402
from services.pii import IdProtector  # noqa: E402
from services.policies import PolicyBook  # noqa: E402
from services.progress import year_evaluation  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Person  # noqa: E402

YEAR = 2024
SECRET = b"benchmark-secret-not-for-production"
NOW = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
ISSUE_RATIO_AIM = 1.2
LATENCY_RATIO_AIM = 2.0
CONCURRENT_RENDERS = 10


def machine_info(ctx: AppContext) -> dict[str, Any]:
    import weasyprint

    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "weasyprint": weasyprint.__version__,
        "database": ctx.db.dialect,
        "render_workers": render_workers(),
        "render_niceness": render_niceness(),
    }


def write_people(path: Path, count: int) -> list[str]:
    """Complete people: 15 + 10 public hours and 65 professional (two imported courses)."""
    ids = [
        make_id_number("450103", date(1980 + i % 20, 1 + i % 12, 1 + i % 28), i)
        for i in range(count)
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["身份证号", "姓名", "年度", "科目", "课程编号", "课程名称", "学时", "完成日期"])
        for i, id_number in enumerate(ids):
            name = f"测试{i:04d}"
            w.writerow([id_number, name, YEAR, "公需必修", "BX", "必修课", 15, "2024-05-01"])
            w.writerow([id_number, name, YEAR, "公需选修", "XX", "选修课", 10, "2024-06-01"])
            w.writerow([id_number, name, YEAR, "专业科目", "ZY1", "专业课一", 35, "2024-07-01"])
            w.writerow([id_number, name, YEAR, "专业科目", "ZY2", "专业课二", 30, "2024-08-01"])
    return ids


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def progress_latencies(
    ctx: AppContext, person_ids: list[int], users: int, interval: float, until: Callable[[], bool]
) -> list[float]:
    """`users` simulated people, each asking for their progress every `interval` seconds."""
    policy = ctx.policies[YEAR]
    latencies: list[float] = []

    async def user(pid: int) -> None:
        while not until():
            started = time.perf_counter()
            async with ctx.db.transaction() as session:
                await year_evaluation(session, policy, pid)
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(interval)

    await asyncio.gather(*(user(person_ids[i % len(person_ids)]) for i in range(users)))
    return latencies


async def measure_while(
    ctx: AppContext,
    person_ids: list[int],
    users: int,
    interval: float,
    load: Callable[[], Awaitable[Any]] | None,
    idle_seconds: float,
) -> tuple[list[float], float]:
    done = False
    started = time.perf_counter()

    def until() -> bool:
        return done

    async def run_load() -> None:
        nonlocal done
        if load is None:
            await asyncio.sleep(idle_seconds)
        else:
            await load()
        done = True

    latencies, _ = await asyncio.gather(
        progress_latencies(ctx, person_ids, users, interval, until), run_load()
    )
    return latencies, time.perf_counter() - started


async def bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    upgrade(url)
    ctx = AppContext(
        db=Database(url),
        policies=PolicyBook.load(),
        ids=IdProtector(SECRET),
        data_dir=workdir / "data",
        public_url="https://ce.example.cn",
        clock=lambda: NOW,
    )
    info = machine_info(ctx)
    people_needed = args.repeat + 2 * CONCURRENT_RENDERS + args.users + 2
    csv_path = workdir / "people.csv"
    ids = write_people(csv_path, people_needed)
    await import_hours(ctx, csv_path, source="bench", actor="bench")
    async with ctx.db.transaction() as session:
        by_hash = {
            h: pid for pid, h in (await session.execute(select(Person.id, Person.id_hash))).all()
        }
    pids = [by_hash[ctx.ids.lookup_hash(i)] for i in ids]
    issue_pids, load_pids, thread_pids, poll_pids = (
        pids[: args.repeat + 1],
        pids[args.repeat + 1 : args.repeat + 1 + CONCURRENT_RENDERS],
        pids[args.repeat + 1 + CONCURRENT_RENDERS : args.repeat + 1 + 2 * CONCURRENT_RENDERS],
        pids[args.repeat + 1 + 2 * CONCURRENT_RENDERS :],
    )

    await warm_up_renderer()
    # one untimed issue: the pool's workers, the database and the templates are warm after it
    sample = await issue_certificate(ctx, issue_pids[0], YEAR, CertificateKind.CE)
    data, number = sample.data, sample.number
    url_text = verification_url(ctx, number)

    # A and B interleaved, so that both see the same machine (a shared machine's load drifts):
    # A a bare render in this process, B an issue end to end for a new person each time
    render_pdf_sync("ce", data, number=number, verification_url=url_text)  # warm, untimed
    bare, issue = [], []
    for pid in issue_pids[1:]:
        t0 = time.perf_counter()
        render_pdf_sync("ce", data, number=number, verification_url=url_text)
        bare.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        view = await issue_certificate(ctx, pid, YEAR, CertificateKind.CE)
        issue.append(time.perf_counter() - t0)
        assert view.created and view.file_path is not None and view.file_path.exists()

    # C: idle p99
    idle, idle_span = await measure_while(
        ctx, poll_pids, args.users, args.interval, None, args.idle_seconds
    )

    # D: p99 while ten certificates are issued at once
    async def ten_issues() -> None:
        await asyncio.gather(
            *(issue_certificate(ctx, pid, YEAR, CertificateKind.CE) for pid in load_pids)
        )

    loaded, loaded_span = await measure_while(
        ctx, poll_pids, args.users, args.interval, ten_issues, 0
    )

    # E: the alternative, ten renders in a thread pool of the same size
    loop = asyncio.get_running_loop()
    threads = ThreadPoolExecutor(max_workers=render_workers())

    async def ten_thread_renders() -> None:
        await asyncio.gather(
            *(
                loop.run_in_executor(
                    threads,
                    lambda: render_pdf_sync("ce", data, number=number, verification_url=url_text),
                )
                for _ in thread_pids
            )
        )

    threaded, threaded_span = await measure_while(
        ctx, poll_pids, args.users, args.interval, ten_thread_renders, 0
    )
    threads.shutdown()
    await ctx.db.dispose()
    shutdown_renderer()

    bare_median = statistics.median(bare)
    issue_median = statistics.median(issue)
    idle_p99, loaded_p99, threaded_p99 = pct(idle, 0.99), pct(loaded, 0.99), pct(threaded, 0.99)
    return {
        "machine": info,
        "repeat": args.repeat,
        "users": args.users,
        "interval_s": args.interval,
        "bare_render_median_s": bare_median,
        "issue_median_s": issue_median,
        "issue_ratio": issue_median / bare_median,
        "idle_p99_s": idle_p99,
        "idle_samples": len(idle),
        "idle_span_s": idle_span,
        "loaded_p99_s": loaded_p99,
        "loaded_samples": len(loaded),
        "loaded_span_s": loaded_span,
        "latency_ratio": loaded_p99 / idle_p99,
        "threads_p99_s": threaded_p99,
        "threads_samples": len(threaded),
        "threads_span_s": threaded_span,
        "threads_latency_ratio": threaded_p99 / idle_p99,
        "idle_median_s": statistics.median(idle),
        "loaded_median_s": statistics.median(loaded),
        "threads_median_s": statistics.median(threaded),
    }


def print_table(r: dict[str, Any]) -> None:
    m = r["machine"]
    print(
        f"machine: {m['cpu']} · {m['cpus']} CPUs · {m['platform']} · Python {m['python']} · "
        f"WeasyPrint {m['weasyprint']} · {m['database']} · render workers {m['render_workers']} "
        f"(niceness {m['render_niceness']}) · load average at start {m['load_average']}"
    )
    ms = 1000.0
    rows = [
        ("A  bare WeasyPrint render (median)", r["bare_render_median_s"] * ms, ""),
        (
            "B  issue_certificate end to end (median)",
            r["issue_median_s"] * ms,
            f"B/A = {r['issue_ratio']:.2f}  (aim <= {ISSUE_RATIO_AIM})",
        ),
        (
            f"C  my-progress p99, idle ({r['idle_samples']} queries)",
            r["idle_p99_s"] * ms,
            f"median {r['idle_median_s'] * ms:.1f} ms",
        ),
        (
            f"D  my-progress p99, {CONCURRENT_RENDERS} issues at once, process pool "
            f"({r['loaded_samples']} q, {r['loaded_span_s']:.1f} s)",
            r["loaded_p99_s"] * ms,
            f"D/C = {r['latency_ratio']:.2f}  (aim <= {LATENCY_RATIO_AIM})",
        ),
        (
            f"E  my-progress p99, {CONCURRENT_RENDERS} renders in threads instead "
            f"({r['threads_samples']} q, {r['threads_span_s']:.1f} s)",
            r["threads_p99_s"] * ms,
            f"E/C = {r['threads_latency_ratio']:.2f}  (for comparison)",
        ),
    ]
    width = max(len(label) for label, _, _ in rows)
    print(f"{'measurement'.ljust(width)}  {'ms':>9}  ratio")
    for label, value, note in rows:
        print(f"{label.ljust(width)}  {value:9.1f}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="renders and issues to time")
    parser.add_argument("--users", type=int, default=10, help="simulated users polling progress")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between polls")
    parser.add_argument("--idle-seconds", type=float, default=6.0)
    parser.add_argument("--database-url", default=None, help="an empty database (default SQLite)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cebot-bench-cert-") as tmp:
        result = asyncio.run(bench(args, Path(tmp)))
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
