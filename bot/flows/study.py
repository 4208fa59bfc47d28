"""Public subjects in the bot: the study screen, the mandatory course read chapter by chapter,
the exam one question per message, the electives with their short checks, and the remedial
re-exam request (补学补考) with the administrators' approve/decline buttons.

Every rule is the services' (services/courses.py, services/exam.py): which year is studied
(this year, or last year's make-up), what is open, counting, grading, crediting. This module
only shows their answers and passes the person's taps on, through `turn.svc` so that each tap
is one transaction with the conversation state.

Exam buttons carry only the question's position and a displayed option index
(`a<pos>_<i>` answer, `t<pos>_<i>` toggle a multiple-choice option, `d<pos>` send the chosen
set): never the correct answer nor a record id. The attempt is found from the conversation
state and the service re-checks that it is the person's own and that the position is current,
so a repeated tap counts once and an old question's button is refused. The nonce stays the
same for a whole attempt (the position in the value tells questions apart), so the buttons of
the question on screen still work after the bot restarts.

An older message's button (a stale nonce) leads to where the person is now (`_stale_tap`):
the open exam's current question, "the attempts are used, ask for 补学补考", the electives or
the study screen; never a bare "expired".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.flows.base import (
    BUTTONS,
    PAUSED,
    Button,
    Event,
    Flow,
    Keyboard,
    Reply,
    StaleTap,
    Step,
    Turn,
)
from bot.flows.chat_text import markdown_to_chat
from bot.flows.features import Feature, register
from bot.flows.keyboards import back_to_menu, main_menu
from core.exam import QuestionKind, abandon_after
from core.hours import format_hours
from services.accounts import bound_person
from services.courses import (
    CheckQuestion,
    CourseView,
    ElectivesView,
    StudyRefused,
    elective_check,
    electives,
    get_chapter,
    mandatory_course,
    mark_chapter_read,
    submit_elective_check,
)
from services.exam import (
    AttemptView,
    ExamResult,
    ExamStatus,
    answer,
    attempt_view,
    decide_remedial,
    exam_status,
    request_remedial,
    start_or_resume_attempt,
    submit,
)
from services.notify import queue_notice
from services.onboarding import actor_of

FLOW = "study"
LETTERS = "ABCDEF"
MAX_MESSAGE = 3500  # Telegram allows 4096 characters; long chapters are split below this
REMEDIAL_CALLBACK = "rm"  # "rm:ok:<request>" / "rm:no:<request>" on the administrators' notice

# every reason the services give (StudyRefused, ExamRefused); each has study-refused-<reason>
REFUSAL_REASONS = (
    "closed",
    "already_done",
    "no_course",
    "not_found",
    "locked",
    "not_ready",
    "bad_answer",
    "busy",
    "course_unfinished",
    "no_attempts_left",
    "not_enough_questions",
    "not_yours",
    "finished",
    "expired",
    "stale",
    "attempts_remain",
    "not_admin",
)

_CHOICE = re.compile(r"^([atd])(\d{1,3})(?:_(\d))?$")


# ------------------------------------------------------------------------------ helpers


async def _bound(turn: Turn) -> int | None:
    """The bound person's id, re-read at every tap (an account may have left its binding)."""
    person = await bound_person(turn.session, turn.account)
    return person.id if person is not None else None


def _not_bound(turn: Turn) -> Reply:
    turn.finish()
    return Reply(
        turn.t("stu-not-bound"),
        ((Button(turn.t("bind-start-button"), "m:start"),), back_to_menu(turn)),
    )


async def _person_id(turn: Turn) -> int | None:
    """For handlers: the bound person, or None after telling the account to bind first."""
    pid = await _bound(turn)
    if pid is None:
        turn.add(_not_bound(turn))
    return pid


def refusal_text(turn: Turn, exc: StudyRefused) -> str:
    key = f"study-refused-{exc.reason}"
    if not turn.t.has(key):
        return turn.t("stu-refused-other")
    return turn.t(key, **exc.args_)


def _study_buttons(turn: Turn) -> Keyboard:
    """Plain (not step) buttons that stay valid after the flow ended."""
    return ((Button(turn.t("menu-study"), "m:study"),), back_to_menu(turn))


def _enter(turn: Turn, step: str, **data: Any) -> None:
    """Enter a step with fresh data (its prompt is shown at the end of the turn). A draft
    left waiting elsewhere (a claim paused by a menu button) keeps waiting."""
    paused = turn.data.get(PAUSED)
    turn.data = dict(data)
    if paused:
        turn.data[PAUSED] = paused
    turn.goto(FLOW, step)


def _go_home(turn: Turn) -> None:
    _enter(turn, "home")


def _split(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph or line ends when possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    pieces.append(rest)
    return pieces


def _media_lines(turn: Turn, media: Sequence[Any]) -> list[str]:
    """A chapter's links and images, as lines with their address (Telegram shows a link
    preview). Items are an address, or {url, title|caption, type}."""
    lines = []
    for item in media:
        if isinstance(item, str):
            url, caption, kind = item, "", ""
        elif isinstance(item, dict):
            url = str(item.get("url") or item.get("href") or "")
            caption = str(item.get("caption") or item.get("title") or "")
            kind = str(item.get("type") or "")
        else:
            continue
        if not url:
            continue
        image = kind == "image" or url.lower().split("?")[0].endswith(
            (".png", ".jpg", ".jpeg", ".gif", ".webp")
        )
        key = "stu-media-image" if image else "stu-media-link"
        if not caption:
            key += "-plain"
        lines.append(turn.t(key, url=url, caption=caption))
    return lines


def _percent(correct: int, total: int) -> int:
    # floor: consistent with the exact pass comparison (correct * 100 >= mark * total)
    return correct * 100 // total if total else 0


def _limit_text(turn: Turn, year: int) -> str:
    limit = abandon_after(turn.ctx.policies[year].exam)
    minutes = int(limit.total_seconds() // 60)
    if minutes % 60 == 0:
        return turn.t("stu-limit-hours", hours=minutes // 60)
    return turn.t("stu-limit-minutes", minutes=minutes)


# ------------------------------------------------------------------------------ question


def _question_reply(
    turn: Turn,
    head: str,
    kind: str,
    text: str,
    options: Sequence[str],
    position: int,
    selected: Sequence[int],
    back_label: str,
) -> Reply:
    """One question: its text, the options lettered, and buttons with displayed indexes."""
    t = turn.t
    lines = [head, "", text, ""]
    truefalse = kind == QuestionKind.TRUEFALSE
    if not truefalse:
        lines.extend(f"{LETTERS[i]}. {option}" for i, option in enumerate(options))
    rows: list[tuple[Button, ...]] = []
    per_row = 4 if len(options) <= 4 else 3  # five or six options: two even rows
    if kind == QuestionKind.MULTIPLE:
        lines.extend(["", t("stu-q-multiple-hint")])
        marks = [
            turn.step_button(("✅ " if i in selected else "▫️ ") + LETTERS[i], f"t{position}_{i}")
            for i in range(len(options))
        ]
        rows.extend(tuple(marks[i : i + per_row]) for i in range(0, len(marks), per_row))
        rows.append((turn.step_button(t("stu-q-send"), f"d{position}"),))
    elif truefalse:
        rows.append(
            tuple(
                turn.step_button(("✔️ " if i == 0 else "✖️ ") + option, f"a{position}_{i}")
                for i, option in enumerate(options)
            )
        )
    else:
        letters = [turn.step_button(LETTERS[i], f"a{position}_{i}") for i in range(len(options))]
        rows.extend(tuple(letters[i : i + per_row]) for i in range(0, len(letters), per_row))
    rows.append((turn.step_button(back_label, "back"),))
    return Reply("\n".join(lines).rstrip(), tuple(rows))


def _parse_choice(value: str) -> tuple[str, int, int | None] | None:
    match = _CHOICE.match(value)
    if match is None:
        return None
    op, pos, idx = match.groups()
    if (op == "d") != (idx is None):
        return None
    return op, int(pos), int(idx) if idx is not None else None


# ------------------------------------------------------------------------------ home


async def show_study(turn: Turn, _args: str = "") -> None:
    if await _person_id(turn) is None:
        return
    _go_home(turn)


async def show_exam(turn: Turn, _args: str = "") -> None:
    """/exam: straight back to the question in progress, else the study screen."""
    pid = await _person_id(turn)
    if pid is None:
        return
    try:
        status = await exam_status(turn.svc, pid)
    except StudyRefused:
        _go_home(turn)  # the study screen explains what is open
        return
    if status.in_progress_id is not None:
        _enter(turn, "exam", aid=status.in_progress_id, year=status.year, sel=[])
    else:
        _go_home(turn)


async def _mandatory_lines(
    turn: Turn, pid: int, status: ExamStatus, buttons: list[tuple[Button, ...]]
) -> list[str]:
    t = turn.t
    policy = turn.ctx.policies[status.year]
    lines = []
    if status.makeup:
        lines.append(t("stu-home-makeup", year=status.year))
    if status.passed:
        lines.append(t("stu-home-mandatory-passed", hours=format_hours(policy.mandatory_hours)))
        return lines
    try:
        course: CourseView | None = await mandatory_course(turn.svc, pid, status.year)
    except StudyRefused as exc:
        course = None
        lines.append(refusal_text(turn, exc))
    if course is not None:
        lines.append(
            t(
                "stu-home-course",
                title=course.title,
                read=course.last_chapter,
                count=len(course.chapters),
                hours=format_hours(policy.mandatory_hours),
            )
        )
        if course.next_seq is not None:
            label = t("stu-btn-read", number=course.next_seq)
        else:
            label = t("stu-btn-reread")
        buttons.append((turn.step_button(label, "course"),))
    lines.append(
        t(
            "stu-home-exam",
            questions=status.question_count,
            mark=status.pass_mark_percent,
            used=status.attempts_used,
            allowed=status.attempts_allowed,
            left=status.attempts_left,
        )
    )
    if status.in_progress_id is not None:
        lines.append(t("stu-home-exam-in-progress", limit=_limit_text(turn, status.year)))
        buttons.append((turn.step_button(t("stu-btn-resume"), "resume"),))
    elif not status.course_done:
        lines.append(t("stu-home-exam-locked"))
    elif status.attempts_left > 0:
        lines.append(t("stu-home-exam-open", limit=_limit_text(turn, status.year)))
        buttons.append(
            (turn.step_button(t("stu-btn-start", number=status.attempts_used + 1), "start"),)
        )
    if status.remedial_pending:
        lines.append(t("stu-home-remedial-pending"))
    elif status.can_request_remedial:
        lines.append(t("stu-home-no-attempts", extra=policy.exam.remedial_attempts))
        buttons.append((turn.step_button(t("stu-btn-remedial"), "remedial"),))
    return lines


async def _elective_lines(
    turn: Turn,
    pid: int,
    view: ElectivesView,
    mandatory_year: int,
    buttons: list[tuple[Button, ...]],
) -> list[str]:
    t = turn.t
    hours = format_hours(turn.ctx.policies[view.year].elective_hours)
    lines = []
    if view.year != mandatory_year:
        # the electives of the year shown above may be done already (a make-up year): say so
        # before counting another year's
        try:
            made_up = await electives(turn.svc, pid, mandatory_year)
        except StudyRefused:
            made_up = None
        if made_up is not None and made_up.credited:
            policy = turn.ctx.policies[mandatory_year]
            done_hours = format_hours(policy.elective_hours)
            lines.append(t("stu-home-electives-year-done", year=mandatory_year, hours=done_hours))
        lines.append(t("stu-home-electives-year", year=view.year))
    if view.total:
        lines.append(t("stu-home-electives", done=view.completed, total=view.total, hours=hours))
        buttons.append((turn.step_button(t("stu-btn-electives"), "electives"),))
    else:
        lines.append(t("stu-el-none", year=view.year))
    if view.credited:
        lines.append(t("stu-home-electives-credited", hours=hours))
    return lines


async def _home_prompt(turn: Turn) -> Reply:
    """The study screen: the year, the course read so far, the exam, the electives."""
    pid = await _bound(turn)
    if pid is None:
        return _not_bound(turn)
    buttons: list[tuple[Button, ...]] = []
    mandatory: list[str] = []
    years: list[int] = []
    refusals: list[StudyRefused] = []
    try:
        status = await exam_status(turn.svc, pid)
    except StudyRefused as exc:
        refusals.append(exc)
    else:
        turn.data["year"] = status.year
        years.append(status.year)
        mandatory = await _mandatory_lines(turn, pid, status, buttons)
    elective: list[str] = []
    try:
        view = await electives(turn.svc, pid)
    except StudyRefused as exc:
        refusals.append(exc)
    else:
        first = years[0] if years else view.year
        elective = await _elective_lines(turn, pid, view, first, buttons)
        years.append(view.year)
    if not years:
        # nothing open: say why (the mandatory subject's reason first) and leave the flow
        turn.finish()
        return Reply(refusal_text(turn, refusals[0]), main_menu(turn))
    lines = [turn.t("stu-home-title", year=years[0])]
    if not mandatory:
        lines.append(refusal_text(turn, refusals[0]))
    lines.extend(mandatory)
    lines.extend(elective)
    buttons.append(back_to_menu(turn))
    return Reply("\n".join(lines), tuple(buttons))


async def _home_pick(turn: Turn, event: Event) -> None:
    pid = await _person_id(turn)
    if pid is None:
        return
    value = event.data
    if value == "course":
        await _open_course(turn, pid)
    elif value in ("start", "resume"):
        await _open_exam(turn, pid, start=value == "start")
    elif value == "electives":
        _enter(turn, "electives")
    elif value == "remedial":
        await _request_remedial(turn, pid)
    else:
        _go_home(turn)


# ------------------------------------------------------------------------------ chapters


async def _open_course(turn: Turn, pid: int) -> None:
    year = turn.data.get("year")
    try:
        course = await mandatory_course(turn.svc, pid, int(year) if year else None)
    except StudyRefused as exc:
        turn.say("stu-refused", reason=refusal_text(turn, exc))
        _go_home(turn)
        return
    seq = course.next_seq or 1
    _enter(turn, "chapter", cid=course.id, seq=seq, ct=course.title, kind="m")


async def _chapter_prompt(turn: Turn) -> Reply:
    pid = await _bound(turn)
    if pid is None:
        return _not_bound(turn)
    t = turn.t
    cid, seq = int(turn.data.get("cid", 0)), int(turn.data.get("seq", 1))
    try:
        chapter = await get_chapter(turn.svc, pid, cid, seq)
    except StudyRefused as exc:
        turn.finish()
        return Reply(refusal_text(turn, exc), _study_buttons(turn))
    head = t(
        "stu-chapter-head",
        course=str(turn.data.get("ct", "")),
        seq=chapter.seq,
        count=chapter.count,
        title=chapter.title,
    )
    # course texts may be written in Markdown: shown as chat text, not as raw marks
    body = markdown_to_chat(chapter.body)
    text = "\n\n".join([head, body, *_media_lines(turn, chapter.media)])
    pieces = _split(text)
    for piece in pieces[:-1]:
        turn.add(Reply(piece))
    last = chapter.seq >= chapter.count
    rows: list[tuple[Button, ...]] = [
        (turn.step_button(t("stu-btn-chapter-last" if last else "stu-btn-chapter-next"), "read"),)
    ]
    if chapter.seq > 1:
        rows.append((turn.step_button(t("stu-btn-chapter-prev"), "prev"),))
    back = "stu-btn-back-electives" if turn.data.get("kind") == "e" else "stu-btn-back-study"
    rows.append((turn.step_button(t(back), "back"),))
    return Reply(pieces[-1], tuple(rows))


async def _chapter_pick(turn: Turn, event: Event) -> None:
    pid = await _person_id(turn)
    if pid is None:
        return
    cid, seq = int(turn.data.get("cid", 0)), int(turn.data.get("seq", 1))
    elective = turn.data.get("kind") == "e"
    if event.data == "prev":
        turn.data["seq"] = max(1, seq - 1)
        turn.goto(FLOW, "chapter")
        return
    if event.data != "read":
        if elective:
            _to_electives(turn, turn.data.get("year"))
        else:
            _go_home(turn)
        return
    try:
        view = await mark_chapter_read(turn.svc, pid, cid, seq)
    except StudyRefused as exc:
        turn.say("stu-refused", reason=refusal_text(turn, exc))
        if elective:
            _to_electives(turn, turn.data.get("year"))
        else:
            _go_home(turn)
        return
    if seq < len(view.chapters):
        turn.data["seq"] = seq + 1
        turn.goto(FLOW, "chapter")
        return
    if not elective:
        turn.say("stu-course-done", title=view.title)
        _go_home(turn)
    elif view.completed:
        await _elective_completed(turn, pid, view.title, view.year)
    else:
        await _start_check(turn, pid, cid, view.title, view.year)


# ------------------------------------------------------------------------------ exam


async def _open_exam(turn: Turn, pid: int, *, start: bool) -> None:
    year = turn.data.get("year")
    try:
        if start:
            view = await start_or_resume_attempt(turn.svc, pid, year=int(year) if year else None)
        else:
            status = await exam_status(turn.svc, pid, int(year) if year else None)
            if status.in_progress_id is None:
                turn.say("stu-exam-ended")
                _go_home(turn)
                return
            view = await attempt_view(turn.svc, pid, status.in_progress_id)
    except StudyRefused as exc:
        turn.say("stu-refused", reason=refusal_text(turn, exc))
        _go_home(turn)
        return
    if view.position == 0:
        policy = turn.ctx.policies[view.year]
        turn.say(
            "stu-exam-intro",
            number=view.attempt_no,
            allowed=view.attempts_allowed,
            questions=view.total,
            mark=policy.exam.pass_mark_percent,
            limit=_limit_text(turn, view.year),
        )
        if view.makeup:
            turn.say("stu-exam-makeup", year=view.year)
    _enter(turn, "exam", aid=view.id, year=view.year, sel=[])


def _exam_reply(turn: Turn, view: AttemptView, selected: Sequence[int] = ()) -> Reply:
    t = turn.t
    q = view.question
    if q is None:
        return Reply(
            t("stu-exam-all-answered", total=view.total),
            (
                (turn.step_button(t("stu-btn-submit"), "submit"),),
                (turn.step_button(t("stu-btn-pause"), "back"),),
            ),
        )
    head = t("stu-q-head", number=q.number, total=q.total, kind=t(f"stu-kind-{q.kind}"))
    return _question_reply(
        turn, head, q.kind, q.text, q.options, q.position, selected, t("stu-btn-pause")
    )


def _show_attempt(turn: Turn, view: AttemptView) -> Reply:
    """The attempt's current question, the conversation state following the database."""
    if turn.data.get("pos") != view.position:
        turn.data["sel"] = []
    turn.data["pos"] = view.position
    return _exam_reply(turn, view, [int(i) for i in turn.data.get("sel", [])])


async def _exam_prompt(turn: Turn) -> Reply:
    pid = await _bound(turn)
    if pid is None:
        return _not_bound(turn)
    try:
        view = await attempt_view(turn.svc, pid, int(turn.data.get("aid", 0)))
    except StudyRefused as exc:
        turn.finish()
        return Reply(refusal_text(turn, exc), _study_buttons(turn))
    return _show_attempt(turn, view)


async def _exam_refused(turn: Turn, pid: int, exc: StudyRefused) -> None:
    turn.outcome.notice = refusal_text(turn, exc)
    turn.say("stu-refused", reason=refusal_text(turn, exc))
    if exc.reason in ("stale", "bad_answer"):
        # show the question that is current now
        try:
            view = await attempt_view(turn.svc, pid, int(turn.data.get("aid", 0)))
        except StudyRefused as again:
            turn.say("stu-refused", reason=refusal_text(turn, again))
            _go_home(turn)
            return
        turn.add(_show_attempt(turn, view))
    elif exc.reason != "busy":
        _go_home(turn)


async def _exam_pick(turn: Turn, event: Event) -> None:
    pid = await _person_id(turn)
    if pid is None:
        return
    aid = int(turn.data.get("aid", 0))
    value = event.data
    if value == "back":
        turn.say("stu-exam-paused", limit=_limit_text(turn, int(turn.data.get("year", 0))))
        _go_home(turn)
        return
    if value == "submit":
        await _submit(turn, pid, aid)
        return
    parsed = _parse_choice(value)
    if parsed is None:
        turn.outcome.notice = turn.t("btn-stale")
        return
    op, pos, idx = parsed
    current = int(turn.data.get("pos", 0))
    if op == "t":
        await _toggle(turn, pid, aid, pos, int(idx or 0))
        return
    if pos < current and op == "d":
        turn.outcome.notice = turn.t("stu-q-already")  # a second tap on "send"
        return
    chosen = [int(idx)] if idx is not None else [int(i) for i in turn.data.get("sel", [])]
    if not chosen:
        turn.outcome.button_accepted = False  # the question stays as it is
        turn.outcome.notice = turn.t("stu-q-pick-one")
        return
    try:
        view = await answer(turn.svc, pid, aid, pos, chosen)
    except StudyRefused as exc:
        await _exam_refused(turn, pid, exc)
        return
    if pos < current:
        # the same answer tapped again: the service counted it once; the next question is
        # already on screen
        turn.outcome.notice = turn.t("stu-q-already")
        return
    turn.add(_show_attempt(turn, view))


async def _toggle(turn: Turn, pid: int, aid: int, pos: int, idx: int) -> None:
    try:
        view = await attempt_view(turn.svc, pid, aid)
    except StudyRefused as exc:
        await _exam_refused(turn, pid, exc)
        return
    q = view.question
    if q is None or q.position != pos or q.kind != QuestionKind.MULTIPLE:
        turn.outcome.notice = turn.t("stu-q-already")
        return
    if turn.data.get("pos") != pos:
        turn.data["pos"], turn.data["sel"] = pos, []
    selected = {int(i) for i in turn.data.get("sel", [])}
    if 0 <= idx < len(q.options):
        selected ^= {idx}
    turn.data["sel"] = sorted(selected)
    # redraw the same message with the marks; its keyboard stays in use
    turn.outcome.edit_pressed = True
    turn.outcome.button_accepted = False
    turn.add(_exam_reply(turn, view, sorted(selected)))


def result_text(turn: Turn, result: ExamResult) -> str:
    t = turn.t
    lines = []
    if result.already_submitted:
        lines.append(t("stu-result-already"))
    lines.append(
        t(
            "stu-result-score",
            number=result.attempt_no,
            correct=result.correct,
            total=result.total,
            percent=_percent(result.correct, result.total),
            mark=result.pass_mark_percent,
        )
    )
    if result.passed:
        lines.append(t("stu-result-passed"))
        if result.hours_credited is not None:
            key = "stu-result-hours-makeup" if result.makeup else "stu-result-hours"
            lines.append(t(key, hours=format_hours(result.hours_credited), year=result.year))
    else:
        lines.append(t("stu-result-failed"))
        if result.attempts_left > 0:
            lines.append(t("stu-result-left", left=result.attempts_left))
        else:
            lines.append(t("stu-result-none-left"))
    return "\n".join(lines)


async def _submit(turn: Turn, pid: int, aid: int) -> None:
    try:
        result = await submit(turn.svc, pid, aid)
    except StudyRefused as exc:
        await _exam_refused(turn, pid, exc)
        return
    turn.add(Reply(result_text(turn, result)))
    _go_home(turn)


# ------------------------------------------------------------------------------ remedial


async def _request_remedial(turn: Turn, pid: int) -> None:
    year = turn.data.get("year")
    try:
        notice = await request_remedial(turn.svc, pid, int(year) if year else None)
    except StudyRefused as exc:  # ExamRefused, or closed
        turn.say("stu-refused", reason=refusal_text(turn, exc))
        _go_home(turn)
        return
    extra = turn.ctx.policies[notice.year].exam.remedial_attempts
    if notice.created:
        for account_id in notice.admin_account_ids:
            # in this turn's transaction: the administrators hear of it only if it committed
            queue_notice(
                turn.session,
                account_id=account_id,
                key="stu-remedial-admin",
                now=turn.now,
                args={
                    "name": notice.person_name,
                    "masked": notice.person_masked,
                    "year": notice.year,
                    "extra": extra,
                },
                buttons=(
                    ("stu-btn-approve", f"{REMEDIAL_CALLBACK}:ok:{notice.request_id}"),
                    ("stu-btn-decline", f"{REMEDIAL_CALLBACK}:no:{notice.request_id}"),
                ),
            )
        turn.say("stu-remedial-sent", year=notice.year, extra=extra)
    else:
        turn.say("stu-remedial-pending", year=notice.year)
    _go_home(turn)


async def remedial_decision(turn: Turn, rest: str) -> None:
    """An administrator's approve/decline button ("rm:ok:<request>"): the service checks the
    role and that nobody decided first."""
    turn.outcome.button_accepted = True
    verdict, _, number = rest.partition(":")
    if verdict not in ("ok", "no") or not number.isdigit():
        turn.outcome.notice = turn.t("btn-unknown")
        turn.say("btn-unknown", buttons=main_menu(turn))
        return
    try:
        decision = await decide_remedial(
            turn.svc,
            int(number),
            approve=verdict == "ok",
            actor=actor_of(turn.account),
            admin_account_id=turn.account.id,
        )
    except StudyRefused as exc:
        turn.say("stu-refused", reason=refusal_text(turn, exc), buttons=main_menu(turn))
        return
    if decision.already_decided:
        key = "stu-remedial-was-approved" if decision.approved else "stu-remedial-was-declined"
        turn.say(key, year=decision.year, buttons=main_menu(turn))
        return
    # the person was told by the service, in the deciding transaction
    key = "stu-remedial-done-approved" if decision.approved else "stu-remedial-done-declined"
    turn.say(key, year=decision.year, extra=decision.extra_attempts, buttons=main_menu(turn))


# ------------------------------------------------------------------------------ electives


def _to_electives(turn: Turn, year: Any = None) -> None:
    """The electives list; `year` keeps it on the year being studied (a make-up year stays on
    screen once completed, instead of the next year that the services would now offer)."""
    if year:
        _enter(turn, "electives", year=int(year))
    else:
        _enter(turn, "electives")


async def _electives_prompt(turn: Turn) -> Reply:
    pid = await _bound(turn)
    if pid is None:
        return _not_bound(turn)
    t = turn.t
    pinned = turn.data.get("year")
    try:
        view = await electives(turn.svc, pid, int(pinned) if pinned else None)
    except StudyRefused as exc:
        turn.finish()
        return Reply(refusal_text(turn, exc), _study_buttons(turn))
    policy = turn.ctx.policies[view.year]
    lines = [
        t(
            "stu-el-title",
            year=view.year,
            done=view.completed,
            total=view.total,
            hours=format_hours(policy.elective_hours),
        )
    ]
    if view.year != turn.today.year:
        lines.append(t("stu-el-makeup", year=view.year))
    if view.credited:
        lines.append(t("stu-home-electives-credited", hours=format_hours(policy.elective_hours)))
    if not view.total:
        lines.append(t("stu-el-none", year=view.year))
    offered: list[list[Any]] = []
    rows: list[tuple[Button, ...]] = []
    for group in view.groups:
        lines.append(t("stu-el-topic", topic=group.topic or t("stu-el-no-topic")))
        for course in group.courses:
            mark = "✅" if course.completed else "▫️"
            lines.append(f"  {mark} {course.title}")
            rows.append((turn.step_button(f"{mark} {course.title}", f"c{len(offered)}"),))
            offered.append([course.id, course.title, course.next_seq or 0, course.completed])
    if view.total and view.completed < view.total:
        lines.append(t("stu-el-how"))
    elif view.credited:
        # this year is done: say which year's electives come next, if another is open
        upcoming = await _next_electives_year(turn, pid, view.year)
        if upcoming is not None:
            lines.append(t("stu-el-next", year=upcoming))
            rows.append((turn.step_button(t("stu-btn-electives-year", year=upcoming), "next"),))
    turn.data["ecs"] = offered
    turn.data["year"] = view.year
    rows.append((turn.step_button(t("stu-btn-back-study"), "back"),))
    return Reply("\n".join(lines), tuple(rows))


async def _next_electives_year(turn: Turn, pid: int, year: int) -> int | None:
    """The year whose electives the person studies now, when it is not `year`."""
    try:
        current = await electives(turn.svc, pid)
    except StudyRefused:
        return None
    return current.year if current.year != year and not current.credited else None


async def _electives_pick(turn: Turn, event: Event) -> None:
    pid = await _person_id(turn)
    if pid is None:
        return
    offered = list(turn.data.get("ecs", []))
    value = event.data
    if value == "next":
        _to_electives(turn)  # the year the services offer now
        return
    index = int(value[1:]) if value[:1] == "c" and value[1:].isdigit() else -1
    if not 0 <= index < len(offered):
        _go_home(turn)
        return
    cid, title, next_seq, completed = offered[index]
    year = int(turn.data.get("year", 0))
    if not completed and not next_seq:
        # every chapter read, the check not yet passed: re-read the course, or take the check
        _enter(turn, "elective", cid=int(cid), ct=str(title), year=year)
        return
    _enter(
        turn, "chapter", cid=int(cid), seq=int(next_seq) or 1, ct=str(title), kind="e", year=year
    )


async def _elective_prompt(turn: Turn) -> Reply:
    """An elective whose chapters are all read and whose check is not passed (yet)."""
    t = turn.t
    failed = bool(turn.data.get("failed"))
    title = str(turn.data.get("ct", ""))
    key = "stu-el-retry" if failed else "stu-el-check-ready"
    check = "stu-btn-check-again" if failed else "stu-btn-check"
    return Reply(
        t(key, title=title),
        (
            (turn.step_button(t("stu-btn-reread-elective"), "reread"),),
            (turn.step_button(t(check), "check"),),
            (turn.step_button(t("stu-btn-back-electives"), "back"),),
        ),
    )


async def _elective_pick(turn: Turn, event: Event) -> None:
    pid = await _person_id(turn)
    if pid is None:
        return
    cid, title = int(turn.data.get("cid", 0)), str(turn.data.get("ct", ""))
    year = int(turn.data.get("year", 0))
    if event.data == "reread":
        # from the first chapter; the last one's "read" leads to the check again
        _enter(turn, "chapter", cid=cid, seq=1, ct=title, kind="e", year=year)
    elif event.data == "check":
        await _start_check(turn, pid, cid, title, year)
    else:
        _to_electives(turn, year)


async def _elective_completed(turn: Turn, pid: int, title: str, year: int) -> None:
    turn.say("stu-el-course-done", title=title)
    await _say_electives_credit(turn, pid, year, credited_now=None)
    _to_electives(turn, year)


async def _say_electives_credit(
    turn: Turn, pid: int, year: int, *, credited_now: bool | None
) -> None:
    """After an elective of `year` is completed: all of that year's done? (`credited_now`
    from the check's result, or None to look it up). The year is the course's own: once a
    make-up year is credited, the services offer the next year, which is not what was done."""
    try:
        view = await electives(turn.svc, pid, year or None)
    except StudyRefused:
        return
    hours = format_hours(turn.ctx.policies[view.year].elective_hours)
    if view.total and view.completed == view.total:
        if credited_now or (credited_now is None and view.credited):
            key = "stu-el-all-done-makeup" if view.year != turn.today.year else "stu-el-all-done"
            turn.say(key, hours=hours, year=view.year)
    else:
        turn.say("stu-el-remaining", left=view.total - view.completed, hours=hours)


async def _start_check(turn: Turn, pid: int, cid: int, title: str, year: int) -> None:
    try:
        questions = await elective_check(turn.svc, pid, cid)
    except StudyRefused as exc:
        turn.say("stu-refused", reason=refusal_text(turn, exc))
        _to_electives(turn, year)
        return
    if not questions:  # completed when its last chapter was read
        await _elective_completed(turn, pid, title, year)
        return
    turn.say("stu-check-intro", title=title, count=len(questions))
    _enter(
        turn,
        "check",
        cid=cid,
        ct=title,
        year=year,
        qids=[q.id for q in questions],
        pos=0,
        ans={},
        sel=[],
    )


async def _check_questions(turn: Turn, pid: int) -> list[CheckQuestion] | None:
    """The check's questions as they were when it started; None (after saying why) when they
    changed meanwhile or the check is refused: it starts again from the list."""
    cid = int(turn.data.get("cid", 0))
    try:
        questions = await elective_check(turn.svc, pid, cid)
    except StudyRefused as exc:
        turn.say("stu-refused", reason=refusal_text(turn, exc))
        return None
    if [q.id for q in questions] != [int(i) for i in turn.data.get("qids", [])]:
        turn.say("stu-check-changed")
        return None
    return questions


def _check_reply(turn: Turn, questions: list[CheckQuestion]) -> Reply:
    t = turn.t
    pos = int(turn.data.get("pos", 0))
    q = questions[pos]
    head = t(
        "stu-check-head",
        course=str(turn.data.get("ct", "")),
        number=pos + 1,
        total=len(questions),
        kind=t(f"stu-kind-{q.kind}"),
    )
    selected = [int(i) for i in turn.data.get("sel", [])]
    return _question_reply(
        turn, head, q.kind, q.text, q.options, pos, selected, t("stu-btn-back-electives")
    )


async def _check_prompt(turn: Turn) -> Reply:
    pid = await _bound(turn)
    if pid is None:
        return _not_bound(turn)
    questions = await _check_questions(turn, pid)
    if questions is None or int(turn.data.get("pos", 0)) >= len(questions):
        turn.finish()
        return Reply(turn.t("stu-check-again"), _study_buttons(turn))
    return _check_reply(turn, questions)


async def _check_pick(turn: Turn, event: Event) -> None:
    pid = await _person_id(turn)
    if pid is None:
        return
    year = int(turn.data.get("year", 0))
    if event.data == "back":
        _to_electives(turn, year)
        return
    parsed = _parse_choice(event.data)
    current = int(turn.data.get("pos", 0))
    if parsed is None or parsed[1] != current:
        turn.outcome.notice = turn.t("stu-q-already")
        return
    op, pos, idx = parsed
    questions = await _check_questions(turn, pid)
    if questions is None or pos >= len(questions):
        _to_electives(turn, year)
        return
    q = questions[pos]
    if op == "t":
        selected = {int(i) for i in turn.data.get("sel", [])}
        if idx is not None and 0 <= idx < len(q.options):
            selected ^= {idx}
        turn.data["sel"] = sorted(selected)
        turn.outcome.edit_pressed = True
        turn.outcome.button_accepted = False
        turn.add(_check_reply(turn, questions))
        return
    chosen = [idx] if idx is not None else [int(i) for i in turn.data.get("sel", [])]
    if not chosen:
        turn.outcome.button_accepted = False
        turn.outcome.notice = turn.t("stu-q-pick-one")
        return
    answers = dict(turn.data.get("ans", {}))
    answers[str(pos)] = chosen
    if pos + 1 < len(questions):
        turn.data.update(ans=answers, pos=pos + 1, sel=[])
        turn.goto(FLOW, "check")  # a new nonce: this question's buttons are used up
        return
    cid = int(turn.data.get("cid", 0))
    title = str(turn.data.get("ct", ""))
    by_id = {questions[int(p)].id: list(c) for p, c in answers.items()}
    try:
        result = await submit_elective_check(turn.svc, pid, cid, by_id)
    except StudyRefused as exc:
        turn.say("stu-refused", reason=refusal_text(turn, exc))
        _to_electives(turn, year)
        return
    if result.passed:
        turn.say("stu-check-passed", title=title, correct=result.correct, total=result.total)
        await _say_electives_credit(turn, pid, year, credited_now=result.electives_credited)
        _to_electives(turn, year)
        return
    policy = turn.ctx.policies.get(year)
    mark = policy.exam.pass_mark_percent if policy is not None else 0
    turn.say("stu-check-failed", mark=mark, correct=result.correct, total=result.total)
    # as the message says: re-read the course, or take the check again
    _enter(turn, "elective", cid=cid, ct=title, year=year, failed=True)


# ------------------------------------------------------------------------------ stale buttons

# the home screen's exam buttons, answered from the exam's state as it is now
_EXAM_VALUES = ("start", "resume", "remedial")


async def _stale_tap(turn: Turn, tap: StaleTap) -> bool:
    """An old button of the study screens leads to where the person is now: the exam's
    current question while an attempt is open; "the attempts are used, ask for 补学补考" when
    they are spent; the study screen otherwise. False: the current study step is shown again
    (the router's default) when the person is still in these screens."""
    if tap.step == "exam" or (tap.step == "home" and tap.value in _EXAM_VALUES):
        pid = await _person_id(turn)
        if pid is not None:
            await _stale_exam(turn, pid, tap)
        return True
    if turn.flow == FLOW:
        return False
    pid = await _person_id(turn)
    if pid is None:
        return True
    electives_tap = tap.step in ("electives", "elective", "check") or tap.memo.get("kind") == "e"
    if electives_tap or (tap.step == "home" and tap.value == "electives"):
        turn.say("stu-stale-electives")
        _to_electives(turn, tap.memo.get("year"))
    else:
        turn.say("stu-stale-study")
        _go_home(turn)
    return True


async def _stale_exam(turn: Turn, pid: int, tap: StaleTap) -> None:
    year = tap.memo.get("year")
    try:
        status = await exam_status(turn.svc, pid, int(year) if year else None)
    except StudyRefused:
        turn.say("stu-stale-study")
        _go_home(turn)  # the study screen says what is open
        return
    if status.in_progress_id is not None:
        turn.say("stu-stale-exam")
        on_screen = turn.flow == FLOW and turn.step == "exam"
        if on_screen and turn.data.get("aid") == status.in_progress_id:
            turn.entered = True  # the question on screen again, its buttons still valid
        else:
            _enter(turn, "exam", aid=status.in_progress_id, year=status.year, sel=[])
        return
    if status.passed:
        turn.say("stu-stale-exam-passed", year=status.year)
    elif status.attempts_left == 0:
        policy = turn.ctx.policies[status.year]
        pending = status.remedial_pending
        turn.say(
            "stu-stale-no-attempts-pending" if pending else "stu-stale-no-attempts",
            year=status.year,
            used=status.attempts_used,
            extra=policy.exam.remedial_attempts,
        )
    elif tap.step == "exam":
        turn.say("stu-stale-exam-ended")
    else:
        turn.say("stu-stale-study")
    # the study screen: its buttons are the current ones (申请补学补考 among them)
    _go_home(turn)


STUDY = Flow(
    name=FLOW,
    first="home",
    steps={
        "home": Step(prompt=_home_prompt, accepts=BUTTONS, handle=_home_pick),
        "chapter": Step(prompt=_chapter_prompt, accepts=BUTTONS, handle=_chapter_pick),
        "exam": Step(prompt=_exam_prompt, accepts=BUTTONS, handle=_exam_pick),
        "electives": Step(prompt=_electives_prompt, accepts=BUTTONS, handle=_electives_pick),
        "elective": Step(prompt=_elective_prompt, accepts=BUTTONS, handle=_elective_pick),
        "check": Step(prompt=_check_prompt, accepts=BUTTONS, handle=_check_pick),
    },
    on_stale=_stale_tap,
    remember=("aid", "year", "kind"),
)

FEATURE = register(
    Feature(
        name="study",
        flows=(STUDY,),
        actions={"study": show_study, "exam": show_exam},
        commands={"study": "study", "exam": "exam"},
        callbacks={REMEDIAL_CALLBACK: remedial_decision},
    )
)
