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
from tests.e2e.running import answer, bind, polling, said, tap

USER = 7171
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8


async def test_claim_with_a_photo_through_the_bot_api(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings, zhang_id: str
) -> None:
    api = fake_api
    async with polling(settings, ctx):
        await bind(api, USER, zhang_id, "张伟")
        await tap(api, USER, "申报学时", "我的专业科目学时登记")
        await tap(api, USER, "新登记", "请选择要登记的年度")
        await tap(api, USER, "2024 年度", "学时类别")
        await tap(api, USER, "培训进修类", "学习活动的名称")
        await answer(api, USER, "急诊急救能力提升培训班", "主办单位")
        await answer(api, USER, "广西医学会", "开始日期")
        await answer(api, USER, "2024-10-08", "结束日期")
        await answer(api, USER, "2024-10-09", "实际参加的学时")
        await answer(api, USER, "16", "请发送证明材料")

        mark = api.mark()
        api.send_file(USER, PHOTO, as_photo=True)
        await said(api, USER, "已收到第 1 份证明材料（图片）", mark)
        await api.wait_for_button(USER, "完成", since=mark)
        assert api.calls_of("getFile")  # downloaded from the Bot API

        await tap(api, USER, "完成", "本人承诺属实")
        summary = await tap(api, USER, "本人承诺属实", "请核对登记内容")
        assert "日期：2024-10-08 至 2024-10-09" in summary and "学时：16 学时" in summary
        mark = api.mark()
        api.press(USER, "确认提交")
        assert "待审验" in await said(api, USER, "已提交", mark)
        listed = await said(api, USER, "我的专业科目学时登记", mark)  # the list follows
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
