"""Imports: validation of every row first, nothing written on any error, idempotence,
set-based lookups. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.idnumber import make_id_number
from services.context import AppContext
from services.demo import demo_file, seed_demo
from services.imports import ImportRejected, import_hours, import_people, import_units
from services.progress import progress_by_id_number
from services.tabular import TableError
from storage.models import AuditEntry, HourRecord, ImportBatch, Person, Unit

A = make_id_number("450103", date(1988, 3, 12), 101)
B = make_id_number("450202", date(1990, 7, 5), 202)
HOUR_HEADER = [
    "id_number",
    "name",
    "year",
    "subject",
    "course_code",
    "course_title",
    "hours",
    "completed_on",
]


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


async def count(ctx: AppContext, model: type) -> int:
    async with ctx.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_demo_seed_is_idempotent_and_progress_is_right(ctx: AppContext) -> None:
    first = await seed_demo(ctx)
    assert (first.units.added, first.people.added, first.hours.added) == (4, 8, 10)
    again = await seed_demo(ctx)
    assert (again.units.added, again.people.added, again.hours.added, again.claims_added) == (
        0,
        0,
        0,
        0,
    )
    assert await count(ctx, HourRecord) == 11
    zhang = await progress_by_id_number(ctx, "450103198803120212", 2024)
    data = zhang.as_json()
    assert data["public_hours"] == 25 and data["professional_verified_hours"] == 50
    assert data["total_hours"] == 75 and data["complete"] is False
    assert data["professional_hours_needed"] == 15
    assert data["id_number_masked"] == "4501**********0212"
    li = (await progress_by_id_number(ctx, "450202199007050325", 2024)).as_json()
    # 25 public + 65 professional: exactly 90, and 65 >= 2/3 of 90 (60)
    assert li["total_hours"] == 90 and li["complete"] is True
    wang = (await progress_by_id_number(ctx, "450305198511230448", 2024)).as_json()
    assert wang["professional_pending_hours"] == 12 and wang["professional_verified_hours"] == 20
    # pending hours count for nothing: 15 public + 20 verified
    assert wang["total_hours"] == 35 and wang["professional_hours_needed"] == 55


async def test_two_thirds_boundary_through_import(ctx: AppContext, tmp_path: Path) -> None:
    rows = [
        [A, "甲", "2024", "public_mandatory", "", "必修", "15", "2024-03-01"],
        [A, "甲", "2024", "public_elective", "", "选修", "10", "2024-03-02"],
        [A, "甲", "2024", "professional", "P1", "专业", "49.5", "2024-04-01"],
        [A, "甲", "2024", "professional", "P2", "专业", "15", "2024-04-02"],
    ]
    await import_hours(ctx, write_csv(tmp_path / "h.csv", HOUR_HEADER, rows), source="org")
    short = (await progress_by_id_number(ctx, A, 2024)).as_json()
    # 25 public + 64.5 professional = 89.5: total short by half an hour
    assert short["complete"] is False and short["professional_hours_needed"] == 0.5
    await import_hours(
        ctx,
        write_csv(
            tmp_path / "h2.csv",
            HOUR_HEADER,
            [[A, "甲", "2024", "professional", "P3", "专业", "0.5", "2024-05-01"]],
        ),
        source="org",
    )
    done = (await progress_by_id_number(ctx, A, 2024)).as_json()
    assert done["total_hours"] == 90 and done["complete"] is True
    assert done["professional_hours_needed"] == 0


async def test_share_boundary_when_public_is_large(ctx: AppContext, tmp_path: Path) -> None:
    """Public 25 and professional 49: total 74; 2*25-49 = 1, 90-74 = 16, so 16 needed."""
    rows = [
        [B, "乙", "2024", "公需必修", "", "必修", "15", "2024-03-01"],
        [B, "乙", "2024", "公需选修", "", "选修", "10", "2024-03-02"],
        [B, "乙", "2024", "专业科目", "P1", "专业", "49", "2024-04-01"],
    ]
    await import_hours(ctx, write_csv(tmp_path / "h.csv", HOUR_HEADER, rows), source="org")
    data = (await progress_by_id_number(ctx, B, 2024)).as_json()
    assert data["professional_hours_needed"] == 16


async def test_bad_rows_change_nothing_and_are_all_named(ctx: AppContext, tmp_path: Path) -> None:
    await seed_demo(ctx)
    before = (await count(ctx, HourRecord), await count(ctx, Person), await count(ctx, AuditEntry))
    bad_id = A[:-1] + ("0" if A[-1] != "0" else "1")
    rows = [
        [A, "甲", "2024", "professional", "C1", "课", "10", "2024-05-01"],  # good, line 2
        [bad_id, "乙", "2024", "professional", "C1", "课", "10", "2024-05-01"],  # checksum
        ["450103198803120212", "李四", "2024", "professional", "C2", "课", "8", "2024-05-01"],
        [A, "甲", "2024", "professional", "C3", "课", "10.3", "2024-05-01"],  # not half
        [A, "甲", "2024", "professional", "C4", "课", "10", "2025-01-01"],  # outside year
        [A, "甲", "2024", "professional", "C1", "课", "10", "2024-05-01"],  # duplicate of 2
        [A, "甲", "2024", "nonsense", "C5", "课", "10", "2024-05-01"],  # subject
        [A, "甲", "2024", "professional", "C6", "课", "91", "2024-05-01"],  # above max
        [A, "甲", "2024", "public_mandatory", "", "课", "14", "2024-05-01"],  # public hours
        [A, "甲", "1999", "professional", "C7", "课", "1", "1999-05-01"],  # no policy
    ]
    with pytest.raises(ImportRejected) as err:
        await import_hours(ctx, write_csv(tmp_path / "bad.csv", HOUR_HEADER, rows), source="x")
    reasons = {(p.line, p.reason) for p in err.value.problems}
    assert reasons == {
        (3, "id-checksum"),
        (4, "name-mismatch"),
        (5, "hours-not_half"),
        (6, "outside_year"),
        (7, "duplicate"),
        (8, "subject"),
        (9, "above_max"),
        (10, "public_hours"),
        (11, "year"),
    }
    after = (await count(ctx, HourRecord), await count(ctx, Person), await count(ctx, AuditEntry))
    assert after == before


async def test_repeated_import_adds_nothing(ctx: AppContext, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "h.csv",
        HOUR_HEADER,
        [
            [A, "甲", "2024", "professional", "C1", "课", "10", "2024-05-01"],
            [B, "乙", "2024", "professional", "C1", "课", "12.5", "2024-05-01"],
        ],
    )
    first = await import_hours(ctx, path, source="org")
    assert (first.added, first.people_created) == (2, 2)
    second = await import_hours(ctx, path, source="org")
    assert (second.added, second.people_created, second.unchanged) == (0, 0, 2)
    assert await count(ctx, HourRecord) == 2
    assert await count(ctx, ImportBatch) == 2  # each run is on record, even when it adds nothing
    # the same course from another source is another record
    third = await import_hours(ctx, path, source="another organiser")
    assert third.added == 2


async def test_people_created_by_hours_join_their_unit_by_roster(
    ctx: AppContext, tmp_path: Path
) -> None:
    await import_units(ctx, demo_file("units.csv"))
    await import_hours(
        ctx,
        write_csv(
            tmp_path / "h.csv",
            HOUR_HEADER,
            [[A, "甲", "2024", "professional", "C1", "课", "10", "2024-05-01"]],
        ),
        source="org",
    )
    async with ctx.db.transaction() as s:
        person = await s.scalar(select(Person))
        assert person is not None and person.unit_id is None
        assert person.id_masked == A[:4] + "*" * 10 + A[-4:]
        assert A not in person.id_cipher and A not in person.id_hash
        assert ctx.ids.decrypt(person.id_cipher) == A
    result = await import_people(
        ctx,
        write_csv(
            tmp_path / "p.csv", ["身份证号", "姓名", "单位代码"], [[A, "甲", "12450000MB0A12340J"]]
        ),
    )
    assert (result.added, result.updated) == (0, 1)
    async with ctx.db.transaction() as s:
        unit = await s.scalar(select(Unit).where(Unit.code == "12450000MB0A12340J"))
        person = await s.scalar(select(Person))
        assert unit is not None and person is not None and person.unit_id == unit.id


async def test_people_import_checks_units_and_names(ctx: AppContext, tmp_path: Path) -> None:
    await import_units(ctx, demo_file("units.csv"))
    await import_people(ctx, demo_file("people.csv"))
    rows = [
        [A, "甲", "12450000MB0A12340J"],
        [B, "乙", "91350100M000100Y43"],  # valid code, but not a registered unit
        ["450103198803120212", "张三", "12450000MB0A12340J"],  # name differs from 张伟
        [B, "乙", "12450000MB0A12340K"],  # bad check character
    ]
    with pytest.raises(ImportRejected) as err:
        await import_people(
            ctx, write_csv(tmp_path / "p.csv", ["id_number", "name", "unit_code"], rows)
        )
    assert {(p.line, p.reason) for p in err.value.problems} == {
        (3, "unknown-unit"),
        (4, "name-mismatch"),
        (5, "unit-checksum"),
    }
    assert await count(ctx, Person) == 8


async def test_xlsx_with_chinese_headers(ctx: AppContext, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["身份证号", "姓名", "年度", "科目", "课程编号", "课程名称", "学时", "完成日期"])
    ws.append([A, "甲", 2024, "专业科目", "K1", "课程", 6.5, date(2024, 8, 1)])
    ws.append([A, "甲", 2024, "公需必修", None, "必修课", 15, "2024/9/1"])
    path = tmp_path / "h.xlsx"
    wb.save(path)
    result = await import_hours(ctx, path, source="行业系统")
    assert result.added == 2
    async with ctx.db.transaction() as s:
        hours = sorted((await s.scalars(select(HourRecord.hours))).all())
        assert hours == [Fraction(13, 2), Fraction(15)]


async def test_gb18030_csv_and_missing_columns(ctx: AppContext, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "u.csv",
        ["单位代码", "单位名称", "地市"],
        [["12450000MB0A12340J", "南宁某单位", "南宁市"]],
        encoding="gb18030",
    )
    assert (await import_units(ctx, path)).added == 1
    broken = write_csv(tmp_path / "b.csv", ["单位代码", "名称"], [["x", "y"]])
    with pytest.raises(TableError) as err:
        await import_units(ctx, broken)
    assert err.value.reason == "missing_columns"


async def test_text_is_checked_by_line_in_every_import(ctx: AppContext, tmp_path: Path) -> None:
    """Issue 17 items 1 and 6: a formula-like name, a control character, a value longer than
    its column: each refused with its line on SQLite and PostgreSQL alike, nothing written."""
    units = [
        ["12450000MB0A12340J", "=1+1", "南宁市"],
        ["91450100MA5K12340N", "南宁某公司", "南" * 51],
        ["12450000MB0A12340J", "南宁\x00某单位", "南宁市"],
    ]
    with pytest.raises(ImportRejected) as err:
        await import_units(
            ctx, write_csv(tmp_path / "u.csv", ["单位代码", "单位名称", "地市"], units)
        )
    assert [(p.line, p.reason, p.args["column"]) for p in err.value.problems] == [
        (2, "text-formula", "unit_name"),
        (3, "text-too_long", "city"),
        (4, "text-control", "unit_name"),
    ]
    await import_units(ctx, demo_file("units.csv"))
    people = [[A, "@甲", "12450000MB0A12340J"], [B, "乙\x1b", "12450000MB0A12340J"]]
    with pytest.raises(ImportRejected) as err:
        await import_people(
            ctx, write_csv(tmp_path / "p.csv", ["id_number", "name", "unit_code"], people)
        )
    assert [(p.line, p.reason) for p in err.value.problems] == [
        (2, "text-formula"),
        (3, "text-control"),
    ]
    hours = [
        [A, "甲", "２０２４", "professional", "C1", "课", "2", "2024-05-01"],  # full-width year
        [A, "甲", "2" * 5000, "professional", "C2", "课", "2", "2024-05-01"],  # int() refuses
        [A, "甲", "2024", "professional", "C" * 101, "课", "2", "2024-05-01"],
        [A, "甲", "2024", "professional", "C4", "课", "-4", "2024-05-01"],
    ]
    with pytest.raises(ImportRejected) as err:
        await import_hours(ctx, write_csv(tmp_path / "h.csv", HOUR_HEADER, hours), source="org")
    assert [(p.line, p.reason) for p in err.value.problems] == [
        (2, "year"),
        (3, "year"),
        (4, "text-too_long"),
        (5, "hours-non_positive"),  # a number, only not a positive one
    ]
    assert len(err.value.problems[1].args["value"]) == 40  # quoted back cut short
    with pytest.raises(ImportRejected) as err:
        await import_hours(ctx, write_csv(tmp_path / "ok.csv", HOUR_HEADER, []), source="机" * 101)
    assert err.value.problems[0].reason == "source-text"
    assert await count(ctx, Person) == 0 and await count(ctx, HourRecord) == 0


async def test_an_hours_file_may_name_each_persons_unit(ctx: AppContext, tmp_path: Path) -> None:
    """Issue 17 item 7: the optional 单位代码 column must name a registered unit (by line);
    a person first known from the file joins it, unconfirmed until the unit's reviewer says
    so; a person already known keeps the unit the roster gave them."""
    await import_units(ctx, demo_file("units.csv"))
    await import_people(ctx, demo_file("people.csv"))
    header = [*HOUR_HEADER, "unit_code"]
    known, other = "12450000MB0A12340J", "91450100MA5K12340N"
    rows = [
        [A, "甲", "2024", "professional", "C1", "课", "2", "2024-05-01", known],
        [B, "乙", "2024", "professional", "C1", "课", "2", "2024-05-01", "91350100M000100Y43"],
        [B, "乙", "2024", "professional", "C2", "课", "2", "2024-05-02", "12450000MB0A12340K"],
    ]
    with pytest.raises(ImportRejected) as err:
        await import_hours(ctx, write_csv(tmp_path / "h.csv", header, rows), source="org")
    assert [(p.line, p.reason) for p in err.value.problems] == [
        (3, "unknown-unit"),
        (4, "unit-checksum"),
    ]
    zhang = "450103198803120212"  # in the demo roster, at the hospital
    rows = [
        [A, "甲", "2024", "professional", "C1", "课", "2", "2024-05-01", known],
        [zhang, "张伟", "2024", "professional", "C1", "课", "2", "2024-05-01", other],
        [B, "乙", "2024", "professional", "C1", "课", "2", "2024-05-01", ""],
    ]
    result = await import_hours(ctx, write_csv(tmp_path / "h2.csv", header, rows), source="org")
    assert (result.added, result.people_created) == (3, 2)
    async with ctx.db.transaction() as s:
        units = {u.code: u.id for u in await s.scalars(select(Unit))}
        people = {p.id_hash: (p.unit_id, p.unit_confirmed) for p in await s.scalars(select(Person))}
    assert people[ctx.ids.lookup_hash(A)] == (units[known], False)
    assert people[ctx.ids.lookup_hash(B)] == (None, True)
    assert people[ctx.ids.lookup_hash(zhang)] == (units[known], True)  # the roster's word


def test_xlsx_limits_are_checked_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17 item 5, from the ZIP directory and the sheet's <dimension> (the hostile files
    themselves are replayed in tests/faults/test_bad_files.py)."""
    from services.tabular import check_xlsx, read_table

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名"])
    for n in range(5):
        ws.append([f"人{n}"])
    path = tmp_path / "five.xlsx"
    wb.save(path)
    check_xlsx(path, rows_allowed=5)  # exactly at the cap
    with pytest.raises(TableError) as err:
        check_xlsx(path, rows_allowed=4)
    assert err.value.reason == "too_many_rows" and err.value.args_ == {"max": 4}
    monkeypatch.setenv("CEBOT_IMPORT_MAX_ROWS", "4")
    with pytest.raises(TableError) as err:
        read_table(path, {"name": ("姓名",)})
    assert err.value.reason == "too_many_rows"
    monkeypatch.setenv("CEBOT_IMPORT_MAX_ROWS", "5")
    assert [r.values["name"] for r in read_table(path, {"name": ("姓名",)})][-1] == "人4"
    not_a_zip = tmp_path / "fake.xlsx"
    not_a_zip.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(TableError) as err:
        read_table(not_a_zip, {"name": ("姓名",)})
    assert err.value.reason == "unreadable"


def test_table_errors_cross_a_process_boundary() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(TableError("cell_too_long", line=3, max=32767)))
    assert (error.reason, error.args_) == ("cell_too_long", {"line": 3, "max": 32767})
