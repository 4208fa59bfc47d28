"""Issue 17, what users hit (items 19, 20 and the claim, review and reader points of 21),
replayed as each user meets them: a new reviewer, organiser or administrator redeeming their
invitation; certificates of a real and of a demo year; "-4" typed at the claim's hours; a
reviewer working through a queue that spans an open and a closed year; certificates whose
titles carry brackets, read from their PDF text layer. Each test records what it tried in the
faults ledger and asserts its own zeros: nothing accepted lost, nothing done twice, no
internal error shown or logged."""

from __future__ import annotations

import logging
import random
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.flows import Engine, Outcome
from core.evidence_fields import extract_fields
from services.certificate_render import render_html
from services.certificates import DEMO_ISSUER, NotEligible, issue_certificate
from services.claims import decide
from services.context import AppContext
from services.demo import seed_demo
from services.i18n import translator
from services.onboarding import create_invitation
from services.pii import IdProtector
from services.policies import PolicyBook, shipped_policy_dir
from services.privacy import notice
from services.synthetic_evidence import (
    HALF_DAY_HOURS,
    LAYOUTS,
    make_truth,
    pdf_text,
    render_document,
)
from storage.db import Database
from storage.models import Account, FlowState, HourRecord, Person
from tests.bot.conftest import Chat, seed_roster
from tests.certificates.helpers import TEST_SECRET
from tests.claims.claims_helpers import World, build_world, claim, shanghai

# what a user is shown when a turn fails (err-generic), in both languages
INTERNAL = tuple(translator(lang)("err-generic")[:12] for lang in ("zh", "en"))


def internal_errors(outcome: Outcome) -> int:
    return sum(1 for r in outcome.replies if any(head in r.text for head in INTERNAL))


# ------------------------------------------------------------------ 19


ROLE_BUTTON = {"reviewer": "menu-review", "organiser": "menu-upload", "admin": "menu-admin"}


def opened(role: str, language: str, out: Outcome) -> bool:
    """The role's screen, not a refusal: what its button opens for a new staff member."""
    t = translator(language)
    text = "\n".join(r.text for r in out.replies)
    labels = {b.label for r in out.replies for row in r.buttons for b in row}
    if role == "reviewer":
        return t("rvw-queue-empty") in text
    if role == "organiser":
        return t("upl-btn-cancel") in labels
    return t("ntc-admin-title") in text


async def test_19_the_first_menu_after_an_invitation_has_the_role(
    ctx: AppContext, faults: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Every role, both languages, a brand-new account and one that had a menu before: the
    reply to /start CODE carries the role's button, and pressing it opens the role's screen."""
    caplog.set_level(logging.WARNING)
    roster = await seed_roster(ctx)
    engine = Engine(ctx)
    tried = missing = refused = errors = 0
    for n, (role, language, before) in enumerate(
        (r, lang, b)
        for r in ROLE_BUTTON
        for lang in ("zh", "en")
        for b in (False, True)  # before: the account saw the menu before its invitation
    ):
        async with ctx.db.transaction() as s:
            code = await create_invitation(
                s,
                ctx,
                role=role,
                actor="cli",
                unit_id=roster.hospital_id if role == "reviewer" else None,
                source="广西继续教育网" if role == "organiser" else None,
            )
        c = Chat(engine, f"staff-{n}", language)
        if before:
            await c.send("/menu")
        out = await c.send(f"/start {code}")
        tried += 1
        errors += internal_errors(out)
        label = translator(language)(ROLE_BUTTON[role])
        if label not in [b.label for b in c.buttons()]:
            missing += 1
            continue
        out = await c.press(label)
        errors += internal_errors(out)
        refused += not opened(role, language, out)
    tracebacks = errors + faults.tracebacks_in(caplog.records)
    faults.record(
        "19 first menu after an invitation",
        tried=tried,
        lost=missing + refused,
        tracebacks=tracebacks,
    )
    assert tried == 12
    assert (missing, refused, tracebacks) == (0, 0, 0)


# ------------------------------------------------------------------ 20


async def test_20_certificates_name_the_course_and_demo_years_say_so(
    database_url: str, tmp_path: Path, faults: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The demo province seeded in November 2026 (2025 and 2026 are demo years): every
    certificate that can be issued for 2024 (real) and 2025 (demo), both kinds."""
    caplog.set_level(logging.WARNING)
    policy_dir = tmp_path / "policies"
    ctx = AppContext(
        db=Database(database_url),
        policies=PolicyBook.load(policy_dir),
        ids=IdProtector(TEST_SECRET),
        data_dir=tmp_path / "data",
        clock=lambda: datetime(2026, 11, 28, 4, 0, tzinfo=UTC),
    )
    tried = wrong = 0
    try:
        await seed_demo(ctx, policy_dir=policy_dir)
        async with ctx.db.transaction() as s:
            people = list(await s.scalars(select(Person.id).order_by(Person.id)))
            courses = {
                (r.person_id, r.year): r.title
                for r in await s.scalars(
                    select(HourRecord).where(HourRecord.subject == "public_mandatory")
                )
            }
        for person_id in people:
            for year in (2024, 2025):
                policy = ctx.policies[year]
                for kind in ("public_exam", "ce"):
                    try:
                        cert = await issue_certificate(ctx, person_id, year, kind)
                    except NotEligible:
                        continue
                    tried += 1
                    html = render_html(
                        kind, cert.data, number=cert.number, verification_url="http://x/"
                    )
                    body = html.split("</style>", 1)[1]
                    demo_marked = '<div class="watermark">演示证书</div>' in body
                    good = demo_marked == policy.demo
                    if policy.demo:
                        good &= cert.data["issuer"] == DEMO_ISSUER
                        good &= "人力资源和社会保障厅" not in body and "主题" not in body
                    else:
                        good &= "广西壮族自治区人力资源和社会保障厅" in body
                    if kind == "public_exam":
                        course = courses[(person_id, year)]
                        good &= f"完成必修课《{course}》" in body
                    wrong += not good
    finally:
        await ctx.db.dispose()
    tracebacks = faults.tracebacks_in(caplog.records)
    faults.record(
        "20 certificate course and demo mark", tried=tried, lost=wrong, tracebacks=tracebacks
    )
    assert tried >= 6  # 张伟 and 李娜: both kinds in 2024, and in 2025 at least one each
    assert (wrong, tracebacks) == (0, 0)


# ------------------------------------------------------------------ 21: "-4" in a claim

NEGATIVE = ("-4", "－4", "−4", "-0.5", "- 4", "-4学时", "－４ 学时", "-12.5")


async def test_21_negative_hours_in_a_claim_are_not_called_not_a_number(
    ctx: AppContext, faults: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    roster = await seed_roster(ctx)
    c = Chat(Engine(ctx), "claimant")
    await c.start()
    await c.send(roster.zhang_number)
    await c.send("张伟")
    await c.send("/claim")
    await c.press("新登记")
    await c.press("2024 年度")
    await c.press("培训进修类")
    await c.send("心血管疾病诊疗进展培训班")
    await c.send("广西医学会")
    await c.send("2024-05-03")
    await c.press("同一天")
    assert "实际参加的学时" in c.text

    async def draft() -> dict[str, Any]:
        async with ctx.db.transaction() as s:
            state = (await s.scalars(select(FlowState))).all()[-1]
            return {k: v for k, v in (state.data or {}).items() if not k.startswith("_")}

    kept = await draft()
    wrong = lost = errors = 0
    for typed in NEGATIVE:
        out = await c.send(typed)
        errors += internal_errors(out)
        wrong += not ("必须大于0" in c.text and "应为数字" not in c.text)
        wrong += "实际参加的学时" not in c.text  # asked again, in the same step
        lost += await draft() != kept
    await c.send("4")  # the draft goes on from where it was
    assert "证明材料" in c.text
    after = await draft()
    lost += any(after.get(k) != v for k, v in kept.items())
    tracebacks = errors + faults.tracebacks_in(caplog.records)
    faults.record(
        "21 '-4' hours in a claim", tried=len(NEGATIVE), lost=wrong + lost, tracebacks=tracebacks
    )
    assert (wrong, lost, tracebacks) == (0, 0, 0)


# ------------------------------------------------------------------ 21: the review queue


def with_2025_policy(ctx: AppContext, tmp_path: Path, when: datetime) -> AppContext:
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    text_2024 = (shipped_policy_dir() / "2024.toml").read_text(encoding="utf-8")
    (folder / "2025.toml").write_text(
        text_2024.replace("2025", "2026").replace("2024", "2025"), encoding="utf-8"
    )
    return replace(ctx, policies=PolicyBook.load(folder), clock=lambda: when)


def cards(out: Outcome) -> list[str]:
    return [r.text for r in out.replies if r.text.startswith("📄")]


_CARD_ID = re.compile(r"#(\d+)（(\d{4}) 年度）")
_FOOTER = re.compile(
    r"以上是 (\d+) 条待审验登记|本页还有 (\d+) 条待审验登记|本页的 \d+ 条登记都已审验"
)


def footer_count(out: Outcome) -> int | None:
    """The page's count the last reply states (0 when it says all are decided)."""
    for reply in reversed(out.replies):
        match = _FOOTER.search(reply.text)
        if match:
            return int(match[1] or match[2] or 0)
    return None


async def test_21_the_review_queue_its_counts_and_decided_cards(
    ctx: AppContext, tmp_path: Path, faults: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """May 2025: three 2024 claims (verification closed) filed before five 2025 ones. The
    reviewer sees the open year first; decides the five by every path (approve, reject by
    button, reject by typed reason, hours set by button, one decided meanwhile by another
    reviewer); after each decision the count is the new one and the card says what was
    decided."""
    caplog.set_level(logging.WARNING)
    world: World = await build_world(ctx)
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Account)
            .where(Account.person_id.is_not(None))
            .values(consent_version=notice().version)
        )
    old = [
        await claim(
            ctx,
            world.claimant,
            title=f"旧年度{n}",
            started_on=date(2024, 9, n + 1),
            completed_on=date(2024, 9, n + 1),
        )
        for n in range(3)
    ]
    may = with_2025_policy(ctx, tmp_path, shanghai(2025, 5, 6, 10))
    new = [
        await claim(
            may,
            world.claimant,
            year=2025,
            title=f"新年度{n}",
            started_on=date(2025, 4, n + 1),
            completed_on=date(2025, 4, n + 1),
            **({"category": "conference", "hours": Fraction(6)} if n == 3 else {}),
        )
        for n in range(5)
    ]
    reviewer = Chat(Engine(may), "r0-审验人一")
    out = await reviewer.send("/review")
    errors = internal_errors(out)
    shown = [(int(m[1]), int(m[2])) for t in cards(out) if (m := _CARD_ID.search(t))]
    shown_years = [y for _id, y in shown]
    misordered = sum(1 for i, y in enumerate(shown_years) if y == 2025 and 2024 in shown_years[:i])
    no_unit = sum(1 for t in cards(out) if not re.search(r"申报学时：\d+(?:\.5)? 学时", t))
    unlabelled = sum(1 for t in cards(out) if "（2024 年度）" in t and "截止" not in t)
    assert [i for i, _y in shown] == [c.id for c in new]  # a page of five: the open year
    stale_counts = int(footer_count(out) != 5)

    decided_cards = missing_decision = 0
    expected = 5

    async def decided(out: Outcome, claim_id: int, line: str) -> None:
        nonlocal decided_cards, missing_decision, stale_counts, expected, errors
        errors += internal_errors(out)
        expected -= 1
        decided_cards += 1
        card = next((t for t in cards(out) if f"#{claim_id}（" in t), "")
        missing_decision += line not in card
        stale_counts += footer_count(out) != expected

    await decided(
        await reviewer.press_data(f"rv:ok:{new[0].id}"), new[0].id, "已通过 ✅ 12 学时（您于"
    )
    await reviewer.press_data(f"rv:no:{new[1].id}")
    await decided(await reviewer.press("证明材料不清晰"), new[1].id, "已退回：证明材料不清晰（您于")
    await reviewer.press_data(f"rv:no:{new[2].id}")
    await decided(
        await reviewer.send("与本单位工作无关"), new[2].id, "已退回：与本单位工作无关（您于"
    )
    await reviewer.press_data(f"rv:hr:{new[3].id}")
    await decided(await reviewer.press("按 6 学时通过"), new[3].id, "已通过 ✅ 6 学时（您于")
    # decided meanwhile by the other reviewer: the card says who, the count follows
    await decide(may, world.reviewer2, new[4].id, True)
    out = await reviewer.press_data(f"rv:ok:{new[4].id}")
    errors += internal_errors(out)
    decided_cards += 1
    card = next((t for t in cards(out) if f"#{new[4].id}（" in t), "")
    missing_decision += "已通过 ✅ 12 学时（审验人二于" not in card

    # the next page: the closed year, after a heading
    out = await reviewer.send("/review")
    errors += internal_errors(out)
    rest = [int(m[1]) for t in cards(out) if (m := _CARD_ID.search(t))]
    misordered += rest != [c.id for c in old]
    unlabelled += sum(1 for t in cards(out) if "截止" not in t)
    unlabelled += not any("审验已截止" in r.text for r in out.replies)
    async with ctx.db.transaction() as s:
        statuses = [
            (await s.get(HourRecord, c.id)).status  # type: ignore[union-attr]
            for c in (*old, *new)
        ]
    lost = int(
        statuses != ["pending"] * 3 + ["approved", "rejected", "rejected", "approved", "approved"]
    )
    tracebacks = errors + faults.tracebacks_in(caplog.records)
    tried = len(shown) + decided_cards + len(rest)
    faults.record(
        "21 review queue order, counts, decided cards",
        tried=tried,
        lost=misordered + unlabelled + stale_counts + missing_decision + no_unit + lost,
        tracebacks=tracebacks,
    )
    assert decided_cards == 5 and tried == 13
    assert (misordered, unlabelled, stale_counts, missing_decision, no_unit) == (0, 0, 0, 0, 0)
    assert (lost, tracebacks) == (0, 0)


# ------------------------------------------------------------------ 21: the evidence reader

BRACKETED = (
    "急诊急救能力提升培训班（第二期）",
    "（2024年）基层卫生适宜技术推广培训",
    "【线上】护理质量管理研修班",
    "《中华人民共和国民法典》解读培训",
    "《医疗质量管理（2024版）》专题培训",
)


def test_21_titles_with_brackets_are_read_whole(faults: Any) -> None:
    """Each bracketed title on every document layout, rendered to a PDF and read from its
    text layer as the reader does (services.evidence_reading takes the text layer when it
    has one): the title offered must be the whole title."""
    rng = random.Random(20241120)
    tried = truncated = 0
    for layout in LAYOUTS:
        truth = make_truth(rng, layout)
        for title in BRACKETED:
            pdf = render_document(replace(truth, title=title), layout)
            lines = [line.strip() for line in pdf_text(pdf).splitlines() if line.strip()]
            found = extract_fields(lines, half_day_hours=HALF_DAY_HOURS).title
            tried += 1
            truncated += found != title
    faults.record("21 evidence titles with brackets", tried=tried, lost=truncated)
    assert tried == len(LAYOUTS) * len(BRACKETED)
    assert truncated == 0
