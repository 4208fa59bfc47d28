"""The real application from the production factory, talking HTTP to the fake Bot API:
/start -> bind -> progress -> help, in polling and in webhook mode."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn

from bot.app import build_application
from bot.fake_api import FakeBotApi
from bot.webhook import SECRET_HEADER, create_webhook_app
from cebot.settings import Settings
from services.context import AppContext
from tests.e2e.running import polling

USER = 4242


@asynccontextmanager
async def webhook_server(settings: Settings, ctx: AppContext) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    application = build_application(settings, ctx)
    web = create_webhook_app(
        application,
        ctx,
        secret=settings.webhook_secret.get_secret_value(),
        webhook_url=url + "/telegram",
    )
    server = uvicorn.Server(uvicorn.Config(web, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
        if task.done():
            task.result()
    try:
        yield url
    finally:
        server.should_exit = True
        await task
        sock.close()


async def journey(api: FakeBotApi, zhang_id: str) -> None:
    mark = api.mark()
    api.send_text(USER, "/start")
    # no ID number is asked for before the privacy notice is agreed to
    await api.wait_for("sendMessage", lambda c: "个人信息处理告知" in c.params["text"], since=mark)
    await api.wait_for_button(USER, "✅ 同意", since=mark)
    mark = api.mark()
    api.press(USER, "✅ 同意")
    await api.wait_for("sendMessage", lambda c: "身份证号码" in c.params["text"], since=mark)

    mark = api.mark()
    sent = api.send_text(USER, zhang_id)
    masked = zhang_id[:4] + "*" * 10 + zhang_id[-4:]
    await api.wait_for("sendMessage", lambda c: masked in c.params["text"], since=mark)
    deleted = await api.wait_for("deleteMessage", since=mark)
    assert deleted.params["message_id"] == sent["message"]["message_id"]

    mark = api.mark()
    api.send_text(USER, "张伟")
    await api.wait_for("sendMessage", lambda c: "绑定成功" in c.params["text"], since=mark)
    await api.wait_for_button(USER, "我的学时", since=mark)

    mark = api.mark()
    api.press(USER, "我的学时")
    progress = await api.wait_for(
        "sendMessage", lambda c: "合计：75 / 90 学时" in c.params["text"], since=mark
    )
    assert "还需要 15 个" in progress.params["text"]
    await api.wait_for("answerCallbackQuery", since=mark)
    await api.wait_for_button(USER, "帮助", since=mark)

    mark = api.mark()
    api.press(USER, "帮助")
    await api.wait_for("sendMessage", lambda c: "0771-966111" in c.params["text"], since=mark)

    # the ID number never went back to Telegram in the clear (getUpdates results are the
    # user's own messages, so only what the bot sent is checked)
    sent = [
        {k: v for k, v in c.params.items() if k != "_result"}
        for c in api.calls
        if c.method != "getUpdates"
    ]
    everything = json.dumps(sent, ensure_ascii=False)
    assert zhang_id not in everything


def assert_commands_registered(api: FakeBotApi) -> None:
    calls = api.calls_of("setMyCommands")
    languages = {c.params.get("language_code") for c in calls}
    assert languages == {None, "zh", "en"}
    en = next(c for c in calls if c.params.get("language_code") == "en")
    assert {"command": "progress", "description": "My progress"} in en.params["commands"]


async def test_polling_journey(ctx, roster, fake_api, settings, zhang_id):
    async with polling(settings, ctx):
        await journey(fake_api, zhang_id)
    assert_commands_registered(fake_api)
    assert fake_api.calls_of("getMe")


async def test_webhook_journey(ctx, roster, fake_api, settings, zhang_id):
    async with webhook_server(settings, ctx) as url:
        assert fake_api.webhook == {"url": url + "/telegram", "secret_token": "e2e-webhook-secret"}
        await journey(fake_api, zhang_id)
        assert set(fake_api.webhook_responses) == {200}
    assert_commands_registered(fake_api)


async def test_webhook_checks_secret_and_ignores_duplicates(ctx, roster, fake_api, settings):
    async with webhook_server(settings, ctx) as url, httpx.AsyncClient() as http:
        update = fake_api.text_update(USER, "/help")
        wrong = await http.post(url + "/telegram", json=update, headers={SECRET_HEADER: "wrong"})
        assert wrong.status_code == 403
        missing = await http.post(url + "/telegram", json=update)
        assert missing.status_code == 403
        good = {SECRET_HEADER: "e2e-webhook-secret"}
        assert (await http.post(url + "/telegram", content=b"{", headers=good)).status_code == 400
        first = await http.post(url + "/telegram", json=update, headers=good)
        again = await http.post(url + "/telegram", json=update, headers=good)
        assert first.status_code == again.status_code == 200
        await fake_api.wait_for("sendMessage", lambda c: "0771-966111" in c.params["text"])
        await asyncio.sleep(0.3)
        helps = [t for t in fake_api.texts_to(USER) if "0771-966111" in t]
        assert len(helps) == 1  # the redelivered copy was ignored
        assert (await http.get(url + "/healthz")).text == "ok"


async def test_error_handler_apologises_without_personal_data(
    ctx, roster, fake_api, settings, zhang_id, caplog, monkeypatch
):
    from bot.flows import engine as engine_module

    async def broken(turn, event):
        raise RuntimeError(f"boom while holding {zhang_id}")

    monkeypatch.setattr(engine_module, "dispatch", broken)
    async with polling(settings, ctx):
        fake_api.send_text(USER, "/help")
        await fake_api.wait_for("sendMessage", lambda c: "出了点问题" in c.params["text"])
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "boom while holding" in logged and "RuntimeError" in logged
    assert zhang_id not in logged


@pytest.mark.parametrize("label", ["语言"])
async def test_language_choice_over_telegram(ctx, roster, fake_api, settings, label):
    async with polling(settings, ctx):
        mark = fake_api.mark()
        fake_api.send_text(USER, "/menu")
        await fake_api.wait_for_button(USER, label, since=mark)
        mark = fake_api.mark()
        fake_api.press(USER, label)
        await fake_api.wait_for_button(USER, "English", since=mark)
        mark = fake_api.mark()
        fake_api.press(USER, "English")
        await fake_api.wait_for(
            "sendMessage", lambda c: "What would you like" in c.params["text"], since=mark
        )
        # a menu keyboard stays usable on older messages: it is not removed
        assert not fake_api.calls_of("editMessageReplyMarkup")
