"""`cebot certificates issue|verify`, run as an operator runs them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cebot.cli import app
from cebot.cli_certificates import certificates_app
from tests.certificates.helpers import LI_NA, LIU_YANG, ZHANG_WEI, pdf_text


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    values = {
        "CEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'cebot.sqlite3'}",
        "CEBOT_DATA_DIR": str(tmp_path / "data"),
        "CEBOT_SECRET_KEY": "cli-test-secret",
        "CEBOT_PUBLIC_URL": "https://ce.example.cn",
        "CEBOT_LANGUAGE": "zh",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    assert CliRunner().invoke(app, ["demo"]).exit_code == 0
    return values


def cert(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(certificates_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_issue_then_verify_by_url_and_number(env: dict[str, str]) -> None:
    code, out, err = cert("issue", LI_NA, "--year", "2024", "--kind", "ce")
    assert code == 0, err
    number = re.search(r"GX2024-CE-\d{6}", out)
    url = re.search(r"https://ce\.example\.cn/verify/\S+", out)
    path = re.search(r"PDF 文件：(\S+)", out)
    assert number and url and path and "已签发" in out
    assert LI_NA not in out
    assert "专业技术人员继续教育合格证书" in pdf_text(Path(path.group(1)))

    code, again, _ = cert("issue", LI_NA, "--year", "2024", "--kind", "ce")
    assert code == 0 and "已有有效证书" in again and number.group(0) in again

    for arg in (url.group(0), number.group(0), number.group(0).lower()):
        code, out, _ = cert("verify", arg)
        assert code == 0 and "证书有效" in out and "李*" in out and "90 学时" in out

    code, out, _ = cert("verify", url.group(0)[:-1] + "x")
    assert code == 1 and "无法验证此证书" in out and "李*" not in out
    code, out, _ = cert("verify", "GX2024-CE-999999")
    assert code == 1 and "未找到该证书" in out


def test_issue_errors_are_one_line(env: dict[str, str]) -> None:
    cases = [
        (("issue", ZHANG_WEI, "--year", "2024", "--kind", "ce"), "还需已审验的专业科目 15 学时"),
        (("issue", LIU_YANG, "--year", "2024", "--kind", "public_exam"), "必修课尚未完成"),
        (("issue", "450103199901010000", "--year", "2024", "--kind", "ce"), "身份证号"),
        (("issue", LI_NA, "--year", "1999", "--kind", "ce"), "1999 年度没有学习政策文件"),
    ]
    for args, expected in cases:
        code, _out, err = cert(*args)
        assert code == 1, args
        assert expected in err and len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err
    code, _, err = cert("issue", LI_NA, "--year", "2024", "--kind", "diploma")
    assert code != 0 and "diploma" in err
