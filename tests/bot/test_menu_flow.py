"""Main menu screens, bad input and invitations through the engine."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.flows import ChannelUser, Engine, Event
from services.onboarding import SERVICE_LINE, create_invitation
from storage.models import Account, FlowState, Role


async def _bind(chat, roster):
    c = chat()
    await c.start()
    await c.send(roster.zhang_number)
    await c.send("张伟")
    return c


async def test_progress_in_plain_language(ctx, roster, chat):
    c = await _bind(chat, roster)
    await c.press("我的学时")
    text = c.text
    # clock: 2024-11-20 Shanghai, the 2024 policy applies
    assert "2024 年度" in text
    assert "必修课：已完成（15 学时）" in text
    assert "选修课：10 / 10 学时" in text
    assert "已审验 30 学时，待审验 8 学时" in text
    assert "合计：55 / 90 学时" in text
    assert "未达到总学时的 2/3" in text
    # 25 public hours need 50 professional (2/3 share) and 90 total needs 35 more: 35
    assert "还需要 35 个" in text
    assert "2024-12-31，还剩 41 天" in text
    assert "2025-03-31，还剩 131 天" in text
    assert "尚未发布" not in text


async def test_progress_falls_back_to_latest_policy(ctx, roster, chat):
    ctx.clock = lambda: datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    c = await _bind(chat, roster)
    await c.send("/progress")
    assert "2026年度政策尚未发布，以下按2024年度的规定显示" in c.text
    assert "必修课已于 2024-12-31 截止" in c.text


async def test_progress_needs_binding(ctx, roster, chat):
    c = chat()
    await c.send("/progress")
    assert "还没有绑定" in c.text
    await c.press("开始绑定")
    assert "身份证" in c.text


async def test_help_shows_contacts_and_whether_line_is_open(ctx, roster, chat):
    c = chat()
    await c.send("/help")
    assert "0771-966111" in c.text and "gxpx365@126.com" in c.text
    assert "不少于 90 学时" in c.text and "2/3" in c.text
    assert "现在在服务时间内" in c.text  # Wednesday 10:00 in Shanghai
    ctx.clock = lambda: datetime(2024, 11, 20, 4, 30, tzinfo=UTC)  # 12:30, lunch break
    await c.send("/help")
    assert "不在服务时间内" in c.text


def test_service_line_hours() -> None:
    sh = timedelta(hours=8)
    wed = datetime(2024, 11, 20, tzinfo=UTC) - sh  # midnight in Shanghai
    assert SERVICE_LINE.open_at(wed + timedelta(hours=9))
    assert not SERVICE_LINE.open_at(wed + timedelta(hours=8, minutes=59))
    assert not SERVICE_LINE.open_at(wed + timedelta(hours=12))
    assert SERVICE_LINE.open_at(wed + timedelta(hours=17, minutes=59))
    assert not SERVICE_LINE.open_at(wed + timedelta(hours=18))
    assert not SERVICE_LINE.open_at(wed + timedelta(days=3, hours=10))  # Saturday


async def test_language_switch_to_english(ctx, roster, chat):
    c = await _bind(chat, roster)
    await c.press("语言")
    await c.press("English")
    assert "Language set to English" in c.text
    await c.press("My progress")
    assert "Total: 55 of 90 hours" in c.text
    assert "You need 35 more verified professional hours" in c.text
    assert c.last.language == "en"


async def test_english_telegram_user_gets_english(ctx, roster, chat):
    c = chat(language="en-GB")
    await c.start()
    assert "resident ID number" in c.text


async def test_forged_and_stale_buttons_change_nothing(ctx, roster, chat):
    c = chat()
    await c.start()
    await c.send(roster.stranger_number)
    await c.send("李明")
    await c.send("南宁市")
    offered = c.button("第三中学").data
    async with ctx.db.transaction() as s:
        before = await s.scalar(select(FlowState.data))
    # forged: a unit id that was never offered, with the right nonce
    nonce = offered.split(":")[1]
    out = await c.press_data(f"s:{nonce}:u999")
    assert "已过期" in c.text and out.notice
    out = await c.press_data("zz:ok:1")  # a prefix no feature owns
    assert "无法识别" in c.text and out.notice
    out = await c.press_data("m:nonsense")
    assert "无法识别" in c.text
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(FlowState.data)) == before
        assert await s.scalar(select(Account.person_id)) is None
    # a restart of the flow makes the old button stale
    await c.start()
    await c.press_data(offered)
    assert "已过期" in c.text
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(Account.person_id)) is None


async def test_unknown_command_and_stray_text(ctx, roster, chat):
    c = chat()
    await c.send("/frobnicate")
    assert "不认识命令 /frobnicate" in c.text
    await c.send("你好")
    assert "没有理解" in c.text
    await c.start()
    await c.send("/frobnicate")
    assert "身份证" in c.text  # the current question is asked again


async def test_invitation_works_once_and_expires(ctx, roster, chat):
    async with ctx.db.transaction() as s:
        code = await create_invitation(
            s, ctx, role="reviewer", actor="cli", unit_id=roster.hospital_id
        )
        old = await create_invitation(s, ctx, role="admin", actor="cli", ttl=timedelta(seconds=-1))
    c = chat("hr")
    await c.send(f"/start {code}")
    assert "单位人事审验员" in c.text and "✅" in c.text
    other = chat("someone")
    await other.send(f"/start {code}")
    assert "已被使用" in other.text
    await other.send(f"/start {old}")
    assert "已过期" in other.text
    await other.send("/start not-a-code")
    assert "邀请码无效" in other.text
    async with ctx.db.transaction() as s:
        roles = list(await s.scalars(select(Role)))
    assert [(r.role, r.unit_id) for r in roles] == [("reviewer", roster.hospital_id)]
    await c.press("我的绑定")
    assert "权限：单位人事审验员" in c.text


async def test_restart_resumes_from_database(ctx, roster):
    user = ChannelUser("test", "u1")
    out = await Engine(ctx).handle(user, Event.message("/start"))
    agree = next(b for r in out.replies for row in r.buttons for b in row if "✅" in b.label)
    await Engine(ctx).handle(user, Event.button(agree.data))
    await Engine(ctx).handle(user, Event.message(roster.zhang_number))
    fresh = Engine(ctx)  # a new process: nothing in memory
    out = await fresh.handle(user, Event("open"))
    assert "继续上次" in "\n".join(r.text for r in out.replies)
    out = await fresh.handle(user, Event.message("张伟"))
    assert "绑定成功" in "\n".join(r.text for r in out.replies)


async def test_concurrent_updates_of_one_user_do_not_both_win(ctx, roster):
    """Many taps at once that each move the flow: every one is answered, and each that
    succeeded was applied on fresh state (one version step each), none on a stale one."""
    user = ChannelUser("test", "u1")
    engine = Engine(ctx)
    await engine.handle(user, Event.message("/help"))  # account and state exist
    async with ctx.db.transaction() as s:
        before = await s.scalar(select(FlowState.version))
    outs = await asyncio.gather(*(engine.handle(user, Event.message("/start")) for _ in range(8)))
    assert all(o.replies for o in outs)
    # a new user's /start asks for consent to the privacy notice first
    ok = [o for o in outs if "个人信息处理告知" in o.replies[-1].text]
    busy = [o for o in outs if "太快" in o.replies[0].text]
    assert len(ok) + len(busy) == 8 and ok
    async with ctx.db.transaction() as s:
        version = await s.scalar(select(FlowState.version))
        state = await s.scalar(select(FlowState))
        accounts = await s.scalar(select(func.count()).select_from(Account))
    assert accounts == 1
    assert version - before == len(ok)
    assert state is not None and (state.flow, state.step) == ("consent", "ask")


async def test_read_only_turn_writes_nothing(ctx, roster, chat):
    c = chat()
    await c.send("/help")
    async with ctx.db.transaction() as s:
        before = await s.scalar(select(FlowState.version))
    await c.send("/help")
    await c.send("/progress")
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(FlowState.version)) == before


async def test_concurrent_first_contact_makes_one_account(ctx, roster):
    user = ChannelUser("test", "newcomer")
    engine = Engine(ctx)
    outs = await asyncio.gather(*(engine.handle(user, Event.message("/help")) for _ in range(5)))
    assert all(o.replies for o in outs)
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Account)) == 1
        assert await s.scalar(select(func.count()).select_from(FlowState)) == 1
