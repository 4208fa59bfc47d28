"""Benchmark: the evidence reader on generated documents, and everyone else's latency while it
reads photos.

Generates N evidence documents with known fields (`services.synthetic_evidence`: four layouts,
PDFs with a text layer, scanned PDFs, PNG and JPEG photos, rotated, skewed, low resolution,
noisy or heavily compressed), warms up the reader, reads each document in turn with
`services.evidence_reading.read_evidence`, and reports:

  accuracy   fields right / fields in the truth, per field and overall, and by kind,
             distortion and layout (text fields compared without spaces and punctuation;
             dates, hours, the hours' basis and the number must be equal);
  time       seconds per document by kind (median, p90, max); the photos' (PNG, JPEG) median
             against the aim of 4 s;
  stall      p99 latency of "my progress" (`services.progress.year_evaluation` in its own
             transaction, on a migrated temporary SQLite database) for simulated users polling,
             idle and while 5 photos are read at once; aim: loaded p99 < 2x idle. An asyncio
             sleep probe measures the event loop's own lag at the same time.

    python benchmarks/bench_ocr.py [--samples 40] [--seed 2026] [--concurrent 5] [--users 10]
        [--interval 0.05] [--idle-seconds 6] [--keep DIR] [--json out.json]

Nothing here imports from tests/: the AppContext is built below.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without an editable install
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from core.idnumber import make_id_number  # noqa: E402
from services.context import AppContext  # noqa: E402
from services.imports import import_hours  # noqa: E402
from services.pii import IdProtector  # noqa: E402
from services.policies import PolicyBook  # noqa: E402
from services.progress import year_evaluation  # noqa: E402
from services.synthetic_evidence import (  # noqa: E402
    FIELDS,
    HALF_DAY_HOURS,
    Sample,
    generate_samples,
    score_fields,
    write_samples,
)
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Person  # noqa: E402

YEAR = 2024
SECRET = b"benchmark-secret-not-for-production"
NOW = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)
PHOTO_AIM_S = 4.0
LATENCY_RATIO_AIM = 2.0
PHOTO_KINDS = ("png", "jpeg")


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    packages = []
    for name in ("rapidocr", "rapidocr-onnxruntime", "onnxruntime"):
        with contextlib.suppress(PackageNotFoundError):
            packages.append(f"{name} {version(name)}")
    return {
        "ocr": ", ".join(packages),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# ------------------------------------------------------------------ accuracy and time


async def read_all(reading: Any, samples: list[Sample]) -> list[dict[str, Any]]:
    """Each sample read in turn; the wall time around the call and the reader's own."""
    rows = []
    for sample in samples:
        started = time.perf_counter()
        result = await reading.read_evidence(sample.data, half_day_hours=HALF_DAY_HOURS)
        wall = time.perf_counter() - started
        scores = score_fields(sample.truth, result.fields)
        rows.append(
            {
                "name": sample.name,
                "kind": sample.kind,
                "layout": sample.layout,
                "distortion": sample.distortion,
                "reason": result.reason,
                "method": result.method,
                "seconds": wall,
                "reader_seconds": result.seconds,
                "scores": scores,
                "wrong": {
                    field: [
                        str(getattr(sample.truth, field)),
                        str(getattr(result.fields, field, None)),
                    ]
                    for field, right in scores.items()
                    if not right
                },
            }
        )
        print(
            f"  {sample.name:<40} {wall:6.2f} s  {sum(scores.values())}/{len(scores)} "
            f"{result.reason or ''}",
            file=sys.stderr,
        )
    return rows


def accuracy(rows: list[dict[str, Any]], key: str | None) -> dict[str, dict[str, float]]:
    """fields right / fields in the truth, grouped by `key` (None: one group 'all')."""
    right: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    docs: dict[str, int] = defaultdict(int)
    perfect: dict[str, int] = defaultdict(int)
    for row in rows:
        group = "all" if key is None else row[key]
        right[group] += sum(row["scores"].values())
        total[group] += len(row["scores"])
        docs[group] += 1
        perfect[group] += all(row["scores"].values())
    return {
        g: {
            "accuracy": right[g] / total[g],
            "right": right[g],
            "fields": total[g],
            "documents": docs[g],
            "all_right": perfect[g],
        }
        for g in sorted(total)
    }


def per_field(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out = {}
    for field in FIELDS:
        scored = [row["scores"][field] for row in rows if field in row["scores"]]
        if scored:
            out[field] = {
                "accuracy": sum(scored) / len(scored),
                "right": sum(scored),
                "fields": len(scored),
            }
    return out


def timing(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        groups[row["kind"]].append(row["seconds"])
        if row["kind"] in PHOTO_KINDS:
            groups["photos (png+jpeg)"].append(row["seconds"])
        groups["all"].append(row["seconds"])
    return {
        g: {
            "n": len(v),
            "median_s": statistics.median(v),
            "p90_s": pct(v, 0.9),
            "max_s": max(v),
        }
        for g, v in sorted(groups.items(), key=lambda kv: (kv[0] in ("all",), "(" in kv[0], kv[0]))
    }


# ------------------------------------------------------------------ event-loop stall


def write_people(path: Path, count: int) -> list[str]:
    """People with a year of hours (public and professional), as in bench_certificates."""
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
    return ids


async def poll_progress(
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


async def loop_lag(until: Callable[[], bool], tick: float = 0.01) -> list[float]:
    """How late a 10 ms sleep wakes up: the event loop's own stall, without the database."""
    lags = []
    while not until():
        started = time.perf_counter()
        await asyncio.sleep(tick)
        lags.append(max(0.0, time.perf_counter() - started - tick))
    return lags


async def measure_while(
    ctx: AppContext,
    person_ids: list[int],
    users: int,
    interval: float,
    load: Callable[[], Awaitable[Any]] | None,
    idle_seconds: float,
) -> dict[str, Any]:
    done = False
    started = time.perf_counter()

    def until() -> bool:
        return done

    async def run_load() -> Any:
        nonlocal done
        try:
            return await (asyncio.sleep(idle_seconds) if load is None else load())
        finally:
            done = True

    latencies, lags, outcome = await asyncio.gather(
        poll_progress(ctx, person_ids, users, interval, until), loop_lag(until), run_load()
    )
    return {
        "latencies": latencies,
        "lags": lags,
        "span_s": time.perf_counter() - started,
        "outcome": outcome,
    }


async def stall_check(
    args: argparse.Namespace, workdir: Path, reading: Any, photos: list[Sample]
) -> dict[str, Any]:
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    upgrade(url)
    ctx = AppContext(
        db=Database(url),
        policies=PolicyBook.load(),
        ids=IdProtector(SECRET),
        data_dir=workdir / "data",
        public_url="https://ce.example.cn",
        clock=lambda: NOW,
    )
    csv_path = workdir / "people.csv"
    ids = write_people(csv_path, args.users)
    await import_hours(ctx, csv_path, source="bench", actor="bench")
    async with ctx.db.transaction() as session:
        by_hash = {
            h: pid for pid, h in (await session.execute(select(Person.id, Person.id_hash))).all()
        }
    pids = [by_hash[ctx.ids.lookup_hash(i)] for i in ids]

    # warm: the database, the progress path
    await measure_while(ctx, pids, args.users, args.interval, None, 1.0)
    idle = await measure_while(ctx, pids, args.users, args.interval, None, args.idle_seconds)

    async def read_photos() -> list[float]:
        async def one(sample: Sample) -> float:
            t0 = time.perf_counter()
            await reading.read_evidence(sample.data, half_day_hours=HALF_DAY_HOURS)
            return time.perf_counter() - t0

        # the batch again while under 3 s, so that a fast reader still gives enough polls
        started, seconds = time.perf_counter(), list[float]()
        while not seconds or time.perf_counter() - started < 3.0:
            seconds += await asyncio.gather(*(one(s) for s in photos))
        return seconds

    loaded = await measure_while(ctx, pids, args.users, args.interval, read_photos, 0)
    await ctx.db.dispose()
    idle_p99, loaded_p99 = pct(idle["latencies"], 0.99), pct(loaded["latencies"], 0.99)
    return {
        "concurrent_photos": len(photos),
        "photo_kinds": sorted({s.kind for s in photos}),
        "concurrent_read_seconds": loaded["outcome"],
        "users": args.users,
        "interval_s": args.interval,
        "idle_p99_s": idle_p99,
        "idle_median_s": statistics.median(idle["latencies"]),
        "idle_samples": len(idle["latencies"]),
        "idle_span_s": idle["span_s"],
        "loaded_p99_s": loaded_p99,
        "loaded_median_s": statistics.median(loaded["latencies"]),
        "loaded_samples": len(loaded["latencies"]),
        "loaded_span_s": loaded["span_s"],
        "latency_ratio": loaded_p99 / idle_p99,
        "idle_loop_lag_p99_s": pct(idle["lags"], 0.99),
        "loaded_loop_lag_p99_s": pct(loaded["lags"], 0.99),
        "loaded_loop_lag_max_s": max(loaded["lags"]),
    }


# ------------------------------------------------------------------ main


async def bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    import services.evidence_reading as reading

    info = machine_info()
    t0 = time.perf_counter()
    samples = generate_samples(args.samples, seed=args.seed)
    generated_s = time.perf_counter() - t0
    if args.keep:
        write_samples(samples, args.keep)
    print(f"generated {len(samples)} documents in {generated_s:.1f} s", file=sys.stderr)

    t0 = time.perf_counter()
    await reading.warm_up_reader()
    warm_s = time.perf_counter() - t0
    try:
        rows = await read_all(reading, samples)
        photos = [s for s in samples if s.kind in PHOTO_KINDS][: args.concurrent]
        stall = await stall_check(args, workdir, reading, photos)
    finally:
        reading.shutdown_reader()
    return {
        "machine": info,
        "samples": args.samples,
        "seed": args.seed,
        "generate_s": generated_s,
        "warm_up_s": warm_s,
        "accuracy": accuracy(rows, None)["all"],
        "per_field": per_field(rows),
        "by_kind": accuracy(rows, "kind"),
        "by_distortion": accuracy(rows, "distortion"),
        "by_layout": accuracy(rows, "layout"),
        "timing": timing(rows),
        "failures": {row["name"]: row["reason"] for row in rows if row["reason"]},
        "stall": stall,
        "documents": rows,
    }


def wrong_examples(rows: list[dict[str, Any]], per_field: int) -> list[tuple[str, ...]]:
    """A few wrong readings of each field: the first of each layout, then the rest in order
    (the layouts differ most)."""
    out: list[tuple[str, ...]] = []
    for field in FIELDS:
        wrong = [row for row in rows if field in row["wrong"]]
        firsts = {row["layout"]: row["name"] for row in reversed(wrong)}
        wrong.sort(key=lambda row: row["name"] != firsts[row["layout"]])
        for row in wrong[:per_field]:
            truth, got = row["wrong"][field]
            out.append((field, row["name"], truth, got))
    return out


def print_report(r: dict[str, Any]) -> None:
    m, ms = r["machine"], 1000.0
    print(
        f"machine: {m['cpu']} · {m['cpus']} CPUs · {m['platform']} · Python {m['python']} · "
        f"load average at start {m['load_average']}"
    )
    print(f"OCR packages installed: {m.get('ocr', '?')}")
    a = r["accuracy"]
    print(
        f"\n{r['samples']} documents (seed {r['seed']}), generated in {r['generate_s']:.1f} s; "
        f"reader warm-up {r['warm_up_s']:.1f} s\n"
    )
    print(
        f"**Overall field accuracy: {a['accuracy']:.1%}** ({a['right']}/{a['fields']} fields; "
        f"{a['all_right']}/{a['documents']} documents entirely right)\n"
    )
    print("| field | right | accuracy |\n|---|---|---|")
    for field, v in r["per_field"].items():
        print(f"| {field} | {v['right']}/{v['fields']} | {v['accuracy']:.1%} |")
    for title, key in (
        ("kind", "by_kind"),
        ("distortion", "by_distortion"),
        ("layout", "by_layout"),
    ):
        print(f"\n| {title} | documents | all fields right | fields right | accuracy |")
        print("|---|---|---|---|---|")
        for group, v in r[key].items():
            print(
                f"| {group} | {v['documents']} | {v['all_right']} | {v['right']}/{v['fields']} "
                f"| {v['accuracy']:.1%} |"
            )
    print("\n| time per document | n | median s | p90 s | max s |\n|---|---|---|---|---|")
    for group, v in r["timing"].items():
        print(f"| {group} | {v['n']} | {v['median_s']:.2f} | {v['p90_s']:.2f} | {v['max_s']:.2f} |")
    photo = r["timing"].get("photos (png+jpeg)")
    if photo:
        verdict = "met" if photo["median_s"] < PHOTO_AIM_S else "**missed**"
        print(f"\nphoto median {photo['median_s']:.2f} s vs aim < {PHOTO_AIM_S:.0f} s: {verdict}")
    if r["failures"]:
        print(f"\nnot read: {r['failures']}")
    examples = wrong_examples(r["documents"], per_field=3)
    if examples:
        print("\n| wrong field | document | truth | read |\n|---|---|---|---|")
        for field, name, truth, got in examples:
            print(f"| {field} | {name} | {truth} | {got} |")
    s = r["stall"]
    verdict = "met" if s["latency_ratio"] < LATENCY_RATIO_AIM else "**missed**"
    reads = s["concurrent_read_seconds"]
    reads_text = (
        f"{len(reads)} reads in batches of {s['concurrent_photos']}, each "
        f"median {statistics.median(reads):.2f} s, max {max(reads):.2f} s"
    )
    print(
        f"\n| my-progress ({s['users']} users polling every {s['interval_s'] * ms:.0f} ms) "
        "| queries | median ms | p99 ms | loop lag p99 ms |\n|---|---|---|---|---|"
    )
    print(
        f"| idle ({s['idle_span_s']:.1f} s) | {s['idle_samples']} | "
        f"{s['idle_median_s'] * ms:.1f} | {s['idle_p99_s'] * ms:.1f} | "
        f"{s['idle_loop_lag_p99_s'] * ms:.1f} |"
    )
    print(
        f"| {s['concurrent_photos']} photos read at once ({s['loaded_span_s']:.1f} s) | "
        f"{s['loaded_samples']} | {s['loaded_median_s'] * ms:.1f} | {s['loaded_p99_s'] * ms:.1f} | "
        f"{s['loaded_loop_lag_p99_s'] * ms:.1f} (max {s['loaded_loop_lag_max_s'] * ms:.1f}) |"
    )
    print(
        f"\nloaded/idle p99 = {s['latency_ratio']:.2f} (aim < {LATENCY_RATIO_AIM:.0f}): {verdict}; "
        f"{reads_text}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=40, help="documents to generate and read")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--concurrent", type=int, default=5, help="photos read at once (stall)")
    parser.add_argument("--users", type=int, default=10, help="simulated users polling progress")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between polls")
    parser.add_argument("--idle-seconds", type=float, default=6.0)
    parser.add_argument("--keep", type=Path, default=None, help="also write the documents here")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cebot-bench-ocr-") as tmp:
        result = asyncio.run(bench(args, Path(tmp)))
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
