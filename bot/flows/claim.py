"""Professional-hour claims, the claimant's side (📝 申报学时, `/claim`).

"claims" shows the person's claims of the years open for claiming (this year; last year until
31 March), each with its state (pending, approved, rejected with the reason, withdrawn) and
hours, and the buttons: new claim ("cl:new"), withdraw a pending one ("cl:wd:<id>", asks to
confirm) and back. These callbacks stay valid on older messages; each press re-checks on the
server that the claim is the pressing account's own person's and still pending
(services.claims.withdraw_claim).

The guided claim is the flow "claim"; its draft lives in the conversation state (turn.data, see
services.claim_drafts), so a restart resumes at the same step. Steps: year (buttons, only the
open years), category (buttons, saying how each counts), title, organiser, start and end dates
(typed), hours (or half days for a category counted in half days), evidence (photos or PDFs,
stored by content hash as they arrive, up to MAX_EVIDENCE_PER_CLAIM), the pledge 本人承诺属实,
and a summary. Every answer is checked by the claim's own rules (services.claims.check_draft)
as it is given; a bad one gets a polite reason and the same question again. From the summary
each field can be edited; after an edit the whole draft is checked again and the person goes
to whatever the edit made wrong (a date outside a newly chosen year), else back to the summary.
Confirming calls submit_claim once: the confirmation leaves the flow, so a second press of the
same button is stale and two presses at once conflict on the conversation state (one wins).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.flows import claim_reading as reading
from bot.flows.base import (
    BUTTONS,
    PAUSED,
    TEXT_OR_BUTTONS,
    Button,
    Event,
    Flow,
    Keyboard,
    Reply,
    Step,
    Turn,
)
from bot.flows.features import Feature, register
from bot.flows.keyboards import back_to_menu, main_menu
from core.hours import format_hours
from core.idnumber import contains_id_number
from core.rules import ClaimCategory, Counting, RecordStatus
from services.accounts import bound_person
from services.claim_drafts import (
    category_of,
    check_fields,
    clean_hours_text,
    evidence_ids,
    open_years,
    parse_claim_date,
    parse_half_days,
    step_problems,
    submit_draft,
)
from services.claims import (
    ClaimRefused,
    ClaimView,
    DraftProblem,
    list_claims,
    reason_text,
    reviewer_sets_hours,
    withdraw_claim,
)
from services.evidence import (
    ALLOWED_TYPES,
    MAX_EVIDENCE_BYTES,
    MAX_EVIDENCE_PER_CLAIM,
    MIN_EVIDENCE_PER_CLAIM,
    PDF,
    EvidenceRefused,
    store_evidence,
)
from services.evidence_checks import stored_reading
from storage.models import Person

log = logging.getLogger(__name__)

FLOW = "claim"
WITHDRAW = "claimwd"
CALLBACK = "cl"  # "cl:new", "cl:wd:<claim id>"
FILE_TEXT_OR_BUTTONS = frozenset({"file", "text", "button"})
FILE_OR_BUTTONS = frozenset({"file", "button"})  # the year: or the evidence first
MAX_LISTED = 15  # claims on the screen (a Telegram message holds 4096 characters)
MAX_WITHDRAW_BUTTONS = 8
TITLE_SHOWN = 40  # characters of a title in the list
MAX_MB = MAX_EVIDENCE_BYTES // (1024 * 1024)
# a document Telegram could not type: downloaded, and its first bytes decide
_UNTYPED = frozenset({"application/octet-stream", "binary/octet-stream"})
_DONE_WORDS = frozenset({"完成", "好了", "done", "ok"})
# the step that asks again for what a services.claims.DraftProblem names
_PROBLEM_STEP = {
    "year": "year",
    "category": "category",
    "title": "title",
    "organiser": "organiser",
    "dates": "start",
}
# the fields editable from the summary ("e_<field>" buttons) and the step that asks for each
_EDITS = {
    "year": "year",
    "category": "category",
    "title": "title",
    "organiser": "organiser",
    "dates": "start",
    "hours": "hours",
    "evidence": "evidence",
}


# ------------------------------------------------------------------ the "my claims" screen


def _not_bound(turn: Turn) -> None:
    turn.finish()
    turn.say(
        "clm-not-bound",
        buttons=((Button(turn.t("bind-start-button"), "m:start"),), back_to_menu(turn)),
    )


def _short(text: str) -> str:
    return text if len(text) <= TITLE_SHOWN else text[: TITLE_SHOWN - 1] + "…"


def _category_name(turn: Turn, code: str | None, year: int) -> str:
    category = category_of(turn.ctx, year, code or "")
    if category is None:
        return code or "-"
    return category.name_en if turn.t.language == "en" else category.name_zh


def _claim_lines(turn: Turn, view: ClaimView) -> list[str]:
    t = turn.t
    lines = [
        t(
            "clm-list-item",
            id=view.id,
            title=_short(view.title),
            year=str(view.year),
            category=_category_name(turn, view.category, view.year),
        )
    ]
    status = t(f"claim-status-{view.status}")
    hours = format_hours(view.hours)
    if view.status == RecordStatus.REJECTED.value:
        reason = reason_text(view.decision_reason, t) or "-"
        lines.append(t("clm-list-rejected", hours=hours, status=status, reason=reason))
    elif view.status == RecordStatus.PENDING.value and view.reviewer_sets_hours:
        lines.append(t("clm-list-proposed", hours=hours, status=status))
    else:
        lines.append(t("clm-list-state", hours=hours, status=status))
    if view.verification_closed:
        policy = turn.ctx.policies.get(view.year)
        deadline = policy.verification_deadline.isoformat() if policy else "-"
        lines.append(t("claim-flag-verification-closed", year=str(view.year), deadline=deadline))
    return lines


async def _screen(turn: Turn, person: Person) -> Reply:
    t = turn.t
    years = open_years(turn.svc)
    claims = [v for v in await list_claims(turn.svc, person.id) if v.year in years]
    parts = [t("clm-title")]
    if years:
        parts.append(t("clm-open-years", years=", ".join(str(y) for y in years)))
    else:
        parts.append(t("clm-no-open-year"))
    if not claims:
        parts.append(t("clm-none"))
    for view in claims[:MAX_LISTED]:
        parts.extend(_claim_lines(turn, view))
    if len(claims) > MAX_LISTED:
        parts.append(t("clm-more", count=len(claims) - MAX_LISTED))
    rows: list[tuple[Button, ...]] = []
    paused = _paused_draft(turn)
    if years and paused is not None:
        what = str(paused.get("title") or paused.get("year") or "")
        label = t("clm-resume-button", what=_short(what)) if what else t("clm-resume-plain")
        rows.append((Button(label, f"{CALLBACK}:resume"),))
    if years:
        rows.append((Button(t("clm-new-button"), f"{CALLBACK}:new"),))
    pending = [v for v in claims if v.status == RecordStatus.PENDING.value]
    withdraw = [
        Button(t("clm-withdraw-button", id=v.id), f"{CALLBACK}:wd:{v.id}")
        for v in pending[:MAX_WITHDRAW_BUTTONS]
    ]
    rows.extend(tuple(withdraw[i : i + 2]) for i in range(0, len(withdraw), 2))
    rows.append(back_to_menu(turn))
    return Reply("\n".join(parts), tuple(rows))


async def show_claims(turn: Turn, _args: str = "") -> None:
    person = await bound_person(turn.session, turn.account)
    if person is None:
        _not_bound(turn)
        return
    turn.add(await _screen(turn, person))


async def _start_new(turn: Turn, person: Person) -> None:
    if person.unit_id is None:
        turn.say("claim-refused-no_unit")
        turn.add(await _screen(turn, person))
        return
    if not open_years(turn.svc):
        turn.say("clm-no-open-year")
        turn.add(await _screen(turn, person))
        return
    turn.data = {}
    turn.goto(FLOW, "year")


async def _ask_withdraw(turn: Turn, person: Person, record_id: int) -> None:
    view = next((v for v in await list_claims(turn.svc, person.id) if v.id == record_id), None)
    if view is None:  # not this person's claim (or none): nothing about it is said
        turn.say("claim-refused-not_found")
        turn.add(await _screen(turn, person))
        return
    if view.status != RecordStatus.PENDING.value:
        turn.say("claim-refused-not_pending")
        turn.add(await _screen(turn, person))
        return
    turn.data = {"record": view.id, "title": _short(view.title)}
    turn.goto(WITHDRAW, "confirm")


def _unknown_button(turn: Turn) -> None:
    turn.outcome.notice = turn.t("btn-unknown")
    turn.add(Reply(turn.t("btn-unknown"), main_menu(turn)))


def _paused_draft(turn: Turn) -> dict[str, Any] | None:
    """The draft of a claim left by a menu button (router._menu_action), if any."""
    paused = turn.data.get(PAUSED)
    if not isinstance(paused, dict) or paused.get("flow") != FLOW:
        return None
    data = paused.get("data")
    return data if isinstance(data, dict) and paused.get("step") in CLAIM_STEPS else None


async def _resume(turn: Turn, person: Person, paused: dict[str, Any] | None) -> None:
    if paused is None or not isinstance(paused.get("data"), dict):
        turn.say("clm-resume-gone")
        turn.add(await _screen(turn, person))
        return
    turn.data = dict(paused["data"])
    turn.data.pop("ocr_pending", None)  # a reading that was running then is not awaited
    turn.say("clm-resumed")
    turn.goto(FLOW, str(paused["step"]))


async def claims_button(turn: Turn, rest: str) -> None:
    """ "cl:new", "cl:resume" and "cl:wd:<id>", always for the pressing account's own
    person."""
    paused = turn.data.get(PAUSED) if _paused_draft(turn) is not None else None
    turn.finish()
    person = await bound_person(turn.session, turn.account)
    if person is None:
        _not_bound(turn)
        return
    action, _, arg = rest.partition(":")
    if action == "new" and not arg:
        await _start_new(turn, person)
    elif action == "resume" and not arg:
        await _resume(turn, person, paused)
    elif action == "wd" and arg.isdigit() and len(arg) <= 12:
        await _ask_withdraw(turn, person, int(arg))
    else:
        _unknown_button(turn)


async def _withdraw_prompt(turn: Turn) -> Reply:
    t = turn.t
    return Reply(
        t(
            "clm-withdraw-confirm",
            id=int(turn.data.get("record") or 0),
            title=str(turn.data.get("title") or ""),
        ),
        (
            (
                turn.step_button(t("clm-withdraw-yes"), "yes"),
                turn.step_button(t("clm-withdraw-no"), "no"),
            ),
        ),
    )


async def _withdraw_answer(turn: Turn, event: Event) -> None:
    record_id = int(turn.data.get("record") or 0)
    turn.finish()
    person = await bound_person(turn.session, turn.account)
    if person is None:
        _not_bound(turn)
        return
    if event.data != "yes":
        turn.say("clm-withdraw-kept")
    else:
        try:
            view = await withdraw_claim(turn.svc, person.id, record_id)
        except ClaimRefused as exc:
            turn.say(f"claim-refused-{exc.reason}")
        else:
            turn.say("clm-withdrawn", id=view.id, title=_short(view.title))
    turn.add(await _screen(turn, person))


# ------------------------------------------------------------------ the guided claim: helpers


def _year(turn: Turn) -> int:
    return int(turn.data.get("year") or 0)


def _category(turn: Turn) -> ClaimCategory | None:
    return category_of(turn.ctx, _year(turn), str(turn.data.get("category") or ""))


def _cap(turn: Turn) -> str:
    policy = turn.ctx.policies.get(_year(turn))
    if policy is None:
        return "-"
    return format_hours(policy.max_hours_for(str(turn.data.get("category") or "") or None))


def _controls(turn: Turn) -> tuple[tuple[Button, ...], ...]:
    """Back to the summary (while editing a draft that is whole), and cancel."""
    t = turn.t
    rows: list[tuple[Button, ...]] = []
    if turn.data.get("_edit") and check_fields(turn.svc, turn.data).ok and evidence_ids(turn.data):
        rows.append((turn.step_button(t("clm-back-summary"), "back"),))
    rows.append((turn.step_button(t("clm-cancel"), "cancel"),))
    return tuple(rows)


def _current(turn: Turn, key: str) -> list[str]:
    """ "Now: …" under a question being edited."""
    value = turn.data.get(key)
    return [turn.t("clm-current", value=str(value))] if turn.data.get("_edit") and value else []


def _problem_step(turn: Turn, problem: DraftProblem) -> str:
    if problem.step == "hours":
        return "halfdays" if turn.data.get("half_days") is not None else "hours"
    return _PROBLEM_STEP.get(problem.step, "summary")


def _say_problems(turn: Turn, problems: Sequence[DraftProblem]) -> None:
    for problem in problems:
        turn.say(f"claim-problem-{problem.reason}", **problem.args)


def _again(turn: Turn) -> None:
    """Ask the same question again (after a refusal), its buttons still valid."""
    turn.entered = True


def _refused(turn: Turn, problems: Sequence[DraftProblem]) -> bool:
    """Say the problems of an answer; a closed year sends the person back to the year."""
    if not problems:
        return False
    _say_problems(turn, problems)
    if any(p.step == "year" for p in problems):
        turn.goto(FLOW, "year")
    else:
        _again(turn)
    return True


def _next_after_fields(turn: Turn) -> None:
    """After an edit: the first thing the edit made wrong, else the summary."""
    check = check_fields(turn.svc, turn.data)
    if check.problems:
        first = check.problems[0]
        _say_problems(turn, [first])
        turn.goto(FLOW, _problem_step(turn, first))
    elif len(evidence_ids(turn.data)) < MIN_EVIDENCE_PER_CLAIM:
        turn.goto(FLOW, "evidence")
    elif not turn.data.get("pledged"):
        turn.goto(FLOW, "pledge")
    else:
        turn.goto(FLOW, "summary")


def _advance(turn: Turn, following: str) -> None:
    """The answer was taken: the next question, or back to the summary when editing."""
    if turn.data.get("_edit"):
        _next_after_fields(turn)
    else:
        turn.goto(FLOW, following)


Handler = Callable[[Turn, Event], Awaitable[None]]


def _guarded(handle: Handler) -> Handler:
    """Every step: the shared buttons (cancel, back to the summary), and the account must
    still be bound to a person (they may have left the binding meanwhile)."""

    async def run(turn: Turn, event: Event) -> None:
        person = await bound_person(turn.session, turn.account)
        if person is None:
            _not_bound(turn)
            return
        if event.kind == "button" and event.data == "cancel":
            turn.finish()
            turn.say("clm-cancelled")
            turn.add(await _screen(turn, person))
            return
        if event.kind == "button" and event.data == "back":
            _next_after_fields(turn)
            return
        file_id = reading.read_event_file(event.data) if event.kind == "button" else None
        if file_id is not None:
            await _reading_ready(turn, file_id)
            return
        await handle(turn, event)

    return run


def _stale_value(turn: Turn) -> None:
    turn.outcome.notice = turn.t("btn-stale")
    turn.say("btn-stale")
    _again(turn)


def _has_id_number(turn: Turn, text: str) -> bool:
    if contains_id_number(text):
        turn.say("clm-no-id-number")
        _again(turn)
        return True
    return False


# ------------------------------------------------------------------ year and category


async def _year_prompt(turn: Turn) -> Reply:
    t = turn.t
    years = open_years(turn.svc)
    buttons: list[tuple[Button, ...]] = []
    for year in years:
        policy = turn.ctx.policies[year]
        if year < turn.today.year:  # last year, open until its registration deadline
            label = t(
                "clm-year-last-button",
                year=str(year),
                deadline=policy.registration_deadline.isoformat(),
            )
        else:
            label = t("clm-year-button", year=str(year))
        buttons.append((turn.step_button(label, f"y{year}"),))
    text = t("clm-ask-year") if years else t("clm-no-open-year")
    if years and reading.reading_enabled() and not _evidence_items(turn):
        text += "\n" + t("ocr-year-hint")
    return Reply(text, (*buttons, *_controls(turn)))


async def _take_year(turn: Turn, event: Event) -> None:
    if event.kind == "file":  # the evidence first: read it, then the questions
        await _take_file(turn, event)
        return
    value = event.data
    if not (value.startswith("y") and value[1:].isdigit() and len(value) == 5):
        _stale_value(turn)
        return
    year = int(value[1:])
    problems = step_problems(turn.svc, turn.data, "year", year=year)
    if problems:  # no longer open (31 March passed since the buttons were shown)
        _say_problems(turn, problems)
        turn.goto(FLOW, "year")
        return
    turn.data["year"] = year
    _advance(turn, "category")


def _counting_line(turn: Turn, category: ClaimCategory) -> str:
    t = turn.t
    name = _category_name(turn, category.code, _year(turn))
    if reviewer_sets_hours(category):
        return t("clm-count-reviewer", name=name)
    if category.counting is Counting.ACTUAL_HOURS and category.half_day_hours is not None:
        return t("clm-count-half-days", name=name, hours=format_hours(category.half_day_hours))
    return t("clm-count-actual", name=name)


async def _category_prompt(turn: Turn) -> Reply:
    t = turn.t
    policy = turn.ctx.policies.get(_year(turn))
    categories = policy.categories if policy is not None else ()
    lines = [t("clm-ask-category", year=str(_year(turn)))]
    lines += [t("clm-category-line", line=_counting_line(turn, c)) for c in categories]
    if turn.data.get("_edit") and turn.data.get("category"):
        current = _category_name(turn, str(turn.data["category"]), _year(turn))
        lines.append(t("clm-current", value=current))
    buttons = tuple(
        (turn.step_button(_category_name(turn, c.code, _year(turn)), f"c_{c.code}"),)
        for c in categories
        if len(c.code) <= 38 and c.code.replace("_", "").isalnum() and c.code.isascii()
    )
    return Reply("\n".join(lines), (*buttons, *_controls(turn)))


async def _take_category(turn: Turn, event: Event) -> None:
    code = event.data[2:] if event.data.startswith("c_") else ""
    problems = step_problems(turn.svc, turn.data, "category", category=code)
    if not code or problems:
        if any(p.step == "year" for p in problems):
            _refused(turn, problems)
        else:
            _stale_value(turn)
        return
    turn.data["category"] = code
    _advance(turn, "title")


# ------------------------------------------------------------------ title and organiser


async def _title_prompt(turn: Turn) -> Reply:
    found, use = reading.proposal(turn, "title")
    lines = [turn.t("clm-ask-title"), *_current(turn, "title"), *found]
    return Reply("\n".join(lines), (*use, *_controls(turn)))


async def _take_text(turn: Turn, event: Event, key: str, following: str) -> None:
    typed = _typed_or_found(turn, event, key)
    if typed is None:
        _stale_value(turn)
        return
    text = " ".join(typed.split())
    if _has_id_number(turn, text):
        return
    if _refused(turn, step_problems(turn.svc, turn.data, key, **{key: text})):
        return
    turn.data[key] = text
    _advance(turn, following)


async def _take_title(turn: Turn, event: Event) -> None:
    await _take_text(turn, event, "title", "organiser")


async def _organiser_prompt(turn: Turn) -> Reply:
    found, use = reading.proposal(turn, "organiser")
    lines = [turn.t("clm-ask-organiser"), *_current(turn, "organiser"), *found]
    return Reply("\n".join(lines), (*use, *_controls(turn)))


async def _take_organiser(turn: Turn, event: Event) -> None:
    await _take_text(turn, event, "organiser", "start")


# ------------------------------------------------------------------ dates


async def _start_prompt(turn: Turn) -> Reply:
    found, use = reading.proposal(turn, "start")
    lines = [turn.t("clm-ask-start", year=str(_year(turn))), *_current(turn, "start"), *found]
    return Reply("\n".join(lines), (*use, *_controls(turn)))


async def _take_start(turn: Turn, event: Event) -> None:
    typed = _typed_or_found(turn, event, "start")
    if typed is None:
        _stale_value(turn)
        return
    day = parse_claim_date(typed)
    if day is None:
        turn.say("clm-date-invalid")
        _again(turn)
        return
    # the end date is asked next: checked alone, as a one-day activity
    changes: dict[str, Any] = {"start": day.isoformat(), "end": day.isoformat()}
    if _refused(turn, step_problems(turn.svc, turn.data, "dates", **changes)):
        return
    turn.data["start"] = day.isoformat()  # the old end date stays until the next answer
    turn.goto(FLOW, "end")  # dates are edited as a pair: the end date always follows


async def _end_prompt(turn: Turn) -> Reply:
    t = turn.t
    text = t("clm-ask-end", start=str(turn.data.get("start") or ""), year=str(_year(turn)))
    same = turn.step_button(t("clm-same-day"), "same")
    found, use = reading.proposal(turn, "end")
    if found and reading.proposed(turn, "end") == turn.data.get("start"):
        found, use = [], ()  # the evidence says one day: "same day" is that button
    return Reply("\n".join([text, *found]), (*use, (same,), *_controls(turn)))


async def _take_end(turn: Turn, event: Event) -> None:
    start = str(turn.data.get("start") or "")
    if event.kind == "button" and event.data == reading.USE_FOUND:
        end = reading.proposed(turn, "end") or ""
        if not end:
            _stale_value(turn)
            return
    elif event.kind == "button":
        if event.data != "same" or not start:
            _stale_value(turn)
            return
        end = start
    else:
        day = parse_claim_date(event.text)
        if day is None:
            turn.say("clm-date-invalid")
            _again(turn)
            return
        end = day.isoformat()
    if _refused(turn, step_problems(turn.svc, turn.data, "dates", end=end)):
        return
    turn.data["end"] = end
    _advance(turn, "hours")


# ------------------------------------------------------------------ hours


async def _hours_prompt(turn: Turn) -> Reply:
    t = turn.t
    category = _category(turn)
    lines: list[str] = []
    buttons: list[tuple[Button, ...]] = []
    if category is not None and category.half_day_hours is not None:
        lines.append(t("claim-half-day-rule", hours=format_hours(category.half_day_hours)))
        buttons.append((turn.step_button(t("clm-use-half-days"), "halfdays"),))
    if category is not None and reviewer_sets_hours(category):
        lines.append(t("claim-hours-set-by-unit"))
        lines.append(t("clm-ask-hours-proposed", max=_cap(turn)))
    else:
        lines.append(t("clm-ask-hours", max=_cap(turn)))
    if turn.data.get("_edit") and turn.data.get("hours") is not None:
        lines.append(t("clm-current", value=str(turn.data["hours"])))
    found, use = reading.proposal(turn, "hours")
    lines.extend(found)
    return Reply("\n".join(lines), (*use, *buttons, *_controls(turn)))


async def _take_hours(turn: Turn, event: Event) -> None:
    if event.kind == "button" and event.data == reading.USE_FOUND:
        found = reading.proposed(turn, "hours")
        if found is None:
            _stale_value(turn)
            return
        event = Event.message(found)
    if event.kind == "button":
        category = _category(turn)
        if event.data == "halfdays" and category is not None and category.half_day_hours:
            turn.goto(FLOW, "halfdays")
        else:
            _stale_value(turn)
        return
    text = clean_hours_text(event.text)
    problems = step_problems(turn.svc, turn.data, "hours", hours=text, half_days=None)
    if _refused(turn, problems):
        return
    turn.data["hours"] = text
    turn.data.pop("half_days", None)
    _advance(turn, "evidence")


async def _half_days_prompt(turn: Turn) -> Reply:
    t = turn.t
    category = _category(turn)
    policy = turn.ctx.policies.get(_year(turn))
    per = category.half_day_hours if category is not None else None
    most = "-"
    if per and policy is not None:
        most = str(int(policy.max_hours_for(category.code if category else None) // per))
    lines = [t("clm-ask-half-days", hours=format_hours(per) if per else "-", max=most)]
    if turn.data.get("_edit") and turn.data.get("half_days") is not None:
        lines.append(t("clm-current", value=str(turn.data["half_days"])))
    use_hours = turn.step_button(t("clm-use-hours"), "hours")
    return Reply("\n".join(lines), ((use_hours,), *_controls(turn)))


async def _take_half_days(turn: Turn, event: Event) -> None:
    if event.kind == "button":
        if event.data == "hours":
            turn.goto(FLOW, "hours")
        else:
            _stale_value(turn)
        return
    count = parse_half_days(event.text)
    if count is None:
        turn.say("clm-half-days-invalid")
        _again(turn)
        return
    problems = step_problems(turn.svc, turn.data, "hours", half_days=count, hours=None)
    if _refused(turn, problems):
        return
    turn.data["half_days"] = count
    turn.data.pop("hours", None)
    _advance(turn, "evidence")


# ------------------------------------------------------------------ evidence


def _evidence_items(turn: Turn) -> list[dict[str, Any]]:
    return [dict(item) for item in turn.data.get("evidence") or [] if isinstance(item, dict)]


def _evidence_text(turn: Turn, key: str = "clm-evidence-count") -> str:
    items = _evidence_items(turn)
    pdfs = sum(1 for item in items if item.get("mime") == PDF)
    return turn.t(key, count=len(items), images=len(items) - pdfs, pdfs=pdfs)


async def _evidence_prompt(turn: Turn) -> Reply:
    t = turn.t
    count = len(_evidence_items(turn))
    lines = [t("clm-ask-evidence", max=MAX_EVIDENCE_PER_CLAIM, max_mb=MAX_MB)]
    if count:
        lines.append(_evidence_text(turn))
    buttons: list[tuple[Button, ...]] = []
    if count >= MIN_EVIDENCE_PER_CLAIM:
        buttons.append((turn.step_button(t("clm-evidence-done", count=count), "done"),))
    if count:
        buttons.append((turn.step_button(t("clm-evidence-clear"), "clear"),))
    return Reply("\n".join(lines), (*reading.fix_buttons(turn), *buttons, *_controls(turn)))


def _evidence_done(turn: Turn) -> None:
    if len(_evidence_items(turn)) < MIN_EVIDENCE_PER_CLAIM:
        turn.say("clm-evidence-needed", min=MIN_EVIDENCE_PER_CLAIM)
        _again(turn)
        return
    _advance(turn, "pledge")


async def _take_evidence(turn: Turn, event: Event) -> None:
    if event.kind == "button" and event.data.startswith(reading.FIX):
        _apply_fix(turn, event.data[len(reading.FIX) :])
        return
    if event.kind == "button":
        if event.data == "done":
            _evidence_done(turn)
        elif event.data == "clear":
            turn.data["evidence"] = []
            turn.data.pop("ocr_fix", None)
            turn.say("clm-evidence-cleared")
            _again(turn)
        else:
            _stale_value(turn)
        return
    if event.kind == "text":
        if event.text.strip().lower() in _DONE_WORDS:
            _evidence_done(turn)
            return
        turn.say("clm-evidence-send-file")
        _again(turn)
        return
    await _take_file(turn, event)


async def _take_file(turn: Turn, event: Event) -> None:
    t = turn.t
    incoming = event.file
    items = _evidence_items(turn)
    if incoming is None:  # a sticker, a voice message, a location
        turn.say("clm-evidence-send-file")
        _again(turn)
        return
    if len(items) >= MAX_EVIDENCE_PER_CLAIM:
        turn.say("clm-evidence-full", max=MAX_EVIDENCE_PER_CLAIM)
        _again(turn)
        return
    if incoming.size is not None and incoming.size > MAX_EVIDENCE_BYTES:
        turn.say("evidence-refused-too_large", max_mb=MAX_MB)  # not downloaded at all
        _again(turn)
        return
    mime = (incoming.mime or "").lower()
    if mime and mime not in ALLOWED_TYPES and mime not in _UNTYPED:
        turn.say("evidence-refused-type")  # a Word file, a video...: not downloaded
        _again(turn)
        return
    if incoming.fetch is None:
        turn.say("clm-evidence-fetch-failed")
        _again(turn)
        return
    try:
        content = await incoming.fetch()
    except Exception:  # the download failed (network, Telegram): nothing lost, send again
        log.warning("claim evidence could not be downloaded", exc_info=True)
        turn.say("clm-evidence-fetch-failed")
        _again(turn)
        return
    try:
        stored = await store_evidence(turn.svc, content)  # checks type (magic bytes) and size
    except EvidenceRefused as exc:
        turn.say(f"evidence-refused-{exc.reason}", **exc.args_)
        _again(turn)
        return
    if stored.id in evidence_ids(turn.data):
        turn.say("clm-evidence-duplicate")
        _again(turn)
        return
    items.append({"id": stored.id, "mime": stored.mime})
    turn.data["evidence"] = items
    kind = t("clm-kind-pdf") if stored.mime == PDF else t("clm-kind-image")
    turn.say("clm-evidence-received", number=len(items), kind=kind)
    if reading.reading_enabled():
        # a user's turns run one after another, follow-ups included: an earlier file's
        # reading is over by now (or its process stopped), so this file is the one awaited
        reading.start_reading(turn, stored.id, incoming.notify)
    if turn.step == "year":  # the evidence first: the year is asked (or chosen) next
        _again(turn)
        return
    if len(items) >= MAX_EVIDENCE_PER_CLAIM:
        turn.say("clm-evidence-full", max=MAX_EVIDENCE_PER_CLAIM)
        _advance(turn, "pledge")
        return
    _again(turn)


def _typed_or_found(turn: Turn, event: Event, key: str) -> str | None:
    """A question's answer: what was typed, or the evidence's value when its button was
    pressed; None for any other button."""
    if event.kind == "text":
        return event.text
    if event.kind == "button" and event.data == reading.USE_FOUND:
        return reading.proposed(turn, key)
    return None


async def _reading_ready(turn: Turn, file_id: int) -> None:
    """The follow-up read a file of this draft: say what was found and offer it."""
    if turn.data.get("ocr_pending") != file_id:
        return  # the draft moved on (cleared, cancelled and started again): nothing to say
    del turn.data["ocr_pending"]
    found = await stored_reading(turn.session, file_id)
    if found is not None and found.reason == "unreadable":
        # a damaged image is no proof for the reviewer either: out of the draft, send again
        items = [i for i in _evidence_items(turn) if i.get("id") != file_id]
        turn.data["evidence"] = items
        turn.add(Reply(reading.reason_line(turn, found) + "\n" + turn.t("ocr-send-again")))
        _again(turn)
        return
    if found is not None and not found.ok and len(_evidence_items(turn)) > 1:
        _again(turn)  # a further page (a list, a programme) with nothing to offer: no noise
        return
    if found is None or not found.ok:
        lines = [reading.reason_line(turn, found)]
        if turn.step == "year":  # the questions follow, to be answered by hand
            lines.append(turn.t("ocr-manual"))
        turn.add(Reply("\n".join(lines)))
        _again(turn)
        return
    lines = reading.found_lines(turn, found.fields)
    if turn.step == "year":  # the evidence came first: propose each field as it is asked
        proposals = reading.remember_proposals(turn, found.fields)
        turn.add(Reply("\n".join([*lines, turn.t("ocr-each-field")])))
        end = proposals.get("end")
        year = int(end[:4]) if end else None
        if (
            year is not None
            and year in open_years(turn.svc)
            and not step_problems(turn.svc, turn.data, "year", year=year)
        ):
            turn.data["year"] = year
            turn.say("ocr-year-chosen", year=str(year))
            turn.goto(FLOW, "category")
            return
        if year is not None:
            turn.say("ocr-year-not-open", year=str(year))
        _again(turn)
        return
    diffs = reading.differences(turn, found.fields)
    lines.append(turn.t("ocr-differs" if diffs else "ocr-matches"))
    turn.add(Reply("\n".join(lines)))
    _again(turn)


def _apply_fix(turn: Turn, key: str) -> None:
    """At the evidence step: take the evidence's value for one field the person typed."""
    diffs = turn.data.get("ocr_fix")
    if not isinstance(diffs, dict):
        diffs = {}
    value = diffs.get(key)
    if key not in reading.FIXABLE or not isinstance(value, str) or not value:
        _stale_value(turn)
        return
    if key == "dates":
        start, _, end = value.partition("/")
        changes: dict[str, Any] = {"start": start, "end": end}
        problems = step_problems(turn.svc, turn.data, "dates", **changes)
    elif key == "hours":
        changes = {"hours": value}
        problems = step_problems(turn.svc, turn.data, "hours", hours=value, half_days=None)
    else:
        changes = {key: value}
        problems = step_problems(turn.svc, turn.data, key, **changes)
    if problems:  # e.g. the evidence's dates are outside the claim's year
        _say_problems(turn, problems)
        _again(turn)
        return
    turn.data.update(changes)
    if key == "hours":
        turn.data.pop("half_days", None)
    del diffs[key]
    shown = value.replace("/", " — ") if key == "dates" else value
    turn.say("ocr-applied", field=turn.t(f"ocr-label-{key}"), value=shown)
    _again(turn)


# ------------------------------------------------------------------ pledge, summary, confirm


async def _pledge_prompt(turn: Turn) -> Reply:
    t = turn.t
    button = turn.step_button(t("clm-pledge-button"), "pledge")
    return Reply(t("claim-pledge"), ((button,), *_controls(turn)))


async def _take_pledge(turn: Turn, event: Event) -> None:
    if event.data != "pledge":
        _stale_value(turn)
        return
    turn.data["pledged"] = True
    turn.goto(FLOW, "summary")


def _hours_shown(turn: Turn) -> str:
    t = turn.t
    check = check_fields(turn.svc, turn.data)
    if check.hours is None:
        return str(turn.data.get("hours") or turn.data.get("half_days") or "-")
    hours = format_hours(check.hours)
    half_days = turn.data.get("half_days")
    if half_days is not None:
        text = t("clm-hours-half-days", hours=hours, half_days=int(half_days))
    else:
        text = t("clm-hours-value", hours=hours)
    if check.reviewer_sets_hours:
        text += t("clm-hours-proposed-note")
    return text


def summary_text(turn: Turn) -> str:
    t = turn.t
    year = _year(turn)
    category = _category(turn)
    counting = _counting_line(turn, category) if category is not None else "-"
    start, end = str(turn.data.get("start") or "-"), str(turn.data.get("end") or "-")
    lines = [
        t("clm-summary-title"),
        t("clm-summary-year", year=str(year)),
        t("clm-summary-category", value=counting),
        t("clm-summary-title-line", value=str(turn.data.get("title") or "-")),
        t("clm-summary-organiser", value=str(turn.data.get("organiser") or "-")),
        t("clm-summary-dates", start=start, end=end),
        t("clm-summary-hours", value=_hours_shown(turn)),
        t("clm-summary-evidence", value=_evidence_text(turn, "clm-evidence-summary")),
    ]
    if turn.data.get("pledged"):
        lines.append(t("clm-summary-pledged"))
    lines.append(t("clm-summary-ask"))
    return "\n".join(lines)


async def _summary_prompt(turn: Turn) -> Reply:
    t = turn.t
    edit = {field: turn.step_button(t(f"clm-edit-{field}"), f"e_{field}") for field in _EDITS}
    keyboard: Keyboard = (
        (turn.step_button(t("clm-confirm"), "confirm"),),
        (edit["year"], edit["category"]),
        (edit["title"], edit["organiser"]),
        (edit["dates"], edit["hours"]),
        (edit["evidence"],),
        (turn.step_button(t("clm-cancel"), "cancel"),),
    )
    return Reply(summary_text(turn), keyboard)


async def _take_summary(turn: Turn, event: Event) -> None:
    value = event.data
    if value.startswith("e_") and value[2:] in _EDITS:
        turn.data["_edit"] = True
        turn.goto(FLOW, _EDITS[value[2:]])
        return
    if value != "confirm":
        _stale_value(turn)
        return
    await _confirm(turn)


async def _confirm(turn: Turn) -> None:
    person = await bound_person(turn.session, turn.account)
    if person is None:
        _not_bound(turn)
        return
    try:
        view = await submit_draft(turn.svc, person.id, turn.data)
    except ClaimRefused as exc:
        _submit_refused(turn, exc)
        if turn.flow is None:
            turn.add(await _screen(turn, person))
        return
    turn.finish()  # the confirm button is used up: pressing it again is a stale button
    turn.say(
        "clm-submitted",
        id=view.id,
        title=_short(view.title),
        hours=format_hours(view.hours),
        status=turn.t(f"claim-status-{view.status}"),
    )
    turn.add(await _screen(turn, person))


def _submit_refused(turn: Turn, exc: ClaimRefused) -> None:
    turn.data["_edit"] = True  # whatever is put right returns to the summary
    if exc.reason == "invalid":
        problems: Sequence[DraftProblem] = exc.args_.get("problems") or ()
        _say_problems(turn, problems)
        target = _problem_step(turn, problems[0]) if problems else "summary"
        turn.goto(FLOW, target)
    elif exc.reason in ("evidence_count", "evidence_missing"):
        if exc.reason == "evidence_missing":
            turn.data["evidence"] = []
        turn.say(f"claim-refused-{exc.reason}", **exc.args_)
        turn.goto(FLOW, "evidence")
    elif exc.reason == "pledge":
        turn.say("claim-refused-pledge")
        turn.goto(FLOW, "pledge")
    else:  # no_unit, no_person, busy: the draft cannot go on
        turn.finish()
        turn.say(f"claim-refused-{exc.reason}")


def _step(prompt: Callable[[Turn], Awaitable[Reply]], accepts: frozenset[str], fn: Handler) -> Step:
    return Step(prompt=prompt, accepts=accepts, handle=_guarded(fn))


CLAIM_FLOW = Flow(
    name=FLOW,
    resumable=True,
    first="year",
    steps={
        "year": _step(_year_prompt, FILE_OR_BUTTONS, _take_year),
        "category": _step(_category_prompt, BUTTONS, _take_category),
        "title": _step(_title_prompt, TEXT_OR_BUTTONS, _take_title),
        "organiser": _step(_organiser_prompt, TEXT_OR_BUTTONS, _take_organiser),
        "start": _step(_start_prompt, TEXT_OR_BUTTONS, _take_start),
        "end": _step(_end_prompt, TEXT_OR_BUTTONS, _take_end),
        "hours": _step(_hours_prompt, TEXT_OR_BUTTONS, _take_hours),
        "halfdays": _step(_half_days_prompt, TEXT_OR_BUTTONS, _take_half_days),
        "evidence": _step(_evidence_prompt, FILE_TEXT_OR_BUTTONS, _take_evidence),
        "pledge": _step(_pledge_prompt, BUTTONS, _take_pledge),
        "summary": _step(_summary_prompt, BUTTONS, _take_summary),
    },
)

CLAIM_STEPS = frozenset(CLAIM_FLOW.steps)

WITHDRAW_FLOW = Flow(
    name=WITHDRAW,
    first="confirm",
    steps={"confirm": Step(prompt=_withdraw_prompt, accepts=BUTTONS, handle=_withdraw_answer)},
)

FEATURE = register(
    Feature(
        name="claim",
        flows=(CLAIM_FLOW, WITHDRAW_FLOW),
        actions={"claims": show_claims},
        commands={"claim": "claims"},
        callbacks={CALLBACK: claims_button},
    )
)
