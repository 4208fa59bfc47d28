"""Stale buttons (bot/flows/stale.py and the router): an old step button is never a dead end.
It leads to the current step of the flow it belonged to (the flow's `on_stale`), else the
current step, else the menu, each with a sentence; it changes nothing it should not."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.flows.stale import KEEP, RECENT
from services.context import AppContext
from services.question_bank import seed_demo_content
from storage.models import FlowState, HourRecord
from tests.bot.conftest import Chat, Roster


async def state_of(ctx: AppContext) -> tuple[str | None, str | None, dict[str, Any], int]:
    async with ctx.db.transaction() as s:
        state = await s.scalar(select(FlowState))
        assert state is not None
        return state.flow, state.step, dict(state.data or {}), state.version


async def bound(c: Chat, roster: Roster) -> Chat:
    await c.start()
    await c.send(roster.zhang_number)
    await c.send("张伟")
    assert "绑定成功" in c.text
    return c


async def test_an_unknown_old_button_leads_to_the_menu_and_writes_nothing(ctx, roster, chat):
    c = await bound(chat(), roster)
    before = await state_of(ctx)
    out = await c.press_data("s:beef:anything")  # never shown to this account
    assert "它所属的事项已经结束" in c.text and "请从菜单继续" in c.text
    assert c.button("我的学时") and out.notice is not None
    assert "请使用最新消息中的按钮" not in c.text
    assert await state_of(ctx) == before  # not even the version moved


async def test_in_a_flow_without_its_own_rule_the_current_step_is_asked_again(ctx, roster, chat):
    c = chat()
    await c.send("/start")
    agree = next(b for b in c.buttons() if b.label.endswith("同意") and "不" not in b.label)
    await c.press_data(agree.data)
    await c.send(roster.stranger_number)  # not in the roster: the name is asked next
    assert "姓名" in c.text
    flow, step, data, _version = await state_of(ctx)
    out = await c.press_data(agree.data)  # the privacy notice's button, tapped again
    assert "您现在在这一步" in c.text and "姓名" in c.text and out.notice is not None
    assert (await state_of(ctx))[:3] == (flow, step, data)  # nothing changed
    await c.send("李明")  # the step goes on
    assert "单位" in c.text


async def test_an_old_study_button_during_a_claim_keeps_the_claim_draft(ctx, roster, chat):
    await seed_demo_content(ctx)
    c = await bound(chat(), roster)
    await c.send("/study")
    electives_button = c.button("选修课").data
    await c.send("/claim")
    await c.press("新登记")
    await c.press("2024 年度")
    await c.press("培训进修类")
    await c.press_data(electives_button)  # the old study screen's button
    assert "以下是您现在的选修课" in c.text and "2024 年度选修课" in c.text
    await c.send("/claim")  # the claim waits, as after a menu button
    await c.press("继续未完成的登记")
    assert "接着刚才的登记继续" in c.text
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(HourRecord.id).where(HourRecord.origin == "claim")) is None


async def test_only_the_last_few_steps_are_remembered(ctx, roster, chat):
    await seed_demo_content(ctx)
    c = await bound(chat(), roster)
    await c.send("/study")
    first = c.button("选修课").data
    for _ in range(KEEP + 2):  # more screens than are remembered
        await c.press("选修课")
        await c.press("返回学习概况")
    _flow, _step, data, _version = await state_of(ctx)
    assert len(data[RECENT]) == KEEP
    await c.send("/menu")
    await c.press_data(first)  # forgotten: the menu, with a sentence
    assert "请从菜单继续" in c.text and c.button("学习与考试")
