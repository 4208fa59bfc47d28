"""Through the real application (polling) and the fake Bot API: a reviewer receives the unit
report as an XLSX document, an administrator the statistics XLSX and the PNG chart."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select
from telegram.ext import Application

from bot.app import build_application, post_init
from bot.fake_api import FakeBotApi
from bot.webhook import ALLOWED_UPDATES
from cebot.settings import Settings
from services.context import AppContext
from storage.models import Account, Role
from tests.reports.test_unit_report import HEADERS_ZH, Unit, build

REVIEWER, ADMIN = 5151, 5252


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    fake = FakeBotApi().start()
    yield fake
    fake.stop()


@asynccontextmanager
async def running(api: FakeBotApi, ctx: AppContext, tmp_path: Path) -> AsyncIterator[None]:
    settings = Settings(
        TELEGRAM_BOT_TOKEN=api.token,  # type: ignore[arg-type]
        TELEGRAM_BASE_URL=api.base_url,
        TELEGRAM_BASE_FILE_URL=api.base_file_url,
        CEBOT_DATA_DIR=tmp_path / "data",
    )
    application: Application = build_application(settings, ctx)  # type: ignore[type-arg]
    async with application:
        await post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()


async def grant(ctx: AppContext, user: int, role: str, unit_id: int | None = None) -> None:
    async with ctx.db.transaction() as s:
        account = await s.scalar(select(Account.id).where(Account.external_id == str(user)))
        assert account is not None
        s.add(
            Role(
                account_id=account,
                role=role,
                unit_id=unit_id,
                granted_at=ctx.now(),
                granted_by="test",
            )
        )


async def test_documents_reach_the_chat(ctx: AppContext, api: FakeBotApi, tmp_path: Path) -> None:
    unit: Unit = await build(ctx)
    async with running(api, ctx, tmp_path):
        for user in (REVIEWER, ADMIN):
            mark = api.mark()
            api.send_text(user, "/menu")
            await api.wait_for_button(user, "帮助", since=mark)
        await grant(ctx, REVIEWER, "reviewer", unit.unit_id)
        await grant(ctx, ADMIN, "admin")

        mark = api.mark()
        api.send_text(REVIEWER, "/report")
        await api.wait_for_button(REVIEWER, "单位报表 2024", since=mark)
        mark = api.mark()
        api.press(REVIEWER, "单位报表 2024")
        doc = await api.wait_for("sendDocument", since=mark)
        assert doc.params["chat_id"] == REVIEWER
        content = api.files[doc.params["_result"]["document"]["file_id"]]
        assert content.startswith(b"PK")  # an XLSX is a ZIP
        rows = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
        assert list(rows[0]) == HEADERS_ZH and len(rows) == 7
        assert any("已达标 2 人" in t for t in api.texts_to(REVIEWER))

        mark = api.mark()
        api.send_text(ADMIN, "/report")
        await api.wait_for_button(ADMIN, "全区统计 2024", since=mark)
        mark = api.mark()
        api.press(ADMIN, "全区统计 2024")
        await api.wait_for(
            "sendDocument", lambda c: str(c.params.get("caption", "")).startswith("📊"), since=mark
        )
        docs = [c for c in api.calls_of("sendDocument") if c.params["chat_id"] == ADMIN]
        contents = [api.files[c.params["_result"]["document"]["file_id"]] for c in docs]
        assert contents[0].startswith(b"PK")
        assert contents[1].startswith(b"\x89PNG\r\n\x1a\n")
        with Image.open(io.BytesIO(contents[1])) as img:
            assert img.format == "PNG"
        assert any("2024 年度全区统计：共 7 人" in t for t in api.texts_to(ADMIN))
