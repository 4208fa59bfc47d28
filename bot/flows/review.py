"""Unit review (✅ 审核, /review, and the "rv:queue" button of reminders and digests): a unit's
reviewers see the pending claims of their units, decide each by button, and confirm members
who chose the unit in the bot.

- The queue shows a page of claims: the years still open for verification first, oldest
  first, then closed years' claims under a heading (shown, not decidable). Each claim is one
  message, its card (claimant's name and masked ID number, year, category, title, organiser,
  dates, hours, the service's flags) with its buttons, followed by its evidence files as
  documents. A last message offers "approve all shown" (with a confirmation), the next page
  and the members to confirm; after each decision it comes again with the page's new count.
- A decision edits the pressed card into the decided card: what was decided, by whom, when
  ("已通过 ✅ 12 学时（您于 … 审验）", "已退回：理由（…）"). The reason or the hours are asked
  on the card itself; cancel restores it. After a typed reason or typed hours (no pressed
  message) the decided card comes as a new message.
- A claim's buttons carry its record id ("rv:ok:12", "rv:no:12", "rv:hr:12", "rv:okd:12") and
  stay valid on every message, also a reminder's; the id is only a pointer: services.claims
  checks on every press that the presser is a live reviewer of the claim's unit and not its
  claimant, and decides once however often or by how many it is pressed ("already decided by
  …" to every later press). After the verification deadline the service refuses, and the
  refusal says so.
- Rejecting asks for a reason: one of services.claims.COMMON_REJECTION_REASONS by button, or
  typed text (anything shaped like an ID number is masked before it is stored or sent).
  Categories whose hours the unit sets offer "approve at the claimed hours" and "set hours".
- Every decision is queued in the outbox for the claimant's accounts in the turn's own
  transaction (services.notify.queue_notice): the message exists if and only if the decision
  committed, and the sender delivers it in the claimant's language within sending hours.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from bot.flows import claim_reading
from bot.flows.base import (
    BUTTONS,
    TEXT_OR_BUTTONS,
    Button,
    Event,
    Flow,
    Keyboard,
    OutgoingFile,
    Reply,
    Step,
    Turn,
)
from bot.flows.features import Feature, register
from bot.flows.keyboards import back_to_menu, main_menu
from core.hours import format_hours
from core.idnumber import mask_id_numbers
from core.rules import RecordStatus
from services.claims import (
    COMMON_REJECTION_REASONS,
    ClaimRefused,
    ClaimView,
    DecisionResult,
    QueueItem,
    confirm_member,
    decide,
    decide_many,
    evidence_for_account,
    pending_among,
    reason_text,
    review_item,
    review_queue,
    unconfirmed_members,
)
from services.evidence import JPEG, PDF, PNG, WEBP, EvidenceRefused, evidence_file
from services.notify import queue_notice
from services.policies import SHANGHAI

FLOW = "review"
CALLBACK = "rv"
PAGE = 5  # claims per page: each may bring up to five evidence files
MEMBERS_SHOWN = 20
_NUMBER = re.compile(r"^[0-9]{1,18}$")
_EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}


# ------------------------------------------------------------------------------ helpers


def _plain(args: Mapping[str, Any]) -> dict[str, str | int]:
    """Message arguments from a refusal: numbers and text only (tuples of codes are not
    shown)."""
    out: dict[str, str | int] = {}
    for key, value in args.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | str):
            out[key] = value
        elif isinstance(value, date):
            out[key] = value.isoformat()
    return out


def _refusal_text(turn: Turn, exc: ClaimRefused) -> str:
    return turn.t(f"claim-refused-{exc.reason}", **_plain(exc.args_))


def _refused(turn: Turn, exc: ClaimRefused, rows: Keyboard = ()) -> None:
    text = _refusal_text(turn, exc)
    turn.outcome.notice = text[:190]  # a toast holds 200 characters
    turn.add(Reply(text, (*rows, back_to_menu(turn))))


def _mask_ids(text: str) -> str:
    return mask_id_numbers(text)


def _category(turn: Turn, claim: ClaimView) -> str:
    policy = turn.ctx.policies.get(claim.year)
    category = policy.category(claim.category) if policy and claim.category else None
    if category is None:
        return claim.category or "—"
    return category.name_en if turn.account.language == "en" else category.name_zh


def _dates(turn: Turn, claim: ClaimView) -> str:
    end = claim.completed_on.isoformat()
    if claim.started_on is None or claim.started_on == claim.completed_on:
        return turn.t("rvw-dates-one", date=end)
    return turn.t("rvw-dates-range", start=claim.started_on.isoformat(), end=end)


def _cap(turn: Turn, claim: ClaimView) -> str:
    policy = turn.ctx.policies.get(claim.year)
    return format_hours(policy.max_hours_for(claim.category)) if policy else "—"


def _deadline(turn: Turn, year: int) -> str:
    policy = turn.ctx.policies.get(year)
    return policy.verification_deadline.isoformat() if policy else ""


def _status(turn: Turn, status: str) -> str:
    return turn.t(f"claim-status-{status}")


def _in_flow(turn: Turn) -> None:
    """Entering one of this flow's steps from elsewhere drops the other flow's draft."""
    if turn.flow != FLOW:
        turn.finish()


def _forget(turn: Turn, record_id: int) -> None:
    """A claim decided while a page is open no longer counts for "approve all shown"."""
    if turn.flow == FLOW and isinstance(turn.data.get("shown"), list):
        turn.data["shown"] = [i for i in turn.data["shown"] if i != record_id]


def _back(turn: Turn) -> None:
    """After a decision or a cancel: the open page's last message again, or the menu."""
    if turn.flow == FLOW and turn.data.get("page"):
        turn.goto(FLOW, "queue")
    else:
        turn.finish()
        turn.add(Reply(turn.t("rvw-what-next"), _after_buttons(turn)))


def _after_buttons(turn: Turn) -> Keyboard:
    return ((Button(turn.t("rvw-btn-queue"), f"{CALLBACK}:queue"),), back_to_menu(turn))


# ------------------------------------------------------------------------------ telling


def _tell_claimant(turn: Turn, result: DecisionResult) -> None:
    """One outbox row per account of the claimant, in this turn's transaction."""
    for account_id in result.notify_account_ids:
        if result.status == RecordStatus.APPROVED.value:
            queue_notice(
                turn.session,
                account_id=account_id,
                key="claim-told-approved",
                now=turn.now,
                args={"title": result.title, "hours": format_hours(result.hours)},
                buttons=(("menu-progress", "m:prog"),),
            )
        elif result.reason in COMMON_REJECTION_REASONS:
            # a common reason is stored as its code and told in the claimant's language
            queue_notice(
                turn.session,
                account_id=account_id,
                key="rvw-told-rejected-common",
                now=turn.now,
                args={"title": result.title, "code": result.reason or ""},
                buttons=(("menu-claims", "m:claims"),),
            )
        else:
            queue_notice(
                turn.session,
                account_id=account_id,
                key="claim-told-rejected",
                now=turn.now,
                args={"title": result.title, "reason": result.reason or ""},
                buttons=(("menu-claims", "m:claims"),),
            )


def _already_text(turn: Turn, result: DecisionResult) -> str:
    status = _status(turn, result.status)
    if result.decided_by_name and result.decided_at is not None:
        at = result.decided_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        return turn.t("claim-already-decided", name=result.decided_by_name, at=at, status=status)
    return turn.t("claim-already-decided-unknown", status=status)


def _decision_line(turn: Turn, result: DecisionResult) -> str:
    """What was decided, by whom and when: the last line of a decided card."""
    return _decision_text(
        turn,
        status=result.status,
        hours=result.hours,
        reason=result.reason,
        by=result.decided_by_account,
        by_name=result.decided_by_name,
        at=result.decided_at,
    )


def _decision_text(
    turn: Turn,
    *,
    status: str,
    hours: Fraction,
    reason: str | None,
    by: int | None,
    by_name: str | None,
    at: datetime | None,
) -> str:
    t = turn.t
    who = t("rvw-by-you") if by == turn.account.id else (by_name or t("rvw-by-someone"))
    when = at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if at else "—"
    if status == RecordStatus.APPROVED.value:
        return t("rvw-decided-approved", hours=format_hours(hours), who=who, at=when)
    if status == RecordStatus.REJECTED.value:
        return t("rvw-decided-rejected", reason=reason_text(reason, t), who=who, at=when)
    return _status(turn, status)  # withdrawn by the claimant meanwhile


def _decided(turn: Turn, result: DecisionResult, card: str | None) -> None:
    """Answer the reviewer with the decided card: the claim as it was shown, and what was
    decided. It replaces the message whose button was pressed (the card, or the question
    that asked for a reason or the hours); after typed text it arrives as a new message.
    The claimant is told when this press made the decision."""
    turn.outcome.button_accepted = True  # the claim's buttons are used up
    turn.outcome.edit_pressed = True
    head = f"{card}\n\n" if card else ""
    if result.already_decided:
        text = _already_text(turn, result)
        turn.outcome.notice = text[:190]
        turn.add(Reply(head + _decision_line(turn, result)))
        turn.add(Reply(text))
        return
    _tell_claimant(turn, result)
    _forget(turn, result.record_id)
    approved = result.status == RecordStatus.APPROVED.value
    turn.outcome.notice = turn.t("rvw-approved-short" if approved else "rvw-rejected-short")
    turn.add(Reply(head + _decision_line(turn, result) + "\n" + turn.t("rvw-decided-told")))


async def _card_of(turn: Turn, record_id: int) -> str | None:
    """The card of a claim as the reviewer sees it now (None when they may not see it: the
    decision that follows says why)."""
    try:
        item = await review_item(turn.svc, turn.account.id, record_id)
    except ClaimRefused:
        return None
    return await _card_text(turn, item)


# ------------------------------------------------------------------------------ the queue


async def open_queue(turn: Turn, args: str) -> None:
    """The action behind ✅ 审核 and /review."""
    await _show_page(turn, None)


async def _show_page(turn: Turn, after: int | None) -> None:
    by = turn.account.id
    try:
        items = await review_queue(turn.svc, by, limit=PAGE, after_id=after)
        members = len(await unconfirmed_members(turn.svc, by))
    except ClaimRefused as exc:
        turn.finish()
        turn.add(Reply(_refusal_text(turn, exc), main_menu(turn)))
        return
    if not items:
        turn.finish()
        rows: list[tuple[Button, ...]] = []
        if members:
            rows.append((Button(turn.t("rvw-btn-members", count=members), f"{CALLBACK}:mem"),))
        rows.append(back_to_menu(turn))
        turn.say("rvw-queue-empty" if after is None else "rvw-queue-end", buttons=tuple(rows))
        return
    closed_said = False
    for item in items:
        if item.claim.verification_closed and not closed_said:
            turn.say("rvw-closed-head")  # open years come first: the rest are closed
            closed_said = True
        await _show_item(turn, item)
    turn.finish()
    turn.goto(FLOW, "queue")
    turn.data.update(
        page=len(items),
        ids=[i.claim.id for i in items],
        shown=[i.claim.id for i in items if not i.claim.verification_closed],
        after=items[-1].claim.id,
        more=len(items) == PAGE,
        members=members,
    )


def _item_buttons(turn: Turn, item: QueueItem) -> Keyboard:
    t = turn.t
    claim = item.claim
    rows: list[tuple[Button, ...]] = []
    if claim.status == RecordStatus.PENDING.value and not claim.verification_closed:
        reject = Button(t("rvw-btn-reject"), f"{CALLBACK}:no:{claim.id}")
        if claim.reviewer_sets_hours:
            rows.append(
                (
                    Button(
                        t("rvw-btn-approve-as", hours=format_hours(claim.hours)),
                        f"{CALLBACK}:ok:{claim.id}",
                    ),
                    Button(t("rvw-btn-set-hours"), f"{CALLBACK}:hr:{claim.id}"),
                )
            )
            rows.append((reject,))
        else:
            rows.append((Button(t("rvw-btn-approve"), f"{CALLBACK}:ok:{claim.id}"), reject))
    if not item.member_confirmed:
        rows.append(
            (
                Button(
                    t("rvw-btn-confirm-member", name=item.person_name),
                    f"{CALLBACK}:mc:{claim.person_id}",
                ),
            )
        )
    return tuple(rows)


async def _card_text(turn: Turn, item: QueueItem) -> str:
    t = turn.t
    claim = item.claim
    lines = [
        t(
            "rvw-card",
            id=claim.id,
            year=claim.year,
            name=item.person_name,
            masked=item.person_id_masked,
            category=_category(turn, claim),
            title=claim.title,
            organiser=claim.organiser or "—",
            dates=_dates(turn, claim),
            hours=format_hours(claim.hours),
            evidence=len(claim.evidence_ids),
        )
    ]
    if claim.reviewer_sets_hours and not claim.verification_closed:
        lines.append(t("rvw-hours-by-reviewer"))
    if claim.possible_duplicates:
        lines.append(t("claim-flag-duplicate"))
    if not item.member_confirmed:
        lines.append(t("claim-flag-unconfirmed-member"))
    if claim.verification_closed:
        lines.append(
            t(
                "claim-flag-verification-closed",
                year=claim.year,
                deadline=_deadline(turn, claim.year),
            )
        )
    # what the evidence says and where it disagrees (issue 12): information, not a decision
    lines.extend(_mask_ids(line) for line in await claim_reading.review_lines(turn, claim.id))
    return "\n".join(lines)


async def _show_item(turn: Turn, item: QueueItem) -> None:
    claim = item.claim
    turn.add(Reply(await _card_text(turn, item), _item_buttons(turn, item)))
    total = len(claim.evidence_ids)
    for number, file_id in enumerate(claim.evidence_ids, start=1):
        await _send_evidence(turn, claim.id, file_id, number, total)


async def _send_evidence(turn: Turn, claim_id: int, file_id: int, number: int, total: int) -> None:
    # the service checks (and logs for the claimant) that this reviewer may see the file
    if not await evidence_for_account(turn.svc, turn.account.id, file_id):
        return
    try:
        path, mime = await evidence_file(turn.svc, file_id)
    except EvidenceRefused:
        path = None
    if path is None or not path.is_file():
        turn.say("rvw-evidence-missing", id=claim_id, number=number)
        return
    name = f"claim-{claim_id}-{number}{_EXTENSIONS.get(mime, '')}"
    caption = turn.t("rvw-evidence-caption", id=claim_id, number=number, total=total)
    turn.add(Reply(caption, file=OutgoingFile(str(path), name)))


async def _queue_prompt(turn: Turn) -> Reply:
    t = turn.t
    ids = [int(i) for i in turn.data.get("ids", [])]
    # counted again at every showing: decisions made here and by other reviewers meanwhile
    left = await pending_among(turn.svc, ids)
    shown = [int(i) for i in turn.data.get("shown", []) if int(i) in left]
    turn.data["shown"] = shown
    rows: list[tuple[Button, ...]] = []
    if len(shown) > 1:
        rows.append((turn.step_button(t("rvw-btn-approve-all", count=len(shown)), "all"),))
    if turn.data.get("more"):
        rows.append((turn.step_button(t("rvw-btn-next"), "next"),))
    members = int(turn.data.get("members", 0))
    if members:
        rows.append((Button(t("rvw-btn-members", count=members), f"{CALLBACK}:mem"),))
    rows.append(back_to_menu(turn))
    if not ids or len(left) == len(ids):  # (no "ids": a page shown before they were kept)
        text = t("rvw-queue-footer", shown=len(ids) or int(turn.data.get("page", 0)))
    elif left:
        text = t("rvw-queue-left", left=len(left), done=len(ids) - len(left))
    else:
        text = t("rvw-queue-page-done", done=len(ids))
    return Reply(text, tuple(rows))


async def _queue_choice(turn: Turn, event: Event) -> None:
    if event.data == "all" and turn.data.get("shown"):
        turn.goto(FLOW, "all")
    elif event.data == "next":
        await _show_page(turn, int(turn.data.get("after", 0)))
    else:
        turn.say("btn-stale", buttons=(back_to_menu(turn),))


async def _all_prompt(turn: Turn) -> Reply:
    t = turn.t
    count = len(turn.data.get("shown", []))
    return Reply(
        t("rvw-all-confirm", count=count),
        (
            (
                turn.step_button(t("rvw-btn-yes"), "yes"),
                turn.step_button(t("rvw-btn-cancel"), "no"),
            ),
        ),
    )


async def _all_choice(turn: Turn, event: Event) -> None:
    if event.data != "yes":
        turn.goto(FLOW, "queue")
        return
    ids = [int(i) for i in turn.data.get("shown", [])]
    result = await decide_many(turn.svc, turn.account.id, ids)
    approved = 0
    for decision in result.decided:
        if not decision.already_decided:
            approved += 1
            _tell_claimant(turn, decision)
    already = len(result.decided) - approved
    lines = [
        turn.t("rvw-all-done", approved=approved, already=already, refused=len(result.refused))
    ]
    # the page's cards cannot all be edited from here: say which claim got what
    for decision in result.decided:
        if not decision.already_decided:
            lines.append(
                turn.t(
                    "rvw-all-approved-line",
                    id=decision.record_id,
                    title=decision.title,
                    hours=format_hours(decision.hours),
                )
            )
    for record_id, exc in sorted(result.refused.items()):
        lines.append(turn.t("rvw-all-refused-line", id=record_id, reason=_refusal_text(turn, exc)))
    turn.finish()
    turn.add(Reply("\n".join(lines), _after_buttons(turn)))


# ------------------------------------------------------------------------------ decisions


async def _approve(turn: Turn, record_id: int, *, override: bool = False) -> None:
    card = await _card_of(turn, record_id)  # as shown before the decision
    try:
        result = await decide(
            turn.svc, turn.account.id, record_id, True, override_duplicate=override
        )
    except ClaimRefused as exc:
        await _decision_refused(turn, record_id, exc)
        return
    _decided(turn, result, card)
    if turn.flow == FLOW and turn.data.get("page"):
        turn.goto(FLOW, "queue")  # the page's footer again, with the count as it is now


async def _approve_anyway(turn: Turn, record_id: int) -> None:
    """ "Approve anyway" after a duplicate flag: at the claimed hours, or asking for the hours
    where the unit sets them."""
    try:
        item = await review_item(turn.svc, turn.account.id, record_id)
    except ClaimRefused as exc:
        _refused(turn, exc)
        return
    if item.claim.reviewer_sets_hours and item.claim.status == RecordStatus.PENDING.value:
        await _ask_hours(turn, record_id, override=True, item=item)
        return
    await _approve(turn, record_id, override=True)


async def _decision_refused(turn: Turn, record_id: int, exc: ClaimRefused) -> None:
    """A refusal, with the button that resolves it where there is one."""
    rows: list[tuple[Button, ...]] = []
    if exc.reason == "duplicate":
        rows.append(
            (
                Button(turn.t("rvw-btn-approve-anyway"), f"{CALLBACK}:okd:{record_id}"),
                Button(turn.t("rvw-btn-reject"), f"{CALLBACK}:no:{record_id}"),
            )
        )
    elif exc.reason == "member_unconfirmed":
        try:
            item = await review_item(turn.svc, turn.account.id, record_id)
        except ClaimRefused:
            item = None
        if item is not None:
            rows.append(
                (
                    Button(
                        turn.t("rvw-btn-confirm-member", name=item.person_name),
                        f"{CALLBACK}:mc:{item.claim.person_id}",
                    ),
                )
            )
    _refused(turn, exc, tuple(rows))


async def _pending_item(turn: Turn, record_id: int) -> QueueItem | None:
    """The claim when it can still be decided by this reviewer; otherwise say why not."""
    try:
        item = await review_item(turn.svc, turn.account.id, record_id)
    except ClaimRefused as exc:
        _refused(turn, exc)
        return None
    claim = item.claim
    if claim.status != RecordStatus.PENDING.value:
        turn.outcome.button_accepted = True
        status = _status(turn, claim.status)
        if item.decided_by_name and claim.decided_at is not None:
            at = claim.decided_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
            text = turn.t("claim-already-decided", name=item.decided_by_name, at=at, status=status)
        else:
            text = turn.t("rvw-not-pending", id=claim.id, status=status)
        turn.outcome.notice = text[:190]
        # the pressed card becomes the decided card, whoever decided it
        decision = _decision_text(
            turn,
            status=claim.status,
            hours=claim.hours,
            reason=claim.decision_reason,
            by=item.decided_by,
            by_name=item.decided_by_name,
            at=claim.decided_at,
        )
        turn.outcome.edit_pressed = True
        turn.add(Reply(f"{await _card_text(turn, item)}\n\n{decision}"))
        turn.add(Reply(text, (back_to_menu(turn),)))
        return None
    if claim.verification_closed:
        closed = ClaimRefused(
            "verification_closed", year=claim.year, deadline=_deadline(turn, claim.year)
        )
        _refused(turn, closed)
        return None
    return item


async def _ask_reason(turn: Turn, record_id: int) -> None:
    item = await _pending_item(turn, record_id)
    if item is None:
        return
    _in_flow(turn)
    turn.goto(FLOW, "reason")
    turn.data.update(claim=record_id, title=item.claim.title)
    turn.outcome.edit_pressed = True  # the card itself asks for the reason, claim in view


async def _with_card(turn: Turn, question: str) -> str:
    card = await _card_of(turn, int(turn.data.get("claim", 0)))
    return f"{card}\n\n{question}" if card else question


async def _reason_prompt(turn: Turn) -> Reply:
    t = turn.t
    rows = [
        (turn.step_button(t(f"claim-reason-{code}"), code),) for code in COMMON_REJECTION_REASONS
    ]
    rows.append((turn.step_button(t("rvw-btn-cancel"), "cancel"),))
    question = t(
        "rvw-reason-ask", id=int(turn.data.get("claim", 0)), title=turn.data.get("title", "")
    )
    return Reply(await _with_card(turn, question), tuple(rows))


async def _cancel_decision(turn: Turn) -> None:
    """The question becomes the card again, with its buttons: nothing was decided."""
    record_id = int(turn.data.get("claim", 0))
    try:
        item = await review_item(turn.svc, turn.account.id, record_id)
    except ClaimRefused:
        item = None
    if item is None:
        turn.say("rvw-cancelled")
    else:
        card = await _card_text(turn, item)
        turn.outcome.edit_pressed = True
        turn.add(Reply(f"{card}\n\n{turn.t('rvw-cancelled')}", _item_buttons(turn, item)))
    _back(turn)


async def _take_reason(turn: Turn, event: Event) -> None:
    if event.kind == "button":
        if event.data == "cancel":
            await _cancel_decision(turn)
            return
        if event.data not in COMMON_REJECTION_REASONS:
            turn.say("btn-stale")
            turn.entered = True
            return
        reason = event.data
    else:
        reason = _mask_ids(" ".join(event.text.split()))
    record_id = int(turn.data.get("claim", 0))
    card = await _card_of(turn, record_id)
    try:
        result = await decide(turn.svc, turn.account.id, record_id, False, reason)
    except ClaimRefused as exc:
        turn.add(Reply(_refusal_text(turn, exc)))
        if exc.reason in ("reason_required", "reason_too_long"):
            turn.entered = True  # ask again
        else:
            _back(turn)
        return
    _decided(turn, result, card)
    _back(turn)


async def _ask_hours(
    turn: Turn, record_id: int, *, override: bool = False, item: QueueItem | None = None
) -> None:
    item = item or await _pending_item(turn, record_id)
    if item is None:
        return
    _in_flow(turn)
    turn.goto(FLOW, "hours")
    turn.data.update(
        claim=record_id,
        title=item.claim.title,
        claimed=format_hours(item.claim.hours),
        cap=_cap(turn, item.claim),
        override=override,
    )
    turn.outcome.edit_pressed = True  # the card itself asks for the hours, claim in view


async def _hours_prompt(turn: Turn) -> Reply:
    t = turn.t
    claimed = str(turn.data.get("claimed", ""))
    question = t(
        "rvw-hours-ask",
        id=int(turn.data.get("claim", 0)),
        title=turn.data.get("title", ""),
        claimed=claimed,
        max=turn.data.get("cap", ""),
    )
    return Reply(
        await _with_card(turn, question),
        (
            (turn.step_button(t("rvw-btn-approve-as", hours=claimed), "asis"),),
            (turn.step_button(t("rvw-btn-cancel"), "cancel"),),
        ),
    )


async def _take_hours(turn: Turn, event: Event) -> None:
    hours: str | None
    if event.kind == "button":
        if event.data == "cancel":
            await _cancel_decision(turn)
            return
        if event.data != "asis":
            turn.say("btn-stale")
            turn.entered = True
            return
        hours = None
    else:
        hours = event.text.strip()
    record_id = int(turn.data.get("claim", 0))
    card = await _card_of(turn, record_id)
    try:
        result = await decide(
            turn.svc,
            turn.account.id,
            record_id,
            True,
            hours=hours,
            override_duplicate=bool(turn.data.get("override")),
        )
    except ClaimRefused as exc:
        if exc.reason in ("hours", "above_max"):
            turn.add(Reply(_refusal_text(turn, exc)))
            turn.entered = True  # ask again
            return
        await _decision_refused(turn, record_id, exc)
        _back(turn)
        return
    _decided(turn, result, card)
    _back(turn)


# ------------------------------------------------------------------------------ members


async def _show_members(turn: Turn) -> None:
    try:
        members = await unconfirmed_members(turn.svc, turn.account.id)
    except ClaimRefused as exc:
        _refused(turn, exc)
        return
    if not members:
        turn.say("rvw-members-none", buttons=(back_to_menu(turn),))
        return
    shown = members[:MEMBERS_SHOWN]
    lines = [turn.t("rvw-members-head", count=len(members))]
    lines += [turn.t("rvw-members-line", name=m.name, masked=m.id_masked) for m in shown]
    rows = tuple(
        (Button(turn.t("rvw-btn-confirm-member", name=m.name), f"{CALLBACK}:mc:{m.person_id}"),)
        for m in shown
    )
    turn.add(Reply("\n".join(lines), (*rows, back_to_menu(turn))))


async def _confirm_member(turn: Turn, person_id: int) -> None:
    try:
        done = await confirm_member(turn.svc, turn.account.id, person_id)
    except ClaimRefused as exc:
        _refused(turn, exc)
        return
    # the keyboard stays: it may hold a claim's decisions or other members' buttons
    if done.already_confirmed:
        turn.say("rvw-member-already", name=done.member.name)
        return
    for account_id in done.notify_account_ids:
        queue_notice(
            turn.session, account_id=account_id, key="claim-member-told-confirmed", now=turn.now
        )
    turn.outcome.notice = turn.t("claim-member-confirmed", name=done.member.name)[:190]
    turn.say("claim-member-confirmed", name=done.member.name)


# ------------------------------------------------------------------------------ buttons


async def _queue_button(turn: Turn) -> None:
    turn.finish()
    await _show_page(turn, None)


async def _approve_button(turn: Turn, record_id: int) -> None:
    await _approve(turn, record_id)


_BY_RECORD: dict[str, Callable[[Turn, int], Awaitable[None]]] = {
    "ok": _approve_button,
    "okd": _approve_anyway,
    "no": _ask_reason,
    "hr": _ask_hours,
    "mc": _confirm_member,  # the number is a person id
}


async def route(turn: Turn, rest: str) -> None:
    """ "rv:…" buttons: on claims, in reminders and digests. Every one is authorised again by
    the service it calls."""
    action, _, number = rest.partition(":")
    if action == "queue" and not number:
        await _queue_button(turn)
        return
    if action == "mem" and not number:
        await _show_members(turn)
        return
    handler = _BY_RECORD.get(action)
    if handler is None or not _NUMBER.match(number):
        turn.outcome.notice = turn.t("btn-unknown")
        turn.add(Reply(turn.t("btn-unknown"), main_menu(turn)))
        return
    await handler(turn, int(number))


REVIEW = Flow(
    name=FLOW,
    first="queue",
    steps={
        "queue": Step(prompt=_queue_prompt, accepts=BUTTONS, handle=_queue_choice),
        "all": Step(prompt=_all_prompt, accepts=BUTTONS, handle=_all_choice),
        "reason": Step(prompt=_reason_prompt, accepts=TEXT_OR_BUTTONS, handle=_take_reason),
        "hours": Step(prompt=_hours_prompt, accepts=TEXT_OR_BUTTONS, handle=_take_hours),
    },
)

FEATURE = register(
    Feature(
        name="review",
        flows=(REVIEW,),
        actions={"review": open_queue},
        commands={"review": "review"},
        callbacks={CALLBACK: route},
    )
)
