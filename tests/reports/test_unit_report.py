"""The unit report: every figure against core.rules evaluating the same records, the excellent
rating and title conditions, "who still needs what", authority, the XLSX and CSV files, and
reminders queued through the outbox once a day."""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.rules import (
    RecordStatus,
    Subject,
    may_be_rated_excellent,
    title_application,
)
from services.context import AppContext
from services.reminders import render_message
from services.reports import (
    ReportRefused,
    UnitReport,
    remind_members,
    unit_report,
    unit_report_csv,
    unit_report_xlsx,
)
from storage.models import AuditEntry, Campaign, OutboxMessage
from tests.reports.reports_world import World, policy_book_with_2023

PM, PE, PRO = Subject.PUBLIC_MANDATORY, Subject.PUBLIC_ELECTIVE, Subject.PROFESSIONAL
S = RecordStatus

HEADERS_ZH = [
    "序号",
    "姓名",
    "身份证号（脱敏）",
    "单位已确认",
    "公需必修课学时",
    "公需选修课学时",
    "专业科目已审验学时",
    "专业科目待审验学时",
    "总学时",
    "是否达标",
    "还差专业科目学时",
    "还差什么",
    "可评优秀",
    "职称申报条件（2024 年度必修课）",
    "2023 年度是否达标",
]


@dataclass
class Unit:
    world: World
    unit_id: int
    code: str
    other_id: int
    other_code: str
    ids: dict[str, int]
    accounts: dict[str, int | None]
    reviewer: int  # live reviewer of the unit
    other_reviewer: int  # reviewer of the other unit
    revoked: int  # reviewer of the unit, revoked
    admin: int
    plain: int  # no role at all


async def build(ctx: AppContext) -> Unit:
    ctx.policies = policy_book_with_2023(ctx)
    w = World(ctx)
    unit_id, code = await w.unit("南宁", "南宁市第一人民医院")
    other_id, other_code = await w.unit("柳州", "柳州市人民医院")
    ids: dict[str, int] = {}
    accounts: dict[str, int | None] = {}

    async def person(key: str, name: str, chat: int | None = None, **kw: bool) -> int:
        pid, aid = await w.person(unit_id, name, chat=chat, **kw)
        ids[key], accounts[key] = pid, aid
        return pid

    # complete: public 25 + professional 65 = 90, share 65 >= 60; complete last year too
    p = await person("complete", "甲完成", chat=101)
    await w.hours(p, PM, 15, S.CREDITED, origin="exam")
    await w.hours(p, PE, 10, S.CREDITED, origin="electives")
    await w.hours(p, PRO, 40, S.APPROVED)
    await w.hours(p, PRO, Fraction(25), S.IMPORTED, origin="import")
    await w.hours(p, PRO, 90, S.IMPORTED, origin="import", year=2023)
    # short of the total: 15 + 40 = 55; and a rejected, withdrawn and revoked record count nothing
    p = await person("short", "乙不足", chat=102)
    await w.hours(p, PM, 15, S.CREDITED, origin="exam")
    await w.hours(p, PRO, 40, S.APPROVED)
    await w.hours(p, PRO, 30, S.REJECTED)
    await w.hours(p, PRO, 12, S.WITHDRAWN)
    await w.hours(p, PRO, 8, S.REVOKED)
    await w.hours(p, PRO, 20, S.APPROVED, year=2023)  # incomplete last year
    # professional share not met: public 25 (mandatory imported twice: capped at 15), 40 prof.
    p = await person("share", "丙占比", chat=103)
    await w.hours(p, PM, 15, S.IMPORTED, origin="import")
    await w.hours(p, PM, 15, S.CREDITED, origin="exam")
    await w.hours(p, PE, Fraction(21, 2), S.IMPORTED, origin="import")
    await w.hours(p, PRO, Fraction(81, 2), S.IMPORTED, origin="import")
    # pending: 15 + 60 verified, 20.5 waiting for the unit
    p = await person("pending", "丁待审", chat=104, unreachable=True)
    await w.hours(p, PM, 15, S.CREDITED, origin="exam")
    await w.hours(p, PRO, 60, S.APPROVED)
    await w.hours(p, PRO, Fraction(41, 2), S.PENDING)
    # nothing at all, not bound to an account
    await person("nothing", "戊空白")
    # complete by professional hours alone: may be rated excellent, but no title condition
    p = await person("no_mandatory", "己无必修", chat=106, confirmed=False)
    await w.hours(p, PRO, 90, S.IMPORTED, origin="import")
    # a member of the other unit (and hours recorded while they were in this unit)
    p, _ = await w.person(other_id, "庚外单位", chat=107)
    await w.hours(p, PRO, 30, S.APPROVED, unit_id=unit_id)

    reviewer = await w.account(201, "审验人甲")
    await w.role(reviewer, "reviewer", unit_id)
    other_reviewer = await w.account(202)
    await w.role(other_reviewer, "reviewer", other_id)
    revoked = await w.account(203)
    await w.role(revoked, "reviewer", unit_id, revoked=True)
    admin = await w.account(204)
    await w.role(admin, "admin")
    plain = await w.account(205)
    return Unit(
        w,
        unit_id,
        code,
        other_id,
        other_code,
        ids,
        accounts,
        reviewer,
        other_reviewer,
        revoked,
        admin,
        plain,
    )


@pytest.fixture
async def unit(ctx: AppContext) -> Unit:
    return await build(ctx)


async def test_every_figure_is_core_evaluation_of_the_same_records(
    ctx: AppContext, unit: Unit
) -> None:
    report = await unit_report(ctx, 2024, unit=unit.code, by=unit.reviewer)
    w = unit.world
    p24, p23 = ctx.policies[2024], ctx.policies[2023]
    assert report.unit_name == "南宁市第一人民医院" and report.year == 2024
    assert {m.person_id for m in report.members} == set(unit.ids.values())  # not 庚外单位
    for m in report.members:
        ev = w.evaluation(p24, m.person_id)
        assert m.evaluation == ev
        last = w.evaluation(p23, m.person_id) if w.has_records(m.person_id, 2023) else None
        assert m.last_year == last
        assert m.title == title_application(ev, last)
        assert m.excellent_allowed == may_be_rated_excellent(ev)
        assert m.complete == ev.complete
        assert m.professional_needed == ev.professional_hours_needed
    assert report.complete_count == sum(
        1 for pid in unit.ids.values() if w.evaluation(p24, pid).complete
    )
    # and the numbers the rules give for these people, spelt out
    by = {k: next(m for m in report.members if m.person_id == pid) for k, pid in unit.ids.items()}
    c = by["complete"]
    assert c.complete and c.excellent_allowed and c.title.eligible
    assert c.evaluation.total_hours == 90 and c.title.last_year_complete is True
    s = by["short"]
    assert not s.complete and not s.excellent_allowed and s.title.eligible
    assert s.evaluation.professional_verified_hours == 40 and s.professional_needed == 35
    assert s.title.last_year_complete is False
    sh = by["share"]
    assert sh.evaluation.public_mandatory_hours == 15  # imported twice, capped
    assert sh.evaluation.public_elective_hours == 10  # 10.5 capped at 10
    assert not sh.evaluation.share_met and not sh.complete
    assert sh.professional_needed == Fraction(49, 2)  # 90 - 65.5
    pe = by["pending"]
    assert pe.evaluation.professional_pending_hours == Fraction(41, 2)
    assert pe.professional_needed == 15 and not pe.complete
    n = by["nothing"]
    assert n.evaluation.total_hours == 0 and n.professional_needed == 90
    assert n.title.eligible is False and n.title.last_year_complete is None
    nm = by["no_mandatory"]
    assert nm.complete and nm.excellent_allowed and not nm.title.eligible
    assert not nm.unit_confirmed


async def test_who_still_needs_what_is_sorted_by_what_is_missing(
    ctx: AppContext, unit: Unit
) -> None:
    report = await unit_report(ctx, 2024, unit=unit.unit_id, by=unit.admin)
    order = [m.name for m in report.still_needed()]
    # 90 short, 35 short, 24.5 short, 15 short, then complete but without the mandatory course
    assert order == ["戊空白", "乙不足", "丙占比", "丁待审", "己无必修"]
    assert "甲完成" not in order


async def test_only_the_units_reviewers_and_admins(ctx: AppContext, unit: Unit) -> None:
    with pytest.raises(ReportRefused) as refused:
        await unit_report(ctx, 2024, unit=unit.code, by=unit.other_reviewer)
    assert refused.value.reason == "other_unit"
    for account in (unit.revoked, unit.plain):
        with pytest.raises(ReportRefused) as refused:
            await unit_report(ctx, 2024, unit=unit.code, by=account)
        assert refused.value.reason == "not_allowed"
    with pytest.raises(ReportRefused) as refused:
        await unit_report(ctx, 2024, unit="91450100MA9999999X", by=unit.admin)
    assert refused.value.reason == "unknown_unit"
    with pytest.raises(ReportRefused) as refused:
        await unit_report(ctx, 2031, unit=unit.code, by=unit.admin)
    assert refused.value.reason == "no_policy"
    # the other unit's reviewer reads their own unit; the command line reads any
    other = await unit_report(ctx, 2024, unit=unit.other_code, by=unit.other_reviewer)
    assert [m.name for m in other.members] == ["庚外单位"]
    assert len((await unit_report(ctx, 2024, unit=unit.code.lower(), by=None)).members) == 6


def _rows(path: Path, sheet: int = 0) -> list[list[object]]:
    wb = load_workbook(path)
    ws = wb.worksheets[sheet]
    return [list(r) for r in ws.iter_rows(values_only=True)]


async def test_xlsx_has_chinese_headers_frozen_and_the_figures(
    ctx: AppContext, unit: Unit, tmp_path: Path
) -> None:
    report = await unit_report(ctx, 2024, unit=unit.code, by=unit.reviewer)
    path = unit_report_xlsx(report, tmp_path / "r.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["2024 年度单位报表", "还差什么"]
    ws = wb.worksheets[0]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width and ws.column_dimensions["N"].width > 20
    rows = _rows(path)
    assert rows[0] == HEADERS_ZH
    assert len(rows) == 1 + len(report.members)
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["丙占比"][4:12] == [15, 10, 40.5, 0, 65.5, "否", 24.5, by_name["丙占比"][11]]
    assert "专业科目学时占比不足" in str(by_name["丙占比"][11])
    assert by_name["甲完成"][9:] == ["是", 0, "无", "是", "是", "是"]
    assert by_name["乙不足"][12:] == ["否", "是", "否"]
    assert by_name["戊空白"][12:] == ["否", "否", "无记录"]
    assert by_name["己无必修"][3] == "否" and by_name["己无必修"][12:14] == ["是", "否"]
    assert "20.5 学时待审验" in str(by_name["丁待审"][11])
    assert "4501**********" in str(by_name["甲完成"][2])
    needed = _rows(path, 1)
    assert needed[0] == HEADERS_ZH
    assert [r[1] for r in needed[1:]] == [m.name for m in report.still_needed()]


async def test_csv_opens_in_excel_encoding_with_the_same_table(
    ctx: AppContext, unit: Unit, tmp_path: Path
) -> None:
    report = await unit_report(ctx, 2024, unit=unit.code, by=None)
    path = unit_report_csv(report, tmp_path / "r.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == HEADERS_ZH
    assert len(rows) == 7
    short = next(r for r in rows if r[1] == "乙不足")
    assert short[6] == "40" and short[10] == "35" and short[9] == "否"
    en = unit_report_csv(report, tmp_path / "en.csv", language="en")
    assert en.read_text(encoding="utf-8-sig").startswith("No.,Name,ID number (masked)")


async def test_without_last_years_policy_last_year_is_no_record(
    ctx: AppContext, unit: Unit
) -> None:
    ctx.policies = type(ctx.policies)({2024: ctx.policies[2024]}, {})
    report = await unit_report(ctx, 2024, unit=unit.code, by=unit.reviewer)
    assert all(m.last_year is None and m.title.last_year_complete is None for m in report.members)
    assert report.last_policy is None


async def _outbox(ctx: AppContext) -> list[OutboxMessage]:
    async with ctx.db.transaction() as s:
        return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.account_id)))


async def test_remind_queues_one_row_per_reachable_member_once_a_day(
    ctx: AppContext, unit: Unit
) -> None:
    first = await remind_members(ctx, 2024, unit=unit.unit_id, by=unit.reviewer)
    # needing: 戊 (no account), 乙, 丙, 丁 (blocked the bot), 己 -> queued for 乙, 丙, 己
    assert first.created and first.needing == 5 and first.unreachable == 2
    assert first.queued == 3
    rows = await _outbox(ctx)
    expected = sorted(unit.accounts[k] or 0 for k in ("short", "share", "no_mandatory"))
    assert [r.account_id for r in rows] == expected
    assert all(r.payload["key"] == "rep-remind-notice" for r in rows)
    again = await remind_members(ctx, 2024, unit=unit.code, by=unit.admin)
    assert not again.created and again.queued == 3
    assert len(await _outbox(ctx)) == 3
    tomorrow = replace(ctx, clock=lambda: ctx.now() + timedelta(days=1))
    assert (await remind_members(tomorrow, 2024, unit=unit.code, by=unit.reviewer)).queued == 3
    assert len(await _outbox(ctx)) == 6
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Campaign)) == 2
        actions = list(await s.scalars(select(AuditEntry.action)))
    assert actions.count("report.remind") == 2
    # the sender renders each row in the member's language
    short_row = next(r for r in rows if r.account_id == unit.accounts["short"])
    text = render_message(short_row.payload, "zh", ctx.today()).text
    assert "南宁市第一人民医院提醒您" in text and "还差 35 个" in text
    assert "必修课尚未完成" not in text
    nm_row = next(r for r in rows if r.account_id == unit.accounts["no_mandatory"])
    text = render_message(nm_row.payload, "en", ctx.today()).text
    assert "mandatory course is not finished" in text and "professional hours" not in text


async def test_remind_is_refused_to_another_units_reviewer(ctx: AppContext, unit: Unit) -> None:
    with pytest.raises(ReportRefused) as refused:
        await remind_members(ctx, 2024, unit=unit.unit_id, by=unit.other_reviewer)
    assert refused.value.reason == "other_unit"
    assert await _outbox(ctx) == []


async def test_empty_unit(ctx: AppContext, unit: Unit) -> None:
    empty_id, _code = await unit.world.unit("桂林")
    report: UnitReport = await unit_report(ctx, 2024, unit=empty_id, by=unit.admin)
    assert report.members == () and report.still_needed() == []
    result = await remind_members(ctx, 2024, unit=empty_id, by=unit.admin)
    assert result.created and result.queued == 0


async def test_a_reviewers_report_is_in_each_members_access_log(
    ctx: AppContext, unit: Unit
) -> None:
    from storage.privacy_models import AccessLogEntry

    await unit_report(ctx, 2024, unit=unit.code, by=unit.reviewer)
    await unit_report(ctx, 2024, unit=unit.code, by=None)  # the command line: no account
    async with ctx.db.transaction() as s:
        entries = list(await s.scalars(select(AccessLogEntry)))
    assert {e.person_id for e in entries} == set(unit.ids.values())
    assert {(e.actor_account_id, e.actor_role, e.what) for e in entries} == {
        (unit.reviewer, "reviewer", "report")
    }
