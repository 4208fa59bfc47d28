"""Professional hours end to end, the whole story of issue 5 in one run: the real application
(polling) and the real outbox sender talk HTTP to the fake Bot API.

张伟 binds and claims twice through the guided claim, each time with a PDF sent as a Telegram
document; the scheduler's digest tells the unit's reviewer, who opens the queue from the
digest's button, approves one claim and rejects the other with a common reason, each from the
button under its own card; 张伟's year then shows the verified hours, and both decisions reach
him. A training organiser sends a CSV: the preview counts it, the confirmation imports it and
張伟's year counts it; the same file again adds nothing; a file with bad rows lists them and
changes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from telegram.ext import Application

from bot.fake_api import Call, FakeBotApi
from bot.outbox_sender import telegram_sender
from cebot.settings import Settings
from core.idnumber import make_id_number
from services.claims import queue_review_digests
from services.context import AppContext
from services.outbox import SenderConfig, SenderStats, drain
from services.privacy import notice
from storage.models import (
    Account,
    AuditEntry,
    HourRecord,
    ImportBatch,
    Person,
    RecordEvidence,
    Review,
    Role,
)
from tests.e2e.running import answer, bind, polling, said, tap

ZHANG, REVIEWER, ORGANISER = 8181, 8282, 8383
SOURCE = "广西医学会继续教育部"
PDF_A = b"%PDF-1.7\n% certificate A\n" + b"1 0 obj\n" * 32
PDF_B = b"%PDF-1.7\n% certificate B\n" + b"2 0 obj\n" * 32
HEADER = "身份证号,姓名,年度,科目,课程编号,课程名称,学时,完成日期\n"
NEWCOMER = make_id_number("450103", date(1990, 4, 5), 321)


async def staff(ctx: AppContext, person_id: int) -> None:
    """The unit's reviewer and a training organiser, each with an account that has consented."""
    now = ctx.now()
    async with ctx.db.transaction() as s:
        person = await s.get(Person, person_id)
        assert person is not None and person.unit_id is not None
        for chat, name, role, unit_id, source in (
            (REVIEWER, "人事科审验员", "reviewer", person.unit_id, None),
            (ORGANISER, "医学会导入员", "organiser", None, SOURCE),
        ):
            account = Account(
                channel="telegram",
                external_id=str(chat),
                language="zh",
                display_name=name,
                consent_version=notice().version,
                created_at=now,
            )
            s.add(account)
            await s.flush()
            s.add(
                Role(
                    account_id=account.id,
                    role=role,
                    unit_id=unit_id,
                    source=source,
                    granted_at=now,
                    granted_by="test",
                )
            )


def press_under(api: FakeBotApi, chat: int, card: Call, label: str) -> None:
    """Press `label` under one particular message (a reviewer's card), as a user would."""
    markup = card.params.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if label in button["text"]:
                message = dict(card.params.get("_result") or {})
                api.push_update(api.callback_update(chat, button["callback_data"], message))
                return
    raise LookupError(f"no {label!r} under the card")


async def edited(api: FakeBotApi, card: Call, text: str, since: int) -> Call:
    """The edit of the message `card` (or of a message pressed on it) that shows `text`."""
    return await api.wait_for(
        "editMessageText",
        lambda c: (
            c.params.get("chat_id") == card.params.get("chat_id") and text in c.params["text"]
        ),
        since=since,
    )


async def claim(
    api: FakeBotApi, title: str, day: str, hours: str, pdf: bytes, file_name: str
) -> None:
    """The guided claim with one PDF as evidence, up to the pending claim in the list."""
    await tap(api, ZHANG, "申报学时", "我的专业科目学时登记")
    await tap(api, ZHANG, "新登记", "请选择要登记的年度")
    await tap(api, ZHANG, "2024 年度", "学时类别")
    await tap(api, ZHANG, "培训进修类", "学习活动的名称")
    await answer(api, ZHANG, title, "主办单位")
    await answer(api, ZHANG, "广西医学会", "开始日期")
    await answer(api, ZHANG, day, "结束日期")
    await answer(api, ZHANG, day, "实际参加的学时")
    await answer(api, ZHANG, hours, "请发送证明材料")
    mark = api.mark()
    api.send_file(ZHANG, pdf, filename=file_name, mime_type="application/pdf")
    await said(api, ZHANG, "已收到第 1 份证明材料", mark)
    await api.wait_for_button(ZHANG, "完成", since=mark)
    await tap(api, ZHANG, "完成", "本人承诺属实")
    await tap(api, ZHANG, "本人承诺属实", "请核对登记内容")
    listed = await tap(api, ZHANG, "确认提交", "我的专业科目学时登记")
    assert title in listed and f"{hours} 学时 · 待审验" in listed


async def progress(api: FakeBotApi, expect: str) -> None:
    mark = api.mark()
    api.send_text(ZHANG, "/progress")
    await said(api, ZHANG, expect, mark)


async def deliver(ctx: AppContext, application: Application) -> SenderStats:  # type: ignore[type-arg]
    config = SenderConfig(rate=30.0, per_chat_interval=0.0, poll_interval=0.05)
    return await drain(ctx, telegram_sender(application.bot), config)


async def counts(ctx: AppContext) -> tuple[int, int, int]:
    async with ctx.db.transaction() as s:
        records = await s.scalar(select(func.count()).select_from(HourRecord))
        batches = await s.scalar(select(func.count()).select_from(ImportBatch))
        audit = await s.scalar(select(func.count()).select_from(AuditEntry))
    return int(records or 0), int(batches or 0), int(audit or 0)


async def test_claim_review_and_import_as_people_use_them(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings, zhang_id: str
) -> None:
    api = fake_api
    await staff(ctx, roster)
    async with polling(settings, ctx) as application:
        # ---- 张伟 claims twice, each time with a PDF
        await bind(api, ZHANG, zhang_id, "张伟")
        await progress(api, "合计：75 / 90 学时")
        await claim(api, "急诊急救能力提升培训班", "2024-10-08", "12", PDF_A, "结业证书.pdf")
        await claim(api, "院内读书会", "2024-10-20", "4", PDF_B, "读书会.pdf")
        await progress(api, "合计：75 / 90 学时")  # pending hours do not count yet
        async with ctx.db.transaction() as s:
            claims = {
                r.title: r.id
                for r in await s.scalars(select(HourRecord).where(HourRecord.origin == "claim"))
            }
            linked = await s.scalar(select(func.count()).select_from(RecordEvidence))
        assert set(claims) == {"急诊急救能力提升培训班", "院内读书会"} and linked == 2
        good, poor = claims["急诊急救能力提升培训班"], claims["院内读书会"]

        # ---- the digest reaches the reviewer, whose button opens the queue
        run = await queue_review_digests(ctx)
        assert run.queued == 1 and run.claims == 2
        mark = api.mark()
        await deliver(ctx, application)
        digest = await said(api, REVIEWER, "条新的专业科目学时登记", mark)
        assert "2 条新的" in digest
        mark = api.mark()
        api.press(REVIEWER, "去审验")
        cards = {
            claim_id: await api.wait_for(
                "sendMessage",
                lambda c, claim_id=claim_id: (
                    c.params.get("chat_id") == REVIEWER
                    and f"登记 #{claim_id}" in c.params["text"]
                    and c.params.get("reply_markup") is not None
                ),
                since=mark,
            )
            for claim_id in (good, poor)
        }
        # each card's evidence arrives as the PDF itself
        for claim_id, pdf in ((good, PDF_A), (poor, PDF_B)):
            document = await api.wait_for(
                "sendDocument",
                lambda c, claim_id=claim_id: (
                    c.params["chat_id"] == REVIEWER
                    and f"登记 #{claim_id}" in str(c.params.get("caption", ""))
                ),
                since=mark,
            )
            assert api.files[document.params["_result"]["document"]["file_id"]] == pdf
        assert "张伟" in cards[good].params["text"]
        assert zhang_id not in cards[good].params["text"]  # masked, never whole

        # ---- approve one from its own card; the year shows the verified hours
        mark = api.mark()
        press_under(api, REVIEWER, cards[good], "✅ 通过")
        approved = await edited(api, cards[good], "已通过 ✅ 12 学时", mark)
        assert approved.params["text"].startswith(f"📄 登记 #{good}")
        await said(api, REVIEWER, "本页还有 1 条待审验登记（已审验 1 条）", mark)
        await progress(api, "合计：87 / 90 学时")

        # ---- reject the other with a common reason: its card asks, then says what was decided
        mark = api.mark()
        press_under(api, REVIEWER, cards[poor], "❌ 不通过")
        asking = await edited(api, cards[poor], "不通过的理由", mark)
        mark = api.mark()
        press_under(api, REVIEWER, asking, "证明材料不清晰")
        rejected = await edited(api, cards[poor], "已退回：证明材料不清晰", mark)
        assert rejected.params["text"].startswith(f"📄 登记 #{poor}")
        await said(api, REVIEWER, "本页的 2 条登记都已审验", mark)
        await progress(api, "合计：87 / 90 学时")

        # ---- both decisions reach 张伟, once each
        mark = api.mark()
        stats = await deliver(ctx, application)
        assert stats.sent == 2
        await said(api, ZHANG, "“急诊急救能力提升培训班”已审验通过，计 12 学时", mark)
        told = await said(api, ZHANG, "“院内读书会”未通过审验", mark)
        assert "证明材料不清晰" in told

        # ---- an organiser's file: previewed, confirmed, counted, told
        upload = (
            HEADER
            + f"{zhang_id},张伟,2024,专业科目,YX-7,重症医学新进展,3,2024-09-12\n"
            + f"{NEWCOMER},韦新,2024,专业科目,YX-7,重症医学新进展,3,2024-09-12\n"
        ).encode()
        records_before, batches_before, _ = await counts(ctx)
        mark = api.mark()
        api.send_text(ORGANISER, "/upload")
        await said(api, ORGANISER, "请发送学时文件", mark)
        mark = api.mark()
        api.send_file(ORGANISER, upload, filename="学时.csv", mime_type="text/csv")
        preview = await said(api, ORGANISER, "预览", mark)
        assert "共 2 行，2 人（其中新人员 1 人），合计 6 学时" in preview
        assert (await counts(ctx))[:2] == (records_before, batches_before)  # nothing written
        done = await tap(api, ORGANISER, "确认导入", "已导入")
        assert "新增 2 条" in done and "已通知 1 人" in done
        await progress(api, "合计：90 / 90 学时")
        mark = api.mark()
        await deliver(ctx, application)
        # the notice names the course and its hours
        told = await said(api, ZHANG, "为您导入了 1 条学时记录，共 3 学时", mark)
        assert SOURCE in told and "重症医学新进展：3" in told

        # ---- the same file again: recognised, nothing to confirm, nobody told
        mark = api.mark()
        api.send_text(ORGANISER, "/upload")
        await said(api, ORGANISER, "请发送学时文件", mark)
        mark = api.mark()
        api.send_file(ORGANISER, upload, filename="学时.csv", mime_type="text/csv")
        again = await said(api, ORGANISER, "导入过", mark)
        assert "（共 2 行，新增 2 条），无需再次导入" in again
        replies = [c for c in list(api.calls)[mark:] if c.params.get("chat_id") == ORGANISER]
        assert not any(FakeBotApi._button_in(c, "确认导入") for c in replies)
        assert (await deliver(ctx, application)).sent == 0

        # ---- a file with bad rows lists them and changes nothing
        before = await counts(ctx)
        bad = (
            HEADER
            + f"{zhang_id},张伟,2024,专业科目,YX-8,心电图判读,4,2024-09-20\n"
            + f"{NEWCOMER},韦新,2024,专业科目,YX-8,心电图判读,四,2024-09-20\n"
            + f"{zhang_id},张伟,2024,专业科目,YX-9,超声基础,4,2025-01-20\n"
        ).encode()
        mark = api.mark()
        api.send_text(ORGANISER, "/upload")
        await said(api, ORGANISER, "请发送学时文件", mark)
        mark = api.mark()
        api.send_file(ORGANISER, bad, filename="有误.csv", mime_type="text/csv")
        listed = await said(api, ORGANISER, "行有误", mark)
        assert "文件有 2 行有误" in listed and "第 3 行" in listed and "第 4 行" in listed
        assert "第 2 行" not in listed
        replies = [c for c in list(api.calls)[mark:] if c.params.get("chat_id") == ORGANISER]
        assert not any(FakeBotApi._button_in(c, "确认导入") for c in replies)
        assert await counts(ctx) == before
        await progress(api, "合计：90 / 90 学时")

    async with ctx.db.transaction() as s:
        decided = {
            r.record_id: r.decision
            for r in await s.scalars(select(Review).where(Review.record_id.in_([good, poor])))
        }
        audited = {
            (e.entity_id, e.action, e.actor)
            for e in await s.scalars(
                select(AuditEntry).where(
                    AuditEntry.action.in_(["claim_approved", "claim_rejected"])
                )
            )
        }
        reviewer = await s.scalar(select(Account.id).where(Account.external_id == str(REVIEWER)))
    assert decided == {good: "approved", poor: "rejected"}
    assert audited == {
        (str(good), "claim_approved", f"account:{reviewer}"),
        (str(poor), "claim_rejected", f"account:{reviewer}"),
    }
