"""Campaigns on SQLite and PostgreSQL: the right people, the right day, nobody twice."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from conftest import Province, shanghai, ticking
from sqlalchemy import select

from core.hours import from_half_units
from core.reminders import ReminderKind, due_campaigns
from core.rules import RecordStatus, RecordView, Subject, evaluate_year
from services.context import AppContext
from services.reminders import (
    AudienceStatus,
    BroadcastFilter,
    CampaignError,
    campaign_report,
    preview_broadcast,
    queue_broadcast,
    queue_campaign,
    render_message,
    run_due,
)
from storage.models import Campaign, HourRecord, OutboxMessage

PM, PE, PRO = Subject.PUBLIC_MANDATORY, Subject.PUBLIC_ELECTIVE, Subject.PROFESSIONAL
OK, PENDING, CREDITED = RecordStatus.APPROVED, RecordStatus.PENDING, RecordStatus.CREDITED


async def outbox(ctx: AppContext) -> list[tuple[str, int, dict, bool]]:
    async with ctx.db.transaction() as s:
        rows = await s.execute(
            select(
                Campaign.key,
                OutboxMessage.account_id,
                OutboxMessage.payload,
                OutboxMessage.optional,
            )
            .join(Campaign, Campaign.id == OutboxMessage.campaign_id)
            .order_by(OutboxMessage.id)
        )
        return [(k, a, dict(p), bool(o)) for k, a, p, o in rows]


def at(ctx: AppContext, y: int, m: int, d: int, hh: int = 9) -> None:
    ctx.clock = ticking(shanghai(y, m, d, hh))


@pytest.fixture
async def town(province: Province) -> dict[str, int]:
    """Accounts by name: who is missing what in 2024."""
    u1 = await province.unit("南宁", code="U1")
    u2 = await province.unit("柳州", code="U2")
    ids: dict[str, int] = {}

    async def person(name: str, unit: int, **kw: object) -> int:
        pid, aid = await province.person(unit, chat=len(ids) + 100, **kw)  # type: ignore[arg-type]
        ids[name] = aid or 0
        ids[name + "_p"] = pid
        return pid

    nobody = await person("nothing", u1, language="en")  # no hours at all
    done = await person("done", u1)
    await province.hours(done, PM, 15, CREDITED)
    await province.hours(done, PRO, 75, OK, unit_id=u1)
    partial = await person("partial", u1)
    await province.hours(partial, PM, 15, CREDITED)
    await province.hours(partial, PRO, 30, OK, unit_id=u1)
    await province.hours(partial, PRO, Fraction(21, 2), PENDING, unit_id=u1)
    elect = await person("elect", u2)
    await province.hours(elect, PM, 15, CREDITED)
    await province.hours(elect, PE, 10, CREDITED)
    await province.hours(elect, PRO, 60, OK, unit_id=u2)
    await province.exam(nobody, attempts=2, grant=3)
    await person("blocked", u1, unreachable=True)
    await person("muted", u2, muted=True)
    await person("console", u2, channel="console")
    await province.person(u1)  # no account at all
    ids["unbound"] = await province.account(999)
    reviewer = await province.account(500)
    ids["reviewer"] = reviewer
    await province.reviewer(reviewer, u1)
    await province.reviewer(reviewer, u2)  # no pending claims in u2: adds nothing
    gone = await province.account(501)
    ids["gone"] = gone
    await province.reviewer(gone, u1, revoked=True)
    return ids


async def test_public_reminder_reaches_those_without_the_mandatory_exam(
    rctx: AppContext, town: dict[str, int]
) -> None:
    at(rctx, 2024, 12, 1)
    [result] = await run_due(rctx)
    assert result.key == "public:2024:d30" and result.created
    rows = await outbox(rctx)
    got = {a for _k, a, _p, _o in rows}
    # muted people get no optional reminder; blocked, unbound, console accounts get none
    assert got == {town["nothing"]}
    [(_, _, payload, optional)] = rows
    assert optional
    assert payload["kind"] == "public" and payload["year"] == 2024
    assert payload["attempts_left"] == 3 + 3 - 2 and payload["course_done"] == 0
    assert payload["deadline"] == "2024-12-31" and payload["final"] == 0


async def test_final_reminder_ignores_mute(rctx: AppContext, town: dict[str, int]) -> None:
    at(rctx, 2024, 12, 30)
    [result] = await run_due(rctx)
    assert result.key == "public:2024:d1"
    rows = await outbox(rctx)
    assert {a for _k, a, _p, _o in rows} == {town["nothing"], town["muted"]}
    assert all(not o and p["final"] == 1 for _k, _a, p, o in rows)


async def test_professional_numbers_match_the_core_evaluation(
    rctx: AppContext, town: dict[str, int]
) -> None:
    at(rctx, 2025, 3, 1)
    results = await run_due(rctx)
    assert sorted(r.key for r in results) == ["professional:2024:d30", "reviewer:2024:d30"]
    rows = [r for r in await outbox(rctx) if r[0].startswith("professional")]
    by_account = {a: p for _k, a, p, _o in rows}
    assert set(by_account) == {town["nothing"], town["partial"], town["elect"]}
    policy = rctx.policies[2024]
    async with rctx.db.transaction() as s:
        for name in ("nothing", "partial", "elect", "done"):
            recs = (
                await s.scalars(select(HourRecord).where(HourRecord.person_id == town[name + "_p"]))
            ).all()
            ev = evaluate_year(
                policy,
                [RecordView(Subject(r.subject), RecordStatus(r.status), r.hours) for r in recs],
            )
            if name == "done":
                assert ev.complete and town[name] not in by_account
                continue
            payload = by_account[town[name]]
            assert from_half_units(payload["needed"]) == ev.professional_hours_needed
            assert from_half_units(payload["pending"]) == ev.professional_pending_hours
    assert from_half_units(by_account[town["partial"]]["needed"]) == 45
    assert from_half_units(by_account[town["partial"]]["pending"]) == Fraction(21, 2)
    assert from_half_units(by_account[town["elect"]]["needed"]) == 5
    assert from_half_units(by_account[town["nothing"]]["needed"]) == 90


async def test_reviewer_reminder_counts_the_units_pending_claims(
    rctx: AppContext, town: dict[str, int]
) -> None:
    at(rctx, 2025, 3, 1)
    await run_due(rctx)
    rows = [r for r in await outbox(rctx) if r[0].startswith("reviewer")]
    assert [(a, p["claims"]) for _k, a, p, _o in rows] == [(town["reviewer"], 1)]


async def test_a_season_of_days_nobody_twice(rctx: AppContext, town: dict[str, int]) -> None:
    """Every day from November to April, twice a day: each campaign queued once, and each
    account at most once per campaign."""
    day = date(2024, 11, 15)
    created: dict[str, date] = {}
    while day <= date(2025, 4, 5):
        for hour in (9, 15):
            at(rctx, day.year, day.month, day.day, hour)
            for r in await run_due(rctx):
                if r.created:
                    assert r.key not in created
                    created[r.key] = day
                else:
                    assert r.queued == 0 and created[r.key] == day
        day = date.fromordinal(day.toordinal() + 1)
    assert set(created) == {
        d.key
        for n in range(0, 200)
        for d in due_campaigns(
            [rctx.policies[2024]], date.fromordinal(date(2024, 11, 1).toordinal() + n)
        )
    }
    rows = await outbox(rctx)
    assert len(rows) == len({(k, a) for k, a, _p, _o in rows})
    public = [a for k, a, _p, _o in rows if k.startswith("public")]
    # the person without the exam: all five public reminders; the muted one only the final
    assert public.count(town["nothing"]) == 5 and public.count(town["muted"]) == 1


async def test_queueing_outside_the_window_waits_for_nine(
    rctx: AppContext, town: dict[str, int]
) -> None:
    at(rctx, 2024, 12, 1, hh=22)
    await run_due(rctx)
    async with rctx.db.transaction() as s:
        nb = await s.scalar(select(OutboxMessage.not_before))
    assert nb == shanghai(2024, 12, 2, 9)


async def test_broadcast_filters_preview_and_queue_once(
    rctx: AppContext, town: dict[str, int]
) -> None:
    everyone = BroadcastFilter()
    # bound, reachable telegram accounts (mute does not hold back a notice)
    assert await preview_broadcast(rctx, everyone) == 5
    assert await preview_broadcast(rctx, BroadcastFilter(city="柳州")) == 2
    assert await preview_broadcast(rctx, BroadcastFilter(unit_code="U1")) == 3
    incomplete = BroadcastFilter(status=AudienceStatus.INCOMPLETE, year=2024)
    complete = BroadcastFilter(status=AudienceStatus.COMPLETE, year=2024)
    assert await preview_broadcast(rctx, incomplete) == 4
    assert await preview_broadcast(rctx, complete) == 1
    r = await queue_broadcast(rctx, "系统维护通知", BroadcastFilter(city="南宁"), actor="admin")
    assert r.created and r.queued == 3
    again = await queue_broadcast(rctx, "系统维护通知", BroadcastFilter(city="南宁"), actor="admin")
    assert not again.created and again.queued == 0 and again.key == r.key
    with pytest.raises(CampaignError):
        await queue_broadcast(rctx, "  ", everyone, actor="admin")
    report = await campaign_report(rctx, r.key)
    assert report.queued == 3 and report.count("queued") == 3 and report.pending == 3


async def test_status_filter_defaults_to_the_year_still_open(
    rctx: AppContext, town: dict[str, int]
) -> None:
    at(rctx, 2025, 2, 1)  # 2024 can still be verified
    assert await preview_broadcast(rctx, BroadcastFilter(status=AudienceStatus.COMPLETE)) == 1


async def test_no_policy_for_the_year(rctx: AppContext) -> None:
    from core.reminders import DueCampaign

    with pytest.raises(CampaignError):
        await queue_campaign(
            rctx, DueCampaign(ReminderKind.PUBLIC, 1999, date(1999, 12, 31), 1, True)
        )


def test_render_in_both_languages() -> None:
    today = date(2024, 12, 24)
    p = {
        "kind": "public",
        "year": 2024,
        "deadline": "2024-12-31",
        "final": 0,
        "attempts_left": 2,
        "course_done": 1,
    }
    zh = render_message(p, "zh", today)
    assert "考试还未通过" in zh.text and "2 次" in zh.text and "还剩 7 天" in zh.text
    en = render_message(p, "en", today)
    assert "7 day(s) left" in en.text and "attempts left: 2" in en.text
    prof = {
        "kind": "professional",
        "year": 2024,
        "deadline": "2025-03-31",
        "final": 1,
        "needed": 91,
        "pending": 21,
    }
    text = render_message(prof, "zh", date(2025, 3, 30)).text
    assert "最后提醒" in text and "45.5" in text and "10.5" in text
    rev = render_message(
        {"kind": "reviewer", "year": 2024, "deadline": "2025-03-31", "final": 0, "claims": 4},
        "en",
        date(2025, 3, 1),
    )
    assert "4 claims" in rev.text and rev.buttons == [("📝 Review now", "rv:queue")]
    assert render_message(p, "zh", date(2025, 1, 1)).expired
    b = render_message({"kind": "broadcast"}, "zh", today, {"message": "你好"})
    assert "你好" in b.text
