"""Binding with the roster's phone, end to end (issue 17 item 4): the real application polls
the fake Bot API; after the ID number and the name it sends Telegram's contact-request
keyboard; someone else's contact card binds nothing; the user's own contact binds. On SQLite
and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, update

from bot.fake_api import FakeBotApi
from cebot.settings import Settings
from services.binding_review import protect_phone
from services.context import AppContext
from storage.models import Account, Person
from tests.e2e.running import polling, said, tap

USER = 7272
PHONE = "13800138000"


def contact_update(api: FakeBotApi, user_id: int, owner: int, phone: str) -> dict[str, Any]:
    update = api.text_update(user_id, "-")
    message = update["message"]
    del message["text"]
    message["contact"] = {"phone_number": phone, "first_name": "张", "user_id": owner}
    message["date"] = int(time.time())
    return update


async def test_binding_asks_for_the_phone_with_telegrams_button(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings, zhang_id: str
) -> None:
    phone_hash, phone_cipher = protect_phone(ctx, PHONE)
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Person)
            .where(Person.id == roster)
            .values(phone_hash=phone_hash, phone_cipher=phone_cipher)
        )
    api = fake_api
    async with polling(settings, ctx):
        mark = api.mark()
        api.send_text(USER, "/start")
        await api.wait_for_button(USER, "✅ 同意", since=mark)
        await tap(api, USER, "✅ 同意", "身份证号码")
        mark = api.mark()
        api.send_text(USER, zhang_id)
        await api.wait_for("deleteMessage", since=mark)
        mark = api.mark()
        api.send_text(USER, "张伟")
        await said(api, USER, "发送本机手机号", mark)
        [asked] = [
            c
            for c in api.sent_to(USER)
            if c.method == "sendMessage"
            and "keyboard" in str(c.params.get("reply_markup", ""))
            and "request_contact" in str(c.params.get("reply_markup", ""))
        ]
        assert "核对" in asked.params["text"]

        mark = api.mark()
        api.push_update(contact_update(api, USER, USER + 1, PHONE))  # a card forwarded
        await said(api, USER, "只能发送您本人的手机号", mark)
        mark = api.mark()
        api.push_update(contact_update(api, USER, USER, "+86" + PHONE))
        await said(api, USER, "绑定成功", mark)
    async with ctx.db.transaction() as s:
        account = await s.scalar(select(Account).where(Account.external_id == str(USER)))
    assert account is not None and account.person_id == roster
