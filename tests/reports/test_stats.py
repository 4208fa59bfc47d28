"""Province statistics on SQLite and PostgreSQL: every figure against core.rules evaluating the
same people one by one; pending claims by unit; units whose reviewers have not acted; the XLSX
and the chart (a real PNG)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from core.rules import RecordStatus, Subject
from services.context import AppContext
from services.i18n import translator
from services.reports import (
    ReportRefused,
    Tally,
    cjk_font_path,
    completion_chart_png,
    percent,
    province_stats,
    stats_csv,
    stats_lines,
    stats_xlsx,
    tally_sql,
)
from tests.reports.reports_world import World

PM, PE, PRO = Subject.PUBLIC_MANDATORY, Subject.PUBLIC_ELECTIVE, Subject.PROFESSIONAL
S = RecordStatus
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Province:
    world: World
    units: dict[str, int]  # A..E
    cities: dict[int, str]
    admin: int
    reviewer_a: int


# (mandatory, electives, professional counted, pending, extra rejected): varied on purpose
PATTERNS: list[tuple[int, Fraction, Fraction, Fraction, int]] = [
    (15, Fraction(10), Fraction(65), Fraction(0), 0),  # complete
    (15, Fraction(0), Fraction(40), Fraction(0), 30),  # short
    (30, Fraction(21, 2), Fraction(81, 2), Fraction(0), 0),  # share not met (public capped)
    (15, Fraction(0), Fraction(60), Fraction(41, 2), 0),  # pending
    (0, Fraction(0), Fraction(0), Fraction(0), 0),  # nothing
    (0, Fraction(0), Fraction(90), Fraction(0), 0),  # complete without the mandatory course
    (15, Fraction(10), Fraction(50), Fraction(0), 0),  # exactly 2/3, total 75: short
    (15, Fraction(15, 2), Fraction(135, 2), Fraction(8), 0),  # total exactly 90, complete
]


async def build(ctx: AppContext) -> Province:
    w = World(ctx)
    now = ctx.now()
    cities = {"A": "南宁", "B": "南宁", "C": "柳州", "D": "柳州", "E": "桂林"}
    units: dict[str, int] = {}
    for key, city in cities.items():
        units[key], _ = await w.unit(city, f"单位{key}")
    n = 0
    for key, unit_id in units.items():
        for i in range(5 + len(units) - ord(key) + ord("A")):
            mand, elec, pro, pend, rej = PATTERNS[(n + i) % len(PATTERNS)]
            pid, _ = await w.person(unit_id, f"{key}{i}")
            if mand:
                await w.hours(pid, PM, mand, S.CREDITED, origin="exam")
            if elec:
                await w.hours(pid, PE, elec, S.IMPORTED, origin="import")
            if pro:
                await w.hours(pid, PRO, pro, S.IMPORTED, origin="import")
            if pend:
                await w.hours(pid, PRO, pend, S.PENDING, created_at=now - timedelta(days=1))
            if rej:
                await w.hours(pid, PRO, rej, S.REJECTED)
            await w.hours(pid, PRO, 100, S.APPROVED, year=2023)  # another year: not counted
        n += 3
    homeless, _ = await w.person(None, "无单位")
    await w.hours(homeless, PRO, 90, S.IMPORTED, origin="import")

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    claimant = {k: next(p for p, (_n, u) in w.people.items() if u == v) for k, v in units.items()}
    # A: a claim pending 10 days, its reviewer decided nothing -> idle
    ra = await w.account(301, "审验人A")
    await w.role(ra, "reviewer", units["A"])
    await w.hours(claimant["A"], PRO, 8, S.PENDING, created_at=ago(10))
    # B: pending 10 days, but its reviewer decided another claim 2 days ago -> not idle
    rb = await w.account(302, "审验人B")
    await w.role(rb, "reviewer", units["B"])
    await w.hours(claimant["B"], PRO, 8, S.PENDING, created_at=ago(10))
    decided = await w.hours(claimant["B"], PRO, 4, S.APPROVED)
    await w.review(decided, rb, ago(2))
    # C: pending 2 days only -> not idle
    await w.hours(claimant["C"], PRO, 8, S.PENDING, created_at=ago(2))
    # D: pending 30 days, no reviewer; an administrator's decision does not count -> idle
    admin = await w.account(303)
    await w.role(admin, "admin")
    await w.hours(claimant["D"], PRO, 8, S.PENDING, created_at=ago(30))
    other = await w.hours(claimant["D"], PRO, 4, S.APPROVED)
    await w.review(other, admin, ago(1))
    # E: pending 10 days, its reviewer's last decision 20 days ago -> idle
    re_ = await w.account(304)
    await w.role(re_, "reviewer", units["E"])
    await w.hours(claimant["E"], PRO, 8, S.PENDING, created_at=ago(10))
    old = await w.hours(claimant["E"], PRO, 4, S.APPROVED)
    await w.review(old, re_, ago(20))
    # a 2023 claim still pending in A: not in 2024's figures
    await w.hours(claimant["A"], PRO, 8, S.PENDING, year=2023, created_at=ago(40))
    return Province(w, units, {u: cities[k] for k, u in units.items()}, admin, ra)


@pytest.fixture
async def province(ctx: AppContext) -> Province:
    return await build(ctx)


def expected(ctx: AppContext, p: Province) -> dict[int | None, Tally]:
    policy = ctx.policies[2024]
    tallies: dict[int | None, Tally] = defaultdict(Tally)
    for pid, (_name, unit_id) in p.world.people.items():
        ev = p.world.evaluation(policy, pid)
        tallies[unit_id] = tallies[unit_id] + Tally(
            1,
            int(ev.complete),
            int(ev.mandatory_done),
            ev.public_mandatory_hours,
            ev.public_elective_hours,
            ev.professional_verified_hours,
            ev.professional_pending_hours,
        )
    return tallies


async def test_figures_match_core_for_every_unit_and_city(
    ctx: AppContext, province: Province
) -> None:
    stats = await province_stats(ctx, 2024, by=province.admin)
    want = expected(ctx, province)
    got = {u.unit_id: u.tally for u in stats.units}
    assert got == want
    assert sum(t.complete for t in want.values()) not in (0, sum(t.people for t in want.values()))
    for city in stats.cities:
        units = [u for u, c in province.cities.items() if c == city.city]
        if city.city:
            assert city.tally == sum((want[u] for u in units), Tally())
            assert city.units == len(units)
        else:  # people without a unit
            assert city.tally == want[None] and city.units == 0
    assert [c.city for c in stats.cities] == [*sorted({*province.cities.values()}), ""]
    assert stats.total == sum(want.values(), Tally())
    assert stats.total.people == len(province.world.people)


async def test_pending_claims_and_idle_reviewers(ctx: AppContext, province: Province) -> None:
    stats = await province_stats(ctx, 2024, by=None)
    pending = {u.unit_id: u.pending_claims for u in stats.units if u.unit_id is not None}
    u = province.units
    # every pending 2024 claim the world made for the unit's people (2023's left out)
    world = province.world
    want = {
        v: sum(
            1
            for pid, (_n, unit) in world.people.items()
            if unit == v
            for r in world.records[(pid, 2024)]
            if r.status is S.PENDING
        )
        for v in u.values()
    }
    assert pending == want and all(want.values())
    assert stats.pending_claims == sum(pending.values())
    idle = {i.unit_id: i for i in stats.idle_units}
    assert set(idle) == {u["A"], u["D"], u["E"]}
    assert idle[u["A"]].reviewers == ("审验人A",) and idle[u["A"]].last_decision is None
    assert idle[u["D"]].reviewers == () and idle[u["D"]].stale_claims == 1
    assert idle[u["E"]].last_decision == ctx.now() - timedelta(days=20)
    assert idle[u["A"]].oldest_pending == ctx.now() - timedelta(days=10)
    assert next(i.unit_id for i in stats.idle_units) == u["D"]  # the oldest first
    # with a 30-day period only D's month-old claim is stale, and D is still idle
    longer = await province_stats(ctx, 2024, by=None, stale_days=25)
    assert [i.unit_id for i in longer.idle_units] == [u["D"]]


async def test_statistics_are_for_administrators(ctx: AppContext, province: Province) -> None:
    with pytest.raises(ReportRefused) as refused:
        await province_stats(ctx, 2024, by=province.reviewer_a)
    assert refused.value.reason == "not_admin"
    with pytest.raises(ReportRefused) as refused:
        await province_stats(ctx, 2031, by=province.admin)
    assert refused.value.reason == "no_policy"


async def test_xlsx_csv_and_message(ctx: AppContext, province: Province, tmp_path: Path) -> None:
    stats = await province_stats(ctx, 2024, by=province.admin)
    wb = load_workbook(stats_xlsx(stats, tmp_path / "s.xlsx"))
    assert wb.sheetnames == ["按地市", "按单位", "待审验申报", "超过 7 天未审验"]
    cities = [list(r) for r in wb["按地市"].iter_rows(values_only=True)]
    assert cities[0] == [
        "地市",
        "单位数",
        "人数",
        "达标人数",
        "达标率",
        "完成必修课人数",
        "公需必修课学时",
        "公需选修课学时",
        "专业科目已审验学时",
        "专业科目待审验学时",
        "待审验申报数",
    ]
    assert cities[-1][0] == "合计" and cities[-1][2] == stats.total.people
    assert cities[-1][4] == percent(stats.total.share_complete)
    assert wb["按地市"].freeze_panes == "A2"
    units = list(wb["按单位"].iter_rows(values_only=True))
    assert units[0][:3] == ("地市", "统一社会信用代码", "单位名称") and len(units) == 7
    idle = list(wb["超过 7 天未审验"].iter_rows(values_only=True))
    assert idle[0][-1] == "审验人" and len(idle) == 4
    assert {r[-1] for r in idle[1:]} >= {"审验人A", "无审验人"}
    text = stats_csv(stats, tmp_path / "s.csv").read_text(encoding="utf-8-sig")
    assert next(iter(csv.reader(io.StringIO(text))))[:2] == ["地市", "统一社会信用代码"]
    lines = "\n".join(stats_lines(stats, translator("zh")))
    assert f"共 {stats.total.people} 人" in lines and "南宁" in lines
    assert "有 3 个单位的申报已等待超过 7 天" in lines


async def test_chart_is_a_real_png(ctx: AppContext, province: Province, tmp_path: Path) -> None:
    stats = await province_stats(ctx, 2024, by=province.admin)
    path = completion_chart_png(stats, tmp_path / "chart.png")
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        assert img.format == "PNG" and img.size[0] >= 800 and img.size[1] >= 300
    assert cjk_font_path() is not None  # fonts-noto-cjk (bin/setup) draws the city names
    empty = completion_chart_png(
        type(stats)(2024, stats.generated_at, 7, (), (), Tally(), 0, ()), tmp_path / "e.png"
    )
    assert empty.read_bytes().startswith(PNG_MAGIC)


def test_sql_comparison_is_the_exact_share() -> None:
    # the share is compared in integers (d * verified >= n * total), never with floats
    from services.policies import PolicyBook

    sql = tally_sql(PolicyBook.load()[2024])
    assert "3 * v >= 2 * (pm + pe + v)" in sql and "180" in sql
