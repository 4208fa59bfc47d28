"""Consent before the first ID number, asked again when the notice changes; "My data"."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import services.privacy as privacy
from services.context import AppContext
from storage.models import Account, FlowState, HourRecord
from storage.privacy_models import Consent, DataRequest


async def bind(c: Any, roster: Any) -> None:
    await c.start()
    await c.send(roster.zhang_number)
    await c.send("张伟")


async def test_refusing_blocks_binding_and_is_recorded(ctx: AppContext, roster, chat) -> None:
    c = chat()
    await c.send("/start")
    assert "个人信息处理告知" in c.text and "身份证号码" not in c.text.split("告知")[0]
    # an ID number typed before agreeing is deleted and not taken
    out = await c.send(roster.zhang_number)
    assert (out.delete_incoming and "请点击" in c.text) or "按钮" in c.text
    await c.press("不同意")
    assert "不会收集" in c.text
    async with ctx.db.transaction() as s:
        account = await s.scalar(select(Account))
        decisions = list(await s.scalars(select(Consent.decision)))
        state = await s.scalar(select(FlowState))
    assert account is not None and account.person_id is None and account.consent_version is None
    assert decisions == ["refused"]
    assert state is not None and "id_cipher" not in (state.data or {})


async def test_agreeing_records_the_version_then_binds(ctx: AppContext, roster, chat) -> None:
    c = chat()
    await c.send("/start")
    await c.press("阅读全文")
    assert "处理者" in c.text and "✅ 同意" in [b.label for b in c.buttons()]
    # the notice is Markdown: its heading and bold labels read as text, not as marks
    full = c.last.replies[0].text
    assert full.startswith("个人信息处理告知") and "\n\n处理者：" in full
    assert "**" not in full and "#" not in full
    await c.press("✅ 同意")
    assert "身份证号码" in c.text
    await c.send(roster.zhang_number)
    await c.send("张伟")
    assert "绑定成功" in c.text
    async with ctx.db.transaction() as s:
        account = await s.scalar(select(Account))
        consent = await s.scalar(select(Consent))
    assert account is not None and account.consent_version == privacy.notice().version
    assert consent is not None and consent.decision == "given"


def newer_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    newer = replace(privacy.notice(), version="2099-01-01")
    monkeypatch.setattr(privacy, "notice", lambda: newer)
    monkeypatch.setattr("bot.flows.privacy.notice", lambda: newer)


async def test_a_changed_notice_is_asked_at_the_next_message(
    ctx: AppContext, roster, chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = chat()
    await bind(c, roster)
    newer_notice(monkeypatch)
    await c.send("/progress")
    assert "已更新" in c.text and "2099-01-01" in c.text and "合计" not in c.text
    await c.press("✅ 同意")
    await c.send("/progress")
    assert "合计" in c.text
    async with ctx.db.transaction() as s:
        account = await s.scalar(select(Account))
    assert account is not None and account.consent_version == "2099-01-01"


async def test_refusing_a_changed_notice_unbinds_and_keeps_the_records(
    ctx: AppContext, roster, chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = chat()
    await bind(c, roster)
    newer_notice(monkeypatch)
    await c.send("/menu")
    await c.press("不同意")
    assert "绑定已解除" in c.text
    async with ctx.db.transaction() as s:
        account = await s.scalar(select(Account))
        kept = await s.scalar(select(HourRecord.id).where(HourRecord.person_id == roster.zhang_id))
    assert account is not None and account.person_id is None
    assert kept is not None


async def test_my_data_export_correction_and_erasure(ctx: AppContext, roster, chat) -> None:
    c = chat()
    await bind(c, roster)
    await c.send("/mydata")
    assert "我的数据" in c.text and "4501" in c.text and "2024（4）" in c.text
    await c.press("导出")
    files = [r.file for r in c.last.replies if r.file is not None]
    assert files and files[0].name == "my-data.zip"
    path: Path = await files[0].ready_path()
    with zipfile.ZipFile(path) as zf:
        assert "data.json" in zf.namelist()
        assert roster.zhang_number in zf.read("data.json").decode()  # their own, in full
    await c.press("谁查看过")
    assert "没有他人查看" in c.text
    await c.press("申请更正")
    await c.send("单位名称应为南宁市第一人民医院东院")
    assert "已收到您的更正申请" in c.text
    await c.send("/mydata")
    await c.press("解除绑定并申请删除")
    assert "依法保留" in c.text
    await c.press("确定删除")
    assert "保存至 2029-12-31" in c.text
    async with ctx.db.transaction() as s:
        account = await s.scalar(select(Account))
        kinds = sorted(await s.scalars(select(DataRequest.kind)))
    assert account is not None and account.person_id is None
    assert kinds == ["correction", "erasure"]
