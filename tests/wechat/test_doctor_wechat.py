"""`cebot doctor` with a WeChat service account configured: the settings WeChat's server
configuration must match, and a working token from the (fake) API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.wechat.fake_api import FakeWeChatApi
from cebot.cli import app
from cebot.doctor_wechat import check_wechat_api, check_wechat_config, valid_aes_key
from cebot.settings import Settings
from services.i18n import LANGUAGES, translator
from storage.db import Database
from storage.wechat_models import WeChatToken

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
GOOD: dict[str, Any] = {
    "WECHAT_APP_ID": "wx0123456789abcdef",
    "WECHAT_APP_SECRET": "0123456789abcdef0123456789abcdef",
    "WECHAT_TOKEN": "cebotToken2024",
    "WECHAT_ENCODING_AES_KEY": AES_KEY,
    "WECHAT_MESSAGE_MODE": "safe",
    "WECHAT_ORIGINAL_ID": "gh_0123456789ab",
}


def _levels(**overrides: Any) -> dict[str, str]:
    values = GOOD | {"CEBOT_PUBLIC_URL": "https://ce.rsj.gxzf.test"} | overrides
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    return {f.key: f.level for f in check_wechat_config(settings)}


def test_a_good_configuration_passes() -> None:
    assert _levels() == {
        "wechat-appid": "ok",
        "wechat-secret": "ok",
        "wechat-token": "ok",
        "wechat-mode": "ok",
        "wechat-aeskey": "ok",
        "wechat-originalid": "ok",
        "wechat-url": "ok",
    }


@pytest.mark.parametrize(
    ("public_url", "level"),
    [
        ("https://ce.rsj.gxzf.test", "ok"),
        ("https://ce.rsj.gxzf.test:443/", "ok"),
        ("http://ce.rsj.gxzf.test", "ok"),  # WeChat allows port 80 (safe mode encrypts)
        ("https://ce.rsj.gxzf.test:8443", "fail"),  # WeChat posts to 80 and 443 only
        ("http://localhost:8080", "warn"),  # a trial: WeChat cannot reach it
        ("ftp://ce.rsj.gxzf.test", "fail"),
    ],
)
def test_the_server_url_to_enter_in_wechat(public_url: str, level: str) -> None:
    settings = Settings(_env_file=None, **(GOOD | {"CEBOT_PUBLIC_URL": public_url}))  # type: ignore[arg-type]
    [found] = [f for f in check_wechat_config(settings) if f.key == "wechat-url"]
    assert found.level == level
    assert found.args["url"] == public_url.rstrip("/") + "/wechat"


def test_without_an_app_id_nothing_is_checked() -> None:
    assert check_wechat_config(Settings(_env_file=None, WECHAT_APP_ID="")) == []


@pytest.mark.parametrize(
    ("token", "level"),
    [
        ("abc", "ok"),
        ("a" * 32, "ok"),
        ("ab", "fail"),  # too short
        ("a" * 33, "fail"),  # too long
        ("has_underscore", "fail"),
        ("中文令牌abc", "fail"),
        ("", "fail"),
    ],
)
def test_the_token_is_3_to_32_letters_and_digits(token: str, level: str) -> None:
    assert _levels(WECHAT_TOKEN=token)["wechat-token"] == level


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        (AES_KEY, True),
        (AES_KEY[:-1], False),  # 42
        (AES_KEY + "A", False),  # 44
        (AES_KEY[:-1] + "=", False),
        (AES_KEY[:-1] + "-", False),  # not base64
    ],
)
def test_the_aes_key_is_43_characters_of_base64(key: str, ok: bool) -> None:
    assert valid_aes_key(key) is ok
    assert _levels(WECHAT_ENCODING_AES_KEY=key)["wechat-aeskey"] == ("ok" if ok else "fail")


@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_encrypted_modes_need_the_aes_key(mode: str) -> None:
    levels = _levels(WECHAT_MESSAGE_MODE=mode, WECHAT_ENCODING_AES_KEY="")
    assert levels["wechat-aeskey-missing"] == "fail" and "wechat-aeskey" not in levels


def test_the_message_mode() -> None:
    plain = _levels(WECHAT_MESSAGE_MODE="plain", WECHAT_ENCODING_AES_KEY="")
    assert plain["wechat-mode"] == "warn" and "wechat-aeskey-missing" not in plain
    assert _levels(WECHAT_MESSAGE_MODE="aes")["wechat-mode"] == "fail"


@pytest.mark.parametrize(
    ("original", "level"),
    [
        ("gh_0123456789ab", "ok"),
        ("gh_0123456789a", "fail"),
        ("gh_0123456789abc", "fail"),
        ("gh_0123456789AB", "fail"),
        ("wx0123456789abcdef", "fail"),
        ("", "warn"),
    ],
)
def test_the_original_id_is_gh_and_12_hex(original: str, level: str) -> None:
    assert _levels(WECHAT_ORIGINAL_ID=original)["wechat-originalid"] == level


def test_secret_app_id_and_templates() -> None:
    assert _levels(WECHAT_APP_SECRET="")["wechat-secret"] == "fail"
    assert _levels(WECHAT_APP_SECRET="short")["wechat-secret"] == "warn"
    assert _levels(WECHAT_APP_ID="my-account")["wechat-appid"] == "warn"
    good = '{"public": {"template_id": "T1", "fields": {"thing1": "title", "time2": "deadline"}}}'
    assert _levels(WECHAT_TEMPLATES=good).get("wechat-templates") is None
    # a JSON object the sender could not use is refused here too, not first at sending time
    assert _levels(WECHAT_TEMPLATES='{"deadline": "T1"}')["wechat-templates"] == "fail"
    assert _levels(WECHAT_TEMPLATES='{"public": {"template_id": "T1"}}')["wechat-templates"] == (
        "fail"
    )
    assert _levels(WECHAT_TEMPLATES="[1, 2]")["wechat-templates"] == "fail"
    assert _levels(WECHAT_TEMPLATES="{oops")["wechat-templates"] == "fail"


def test_every_wechat_finding_has_its_message() -> None:
    cases: list[dict[str, Any]] = [
        {},
        {"WECHAT_APP_SECRET": "", "WECHAT_TOKEN": "x", "WECHAT_ORIGINAL_ID": "gh_x"},
        {"WECHAT_APP_ID": "x", "WECHAT_APP_SECRET": "y", "WECHAT_ENCODING_AES_KEY": "z"},
        {"WECHAT_MESSAGE_MODE": "plain", "WECHAT_ORIGINAL_ID": "", "WECHAT_TEMPLATES": "["},
        {"WECHAT_MESSAGE_MODE": "safe", "WECHAT_ENCODING_AES_KEY": ""},
        {"WECHAT_MESSAGE_MODE": "other", "CEBOT_PUBLIC_URL": "https://x.test:8443"},
        {"CEBOT_PUBLIC_URL": "https://x.test"},
    ]
    seen = set()
    for case in cases:
        settings = Settings(_env_file=None, **(GOOD | case))  # type: ignore[arg-type]
        for f in check_wechat_config(settings):
            seen.add((f.key, f.level))
            for language in LANGUAGES:
                assert translator(language).has(f"cli-doctor-{f.key}-{f.level}"), (f.key, f.level)
    assert len(seen) == 20  # every finding the configuration check can make


# ---------------------------------------------------------------------- the API


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChatApi]:
    async with FakeWeChatApi(
        app_id=GOOD["WECHAT_APP_ID"], app_secret=GOOD["WECHAT_APP_SECRET"]
    ) as api:
        yield api


def _api_settings(fake: FakeWeChatApi, database_url: str, **overrides: str) -> Settings:
    values = GOOD | {"WECHAT_API_BASE_URL": fake.base_url, "CEBOT_DATABASE_URL": database_url}
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[arg-type]


async def test_the_api_check_fetches_the_shared_token(
    fake: FakeWeChatApi, database_url: str
) -> None:
    settings = _api_settings(fake, database_url)
    [found] = await check_wechat_api(settings)
    assert (found.key, found.level, found.args) == ("wechat-api", "ok", {"ips": "2"})
    [again] = await check_wechat_api(settings)
    assert again.level == "ok"
    assert fake.tokens_issued == 1  # the second run used the stored token: the bot's too
    db = Database(database_url)
    async with db.transaction() as session:
        stored = await session.scalar(select(WeChatToken.token))
    await db.dispose()
    assert stored is not None
    assert len(fake.calls_of("getcallbackip")) == 2


async def test_the_api_check_says_what_is_wrong(fake: FakeWeChatApi, database_url: str) -> None:
    [wrong] = await check_wechat_api(_api_settings(fake, database_url, WECHAT_APP_SECRET="x" * 32))
    assert wrong.level == "fail" and wrong.args["error"].startswith("40125")
    gone = _api_settings(fake, database_url, WECHAT_API_BASE_URL="http://127.0.0.1:9")
    [unreachable] = await check_wechat_api(gone)
    assert (unreachable.level, unreachable.args) == ("fail", {"error": "ConnectError"})
    assert await check_wechat_api(_api_settings(fake, database_url, WECHAT_APP_SECRET="")) == []
    assert await check_wechat_api(_api_settings(fake, database_url, WECHAT_APP_ID="")) == []


def test_doctor_shows_the_wechat_lines(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = asyncio.run(
        FakeWeChatApi(app_id=GOOD["WECHAT_APP_ID"], app_secret=GOOD["WECHAT_APP_SECRET"]).start()
    )
    try:
        monkeypatch.chdir(tmp_path)
        env = GOOD | {
            "CEBOT_DATABASE_URL": sqlite_url,
            "CEBOT_DATA_DIR": str(tmp_path / "data"),
            "CEBOT_LANGUAGE": "en",
            "WECHAT_API_BASE_URL": fake.base_url,
            "WECHAT_TOKEN": "bad_token",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        result = CliRunner().invoke(app, ["doctor"])
    finally:
        asyncio.run(fake.stop())
    assert (
        "✓ The WeChat API is reachable and the access token works (2 WeChat server IPs)."
        in result.output
    )
    assert "✗ WECHAT_TOKEN must be 3 to 32 letters or digits" in result.output
    assert "✓ Message mode: safe." in result.output
    assert result.exit_code == 1  # the token is wrong
    for secret in (GOOD["WECHAT_APP_SECRET"], AES_KEY, "bad_token"):
        assert secret not in result.output
