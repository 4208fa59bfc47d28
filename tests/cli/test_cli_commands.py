"""The `cebot` command line, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cebot.cli import app
from services.demo import demo_file

ZHANG = "450103198803120212"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    values = {
        "CEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'cebot.sqlite3'}",
        "CEBOT_DATA_DIR": str(tmp_path / "data"),
        "CEBOT_SECRET_KEY": "cli-test-secret",
        "CEBOT_LANGUAGE": "en",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return values


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_db_upgrade_then_progress_json(env: dict[str, str]) -> None:
    assert run("db", "upgrade")[0] == 0
    assert run("demo")[0] == 0
    code, out, _ = run("progress", ZHANG, "--year", "2024", "--json")
    assert code == 0
    data = json.loads(out)
    assert data == data | {
        "year": 2024,
        "id_number_masked": "4501**********0212",
        "public_mandatory_hours": 15,
        "public_elective_hours": 10,
        "public_hours": 25,
        "professional_verified_hours": 50,
        "professional_pending_hours": 0,
        "total_hours": 75,
        "complete": False,
        "professional_hours_needed": 15,
    }
    assert ZHANG not in out


def test_import_report_and_idempotence(env: dict[str, str], tmp_path: Path) -> None:
    for kind, name in (("units", "units.csv"), ("people", "people.csv")):
        code, out, err = run(kind, "import", str(demo_file(name)))
        assert code == 0, err
    hours = tmp_path / "hours.csv"
    hours.write_text(
        "身份证号,姓名,年度,科目,课程编号,课程名称,学时,完成日期\n"
        f"{ZHANG},张伟,2024,专业科目,K1,课程,40,2024-06-01\n"
        f"{ZHANG},张伟,2024,专业科目,K2,课程,0.5,2024-06-02\n",
        encoding="utf-8",
    )
    code, out, _ = run("hours", "import", str(hours), "--source", "Org")
    assert code == 0 and "2 added" in out
    code, out, _ = run("hours", "import", str(hours), "--source", "Org")
    assert code == 0 and "0 added" in out and "2 unchanged" in out
    code, out, _ = run("progress", ZHANG, "--year", "2024", "--json")
    assert json.loads(out)["professional_verified_hours"] == 40.5


def test_bad_import_names_every_row_and_exits_1(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id_number,name,year,subject,course_code,course_title,hours,completed_on\n"
        f"{ZHANG},张伟,2024,professional,K1,Course,3,2024-06-01\n"
        f"{ZHANG[:-1]}3,张伟,2024,professional,K2,Course,3,2024-06-01\n"
        f"{ZHANG},张伟,2024,professional,K3,Course,abc,2024-06-01\n",
        encoding="utf-8",
    )
    code, _out, err = run("hours", "import", str(bad), "--source", "Org")
    assert code == 1
    assert "2 bad rows" in err and "line 3:" in err and "line 4:" in err and "line 2" not in err
    assert "Traceback" not in err
    code, _out, _ = run("db", "current")
    assert code == 0


def test_unknown_person_and_bad_id_are_one_line_errors(env: dict[str, str]) -> None:
    run("db", "upgrade")
    code, _, err = run("progress", ZHANG, "--year", "2024")
    assert code == 1 and err.strip() == "Error: No person with that ID number."
    code, _, err = run("progress", ZHANG[:-1] + "3", "--year", "2024")
    assert code == 1 and "check digit" in err and ZHANG[:-1] not in err
    code, _, err = run("progress", ZHANG, "--year", "1999")
    assert code == 1 and "no policy file for 1999" in err


def test_real_command_never_prints_a_traceback(env: dict[str, str]) -> None:
    """Through the installed console script, against a database that is not there."""
    environ = os.environ | env | {"CEBOT_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    proc = subprocess.run(
        [sys.executable, "-m", "cebot", "progress", ZHANG, "--year", "2024"],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Cannot connect to the database" in proc.stderr


def test_invite_needs_a_known_unit_and_prints_a_one_time_link(env: dict[str, str]) -> None:
    run("demo")
    code, _, err = run("invite", "reviewer")
    assert code == 1 and "needs --unit" in err
    code, _, err = run("invite", "reviewer", "--unit", "91350100M000100Y43")
    assert code == 1 and "not registered" in err
    code, _, err = run("invite", "janitor")
    assert code == 1
    code, out, _ = run("invite", "reviewer", "--unit", "12450000MB0A12340J", "--bot", "@x_bot")
    assert code == 0 and "https://t.me/x_bot?start=" in out
    first = out.strip().rsplit("start=", 1)[1]
    code, out, _ = run("invite", "admin", "--bot", "x_bot")
    assert code == 0 and out.strip().rsplit("start=", 1)[1] != first
