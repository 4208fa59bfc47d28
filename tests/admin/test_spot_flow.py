"""The spot-check screens, driven event by event: an administrator draws by buttons and typed
input and assigns an auditor; the auditor gets the items one by one with the evidence as
documents, confirms and revokes (common and typed reasons); authority is checked at every
press; every key the screens build at run time exists in both languages."""

from __future__ import annotations

import pytest
from admin_helpers import YEAR, Chat, Province, build_province
from sqlalchemy import select, update

from bot.flows import Engine
from bot.flows.spot import REFUSAL_REASONS
from services.context import AppContext
from services.i18n import LANGUAGES, translator
from services.spot_checks import COMMON_REVOKE_REASONS, draw_sample
from storage.models import HourRecord, OutboxMessage, Role
from storage.spot_models import SpotCheck, SpotCheckItem


@pytest.fixture
async def province(ctx: AppContext) -> Province:
    return await build_province(ctx, extra_people=6)


@pytest.fixture
def engine(ctx: AppContext) -> Engine:
    return Engine(ctx)


async def test_an_administrator_draws_and_assigns(
    ctx: AppContext, province: Province, engine: Engine
) -> None:
    admin = Chat(engine, "admin")
    await admin.send("/menu")
    assert admin.has_button("抽查") and admin.has_button("人员与权限")
    await admin.press("抽查")
    await admin.press("新建抽样")
    await admin.press(str(YEAR))
    assert admin.has_button("全区") and admin.has_button("柳州市")
    await admin.send("柳州")  # a unit by (part of) its name
    await admin.press("柳州市第二中学")
    assert "柳州市第二中学 UB：共有 4 条已审验通过的登记" in admin.text
    await admin.send("abc")
    assert "请输入 1 至 1000" in admin.text
    await admin.press("10%")
    assert "随机抽取 10%" in admin.text and "柳州市第二中学" in admin.text
    await admin.press("抽取")
    assert "已抽取" in admin.text and "随机种子" in admin.text
    assert admin.has_button("赵审计") and admin.has_button("auditor2")
    await admin.press("auditor2")
    assert "已分配给 auditor2" in admin.text and admin.has_button("分配审计员")

    async with ctx.db.transaction() as s:
        check = await s.scalar(select(SpotCheck))
        notice = await s.scalar(
            select(OutboxMessage.payload).where(OutboxMessage.account_id == province.auditor2)
        )
    assert check is not None and check.unit_id == province.unit_b and check.size == 1
    assert check.share == "1/10" and check.auditor_account_id == province.auditor2
    assert notice is not None and notice["key"] == "spot-notice-assigned"

    # a city by its button, a typed size; "later" leaves it unassigned
    await admin.send("/spot")
    await admin.press("新建抽样")
    await admin.press(str(YEAR))
    await admin.press("南宁市")
    await admin.send("3")
    await admin.press("抽取")
    await admin.press("稍后分配")
    assert "南宁市" in admin.text and "未分配" in admin.text
    async with ctx.db.transaction() as s:
        second = (await s.scalars(select(SpotCheck).order_by(SpotCheck.id.desc()))).first()
    assert second is not None and second.city == "南宁市" and second.auditor_account_id is None


async def test_an_auditor_checks_item_by_item(
    ctx: AppContext, province: Province, engine: Engine
) -> None:
    draw = await draw_sample(
        ctx, province.admin, year=YEAR, unit="UA", size=3, seed=4, auditor=province.auditor2
    )
    auditor = Chat(engine, "auditor2")
    await auditor.send("/menu")
    assert auditor.has_button("抽查") and not auditor.has_button("人员与权限")
    # the notice's button opens the draw
    await auditor.press_data(f"sp:{draw.id}")
    assert f"#{draw.id}" in auditor.text
    await auditor.press("开始核查")
    assert auditor.files and auditor.files[0].startswith("evidence-")
    assert "第 1/3 条" in auditor.text and "**********" in auditor.text
    first_buttons = auditor.buttons()
    await auditor.press("属实")
    assert "已确认属实" in auditor.text and "第 2/3 条" in auditor.text
    second_buttons = auditor.buttons()
    # the first item's buttons are stale now: nothing is marked twice
    confirm_first = next(b for b in first_buttons if "属实" in b.label)
    await auditor.press_data(confirm_first.data)
    assert "过期" in auditor.text
    # the second item's buttons still work
    await auditor.press_data(next(b for b in second_buttons if "撤销学时" in b.label).data)
    for code in COMMON_REVOKE_REASONS:
        assert auditor.has_button(translator("zh")(f"spot-reason-{code}"))
    await auditor.press("证明材料不真实")
    assert "已撤销" in auditor.text and "第 3/3 条" in auditor.text
    await auditor.press("撤销学时")
    await auditor.send("照片系翻拍，与原件不符")
    assert "照片系翻拍" in auditor.text
    assert "所有登记都已核查完毕" in auditor.text

    async with ctx.db.transaction() as s:
        items = list(
            await s.scalars(
                select(SpotCheckItem)
                .where(SpotCheckItem.check_id == draw.id)
                .order_by(SpotCheckItem.seq)
            )
        )
        statuses = [
            (await s.get(HourRecord, i.record_id)).status  # type: ignore[union-attr]
            for i in items
        ]
        check = await s.get(SpotCheck, draw.id)
    assert [i.outcome for i in items] == ["confirmed", "revoked", "revoked"]
    assert [i.reason for i in items] == [None, "evidence_false", "照片系翻拍，与原件不符"]
    assert statuses == ["approved", "revoked", "revoked"]
    assert check is not None and check.status == "done"


async def test_authority_is_checked_at_every_press(
    ctx: AppContext, province: Province, engine: Engine
) -> None:
    draw = await draw_sample(
        ctx, province.admin, year=YEAR, size=2, seed=1, auditor=province.auditor2
    )
    plain = Chat(engine, "plain")
    await plain.send("/spot")
    assert "只对管理员和审计员开放" in plain.text
    await plain.press_data(f"sp:{draw.id}")
    assert "只对管理员和审计员开放" in plain.text

    other = Chat(engine, "auditor")  # an auditor, but not of this draw
    await other.press_data(f"sp:{draw.id}")
    assert f"抽查 #{draw.id} 没有分配给您" in other.text
    await other.send("/spot")
    assert "分配给您的抽查" in other.text and not other.has_button("新建抽样")

    admin = Chat(engine, "admin")
    await admin.send("/spot")
    await admin.press("新建抽样")
    await admin.press(str(YEAR))
    await admin.press("全区")
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Role)
            .where(Role.account_id == province.admin, Role.role == "admin")
            .values(revoked_at=ctx.now())
        )
    await admin.press("5")
    assert "只有管理员可以进行这项操作" in admin.text
    assert await count_draws(ctx) == 1

    # an auditor whose role is withdrawn while an item is on screen
    auditor = Chat(engine, "auditor2")
    await auditor.press_data(f"sp:{draw.id}")
    await auditor.press("开始核查")
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Role)
            .where(Role.account_id == province.auditor2, Role.role == "auditor")
            .values(revoked_at=ctx.now())
        )
    await auditor.press("属实")
    assert "只对管理员和审计员开放" in auditor.text
    async with ctx.db.transaction() as s:
        marked = await s.scalar(
            select(SpotCheckItem.id).where(SpotCheckItem.outcome != "open").limit(1)
        )
    assert marked is None


async def count_draws(ctx: AppContext) -> int:
    async with ctx.db.transaction() as s:
        return len(list(await s.scalars(select(SpotCheck.id))))


async def test_an_id_number_typed_as_a_reason_is_deleted_and_masked(
    ctx: AppContext, province: Province, engine: Engine
) -> None:
    from admin_helpers import id_number_of

    draw = await draw_sample(
        ctx, province.admin, year=YEAR, city="柳州市", size=1, seed=2, auditor=province.auditor2
    )
    auditor = Chat(engine, "auditor2")
    await auditor.press_data(f"sp:{draw.id}")
    await auditor.press("开始核查")
    await auditor.press("撤销学时")
    number = id_number_of(3)
    outcome = await auditor.send(f"材料属于 {number}，不是本人")
    assert outcome.delete_incoming
    assert number not in auditor.text
    async with ctx.db.transaction() as s:
        reason = await s.scalar(select(SpotCheckItem.reason))
    assert reason is not None and number not in reason and number[-4:] in reason


def test_every_run_time_key_exists() -> None:
    keys = {f"spot-refused-{r}" for r in REFUSAL_REASONS}
    keys |= {f"spot-reason-{c}" for c in COMMON_REVOKE_REASONS}
    keys |= {f"spot-outcome-{o}" for o in ("open", "confirmed", "revoked", "void")}
    keys |= {f"spot-status-{s}" for s in ("open", "done")}
    keys |= {"cmd-desc-spot", "cmd-desc-people", "spot-notice-assigned", "spot-button-open"}
    for language in LANGUAGES:
        t = translator(language)
        missing = {k for k in keys if not t.has(k) or (language == "en" and t(k) == k)}
        assert not missing, (language, missing)
