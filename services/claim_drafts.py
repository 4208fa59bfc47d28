"""A claim being drafted step by step (the bot's guided claim), checked by the same rules as
the finished claim.

The draft is a plain JSON mapping (it lives in the conversation state between messages):
year (int), category (str), title, organiser (str), start and end (ISO dates), and either
hours (text as typed, e.g. "7.5") or half_days (int), evidence (list of {"id", "mime"}).
Each step is checked by services.claims.check_draft on the fields entered so far, the
missing ones filled with harmless stand-ins and their problems ignored; so a rule (a cap, the
year's bounds, the half-day value) lives once, in core.rules through check_draft.

Dates are typed in the ways people write them here: 2024-05-03, 2024.5.3, 2024/5/3,
2024年5月3日, 20240503, with full-width digits too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from core.rules import ClaimCategory, claimable_years
from services.claims import (
    ClaimDraft,
    ClaimView,
    DraftCheck,
    DraftProblem,
    check_draft,
    submit_claim,
)
from services.context import AppContext

# The draft's steps in services.claims.DraftProblem terms, in the order they are asked.
DRAFT_STEPS = ("year", "category", "title", "organiser", "dates", "hours")

_DASHED = re.compile(r"^(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})$")
_CHINESE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# what people type after a number of hours or half days: "6学时", "6 小时", "6h", "3个半天"
_HOURS_UNIT = re.compile(r"\s*(个?学时|个?小时|课时|hours?|hrs?|h)\s*$", re.IGNORECASE)
_HALF_DAYS_UNIT = re.compile(r"\s*(个?半天|half[\s-]?days?)\s*$", re.IGNORECASE)
_WHOLE = re.compile(r"^\d{1,4}$")


def parse_claim_date(text: str) -> date | None:
    """A date as typed, or None when it is not one (a 30 February is not a date either)."""
    folded = unicodedata.normalize("NFKC", text).strip()
    for pattern in (_DASHED, _CHINESE, _COMPACT):
        match = pattern.match(folded)
        if match is not None:
            year, month, day = (int(g) for g in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def clean_hours_text(text: str) -> str:
    """Hours as typed, without a unit ("6学时" -> "6"); the number itself is checked by
    core.hours.parse_hours through check_draft."""
    folded = unicodedata.normalize("NFKC", text).strip()
    return _HOURS_UNIT.sub("", folded).strip()


def parse_half_days(text: str) -> int | None:
    """A whole number of half days as typed ("3", "3个半天"), or None."""
    folded = unicodedata.normalize("NFKC", text).strip()
    number = _HALF_DAYS_UNIT.sub("", folded).strip()
    return int(number) if _WHOLE.match(number) else None


def open_years(ctx: AppContext) -> list[int]:
    """Years a claim can be registered for today (this year; last year until 31 March)."""
    return claimable_years(ctx.today(), ctx.policies)


def category_of(ctx: AppContext, year: int, code: str) -> ClaimCategory | None:
    policy = ctx.policies.get(year)
    return policy.category(code) if policy is not None else None


def _date(data: Mapping[str, Any], key: str) -> date | None:
    value = data.get(key)
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _half_days(data: Mapping[str, Any]) -> int | None:
    value = data.get("half_days")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def draft_of(data: Mapping[str, Any], *, fill: bool = False) -> ClaimDraft:
    """The ClaimDraft of the fields entered. With `fill`, missing fields get stand-ins (their
    problems are then meaningless and must be ignored); without, a missing field is empty."""
    year = int(data.get("year") or 0)
    start = _date(data, "start")
    end = _date(data, "end")
    stand_in = date(year, 1, 1) if fill and 2000 <= year <= 2100 else date.min
    started = start or end or stand_in
    ended = end or start or stand_in
    hours = data.get("hours")
    half_days = _half_days(data)
    if fill and hours is None and half_days is None:
        hours = "1"
    return ClaimDraft(
        year=year,
        category=str(data.get("category") or ""),
        title=str(data.get("title") or ("-" if fill else "")),
        organiser=str(data.get("organiser") or ("-" if fill else "")),
        started_on=started,
        completed_on=ended,
        hours=None if hours is None else str(hours),
        half_days=half_days,
    )


def check_fields(ctx: AppContext, data: Mapping[str, Any]) -> DraftCheck:
    """The whole draft checked as the claim would be (for the summary and after an edit)."""
    return check_draft(ctx, draft_of(data))


def step_problems(
    ctx: AppContext, data: Mapping[str, Any], step: str, **changes: Any
) -> tuple[DraftProblem, ...]:
    """Problems of one step's answer (`changes` applied to the draft so far). A closed year
    is always reported (the date may have passed 31 March while the person typed)."""
    trial = {**data, **changes}
    check = check_draft(ctx, draft_of(trial, fill=True))
    return tuple(p for p in check.problems if p.step in (step, "year"))


def evidence_ids(data: Mapping[str, Any]) -> list[int]:
    items: Sequence[Any] = data.get("evidence") or []
    return [int(item["id"]) for item in items if isinstance(item, Mapping) and "id" in item]


async def submit_draft(ctx: AppContext, person_id: int, data: Mapping[str, Any]) -> ClaimView:
    """Register the drafted claim (services.claims.submit_claim: pending, with its evidence;
    ClaimRefused when something is wrong, nothing written then)."""
    return await submit_claim(
        ctx,
        person_id,
        draft_of(data),
        evidence_ids(data),
        pledged=bool(data.get("pledged")),
    )
