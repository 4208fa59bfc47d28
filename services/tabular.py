"""Reading CSV and XLSX files with English or Chinese headers into canonical rows.

Files come from people outside the project (organisers, units), so reading is bounded before
anything is parsed: an XLSX is a ZIP whose declared inflated sizes and sheet dimension are
checked first (a 2 MB file can inflate to gigabytes), rows are capped (CEBOT_IMPORT_MAX_ROWS)
and a cell longer than any column is refused with its line. XLSX is read with python-calamine
(Rust; about 19 times faster than openpyxl on a 200,000-row sheet, see the module's tests).
In the bot, `in_file_worker` reads and checks in a worker process, off the event loop and
outside any transaction.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from core.text import CELL_MAX
from services.worker_pool import WorkerPool

T = TypeVar("T")
DEFAULT_MAX_ROWS = 200_000
# Inflated bytes an XLSX may declare per allowed row (a 200,000-row, 8-column sheet of inline
# strings inflates to about 90 MB): more means a bomb or a file far beyond the row cap.
INFLATED_BYTES_PER_ROW = 1536
MIN_INFLATED = 16 * 1024 * 1024
MAX_COLUMNS = 200  # the widest import has 15 columns; a sheet declaring more is not ours
MAX_PARTS = 10_000  # files inside an XLSX: a workbook has dozens, a crafted ZIP millions
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?"')


class TableError(ValueError):
    """The file as a whole cannot be read (format, encoding, headers, size). `reason` is a
    message code (table-<reason>)."""

    def __init__(self, reason: str, **args: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.args_ = args

    def __reduce__(self) -> tuple[Any, ...]:
        # raised in a worker process: pickled with its arguments
        return (_table_error, (self.reason, self.args_))


def _table_error(reason: str, args: dict[str, Any]) -> TableError:
    return TableError(reason, **args)


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # 1-based line in the file, header included, as a spreadsheet shows it
    values: dict[str, str]


def max_rows() -> int:
    """CEBOT_IMPORT_MAX_ROWS (default 200,000): data rows an imported file may hold."""
    raw = os.environ.get("CEBOT_IMPORT_MAX_ROWS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_ROWS


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 15 as 15.0
    return str(value).strip()


def _decode(data: bytes) -> str:
    # Excel in China often saves CSV as GB18030; a BOM says UTF-8
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("encoding")


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - ord("A") + 1
    return number


def check_xlsx(path: Path, rows_allowed: int) -> None:
    """Refuse an XLSX before parsing it: its declared inflated size, and each sheet's declared
    dimension (rows and columns). Reads the ZIP directory and each sheet's first bytes only."""
    limit = max(MIN_INFLATED, rows_allowed * INFLATED_BYTES_PER_ROW)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_PARTS:
                raise TableError("unreadable")
            inflated = sum(m.file_size for m in members)
            if inflated > limit:
                raise TableError("inflated", mb=inflated // 2**20, max_mb=limit // 2**20)
            for member in members:
                if not member.filename.startswith("xl/worksheets/"):
                    continue
                with archive.open(member) as handle:
                    head = handle.read(4096)  # <dimension> comes before the data
                found = _DIMENSION.search(head)
                if found is None:
                    continue
                last_col = (found.group(3) or found.group(1) or b"A").decode()
                last_row = int(found.group(4) or found.group(2) or 1)
                if last_row - 1 > rows_allowed:
                    raise TableError("too_many_rows", max=rows_allowed)
                if _column_number(last_col) > MAX_COLUMNS:
                    raise TableError("too_many_columns", max=MAX_COLUMNS)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise TableError("unreadable") from exc


def _xlsx_rows(path: Path, rows_allowed: int) -> Iterator[list[Any]]:
    check_xlsx(path, rows_allowed)
    from python_calamine import CalamineWorkbook  # imported here: only XLSX imports pay for it

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except Exception as exc:  # calamine raises several types for a broken file
        raise TableError("unreadable") from exc
    try:
        yield from rows
    finally:
        workbook.close()


def _csv_rows(path: Path) -> Iterator[list[Any]]:
    reader = csv.reader(io.StringIO(_decode(path.read_bytes()), newline=""))
    try:
        yield from reader
    except csv.Error as exc:  # a field beyond the csv module's limit (131,072 characters)
        raise TableError("cell_too_long", line=reader.line_num, max=CELL_MAX) from exc


def _raw_rows(path: Path, rows_allowed: int) -> Iterator[list[Any]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path, rows_allowed)
    raise TableError("file_type", suffix=suffix or "-")


def read_table(
    path: Path,
    columns: Mapping[str, tuple[str, ...]],
    *,
    optional: Sequence[str] = (),
    rows_allowed: int | None = None,
) -> list[Row]:
    """Rows keyed by canonical column name. `columns` maps each canonical name to the headers
    accepted for it (English and Chinese); those in `optional` may be absent (then ""). Blank
    lines are skipped. At most `rows_allowed` data rows (default: max_rows())."""
    if not path.is_file():
        raise TableError("missing_file", path=str(path))
    allowed = max_rows() if rows_allowed is None else rows_allowed
    rows = _raw_rows(path, allowed)
    header = next(rows, None)
    if header is None:
        raise TableError("empty")
    lookup = {
        alias.strip().lower(): canon for canon, aliases in columns.items() for alias in aliases
    }
    positions: dict[str, int] = {}
    for index, name in enumerate(header[:MAX_COLUMNS]):
        canon = lookup.get(_cell(name).lower())
        if canon is not None and canon not in positions:
            positions[canon] = index
    missing = [c for c in columns if c not in positions and c not in optional]
    if missing:
        raise TableError("missing_columns", columns=", ".join(missing))
    absent = {c: "" for c in columns if c not in positions}
    result: list[Row] = []
    csv_cells = path.suffix.lower() == ".csv"
    for line, raw in enumerate(rows, start=2):
        raw = raw[:MAX_COLUMNS]  # no column past the header's is ever read
        # CSV cells are already text: strip them without the per-type conversion of XLSX cells
        cells = [v.strip() for v in raw] if csv_cells else [_cell(v) for v in raw]
        if not any(cells):
            continue
        if len(result) >= allowed:
            raise TableError("too_many_rows", max=allowed)
        values = {c: (cells[i] if i < len(cells) else "") for c, i in positions.items()}
        if any(len(v) > CELL_MAX for v in values.values()):
            raise TableError("cell_too_long", line=line, max=CELL_MAX)
        values.update(absent)
        result.append(Row(line, values))
    return result


# A worker process for reading and checking files, so that a large one never blocks the bot's
# event loop; one is enough (uploads are rare), more queue. The checks above bound what a file
# may make it parse; the worker's own limits are the last defence: its address space (a cell
# that inflates past them fails that job alone, as MemoryError or a dead worker) and a timeout.
FILE_WORKER_MEMORY = 2 * 1024**3
FILE_TIMEOUT = 300.0  # seconds: a legitimate 200,000-row file takes about 15 on a busy machine


def _limit_memory(limit: int) -> None:
    import resource

    with contextlib.suppress(ValueError, OSError):  # a platform without RLIMIT_AS
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


_pool = WorkerPool(lambda: 1, initializer=_limit_memory, initargs=lambda: (FILE_WORKER_MEMORY,))


def shutdown_file_worker(grace: float | None = None) -> None:
    """Stop the file worker (idempotent); the next file starts a new one."""
    _pool.shutdown(grace)


async def in_file_worker(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in the file worker process. TableError crosses back as it is; a worker that
    died on the file, or ran out of memory or time on it, is the file's fault: TableError."""
    try:
        result: T = await _pool.run(fn, *args, timeout=FILE_TIMEOUT)
    except (BrokenProcessPool, MemoryError) as exc:
        raise TableError("unreadable") from exc
    except TimeoutError as exc:
        raise TableError("timeout", seconds=int(FILE_TIMEOUT)) from exc
    return result


def parse_date(text: str) -> date | None:
    """2024-05-01, 2024/5/1, 2024.5.1 or 20240501."""
    text = text.strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    for sep in ("/", "."):
        text = text.replace(sep, "-")
    parts = text.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None
