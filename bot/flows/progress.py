"""'My progress': the year's status in plain language, every number from the policy."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from bot.flows.base import Turn
from core.hours import format_hours
from core.rules import Policy, YearEvaluation, days_until, makeup_open
from services.accounts import bound_person
from services.courses import elective_counts
from services.exam import attempt_count
from services.i18n import Translator
from services.progress import year_evaluation


def shown_policy(turn: Turn) -> Policy | None:
    """This year's policy, else the newest earlier one (shown as such)."""
    year = turn.today.year
    return turn.ctx.policies.get(year) or turn.ctx.policies.latest_until(year)


def share_text(share: Fraction) -> str:
    return f"{share.numerator}/{share.denominator}"


def _deadline_line(t: Translator, key: str, deadline: date, today: date) -> str:
    left = days_until(deadline, today)
    if left < 0:
        return t(f"{key}-passed", date=deadline.isoformat())
    return t(key, date=deadline.isoformat(), days=str(left))


def year_lines(t: Translator, policy: Policy, ev: YearEvaluation, today: date) -> list[str]:
    lines = [
        t(
            "prog-mandatory-done" if ev.mandatory_done else "prog-mandatory-missing",
            hours=format_hours(policy.mandatory_hours),
        ),
        t(
            "prog-electives",
            hours=format_hours(ev.public_elective_hours),
            max=format_hours(policy.elective_hours),
        ),
        t(
            "prog-professional",
            verified=format_hours(ev.professional_verified_hours),
            pending=format_hours(ev.professional_pending_hours),
        ),
        t(
            "prog-total",
            total=format_hours(ev.total_hours),
            min=format_hours(ev.min_total_hours),
        ),
        t(
            "prog-share-met" if ev.share_met else "prog-share-missing",
            share=share_text(ev.professional_share),
        ),
    ]
    if ev.complete:
        lines.append(t("prog-complete"))
    else:
        lines.append(t("prog-needed", hours=format_hours(ev.professional_hours_needed)))
    if ev.professional_pending_hours > 0 and not ev.complete:
        lines.append(t("prog-pending-note"))
    lines.append(_deadline_line(t, "prog-public-deadline", policy.public_deadline, today))
    lines.append(
        _deadline_line(t, "prog-registration-deadline", policy.registration_deadline, today)
    )
    if not ev.mandatory_done and makeup_open(policy, today) and policy.makeup_until:
        lines.append(t("prog-makeup-open", until=policy.makeup_until.isoformat()))
    return lines


async def public_study_line(
    turn: Turn, policy: Policy, ev: YearEvaluation, person_id: int
) -> str | None:
    """Exam attempts left (while the mandatory hours are missing) and electives completed
    (while their hours are missing): a few counts, no writes."""
    t = turn.t
    parts = []
    if not ev.mandatory_done:
        count = await attempt_count(turn.svc, person_id, policy)
        parts.append(t("stu-prog-exam", left=count.left, allowed=count.allowed))
    if ev.public_elective_hours < policy.elective_hours:
        done, total = await elective_counts(turn.svc, person_id, policy.year)
        if total:
            parts.append(t("stu-prog-electives", done=done, total=total))
    if not parts:
        return None
    return t("stu-prog-line", details=t("stu-prog-sep").join(parts))


async def past_year_text(turn: Turn, year: int) -> str | None:
    """An earlier year's figures (title applications ask for them); None when unbound."""
    t = turn.t
    person = await bound_person(turn.session, turn.account)
    if person is None:
        return None
    policy = turn.ctx.policies.get(year)
    if policy is None:
        return t("prog-year-unknown", year=str(year))
    ev = await year_evaluation(turn.session, policy, person.id)
    parts = [t("prog-title", name=person.name, year=str(year))]
    if policy.demo:
        parts.append(t("prog-demo-policy"))
    parts.extend(year_lines(t, policy, ev, turn.today))
    return "\n".join(parts)


def other_years(turn: Turn, shown: int) -> list[int]:
    """Earlier years with a policy, newest first (at most five buttons)."""
    return sorted((y for y in turn.ctx.policies if y < shown), reverse=True)[:5]


async def progress_text(turn: Turn) -> str | None:
    """None when the account has no person bound."""
    t = turn.t
    person = await bound_person(turn.session, turn.account)
    if person is None:
        return None
    today = turn.today
    policy = shown_policy(turn)
    if policy is None:
        return t("prog-no-policy")
    parts = [t("prog-title", name=person.name, year=str(policy.year))]
    if policy.year != today.year:
        parts.append(t("prog-fallback", current=str(today.year), shown=str(policy.year)))
    if policy.demo:
        parts.append(t("prog-demo-policy"))
    ev = await year_evaluation(turn.session, policy, person.id)
    parts.extend(year_lines(t, policy, ev, today))
    study_line = await public_study_line(turn, policy, ev, person.id)
    if study_line is not None:
        parts.append(study_line)
    previous = turn.ctx.policies.get(policy.year - 1)
    if previous is not None:
        prev_ev = await year_evaluation(turn.session, previous, person.id)
        if prev_ev.complete:
            parts.append(t("prog-last-year-complete", year=str(previous.year)))
        else:
            parts.append(
                t(
                    "prog-last-year-incomplete",
                    year=str(previous.year),
                    total=format_hours(prev_ev.total_hours),
                    min=format_hours(prev_ev.min_total_hours),
                )
            )
            if not prev_ev.mandatory_done and makeup_open(previous, today):
                parts.append(t("prog-last-year-makeup", year=str(previous.year)))
    if not person.unit_confirmed:
        parts.append(t("prog-unit-unconfirmed"))
    return "\n".join(parts)
