"""Benchmark: importing hour rows with cebot's importer against a plain bulk insert.

Measures, on SQLite, on the same generated CSV:

  A  cebot   `services.imports.import_hours` end to end (read CSV, validate every row, hash and
             create people, look up dedup keys, insert hour_records), on a fresh migrated file;
  A2 again   the same file imported a second time (idempotent: adds nothing);
  B  plain   the CSV read with csv.reader and its 8 columns inserted with one stdlib sqlite3
             executemany into a plain table, in one transaction, with no validation;
  C  core    the importer's prepared hour_records rows (people already there, untimed)
             inserted with SQLAlchemy Core `insert(HourRecord)` executemany in one transaction:
             the least database work the importer itself has to do;
  U  organiser the file as an organiser sends it to the bot: `services.organiser_upload`
             save_upload, preview_upload (every row checked, nothing written) and
             confirm_upload (import_hours with the role's source, people told, duplicates of
             claims flagged), on a fresh database with an organiser account (issue 5);
  D  (diagnostic) the same rows, converted to what SQLite stores, with one stdlib sqlite3
             executemany into the real hour_records table (its indexes and foreign keys).

and reports A/B and A/C (and A2/B, C/B, D/B, U/B, U/A). The project's aim is A under 3x B.
Each of the `--repeat` rounds runs A, B, C, D and U once, so a burst of load elsewhere hits
all of them.

    python benchmarks/bench_import_hours.py [--rows 100000] [--people 25000] [--repeat 3]
        [--public-share 0.05] [--seed N] [--json out.json] [--profile [out.prof]] [--keep]

Nothing here imports from tests/: the AppContext is built below.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import csv
import json
import os
import platform
import pstats
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without an editable install
    sys.path.insert(0, str(ROOT))

import sqlalchemy  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from core.idnumber import make_id_number  # noqa: E402
from core.records import dedup_key, parse_subject  # noqa: E402
from core.rules import RecordStatus  # noqa: E402
from services.context import AppContext  # noqa: E402
from services.imports import import_hours  # noqa: E402
from services.organiser_upload import (  # noqa: E402
    confirm_upload,
    preview_upload,
    save_upload,
)
from services.pii import IdProtector  # noqa: E402
from services.policies import PolicyBook  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Account, HourRecord, ImportBatch, Person, Role  # noqa: E402

HEADER = [
    "id_number",
    "name",
    "year",
    "subject",
    "course_code",
    "course_title",
    "hours",
    "completed_on",
]
YEAR = 2024
SOURCE = "bench-organiser"
SECRET = b"benchmark-secret-not-for-production"
# 10:00 in Shanghai, after the year: every 2024 date and every birth date is in the past
NOW = datetime(2025, 1, 15, 2, 0, tzinfo=UTC)
TARGET_RATIO = 3.0

LABELS = {
    "A_cebot_import": "A  cebot import_hours",
    "A2_cebot_reimport": "A2 cebot re-import (adds 0)",
    "B_plain_sqlite3": "B  plain csv + sqlite3 executemany",
    "C_sqlalchemy_core": "C  Core insert(HourRecord) executemany",
    "D_sqlite3_real_table": "D  sqlite3 executemany, real table",
    "U_organiser_upload": "U  organiser upload: preview + confirm",
    "P_upload_preview": "P  (part of U) the preview alone",
}
RATIOS = {
    "A/B": ("A_cebot_import", "B_plain_sqlite3"),
    "A/C": ("A_cebot_import", "C_sqlalchemy_core"),
    "A2/B": ("A2_cebot_reimport", "B_plain_sqlite3"),
    "C/B": ("C_sqlalchemy_core", "B_plain_sqlite3"),
    "D/B": ("D_sqlite3_real_table", "B_plain_sqlite3"),
    "U/B": ("U_organiser_upload", "B_plain_sqlite3"),
    "U/A": ("U_organiser_upload", "A_cebot_import"),
}

REGIONS = ("450102", "450103", "450105", "450203", "450302", "450403", "450502", "450602")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐韦覃蒙陆莫"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玲红梅兰宁海波"
TITLES = (
    "建筑工程新技术应用",
    "临床护理规范",
    "财务会计实务",
    "中小学教学设计",
    "农业技术推广",
    "电子信息工程进展",
    "安全生产管理",
    "水利工程质量控制",
)


# ------------------------------------------------------------------------------- data


def generate_csv(path: Path, rows: int, people: int, public_share: float, seed: int) -> int:
    """Write the CSV; returns how many rows are public_mandatory.

    Every person has at least one row and one name; a professional row's course code is unique
    per person (so no two rows share a dedup key); a person has at most one public_mandatory
    row (exactly 15 hours, the 2024 policy's figure)."""
    if people > rows:
        raise SystemExit("--people must not exceed --rows")
    rng = random.Random(seed)
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < people:
        birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 40 * 365))
        number = make_id_number(rng.choice(REGIONS), birth, rng.randrange(0, 1000))
        if number not in seen:
            seen.add(number)
            ids.append(number)
    names = [rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))) for _ in ids]

    owners = list(range(people)) + [rng.randrange(people) for _ in range(rows - people)]
    rng.shuffle(owners)
    n_public = min(people, round(rows * public_share))
    public_people = set(rng.sample(range(people), n_public))

    counters = [0] * people
    start = date(YEAR, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for p in owners:
            done = (start + timedelta(days=rng.randrange(0, 366))).isoformat()
            if p in public_people:
                public_people.discard(p)
                writer.writerow(
                    [ids[p], names[p], YEAR, "public_mandatory", "", "公需科目必修课", "15", done]
                )
                continue
            counters[p] += 1
            halves = rng.randint(1, 80)  # 0.5 .. 40 hours
            hours = str(halves // 2) if halves % 2 == 0 else f"{halves // 2}.5"
            writer.writerow(
                [
                    ids[p],
                    names[p],
                    YEAR,
                    "professional",
                    f"C{p:05d}-{counters[p]:03d}",
                    rng.choice(TITLES),
                    hours,
                    done,
                ]
            )
    return n_public


def make_context(url: str, data_dir: Path) -> AppContext:
    return AppContext(
        db=Database(url),
        policies=PolicyBook.load(),
        ids=IdProtector(SECRET),
        data_dir=data_dir,
        clock=lambda: NOW,
    )


def fresh_db(template: Path, directory: Path, name: str) -> Path:
    """A copy of the migrated template (migrating once is enough; a copy is the same file)."""
    path = directory / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, path)
    return path


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# ------------------------------------------------------------------------------- runs


async def run_cebot(
    template: Path, work: Path, csv_path: Path, n_rows: int, n_people: int
) -> tuple[float, float]:
    """Run A and A2 on a fresh database; checks the result; returns both times."""
    db_path = fresh_db(template, work, "cebot")
    ctx = make_context(f"sqlite:///{db_path}", work / "data")
    try:
        t0 = time.perf_counter()
        first = await import_hours(ctx, csv_path, source=SOURCE)
        t1 = time.perf_counter()
        second = await import_hours(ctx, csv_path, source=SOURCE)
        t2 = time.perf_counter()
    finally:
        await ctx.db.dispose()
    assert (first.rows, first.added, first.people_created) == (n_rows, n_rows, n_people), first
    assert (second.rows, second.added, second.unchanged, second.people_created) == (
        n_rows,
        0,
        n_rows,
        0,
    ), second
    assert count(db_path, "hour_records") == n_rows
    assert count(db_path, "people") == n_people
    assert count(db_path, "import_batches") == 2
    return t1 - t0, t2 - t1


async def run_upload(
    template: Path, work: Path, csv_path: Path, n_rows: int, n_people: int
) -> tuple[float, float]:
    """Run U on a fresh database: an organiser account (set up untimed), then the bot's path
    for a file it receives. Returns (whole upload, preview part)."""
    db_path = fresh_db(template, work, "upload")
    ctx = make_context(f"sqlite:///{db_path}", work / "data")
    try:
        async with ctx.db.transaction() as s:
            account = Account(channel="telegram", external_id="900001", created_at=NOW)
            s.add(account)
            await s.flush()
            s.add(
                Role(
                    account_id=account.id,
                    role="organiser",
                    source=SOURCE,
                    granted_at=NOW,
                    granted_by="bench",
                )
            )
            organiser = account.id
        t0 = time.perf_counter()
        saved = save_upload(ctx, csv_path.read_bytes(), ".csv")
        preview = await preview_upload(ctx, organiser, saved)
        t1 = time.perf_counter()
        assert preview.ok and preview.rows == n_rows, preview.problems[:3]
        done = await confirm_upload(ctx, organiser, saved, expected_sha256=preview.sha256)
        t2 = time.perf_counter()
    finally:
        await ctx.db.dispose()
    assert (done.result.rows, done.result.added, done.result.people_created) == (
        n_rows,
        n_rows,
        n_people,
    ), done.result
    assert count(db_path, "hour_records") == n_rows
    return t2 - t0, t1 - t0


def run_plain(template: Path, work: Path, csv_path: Path, n_rows: int) -> float:
    """Baseline B: csv.reader + one sqlite3 executemany, one transaction, no validation."""
    db_path = fresh_db(template, work, "plain")
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        # the same pragmas cebot's engine sets on every connection
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE plain_hours (id_number TEXT, name TEXT, year TEXT, subject TEXT,"
            " course_code TEXT, course_title TEXT, hours TEXT, completed_on TEXT)"
        )
        t0 = time.perf_counter()
        with csv_path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO plain_hours VALUES (?, ?, ?, ?, ?, ?, ?, ?)", reader)
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - t0
    finally:
        conn.close()
    assert count(db_path, "plain_hours") == n_rows
    return elapsed


def read_rows(csv_path: Path) -> list[list[str]]:
    with csv_path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        return list(reader)


async def prepare_records(ctx: AppContext, csv_path: Path, n_rows: int) -> list[dict[str, Any]]:
    """Untimed set-up of C and D: the people and the import batch inserted, then the
    hour_records dicts built exactly as the importer builds them."""
    rows = read_rows(csv_path)
    people = {r[0]: r[1] for r in rows}
    hashes = {i: ctx.ids.lookup_hash(i) for i in people}
    async with ctx.db.engine.begin() as conn:
        await conn.execute(
            insert(Person),
            [
                {
                    "id_hash": hashes[i],
                    "id_cipher": ctx.ids.encrypt(i),
                    "id_masked": i[:4] + "*" * 10 + i[-4:],
                    "name": name,
                    "unit_id": None,
                    "unit_confirmed": True,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i, name in people.items()
            ],
        )
        batch = insert(ImportBatch).values(
            kind="hours",
            source=SOURCE,
            filename=csv_path.name,
            sha256="0" * 64,
            rows=n_rows,
            added=0,
            actor="bench",
            created_at=NOW,
        )
        batch_id = (await conn.execute(batch.returning(ImportBatch.id))).scalar_one()
        result = await conn.execute(select(Person.id_hash, Person.id))
        ids = {h: pid for h, pid in result.all()}
    records = []
    for id_number, _name, year, subject_text, code, title, hours, done in rows:
        subject = parse_subject(subject_text)
        assert subject is not None
        completed_on = date.fromisoformat(done)
        key = dedup_key(
            subject, int(year), source=SOURCE, course_code=code, completed_on=completed_on
        )
        records.append(
            {
                "person_id": ids[hashes[id_number]],
                "year": int(year),
                "subject": subject.value,
                "origin": "import",
                "source": SOURCE,
                "dedup_key": key,
                "unit_id": None,
                "category": None,
                "course_code": code or None,
                "title": title,
                "organiser": SOURCE,
                "started_on": None,
                "completed_on": completed_on,
                "hours": Fraction(hours),
                "status": RecordStatus.IMPORTED.value,
                "batch_id": batch_id,
                "created_at": NOW,
                "version": 1,
            }
        )
    return records


async def run_core(template: Path, work: Path, csv_path: Path, n_rows: int) -> float:
    """Baseline C: the prepared hour_records dicts with one SQLAlchemy Core executemany
    (cebot's own engine: aiosqlite, its pragmas, its column types), in one transaction."""
    db_path = fresh_db(template, work, "core")
    ctx = make_context(f"sqlite:///{db_path}", work / "data")
    try:
        records = await prepare_records(ctx, csv_path, n_rows)
        async with ctx.db.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")  # connection opened before the clock starts
            await conn.commit()
            t0 = time.perf_counter()
            async with conn.begin():
                await conn.execute(insert(HourRecord), records)
            elapsed = time.perf_counter() - t0
    finally:
        await ctx.db.dispose()
    assert count(db_path, "hour_records") == n_rows
    return elapsed


async def run_raw_schema(template: Path, work: Path, csv_path: Path, n_rows: int) -> float:
    """Diagnostic D: the same rows, already converted to what SQLite stores (ISO dates, naive
    UTC datetimes, whole half-hours), with one stdlib sqlite3 executemany into the real
    hour_records table (its indexes, unique key and foreign keys). C minus D is what
    SQLAlchemy and aiosqlite add; D minus B is what the real schema costs."""
    db_path = fresh_db(template, work, "raw")
    ctx = make_context(f"sqlite:///{db_path}", work / "data")
    try:
        records = await prepare_records(ctx, csv_path, n_rows)
    finally:
        await ctx.db.dispose()
    columns = list(records[0])
    created = NOW.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's form
    converters: dict[str, Callable[[Any], Any]] = {
        "completed_on": lambda d: d.isoformat(),
        "hours": lambda h: int(h * 2),
        "created_at": lambda _dt: created,
    }
    tuples = [
        tuple(converters[c](r[c]) if c in converters else r[c] for c in columns) for r in records
    ]
    sql = (
        f"INSERT INTO hour_records ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        t0 = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(sql, tuples)
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - t0
    finally:
        conn.close()
    assert count(db_path, "hour_records") == n_rows
    return elapsed


async def profile_cebot(template: Path, work: Path, csv_path: Path, out: Path | None) -> str:
    """One run A under cProfile. aiosqlite runs SQLite in its own thread, which cProfile does
    not see: database time shows up as the event loop waiting (select/epoll)."""
    db_path = fresh_db(template, work, "profile")
    ctx = make_context(f"sqlite:///{db_path}", work / "data")
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        await import_hours(ctx, csv_path, source=SOURCE)
        profiler.disable()
    finally:
        await ctx.db.dispose()
    if out is not None:
        profiler.dump_stats(out)
    lines = []
    for key in ("cumulative", "tottime"):
        buffer = _Buffer()
        stats = pstats.Stats(profiler, stream=buffer)
        stats.strip_dirs().sort_stats(key).print_stats(30)
        lines.append(f"--- sorted by {key} ---\n{buffer.text}")
    return "\n".join(lines)


class _Buffer:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


# ------------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import aiosqlite

        aiosqlite_version = aiosqlite.__version__
    except (ImportError, AttributeError):
        aiosqlite_version = "unknown"
    return {
        "nproc": os.process_cpu_count() if hasattr(os, "process_cpu_count") else os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "aiosqlite": aiosqlite_version,
        "cpu": cpu,
        "platform": platform.platform(),
    }


def summary(times: list[float], rows: int) -> dict[str, Any]:
    median = statistics.median(times)
    best = min(times)
    return {
        "runs_s": [round(t, 4) for t in times],
        "median_s": round(median, 4),
        "min_s": round(best, 4),
        "median_rows_per_s": round(rows / median),
        "max_rows_per_s": round(rows / best),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=25_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--public-share",
        type=float,
        default=0.05,
        help="share of rows that are public_mandatory (one per person at most)",
    )
    parser.add_argument("--seed", type=int, default=20241)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="",
        default=None,
        metavar="OUT.prof",
        help="also profile one cebot run with cProfile (and dump it to OUT.prof)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="cebot-bench-"))
    try:
        csv_path = work / "hours.csv"
        t0 = time.perf_counter()
        n_public = generate_csv(csv_path, args.rows, args.people, args.public_share, args.seed)
        print(
            f"generated {args.rows} rows, {args.people} people, {n_public} public_mandatory "
            f"rows ({csv_path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s"
        )
        template = work / "template.sqlite3"
        upgrade(f"sqlite:///{template}")

        # Rounds rather than blocks: each round runs A, B, C and D once, so a burst of load
        # from elsewhere on the machine hits all of them instead of only one.
        runs: dict[str, list[float]] = {k: [] for k in LABELS}
        load_before = os.getloadavg()
        for i in range(args.repeat):
            a1, a2 = asyncio.run(run_cebot(template, work, csv_path, args.rows, args.people))
            runs["A_cebot_import"].append(a1)
            runs["A2_cebot_reimport"].append(a2)
            runs["B_plain_sqlite3"].append(run_plain(template, work, csv_path, args.rows))
            runs["C_sqlalchemy_core"].append(
                asyncio.run(run_core(template, work, csv_path, args.rows))
            )
            runs["D_sqlite3_real_table"].append(
                asyncio.run(run_raw_schema(template, work, csv_path, args.rows))
            )
            u, p = asyncio.run(run_upload(template, work, csv_path, args.rows, args.people))
            runs["U_organiser_upload"].append(u)
            runs["P_upload_preview"].append(p)
            print(
                f"round {i + 1}/{args.repeat}: "
                + ", ".join(f"{k.split('_')[0]} {v[-1]:.3f} s" for k, v in runs.items())
                + f" (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
        load_after = os.getloadavg()

        n = args.rows
        results = {k: summary(v, n) for k, v in runs.items()}
        ratios = {}
        for name, (top, bottom) in RATIOS.items():
            per_round = [t / b for t, b in zip(runs[top], runs[bottom], strict=True)]
            ratios[name] = {
                "of_medians": round(results[top]["median_s"] / results[bottom]["median_s"], 2),
                "of_mins": round(results[top]["min_s"] / results[bottom]["min_s"], 2),
                "median_per_round": round(statistics.median(per_round), 2),
            }
        info = machine()
        print()
        print(
            f"machine: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, "
            f"SQLite {info['sqlite']}, SQLAlchemy {info['sqlalchemy']}, "
            f"aiosqlite {info['aiosqlite']}"
        )
        print(
            f"{args.rows} rows, {args.people} people, {n_public} public_mandatory rows, "
            f"{args.repeat} runs each\n"
        )
        print(f"{'measurement':<40} {'median s':>9} {'min s':>8} {'rows/s (median)':>16}")
        for key, label in LABELS.items():
            r = results[key]
            print(
                f"{label:<40} {r['median_s']:>9.3f} {r['min_s']:>8.3f} "
                f"{r['median_rows_per_s']:>16,}"
            )
        print()
        ab = ratios["A/B"]["of_medians"]
        verdict = "meets" if ab < TARGET_RATIO else "misses"
        print(f"A/B = {ab}x: {verdict} the aim of < {TARGET_RATIO:g}x")
        print(f"{'ratio':<6} {'of medians':>11} {'of mins':>8} {'median per round':>17}")
        for name, r in ratios.items():
            print(f"{name:<6} {r['of_medians']:>11} {r['of_mins']:>8} {r['median_per_round']:>17}")
        info["loadavg_1m_before_after"] = [round(load_before[0], 2), round(load_after[0], 2)]
        print(f"load average (1 min) before / after: {load_before[0]:.1f} / {load_after[0]:.1f}")

        report: dict[str, Any] = {
            "benchmark": "import_hours",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "params": {
                "rows": args.rows,
                "people": args.people,
                "public_mandatory_rows": n_public,
                "repeat": args.repeat,
                "seed": args.seed,
            },
            "machine": info,
            "results": results,
            "ratios": ratios,
            "target_ratio_A_B": TARGET_RATIO,
        }
        if args.profile is not None:
            out = Path(args.profile) if args.profile else None
            text = asyncio.run(profile_cebot(template, work, csv_path, out))
            print("\ncProfile of one run A (main thread only; SQLite runs in aiosqlite's thread)")
            print(text)
        if args.json:
            args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
            print(f"\nwrote {args.json}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
