"""Through the real application (polling) and the fake Bot API: an administrator draws a spot
check of a unit and assigns it; the auditor goes through the claims, receiving the evidence as
documents, and revokes one; the person and the unit's reviewer are told through the outbox
sender, the person's progress falls and their certificate is revoked."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.fake_api import Call, FakeBotApi
from bot.outbox_sender import telegram_sender
from cebot.settings import Settings
from services.certificates import issue_certificate
from services.context import AppContext
from services.outbox import SenderConfig, drain
from storage.models import Account, Certificate, HourRecord
from tests.admin.admin_helpers import PDF, YEAR, Province, build_province
from tests.e2e.running import polling

ADMIN, AUDITOR, PERSON, REVIEWER = 6101, 6202, 6303, 6404


async def as_telegram(ctx: AppContext, province: Province) -> None:
    """The province's accounts become Telegram users of the fake API."""
    async with ctx.db.transaction() as s:
        for account_id, user in (
            (province.admin, ADMIN),
            (province.auditor2, AUDITOR),
            (province.p1_account, PERSON),
            (province.reviewer_a, REVIEWER),
        ):
            await s.execute(
                update(Account)
                .where(Account.id == account_id)
                .values(channel="telegram", external_id=str(user))
            )


def _item_or_end(call: Call, user: int) -> bool:
    """A claim on the auditor's screen ("…第 n/m 条" then the person), or the end."""
    text = str(call.params.get("text", ""))
    return call.params.get("chat_id") == user and ("条\n人员" in text or "核查完毕" in text)


async def step(api: FakeBotApi, user: int, label: str, then: str) -> None:
    """Press `label`, then wait for a message to `user` showing a button `then`."""
    mark = api.mark()
    api.press(user, label)
    await api.wait_for_button(user, then, since=mark)


async def test_a_spot_check_revokes_a_claim_and_everything_follows(
    ctx: AppContext, fake_api: FakeBotApi, settings: Settings
) -> None:
    province = await build_province(ctx, extra_people=2)
    await as_telegram(ctx, province)
    certificate = await issue_certificate(ctx, province.p1, YEAR, "ce", actor="test")

    async with polling(settings, ctx) as application:
        api = fake_api
        # the person's progress before: complete
        mark = api.mark()
        api.send_text(PERSON, "/progress")
        before = await api.wait_for(
            "sendMessage", lambda c: c.params["chat_id"] == PERSON, since=mark
        )
        assert "74" in str(before.params["text"])

        # the administrator draws every approved claim of unit A and assigns auditor2
        mark = api.mark()
        api.send_text(ADMIN, "/spot")
        await api.wait_for_button(ADMIN, "新建抽样", since=mark)
        await step(api, ADMIN, "新建抽样", str(YEAR))
        await step(api, ADMIN, str(YEAR), "全区")
        mark = api.mark()
        api.send_text(ADMIN, "第一人民医院")
        await api.wait_for_button(ADMIN, "南宁市第一人民医院", since=mark)
        await step(api, ADMIN, "南宁市第一人民医院", "50")
        await step(api, ADMIN, "50", "抽取")
        await step(api, ADMIN, "抽取", "auditor2")
        await step(api, ADMIN, "auditor2", "分配审计员")
        assert any("已分配给 auditor2" in t for t in api.texts_to(ADMIN))

        # the auditor's assignment notice, through the outbox sender
        await drain(ctx, telegram_sender(application.bot), SenderConfig(rate=100))
        notice = await api.wait_for_button(AUDITOR, "打开抽查")
        assert "新的抽查任务" in str(notice.params["text"])

        # the auditor opens it from the notice and goes through every claim
        await step(api, AUDITOR, "打开抽查", "开始核查")
        await step(api, AUDITOR, "开始核查", "撤销学时")
        revoked = False
        shown = await api.wait_for("sendMessage", lambda c: _item_or_end(c, AUDITOR))
        for _ in range(10):
            text = str(shown.params["text"])
            if "所有登记都已核查完毕" in text:
                break
            assert "**********" in text  # the masked ID number, never the whole one
            if "专业培训第2期" in text:  # 王芳's 30 hours
                await step(api, AUDITOR, "撤销学时", "证明材料不真实")
                mark = api.mark()
                api.press(AUDITOR, "证明材料不真实")
                revoked = True
            else:
                mark = api.mark()
                api.press(AUDITOR, "属实")
            shown = await api.wait_for(
                "sendMessage", lambda c: _item_or_end(c, AUDITOR), since=mark
            )
        assert revoked
        documents = [c for c in api.calls_of("sendDocument") if c.params["chat_id"] == AUDITOR]
        assert documents
        assert api.files[documents[0].params["_result"]["document"]["file_id"]] == PDF

        # the person and the unit's reviewer are told
        await drain(ctx, telegram_sender(application.bot), SenderConfig(rate=100))
        await api.wait_for(
            "sendMessage",
            lambda c: c.params["chat_id"] == PERSON and "经抽查" in str(c.params["text"]),
        )
        await api.wait_for(
            "sendMessage",
            lambda c: c.params["chat_id"] == PERSON and certificate.number in str(c.params["text"]),
        )
        unit_notice = await api.wait_for("sendMessage", lambda c: c.params["chat_id"] == REVIEWER)
        assert "王芳" in str(unit_notice.params["text"]) and "证明材料不真实" in str(
            unit_notice.params["text"]
        )

        # the person's progress after: 30 hours fewer, no longer complete
        mark = api.mark()
        api.send_text(PERSON, "/progress")
        after = await api.wait_for(
            "sendMessage", lambda c: c.params["chat_id"] == PERSON, since=mark
        )
        assert "44" in str(after.params["text"]) and str(after.params["text"]) != str(
            before.params["text"]
        )

    async with ctx.db.transaction() as s:
        record = await s.get(HourRecord, province.p1_claim_small)
        cert = await s.scalar(select(Certificate).where(Certificate.number == certificate.number))
    assert record is not None and record.status == "revoked"
    assert cert is not None and cert.revoked_at is not None
