"""Reminder settings (mute optional reminders, never the final ones) and the administrators'
broadcast flow: audience by city, unit and status, preview with the count, confirm once,
campaign reports. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select, update

from bot.flows.notices import KINDS, MAX_NOTICE_LENGTH, STATUSES
from bot.flows.stale import RECENT
from core.uscc import make_unit_code
from services.context import AppContext
from services.i18n import LANGUAGES, translator
from services.privacy import notice
from services.reminders import (
    AudienceStatus,
    BroadcastFilter,
    OutboxStatus,
    broadcast_cities,
    campaign_report,
    queue_broadcast,
    run_due,
    status_year,
)
from storage.models import (
    Account,
    AuditEntry,
    Campaign,
    FlowState,
    HourRecord,
    OutboxMessage,
    Person,
    Role,
    Unit,
)

LIUZHOU_CODE = make_unit_code("12450200MB0000003")
HOSPITAL_CODE = make_unit_code("12450000MB0000001")  # the roster's hospital (tests/bot/conftest)


# ------------------------------------------------------------------ helpers


async def bind_zhang(c: Any, roster: Any) -> None:
    await c.start()
    await c.send(roster.zhang_number)
    await c.send("张伟")
    assert "绑定成功" in c.text


async def account_of(ctx: AppContext, external_id: str) -> Account:
    async with ctx.db.transaction() as s:
        account = await s.scalar(select(Account).where(Account.external_id == external_id))
        assert account is not None
        return account


async def make_admin(ctx: AppContext, external_id: str) -> None:
    account = await account_of(ctx, external_id)
    async with ctx.db.transaction() as s:
        s.add(Role(account_id=account.id, role="admin", granted_at=ctx.now(), granted_by="test"))


async def revoke_admin(ctx: AppContext) -> None:
    async with ctx.db.transaction() as s:
        await s.execute(update(Role).where(Role.role == "admin").values(revoked_at=ctx.now()))


async def outbox_rows(ctx: AppContext, campaign_key: str | None = None) -> list[OutboxMessage]:
    async with ctx.db.transaction() as s:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if campaign_key is not None:
            stmt = stmt.join(Campaign, Campaign.id == OutboxMessage.campaign_id).where(
                Campaign.key == campaign_key
            )
        return list(await s.scalars(stmt))


async def outbox_accounts(ctx: AppContext, campaign_key: str) -> set[int]:
    return {r.account_id for r in await outbox_rows(ctx, campaign_key)}


async def add_person(
    ctx: AppContext,
    unit_id: int,
    n: int,
    *,
    chat: int | None,
    hours: tuple[tuple[str, int], ...] = (),
    muted: bool = False,
    unreachable: bool = False,
) -> int | None:
    """A person of the unit with a bound Telegram account (when `chat`); its account id."""
    now = ctx.now()
    async with ctx.db.transaction() as s:
        p = Person(
            id_hash=f"h{n}",
            id_cipher="x",
            id_masked="4501**********0000",
            name=f"人{n}",
            unit_id=unit_id,
            unit_confirmed=True,
            created_at=now,
            updated_at=now,
        )
        s.add(p)
        await s.flush()
        for i, (subject, h) in enumerate(hours):
            s.add(
                HourRecord(
                    person_id=p.id,
                    year=2024,
                    subject=subject,
                    origin="import",
                    dedup_key=f"n{n}:{i}",
                    unit_id=unit_id,
                    title="课程",
                    completed_on=date(2024, 6, 1),
                    hours=Fraction(h),
                    status="credited" if subject.startswith("public") else "approved",
                    created_at=now,
                )
            )
        if chat is None:
            return None
        a = Account(
            channel="telegram",
            external_id=str(chat),
            person_id=p.id,
            language="zh",
            muted_optional=muted,
            unreachable_at=now if unreachable else None,
            consent_version=notice().version,
            created_at=now,
        )
        s.add(a)
        await s.flush()
        return a.id


async def seed_province(ctx: AppContext, roster: Any) -> dict[str, int | None]:
    """南宁: the hospital (one complete person) and the school (one with nothing);
    柳州: a hospital with a person, a muted one, a blocked one, and one without an account."""
    async with ctx.db.transaction() as s:
        liuzhou = Unit(code=LIUZHOU_CODE, name="柳州市人民医院", city="柳州", created_at=ctx.now())
        s.add(liuzhou)
        await s.flush()
        liuzhou_id = liuzhou.id
    done = (("public_mandatory", 15), ("professional", 75))
    return {
        "complete": await add_person(ctx, roster.hospital_id, 1, chat=1001, hours=done),
        "school": await add_person(ctx, roster.school_id, 2, chat=1002),
        "lz": await add_person(ctx, liuzhou_id, 3, chat=1003),
        "lz_muted": await add_person(ctx, liuzhou_id, 4, chat=1004, muted=True),
        "lz_blocked": await add_person(ctx, liuzhou_id, 5, chat=1005, unreachable=True),
        "lz_none": await add_person(ctx, liuzhou_id, 6, chat=None),
    }


async def admin_chat(ctx: AppContext, chat: Any, name: str = "admin1") -> Any:
    admin = chat(name)
    await admin.send("/menu")  # the account exists from the first message on
    await make_admin(ctx, name)
    await admin.send("/menu")
    return admin


async def flow_data(ctx: AppContext, external_id: str) -> dict[str, Any]:
    account = await account_of(ctx, external_id)
    async with ctx.db.transaction() as s:
        state = await s.scalar(select(FlowState).where(FlowState.account_id == account.id))
        assert state is not None
        return dict(state.data or {})


# ------------------------------------------------------------------ reminder settings


async def test_mute_persists_and_holds_back_optional_reminders_only(
    ctx: AppContext, roster: Any, chat: Any
) -> None:
    c = chat("u1")
    await bind_zhang(c, roster)
    await c.send("/binding")
    await c.press("提醒设置")
    assert "可选提醒：已开启" in c.text
    # the final reminders: one day before 31 December and before 31 March (the policy's days)
    assert "最后一次提醒在 2024-12-30" in c.text and "最后一次提醒在 2025-03-30" in c.text
    assert "无法关闭" in c.text
    mute = c.button("关闭可选提醒")
    out = await c.press_data(mute.data)
    assert out.edit_pressed and out.notice and "已关闭" in out.notice
    assert "可选提醒：已关闭" in c.text and c.button("开启可选提醒")
    assert (await account_of(ctx, "u1")).muted_optional
    # the same old button once more: still muted, nothing toggled back
    await c.press_data(mute.data)
    assert (await account_of(ctx, "u1")).muted_optional
    async with ctx.db.transaction() as s:
        actions = list(
            await s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "account"))
        )
    assert actions.count("account.mute_optional") == 1  # the repeat changed nothing
    account_id = (await account_of(ctx, "u1")).id

    # 张伟's 2024 is incomplete (55 of 90 hours): professional reminders are due for him
    channels = ("test",)  # the chat's accounts are on the test channel
    [optional] = [
        r
        for r in await run_due(ctx, date(2025, 3, 1), channels=channels)
        if "professional" in r.key
    ]
    assert optional.key == "professional:2024:d30"
    assert account_id not in await outbox_accounts(ctx, optional.key)
    final = [
        r
        for r in await run_due(ctx, date(2025, 3, 30), channels=channels)
        if "professional" in r.key
    ]
    assert final[0].key == "professional:2024:d1"
    [row] = await outbox_rows(ctx, final[0].key)
    assert row.account_id == account_id and not row.optional

    await c.send("/reminders")
    await c.press("开启可选提醒")
    assert "可选提醒：已开启" in c.text
    assert not (await account_of(ctx, "u1")).muted_optional
    [again] = [
        r
        for r in await run_due(ctx, date(2025, 3, 17), channels=channels)
        if "professional" in r.key
    ]
    assert await outbox_accounts(ctx, again.key) == {account_id}


async def test_mute_buttons_are_checked(ctx: AppContext, chat: Any) -> None:
    c = chat("u2")
    await c.send("/reminders")
    assert "还没有绑定" in c.text
    await c.press_data("nt:everyone")
    assert "按钮" in c.text
    assert not (await account_of(ctx, "u2")).muted_optional


# ------------------------------------------------------------------ authority


async def test_non_admin_is_refused(ctx: AppContext, roster: Any, chat: Any) -> None:
    c = chat("plain")
    await bind_zhang(c, roster)
    assert not any(b.data == "m:admin" for b in c.buttons())
    await c.send("/admin")
    assert "仅限管理员" in c.text
    out = await c.press_data("m:admin")
    assert "仅限管理员" in c.text and out.notice is not None and "仅限管理员" in out.notice
    async with ctx.db.transaction() as s:
        state = await s.scalar(select(FlowState.flow).where(FlowState.flow == "admin"))
    assert state is None


async def test_revoked_admin_and_stale_buttons_are_refused(
    ctx: AppContext, roster: Any, chat: Any
) -> None:
    await seed_province(ctx, roster)
    admin = await admin_chat(ctx, chat)
    assert any(b.data == "m:admin" for b in admin.buttons())
    await admin.press_data("m:admin")
    await admin.press("群发通知")
    all_cities = admin.button("全部城市")
    await admin.press_data(all_cities.data)
    assert "第 2 步" in admin.text
    all_units = admin.button("全部单位")
    # the city step's button is stale now: nothing happens
    await admin.press_data(all_cities.data)
    assert "过期" in admin.text
    await admin.press_data(all_units.data)
    await admin.press("所有人")
    await admin.send("系统维护通知")
    confirm = admin.button("确认发送")
    await revoke_admin(ctx)
    await admin.press_data(confirm.data)
    assert "仅限管理员" in admin.text
    assert await outbox_rows(ctx) == []
    # the draft is gone (only the names of recent steps stay, for stale buttons)
    assert set(await flow_data(ctx, "admin1")) <= {RECENT}


# ------------------------------------------------------------------ broadcasts


async def test_broadcast_by_city_queues_once_and_reports(
    ctx: AppContext, roster: Any, chat: Any
) -> None:
    people = await seed_province(ctx, roster)
    admin = await admin_chat(ctx, chat)
    await admin.send("/admin")
    await admin.press("群发通知")
    assert "第 1 步" in admin.text and admin.button("柳州") and admin.button("南宁")
    await admin.send("杭州")
    assert "没有找到城市" in admin.text
    await admin.send("柳州")  # typed: the one city it names
    assert "第 2 步" in admin.text and "柳州" in admin.text
    await admin.send("第三中学")  # a unit of 南宁: not offered under 柳州
    assert "在柳州没有找到" in admin.text
    await admin.press("全部单位")
    labels = [b.label for b in admin.buttons()]
    assert labels[:3] == ["所有人", "2024 年度公需科目未完成的人", "2024 年度学时未达标的人"]
    await admin.press("所有人")
    assert f"最多 {MAX_NOTICE_LENGTH} 字" in admin.text
    await admin.send("   ")
    assert "不能为空" in admin.text
    await admin.send("长" * (MAX_NOTICE_LENGTH + 1))
    assert "超过了" in admin.text
    out = await admin.send(f"请核对 {roster.zhang_number} 的学时")
    assert "不能包含身份证号码" in admin.text and out.delete_incoming
    assert roster.zhang_number not in admin.text
    await admin.send("系统将于今晚维护，请提前完成学习。")
    # the count is exact: the muted one gets notices, the blocked one and the one without an
    # account do not
    assert "将发送给 2 个账号" in admin.text
    assert "城市：柳州；单位：全部单位；对象：所有人" in admin.text
    assert "📢 通知：系统将于今晚维护，请提前完成学习。" in admin.text  # as it will look
    confirm = admin.button("确认发送（2 个账号）")
    await admin.press_data(confirm.data)
    assert "已排队 2 条通知" in admin.text and "活动编号：broadcast:" in admin.text
    async with ctx.db.transaction() as s:
        [key] = list(await s.scalars(select(Campaign.key)))
    assert await outbox_accounts(ctx, key) == {people["lz"], people["lz_muted"]}
    # a second press of the same confirmation queues nothing more, and says what happened
    # with the campaign's report button (not a bare "expired")
    out = await admin.press_data(confirm.data)
    assert "过期" in admin.text and "这条通知已排队，共 2 人" in admin.text and key in admin.text
    assert out.notice is not None and not out.button_accepted
    assert len(await outbox_rows(ctx)) == 2
    await admin.press("查看发送报告")
    assert "已排队 2 · 已发送 0" in admin.text
    # the same after leaving the admin screens for the menu
    await admin.send("/menu")
    await admin.press_data(confirm.data)
    assert "这条通知已排队，共 2 人" in admin.text and admin.button("查看发送报告")
    assert len(await outbox_rows(ctx)) == 2

    await admin.send("/admin")  # away and back: the report button of the confirmation...
    await admin.press("最近的活动")
    assert "通知 · 2024-11-20 10:00 · 排队 2，已发 0" in admin.text
    # one delivered, one blocked meanwhile (the sender's work, done by hand here)
    rows = await outbox_rows(ctx, key)
    async with ctx.db.transaction() as s:
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == rows[0].id)
            .values(status=OutboxStatus.SENT.value, sent_at=ctx.now() + timedelta(seconds=75))
        )
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == rows[1].id)
            .values(status=OutboxStatus.UNREACHABLE.value)
        )
    await admin.press("1")
    assert "已排队 2 · 已发送 1 · 失败 0 · 无法送达 1 · 待发送 0" in admin.text
    assert "用时 0:01:15" in admin.text
    report = await campaign_report(ctx, key)
    assert (report.sent, report.unreachable) == (1, 1)


async def test_report_button_after_confirming(ctx: AppContext, roster: Any, chat: Any) -> None:
    await seed_province(ctx, roster)
    admin = await admin_chat(ctx, chat)
    await admin.send("/admin")
    await admin.press("群发通知")
    await admin.press("全部城市")
    await admin.press("全部单位")
    await admin.press("所有人")
    await admin.send("通知")
    assert "将发送给 4 个账号" in admin.text
    await admin.press("确认发送")
    report = admin.button("查看发送报告")
    await admin.press_data(report.data)
    assert "已排队 4 · 已发送 0" in admin.text and "尚未开始发送" in admin.text
    assert not admin.last.button_accepted  # it may be pressed again for newer counts
    await admin.press_data(report.data)
    assert "已排队 4" in admin.text


async def test_unit_and_status_filters(ctx: AppContext, roster: Any, chat: Any) -> None:
    people = await seed_province(ctx, roster)
    admin = await admin_chat(ctx, chat)

    async def filtered(city: str, unit_query: str, unit_label: str, status: str) -> None:
        await admin.send("/admin")
        await admin.press("群发通知")
        await admin.press(city)
        await admin.send(unit_query)
        await admin.press(unit_label)
        await admin.press(status)
        await admin.send("请尽快完成学习。")

    # by name, within 南宁: the school's person has no hours at all
    await filtered("南宁", "第三中学", "南宁市第三中学", "2024 年度学时未达标的人")
    assert "单位：南宁市第三中学" in admin.text and "将发送给 1 个账号" in admin.text
    await admin.press("确认发送")
    async with ctx.db.transaction() as s:
        [key] = list(await s.scalars(select(Campaign.key)))
        campaign = await s.scalar(select(Campaign))
    assert await outbox_accounts(ctx, key) == {people["school"]}
    assert campaign is not None and campaign.audience["status"] == "incomplete"
    assert campaign.audience["year"] == 2024

    # by credit code: the hospital's one person passed the public exam, so nobody
    await filtered("全部城市", HOSPITAL_CODE, "南宁市第一人民医院", "公需")
    assert "将发送给 0 个账号" in admin.text and "没有符合条件" in admin.text
    assert not any("确认发送" in b.label for b in admin.buttons())
    await admin.press("重新筛选")
    assert "第 1 步" in admin.text


async def test_edit_text_and_a_race_of_confirmations(
    ctx: AppContext, roster: Any, chat: Any
) -> None:
    await seed_province(ctx, roster)
    admin = await admin_chat(ctx, chat)
    await admin.send("/admin")
    await admin.press("群发通知")
    await admin.press("柳州")
    await admin.press("全部单位")
    await admin.press("所有人")
    await admin.send("初稿")
    first_key = (await flow_data(ctx, "admin1"))["key"]
    await admin.press("修改内容")
    await admin.send("定稿")
    assert "📢 通知：定稿" in admin.text
    data = await flow_data(ctx, "admin1")
    assert data["key"] != first_key  # another text, another campaign
    # another press of the same confirmation won a race and queued it first
    flt = BroadcastFilter(city="柳州", status=AudienceStatus.ALL)
    raced = await queue_broadcast(ctx, "定稿", flt, actor="test", key=data["key"])
    assert raced.created and raced.queued == 2
    await admin.press("确认发送")
    assert "已经排队过" in admin.text
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 2
        assert await s.scalar(select(func.count()).select_from(Campaign)) == 1


async def test_campaign_reports_list_reminders_too(ctx: AppContext, roster: Any, chat: Any) -> None:
    await seed_province(ctx, roster)
    admin = await admin_chat(ctx, chat)
    await admin.send("/admin")
    await admin.press("最近的活动")
    assert "还没有任何" in admin.text
    await run_due(ctx, date(2025, 3, 1))
    await admin.send("/admin")
    await admin.press("最近的活动")
    assert "专业科目提醒" in admin.text and "审验提醒" in admin.text
    # professional: the school's person, the 柳州 one (the muted one: optional reminder)
    line = next(x for x in admin.text.splitlines() if "专业科目提醒" in x)
    assert "排队 2" in line
    await admin.press_data("s:" + admin.button("1").data.split(":")[1] + ":k99")
    assert "过期" in admin.text


def test_keys_built_at_run_time_exist() -> None:
    for language in LANGUAGES:
        t = translator(language)
        for key in [f"ntc-kind-{k}" for k in KINDS] + [label for _s, label in STATUSES.values()]:
            assert t.has(key), (language, key)


async def test_public_incomplete_audience_and_its_year(ctx: AppContext, roster: Any) -> None:
    """The status filters the flow offers, at the service: who has not passed the year's
    mandatory public exam, and which year each status means on a day."""
    people = await seed_province(ctx, roster)
    public = BroadcastFilter(status=AudienceStatus.PUBLIC_INCOMPLETE)
    # 张伟 (test channel) and the complete person passed; the blocked one gets nothing
    result = await queue_broadcast(ctx, "公需科目请抓紧", public, actor="test")
    assert await outbox_accounts(ctx, result.key) == {
        people["school"],
        people["lz"],
        people["lz_muted"],
    }
    assert status_year(ctx, public) == 2024
    assert status_year(ctx, BroadcastFilter()) is None
    assert await broadcast_cities(ctx) == ["南宁", "柳州"]
    assert await broadcast_cities(ctx, query="柳") == ["柳州"]
    # February 2025 without a 2025 policy: both statuses still mean 2024
    ctx.clock = lambda: datetime(2025, 2, 10, 2, tzinfo=UTC)
    assert status_year(ctx, public) == 2024
    assert status_year(ctx, BroadcastFilter(status=AudienceStatus.INCOMPLETE)) == 2024


async def test_a_notice_telegram_would_refuse_is_refused_at_confirmation(
    ctx: AppContext, roster: Any, chat: Any, monkeypatch: Any
) -> None:
    """The service holds the limit of one Telegram message (4096 UTF-16 units with the
    heading): were the flow's own shorter limit ever raised past it, the confirmation still
    refuses the text clearly, queues nothing, and asks for the text again."""
    import bot.flows.notices as notices

    await seed_province(ctx, roster)
    monkeypatch.setattr(notices, "MAX_NOTICE_LENGTH", 10_000)
    admin = await admin_chat(ctx, chat)
    await admin.send("/admin")
    await admin.press("群发通知")
    await admin.press("全部城市")
    await admin.press("全部单位")
    await admin.press("所有人")
    assert "最多 10000 字" in admin.text
    await admin.send("长" * 4095)
    assert "将发送给 4 个账号" in admin.text  # previewed: the flow's check let it through
    confirm = admin.button("确认发送（4 个账号）")
    await admin.press_data(confirm.data)
    assert "通知内容有 4095 字，超过了" in admin.text
    assert "第 4 步" in admin.text  # the text step again, nothing lost but the long text
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(func.count(OutboxMessage.id))) == 0
