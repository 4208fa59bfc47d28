"""The WeChat custom menu: within WeChat's limits, made of the bot's own commands, and pushed
by `cebot wechat menu push` to the (fake) API; `cebot wechat token`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.flows.router import all_commands
from bot.handlers.commands import STAFF_COMMANDS
from bot.wechat.fake_api import FakeWeChatApi
from bot.wechat.menu import MENU, MenuTooLarge, build_menu, command_key, command_of
from cebot.cli import app
from services.i18n import LANGUAGES, translator
from storage.db import Database
from storage.wechat_models import WeChatToken


def _entries(menu: dict) -> list[dict]:
    return [sub for button in menu["button"] for sub in button["sub_button"]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_menu_is_within_wechats_limits(language: str) -> None:
    menu = build_menu(translator(language))
    assert 1 <= len(menu["button"]) <= 3
    for button in menu["button"]:
        assert 1 <= len(button["name"].encode()) <= 16
        assert 1 <= len(button["sub_button"]) <= 5
        for sub in button["sub_button"]:
            assert sub["type"] == "click"
            assert 1 <= len(sub["name"].encode()) <= 60
            assert len(sub["key"].encode()) <= 128
    if language == "zh":  # WeChat's clients cut sub-menu names after about 8 characters
        assert all(len(sub["name"]) <= 8 for sub in _entries(menu))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_names_a_command_the_router_knows(language: str) -> None:
    entries = _entries(build_menu(translator(language)))
    commands = [command_of(sub["key"]) for sub in entries]
    assert all(sub["key"].startswith("cmd:") for sub in entries)
    assert set(commands) <= set(all_commands())
    assert len(commands) == len(set(commands))  # no command twice
    assert {"menu", "progress", "study", "claim", "certs", "help", "mydata"} <= set(commands)
    assert not set(commands) & set(STAFF_COMMANDS)  # the same menu for everyone


def test_labels_are_translated_not_keys() -> None:
    zh, en = build_menu(translator("zh")), build_menu(translator("en"))
    names = [b["name"] for b in zh["button"]] + [s["name"] for s in _entries(zh)]
    assert not any(name.startswith(("wechat-", "cmd-")) for name in names)
    assert [b["name"] for b in zh["button"]] == ["学时", "我的", "帮助"]
    assert [b["name"] for b in en["button"]] == ["Hours", "Me", "Help"]
    assert [s["key"] for s in _entries(zh)] == [s["key"] for s in _entries(en)]


def test_keys_and_commands() -> None:
    assert command_key("progress") == "cmd:progress"
    assert command_of("cmd:progress") == "progress"
    assert command_of("cmd:") is None
    assert command_of("V1001_TODAY_MUSIC") is None


def test_a_label_over_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Long:
        def __call__(self, key: str, **_: object) -> str:
            return "继续教育学时" if key == "wechat-menu-study" else translator("zh")(key)

        def has(self, key: str) -> bool:
            return translator("zh").has(key)

    with pytest.raises(MenuTooLarge, match="18 bytes"):
        build_menu(Long())  # type: ignore[arg-type]
    monkeypatch.setattr("bot.wechat.menu.MENU", (*MENU, ("wechat-menu-help", ("help",))))
    with pytest.raises(MenuTooLarge, match="4 top-level"):
        build_menu(translator("zh"))


# ---------------------------------------------------------------------- the command


@pytest.fixture
def fake() -> Iterator[FakeWeChatApi]:
    api = asyncio.run(FakeWeChatApi().start())  # its server runs in a thread of its own
    yield api
    asyncio.run(api.stop())


@pytest.fixture
def env(
    fake: FakeWeChatApi, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> FakeWeChatApi:
    monkeypatch.chdir(tmp_path)  # no .env of the working tree
    for key, value in {
        "CEBOT_DATABASE_URL": sqlite_url,
        "CEBOT_DATA_DIR": str(tmp_path / "data"),
        "CEBOT_LANGUAGE": "en",
        "WECHAT_APP_ID": fake.app_id,
        "WECHAT_APP_SECRET": fake.app_secret,
        "WECHAT_API_BASE_URL": fake.base_url,
    }.items():
        monkeypatch.setenv(key, value)
    return fake


def test_menu_show_prints_what_push_sends(env: FakeWeChatApi) -> None:
    shown = CliRunner().invoke(app, ["wechat", "menu", "show", "--language", "zh"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output) == build_menu(translator("zh"))
    assert "学时" in shown.output  # UTF-8, not \\u escapes


def test_menu_push_sends_the_menu(env: FakeWeChatApi) -> None:
    result = CliRunner().invoke(app, ["wechat", "menu", "push", "--language", "zh"])
    assert result.exit_code == 0, result.output
    assert "3 buttons, 14 entries" in result.output
    assert env.menu == build_menu(translator("zh"))
    assert env.tokens_issued == 1
    again = CliRunner().invoke(app, ["wechat", "menu", "push"])  # the stored token is reused
    assert again.exit_code == 0, again.output
    assert env.menu == build_menu(translator("en")) and env.tokens_issued == 1


def test_menu_push_says_what_wechat_refused(env: FakeWeChatApi) -> None:
    env.fail_next("menu/create", 48001, "api unauthorized")
    result = CliRunner().invoke(app, ["wechat", "menu", "push"])
    assert result.exit_code == 1
    assert "WeChat answered with error 48001: api unauthorized" in result.output
    assert env.menu is None


def test_menu_push_without_an_account(env: FakeWeChatApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_APP_ID", "")
    result = CliRunner().invoke(app, ["wechat", "menu", "push"])
    assert result.exit_code == 1
    assert "WECHAT_APP_ID is not set" in result.output
    assert env.calls == []


def test_menu_push_without_a_secret(env: FakeWeChatApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_APP_SECRET", "")
    result = CliRunner().invoke(app, ["wechat", "menu", "push"])
    assert result.exit_code == 1
    assert "WECHAT_APP_SECRET is not" in result.output
    assert env.calls == []


def test_menu_push_with_a_wrong_secret(env: FakeWeChatApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_APP_SECRET", "not-the-secret")
    result = CliRunner().invoke(app, ["wechat", "menu", "push"])
    assert result.exit_code == 1
    assert "40125" in result.output and "not-the-secret" not in result.output


def test_token_status_never_shows_the_token(env: FakeWeChatApi, sqlite_url: str) -> None:
    before = CliRunner().invoke(app, ["wechat", "token"])
    assert before.exit_code == 0, before.output
    assert f"No access token is stored for {env.app_id} yet" in before.output
    assert CliRunner().invoke(app, ["wechat", "menu", "push"]).exit_code == 0
    after = CliRunner().invoke(app, ["wechat", "token"])
    assert after.exit_code == 0, after.output
    assert "(Beijing time), 119 minutes from now" in after.output
    assert "fetching" not in after.output  # no fetch under way
    db = Database(sqlite_url)

    async def stored() -> str | None:
        async with db.transaction() as session:
            token = await session.scalar(select(WeChatToken.token))
        await db.dispose()
        return token

    token = asyncio.run(stored())
    assert token and token not in after.output
