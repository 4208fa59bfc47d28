"""Reading CSV and XLSX files with English or Chinese headers into canonical rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any


class TableError(ValueError):
    """The file as a whole cannot be read (format, encoding, headers). `reason` is a code."""

    def __init__(self, reason: str, **args: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.args_ = args


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # 1-based line in the file, header included, as a spreadsheet shows it
    values: dict[str, str]


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


def _raw_rows(path: Path) -> Iterator[list[Any]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from csv.reader(io.StringIO(_decode(path.read_bytes()), newline=""))
    elif suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook  # imported here: only XLSX imports pay for it

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a broken file
            raise TableError("unreadable") from exc
        try:
            for values in workbook.worksheets[0].iter_rows(values_only=True):
                yield list(values)
        finally:
            workbook.close()
    else:
        raise TableError("file_type", suffix=suffix or "-")


def read_table(path: Path, columns: Mapping[str, tuple[str, ...]]) -> list[Row]:
    """Rows keyed by canonical column name. `columns` maps each canonical name to the headers
    accepted for it (English and Chinese). Blank lines are skipped."""
    if not path.is_file():
        raise TableError("missing_file", path=str(path))
    rows = _raw_rows(path)
    header = next(rows, None)
    if header is None:
        raise TableError("empty")
    lookup = {
        alias.strip().lower(): canon for canon, aliases in columns.items() for alias in aliases
    }
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        canon = lookup.get(_cell(name).lower())
        if canon is not None and canon not in positions:
            positions[canon] = index
    missing = [c for c in columns if c not in positions]
    if missing:
        raise TableError("missing_columns", columns=", ".join(missing))
    result = []
    csv_cells = path.suffix.lower() == ".csv"
    for line, raw in enumerate(rows, start=2):
        # CSV cells are already text: strip them without the per-type conversion of XLSX cells
        cells = [v.strip() for v in raw] if csv_cells else [_cell(v) for v in raw]
        if not any(cells):
            continue
        values = {c: (cells[i] if i < len(cells) else "") for c, i in positions.items()}
        result.append(Row(line, values))
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
