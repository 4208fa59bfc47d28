"""Reading a claim's evidence in the chat (issue 12): the pieces the claim flow and the review
cards use. The reading itself is services.evidence_checks / services.evidence_reading.

How a reading fits a turn: reading a photo takes seconds, longer than a transaction should be
held (on SQLite it would hold the write lock and stall everyone). So the turn that receives
the file stores it and commits; its follow-up (Outcome.follow_up, run by the engine after the
commit) tells the user it is reading, reads and keeps the reading, then presses the internal
step button "read<file id>", which a new turn answers with what was found. If the process
stops meanwhile, nothing is lost: the evidence is stored and the person continues by hand.

Nothing found is ever entered for the person: each proposed field is a button ("Use …") on
its own question, or, at the evidence step, a button to change what they typed; the summary's
confirmation stays theirs.
"""

from __future__ import annotations

import logging
import os
from datetime import date

from bot.flows.base import Button, Notifier, Turn
from core.evidence_fields import EvidenceFields, Flag
from core.hours import format_hours
from services.evidence_checks import (
    PROPOSED,
    check_record,
    half_day_hours,
    proposals,
    read_stored_file,
)
from services.evidence_reading import EvidenceReading
from storage.models import HourRecord

log = logging.getLogger(__name__)

READ_EVENT = "read"  # internal step button value: "read<file id>"
USE_FOUND = "usefound"  # "use what the evidence says" on a question
FIX = "fix_"  # "fix_<field>" at the evidence step: take the evidence's value
FIXABLE = ("title", "organiser", "dates", "hours")
SHOWN = 30  # characters of a found value on a button
LINE = 120  # characters of a found value on a line (a misread block can be long)


def reading_enabled() -> bool:
    """CEBOT_OCR=off turns reading off (a machine without the models' memory to spare)."""
    return os.environ.get("CEBOT_OCR", "on").strip().lower() not in ("off", "0", "false", "no")


def start_reading(turn: Turn, file_id: int, notify: Notifier | None) -> None:
    """Read the stored file after this turn commits, then continue the flow with it."""
    turn.data["ocr_pending"] = file_id
    ctx, working = turn.ctx, turn.t("ocr-reading")
    year = int(turn.data.get("year") or 0) or None

    async def follow_up() -> str | None:
        if notify is not None:
            try:
                await notify(working)
            except Exception:  # showing "reading…" is a courtesy; the reading goes on
                log.warning("could not show the reading notice", exc_info=True)
        await read_stored_file(ctx, file_id, year=year)
        # the step's nonce as it is after this turn: a press the current step accepts
        return turn.step_button("", f"{READ_EVENT}{file_id}").data

    turn.outcome.follow_up = follow_up


def read_event_file(value: str) -> int | None:
    """The file id of an internal "read<id>" press, else None."""
    rest = value[len(READ_EVENT) :] if value.startswith(READ_EVENT) else ""
    return int(rest) if rest.isdigit() and len(rest) <= 12 else None


def _short(value: str) -> str:
    return value if len(value) <= SHOWN else value[: SHOWN - 1] + "…"


def _dates(start: date | None, end: date | None) -> str | None:
    if start is None and end is None:
        return None
    first, last = start or end, end or start
    assert first is not None and last is not None
    return first.isoformat() if first == last else f"{first.isoformat()} — {last.isoformat()}"


def found_lines(turn: Turn, fields: EvidenceFields) -> list[str]:
    """What was read, one line per field found."""
    t = turn.t
    lines = [t("ocr-found")]
    if fields.title:
        lines.append(t("ocr-field-title", value=fields.title[:LINE]))
    if fields.organiser:
        lines.append(t("ocr-field-organiser", value=fields.organiser[:LINE]))
    if fields.person_name:
        lines.append(t("ocr-field-name", value=fields.person_name[:LINE]))
    dates = _dates(fields.started_on, fields.completed_on)
    if dates:
        lines.append(t("ocr-field-dates", value=dates))
    if fields.hours is not None:
        lines.append(t("ocr-field-hours", value=_hours_text(turn, fields)))
    if fields.number:
        lines.append(t("ocr-field-number", value=fields.number[:LINE]))
    return lines


def _hours_text(turn: Turn, fields: EvidenceFields) -> str:
    assert fields.hours is not None
    hours = format_hours(fields.hours)
    per = half_day_hours(turn.ctx, int(turn.data.get("year") or 0) or None)
    if fields.hours_basis in ("days", "half_days") and per:
        count = fields.hours / per
        if fields.hours_basis == "days":
            return turn.t(
                "ocr-hours-from-days",
                hours=hours,
                days=format_hours(count / 2),
                per=format_hours(per),
            )
        return turn.t(
            "ocr-hours-from-half-days",
            hours=hours,
            count=format_hours(count),
            per=format_hours(per),
        )
    return turn.t("clm-hours-value", hours=hours)


def reason_line(turn: Turn, reading: EvidenceReading | None) -> str:
    if reading is None:
        return turn.t("ocr-not-read")
    return turn.t(f"ocr-none-{reading.reason or 'failed'}")


def remember_proposals(turn: Turn, fields: EvidenceFields) -> dict[str, str]:
    found = proposals(fields)
    turn.data["ocr"] = found
    return found


def proposed(turn: Turn, key: str) -> str | None:
    """The evidence's value for a question, when it differs from the draft's."""
    found = turn.data.get("ocr")
    if not isinstance(found, dict) or key not in PROPOSED:
        return None
    value = found.get(key)
    if not isinstance(value, str) or not value:
        return None
    return None if str(turn.data.get(key) or "") == value else value


def proposal(turn: Turn, key: str) -> tuple[list[str], tuple[tuple[Button, ...], ...]]:
    """The line and the "Use …" button under a question, when the evidence has a value."""
    value = proposed(turn, key)
    if value is None:
        return [], ()
    t = turn.t
    button = turn.step_button(t("ocr-btn-use", value=_short(value)), USE_FOUND)
    return [t("ocr-proposal", value=value)], ((button,),)


def differences(turn: Turn, fields: EvidenceFields) -> dict[str, str]:
    """At the evidence step: what the evidence says that differs from what was typed, by
    field (dates as "start/end"); kept in the draft for the fix buttons."""
    found = proposals(fields)
    diffs: dict[str, str] = {}
    for key in ("title", "organiser", "hours"):
        value = found.get(key)
        if value and _norm(value) != _norm(str(turn.data.get(key) or "")):
            if key == "hours" and turn.data.get("half_days") is not None:
                continue  # hours given as half days: compared on the summary by the reviewer
            diffs[key] = value
    start, end = found.get("start"), found.get("end")
    if start and end and (start, end) != (turn.data.get("start"), turn.data.get("end")):
        diffs["dates"] = f"{start}/{end}"
    turn.data["ocr_fix"] = diffs
    return diffs


def _norm(text: str) -> str:
    return "".join(text.split())


def fix_buttons(turn: Turn) -> tuple[tuple[Button, ...], ...]:
    diffs = turn.data.get("ocr_fix")
    if not isinstance(diffs, dict):
        return ()
    t = turn.t
    rows: list[tuple[Button, ...]] = []
    for key in FIXABLE:
        value = diffs.get(key)
        if isinstance(value, str) and value:
            shown = value.replace("/", " — ") if key == "dates" else value
            label = t("ocr-btn-apply", field=t(f"ocr-label-{key}"), value=_short(shown))
            rows.append((turn.step_button(label, f"{FIX}{key}"),))
    return tuple(rows)


# ------------------------------------------------------------------ the reviewer's card


async def review_lines(turn: Turn, record_id: int) -> list[str]:
    """Under a claim's card: what its evidence says and every disagreement. The caller has
    checked that this reviewer may see the claim."""
    record = await turn.session.get(HourRecord, record_id)
    if record is None:
        return []
    check = await check_record(turn.session, record)
    t = turn.t
    lines: list[str] = []
    if check.found is not None:
        lines.append(t("ocr-review-heading"))
        lines.extend(found_lines(turn, check.found)[1:])
    if check.unread_files and reading_enabled():
        lines.append(t("ocr-review-unread", count=check.unread_files))
    if check.flags:
        lines.append(t("ocr-review-flags"))
        lines.extend(flag_line(turn, flag) for flag in check.flags)
    elif check.found is not None:
        lines.append(t("ocr-review-no-flags"))
    return lines


def flag_line(turn: Turn, flag: Flag) -> str:
    return "· " + turn.t(f"ocr-flag-{flag.code}", entered=flag.entered, found=flag.found)
