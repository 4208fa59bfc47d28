"""Benchmark: reports on a synthetic province on PostgreSQL.

  1  generate   units, people (one unit of --unit-size people, the rest ~1,000 a unit), bound
                accounts, 2023 and 2024 hour records, pending claims of various ages, reviewers
                and their decisions, with INSERT … SELECT generate_series (no Python loop);
  2  unit       services.reports.unit_report for the big unit, as its reviewer (one grouped
                query plus core evaluations in Python), then its XLSX. Aim: under 2 s;
  3  remind     remind_members for the big unit (one outbox row per member who needs one);
  4  province   services.reports.province_stats for everyone, as an administrator (grouped
                SQL), then the XLSX and the PNG chart. Aim: under 30 s.

    python benchmarks/bench_reports.py [--people 1000000] [--unit-size 5000] [--repeat 3]
        [--url postgresql://postgres@127.0.0.1:5432/postgres] [--keep] [--json out.json]

A throw-away database is created next to --url's and dropped at the end (unless --keep).
A 2023 policy is derived from the shipped 2024 one (dates moved a year back), so that last
year's completion is read too. Nothing here imports from tests/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without an editable install
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from services.context import AppContext  # noqa: E402
from services.pii import IdProtector  # noqa: E402
from services.policies import PolicyBook  # noqa: E402
from services.reports import (  # noqa: E402
    completion_chart_png,
    province_stats,
    remind_members,
    stats_xlsx,
    unit_report,
    unit_report_xlsx,
)
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 11, 20, 10, tzinfo=SHANGHAI).astimezone(UTC)
CITIES = ["南宁", "柳州", "桂林", "梧州", "北海", "防城港", "钦州", "贵港", "玉林", "百色",
          "贺州", "河池", "来宾", "崇左"]  # fmt: skip
UNIT_AIM, PROVINCE_AIM = 2.0, 30.0


def machine() -> dict[str, Any]:
    model, mem_gb = "?", 0.0
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
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_gb, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# --------------------------------------------------------------------------- generation


def generate(url: str, people: int, unit_size: int) -> dict[str, float]:
    """Unit 1 is the big unit (people 1..unit_size); the others hold ~1,000 each. Shares:
    60 % passed the mandatory exam, 40 % did the electives, 70 % have imported professional
    hours (30 % enough), 10 % an approved claim with a reviewer's decision 0-19 days ago,
    20 % a pending claim 0-29 days old; half have 2023 records."""
    units = 1 + max(1, (people - unit_size) // 1000)
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    now = "TIMESTAMPTZ '2024-11-20 02:00:00+00'"
    cities = "ARRAY[" + ", ".join(f"'{c}'" for c in CITIES) + "]"
    unit_of = f"CASE WHEN i <= {unit_size} THEN 1 ELSE 2 + (i / 10) % {units - 1} END"
    steps = {
        "units": f"""INSERT INTO units (id, code, name, city, created_at)
            SELECT u, 'G' || lpad(u::text, 17, '0'), '单位' || u, ({cities})[1 + u % {len(CITIES)}],
                   {now}
            FROM generate_series(1, {units}) u""",
        "people": f"""INSERT INTO people (id, id_hash, id_cipher, id_masked, name, unit_id,
                unit_confirmed, created_at, updated_at)
            SELECT i, md5(i::text), 'x', '4501**********' || lpad((i % 10000)::text, 4, '0'),
                   '人' || i, {unit_of}, true, {now}, {now}
            FROM generate_series(1, {people}) i""",
        "accounts": f"""INSERT INTO accounts (id, channel, external_id, person_id, language,
                muted_optional, unreachable_at, failed_attempts, created_at)
            SELECT i, 'telegram', (100000000 + i)::text, i, 'zh', false,
                   CASE WHEN i % 100 = 3 THEN {now} END, 0, {now}
            FROM generate_series(1, {people}) i WHERE i % 10 <> 9""",
        "hours": f"""INSERT INTO hour_records (person_id, year, subject, origin, dedup_key,
                unit_id, title, completed_on, hours, status, created_at, version)
            SELECT i, 2024, 'public_mandatory', 'exam', 'public_mandatory:2024', {unit_of},
                   '必修课', DATE '2024-06-01', 30, 'credited', {now}, 1
            FROM generate_series(1, {people}) i WHERE i % 10 < 6
            UNION ALL
            SELECT i, 2024, 'public_elective', 'electives', 'public_elective:2024', {unit_of},
                   '选修课', DATE '2024-06-01', 20, 'credited', {now}, 1
            FROM generate_series(1, {people}) i WHERE i % 5 < 2
            UNION ALL
            SELECT i, 2024, 'professional', 'import', 'imp:' || i, {unit_of},
                   '专业课', DATE '2024-07-01', CASE WHEN i % 10 < 3 THEN 160 ELSE 40 END,
                   'imported', {now}, 1
            FROM generate_series(1, {people}) i WHERE i % 10 < 7
            UNION ALL
            SELECT i, 2024, 'professional', 'claim', 'claim-ok:' || i, {unit_of},
                   '申报', DATE '2024-08-01', 40, 'approved', {now}, 1
            FROM generate_series(1, {people}) i WHERE i % 10 = 4
            UNION ALL
            SELECT i, 2024, 'professional', 'claim', 'claim:' || i, {unit_of},
                   '申报', DATE '2024-08-01', 16, 'pending',
                   {now} - (i % 30) * INTERVAL '1 day', 1
            FROM generate_series(1, {people}) i WHERE i % 5 = 1
            UNION ALL
            SELECT i, 2023, 'professional', 'import', 'imp2023:' || i, {unit_of},
                   '专业课', DATE '2023-07-01', CASE WHEN i % 4 = 0 THEN 180 ELSE 60 END,
                   'imported', {now}, 1
            FROM generate_series(1, {people}) i WHERE i % 2 = 0""",
        "reviewers": f"""WITH acc AS (
                INSERT INTO accounts (id, channel, external_id, language, muted_optional,
                    failed_attempts, display_name, created_at)
                SELECT {people} + u, 'telegram', (900000000 + u)::text, 'zh', false, 0,
                       '审验人' || u, {now}
                FROM generate_series(1, {units}) u RETURNING id)
            INSERT INTO roles (account_id, role, unit_id, granted_at, granted_by)
            SELECT id, 'reviewer', id - {people}, {now}, 'bench' FROM acc""",
        "admin": f"""WITH acc AS (
                INSERT INTO accounts (id, channel, external_id, language, muted_optional,
                    failed_attempts, created_at)
                VALUES ({people} + {units} + 1, 'telegram', '999999999', 'zh', false, 0, {now})
                RETURNING id)
            INSERT INTO roles (account_id, role, granted_at, granted_by)
            SELECT id, 'admin', {now}, 'bench' FROM acc""",
        "reviews": f"""INSERT INTO reviews (record_id, account_id, decision, created_at)
            SELECT h.id, {people} + h.unit_id, 'approve',
                   {now} - (h.person_id % 20) * INTERVAL '1 day'
            FROM hour_records h WHERE h.origin = 'claim' AND h.status = 'approved'
              AND h.unit_id % 3 <> 0""",
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
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("units", "people", "hour_records", "reviews")
        }
    engine.dispose()
    print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
    return timings


# --------------------------------------------------------------------------- timing


def _policies() -> PolicyBook:
    p24 = PolicyBook.load()[2024]
    p23 = replace(
        p24,
        year=2023,
        public_deadline=date(2023, 12, 31),
        makeup_until=date(2024, 6, 30),
        registration_deadline=date(2024, 3, 31),
        verification_deadline=date(2024, 3, 31),
    )
    return PolicyBook({2023: p23, 2024: p24}, {})


async def timed(args: argparse.Namespace, url: str) -> dict[str, Any]:
    people, units = args.people, 1 + max(1, (args.people - args.unit_size) // 1000)
    reviewer, admin = people + 1, people + units + 1
    folder = Path(tempfile.mkdtemp(prefix="cebot-bench-reports-"))
    ctx = AppContext(
        db=Database(url),
        policies=_policies(),
        ids=IdProtector(b"bench-secret"),
        data_dir=folder,
        clock=lambda: NOW,
    )
    out: dict[str, Any] = {}
    try:
        unit_times: list[float] = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            report = await unit_report(ctx, 2024, unit=1, by=reviewer)
            unit_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await asyncio.to_thread(unit_report_xlsx, report, folder / "unit.xlsx")
        xlsx_unit = time.perf_counter() - t0
        out["unit"] = {
            "members": len(report.members),
            "complete": report.complete_count,
            "still_needed": len(report.still_needed()),
            "report_seconds": [round(x, 3) for x in unit_times],
            "report_median": round(statistics.median(unit_times), 3),
            "xlsx_seconds": round(xlsx_unit, 3),
            "xlsx_bytes": (folder / "unit.xlsx").stat().st_size,
        }
        print(
            f"  unit report ({len(report.members):,} members): median "
            f"{out['unit']['report_median']:.3f} s of {out['unit']['report_seconds']}; "
            f"XLSX {xlsx_unit:.3f} s",
            flush=True,
        )
        t0 = time.perf_counter()
        reminded = await remind_members(ctx, 2024, unit=1, by=reviewer)
        out["remind"] = {
            "queued": reminded.queued,
            "needing": reminded.needing,
            "seconds": round(time.perf_counter() - t0, 3),
        }
        print(
            f"  remind: {reminded.queued:,} rows for {reminded.needing:,} members in "
            f"{out['remind']['seconds']:.3f} s",
            flush=True,
        )
        stats_times: list[float] = []
        for _ in range(max(1, args.repeat - 1)):
            t0 = time.perf_counter()
            stats = await province_stats(ctx, 2024, by=admin)
            stats_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await asyncio.to_thread(stats_xlsx, stats, folder / "stats.xlsx")
        xlsx_stats = time.perf_counter() - t0
        t0 = time.perf_counter()
        await asyncio.to_thread(completion_chart_png, stats, folder / "chart.png")
        chart = time.perf_counter() - t0
        out["province"] = {
            "people": stats.total.people,
            "complete": stats.total.complete,
            "units": len(stats.units),
            "pending_claims": stats.pending_claims,
            "idle_units": len(stats.idle_units),
            "stats_seconds": [round(x, 3) for x in stats_times],
            "stats_median": round(statistics.median(stats_times), 3),
            "xlsx_seconds": round(xlsx_stats, 3),
            "chart_seconds": round(chart, 3),
        }
        print(
            f"  province statistics ({stats.total.people:,} people, {len(stats.units):,} units, "
            f"{stats.pending_claims:,} pending claims, {len(stats.idle_units)} idle units): "
            f"median {out['province']['stats_median']:.3f} s of {out['province']['stats_seconds']}"
            f"; XLSX {xlsx_stats:.3f} s; chart {chart:.3f} s",
            flush=True,
        )
    finally:
        await ctx.db.dispose()
    return out


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--unit-size", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "CEBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.unit_size >= args.people:
        parser.error("--unit-size must be smaller than --people")

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
        gen = generate(url, args.people, args.unit_size)
        results["generate_seconds"] = {k: round(v, 2) for k, v in gen.items()}
        print("  " + ", ".join(f"{k} {v:.1f} s" for k, v in gen.items()), flush=True)
        print("timing:", flush=True)
        results.update(asyncio.run(timed(args, url)))
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    unit, province = results["unit"]["report_median"], results["province"]["stats_median"]
    print(
        f"unit report, {results['unit']['members']:,} members: {unit:.3f} s "
        f"(aim < {UNIT_AIM:g} s: {'met' if unit < UNIT_AIM else 'NOT met'})"
    )
    print(
        f"province statistics, {results['province']['people']:,} people: {province:.3f} s "
        f"(aim < {PROVINCE_AIM:g} s: {'met' if province < PROVINCE_AIM else 'NOT met'})"
    )
    print(f"load average at the end: {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
