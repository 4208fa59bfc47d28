"""Telegram conventions, through the real application polling the fake Bot API: the bot's
description and command menus per language and role, a block and an unblock learnt from
my_chat_member (without a failed send), an edited message answered and never read."""

from __future__ import annotations

import time
import warnings
from typing import Any

from sqlalchemy import select

from bot.fake_api import FakeBotApi
from bot.webhook import ALLOWED_UPDATES
from cebot.settings import Settings
from services.context import AppContext
from services.onboarding import issue_invitation
from services.outbox import SenderConfig, drain
from services.reminders import BroadcastFilter, queue_broadcast
from storage.models import Account, OutboxMessage, Unit
from tests.e2e.running import bind, polling, said

USER = 6161
STAFF_ONLY = {"review", "report", "upload", "admin", "people", "policies", "spot"}


def member_update(api: FakeBotApi, user_id: int, old: str, new: str) -> dict[str, Any]:
    bot = {"id": 1, "is_bot": True, "first_name": "cebot"}

    def member(status: str) -> dict[str, Any]:
        # Telegram's "kicked" (the user blocked the bot) carries an until_date
        return {"status": status, "user": bot, **({"until_date": 0} if status == "kicked" else {})}

    return {
        "my_chat_member": {
            "chat": {"id": user_id, "type": "private", "first_name": f"user{user_id}"},
            "from": api.user(user_id),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
    }


def edited_update(api: FakeBotApi, user_id: int, text: str) -> dict[str, Any]:
    update = api.text_update(user_id, text)
    message = update.pop("message")
    message["edit_date"] = int(time.time())
    return {"edited_message": message}


async def unreachable(ctx: AppContext, chat: int) -> bool:
    async with ctx.db.transaction() as s:
        at = await s.scalar(select(Account.unreachable_at).where(Account.external_id == str(chat)))
    return at is not None


async def test_profile_and_menus_per_language_and_role(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings, zhang_id: str
) -> None:
    async with polling(settings, ctx) as application:
        # no second, idle scheduler in the worker (APScheduler is installed for our own)
        with warnings.catch_warnings():  # PTB warns when asked for a job queue it has not
            warnings.simplefilter("ignore")
            assert application.job_queue is None
        descriptions = {
            c.params.get("language_code"): c for c in fake_api.calls_of("setMyDescription")
        }
        shorts = {
            c.params.get("language_code"): c for c in fake_api.calls_of("setMyShortDescription")
        }
        assert set(descriptions) == set(shorts) == {None, "zh", "en"}
        assert "继续教育" in descriptions["zh"].params["description"]
        assert "continuing education" in descriptions["en"].params["description"]
        chinese = descriptions["zh"].params["description"]
        assert descriptions[None].params["description"] == chinese  # any other language
        assert all(len(c.params["short_description"]) <= 120 for c in shorts.values())
        defaults = [c for c in fake_api.calls_of("setMyCommands") if "scope" not in c.params]
        assert {c.params.get("language_code") for c in defaults} == {None, "zh", "en"}
        for call in defaults:
            names = {cmd["command"] for cmd in call.params["commands"]}
            assert "progress" in names and not names & STAFF_ONLY

        await bind(fake_api, USER, zhang_id, "张伟")
        # a professional's turns set no chat scope: the default menu is theirs
        assert not [c for c in fake_api.calls_of("setMyCommands") if "scope" in c.params]

        async with ctx.db.transaction() as s:
            unit_code = await s.scalar(select(Unit.code).where(Unit.id == 1)) or ""
        issued = await issue_invitation(ctx, role="reviewer", actor="cli", unit_code=unit_code)
        mark = fake_api.mark()
        fake_api.send_text(USER, f"/start {issued.code}")
        scoped = await fake_api.wait_for(
            "setMyCommands", lambda c: "scope" in c.params, since=mark
        )
        assert scoped.params["scope"] == {"type": "chat", "chat_id": USER}
        names = {cmd["command"] for cmd in scoped.params["commands"]}
        assert {"review", "report", "progress"} <= names and not names & {"admin", "upload"}
        # the same roles again: no second call
        mark = fake_api.mark()
        fake_api.send_text(USER, "/menu")
        await said(fake_api, USER, "", mark)
        assert not [c for c in fake_api.calls[mark:] if c.method == "setMyCommands"]

        async with ctx.db.transaction() as s:
            from storage.models import Role

            role = await s.scalar(select(Role).where(Role.role == "reviewer"))
            assert role is not None
            role.revoked_at = ctx.now()
        mark = fake_api.mark()
        fake_api.send_text(USER, "/menu")
        back = await fake_api.wait_for("deleteMyCommands", since=mark)
        assert back.params["scope"] == {"type": "chat", "chat_id": USER}


async def test_a_block_is_learnt_without_a_failed_send(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings, zhang_id: str
) -> None:
    assert "my_chat_member" in ALLOWED_UPDATES and "edited_message" in ALLOWED_UPDATES
    async with polling(settings, ctx):
        await bind(fake_api, USER, zhang_id, "张伟")
        # a notice queued before the block ...
        queued = await queue_broadcast(ctx, "停电通知", BroadcastFilter(), actor="admin")
        assert queued.queued == 1
        fake_api.push_update(member_update(fake_api, USER, "member", "kicked"))
        for _ in range(100):
            if await unreachable(ctx, USER):
                break
            await _sleep()
        assert await unreachable(ctx, USER)

        # ... is dropped by the sender without a call, and a new one is not even queued
        again = await queue_broadcast(ctx, "第二条通知", BroadcastFilter(), actor="admin")
        assert again.queued == 0
        calls: list[str] = []

        async def send(_channel: str, chat: str, _text: str, _buttons: object) -> None:
            calls.append(chat)

        stats = await drain(ctx, send, SenderConfig(rate=100))
        assert calls == [] and stats.unreachable == 1
        async with ctx.db.transaction() as s:
            assert await s.scalar(select(OutboxMessage.status)) == "unreachable"

        fake_api.push_update(member_update(fake_api, USER, "kicked", "member"))
        for _ in range(100):
            if not await unreachable(ctx, USER):
                break
            await _sleep()
        assert not await unreachable(ctx, USER)
        # neither update was answered in the chat
        assert not [c for c in fake_api.sent_to(USER) if "出错" in str(c.params.get("text"))]


async def test_an_edited_message_is_answered_not_read(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings, zhang_id: str
) -> None:
    async with polling(settings, ctx):
        await bind(fake_api, USER, zhang_id, "张伟")
        mark = fake_api.mark()
        fake_api.push_update(edited_update(fake_api, USER, "张三"))
        text = await said(fake_api, USER, "我没有读取修改后的消息", mark)
        assert "重新发送" in text
        assert not [c for c in fake_api.calls[mark:] if c.method == "deleteMessage"]
        # an edit that now holds an ID number is deleted, like any message holding one
        mark = fake_api.mark()
        fake_api.push_update(edited_update(fake_api, USER, f"我的号码 {zhang_id}"))
        await said(fake_api, USER, "我没有读取修改后的消息", mark)
        assert [c for c in fake_api.calls[mark:] if c.method == "deleteMessage"]
        # in English for an account that chose English
        async with ctx.db.transaction() as s:
            account = await s.scalar(select(Account).where(Account.external_id == str(USER)))
            assert account is not None
            account.language = "en"
        mark = fake_api.mark()
        fake_api.push_update(edited_update(fake_api, USER, "typo fixed"))
        await said(fake_api, USER, "I did not read the edited message", mark)


async def _sleep() -> None:
    import asyncio

    await asyncio.sleep(0.05)
