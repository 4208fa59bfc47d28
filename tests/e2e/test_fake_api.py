"""The fake Bot API answers every method the bot uses, as python-telegram-bot expects."""

from __future__ import annotations

import httpx
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.fake_api import FakeBotApi


async def test_methods_answer_like_telegram(fake_api: FakeBotApi) -> None:
    bot = Bot(fake_api.token, base_url=fake_api.base_url, base_file_url=fake_api.base_file_url)
    async with bot:
        assert (await bot.get_me()).username == "cebot_fake_bot"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="m:prog")]])
        sent = await bot.send_message(5, "你好", reply_markup=markup)
        assert sent.text == "你好" and sent.chat.id == 5
        assert fake_api.calls_of("sendMessage")[0].params["reply_markup"] == {
            "inline_keyboard": [[{"text": "好", "callback_data": "m:prog"}]]
        }
        edited = await bot.edit_message_text("改", chat_id=5, message_id=sent.message_id)
        assert edited.text == "改"
        await bot.edit_message_reply_markup(chat_id=5, message_id=sent.message_id)
        assert await bot.delete_message(5, sent.message_id)
        assert await bot.answer_callback_query("q1", text="ok")
        assert await bot.send_chat_action(5, "typing")
        assert await bot.set_my_commands([BotCommand("help", "帮助")], language_code="zh")
        assert fake_api.calls_of("setMyCommands")[0].params["commands"] == [
            {"command": "help", "description": "帮助"}
        ]
        doc = await bot.send_document(5, document=b"%PDF-1.4 test", filename="cert.pdf")
        assert doc.document is not None and doc.document.file_name == "cert.pdf"
        file = await bot.get_file(doc.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 test"
        assert await bot.set_webhook("http://127.0.0.1:9/telegram", secret_token="s")
        assert fake_api.webhook == {"url": "http://127.0.0.1:9/telegram", "secret_token": "s"}
        assert await bot.delete_webhook()
        fake_api.send_text(5, "/start")
        updates = await bot.get_updates(timeout=1)
        assert updates[0].message is not None and updates[0].message.text == "/start"
        # confirmed updates are forgotten, as by Telegram
        assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{fake_api.base_url}0:wrong/getMe")
        assert response.status_code == 401


async def test_control_endpoints_for_other_processes(fake_api: FakeBotApi) -> None:
    async with httpx.AsyncClient() as http:
        root = fake_api.base_url.removesuffix("/bot")
        ids = (
            await http.post(root + "/_fake/updates", json=[fake_api.text_update(7, "hi")])
        ).json()
        assert len(ids) == 1
        bot = Bot(fake_api.token, base_url=fake_api.base_url)
        async with bot:
            (update,) = await bot.get_updates(timeout=1)
            await bot.send_message(7, "reply")
        calls = (await http.get(root + "/_fake/calls", params={"method": "sendMessage"})).json()
        assert update.update_id == ids[0]
        assert [c["params"]["text"] for c in calls["calls"]] == ["reply"]
