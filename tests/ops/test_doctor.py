"""`cebot doctor` finds what is wrong and says how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.fake_api import FakeBotApi
from cebot.cli import app
from cebot.cli_ops import check_bot_api, check_config, run_checks
from cebot.settings import Settings
from storage.migrate import upgrade


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in ("TELEGRAM_BOT_TOKEN", "CEBOT_SECRET_KEY", "CEBOT_WEBHOOK_SECRET"):
        monkeypatch.setenv(key, "")
    monkeypatch.setenv("CEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CEBOT_LANGUAGE", "en")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_fresh_migrated_sqlite_machine_passes_with_warnings(env: Path, monkeypatch) -> None:
    url = f"sqlite:///{env / 'db.sqlite3'}"
    upgrade(url)
    monkeypatch.setenv("CEBOT_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "✓ The database is at the latest migration" in result.output
    assert "! TELEGRAM_BOT_TOKEN is not set" in result.output
    assert "libharfbuzz-subset is installed" in result.output


def test_an_old_database_fails_and_says_to_upgrade(env: Path, monkeypatch) -> None:
    url = f"sqlite:///{env / 'db.sqlite3'}"
    upgrade(url, "0001")  # an installation from before the latest migrations
    monkeypatch.setenv("CEBOT_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "run cebot db upgrade" in result.output


def test_postgres_without_a_shared_key_fails() -> None:
    settings = Settings(CEBOT_DATABASE_URL="postgresql://127.0.0.1/x", CEBOT_SECRET_KEY="")
    levels = {f.key: f.level for f in check_config(settings)}
    assert levels["secret"] == "fail"
    https = Settings(CEBOT_PUBLIC_URL="https://bot.example.cn", CEBOT_WEBHOOK_SECRET="")
    assert {f.key: f.level for f in check_config(https)}["webhook"] == "fail"


async def test_bot_api_reachability(tmp_path: Path) -> None:
    with FakeBotApi() as api:
        good = Settings(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_BASE_URL=api.base_url,
            CEBOT_DATA_DIR=tmp_path,
        )
        found = await check_bot_api(good)
    assert found.level == "ok" and found.args["username"]
    gone = Settings(
        TELEGRAM_BOT_TOKEN="1:x",
        TELEGRAM_BASE_URL="http://127.0.0.1:9/bot",
        CEBOT_DATA_DIR=tmp_path,
    )
    failed = await check_bot_api(gone)
    assert failed.level == "fail" and "1:x" not in str(failed.args)


async def test_every_finding_has_its_message(tmp_path: Path) -> None:
    from services.i18n import translator

    settings = Settings(
        CEBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'none' / 'x.sqlite3'}", CEBOT_DATA_DIR=tmp_path
    )
    for language in ("zh", "en"):
        t = translator(language)
        for f in await run_checks(settings):
            assert t.has(f"cli-doctor-{f.key}-{f.level}"), (f.key, f.level)
