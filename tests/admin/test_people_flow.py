"""The people-and-roles screens, driven event by event: find a person by name, the last four or
the whole ID number (deleted from the chat, never echoed), move them, grant and withdraw roles,
remove a binding, reopen a decided claim; a non-administrator, or one withdrawn mid-screen, is
refused at the next press; every key built at run time exists."""

from __future__ import annotations

import pytest
from admin_helpers import Chat, Province, build_province, id_number_of
from sqlalchemy import select, update

from bot.flows import Engine
from bot.flows.people import REFUSAL_REASONS, REOPEN_REFUSALS
from services.context import AppContext
from services.i18n import LANGUAGES, translator
from services.people_admin import GRANTABLE_ROLES
from storage.models import Account, AuditEntry, HourRecord, Person, Role


@pytest.fixture
async def province(ctx: AppContext) -> Province:
    return await build_province(ctx, extra_people=2)


@pytest.fixture
def engine(ctx: AppContext) -> Engine:
    return Engine(ctx)


async def live_roles(ctx: AppContext, account_id: int) -> list[tuple[str, int | None, str | None]]:
    async with ctx.db.transaction() as s:
        rows = await s.execute(
            select(Role.role, Role.unit_id, Role.source)
            .where(Role.account_id == account_id, Role.revoked_at.is_(None))
            .order_by(Role.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_find_and_move_a_person(ctx: AppContext, province: Province, engine: Engine) -> None:
    admin = Chat(engine, "admin")
    await admin.send("/people")
    assert "查找人员" in admin.text
    number = id_number_of(1)  # 王芳
    outcome = await admin.send(number)
    assert outcome.delete_incoming  # the router removes the ID number from the chat
    assert number not in admin.text and admin.has_button("王芳")
    await admin.send("王 " + number[-4:])
    await admin.press("王芳")
    assert "王芳（4501" in admin.text and "南宁市第一人民医院" in admin.text
    assert number not in admin.text
    await admin.press("调动单位")
    await admin.send("第二中学")
    await admin.press("柳州市第二中学")
    assert "已从 南宁市第一人民医院 调到 柳州市第二中学" in admin.text
    assert "仍由原单位审验" in admin.text  # the pending claim stays with unit A
    async with ctx.db.transaction() as s:
        person = await s.get(Person, province.p1)
        units = set(
            await s.scalars(select(HourRecord.unit_id).where(HourRecord.person_id == province.p1))
        )
    assert person is not None and person.unit_id == province.unit_b
    assert units == {province.unit_a}
    await admin.send("不存在的人")
    assert "没有找到符合条件的人员" in admin.text


async def test_roles_binding_and_reopening(
    ctx: AppContext, province: Province, engine: Engine
) -> None:
    admin = Chat(engine, "admin")
    await admin.send("/people 王芳")
    await admin.press("王芳")
    await admin.press("权限")
    t = translator("zh")
    await admin.press("＋ " + t("role-auditor"))
    assert "已授予权限" in admin.text
    await admin.press("＋ " + t("role-reviewer"))
    await admin.press("南宁市第一人民医院")  # the person's own unit, offered first
    await admin.press("＋ " + t("role-organiser"))
    await admin.send("广西继续教育基地")
    assert await live_roles(ctx, province.p1_account) == [
        ("auditor", None, None),
        ("reviewer", province.unit_a, None),
        ("organiser", None, "广西继续教育基地"),
    ]
    await admin.press("收回" + t("role-reviewer"))
    assert "已收回权限" in admin.text
    assert [r[0] for r in await live_roles(ctx, province.p1_account)] == ["auditor", "organiser"]

    await admin.press("返回")
    await admin.press("已审验的登记")
    await admin.press(f"重新打开 #{province.p1_claim_small}")
    await admin.send("单位反映学时有误")
    assert f"登记 #{province.p1_claim_small}" in admin.text and "重新打开" in admin.text
    async with ctx.db.transaction() as s:
        record = await s.get(HourRecord, province.p1_claim_small)
    assert record is not None and record.status == "pending"

    await admin.press("解除绑定")
    await admin.press("确认解除")
    assert "已解除" in admin.text and "没有绑定的账号" in admin.text
    async with ctx.db.transaction() as s:
        account = await s.get(Account, province.p1_account)
        actions = set(await s.scalars(select(AuditEntry.action)))
    assert account is not None and account.person_id is None
    assert {"role.grant", "role.withdraw", "claim_reopened", "account.deactivate"} <= actions


async def test_accounts_without_a_person_and_the_staff_list(
    ctx: AppContext, province: Province, engine: Engine
) -> None:
    admin = Chat(engine, "admin")
    await admin.send("/people")
    await admin.press("查看所有授权人员")
    assert "auditor2" in admin.text and "reviewer-b" in admin.text
    await admin.send(f"#{province.auditor2}")
    assert f"账号 #{province.auditor2}" in admin.text and "没有绑定人员" in admin.text
    await admin.press("权限")
    await admin.press("收回" + translator("zh")("role-auditor"))
    assert await live_roles(ctx, province.auditor2) == []
    await admin.send(f"#{province.reviewer_b}")  # text is not taken at the roles screen
    assert "请点击下方按钮" in admin.text
    await admin.send("/people #99999")
    assert "没有找到账号 #99999" in admin.text


async def test_only_administrators_and_at_every_press(
    ctx: AppContext, province: Province, engine: Engine
) -> None:
    reviewer = Chat(engine, "reviewer-a")
    await reviewer.send("/people")
    assert "只有管理员可以进行这项操作" in reviewer.text
    await reviewer.send("/menu")
    assert not reviewer.has_button("人员与权限")

    admin = Chat(engine, "admin")
    await admin.send("/people 王芳")
    await admin.press("王芳")
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Role)
            .where(Role.account_id == province.admin, Role.role == "admin")
            .values(revoked_at=ctx.now())
        )
    await admin.press("解除绑定")
    assert "只有管理员可以进行这项操作" in admin.text
    async with ctx.db.transaction() as s:
        account = await s.get(Account, province.p1_account)
    assert account is not None and account.person_id == province.p1


def test_every_run_time_key_exists() -> None:
    keys = {f"adm-refused-{r}" for r in REFUSAL_REASONS}
    keys |= {f"claim-refused-{r}" for r in REOPEN_REFUSALS}
    keys |= {f"role-{r}" for r in GRANTABLE_ROLES}
    keys |= {f"adm-status-{s}" for s in ("approved", "rejected", "pending", "revoked")}
    keys |= {
        "adm-notice-moved",
        "adm-notice-unbound",
        "adm-notice-role-granted",
        "adm-notice-role-withdrawn",
        "adm-notice-reopened",
        "adm-role-withdrawn-at",
    }
    for language in LANGUAGES:
        t = translator(language)
        missing = {k for k in keys if not t.has(k)}
        assert not missing, (language, missing)
    # the role in a notice reads in the reader's language
    assert "审计员" in translator("zh")("adm-notice-role-granted", role="auditor")
    assert "auditor role" in translator("en")("adm-notice-role-granted", role="auditor")
