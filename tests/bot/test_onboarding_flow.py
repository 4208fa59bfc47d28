"""Onboarding driven event by event through the engine, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core.idnumber import make_id_number
from services.context import AppContext
from storage.models import Account, AuditEntry, FlowState, Person


async def _count(ctx: AppContext, model: type) -> int:
    async with ctx.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def _account(ctx: AppContext, external_id: str = "u1") -> Account:
    async with ctx.db.transaction() as s:
        account = await s.scalar(select(Account).where(Account.external_id == external_id))
        assert account is not None
        return account


async def test_roster_person_binds_and_id_never_echoed(ctx, roster, chat):
    c = chat()
    await c.start()
    assert "身份证" in c.text
    out = await c.send(roster.zhang_number)
    assert out.delete_incoming  # the adapter removes the message holding the number
    assert roster.zhang_number not in c.text
    assert roster.zhang_number[:4] + "**********" + roster.zhang_number[-4:] in c.text
    await c.send("张伟")
    assert "绑定成功" in c.text and "南宁市第一人民医院" in c.text
    assert c.button("我的学时")  # the main menu follows
    account = await _account(ctx)
    assert account.person_id == roster.zhang_id
    async with ctx.db.transaction() as s:
        state = await s.get(FlowState, account.id)
        assert state is not None and state.flow is None
        entries = list(await s.scalars(select(AuditEntry)))
    assert any(e.action == "account.bind" for e in entries)
    # audit entries hold masked values only
    assert all(roster.zhang_number not in str(e.data) for e in entries)


async def test_wrong_check_digit_and_name_mismatch_leave_data_unchanged(ctx, roster, chat):
    c = chat()
    await c.start()
    bad = roster.zhang_number[:17] + ("0" if roster.zhang_number[17] != "0" else "1")
    out = await c.send(bad)
    assert "校验位" in c.text and out.delete_incoming
    await c.send(roster.zhang_number)
    await c.send("李四")
    assert "不一致" in c.text
    account = await _account(ctx)
    assert account.person_id is None and account.failed_attempts == 2
    await c.send("张 伟")  # spaces are typing noise
    assert "绑定成功" in c.text
    assert (await _account(ctx)).failed_attempts == 0


async def test_person_not_in_roster_picks_unit_and_is_unconfirmed(ctx, roster, chat):
    c = chat()
    await c.start()
    await c.send(roster.stranger_number)
    await c.send("李明")
    assert "统一社会信用代码" in c.text
    await c.send("不存在的单位")
    assert "没有找到" in c.text
    await c.send("南宁市")
    assert len([b for b in c.buttons() if b.data.startswith("s:")]) == 2
    await c.press("第三中学")
    assert "单位人事审验员确认" in c.text
    async with ctx.db.transaction() as s:
        person = await s.scalar(select(Person).where(Person.name == "李明"))
        assert person is not None
        assert person.unit_id == roster.school_id and person.unit_confirmed is False
        assert person.id_masked.startswith(roster.stranger_number[:4])
        assert roster.stranger_number not in person.id_cipher


async def test_unit_found_by_code(ctx, roster, chat):
    c = chat()
    await c.start()
    await c.send(roster.stranger_number)
    await c.send("李明")
    await c.send(roster.school_code.lower())
    assert [b.label for b in c.buttons() if b.data.startswith("s:")] == [
        f"南宁市第三中学 ({roster.school_code[-6:]})"
    ]


async def test_person_bound_elsewhere_is_refused(ctx, roster, chat):
    first, second = chat("u1"), chat("u2")
    await first.start()
    await first.send(roster.zhang_number)
    await first.send("张伟")
    await second.start()
    await second.send(roster.zhang_number)
    # said only once the name is right too (an ID number alone tells nothing), with a review
    # offered (tests/bot/test_binding_review_flow.py)
    assert "已绑定在另一个账号" not in second.text
    await second.send("张伟")
    assert "已绑定在另一个账号" in second.text and second.button("申请审核绑定")
    assert (await _account(ctx, "u2")).person_id is None
    assert (await _account(ctx, "u1")).person_id == roster.zhang_id


async def test_second_start_restarts_politely(ctx, roster, chat):
    c = chat()
    await c.start()
    await c.send(roster.zhang_number)
    await c.start()
    assert "重新开始" in c.text and "身份证" in c.text
    await c.send("张伟")  # a name is not an ID number: the flow really restarted
    assert "18位" in c.text
    assert (await _account(ctx)).person_id is None


async def test_ten_wrong_tries_rate_limit(ctx, roster, chat):
    c = chat()
    await c.start()
    for _ in range(10):
        await c.send("123")
    assert "错误次数过多" in c.text
    await c.send(roster.zhang_number)  # even a right answer waits now
    assert "错误次数过多" in c.text
    account = await _account(ctx)
    assert account.person_id is None and account.locked_until is not None


async def test_future_birth_date_rejected(ctx, roster, chat):
    c = chat()
    await c.start()
    await c.send(make_id_number("450103", date(2030, 1, 1), 1))
    assert "出生日期" in c.text


async def test_already_bound_start_and_leave(ctx, roster, chat):
    c = chat()
    await c.start()
    await c.send(roster.zhang_number)
    await c.send("张伟")
    await c.start()
    assert "您已绑定 张伟" in c.text
    await c.press("我的绑定")
    assert "南宁市第一人民医院" in c.text
    await c.press("解除绑定")
    confirm = c.button("确定解除")
    await c.send("随便说点什么")  # text where a button is expected
    assert "请点击下方按钮" in c.text
    assert (await _account(ctx)).person_id == roster.zhang_id
    await c.press_data(confirm.data)  # the buttons shown again keep the same nonce
    assert "已解除绑定" in c.text
    assert c.last.button_accepted  # the adapter removes the used-up confirmation keyboard
    assert (await _account(ctx)).person_id is None
    assert await _count(ctx, Person) == 1  # the person and hours stay


async def test_issue_invitation_for_the_command_line(ctx, roster, chat):
    from services.onboarding import UnknownUnit, issue_invitation

    issued = await issue_invitation(
        ctx, role="reviewer", actor="cli", unit_code=roster.school_code.lower()
    )
    assert issued.deep_link("@cebot_bot") == f"https://t.me/cebot_bot?start={issued.code}"
    async with ctx.db.transaction() as s:
        stored = list(await s.scalars(select(AuditEntry.data)))
    assert all(issued.code not in str(d) for d in stored)  # only the hash is kept
    c = chat("hr")
    await c.send(f"/start {issued.code}")
    assert "单位人事审验员" in c.text
    with pytest.raises(UnknownUnit):
        await issue_invitation(ctx, role="reviewer", actor="cli", unit_code="NOPE")


async def test_id_number_typed_outside_the_flow_is_deleted(ctx, roster, chat):
    c = chat()
    out = await c.send(f"我的身份证是{roster.zhang_number}")
    assert out.delete_incoming and "没有理解" in c.text


@pytest.mark.parametrize(
    ("role", "button", "opens"),
    [
        ("reviewer", "审核", "待审验"),
        ("organiser", "导入学时", "请发送学时文件"),
        ("admin", "管理", "请选择要办理的事项"),
    ],
)
async def test_first_menu_after_invitation_shows_the_new_role(
    ctx, roster, chat, role, button, opens
):
    """Issue 17 item 19: the reply to /start CODE carries the new role's button, and it works
    at once (no /menu first)."""
    from services.onboarding import create_invitation

    async with ctx.db.transaction() as s:
        code = await create_invitation(
            s,
            ctx,
            role=role,
            actor="cli",
            unit_id=roster.hospital_id if role == "reviewer" else None,
            source="广西继续教育网" if role == "organiser" else None,
        )
    c = chat("staff")
    await c.send("/help")  # an account that already has a menu without the role
    assert button not in [b.label.split(" ", 1)[-1] for b in c.buttons()]
    await c.send(f"/start {code}")
    assert "✅" in c.text
    labels = [b.label.split(" ", 1)[-1] for b in c.buttons()]
    assert button in labels
    await c.press(button)
    assert opens in c.text
