"""The public-subject exam end to end: the real application from the production factory,
polling the fake Bot API over HTTP. Bind, read the course, take the exam to a pass, see the 15
hours in "My progress". Correct answers are read from the database, as a test must; the
buttons carry only positions and displayed option indexes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.fake_api import FakeBotApi
from cebot.settings import Settings
from core.idnumber import make_id_number, mask_id_number
from services.context import AppContext
from services.question_bank import seed_demo_content
from storage.models import ExamAttempt, HourRecord, Person, Question
from tests.e2e.running import polling

USER = 5151
WANG_ID = make_id_number("450103", date(1992, 5, 6), 321)
QUESTIONS = 20


async def add_person(ctx: AppContext) -> int:
    now = ctx.now()
    async with ctx.db.transaction() as s:
        person = Person(
            id_hash=ctx.ids.lookup_hash(WANG_ID),
            id_cipher=ctx.ids.encrypt(WANG_ID),
            id_masked=mask_id_number(WANG_ID),
            name="王芳",
            unit_confirmed=True,
            created_at=now,
            updated_at=now,
        )
        s.add(person)
        await s.flush()
        return person.id


async def press_and_wait(api: FakeBotApi, label: str, expected: str) -> None:
    mark = api.mark()
    api.press(USER, label)
    await api.wait_for("sendMessage", lambda c: expected in c.params["text"], since=mark)


def press_value(api: FakeBotApi, value: str) -> None:
    """Press the step button whose callback data ends with `value`, on the newest message
    showing it (a toggled question keeps its message and its buttons)."""
    for call in reversed(api.sent_to(USER)):
        markup = call.params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []) if isinstance(markup, dict) else []:
            for button in row:
                if button["callback_data"].endswith(f":{value}"):
                    message = dict(call.params.get("_result") or {})
                    api.push_update(api.callback_update(USER, button["callback_data"], message))
                    return
    raise LookupError(f"no button {value!r}")


def keyboard_shows(label: str) -> Callable[[Any], bool]:
    def check(call: Any) -> bool:
        return label in json.dumps(call.params.get("reply_markup"), ensure_ascii=False)

    return check


async def answer_current(api: FakeBotApi, ctx: AppContext, pid: int) -> None:
    async with ctx.db.transaction() as s:
        attempt = await s.scalar(
            select(ExamAttempt).where(
                ExamAttempt.person_id == pid, ExamAttempt.status == "in_progress"
            )
        )
        assert attempt is not None
        pos = attempt.position
        drawn = attempt.questions[pos]
        question = await s.get(Question, int(drawn["id"]))
    assert question is not None
    order = [int(i) for i in drawn["order"]]
    shown = [i for i, original in enumerate(order) if original in set(question.answer)]
    following = f"第 {pos + 2} / {QUESTIONS} 题" if pos + 1 < QUESTIONS else "题已作答"
    if question.kind == "multiple":
        for i in shown:
            mark = api.mark()
            press_value(api, f"t{pos}_{i}")
            # the same message is redrawn with the option marked
            await api.wait_for("editMessageText", keyboard_shows(f"✅ {'ABCDEF'[i]}"), since=mark)
        mark = api.mark()
        press_value(api, f"d{pos}")
    else:
        mark = api.mark()
        press_value(api, f"a{pos}_{shown[0]}")
    await api.wait_for("sendMessage", lambda c: following in c.params["text"], since=mark)


async def test_read_the_course_and_pass_the_exam_over_http(
    ctx: AppContext, fake_api: FakeBotApi, settings: Settings
) -> None:
    await seed_demo_content(ctx)
    pid = await add_person(ctx)
    api = fake_api
    async with polling(settings, ctx):
        mark = api.mark()
        api.send_text(USER, "/start")
        await api.wait_for_button(USER, "✅ 同意", since=mark)
        await press_and_wait(api, "✅ 同意", "身份证号码")
        mark = api.mark()
        api.send_text(USER, WANG_ID)
        masked = mask_id_number(WANG_ID)
        await api.wait_for("sendMessage", lambda c: masked in c.params["text"], since=mark)
        mark = api.mark()
        api.send_text(USER, "王芳")
        await api.wait_for_button(USER, "学习与考试", since=mark)

        await press_and_wait(api, "学习与考试", "已学 0 / 4 章")
        await press_and_wait(api, "继续学习（第 1 章）", "第 1 / 4 章")
        for number in (2, 3, 4):
            await press_and_wait(api, "已读完，下一章", f"第 {number} / 4 章")
        await press_and_wait(api, "已读完本课程", "考试已开放")
        await api.wait_for_button(USER, "开始考试（第 1 次）")

        await press_and_wait(api, "开始考试", f"第 1 / {QUESTIONS} 题")
        for _ in range(QUESTIONS):
            await answer_current(api, ctx, pid)
        await press_and_wait(api, "交卷", "考试通过")
        result = next(t for t in reversed(api.texts_to(USER)) if "考试通过" in t)
        assert "答对 20 / 20 题（100%），及格线 60%" in result
        assert "必修课 15 学时已计入 2024 年度" in result

        mark = api.mark()
        api.send_text(USER, "/progress")
        progress = await api.wait_for(
            "sendMessage", lambda c: "学习进度" in c.params["text"], since=mark
        )
        assert "公需科目必修课：已完成（15 学时）" in progress.params["text"]

    async with ctx.db.transaction() as s:
        hours = list(await s.scalars(select(HourRecord).where(HourRecord.person_id == pid)))
        attempts = list(await s.scalars(select(ExamAttempt).where(ExamAttempt.person_id == pid)))
    assert [(h.subject, h.hours) for h in hours] == [("public_mandatory", 15)]
    assert [(a.attempt_no, a.status, a.passed) for a in attempts] == [(1, "submitted", True)]

    # every button the bot sent carries short opaque data: a menu action, or a step value
    # with a position and a displayed index; no ID number anywhere in what was sent
    datas: list[Any] = [
        b["callback_data"]
        for c in api.calls
        if c.method in ("sendMessage", "editMessageText")
        for row in (c.params.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
    ]
    step = re.compile(r"s:[0-9a-f]{4}:([A-Za-z0-9_]+)")
    for data in datas:
        match = step.fullmatch(data)
        assert data.startswith(("m:", "lang:")) or match is not None, data
    sent = json.dumps(
        [
            {k: v for k, v in c.params.items() if k != "_result"}
            for c in api.calls
            if c.method != "getUpdates"
        ],
        ensure_ascii=False,
    )
    assert WANG_ID not in sent


async def test_a_stale_answer_after_my_progress_leads_back_to_the_question_over_http(
    ctx: AppContext, fake_api: FakeBotApi, settings: Settings
) -> None:
    """Issue 17 item 17 as a learner meets it: an answer button tapped after a look at 我的学时
    is answered (the toast) and shows the current question again, whose buttons work."""
    await seed_demo_content(ctx)
    pid = await add_person(ctx)
    from services.courses import mandatory_course, mark_chapter_read

    course = await mandatory_course(ctx, pid)
    for chapter in course.chapters:
        await mark_chapter_read(ctx, pid, course.id, chapter.seq)
    api = fake_api
    async with polling(settings, ctx):
        mark = api.mark()
        api.send_text(USER, "/start")
        await api.wait_for_button(USER, "✅ 同意", since=mark)
        await press_and_wait(api, "✅ 同意", "身份证号码")
        api.send_text(USER, WANG_ID)
        mark = api.mark()
        api.send_text(USER, "王芳")
        await api.wait_for_button(USER, "学习与考试", since=mark)
        await press_and_wait(api, "学习与考试", "已学 4 / 4 章")
        await press_and_wait(api, "开始考试", f"第 1 / {QUESTIONS} 题")
        await answer_current(api, ctx, pid)  # the second question is on screen
        mark = api.mark()
        api.send_text(USER, "/progress")
        await api.wait_for("sendMessage", lambda c: "学习进度" in c.params["text"], since=mark)

        mark = api.mark()
        for value in ("a1_0", "t1_0"):  # whichever kind the second question is
            try:
                press_value(api, value)
                break
            except LookupError:
                continue
        await api.wait_for("sendMessage", lambda c: "考试仍在进行" in c.params["text"], since=mark)
        await api.wait_for(
            "sendMessage", lambda c: f"第 2 / {QUESTIONS} 题" in c.params["text"], since=mark
        )
        toast = await api.wait_for(
            "answerCallbackQuery", lambda c: "已过期" in str(c.params.get("text")), since=mark
        )
        assert toast is not None
        await answer_current(api, ctx, pid)  # the new message's buttons answer it
    async with ctx.db.transaction() as s:
        attempt = await s.scalar(select(ExamAttempt).where(ExamAttempt.person_id == pid))
    assert attempt is not None and attempt.position == 2 and sorted(attempt.answers) == ["0", "1"]
