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


STRONG = "Xq3v_Lw9-Rt2pZk8Hn5mBc7Jd4Fg6Ys1Ua0Ve2Wi9Qo3Tr8"  # 48 characters, 40 distinct


@pytest.mark.parametrize(
    ("secret", "level"),
    [
        ("ok_secret-123", "ok"),
        ("x" * 256, "ok"),
        ("x" * 257, "fail"),  # too long for Telegram
        ("has space", "fail"),
        ("slash/and+plus=", "fail"),
        ("中文密钥", "fail"),
        ("colon:semicolon;", "fail"),
    ],
)
def test_the_webhook_secret_must_be_what_telegram_accepts(secret: str, level: str) -> None:
    settings = Settings(
        CEBOT_PUBLIC_URL="https://bot.example.cn",
        CEBOT_WEBHOOK_SECRET=secret,
        CEBOT_SECRET_KEY=STRONG,
    )
    found = {f.key: f.level for f in check_config(settings)}
    key = "webhook" if level == "ok" else "webhook-chars"
    assert found[key] == level


@pytest.mark.parametrize(
    ("key", "level"),
    [
        ("abc", "fail"),
        ("k" * 64, "fail"),  # long but one character
        ("ab" * 40, "fail"),
        ("test-secret-key-not-for-production", "fail"),
        (STRONG, "ok"),
        ("0123456789abcdef" * 4, "ok"),  # openssl rand -hex 32 has this alphabet and length
    ],
)
def test_a_weak_secret_key_fails(key: str, level: str) -> None:
    found = {f.key: f for f in check_config(Settings(CEBOT_SECRET_KEY=key))}
    if level == "ok":
        assert found["secret"].level == "ok" and "secret-weak" not in found
    else:
        weak = found["secret-weak"]
        assert weak.level == "fail" and int(weak.args["bits"]) < 256
        assert key not in str(weak.args)  # the key itself is never printed


@pytest.mark.parametrize(
    ("url", "level"),
    [
        ("https://bot.example.cn", "ok"),
        ("http://bot.example.cn", "fail"),
        ("http://10.0.0.5:8080", "fail"),
        ("ftp://bot.example.cn", "fail"),
        ("bot.example.cn", "fail"),
        ("http://localhost:8080", "warn"),  # a trial on this machine
        ("http://127.0.0.1:8080", "warn"),
        ("http://[::1]:8080", "warn"),
    ],
)
def test_the_public_url_must_be_https_except_on_loopback(url: str, level: str) -> None:
    found = {f.key: f.level for f in check_config(Settings(CEBOT_PUBLIC_URL=url))}
    assert found["publicurl"] == level


def test_doctor_says_what_is_wrong_in_words(env: Path, monkeypatch) -> None:
    url = f"sqlite:///{env / 'db.sqlite3'}"
    upgrade(url)
    monkeypatch.setenv("CEBOT_DATABASE_URL", url)
    monkeypatch.setenv("CEBOT_SECRET_KEY", "abc")
    monkeypatch.setenv("CEBOT_WEBHOOK_SECRET", "not allowed!")
    monkeypatch.setenv("CEBOT_PUBLIC_URL", "http://bot.example.cn")
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "✗ CEBOT_SECRET_KEY is too weak" in result.output
    assert "✗ CEBOT_WEBHOOK_SECRET must be 1 to 256 characters" in result.output
    assert "✗ CEBOT_PUBLIC_URL must start with https://" in result.output


def test_a_database_of_a_later_release_is_not_a_failure(env: Path, monkeypatch) -> None:
    """Rolling upgrade: the database was migrated by the next release; this one still runs."""
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{env / 'db.sqlite3'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_later'"))
    engine.dispose()
    monkeypatch.setenv("CEBOT_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "! The database is at 0099_later, newer than this code's" in result.output
    # and the previous release's commands keep working against it
    used = CliRunner().invoke(app, ["reminders", "report", "none:1"])
    assert "No such campaign: none:1" in used.output and "not up to date" not in used.output
