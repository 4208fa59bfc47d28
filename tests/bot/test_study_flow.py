"""The public-subject screens (bot/flows/study.py) driven event by event, on SQLite and
PostgreSQL: reading the course, the exam question by question, electives with their checks,
remedial re-exam, resuming after a restart. Correct answers come from the Question rows and
the attempt's stored option order, never from the buttons."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import re
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.flows import Engine, Event
from bot.flows.stale import RECENT
from bot.flows.study import REFUSAL_REASONS, STUDY
from core.exam import QuestionKind
from core.idnumber import make_id_number, mask_id_number
from services.context import AppContext
from services.courses import (
    elective_check,
    electives,
    mandatory_course,
    mark_chapter_read,
    submit_elective_check,
)
from services.exam import answer, exam_status, start_or_resume_attempt, submit
from services.i18n import LANGUAGES, translator
from services.notify import render_notice
from services.policies import PolicyBook
from services.policy_admin import draft_text
from services.question_bank import (
    demo_content_file,
    import_courses,
    import_questions,
    seed_demo_content,
)
from storage.db import Database
from storage.exam_models import RemedialRequest
from storage.models import (
    Account,
    Chapter,
    ExamAttempt,
    ExamGrant,
    FlowState,
    HourRecord,
    OutboxMessage,
    Person,
    Question,
    Role,
)

WANG_ID = make_id_number("450103", date(1992, 5, 6), 321)
QUESTIONS = 20  # the 2024 policy's question_count


# ------------------------------------------------------------------------------ helpers


async def add_person(ctx: AppContext, id_number: str = WANG_ID, name: str = "王芳") -> int:
    now = ctx.now()
    async with ctx.db.transaction() as s:
        person = Person(
            id_hash=ctx.ids.lookup_hash(id_number),
            id_cipher=ctx.ids.encrypt(id_number),
            id_masked=mask_id_number(id_number),
            name=name,
            unit_confirmed=True,
            created_at=now,
            updated_at=now,
        )
        s.add(person)
        await s.flush()
        return person.id


async def bind(c: Any, id_number: str = WANG_ID, name: str = "王芳") -> None:
    await c.start()
    await c.send(id_number)
    await c.send(name)
    assert "绑定成功" in c.text, c.text


async def learner(ctx: AppContext, chat: Any, user: str = "u1") -> tuple[Any, int]:
    """Demo content, and a person without public hours bound to a chat."""
    await seed_demo_content(ctx)
    pid = await add_person(ctx)
    c = chat(user)
    await bind(c)
    return c, pid


async def read_course(ctx: AppContext, pid: int) -> None:
    course = await mandatory_course(ctx, pid)
    for chapter in course.chapters:
        await mark_chapter_read(ctx, pid, course.id, chapter.seq)


async def current_attempt(ctx: AppContext, pid: int) -> ExamAttempt:
    async with ctx.db.transaction() as s:
        attempt = await s.scalar(
            select(ExamAttempt)
            .where(ExamAttempt.person_id == pid)
            .order_by(ExamAttempt.attempt_no.desc())
            .limit(1)
        )
        assert attempt is not None
        return attempt


async def shown_answer(
    ctx: AppContext, attempt: ExamAttempt, position: int, *, right: bool = True
) -> tuple[Question, list[int]]:
    """The question at `position` and displayed option indexes answering it right (or
    wrong), from the bank and the attempt's stored shuffle."""
    drawn = attempt.questions[position]
    async with ctx.db.transaction() as s:
        question = await s.get(Question, int(drawn["id"]))
    assert question is not None
    order = [int(i) for i in drawn["order"]]
    shown = [i for i, original in enumerate(order) if original in set(question.answer)]
    if not right:
        wrong = [i for i in range(len(order)) if i not in shown]
        shown = [wrong[0]] if wrong else shown[:1]
    return question, shown


def data_of(c: Any, value: str) -> str:
    """The callback data of the step button carrying `value`."""
    found = [b.data for b in c.buttons() if b.data.endswith(f":{value}")]
    assert found, f"no button {value!r} in {[b.data for b in c.buttons()]}"
    return found[0]


async def answer_current(c: Any, ctx: AppContext, pid: int, *, right: bool = True) -> None:
    attempt = await current_attempt(ctx, pid)
    pos = attempt.position
    question, shown = await shown_answer(ctx, attempt, pos, right=right)
    assert f"第 {pos + 1} / {QUESTIONS} 题" in c.text
    assert question.text in c.text
    if question.kind == QuestionKind.MULTIPLE:
        for i in shown:
            await c.press_data(data_of(c, f"t{pos}_{i}"))
        await c.press_data(data_of(c, f"d{pos}"))
    else:
        await c.press_data(data_of(c, f"a{pos}_{shown[0]}"))


async def take_exam_in_chat(c: Any, ctx: AppContext, pid: int, *, right: bool) -> None:
    """From the study screen: start, answer every question, submit."""
    await c.press("开始考试")
    for _ in range(QUESTIONS):
        await answer_current(c, ctx, pid, right=right)
    assert f"全部 {QUESTIONS} 题已作答" in c.text
    await c.press("交卷")


async def take_exam_by_services(ctx: AppContext, pid: int, *, right: bool) -> None:
    view = await start_or_resume_attempt(ctx, pid)
    attempt = await current_attempt(ctx, pid)
    for position in range(view.total):
        _question, shown = await shown_answer(ctx, attempt, position, right=right)
        await answer(ctx, pid, view.id, position, shown)
    await submit(ctx, pid, view.id)


async def count(ctx: AppContext, model: type, *where: Any) -> int:
    async with ctx.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def account_id(ctx: AppContext, user: str) -> int:
    async with ctx.db.transaction() as s:
        found = await s.scalar(select(Account.id).where(Account.external_id == user))
    assert found is not None
    return int(found)


# ------------------------------------------------------------------------------ the course


async def test_chapters_read_in_order_with_the_place_remembered_then_the_exam_opens(ctx, chat):
    c, pid = await learner(ctx, chat)
    await c.press("学习与考试")
    assert "2024 年度公需科目" in c.text
    assert "已学 0 / 4 章" in c.text and "学完全部章节后即可参加考试" in c.text
    assert not [b for b in c.buttons() if "开始考试" in b.label]
    await c.press("继续学习（第 1 章）")
    assert "第 1 / 4 章" in c.text
    async with ctx.db.transaction() as s:
        chapter_titles = [
            ch.title
            for ch in (await mandatory_course(ctx.within(s), pid)).chapters  # via the service
        ]
    assert chapter_titles[0] in c.text
    first_chapter = c.button("已读完，下一章").data
    await c.press("已读完，下一章")
    assert "第 2 / 4 章" in c.text and chapter_titles[1] in c.text
    # the first chapter's button is used up: a second tap changes nothing and leads back to
    # the chapter on screen
    await c.press_data(first_chapter)
    assert "过期" in c.text and "第 2 / 4 章" in c.text and c.button("已读完，下一章")
    assert (await mandatory_course(ctx, pid)).last_chapter == 1
    await c.press("返回学习概况")
    assert "已学 1 / 4 章" in c.text
    await c.press("继续学习（第 2 章）")  # the place is remembered
    assert "第 2 / 4 章" in c.text
    await c.press("上一章")
    assert "第 1 / 4 章" in c.text
    await c.press("已读完，下一章")  # re-reading a read chapter moves on, nothing lost
    await c.press("已读完，下一章")
    await c.press("已读完，下一章")
    assert "第 4 / 4 章" in c.text
    await c.press("已读完本课程")
    assert "全部章节已学完，考试已开放" in c.text
    assert "已学 4 / 4 章" in c.text
    assert c.button("开始考试（第 1 次）")
    assert (await exam_status(ctx, pid)).course_done


async def test_long_chapter_is_split_and_its_links_and_images_shown(ctx, chat):
    c, pid = await learner(ctx, chat)
    paragraph = "共建“一带一路”。" * 40
    async with ctx.db.transaction() as s:
        course = await mandatory_course(ctx.within(s), pid)
        chapter = await s.scalar(
            select(Chapter).where(Chapter.course_id == course.id, Chapter.seq == 1)
        )
        assert chapter is not None
        chapter.body = "\n\n".join([paragraph] * 30)  # about 12 000 characters
        chapter.media = [
            "https://example.org/bri.pdf",
            {"type": "image", "url": "https://example.org/map.png", "caption": "路线图"},
        ]
    await c.send("/study")
    await c.press("继续学习（第 1 章）")
    assert len(c.last.replies) >= 4
    assert all(len(r.text) <= 4096 for r in c.last.replies)
    assert not c.last.replies[0].buttons and c.last.replies[-1].buttons  # buttons at the end
    assert "🔗 https://example.org/bri.pdf" in c.text
    assert "🖼 路线图：https://example.org/map.png" in c.text
    assert c.text.count(paragraph) == 30  # nothing lost in the split


async def test_not_bound_and_course_unfinished_are_explained(ctx, chat):
    await seed_demo_content(ctx)
    c = chat()
    await c.send("/study")
    assert "请先绑定身份" in c.text and c.button("绑定")
    c2, _pid = await learner(ctx, chat, "u2")
    await c2.send("/exam")  # nothing in progress: the study screen
    assert "学完全部章节后即可参加考试" in c2.text
    assert await count(ctx, ExamAttempt) == 0


# ------------------------------------------------------------------------------ the exam


async def test_full_exam_passed_credits_15_hours_shown_in_progress(ctx, chat):
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    await c.send("/progress")
    assert "考试机会剩余 3 / 3 次" in c.text and "选修课已完成 0 / 5 门" in c.text
    await c.send("/study")
    await c.press("开始考试（第 1 次）")
    assert "第 1 次考试（共 3 次机会）" in c.text and "24 小时" in c.text
    # every button carries a position and a displayed index, never an answer
    assert all(re.fullmatch(r"s:[0-9a-f]{4}:(a0_\d|t0_\d|d0|back)", b.data) for b in c.buttons())
    for _ in range(QUESTIONS):
        await answer_current(c, ctx, pid, right=True)
    assert f"全部 {QUESTIONS} 题已作答" in c.text
    await c.press("交卷")
    assert "答对 20 / 20 题（100%），及格线 60%" in c.text
    assert "考试通过" in c.text and "必修课 15 学时已计入 2024 年度" in c.text
    assert "必修课考试已通过" in c.text  # the study screen follows
    async with ctx.db.transaction() as s:
        record = await s.scalar(
            select(HourRecord).where(
                HourRecord.person_id == pid, HourRecord.subject == "public_mandatory"
            )
        )
    assert record is not None and record.hours == Fraction(15) and record.origin == "exam"
    await c.send("/progress")
    assert "公需科目必修课：已完成（15 学时）" in c.text
    assert "考试机会剩余" not in c.text  # passed: no attempts line
    assert "选修课已完成 0 / 5 门" in c.text


async def test_failed_attempt_then_attempts_left_shown(ctx, chat):
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    await c.send("/study")
    await take_exam_in_chat(c, ctx, pid, right=False)
    assert "答对 0 / 20 题（0%），及格线 60%" in c.text
    assert "未通过" in c.text and "还有 2 次考试机会" in c.text
    assert "已用 1 / 3 次，还剩 2 次" in c.text
    assert c.button("开始考试（第 2 次）")
    assert await count(ctx, HourRecord, HourRecord.person_id == pid) == 0
    await c.send("/progress")
    assert "考试机会剩余 2 / 3 次" in c.text


async def _move_a_multiple_choice_question_first(ctx: AppContext, pid: int) -> Question:
    """Make position 0 of the attempt in progress a multiple-choice question (the draw is
    random), so that the toggles can be tested deterministically."""
    async with ctx.db.transaction() as s:
        attempt = await s.scalar(select(ExamAttempt).where(ExamAttempt.person_id == pid))
        assert attempt is not None and attempt.position == 0
        multiple = list(
            await s.scalars(
                select(Question).where(
                    Question.kind == "multiple",
                    Question.course_id.is_(None),
                    Question.topic.is_(None),
                )
            )
        )
        # one with a wrong option too, so that a wrong toggle can be tried
        chosen = next(q for q in multiple if len(q.answer) < len(q.options))
        drawn = [dict(d) for d in attempt.questions]
        ids = [int(d["id"]) for d in drawn]
        entry = {"id": chosen.id, "order": list(reversed(range(len(chosen.options))))}
        if chosen.id in ids:
            drawn.pop(ids.index(chosen.id))
        else:
            drawn.pop()
        attempt.questions = [entry, *drawn]
        return chosen


async def test_multiple_choice_toggles_redraw_then_send(ctx, chat):
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    await c.send("/study")
    await c.press("开始考试")
    question = await _move_a_multiple_choice_question_first(ctx, pid)
    await c.send("/exam")  # shows the question in progress
    assert question.text in c.text and "多选题" in c.text
    attempt = await current_attempt(ctx, pid)
    _q, right = await shown_answer(ctx, attempt, 0)
    assert len(right) >= 2
    wrong = next(i for i in range(len(question.options)) if i not in right)

    out = await c.press_data(data_of(c, f"t0_{wrong}"))
    assert out.edit_pressed and not out.button_accepted  # the same message, redrawn
    assert [b.label for b in c.buttons() if b.label.startswith("✅")] == [f"✅ {'ABCDEF'[wrong]}"]
    await c.press_data(data_of(c, f"t0_{wrong}"))  # tapped again: unmarked
    assert not [b for b in c.buttons() if b.label.startswith("✅")]
    on_screen = c.last
    out = await c.press_data(data_of(c, "d0"))  # nothing chosen: nothing sent
    assert out.notice is not None and "至少选择" in out.notice
    assert not out.replies and not out.button_accepted  # the question stays as it is
    c.last = on_screen
    assert (await current_attempt(ctx, pid)).position == 0
    for i in right:
        await c.press_data(data_of(c, f"t0_{i}"))
    marked = sorted(b.label for b in c.buttons() if b.label.startswith("✅"))
    assert marked == sorted(f"✅ {'ABCDEF'[i]}" for i in right)
    out = await c.press_data(data_of(c, "d0"))
    assert not out.edit_pressed
    assert f"第 2 / {QUESTIONS} 题" in c.text
    attempt = await current_attempt(ctx, pid)
    assert attempt.position == 1 and attempt.answers == {"0": sorted(right)}


async def test_same_answer_twice_counts_once_and_an_old_button_is_refused(ctx, chat):
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    await c.send("/study")
    await c.press("开始考试")
    attempt = await current_attempt(ctx, pid)
    question, shown = await shown_answer(ctx, attempt, 0)
    if question.kind == QuestionKind.MULTIPLE:
        for i in shown:
            await c.press_data(data_of(c, f"t0_{i}"))
        tap = data_of(c, "d0")
        other = None
    else:
        tap = data_of(c, f"a0_{shown[0]}")
        other = next(b.data for b in c.buttons() if re.search(r":a0_\d$", b.data) and b.data != tap)
    await c.press_data(tap)
    assert f"第 2 / {QUESTIONS} 题" in c.text
    version = (await current_attempt(ctx, pid)).version
    out = await c.press_data(tap)  # the same tap again (a double tap on a slow network)
    assert out.notice is not None and "已经作答" in out.notice
    assert not out.replies  # the next question is already on screen
    attempt = await current_attempt(ctx, pid)
    assert attempt.position == 1 and len(attempt.answers) == 1 and attempt.version == version
    if other is not None:
        # another option of the answered question: refused, the current question shown
        await c.press_data(other)
        assert "该按钮已过期，以下是当前题目" in c.text
        assert f"第 2 / {QUESTIONS} 题" in c.text
        assert (await current_attempt(ctx, pid)).answers == attempt.answers


async def test_two_identical_taps_at_once_count_once(ctx, chat, database_url):
    """A double tap delivered to two workers at the same moment: one answer is recorded."""
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers are a PostgreSQL deployment")
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    await c.send("/study")
    await c.press("开始考试")
    attempt = await current_attempt(ctx, pid)
    question, shown = await shown_answer(ctx, attempt, 0)
    if question.kind == QuestionKind.MULTIPLE:
        for i in shown:
            await c.press_data(data_of(c, f"t0_{i}"))
        tap = data_of(c, "d0")
    else:
        tap = data_of(c, f"a0_{shown[0]}")
    other = Engine(ctx)  # a second worker
    first, second = await asyncio.gather(
        c.engine.handle(c.user, Event.button(tap)), other.handle(c.user, Event.button(tap))
    )
    texts = ["\n".join(r.text for r in o.replies) for o in (first, second)]
    assert sum(f"第 2 / {QUESTIONS} 题" in t for t in texts) == 1, texts
    attempt = await current_attempt(ctx, pid)
    assert attempt.position == 1 and list(attempt.answers) == ["0"]


async def test_attempt_resumes_at_the_same_question_after_a_restart(ctx, chat):
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    await c.send("/study")
    await c.press("开始考试")
    for _ in range(3):
        await answer_current(c, ctx, pid)
    on_screen = c.buttons()
    attempt = await current_attempt(ctx, pid)
    fourth, shown = await shown_answer(ctx, attempt, 3)

    # a new process: a fresh database engine and a fresh engine, nothing in memory
    fresh = dataclasses.replace(ctx, db=Database(ctx.db.url))
    try:
        again = type(c)(Engine(fresh), "u1")
        if fourth.kind != QuestionKind.MULTIPLE:
            # the fourth question's buttons, on screen before the restart, still answer it
            tap = next(b.data for b in on_screen if b.data.endswith(f":a3_{shown[0]}"))
            await again.press_data(tap)
            assert f"第 5 / {QUESTIONS} 题" in again.text
            assert (await current_attempt(fresh, pid)).position == 4
        attempt = await current_attempt(fresh, pid)
        current, _shown = await shown_answer(fresh, attempt, attempt.position)
        number = attempt.position + 1
        await again.send("/exam")  # back to the exam: the question in progress
        assert f"第 {number} / {QUESTIONS} 题" in again.text and current.text in again.text
        await again.send("/study")
        assert "您有一场考试正在进行" in again.text
        await again.press("继续考试")
        assert f"第 {number} / {QUESTIONS} 题" in again.text
    finally:
        await fresh.db.dispose()
    assert await count(ctx, ExamAttempt) == 1


async def test_expired_attempt_is_explained_and_counts_as_used(ctx, chat):
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    await c.send("/study")
    await c.press("开始考试")
    await answer_current(c, ctx, pid)
    later = ctx.now() + timedelta(hours=25)
    ctx.clock = lambda: later
    attempt = await current_attempt(ctx, pid)
    _q, shown = await shown_answer(ctx, attempt, 1)
    value = f"t1_{shown[0]}" if any(":t1_" in b.data for b in c.buttons()) else f"a1_{shown[0]}"
    await c.press_data(data_of(c, value))
    assert "本次考试已超时，计为已使用一次机会" in c.text
    assert "已用 1 / 3 次，还剩 2 次" in c.text  # the study screen follows
    assert (await current_attempt(ctx, pid)).status == "abandoned"


async def test_pause_and_typed_text_keep_the_attempt(ctx, chat):
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    await c.send("/study")
    await c.press("开始考试")
    await answer_current(c, ctx, pid)
    await c.send("随便说点什么")
    assert "请点击下方按钮" in c.text and f"第 2 / {QUESTIONS} 题" in c.text
    await c.press("稍后继续")
    assert "进度已保存" in c.text and c.button("继续考试")
    await c.press("继续考试")
    assert f"第 2 / {QUESTIONS} 题" in c.text
    assert await count(ctx, ExamAttempt) == 1


# ------------------------------------------------------------------------------ remedial


async def test_no_attempts_left_then_remedial_request_reaches_admin_and_reopens(ctx, chat, roster):
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    for _ in range(3):
        await take_exam_by_services(ctx, pid, right=False)
    # an administrator: 张伟 of the roster, bound in another chat
    admin = chat("admin")
    await bind(admin, roster.zhang_number, "张伟")
    admin_account = await account_id(ctx, "admin")
    async with ctx.db.transaction() as s:
        s.add(Role(account_id=admin_account, role="admin", granted_at=ctx.now(), granted_by="t"))

    await c.send("/study")
    assert "考试机会已用完" in c.text and "增加 3 次机会" in c.text
    assert not [b for b in c.buttons() if "开始考试" in b.label]
    await c.press("申请补学补考")
    assert "补学补考申请已提交" in c.text and "增加 3 次考试机会" in c.text
    assert "等待管理员审核" in c.text
    assert await count(ctx, RemedialRequest, RemedialRequest.status == "pending") == 1

    async with ctx.db.transaction() as s:
        rows = list(
            await s.scalars(select(OutboxMessage).where(OutboxMessage.account_id == admin_account))
        )
    assert len(rows) == 1
    text, buttons = render_notice(rows[0].payload, "zh")
    assert "王芳" in text and mask_id_number(WANG_ID) in text and WANG_ID not in text
    approve = next(data for label, data in buttons if "同意补学补考" in label)

    # the person is not an administrator: their tap on the button is refused
    await c.press_data(approve)
    assert "只有管理员" in c.text
    await admin.press_data(approve)
    assert "已同意该补学补考申请" in admin.text
    await admin.press_data(approve)  # a second tap (or a second administrator)
    assert "已由其他管理员同意" in admin.text
    assert await count(ctx, ExamGrant, ExamGrant.person_id == pid) == 1

    person_account = await account_id(ctx, "u1")
    async with ctx.db.transaction() as s:
        told = list(
            await s.scalars(select(OutboxMessage).where(OutboxMessage.account_id == person_account))
        )
    notices = [render_notice(m.payload, "zh") for m in told]
    assert len(notices) == 1 and "补学补考申请已通过" in notices[0][0]
    assert notices[0][1] == [("📚 学习与考试", "m:study")]
    await c.send("/study")
    assert "已用 3 / 6 次，还剩 3 次" in c.text and c.button("开始考试（第 4 次）")


async def test_declined_remedial_request_is_told_and_can_be_asked_again(ctx, chat, roster):
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    for _ in range(3):
        await take_exam_by_services(ctx, pid, right=False)
    admin = chat("admin")
    await bind(admin, roster.zhang_number, "张伟")
    admin_account = await account_id(ctx, "admin")
    async with ctx.db.transaction() as s:
        s.add(Role(account_id=admin_account, role="admin", granted_at=ctx.now(), granted_by="t"))
    await c.send("/study")
    await c.press("申请补学补考")
    async with ctx.db.transaction() as s:
        request_id = await s.scalar(select(RemedialRequest.id))
    await admin.press_data(f"rm:no:{request_id}")
    assert "已拒绝该补学补考申请" in admin.text
    assert await count(ctx, ExamGrant) == 0
    person_account = await account_id(ctx, "u1")
    async with ctx.db.transaction() as s:
        told = list(
            await s.scalars(select(OutboxMessage).where(OutboxMessage.account_id == person_account))
        )
    assert ["未获同意" in render_notice(m.payload, "zh")[0] for m in told] == [True]
    await c.send("/study")
    assert "等待管理员审核" not in c.text and c.button("申请补学补考")
    await admin.press_data("rm:ok:not-a-number")  # forged data: nothing happens
    assert "无法识别这个按钮" in admin.text
    assert await count(ctx, ExamGrant) == 0


async def test_remedial_request_twice_is_one_request(ctx, chat):
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    for _ in range(3):
        await take_exam_by_services(ctx, pid, right=False)
    await c.send("/study")
    stale = c.button("申请补学补考").data
    await c.press("申请补学补考")
    assert "已提交" in c.text
    await c.press_data(stale)  # the old screen's button
    assert "过期" in c.text
    assert await count(ctx, RemedialRequest) == 1
    assert not [b for b in c.buttons() if "申请补学补考" in b.label]


# ------------------------------------------------------------------------------ electives


async def _answer_check(c: Any, ctx: AppContext, *, right: bool) -> None:
    """Answer the check question on screen (found by its text in the bank)."""
    async with ctx.db.transaction() as s:
        questions = list(await s.scalars(select(Question).where(Question.course_id.is_not(None))))
    question = next(q for q in questions if q.text in c.text)
    shown = [int(i) for i in question.answer]
    if not right:
        shown = [next(i for i in range(len(question.options)) if i not in shown)]
    pos = int(re.search(r"第 (\d+) / \d+ 题", c.text).group(1)) - 1  # type: ignore[union-attr]
    if question.kind == QuestionKind.MULTIPLE:
        for i in shown:
            await c.press_data(data_of(c, f"t{pos}_{i}"))
        await c.press_data(data_of(c, f"d{pos}"))
    else:
        await c.press_data(data_of(c, f"a{pos}_{shown[0]}"))


async def test_electives_completed_give_10_hours(ctx, chat):
    c, pid = await learner(ctx, chat)
    await c.send("/study")
    assert "选修课：已完成 0 / 5 门" in c.text
    await c.press("选修课")
    assert "【民族团结】" in c.text and "【数字技术】" in c.text
    titles = [b.label[2:].strip() for b in c.buttons() if b.label.startswith("▫️")]
    assert len(titles) == 5

    # the first one: a wrong check answer fails it, the course stays open
    await c.press(titles[0])
    assert "第 1 / 1 章" in c.text
    await c.press("已读完本课程")
    assert "小测验" in c.text
    await _answer_check(c, ctx, right=False)
    await _answer_check(c, ctx, right=True)
    assert "未达到 60%" in c.text and "可以重温课程后再测一次" in c.text
    # as the message says: the course can be read again, and its last chapter leads to the
    # check again
    await c.press("重温课程")
    assert "第 1 / 1 章" in c.text and "民族区域自治" in c.text
    await c.press("已读完本课程")
    assert "小测验 第 1 / 2 题" in c.text
    await c.press("返回选修课列表")
    assert "已完成 0 / 5 门" in c.text
    await c.press(titles[0])  # every chapter read: read it again, or take the check
    assert c.button("重温课程") and "还需要通过小测验" in c.text
    await c.press("开始小测验")
    assert "小测验 第 1 / 2 题" in c.text
    await _answer_check(c, ctx, right=True)
    await _answer_check(c, ctx, right=True)
    assert "小测验通过（答对 2 / 2 题）" in c.text and "还有 4 门选修课未完成" in c.text

    for title in titles[1:]:
        await c.press(title)
        await c.press("已读完本课程")
        await _answer_check(c, ctx, right=True)
        await _answer_check(c, ctx, right=True)
    assert "全部选修课已完成，10 学时已计入 2024 年度" in c.text
    assert "已完成 5 / 5 门" in c.text
    async with ctx.db.transaction() as s:
        record = await s.scalar(
            select(HourRecord).where(
                HourRecord.person_id == pid, HourRecord.subject == "public_elective"
            )
        )
    assert record is not None and record.hours == Fraction(10)
    await c.send("/progress")
    assert "公需科目选修课：10 / 10 学时" in c.text and "选修课已完成" not in c.text


# ------------------------------------------------------------------------------ years, texts


async def test_make_up_year_is_said_in_january(ctx, chat):
    c, pid = await learner(ctx, chat)
    january = ctx.now().replace(year=2025, month=1, day=5)
    ctx.clock = lambda: january
    await c.send("/study")
    assert "补学补考 2024 年度的公需科目" in c.text and "计入 2024 年度" in c.text
    await read_course(ctx, pid)
    await c.send("/study")
    await c.press("开始考试")
    assert "这是 2024 年度的补考" in c.text


async def test_every_runtime_key_exists_in_both_languages() -> None:
    keys = (
        {f"study-refused-{r}" for r in REFUSAL_REASONS}
        | {f"stu-kind-{k.value}" for k in QuestionKind}
        | {f"stu-media-{k}{p}" for k in ("link", "image") for p in ("", "-plain")}
    )
    for language in LANGUAGES:
        t = translator(language)
        assert all(t.has(k) for k in keys), [k for k in keys if not t.has(k)]


async def test_english_study_screen(ctx, chat):
    c, _pid = await learner(ctx, chat)
    await c.press_data("lang:en")
    await c.send("/study")
    assert "Public subjects for 2024" in c.text and "0 of 4 chapters read" in c.text
    assert c.button("Continue reading (chapter 1)")
    assert "stu-" not in c.text


async def test_flow_state_holds_no_answer(ctx, chat):
    """The conversation state keeps the attempt and the position, never correct answers."""
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    await c.send("/study")
    await c.press("开始考试")
    async with ctx.db.transaction() as s:
        state = await s.get(FlowState, await account_id(ctx, "u1"))
    assert state is not None and state.flow == "study" and state.step == "exam"
    assert set(state.data) <= {"_n", "aid", "year", "sel", "pos", RECENT}
    # the remembered steps (for stale buttons) hold names and ids only
    recent = state.data[RECENT]
    assert recent[-1][1:3] == ["study", "exam"]  # the step on screen is the last one
    for nonce, flow, _step, memo in recent:
        assert re.fullmatch(r"[0-9a-f]{4}", nonce)
        assert set(memo) <= ({"aid", "year", "kind"} if flow == STUDY.name else set())


# ------------------------------------------------------------------------------ issue 17


async def open_2025(ctx: AppContext, tmp_path: Any) -> None:
    """6 January 2025: a (demo) 2025 policy with the same content, and 2024 in make-up."""
    january = ctx.now().replace(year=2025, month=1, day=6)
    ctx.clock = lambda: january
    folder = tmp_path / "policies"
    folder.mkdir()
    template = ctx.policies.paths[2024].read_text(encoding="utf-8")
    (folder / "2025.toml").write_text(draft_text(template, 2024, 2025, demo=True), "utf-8")
    ctx.policies = PolicyBook.load(folder)
    assert 2025 in ctx.policies
    courses = json.loads(demo_content_file("course-2024.json").read_text(encoding="utf-8"))
    for course in courses:
        course["year"] = 2025
    course_file = tmp_path / "course-2025.json"
    course_file.write_text(json.dumps(courses, ensure_ascii=False), encoding="utf-8")
    await import_courses(ctx, course_file, actor="test")
    text = demo_content_file("questions-2024.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        row["year"] = "2025"
    questions_file = tmp_path / "questions-2025.csv"
    with questions_file.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    await import_questions(ctx, questions_file, actor="test")


async def complete_elective(ctx: AppContext, pid: int, course_id: int) -> bool:
    """Read an elective and pass its check through the services; whether that credited."""
    view = await mark_chapter_read(ctx, pid, course_id, 1)
    for chapter in view.chapters[1:]:
        view = await mark_chapter_read(ctx, pid, course_id, chapter.seq)
    async with ctx.db.transaction() as s:
        by_id = {q.id: list(q.answer) for q in await s.scalars(select(Question))}
    answers = {q.id: by_id[q.id] for q in await elective_check(ctx, pid, course_id)}
    result = await submit_elective_check(ctx, pid, course_id, answers)
    assert result.passed
    return result.electives_credited


async def test_last_make_up_elective_is_counted_for_the_make_up_year(ctx, chat, tmp_path):
    """Item 15: finishing the last make-up elective said "还有 5 门选修课未完成" and showed the
    next year's list; it says the make-up year is done and stays on it."""
    c, pid = await learner(ctx, chat)
    await open_2025(ctx, tmp_path)
    view = await electives(ctx, pid)
    assert view.year == 2024  # make-up first
    courses = [course for group in view.groups for course in group.courses]
    for course in courses[:-1]:
        assert not await complete_elective(ctx, pid, course.id)
    await c.send("/study")
    await c.press("选修课")
    assert "2024 年度选修课：已完成 4 / 5 门" in c.text and "2024 年度的补学" in c.text
    await c.press(courses[-1].title)
    await c.press("已读完本课程")
    await _answer_check(c, ctx, right=True)
    await _answer_check(c, ctx, right=True)
    assert "全部选修课已完成，10 学时已计入 2024 年度（补学年度）" in c.text
    assert "未完成" not in c.text
    assert "2024 年度选修课：已完成 5 / 5 门" in c.text  # the year just done stays on screen
    assert "2025 年度的选修课已经开放" in c.text
    async with ctx.db.transaction() as s:
        years = list(
            await s.scalars(
                select(HourRecord.year).where(
                    HourRecord.person_id == pid, HourRecord.subject == "public_elective"
                )
            )
        )
    assert years == [2024]
    await c.press("2025 年度选修课")
    assert "2025 年度选修课：已完成 0 / 5 门" in c.text
    # the study screen: the make-up year's electives are said to be done before 2025's count
    await c.send("/study")
    assert "补学补考 2024 年度" in c.text
    assert "✅ 2024 年度选修课 10 学时已计入" in c.text
    assert "选修课按 2025 年度计" in c.text and "已完成 0 / 5 门" in c.text


async def test_stale_exam_answer_after_my_hours_shows_the_current_question(ctx, chat):
    """Item 17: an answer button tapped after a look at 我的学时 was "expired" with no way
    back; it shows the question that is current, and records nothing."""
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    await c.send("/study")
    await c.press("开始考试")
    await answer_current(c, ctx, pid)
    old = [b.data for b in c.buttons() if re.search(r":(a1_\d|t1_\d)$", b.data)]
    await c.send("/progress")
    assert "考试机会剩余" in c.text
    out = await c.press_data(old[0])
    assert "考试仍在进行，这是当前的题目" in c.text and f"第 2 / {QUESTIONS} 题" in c.text
    assert out.notice is not None
    attempt = await current_attempt(ctx, pid)
    assert attempt.position == 1 and list(attempt.answers) == ["0"]  # nothing recorded
    await answer_current(c, ctx, pid)  # the new message's buttons answer it
    assert f"第 3 / {QUESTIONS} 题" in c.text
    # the old button again, while the exam is on screen: the current question, unchanged
    await c.press_data(old[0])
    assert "考试仍在进行" in c.text and f"第 3 / {QUESTIONS} 题" in c.text
    await answer_current(c, ctx, pid)
    assert (await current_attempt(ctx, pid)).position == 3


async def test_old_start_button_after_three_failures_names_remedial_study(ctx, chat):
    """Item 17: the old "开始考试（第 3 次）" after the third failure says the attempts are used
    and offers 补学补考 (then says the request is waiting)."""
    c, pid = await learner(ctx, chat)
    await read_course(ctx, pid)
    for _ in range(2):
        await take_exam_by_services(ctx, pid, right=False)
    await c.send("/study")
    third = c.button("开始考试（第 3 次）").data
    await take_exam_in_chat(c, ctx, pid, right=False)
    assert "考试机会已用完" in c.text
    await c.press_data(third)
    assert "3 次考试机会已经用完，不能再开始考试" in c.text and "申请补学补考" in c.text
    assert await count(ctx, ExamAttempt) == 3
    await c.press("申请补学补考")
    assert "补学补考申请已提交" in c.text
    await c.press_data(third)
    assert "补学补考申请正在等待管理员审核" in c.text
    assert await count(ctx, ExamAttempt) == 3 and await count(ctx, RemedialRequest) == 1


async def test_stale_elective_button_outside_the_study_screens_leads_to_the_electives(ctx, chat):
    c, _pid = await learner(ctx, chat)
    await c.send("/study")
    await c.press("选修课")
    first = next(b for b in c.buttons() if b.label.startswith("▫️"))
    await c.send("/menu")
    await c.press_data(first.data)
    assert "以下是您现在的选修课" in c.text and "2024 年度选修课：已完成 0 / 5 门" in c.text
    await c.press(first.label)  # the list's buttons work
    assert "第 1 / 1 章" in c.text


async def test_markdown_chapter_is_shown_as_chat_text(ctx, chat):
    """Item 20: course texts in Markdown are shown without their marks."""
    c, pid = await learner(ctx, chat)
    async with ctx.db.transaction() as s:
        course = await mandatory_course(ctx.within(s), pid)
        chapter = await s.scalar(
            select(Chapter).where(Chapter.course_id == course.id, Chapter.seq == 1)
        )
        assert chapter is not None
        chapter.body = (
            "## 五通\n\n**政策沟通**是基础。\n\n- 设施联通\n- 贸易畅通\n\n"
            "详见[白皮书](https://example.org/bri)。"
        )
    await c.send("/study")
    await c.press("继续学习（第 1 章）")
    assert "▌五通" in c.text and "政策沟通是基础。" in c.text
    assert "• 设施联通\n• 贸易畅通" in c.text and "白皮书（https://example.org/bri）" in c.text
    assert "**" not in c.text and "##" not in c.text and "](" not in c.text
