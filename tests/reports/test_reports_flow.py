"""The reports screens in the bot: a reviewer gets the unit report as XLSX with a summary, sees
who still needs what and reminds them; an administrator gets statistics, XLSX and a PNG chart;
a reviewer of another unit is refused; every refusal and run-time key exists."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from fluent.syntax import parse
from fluent.syntax.ast import Message
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from bot.flows import Button, ChannelUser, Engine, Event, Outcome
from services.context import AppContext
from services.i18n import LANGUAGES, translator
from services.reports import FILE_TTL_SECONDS, report_file
from storage.models import Account, OutboxMessage, Role
from tests.reports.test_unit_report import HEADERS_ZH, Unit, build

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LOCALES = Path(__file__).resolve().parents[2] / "services" / "locales"


class Chat:
    def __init__(self, engine: Engine, user: str) -> None:
        self.engine = engine
        self.user = ChannelUser("test", user)
        self.last = Outcome()

    async def send(self, text: str) -> Outcome:
        self.last = await self.engine.handle(self.user, Event.message(text))
        return self.last

    async def press(self, label: str) -> Outcome:
        found = [b for b in self.buttons() if label in b.label]
        assert found, f"no button {label!r} in {[b.label for b in self.buttons()]}"
        self.last = await self.engine.handle(self.user, Event.button(found[0].data))
        return self.last

    def buttons(self) -> list[Button]:
        return [b for r in self.last.replies for row in r.buttons for b in row]

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last.replies)


async def account_of(ctx: AppContext, user: str) -> int:
    async with ctx.db.transaction() as s:
        found = await s.scalar(select(Account.id).where(Account.external_id == user))
    assert found is not None
    return found


async def grant(ctx: AppContext, user: str, role: str, unit_id: int | None = None) -> None:
    account_id = await account_of(ctx, user)
    async with ctx.db.transaction() as s:
        s.add(
            Role(
                account_id=account_id,
                role=role,
                unit_id=unit_id,
                granted_at=ctx.now(),
                granted_by="test",
            )
        )


@pytest.fixture
async def unit(ctx: AppContext) -> Unit:
    return await build(ctx)


async def test_reviewer_gets_the_xlsx_and_reminds_who_still_needs_what(
    ctx: AppContext, unit: Unit
) -> None:
    chat = Chat(Engine(ctx), "rev")
    await chat.send("/menu")
    await grant(ctx, "rev", "reviewer", unit.unit_id)
    await chat.send("/menu")
    assert any(b.data == "m:reports" for b in chat.buttons())
    await chat.send("/report")
    assert "请选择要查看的报表" in chat.text
    labels = [b.label for b in chat.buttons()]
    assert "单位报表 2024" in labels and "单位报表 2023" in labels
    assert not any("全区统计" in label for label in labels)  # not an administrator

    await chat.press("单位报表 2024")
    summary, attached = chat.last.replies
    assert "南宁市第一人民医院 2024 年度：共 6 人，已达标 2 人（33.3%）" in summary.text
    assert "还有 5 人未完成" in summary.text and "戊空白：必修课未完成" in summary.text
    assert attached.file is not None and attached.file.name.endswith(".xlsx")
    assert attached.file.path == "" and attached.file.produce is not None
    path = await attached.file.ready_path()  # what the adapter does after the commit
    assert path.is_file() and path.parent == ctx.data_dir / "reports"
    wb = load_workbook(path)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS_ZH and len(rows) == 7

    await chat.press("还差什么")
    assert "还差什么（5 人，差得最多的在前）" in chat.text
    assert "4501**********" in chat.text  # masked only
    lines = chat.text.splitlines()
    assert lines[1].startswith("· 戊空白") and lines[2].startswith("· 乙不足")
    await chat.press("提醒他们（5 人）")
    assert "已为 3 人排队发送提醒" in chat.text and chat.last.notice == "已排队 3 条提醒"
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 3
    # again the same day: nothing new (the earlier list's button is pressed again)
    await chat.send("/report 2024")
    await chat.press("还差什么")
    await chat.press("提醒他们")
    assert "今天已经提醒过" in chat.text
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 3


async def test_reviewer_of_another_unit_is_refused(ctx: AppContext, unit: Unit) -> None:
    chat = Chat(Engine(ctx), "other")
    await chat.send("/menu")
    await grant(ctx, "other", "reviewer", unit.other_id)
    await chat.send(f"/report {unit.code} 2024")
    assert "您只能查看自己单位的报表" in chat.text
    assert not any(r.file for r in chat.last.replies)
    # a forged button for the other unit, sent while the screen is open
    await chat.send("/report")
    nonce = chat.buttons()[0].data.split(":")[1]
    await chat.engine.handle(chat.user, Event.button(f"s:{nonce}:r2024u{unit.unit_id}"))
    out = await chat.engine.handle(chat.user, Event.button(f"s:{nonce}:m2024u{unit.unit_id}"))
    assert "您只能查看自己单位的报表" in "\n".join(r.text for r in out.replies)
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    # their own unit works
    await chat.send("/report 2024")
    assert "柳州市人民医院 2024 年度：共 1 人" in chat.text


async def test_people_without_a_role_are_told_politely(ctx: AppContext, unit: Unit) -> None:
    chat = Chat(Engine(ctx), "nobody")
    await chat.send("/report")
    assert "报表只对单位审验人和管理员开放" in chat.text
    await chat.send("/menu")
    assert not any(b.data == "m:reports" for b in chat.buttons())


async def test_admin_gets_statistics_xlsx_and_chart(ctx: AppContext, unit: Unit) -> None:
    chat = Chat(Engine(ctx), "adm")
    await chat.send("/menu")
    await grant(ctx, "adm", "admin")
    await chat.send("/report")
    await chat.press("全区统计 2024")
    message, xlsx, png = chat.last.replies
    assert "2024 年度全区统计：共 7 人" in message.text
    assert "· 南宁：6 人" in message.text and "· 柳州：1 人" in message.text
    assert xlsx.file is not None and png.file is not None
    wb = load_workbook(await xlsx.file.ready_path())
    assert wb.sheetnames[:2] == ["按地市", "按单位"]
    chart = await png.file.ready_path()
    assert png.file.name.endswith(".png")
    data = chart.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000
    with Image.open(chart) as img:
        assert img.format == "PNG"
    # an administrator may open any unit by its code
    await chat.send(f"/report {unit.code} 2024")
    assert "南宁市第一人民医院 2024 年度" in chat.text
    assert any(r.file is not None for r in chat.last.replies)
    await chat.send("/report 91450100MA9999999X")
    assert "没有找到单位：91450100MA9999999X" in chat.text
    await chat.send("/report 2031")
    assert "2031 年度没有已启用的政策" in chat.text


async def test_admin_losing_the_role_meanwhile_is_refused(ctx: AppContext, unit: Unit) -> None:
    chat = Chat(Engine(ctx), "adm2")
    await chat.send("/menu")
    await grant(ctx, "adm2", "admin")
    await chat.send("/report")
    async with ctx.db.transaction() as s:
        role = await s.scalar(
            select(Role).where(
                Role.role == "admin", Role.account_id == await account_of(ctx, "adm2")
            )
        )
        assert role is not None
        role.revoked_at = ctx.now()
    await chat.press("全区统计 2024")
    assert "全区统计只对管理员开放" in chat.text
    assert not any(r.file for r in chat.last.replies)


async def test_reports_file_folder_is_swept(ctx: AppContext) -> None:
    old = report_file(ctx, "old.xlsx")
    old.write_bytes(b"x")
    past = time.time() - FILE_TTL_SECONDS - 10
    os.utime(old, (past, past))
    fresh = report_file(ctx, "new.xlsx")
    assert not old.exists() and fresh.parent == old.parent and fresh.name.endswith("new.xlsx")


def keys(language: str) -> set[str]:
    found: set[str] = set()
    for path in (LOCALES / language).glob("*.ftl"):
        resource = parse(path.read_text(encoding="utf-8"))
        found |= {entry.id.name for entry in resource.body if isinstance(entry, Message)}
    return found


def test_run_time_keys_exist() -> None:
    dynamic = {
        f"rep-refused-{r}"
        for r in ("not_allowed", "other_unit", "not_admin", "unknown_unit", "no_policy")
    }
    dynamic |= {f"{k}-short" for k in ("rep-remind-queued", "rep-remind-repeat")}
    dynamic |= {"cmd-desc-report", "menu-reports", "rep-remind-notice"}
    for language in LANGUAGES:
        assert not dynamic - keys(language), language
        t = translator(language)
        assert t("rep-list-sep").strip()  # a real separator, not the key
