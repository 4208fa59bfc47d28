"""Reading an organiser's file (issue 17 item 5): a generated 200,000-row hours sheet read by
openpyxl (read-only, the previous reader) and by python-calamine (the reader now), and the
bot's path: read and checked in the file worker process while the event loop's longest stall
is measured by a 10 ms ticker.

    .venv/bin/python benchmarks/bench_file_reading.py [--rows 200000] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from core.idnumber import make_id_number
from services.context import AppContext
from services.imports import HOUR_COLUMNS, HOUR_OPTIONAL, check_hours_file, hour_rules
from services.loop_lag import watching_the_loop
from services.pii import IdProtector
from services.policies import PolicyBook
from services.tabular import in_file_worker, read_table

HEADER = ["身份证号", "姓名", "年度", "科目", "课程编号", "课程名称", "学时", "完成日期"]


def rows(n: int) -> list[list[Any]]:
    return [
        [
            make_id_number("450103", date(1960 + i % 40, 1 + i % 12, 1 + i % 28), i % 997 + 1),
            "韦" + "新明华"[i % 3],
            2024,
            "专业科目",
            f"ZY-{i}",
            f"课程名称{i % 500}",
            2,
            "2024-06-02",
        ]
        for i in range(n)
    ]


def write_files(folder: Path, n: int) -> tuple[Path, Path]:
    from openpyxl import Workbook

    data = rows(n)
    xlsx, plain = folder / "hours.xlsx", folder / "hours.csv"
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in data:
        sheet.append(row)
    book.save(xlsx)
    with plain.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(data)
    return xlsx, plain


def read_openpyxl(path: Path) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) - 1
    finally:
        book.close()


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


async def worker_path(path: Path) -> tuple[float, float, int]:
    ctx = AppContext(
        db=None,  # type: ignore[arg-type]  # nothing here touches the database
        policies=PolicyBook.load(),
        ids=IdProtector(b"bench"),
        data_dir=path.parent,
    )
    async with watching_the_loop() as lag:
        started = time.perf_counter()
        checked = await in_file_worker(check_hours_file, path, "bench", hour_rules(ctx), 10**7)
        took = time.perf_counter() - started
    return took, lag.longest, len(checked.parsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        xlsx, plain = write_files(Path(tmp), args.rows)
        t_openpyxl, n1 = timed(read_openpyxl, xlsx)
        t_calamine, found = timed(
            lambda: read_table(xlsx, HOUR_COLUMNS, optional=HOUR_OPTIONAL, rows_allowed=10**7)
        )
        assert n1 == len(found) == args.rows
        checked_in_loop, _ = timed(
            check_hours_file,
            plain,
            "bench",
            hour_rules(
                AppContext(
                    db=None,  # type: ignore[arg-type]
                    policies=PolicyBook.load(),
                    ids=IdProtector(b"bench"),
                    data_dir=Path(tmp),
                )
            ),
            10**7,
        )
        took, stall, parsed = asyncio.run(worker_path(xlsx))
        assert parsed == args.rows
    result = {
        "rows": args.rows,
        "xlsx_openpyxl_read_s": round(t_openpyxl, 2),
        "xlsx_calamine_read_s": round(t_calamine, 2),
        "speed_up": round(t_openpyxl / t_calamine, 1),
        "csv_read_and_check_in_process_s": round(checked_in_loop, 2),
        "xlsx_worker_read_and_check_s": round(took, 2),
        "event_loop_longest_stall_s": round(stall, 3),
    }
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
