"""The unit review in the bot, driven event by event on SQLite and PostgreSQL: the queue with
the claimant, the claim and its evidence file; approve (hours count, the claimant is told
through the outbox), reject with a common or a typed reason, approve all, hours set by the
reviewer, a duplicate flag overridden, members confirmed; refusals for another unit's
reviewer, one's own claim, a forged button and a closed year; "rv:queue" from a reminder; and,
on PostgreSQL, two reviewers pressing approve at once in two workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import make_url

from bot.flows import Engine, Outcome
from core.idnumber import mask_id_number
from services.claims import COMMON_REJECTION_REASONS, ClaimView, decide
from services.context import AppContext
from services.i18n import LANGUAGES, translator
from services.notify import render_notice
from services.pii import IdProtector
from services.policies import PolicyBook
from services.privacy import notice
from services.progress import year_evaluation
from storage.db import Database
from storage.models import Account, Base, HourRecord, OutboxMessage, Person, Review
from tests.bot.conftest import Chat
from tests.claims.claims_helpers import (
    PDF,
    World,
    at,
    build_world,
    claim,
    count,
    id_number_of,
    shanghai,
)

REVIEWER1 = "r0-审验人一"
REVIEWER2 = "r0-审验人二"
REVIEWER_B = "r0-乙审验人"
REVIEWER_PERSON = "r0-reviewer-person"
PLAIN = "r0-plain"


async def consented_world(ctx: AppContext) -> World:
    """claims_helpers' world, its bound accounts having agreed to the privacy notice (or the
    bot would ask them first)."""
    world = await build_world(ctx)
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Account)
            .where(Account.person_id.is_not(None))
            .values(consent_version=notice().version)
        )
    return world


@pytest.fixture
async def world(ctx: AppContext) -> World:
    return await consented_world(ctx)


async def notices_to(ctx: AppContext, account_id: int) -> list[dict[str, Any]]:
    async with ctx.db.transaction() as s:
        rows = await s.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.account_id == account_id)
            .order_by(OutboxMessage.id)
        )
        return [dict(p) for p in rows]


async def verified(ctx: AppContext, person_id: int) -> Fraction:
    async with ctx.db.transaction() as s:
        evaluation = await year_evaluation(s, ctx.policies[2024], person_id)
    return evaluation.professional_verified_hours


async def record(ctx: AppContext, record_id: int) -> HourRecord:
    async with ctx.db.transaction() as s:
        found = await s.get(HourRecord, record_id)
        assert found is not None
        return found


def on_day(day: date) -> dict[str, date]:
    return {"started_on": day, "completed_on": day}


def data_of(outcome: Outcome) -> set[str]:
    return {b.data for r in outcome.replies for row in r.buttons for b in row}


async def test_queue_shows_the_claim_with_its_evidence(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    c = await claim(ctx, world.claimant)
    reviewer = chat(REVIEWER1)
    out = await reviewer.send("/review")
    card = next(r.text for r in out.replies if f"#{c.id}" in r.text and r.file is None)
    for shown in (
        "王芳",
        mask_id_number(id_number_of(1)),
        "2024",
        "培训进修类",
        "市级教研活动：作业设计专题",
        "柳州市教育局",
        "2024-10-16",
        "申报学时：12 学时",  # with its unit (issue 17 item 21)
        "证明材料：1 份",
    ):
        assert shown in card, shown
    assert id_number_of(1) not in reviewer.text  # only the masked ID number
    files = [r.file for r in out.replies if r.file is not None]
    assert len(files) == 1 and files[0].name.endswith(".pdf")
    assert Path(files[0].path).read_bytes() == PDF
    assert {f"rv:ok:{c.id}", f"rv:no:{c.id}"} <= data_of(out)
    assert "全部通过" not in reviewer.text + "".join(b.label for b in reviewer.buttons())


async def test_approve_counts_the_hours_and_tells_the_claimant_once(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    c = await claim(ctx, world.claimant)
    assert await verified(ctx, world.claimant) == 0
    reviewer = chat(REVIEWER1)
    await reviewer.send("/review")
    out = await reviewer.press_data(f"rv:ok:{c.id}")
    # the card itself now says what was decided, by whom and when (issue 17 item 21)
    card = out.replies[0]
    assert out.edit_pressed and out.button_accepted and not card.buttons
    assert card.text.startswith(f"📄 登记 #{c.id}") and "申报学时：12 学时" in card.text
    assert "已通过 ✅ 12 学时（您于 2024-11-20 10:00 审验）" in card.text
    assert await verified(ctx, world.claimant) == 12
    [told] = await notices_to(ctx, world.claimant_account)
    assert told["key"] == "claim-told-approved" and told["args"]["hours"] == "12"
    rendered, buttons = render_notice(told, "zh")
    assert "已审验通过，计 12 学时" in rendered and buttons == [("📊 我的学时", "m:prog")]

    # the same button again, and another reviewer: nothing changes, both are told who decided
    await reviewer.press_data(f"rv:ok:{c.id}")
    assert "已由 审验人一" in reviewer.text
    assert "已通过 ✅ 12 学时（您于" in reviewer.last.replies[0].text
    other = chat(REVIEWER2)
    await other.press_data(f"rv:no:{c.id}")
    assert "已由 审验人一" in other.text and other.last.notice
    # their card too: who decided, not "you"
    assert "已通过 ✅ 12 学时（审验人一于 2024-11-20 10:00 审验）" in other.last.replies[0].text
    assert await count(ctx, Review, Review.record_id == c.id) == 1
    assert len(await notices_to(ctx, world.claimant_account)) == 1


async def test_reject_with_a_common_reason(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    c = await claim(ctx, world.claimant)
    reviewer = chat(REVIEWER1)
    await reviewer.send("/review")
    out = await reviewer.press_data(f"rv:no:{c.id}")
    # the card asks for the reason, the claim still in view
    assert out.edit_pressed and out.replies[0].text.startswith(f"📄 登记 #{c.id}")
    assert "不通过的理由" in out.replies[0].text
    labels = [b.label for b in reviewer.buttons()]
    t = translator("zh")
    assert all(t(f"claim-reason-{code}") in labels for code in COMMON_REJECTION_REASONS)
    out = await reviewer.press("证明材料不清晰")
    assert out.edit_pressed and out.replies[0].text.startswith(f"📄 登记 #{c.id}")
    assert "已退回：证明材料不清晰（您于 2024-11-20 10:00 审验）" in out.replies[0].text
    assert not out.replies[0].buttons
    rejected = await record(ctx, c.id)
    assert (rejected.status, rejected.decision_reason) == ("rejected", "blurry_evidence")
    assert await verified(ctx, world.claimant) == 0
    [told] = await notices_to(ctx, world.claimant_account)
    assert told["key"] == "rvw-told-rejected-common"
    assert "理由：证明材料不清晰" in render_notice(told, "zh")[0]
    assert "Reason: The evidence is not legible" in render_notice(told, "en")[0]
    # back at the page's last message, with the new count
    assert any("本页的 1 条登记都已审验" in r.text for r in reviewer.last.replies)


async def test_reject_with_a_typed_reason_masks_id_numbers(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    c = await claim(ctx, world.claimant)
    reviewer = chat(REVIEWER1)
    await reviewer.press_data(f"rv:no:{c.id}")  # from a reminder: no page open
    await reviewer.send("   ")
    assert "不通过须说明理由" in reviewer.text  # asked again
    assert (await record(ctx, c.id)).status == "pending"
    out = await reviewer.send(f"证书上的身份证号 {id_number_of(1)} 与本人不符")
    assert out.delete_incoming  # an ID number typed in the chat is removed from it
    rejected = await record(ctx, c.id)
    assert rejected.status == "rejected"
    assert (
        rejected.decision_reason == f"证书上的身份证号 {mask_id_number(id_number_of(1))} 与本人不符"
    )
    [told] = await notices_to(ctx, world.claimant_account)
    assert told["key"] == "claim-told-rejected"
    assert id_number_of(1) not in str(told)
    assert "rv:queue" in data_of(out)  # "what next": the queue or the menu


async def test_cancelled_rejection_leaves_the_claim_pending(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    c = await claim(ctx, world.claimant)
    reviewer = chat(REVIEWER1)
    await reviewer.press_data(f"rv:no:{c.id}")
    out = await reviewer.press("取消")
    assert "仍待审验" in reviewer.text
    # the question becomes the card again, with its buttons
    assert out.edit_pressed and out.replies[0].text.startswith(f"📄 登记 #{c.id}")
    assert {f"rv:ok:{c.id}", f"rv:no:{c.id}"} <= {
        b.data for row in out.replies[0].buttons for b in row
    }
    assert (await record(ctx, c.id)).status == "pending"
    assert await notices_to(ctx, world.claimant_account) == []


async def test_other_units_reviewer_own_claim_plain_account_and_forged_buttons(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    c = await claim(ctx, world.claimant)
    own = await claim(ctx, world.reviewer_person, title="本人参加的培训")

    other_unit = chat(REVIEWER_B)
    await other_unit.press_data(f"rv:ok:{c.id}")
    assert "这不是您所在单位人员的登记" in other_unit.text
    await other_unit.press_data(f"rv:no:{c.id}")
    assert "这不是您所在单位人员的登记" in other_unit.text
    assert other_unit.last.replies[-1].buttons  # back to the menu, no reason asked
    assert "理由" not in other_unit.text
    await other_unit.send("/review")
    assert "目前没有待审验的登记" in other_unit.text

    me = chat(REVIEWER_PERSON)
    await me.press_data(f"rv:ok:{own.id}")
    assert "不能审验本人的登记" in me.text
    await me.send("/review")
    assert f"登记 #{c.id}（" in me.text and f"登记 #{own.id}（" not in me.text

    plain = chat(PLAIN)
    await plain.send("/review")
    assert "您不是单位审验人" in plain.text and not any(r.file for r in plain.last.replies)
    await plain.press_data(f"rv:ok:{c.id}")
    assert "您不是单位审验人" in plain.text

    reviewer = chat(REVIEWER1)
    for forged in ("rv:ok:x1", "rv:zz:1", f"rv:ok:{c.id}:1", "rv:ok:"):
        await reviewer.press_data(forged)
        assert "无法识别这个按钮" in reviewer.text, forged
    await reviewer.press_data("rv:ok:999999")
    assert "未找到该登记" in reviewer.text

    for rid in (c.id, own.id):
        assert (await record(ctx, rid)).status == "pending"
    assert await count(ctx, Review) == 0


async def test_approve_all_shown_with_a_confirmation(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    claims = [
        await claim(ctx, world.claimant, title=f"培训{n}", **on_day(date(2024, 9, n + 1)))
        for n in range(3)
    ]
    reviewer = chat(REVIEWER1)
    await reviewer.send("/review")
    await reviewer.press("本页全部通过（3 条）")
    assert "确认按申报学时通过本页 3 条登记" in reviewer.text
    await reviewer.press("取消")
    assert await count(ctx, Review) == 0
    # meanwhile the other reviewer approves one of them
    await decide(ctx, world.reviewer2, claims[0].id, True)
    await reviewer.press("本页全部通过")
    await reviewer.press("确认")
    assert "已通过 2 条；已由他人审验 1 条；未能通过 0 条" in reviewer.text
    assert f"✅ #{claims[1].id}“培训1”：已通过 12 学时" in reviewer.text
    assert f"#{claims[0].id}“" not in reviewer.text  # decided by the other reviewer
    assert all([(await record(ctx, c.id)).status == "approved" for c in claims])
    assert await verified(ctx, world.claimant) == 36
    # the two decided here are told here (the service call above queued nothing)
    assert len(await notices_to(ctx, world.claimant_account)) == 2


async def test_pages_of_five(ctx: AppContext, world: World, chat: Callable[..., Chat]) -> None:
    claims = [
        await claim(ctx, world.claimant, title=f"分页{n}", **on_day(date(2024, 7, n + 1)))
        for n in range(6)
    ]
    reviewer = chat(REVIEWER1)
    out = await reviewer.send("/review")
    cards = [r for r in out.replies if r.text.startswith("📄")]
    assert [f"#{c.id}" in r.text for c, r in zip(claims, cards, strict=False)] == [True] * 5
    assert len(cards) == 5 and len([r for r in out.replies if r.file]) == 5
    await reviewer.press("下一页")
    cards = [r for r in reviewer.last.replies if r.text.startswith("📄")]
    assert len(cards) == 1 and f"#{claims[5].id}" in cards[0].text
    assert "下一页" not in "".join(b.label for b in reviewer.buttons())
    assert "全部通过" not in "".join(b.label for b in reviewer.buttons())  # one claim here


async def test_rv_queue_button_opens_the_queue_for_reviewers_only(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    c = await claim(ctx, world.claimant)
    reviewer = chat(REVIEWER1)
    await reviewer.press_data("rv:queue")
    assert f"#{c.id}" in reviewer.text and any(r.file for r in reviewer.last.replies)
    for who in (PLAIN, "r0-revoked", "r0-admin"):
        stranger = chat(who)
        await stranger.press_data("rv:queue")
        assert "您不是单位审验人" in stranger.text, who
        assert f"#{c.id}" not in stranger.text and not any(r.file for r in stranger.last.replies)


async def test_hours_set_by_the_reviewer(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    c = await claim(ctx, world.claimant, category="conference", hours=Fraction(6))
    reviewer = chat(REVIEWER1)
    out = await reviewer.send("/review")
    assert f"rv:hr:{c.id}" in data_of(out) and "按 6 学时通过" in "".join(
        b.label for b in reviewer.buttons()
    )
    await reviewer.press_data(f"rv:hr:{c.id}")
    assert "申报 6 学时" in reviewer.text
    await reviewer.send("四个")
    assert "核定学时应为0.5的整数倍" in reviewer.text
    await reviewer.send("9999")
    assert "超过该类别单条上限" in reviewer.text
    assert (await record(ctx, c.id)).status == "pending"
    await reviewer.send("4")
    # a new message after typed hours: the claimed 6 and the 4 decided
    assert "申报学时：6 学时" in reviewer.text and "已通过 ✅ 4 学时" in reviewer.text
    assert await verified(ctx, world.claimant) == 4
    [told] = await notices_to(ctx, world.claimant_account)
    assert told["args"]["hours"] == "4"


async def test_a_duplicate_flag_needs_approve_anyway(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    c = await claim(ctx, world.claimant)
    async with ctx.db.transaction() as s:
        s.add(
            HourRecord(
                person_id=world.claimant,
                year=2024,
                subject="professional",
                origin="import",
                source="某培训基地",
                dedup_key="dup-test",
                unit_id=world.unit_a,
                title="市级教研活动：作业设计专题",
                completed_on=date(2024, 10, 16),
                hours=Fraction(12),
                status="imported",
                created_at=ctx.now(),
            )
        )
    reviewer = chat(REVIEWER1)
    await reviewer.send("/review")
    assert "疑似与已导入的学时重复" in reviewer.text
    await reviewer.press_data(f"rv:ok:{c.id}")
    assert "疑似与已导入的学时重复" in reviewer.text
    assert (await record(ctx, c.id)).status == "pending"
    await reviewer.press("仍然通过")
    assert "已通过 ✅ 12 学时" in reviewer.text
    assert (await record(ctx, c.id)).status == "approved"


async def test_verification_closed_after_31_march(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    c = await claim(ctx, world.claimant)
    late = Chat(Engine(at(ctx, shanghai(2025, 4, 1, 10))), REVIEWER1)
    out = await late.send("/review")
    assert "审验已于 2025-03-31 截止" in late.text
    assert f"rv:ok:{c.id}" not in data_of(out) and f"rv:no:{c.id}" not in data_of(out)
    await late.press_data(f"rv:ok:{c.id}")
    assert "2024 年度专业科目审验已于 2025-03-31 截止，不能再审验" in late.text
    await late.press_data(f"rv:no:{c.id}")
    assert "不能再审验" in late.text and "理由" not in late.text
    assert (await record(ctx, c.id)).status == "pending"


async def test_members_who_joined_from_the_bot_are_confirmed(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    now = ctx.now()
    async with ctx.db.transaction() as s:
        newcomer = Person(
            id_hash="h-new",
            id_cipher="x",
            id_masked="4501**********0042",
            name="韦小宝",
            unit_id=world.unit_a,
            unit_confirmed=False,
            created_at=now,
            updated_at=now,
        )
        s.add(newcomer)
        await s.flush()
        account = Account(
            channel="test", external_id="newcomer", person_id=newcomer.id, created_at=now
        )
        s.add(account)
        await s.flush()
        newcomer_id, account_id = newcomer.id, account.id
    reviewer = chat(REVIEWER1)
    await reviewer.send("/review")
    assert "目前没有待审验的登记" in reviewer.text
    await reviewer.press("待确认人员（1）")
    assert "韦小宝（4501**********0042）" in reviewer.text
    other = chat(REVIEWER_B)
    await other.press_data(f"rv:mc:{newcomer_id}")
    assert "这不是您所在单位人员" in other.text
    out = await reviewer.press("确认 韦小宝")
    assert "韦小宝 已确认为本单位人员" in reviewer.text
    assert not out.button_accepted  # other members' buttons on that message stay
    async with ctx.db.transaction() as s:
        person = await s.get(Person, newcomer_id)
        assert person is not None and person.unit_confirmed
    [told] = await notices_to(ctx, account_id)
    assert told["key"] == "claim-member-told-confirmed"
    await reviewer.press_data(f"rv:mc:{newcomer_id}")
    assert "无需再次确认" in reviewer.text
    assert len(await notices_to(ctx, account_id)) == 1


def test_keys_used_by_review_and_upload_exist() -> None:
    """Keys the flows build at run time or hand to the outbox (the catalogue test scans only
    literal say()/t() calls)."""
    keys = {
        "claim-told-approved",
        "claim-told-rejected",
        "rvw-told-rejected-common",
        "claim-member-told-confirmed",
        "claim-told-duplicate-reopened",
        "upload-told",
        "rvw-digest",
        "reminder-open-queue",
        "menu-progress",
        "menu-claims",
        "cli-import-row",
        *(f"claim-reason-{c}" for c in COMMON_REJECTION_REASONS),
        *(f"claim-status-{s}" for s in ("pending", "approved", "rejected", "withdrawn")),
        *(
            f"claim-refused-{r}"
            for r in (
                "not_reviewer",
                "other_unit",
                "own_claim",
                "verification_closed",
                "reason_required",
                "reason_too_long",
                "hours",
                "above_max",
                "member_unconfirmed",
                "duplicate",
                "not_found",
                "busy",
            )
        ),
        *(f"upload-refused-{r}" for r in ("not_organiser", "file_changed")),
        *(
            f"table-{r}"
            for r in ("encoding", "unreadable", "file_type", "empty", "missing_columns")
        ),
    }
    for language in LANGUAGES:
        t = translator(language)
        assert not [k for k in keys if not t.has(k)], language


# ------------------------------------------------------------------------------ PostgreSQL


def _truncate(url: str) -> None:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
async def workers(
    postgres_url: str, tmp_path: Path, fixed_now: Any
) -> AsyncIterator[tuple[AppContext, AppContext]]:
    """Two workers: two Database objects (engines, pools) on one PostgreSQL database."""
    _truncate(postgres_url)
    made = tuple(
        AppContext(
            db=Database(postgres_url),
            policies=PolicyBook.load(),
            ids=IdProtector(b"review-flow-secret"),
            data_dir=tmp_path / "data",
            clock=lambda: fixed_now,
        )
        for _ in range(2)
    )
    yield made[0], made[1]
    for c in made:
        await c.db.dispose()


async def _press_at_once(
    workers: tuple[AppContext, AppContext], users: tuple[str, str], data: str
) -> list[Outcome]:
    first, second = (Chat(Engine(w), u) for w, u in zip(workers, users, strict=True))
    return list(await asyncio.gather(first.press_data(data), second.press_data(data)))


async def test_two_reviewers_pressing_approve_at_once_give_one_decision(
    workers: tuple[AppContext, AppContext],
) -> None:
    ctx = workers[0]
    world = await consented_world(ctx)
    claims: list[ClaimView] = [
        await claim(ctx, world.claimant, title=f"并发{n}", **on_day(date(2024, 8, n + 1)))
        for n in range(6)
    ]
    for n, c in enumerate(claims):
        # two reviewers at once, and one reviewer pressing twice (two workers, one chat)
        users = (REVIEWER1, REVIEWER2) if n % 2 == 0 else (REVIEWER1, REVIEWER1)
        outcomes = await _press_at_once(workers, users, f"rv:ok:{c.id}")
        texts = ["\n".join(r.text for r in o.replies) for o in outcomes]
        assert sum("已通知申报人" in t for t in texts) == 1, texts
        assert sum("已由" in t for t in texts) == 1, texts
        assert await count(ctx, Review, Review.record_id == c.id) == 1
    told = await notices_to(ctx, world.claimant_account)
    assert len(told) == len(claims)
    assert await verified(ctx, world.claimant) == 12 * len(claims)


# ------------------------------------------------------------------ issue 17 item 21


def with_2025_policy(ctx: AppContext, tmp_path: Path, when: Any) -> AppContext:
    """The same database, a 2025 policy beside 2024's (the 2024 file a year on), a clock."""
    from dataclasses import replace

    from services.policies import shipped_policy_dir

    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    text_2024 = (shipped_policy_dir() / "2024.toml").read_text(encoding="utf-8")
    (folder / "2025.toml").write_text(
        text_2024.replace("2025", "2026").replace("2024", "2025"), encoding="utf-8"
    )
    return replace(ctx, policies=PolicyBook.load(folder), clock=lambda: when)


def cards(out: Outcome) -> list[str]:
    return [r.text for r in out.replies if r.text.startswith("📄")]


async def test_open_years_first_oldest_first_closed_years_after_and_labelled(
    ctx: AppContext, world: World, tmp_path: Path
) -> None:
    """In May 2025 the 2024 claims can no longer be reviewed: they come after 2025's, under a
    heading, each flagged, without buttons; paging keeps that order."""
    old = [
        await claim(ctx, world.claimant, title=f"旧年度{n}", **on_day(date(2024, 9, n + 1)))
        for n in range(2)
    ]
    may = with_2025_policy(ctx, tmp_path, shanghai(2025, 5, 6, 10))
    new = [
        await claim(
            may, world.claimant, year=2025, title=f"新年度{n}", **on_day(date(2025, 4, n + 1))
        )
        for n in range(4)
    ]
    reviewer = Chat(Engine(may), REVIEWER1)
    out = await reviewer.send("/review")
    shown = cards(out)
    assert [f"#{c.id}（2025 年度）" in t for c, t in zip(new, shown, strict=False)] == [True] * 4
    assert f"#{old[0].id}（2024 年度）" in shown[4] and "审验已于 2025-03-31 截止" in shown[4]
    texts = [r.text for r in out.replies]
    head = texts.index(next(t for t in texts if "审验已截止" in t))
    assert texts.index(shown[3]) < head < texts.index(shown[4])
    assert f"rv:ok:{old[0].id}" not in data_of(out)
    assert "本页全部通过（4 条）" in "".join(b.label for b in reviewer.buttons())
    await reviewer.press("下一页")
    [rest] = cards(reviewer.last)
    assert f"#{old[1].id}（2024 年度）" in rest and "审验已截止" in reviewer.text


async def test_the_count_after_each_decision_is_the_new_count(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    claims = [
        await claim(ctx, world.claimant, title=f"计数{n}", **on_day(date(2024, 8, n + 1)))
        for n in range(4)
    ]
    reviewer = chat(REVIEWER1)
    await reviewer.send("/review")
    assert "以上是 4 条待审验登记" in reviewer.text
    await reviewer.press_data(f"rv:ok:{claims[0].id}")
    assert "本页还有 3 条待审验登记（已审验 1 条）" in reviewer.text
    assert "本页全部通过（3 条）" in "".join(b.label for b in reviewer.buttons())
    await reviewer.press_data(f"rv:no:{claims[1].id}")
    await reviewer.press("证明材料不清晰")
    assert "本页还有 2 条待审验登记（已审验 2 条）" in reviewer.text
    # another reviewer decides one meanwhile: the next count says so too
    await decide(ctx, world.reviewer2, claims[2].id, True)
    await reviewer.press_data(f"rv:no:{claims[3].id}")
    await reviewer.send("与本单位工作无关")
    assert "本页的 4 条登记都已审验" in reviewer.text
    assert "全部通过" not in "".join(b.label for b in reviewer.buttons())
    # the typed reason: a new message, the decided card
    decided = next(t for t in cards(reviewer.last) if f"#{claims[3].id}" in t)
    assert "已退回：与本单位工作无关（您于 2024-11-20 10:00 审验）" in decided


async def test_english_decided_card_and_hours_unit(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    c = await claim(ctx, world.claimant)
    async with ctx.db.transaction() as s:
        await s.execute(update(Account).where(Account.id == world.reviewer1).values(language="en"))
    reviewer = chat(REVIEWER1)
    out = await reviewer.send("/review")
    assert "Hours claimed: 12 hours" in cards(out)[0]
    out = await reviewer.press_data(f"rv:ok:{c.id}")
    assert "Approved ✅ 12 hours (decided by you, 2024-11-20 10:00)" in out.replies[0].text
