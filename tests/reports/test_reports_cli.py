"""`cebot report unit` and `cebot report stats`, run as an administrator runs them (the Typer
app from cebot.cli_reports, registered here as cebot.cli will register it)."""

from __future__ import annotations

import asyncio
import csv
from datetime import datetime
from pathlib import Path

import pytest
import typer
from openpyxl import load_workbook
from PIL import Image
from typer.testing import CliRunner

from cebot.cli_reports import report_app
from storage.migrate import upgrade
from tests.conftest import make_context
from tests.reports.test_unit_report import HEADERS_ZH, build

app = typer.Typer()
app.add_typer(report_app, name="report")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixed_now: datetime) -> str:
    """A migrated SQLite database with the unit of test_unit_report; returns the unit code."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cebot.sqlite3'}"
    for k, v in {
        "CEBOT_DATABASE_URL": url,
        "CEBOT_DATA_DIR": str(tmp_path / "data"),
        "CEBOT_SECRET_KEY": "cli-test-secret",
        "CEBOT_LANGUAGE": "zh",
    }.items():
        monkeypatch.setenv(k, v)
    upgrade(url)

    async def seed() -> str:
        ctx = make_context(url, tmp_path / "data", fixed_now)
        unit = await build(ctx)
        await ctx.db.dispose()
        return unit.code

    return asyncio.run(seed())


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_unit_report_xlsx_and_csv(env: str, tmp_path: Path) -> None:
    code, out, err = run("report", "unit", env, "--year", "2024")
    assert code == 0, (out, err)
    path = tmp_path / f"unit-{env}-2024.xlsx"
    assert f"已写入 unit-{env}-2024.xlsx（6 人）" in out
    assert "南宁市第一人民医院 2024 年度：共 6 人，已达标 2 人" in out
    rows = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS_ZH and len(rows) == 7
    assert {r[-1] for r in rows[1:]} == {"无记录"}  # the command line knows 2024 only

    code, out, err = run(
        "report", "unit", env, "--year", "2024", "--format", "csv", "--output", "x/u.csv"
    )
    assert code == 0, err
    with (tmp_path / "x" / "u.csv").open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0][:3] == ["序号", "姓名", "身份证号（脱敏）"] and len(table) == 7


def test_unit_report_mistakes_are_one_line(env: str) -> None:
    code, _out, err = run("report", "unit", env, "--year", "2024", "--format", "pdf")
    assert code == 1 and "格式只能是：xlsx, csv" in err and "Traceback" not in err
    code, _out, err = run("report", "unit", "91450100MA9999999X", "--year", "2024")
    assert code == 1 and "没有找到单位：91450100MA9999999X" in err
    code, _out, err = run("report", "unit", env, "--year", "2031")
    assert code == 1 and "2031 年度没有已启用的政策" in err


def test_stats_text_xlsx_csv_and_chart(env: str, tmp_path: Path) -> None:
    code, out, err = run("report", "stats", "--year", "2024")
    assert code == 0, err
    assert "2024 年度全区统计：共 7 人，已达标 2 人（28.6%）" in out
    assert "· 南宁：6 人，达标 2 人（33.3%），待审验申报 1 条" in out
    code, out, err = run(
        "report", "stats", "--year", "2024", "--format", "xlsx", "--chart", "c.png"
    )
    assert code == 0, err
    assert "已写入 stats-2024.xlsx" in out and "已写入 c.png" in out
    wb = load_workbook(tmp_path / "stats-2024.xlsx")
    assert wb.sheetnames == ["按地市", "按单位", "待审验申报", "超过 7 天未审验"]
    with Image.open(tmp_path / "c.png") as img:
        assert img.format == "PNG"
    code, out, err = run(
        "report",
        "stats",
        "--year",
        "2024",
        "--format",
        "csv",
        "--output",
        "s.csv",
        "--stale-days",
        "3",
    )
    assert code == 0, err
    assert (tmp_path / "s.csv").read_text(encoding="utf-8-sig").startswith("地市,统一社会信用代码")
    code, _out, err = run("report", "stats", "--year", "2024", "--stale-days", "-1")
    assert code == 1 and "天数不能为负数" in err
    code, _out, err = run("report", "stats", "--year", "2024", "--format", "pdf")
    assert code == 1 and "格式只能是：text, xlsx, csv" in err


def test_the_real_cli_can_register_it() -> None:
    # cebot.cli registers its feature commands at import; the report app must fit beside them
    from cebot.cli import app as cebot_app

    probe = typer.Typer()
    probe.add_typer(cebot_app, name="cebot")
    probe.add_typer(report_app, name="report")
    result = CliRunner().invoke(probe, ["report", "--help"])
    assert result.exit_code == 0 and "unit" in result.stdout and "stats" in result.stdout
