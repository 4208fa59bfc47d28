"""Organisers' uploads in the bot, event by event on SQLite and PostgreSQL: a CSV or XLSX file
is previewed (rows, people, hours, bad rows by line), confirmed and imported once, and the
people who received hours are told through the outbox; a bad file imports nothing; a file
that is not a table, too large or not a file is refused politely; cancel leaves nothing; an
import that duplicates an approved claim sends it back to review and tells the claimant;
anyone but a live organiser is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select, update

from bot.flows import Engine, Event, IncomingFile, Outcome
from services.claims import decide
from services.context import AppContext
from services.imports import ImportRaced
from services.notify import render_notice
from services.organiser_upload import MAX_UPLOAD_BYTES, UPLOAD_DIR
from services.privacy import notice
from storage.models import Account, HourRecord, ImportBatch, OutboxMessage
from tests.bot.conftest import Chat
from tests.claims.claims_helpers import (
    ORGANISER_SOURCE,
    World,
    at,
    build_world,
    claim,
    count,
    id_number_of,
)

ORGANISER = "r0-organiser"
HEADER = "身份证号,姓名,年度,科目,课程编号,课程名称,学时,完成日期\n"
NEW_PERSON = id_number_of(77)
GOOD = (
    HEADER
    + f"{id_number_of(1)},王芳,2024,专业科目,ZY-1,课堂观察方法,12,2024-06-02\n"
    + f"{id_number_of(1)},王芳,2024,专业科目,ZY-2,作业设计,6,2024-07-02\n"
    + f"{NEW_PERSON},韦新,2024,专业科目,ZY-2,作业设计,6.5,2024-07-02\n"
).encode()


@pytest.fixture
async def world(ctx: AppContext) -> World:
    made = await build_world(ctx)
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Account)
            .where(Account.person_id.is_not(None))
            .values(consent_version=notice().version)
        )
    return made


class Fetches:
    """A file's download, counted (a file refused by its size is never downloaded)."""

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.calls = 0

    async def __call__(self) -> bytes:
        self.calls += 1
        return self.content


async def send_file(
    c: Chat, content: bytes | None, name: str | None = "hours.csv", size: int | None = None
) -> Outcome:
    if content is None:  # a sticker or a voice message: a file event without a file
        c.last = await c.engine.handle(c.user, Event("file"))
        return c.last
    incoming = IncomingFile(
        "file-1",
        name,
        "text/csv",
        len(content) if size is None else size,
        fetch=Fetches(content),
    )
    c.last = await c.engine.handle(c.user, Event("file", file=incoming))
    return c.last


async def payloads(ctx: AppContext, account_id: int) -> list[dict[str, Any]]:
    async with ctx.db.transaction() as s:
        rows = await s.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.account_id == account_id)
        )
        return [dict(p) for p in rows]


def uploads_left(ctx: AppContext) -> list[Path]:
    folder = ctx.data_dir / UPLOAD_DIR
    return list(folder.iterdir()) if folder.is_dir() else []


async def test_preview_confirm_and_the_same_file_again(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    organiser = chat(ORGANISER)
    await organiser.send("/upload")
    assert "请发送学时文件" in organiser.text and ORGANISER_SOURCE in organiser.text
    await send_file(organiser, GOOD)
    assert "共 3 行，2 人（其中新人员 1 人），合计 24.5 学时" in organiser.text
    assert "文件：hours.csv" in organiser.text
    assert await count(ctx, HourRecord) == 0  # a preview writes nothing
    assert len(uploads_left(ctx)) == 1
    await organiser.press("确认导入")
    assert "已导入：新增 3 条" in organiser.text and "已通知 1 人" in organiser.text
    assert await count(ctx, HourRecord) == 3
    async with ctx.db.transaction() as s:
        sources = set(await s.scalars(select(HourRecord.source)))
    assert sources == {ORGANISER_SOURCE}
    [told] = await payloads(ctx, world.claimant_account)
    assert told["key"] == "upload-told-records"
    # the notice names each course and its hours (issue 17 item 21)
    text = render_notice(told, "zh")[0]
    assert ORGANISER_SOURCE in text and "2 条学时记录，共 18 学时" in text
    assert "· 课堂观察方法：12" in text and "· 作业设计：6" in text
    english = render_notice(told, "en")[0]
    assert "2 records for you, 18 hours in all" in english and "· 作业设计：6" in english
    assert uploads_left(ctx) == []

    # the same bytes again: recognised before reading, with when and how many, no confirm
    await organiser.send("/upload")
    await send_file(organiser, GOOD)
    assert "这个文件已于 2024-11-20 10:00 导入过" in organiser.text
    assert "（共 3 行，新增 3 条），无需再次导入" in organiser.text
    assert not [b for b in organiser.buttons() if "确认导入" in b.label]
    assert uploads_left(ctx) == []
    assert await count(ctx, HourRecord) == 3 and await count(ctx, ImportBatch) == 1
    assert len(await payloads(ctx, world.claimant_account)) == 1  # nobody told twice


async def test_the_same_rows_in_another_file_add_nothing(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    organiser = chat(ORGANISER)
    await organiser.send("/upload")
    await send_file(organiser, GOOD)
    await organiser.press("确认导入")
    # other bytes (a trailing blank line), the same rows: previewed, and adding nothing
    await organiser.send("/upload")
    await send_file(organiser, GOOD + b"\n")
    assert "已导入过 3 行" in organiser.text
    await organiser.press("确认导入")
    assert "已全部导入过，本次未新增" in organiser.text
    assert await count(ctx, HourRecord) == 3
    assert len(await payloads(ctx, world.claimant_account)) == 1  # nobody told twice


async def test_an_xlsx_file_is_previewed_too(
    ctx: AppContext, world: World, chat: Callable[..., Chat], tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in GOOD.decode().splitlines():
        sheet.append(line.split(","))
    path = tmp_path / "hours.xlsx"
    book.save(path)
    organiser = chat(ORGANISER)
    await organiser.send("/upload")
    await send_file(organiser, path.read_bytes(), "学时.xlsx")
    assert "共 3 行，2 人" in organiser.text
    await organiser.press("确认导入")
    assert await count(ctx, HourRecord) == 3


async def test_a_bad_file_imports_nothing_and_lists_its_bad_rows(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    bad = (
        HEADER
        + f"{id_number_of(1)},王芳,2024,专业科目,ZY-1,课堂观察方法,12,2024-06-02\n"
        + "450103198803120000,李四,2024,专业科目,ZY-1,课堂观察方法,12,2024-06-02\n"
        + f"{id_number_of(2)},李审验,2024,专业科目,ZY-1,课堂观察方法,abc,2024-06-02\n"
    ).encode()
    organiser = chat(ORGANISER)
    await organiser.send("/upload")
    out = await send_file(organiser, bad)
    assert "文件有 2 行有误" in organiser.text
    assert "第 3 行：身份证号校验位不正确" in organiser.text
    assert "第 4 行：学时“abc”不是数字" in organiser.text
    assert "确认导入" not in "".join(b.label for b in organiser.buttons())
    assert not any(
        "s:" in b.data and "yes" in b.data for r in out.replies for row in r.buttons for b in row
    )
    assert await count(ctx, HourRecord) == 0 and await count(ctx, ImportBatch) == 0
    assert uploads_left(ctx) == []
    # still waiting for a file: the corrected one is previewed and imported
    await send_file(organiser, GOOD)
    await organiser.press("确认导入")
    assert await count(ctx, HourRecord) == 3


async def test_files_that_are_not_tables_are_refused_politely(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    organiser = chat(ORGANISER)
    await organiser.send("/upload")
    await send_file(organiser, b"%PDF-1.7", "scan.pdf")
    assert "不支持的文件类型 .pdf" in organiser.text
    fetch = Fetches(GOOD)
    organiser.last = await organiser.engine.handle(
        organiser.user,
        Event("file", file=IncomingFile("big", "big.csv", "text/csv", MAX_UPLOAD_BYTES + 1, fetch)),
    )
    assert "文件过大（最大 20 MB）" in organiser.text and fetch.calls == 0
    await send_file(organiser, None)
    assert "请以文件形式发送" in organiser.text
    await send_file(organiser, b"name,hours\n", "wrong.csv")
    assert "无法读取 wrong.csv：缺少列" in organiser.text
    await organiser.send("你好")
    assert "请发送学时文件" in organiser.text  # the question again
    assert uploads_left(ctx) == [] and await count(ctx, HourRecord) == 0


async def test_cancel_after_the_preview_imports_nothing(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    organiser = chat(ORGANISER)
    await organiser.send("/upload")
    await send_file(organiser, GOOD)
    await organiser.press("取消")
    assert "已取消，未导入任何数据" in organiser.text
    assert await count(ctx, HourRecord) == 0 and uploads_left(ctx) == []


async def test_an_import_duplicating_an_approved_claim_sends_it_back(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    mine = await claim(
        ctx,
        world.claimant,
        title="课堂观察方法",
        started_on=date(2024, 6, 2),
        completed_on=date(2024, 6, 2),
    )
    await decide(ctx, world.reviewer1, mine.id, True)
    organiser = chat(ORGANISER)
    await organiser.send("/upload")
    await send_file(organiser, GOOD)
    assert "与本人登记疑似重复 1 行" in organiser.text
    await organiser.press("确认导入")
    assert "1 条已通过的登记已退回单位重新核对" in organiser.text
    async with ctx.db.transaction() as s:
        again = await s.get(HourRecord, mine.id)
        assert again is not None and again.status == "pending"
    keys = sorted(p["key"] for p in await payloads(ctx, world.claimant_account))
    assert keys == ["claim-told-duplicate-reopened", "upload-told-records"]
    reopened = next(
        p for p in await payloads(ctx, world.claimant_account) if p["key"].startswith("claim")
    )
    assert "课堂观察方法" in render_notice(reopened, "zh")[0]
    # counted once: the import's 12 + 6 hours, not the claim's 12 as well
    async with ctx.db.transaction() as s:
        hours = await s.scalars(
            select(HourRecord.hours).where(
                HourRecord.person_id == world.claimant,
                HourRecord.status.in_(["approved", "imported"]),
            )
        )
        assert sum(hours, Fraction(0)) == 18


@pytest.mark.parametrize("who", ["r0-plain", "r0-审验人一", "r0-organiser-revoked", "r0-admin"])
async def test_only_organisers_may_upload(
    ctx: AppContext, world: World, chat: Callable[..., Chat], who: str
) -> None:
    someone = chat(who)
    await someone.send("/upload")
    assert "您不是培训组织单位的导入人员" in someone.text
    await someone.press_data("m:upload")
    assert "您不是培训组织单位的导入人员" in someone.text
    await send_file(someone, GOOD)  # a file out of the blue goes nowhere
    assert await count(ctx, HourRecord) == 0 and uploads_left(ctx) == []


async def test_losing_a_race_says_send_it_again(
    ctx: AppContext, world: World, chat: Callable[..., Chat], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17 item 8 in the bot: another import of the same rows committed first."""
    import bot.flows.upload as flow

    async def raced(*args: object, **kwargs: object) -> None:
        raise ImportRaced()

    organiser = chat(ORGANISER)
    await organiser.send("/upload")
    await send_file(organiser, GOOD)
    monkeypatch.setattr(flow, "confirm_upload", raced)
    await organiser.press("确认导入")
    assert "同一文件的另一次导入先完成了" in organiser.text and "请再发送一次文件" in organiser.text
    assert uploads_left(ctx) == []
    monkeypatch.undo()
    await send_file(organiser, GOOD)  # still waiting for the file: sent again, imported
    await organiser.press("确认导入")
    assert "已导入：新增 3 条" in organiser.text


async def test_a_result_lost_in_between_is_found_by_the_files_digest(
    ctx: AppContext, world: World, chat: Callable[..., Chat], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import committed but its result never reached the turn that shows it (the process
    stopped in between): the organiser is told it was imported, not asked again."""
    import bot.flows.upload as flow

    organiser = chat(ORGANISER)
    await organiser.send("/upload")
    await send_file(organiser, GOOD)
    monkeypatch.setattr(flow, "_keep", lambda *args: None)
    await organiser.press("确认导入")
    assert "这个文件已于" in organiser.text and "（共 3 行，新增 3 条）" in organiser.text
    assert await count(ctx, HourRecord) == 3
    assert len(await payloads(ctx, world.claimant_account)) == 1  # told all the same


async def test_a_message_while_importing_and_an_import_that_never_finished(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    organiser = chat(ORGANISER)
    await organiser.send("/upload")
    await send_file(organiser, GOOD)
    # the confirming turn commits; its follow-up (the import) never runs: the process stopped
    pressed = await organiser.engine._handle_once(
        organiser.user, Event.button(organiser.button("确认导入").data)
    )
    assert pressed.follow_up is not None
    await organiser.send("好了吗？")
    assert "正在处理文件，请稍候" in organiser.text
    later = Chat(Engine(at(ctx, ctx.now() + timedelta(minutes=11))), ORGANISER)
    await later.send("好了吗？")
    assert "导入没有完成，未写入任何数据。请重新发送文件。" in later.text
    assert await count(ctx, HourRecord) == 0
    await send_file(later, GOOD)
    await later.press("确认导入")
    assert "已导入：新增 3 条" in later.text
