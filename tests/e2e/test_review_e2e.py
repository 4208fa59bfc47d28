"""Unit review end to end: the real application (polling, as in test_journey.py) and the real
outbox sender talk HTTP to the fake Bot API. A claim with a PDF exists (made through the
services); the unit's reviewer opens the queue, receives the evidence as a document, presses
approve; the claimant's year then shows the verified hours, and the decision reaches the
claimant as a message. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from sqlalchemy import select

from bot.fake_api import FakeBotApi
from bot.outbox_sender import telegram_sender
from cebot.settings import Settings
from services.claims import ClaimDraft, submit_claim
from services.context import AppContext
from services.evidence import store_evidence
from services.outbox import SenderConfig, drain
from services.privacy import notice
from storage.models import Account, HourRecord, Person, Review, Role
from tests.e2e.running import polling

CLAIMANT, REVIEWER = 6161, 6262
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 16


async def seed(ctx: AppContext, person_id: int) -> int:
    """The claimant's bound Telegram account, the unit's reviewer, and a pending claim."""
    now = ctx.now()
    async with ctx.db.transaction() as s:
        person = await s.get(Person, person_id)
        assert person is not None and person.unit_id is not None
        s.add(
            Account(
                channel="telegram",
                external_id=str(CLAIMANT),
                person_id=person_id,
                language="zh",
                consent_version=notice().version,
                created_at=now,
            )
        )
        reviewer = Account(
            channel="telegram",
            external_id=str(REVIEWER),
            language="zh",
            display_name="人事科审验员",
            created_at=now,
        )
        s.add(reviewer)
        await s.flush()
        s.add(
            Role(
                account_id=reviewer.id,
                role="reviewer",
                unit_id=person.unit_id,
                granted_at=now,
                granted_by="test",
            )
        )
    evidence = await store_evidence(ctx, PDF)
    draft = ClaimDraft(
        year=2024,
        category="training",
        title="急诊急救技能培训",
        organiser="南宁市卫生健康委员会",
        started_on=date(2024, 10, 15),
        completed_on=date(2024, 10, 16),
        hours=Fraction(12),
    )
    view = await submit_claim(ctx, person_id, draft, [evidence.id], pledged=True)
    return view.id


async def test_reviewer_approves_from_the_button_and_the_year_shows_the_hours(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings
) -> None:
    api = fake_api
    claim_id = await seed(ctx, roster)
    async with polling(settings, ctx) as application:
        mark = api.mark()
        api.send_text(CLAIMANT, "/progress")
        await api.wait_for(
            "sendMessage", lambda c: "合计：75 / 90 学时" in c.params["text"], since=mark
        )

        mark = api.mark()
        api.send_text(REVIEWER, "/review")
        card = await api.wait_for_button(REVIEWER, "✅ 通过", since=mark)
        assert f"登记 #{claim_id}" in card.params["text"]
        assert "急诊急救技能培训" in card.params["text"] and "张伟" in card.params["text"]
        document = await api.wait_for(
            "sendDocument", lambda c: c.params["chat_id"] == REVIEWER, since=mark
        )
        assert api.files[document.params["_result"]["document"]["file_id"]] == PDF
        assert document.params["_result"]["document"]["file_name"] == f"claim-{claim_id}-1.pdf"

        mark = api.mark()
        api.press(REVIEWER, "✅ 通过")
        await api.wait_for("editMessageReplyMarkup", since=mark)  # the claim's buttons go
        # and the card itself says what was decided (issue 17 item 21)
        decided = await api.wait_for(
            "editMessageText",
            lambda c: c.params.get("message_id") == card.params["_result"]["message_id"],
            since=mark,
        )
        assert f"登记 #{claim_id}" in decided.params["text"]
        assert "已通过 ✅ 12 学时（您于" in decided.params["text"]
        assert not decided.params.get("reply_markup")

        mark = api.mark()
        api.send_text(CLAIMANT, "/progress")
        await api.wait_for(
            "sendMessage", lambda c: "合计：87 / 90 学时" in c.params["text"], since=mark
        )

        # the decision reaches the claimant through the outbox, once
        mark = api.mark()
        config = SenderConfig(rate=30.0, per_chat_interval=0.0, poll_interval=0.05)
        stats = await drain(ctx, telegram_sender(application.bot), config)
        told = await api.wait_for(
            "sendMessage", lambda c: c.params["chat_id"] == CLAIMANT, since=mark
        )
        assert told.params["text"] == "您登记的“急诊急救技能培训”已审验通过，计 12 学时。"
        assert stats.sent == 1

        # pressed again (a second tap): one decision, and the reviewer is told who decided
        mark = api.mark()
        api.press(REVIEWER, "✅ 通过")
        await api.wait_for(
            "sendMessage", lambda c: "已由 人事科审验员" in c.params["text"], since=mark
        )
    async with ctx.db.transaction() as s:
        reviews = list(await s.scalars(select(Review).where(Review.record_id == claim_id)))
        record = await s.get(HourRecord, claim_id)
    assert len(reviews) == 1 and record is not None and record.status == "approved"


async def test_a_new_reviewer_reviews_from_the_reply_to_the_invitation(
    ctx: AppContext, roster: int, fake_api: FakeBotApi, settings: Settings
) -> None:
    """Issue 17 item 19 over HTTP: someone who never wrote to the bot opens the invitation
    link; the reply already carries ✅ 审核, and it opens the unit's queue."""
    from core.uscc import make_unit_code
    from services.onboarding import issue_invitation

    api = fake_api
    claim_id = await seed(ctx, roster)
    issued = await issue_invitation(
        ctx, role="reviewer", actor="cli", unit_code=make_unit_code("12450000MB0000001")
    )
    newcomer = 6363
    async with polling(settings, ctx):
        mark = api.mark()
        api.send_text(newcomer, f"/start {issued.code}")
        reply = await api.wait_for_button(newcomer, "✅ 审核", since=mark)
        assert "单位人事审验员" in reply.params["text"]
        mark = api.mark()
        api.press(newcomer, "✅ 审核")
        card = await api.wait_for_button(newcomer, "✅ 通过", since=mark)
        assert f"登记 #{claim_id}" in card.params["text"]
