"""Issue 17 items 15-18 and the Markdown point of 20, replayed as a learner and an administrator
would meet them: stale buttons that were dead ends behind "这个按钮已过期", the last make-up
elective said not to be done, `cebot exam reopen` that told nobody, an elective that could not
be re-read after a failed check, and "阅读全文" in raw Markdown.

A dead end is a stale tap whose answer offers nothing to do but the old bare sentence (no
button, or "请使用最新消息中的按钮"), or that does not reach the step it should: the user's
place is lost, so it is counted in the "lost" column."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.flows import Engine, Outcome
from bot.flows.chat_text import markdown_to_chat
from services.context import AppContext
from services.exam import reopen_exam
from services.notify import render_notice
from services.privacy import notice
from storage.exam_models import RemedialRequest
from storage.models import Account, ExamAttempt, HourRecord, OutboxMessage
from tests.bot.conftest import Chat, Roster, seed_roster
from tests.bot.test_notices_flow import admin_chat, outbox_rows, seed_province
from tests.bot.test_study_flow import (
    QUESTIONS,
    WANG_ID,
    _answer_check,
    answer_current,
    complete_elective,
    current_attempt,
    learner,
    open_2025,
    read_course,
    take_exam_by_services,
    take_exam_in_chat,
)
from tests.fault_ledger import FaultLedger

BARE = "请使用最新消息中的按钮"


@pytest.fixture
async def roster(ctx: AppContext) -> Roster:
    return await seed_roster(ctx)


@pytest.fixture
def chat(ctx: AppContext) -> Callable[..., Chat]:
    engine = Engine(ctx)

    def make(user: str = "u1", language: str | None = None) -> Chat:
        return Chat(engine, user, language)

    return make


class StaleTaps:
    """Presses stale buttons and counts what each one led to."""

    def __init__(self) -> None:
        self.tried = 0
        self.dead_ends: list[str] = []
        self.errors = 0

    async def tap(self, c: Chat, data: str, expect: str, *, button: str | None = None) -> Outcome:
        """`expect`: a sentence of where it should lead; `button`: a label that must be
        offered there."""
        self.tried += 1
        try:
            out = await c.press_data(data)
        except Exception:  # an internal error: the user would see "something went wrong"
            self.errors += 1
            raise
        has_buttons = any(r.buttons for r in out.replies)
        offered = button is None or any(button in b.label for b in c.buttons())
        if not has_buttons or BARE in c.text or expect not in c.text or not offered:
            self.dead_ends.append(f"{data} -> {c.text[:120]!r}")
        return out


async def count(ctx: AppContext, model: type, *where: Any) -> int:
    async with ctx.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_stale_buttons_lead_to_the_current_step(
    ctx: AppContext, chat: Any, roster: Roster, faults: FaultLedger, caplog: Any
) -> None:
    caplog.set_level(logging.WARNING)
    taps = StaleTaps()
    c, pid = await learner(ctx, chat)

    # the old chapter's button, with the next chapter on screen
    await c.send("/study")
    await c.press("继续学习（第 1 章）")
    first = c.button("已读完，下一章").data
    await c.press("已读完，下一章")
    await taps.tap(c, first, "第 2 / 4 章", button="已读完，下一章")

    # every option of a question, after a look at 我的学时 (answer buttons keep their nonce
    # for the attempt: a new message is the only way back)
    await read_course(ctx, pid)
    await c.send("/study")
    await c.press("开始考试")
    await answer_current(c, ctx, pid)
    old_answers = [b.data for b in c.buttons() if ":a1_" in b.data or ":t1_" in b.data]
    for data in old_answers:
        await c.send("/progress")
        await taps.tap(c, data, f"第 2 / {QUESTIONS} 题", button="稍后继续")
    attempt = await current_attempt(ctx, pid)
    answers_kept = attempt.position == 1 and list(attempt.answers) == ["0"]
    await c.press("稍后继续")

    # the old "开始考试（第 3 次）" after three failures, then the old 申请补学补考
    await c.send("/study")
    await c.press("继续考试")
    for _ in range(QUESTIONS - 1):
        await answer_current(c, ctx, pid, right=False)
    await c.press("交卷")
    await take_exam_by_services(ctx, pid, right=False)
    await c.send("/study")
    third = c.button("开始考试（第 3 次）").data
    await take_exam_in_chat(c, ctx, pid, right=False)
    await taps.tap(c, third, "机会已经用完", button="申请补学补考")
    remedial = c.button("申请补学补考").data
    await c.send("/menu")
    await taps.tap(c, third, "机会已经用完", button="申请补学补考")
    await c.press("申请补学补考")
    await taps.tap(c, remedial, "等待管理员审核", button="主菜单")
    await taps.tap(c, third, "等待管理员审核", button="主菜单")
    attempts = await count(ctx, ExamAttempt, ExamAttempt.person_id == pid)
    requests = await count(ctx, RemedialRequest, RemedialRequest.person_id == pid)

    # an electives button after leaving the study screens, and one never shown
    await c.send("/study")
    await c.press("选修课")
    course = next(b for b in c.buttons() if b.label.startswith("▫️")).data
    await c.send("/menu")
    await taps.tap(c, course, "以下是您现在的选修课", button="返回学习概况")
    await taps.tap(c, "s:beef:c0", "您现在在这一步", button="返回学习概况")  # never shown
    await c.send("/menu")
    await taps.tap(c, "s:beef:c0", "请从菜单继续", button="学习与考试")

    # a broadcast's confirmation tapped again, on the confirmation and from the menu
    await seed_province(ctx, roster)
    admin = await admin_chat(ctx, chat)
    await admin.send("/admin")
    await admin.press("群发通知")
    await admin.press("全部城市")
    await admin.press("全部单位")
    await admin.press("所有人")
    await admin.send("系统将于今晚维护。")
    confirm = next(b for b in admin.buttons() if "确认发送" in b.label).data
    await admin.press_data(confirm)
    queued = len(await outbox_rows(ctx))
    await taps.tap(admin, confirm, f"这条通知已排队，共 {queued} 人", button="查看发送报告")
    await admin.send("/menu")
    await taps.tap(admin, confirm, f"这条通知已排队，共 {queued} 人", button="查看发送报告")

    lost = len(taps.dead_ends) + (0 if answers_kept else 1)
    duplicated = (
        max(0, attempts - 3) + max(0, requests - 1) + max(0, len(await outbox_rows(ctx)) - queued)
    )
    tracebacks = taps.errors + FaultLedger.tracebacks_in(caplog.records)
    faults.record(
        "17 stale buttons",
        tried=taps.tried,
        lost=lost,
        duplicated=duplicated,
        tracebacks=tracebacks,
    )
    assert taps.dead_ends == [], "\n".join(taps.dead_ends)
    assert (lost, duplicated, tracebacks) == (0, 0, 0)


async def test_make_up_electives_are_counted_for_their_year(
    ctx: AppContext, chat: Any, faults: FaultLedger, tmp_path: Any, caplog: Any
) -> None:
    caplog.set_level(logging.WARNING)
    c, pid = await learner(ctx, chat)
    await open_2025(ctx, tmp_path)
    await c.send("/study")
    await c.press("选修课")
    titles = [b.label[2:].strip() for b in c.buttons() if b.label.startswith("▫️")]
    from services.courses import electives

    view = await electives(ctx, pid)
    ids = {course.title: course.id for g in view.groups for course in g.courses}
    for title in titles[:-1]:
        await complete_elective(ctx, pid, ids[title])
    await c.send("/study")
    await c.press("选修课")
    await c.press(titles[-1])
    await c.press("已读完本课程")
    await _answer_check(c, ctx, right=True)
    await _answer_check(c, ctx, right=True)
    said_done = "10 学时已计入 2024 年度（补学年度）" in c.text and "未完成" not in c.text
    async with ctx.db.transaction() as s:
        years = list(
            await s.scalars(
                select(HourRecord.year).where(
                    HourRecord.person_id == pid, HourRecord.subject == "public_elective"
                )
            )
        )
    lost = (0 if said_done else 1) + (0 if 2024 in years else 1)
    duplicated = max(0, len(years) - 1)
    tracebacks = FaultLedger.tracebacks_in(caplog.records)
    faults.record(
        "15 make-up electives",
        tried=len(titles),
        lost=lost,
        duplicated=duplicated,
        tracebacks=tracebacks,
    )
    assert (lost, duplicated, tracebacks) == (0, 0, 0)


async def test_exam_reopened_on_the_command_line_tells_the_learner(
    ctx: AppContext, chat: Any, faults: FaultLedger, caplog: Any
) -> None:
    caplog.set_level(logging.WARNING)
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    for _ in range(3):
        await take_exam_by_services(ctx, pid, right=False)
    # the learner asks in the bot ("届时会通知您"), the administrator answers on the CLI
    await c.send("/study")
    await c.press("申请补学补考")
    assert "届时会通知您" in c.text
    decisions = [await reopen_exam(ctx, WANG_ID, 2024, actor="cli", reason="电话")]
    # and once more after three more failures, with no request (granted directly)
    for _ in range(3):
        await take_exam_by_services(ctx, pid, right=False)
    decisions.append(await reopen_exam(ctx, WANG_ID, 2024, actor="cli"))
    async with ctx.db.transaction() as s:
        account = await s.scalar(select(Account.id).where(Account.external_id == "u1"))
        mine = OutboxMessage.account_id == account
        rows = list(await s.scalars(select(OutboxMessage).where(mine)))
    texts = [render_notice(m.payload, "zh")[0] for m in rows]
    told = sum("补学补考" in t and "次考试机会" in t for t in texts)
    lost = len(decisions) - told
    duplicated = max(0, len(rows) - len(decisions))
    tracebacks = FaultLedger.tracebacks_in(caplog.records)
    faults.record(
        "16 exam reopen tells the learner",
        tried=len(decisions),
        lost=lost,
        duplicated=duplicated,
        tracebacks=tracebacks,
    )
    assert (lost, duplicated, tracebacks) == (0, 0, 0)


async def test_an_elective_can_be_re_read_after_a_failed_check(
    ctx: AppContext, chat: Any, faults: FaultLedger, caplog: Any
) -> None:
    caplog.set_level(logging.WARNING)
    c, _pid = await learner(ctx, chat)
    await c.send("/study")
    await c.press("选修课")
    titles = [b.label[2:].strip() for b in c.buttons() if b.label.startswith("▫️")]
    tried = dead_ends = 0
    for title in titles[:2]:
        await c.press(title)
        await c.press("已读完本课程")
        await _answer_check(c, ctx, right=False)
        await _answer_check(c, ctx, right=False)
        tried += 1
        reread = [b for b in c.buttons() if "重温课程" in b.label]
        if "可以重温课程后再测一次" not in c.text or not reread:
            dead_ends += 1
            continue
        await c.press("重温课程")
        if "第 1 / 1 章" not in c.text:
            dead_ends += 1
        await c.press("已读完本课程")  # the check again, passed this time
        await _answer_check(c, ctx, right=True)
        await _answer_check(c, ctx, right=True)
        if "小测验通过" not in c.text:
            dead_ends += 1
    tracebacks = FaultLedger.tracebacks_in(caplog.records)
    faults.record("18 elective re-read", tried=tried, lost=dead_ends, tracebacks=tracebacks)
    assert (dead_ends, tracebacks) == (0, 0)


async def test_read_in_full_and_course_texts_show_no_markdown(
    ctx: AppContext, chat: Any, faults: FaultLedger
) -> None:
    c = chat("reader")
    await c.send("/start")
    await c.press("阅读全文")
    samples = [c.last.replies[0].text]
    samples += [markdown_to_chat(notice().full_text(lang)) for lang in ("zh", "en")]
    samples.append(markdown_to_chat("# 标题\n\n**粗体** 与 *斜体*\n\n## 小节\n\n- 列表\n\n[链接](https://x.org)"))
    raw = sum(any(mark in s for mark in ("**", "# ", "](")) for s in samples)
    faults.record("20 read in full: raw Markdown", tried=len(samples), lost=raw)
    assert raw == 0
