"""Which reminder campaigns are due on a day, and when a message may be sent. Pure.

Three kinds of reminder, each counted back from a deadline of the year's policy:
- public: the year's mandatory course and exam, before the public deadline (31 December);
- professional: an incomplete year, before the registration deadline (31 March next year);
- reviewer: claims still waiting for the unit, before the verification deadline.

The days before a deadline come from the policy file. The reminder sent on the fewest days
before (normally 1) is the *final* one: it ignores a person's mute of optional reminders.
A campaign's key (e.g. "public:2024:d7") is unique in the database, so running the same day
twice queues nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.rules import Policy


class ReminderKind(StrEnum):
    PUBLIC = "public"
    PROFESSIONAL = "professional"
    REVIEWER = "reviewer"


@dataclass(frozen=True, slots=True)
class DueCampaign:
    kind: ReminderKind
    year: int
    deadline: date
    days_before: int
    final: bool

    @property
    def key(self) -> str:
        return campaign_key(self.kind, self.year, self.days_before)


def campaign_key(kind: ReminderKind | str, year: int, days_before: int) -> str:
    return f"{kind}:{year}:d{days_before}"


def _deadline_and_days(policy: Policy, kind: ReminderKind) -> tuple[date, tuple[int, ...]]:
    if kind is ReminderKind.PUBLIC:
        return policy.public_deadline, policy.public_reminder_days
    if kind is ReminderKind.PROFESSIONAL:
        return policy.registration_deadline, policy.professional_reminder_days
    # units verify until the verification deadline; same schedule as the professional one
    return policy.verification_deadline, policy.professional_reminder_days


def due_campaigns(policies: Iterable[Policy], today: date) -> list[DueCampaign]:
    """Every reminder campaign whose day is `today` (a date in the policy's zone)."""
    due: list[DueCampaign] = []
    for policy in policies:
        for kind in ReminderKind:
            deadline, days = _deadline_and_days(policy, kind)
            if not days:
                continue
            left = (deadline - today).days
            if left in days:
                due.append(DueCampaign(kind, policy.year, deadline, left, left == min(days)))
    return sorted(due, key=lambda d: (d.year, d.kind.value))


def reminder_days(policies: Mapping[int, Policy], kind: ReminderKind, year: int) -> list[date]:
    """The dates on which a kind of reminder of a year goes out (for reports and tests)."""
    policy = policies[year]
    deadline, days = _deadline_and_days(policy, kind)
    return sorted(deadline - timedelta(days=d) for d in days)


# --------------------------------------------------------------------------- send window


def in_window(send_from: time, send_until: time, local: time) -> bool:
    return send_from <= local < send_until


def next_send_time(send_from: time, send_until: time, now: datetime, zone: str) -> datetime:
    """`now` if it lies inside the day's send window (local time of `zone`), else the start of
    the next window. Returned in `now`'s zone; `now` must be aware."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    if in_window(send_from, send_until, local.time()):
        return now
    day = local.date() if local.time() < send_from else local.date() + timedelta(days=1)
    return datetime.combine(day, send_from, tzinfo=tz).astimezone(now.tzinfo)


def window_end(send_from: time, send_until: time, now: datetime, zone: str) -> datetime | None:
    """When the current window closes, or None when `now` is outside it."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    if not in_window(send_from, send_until, local.time()):
        return None
    return datetime.combine(local.date(), send_until, tzinfo=tz).astimezone(now.tzinfo)


def days_left(deadline: date, today: date) -> int:
    return (deadline - today).days
