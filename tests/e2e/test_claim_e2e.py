"""A professional-hour claim end to end: the real application (polling, built as
tests/e2e/test_journey.py builds it) talks HTTP to the fake Bot API. The person binds, goes
through the guided claim, sends the evidence as a Telegram photo (downloaded by getFile),
pledges and confirms; the database then holds a pending claim with the stored evidence file.
On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from bot.fake_api import FakeBotApi
from cebot.settings import Settings
from services.context import AppContext
from services.evidence import evidence_path
from storage.models import EvidenceFile, HourRecord, RecordEvidence
from tests.e2e.running import polling

USER = 7171
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8


async def said(api: FakeBotApi, text: str, since: int) -> str:
    call = await api.wait_for(
        "sendMessage",
        lambda c: c.params.get("chat_id") == USER and text in c.params["text"],
        since=since,
    )
    return str(call.params["text"])


async def bind(api: FakeBotApi, zhang_id: str) -> None:
    mark = api.mark()
    api.send_text(USER, "/start")
    await api.wait_for_button(USER, "✅ 同意", since=mark)
    mark = api.mark()
    api.press(USER, "✅ 同意")
    await said(api, "身份证号码", mark)
    mark = api.mark()
    api.send_text(USER, zhang_id)
    await api.wait_for("deleteMessage", since=mark)
    mark = api.mark()
    api.send_text(USER, "张伟")
    await api.wait_for_button(USER, "申报学时", since=mark)


async def answer(api: FakeBotApi, text: str, expect: str) -> str:
    mark = api.mark()
    api.send_text(USER, text)
    return await said(api, expect, mark)


async def tap(api: FakeBotApi, label: str, expect: str) -> str:
    mark = api.mark()
    api.press(USER, label)
    return await said(api, expect, mark)


async def test_claim_with_a_photo_through_the_bot_api(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings, zhang_id: str
) -> None:
    api = fake_api
    async with polling(settings, ctx):
        await bind(api, zhang_id)
        await tap(api, "申报学时", "我的专业科目学时登记")
        await tap(api, "新登记", "请选择要登记的年度")
        await tap(api, "2024 年度", "学时类别")
        await tap(api, "培训进修类", "学习活动的名称")
        await answer(api, "急诊急救能力提升培训班", "主办单位")
        await answer(api, "广西医学会", "开始日期")
        await answer(api, "2024-10-08", "结束日期")
        await answer(api, "2024-10-09", "实际参加的学时")
        await answer(api, "16", "请发送证明材料")

        mark = api.mark()
        api.send_file(USER, PHOTO, as_photo=True)
        await said(api, "已收到第 1 份证明材料（图片）", mark)
        await api.wait_for_button(USER, "完成", since=mark)
        assert api.calls_of("getFile")  # downloaded from the Bot API

        await tap(api, "完成", "本人承诺属实")
        summary = await tap(api, "本人承诺属实", "请核对登记内容")
        assert "日期：2024-10-08 至 2024-10-09" in summary and "学时：16 学时" in summary
        mark = api.mark()
        api.press(USER, "确认提交")
        assert "待审验" in await said(api, "已提交", mark)
        listed = await said(api, "我的专业科目学时登记", mark)  # the list follows
        assert "急诊急救能力提升培训班" in listed and "16 学时 · 待审验" in listed

    async with ctx.db.transaction() as s:
        [record] = list(await s.scalars(select(HourRecord).where(HourRecord.origin == "claim")))
        files = list(
            await s.scalars(
                select(EvidenceFile)
                .join(RecordEvidence, RecordEvidence.file_id == EvidenceFile.id)
                .where(RecordEvidence.record_id == record.id)
            )
        )
    assert record.person_id == roster and record.status == "pending"
    assert record.title == "急诊急救能力提升培训班" and record.hours == 16
    [stored] = files
    assert stored.mime == "image/jpeg" and stored.sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert evidence_path(ctx.data_dir, stored.sha256).read_bytes() == PHOTO
