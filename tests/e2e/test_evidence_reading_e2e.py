"""Reading the evidence end to end (issue 12), with the real reader (OCR in its process pool)
and the real application talking HTTP to the fake Bot API.

张伟 starts a claim by sending a photo of his certificate (rendered by the project's own
sample generator, services.synthetic_evidence): the bot shows it is working (chat action and a
short message), then what it read; the year is chosen from the dates, and each question offers
the evidence's value. He takes the title, dates and hours, corrects the organiser by typing,
and submits. A second claim, typed first with 12 hours, gets a photo saying 4 hours: the bot
points out the difference, he keeps his figure, and the unit's reviewer sees the mismatch flag
on that claim's card (and none on the first). On SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from fractions import Fraction

import pytest
from sqlalchemy import select

from bot.fake_api import FakeBotApi
from cebot.settings import Settings
from services.context import AppContext
from services.evidence_reading import shutdown_reader, warm_up_reader
from services.privacy import notice
from services.synthetic_evidence import SampleTruth, make_sample
from storage.models import Account, HourRecord, Person, Role
from tests.e2e.running import answer, bind, polling, said, tap

ZHANG, REVIEWER = 9191, 9292
FIRST = SampleTruth(
    title="急诊急救能力提升培训班",
    organiser="广西医学会",
    person_name="张伟",
    started_on=date(2024, 10, 8),
    completed_on=date(2024, 10, 9),
    hours=Fraction(16),
    hours_basis="hours",
    number="GXYX-2024-001234",
)
SECOND = SampleTruth(
    title="心电图判读培训",
    organiser="南宁市第一人民医院",
    person_name="张伟",
    started_on=date(2024, 11, 5),
    completed_on=date(2024, 11, 5),
    hours=Fraction(4),
    hours_basis="hours",
    number="NNYY-2024-000077",
)
# reading a photo takes seconds on this machine, more while other tests run
SLOW = 60.0


@pytest.fixture(autouse=True)
def reader_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CEBOT_OCR", "on")
    yield
    shutdown_reader()


def photo(truth: SampleTruth) -> bytes:
    return make_sample("e2e", truth, "certificate", "jpeg", "none", random.Random(7)).data


async def reviewer(ctx: AppContext, person_id: int) -> None:
    now = ctx.now()
    async with ctx.db.transaction() as s:
        person = await s.get(Person, person_id)
        assert person is not None
        account = Account(
            channel="telegram",
            external_id=str(REVIEWER),
            language="zh",
            display_name="人事科审验员",
            consent_version=notice().version,
            created_at=now,
        )
        s.add(account)
        await s.flush()
        s.add(
            Role(
                account_id=account.id,
                role="reviewer",
                unit_id=person.unit_id,
                granted_at=now,
                granted_by="test",
            )
        )


async def test_a_photo_prefills_the_claim_and_the_reviewer_sees_the_mismatch(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings, zhang_id: str
) -> None:
    api = fake_api
    await reviewer(ctx, roster)
    await warm_up_reader()  # the models load once per worker; not part of a user's wait
    async with polling(settings, ctx):
        await bind(api, ZHANG, zhang_id, "张伟")
        await tap(api, ZHANG, "申报学时", "我的专业科目学时登记")
        hint = await tap(api, ZHANG, "新登记", "请选择要登记的年度")
        assert "也可以先发送证明材料" in hint

        # ---- the evidence first: working, then what was read
        mark = api.mark()
        api.send_file(ZHANG, photo(FIRST), as_photo=True)
        await api.wait_for(
            "sendChatAction",
            lambda c: c.params.get("chat_id") == ZHANG and c.params.get("action") == "typing",
            since=mark,
        )
        await said(api, ZHANG, "正在读取内容", mark)
        found = await said(api, ZHANG, "从证明材料中读到", mark, timeout=SLOW)
        for expected in (
            "名称：急诊急救能力提升培训班",
            "主办单位：广西医学会",
            "日期：2024-10-08 — 2024-10-09",
            "学时：16 学时",
            "编号：GXYX-2024-001234",
        ):
            assert expected in found, (expected, found)
        await said(api, ZHANG, "已为您选择 2024 年度", mark)
        await api.wait_for_button(ZHANG, "培训进修类", since=mark)

        # ---- each field proposed; the organiser corrected by typing
        proposal = await tap(api, ZHANG, "培训进修类", "学习活动的名称")
        assert "证明材料上为：急诊急救能力提升培训班" in proposal
        await tap(api, ZHANG, "采用", "主办单位")
        await answer(api, ZHANG, "广西医学会继续教育部", "开始日期")
        await tap(api, ZHANG, "采用“2024-10-08”", "结束日期")
        await tap(api, ZHANG, "采用“2024-10-09”", "实际参加的学时")
        await tap(api, ZHANG, "采用“16”", "请发送证明材料")
        await tap(api, ZHANG, "完成", "本人承诺属实")
        summary = await tap(api, ZHANG, "本人承诺属实", "请核对登记内容")
        assert "主办单位：广西医学会继续教育部" in summary and "学时：16 学时" in summary
        await tap(api, ZHANG, "确认提交", "我的专业科目学时登记")

        # ---- typed first, then a photo that says otherwise: kept as typed
        await tap(api, ZHANG, "新登记", "请选择要登记的年度")
        await tap(api, ZHANG, "2024 年度", "学时类别")
        await tap(api, ZHANG, "培训进修类", "学习活动的名称")
        await answer(api, ZHANG, "心电图判读培训", "主办单位")
        await answer(api, ZHANG, "南宁市第一人民医院", "开始日期")
        await answer(api, ZHANG, "2024-11-05", "结束日期")
        await answer(api, ZHANG, "2024-11-05", "实际参加的学时")
        await answer(api, ZHANG, "12", "请发送证明材料")
        mark = api.mark()
        api.send_file(ZHANG, photo(SECOND), as_photo=True)
        differs = await said(api, ZHANG, "有不同之处", mark, timeout=SLOW)
        assert "学时：4 学时" in differs
        await api.wait_for_button(ZHANG, "学时改为“4”", since=mark)
        await tap(api, ZHANG, "完成", "本人承诺属实")
        summary = await tap(api, ZHANG, "本人承诺属实", "请核对登记内容")
        assert "学时：12 学时" in summary
        await tap(api, ZHANG, "确认提交", "我的专业科目学时登记")

        async with ctx.db.transaction() as s:
            claims = {
                r.title: r
                for r in await s.scalars(select(HourRecord).where(HourRecord.origin == "claim"))
            }
        first, second = claims["急诊急救能力提升培训班"], claims["心电图判读培训"]
        assert first.organiser == "广西医学会继续教育部" and first.hours == 16
        assert (first.started_on, first.completed_on) == (date(2024, 10, 8), date(2024, 10, 9))
        assert second.hours == 12 and first.status == second.status == "pending"

        # ---- the reviewer's cards: what was read, and the mismatch on the second only
        mark = api.mark()
        api.send_text(REVIEWER, "/review")
        cards = {}
        for record in (first, second):
            call = await api.wait_for(
                "sendMessage",
                lambda c, record=record: (
                    c.params.get("chat_id") == REVIEWER
                    and f"登记 #{record.id}（" in c.params["text"]
                ),
                since=mark,
            )
            cards[record.id] = str(call.params["text"])
        assert "证明材料上读到" in cards[first.id]
        assert "自动识别的内容与申报一致" in cards[first.id]
        assert "学时不一致：申报 12，材料上为 4" in cards[second.id]
        assert "✅ 通过" in str(
            [b["text"] for row in call.params["reply_markup"]["inline_keyboard"] for b in row]
        )  # the flag informs; the decision stays the reviewer's
