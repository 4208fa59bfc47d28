"""core.reminders: which campaigns are due on which day, and the send window."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.reminders import (
    ReminderKind,
    due_campaigns,
    next_send_time,
    reminder_days,
    window_end,
)
from services.policies import PolicyBook

POLICIES = PolicyBook.load()
P2024 = POLICIES[2024]


def keys(day: date) -> list[str]:
    return [d.key for d in due_campaigns([P2024], day)]


def test_public_reminders_count_back_from_31_december() -> None:
    assert keys(date(2024, 12, 1)) == ["public:2024:d30"]
    assert keys(date(2024, 12, 24)) == ["public:2024:d7"]
    final = due_campaigns([P2024], date(2024, 12, 30))
    assert [(d.key, d.final) for d in final] == [("public:2024:d1", True)]
    assert not due_campaigns([P2024], date(2024, 12, 31))  # the deadline day itself: no reminder
    assert not due_campaigns([P2024], date(2024, 11, 20))


def test_professional_and_reviewer_reminders_before_31_march() -> None:
    due = due_campaigns([P2024], date(2025, 3, 1))
    assert sorted(d.key for d in due) == ["professional:2024:d30", "reviewer:2024:d30"]
    assert all(not d.final for d in due)
    last = due_campaigns([P2024], date(2025, 3, 30))
    assert sorted((d.key, d.final) for d in last) == [
        ("professional:2024:d1", True),
        ("reviewer:2024:d1", True),
    ]


def test_schedule_dates_match_the_policy() -> None:
    days = reminder_days(POLICIES, ReminderKind.PUBLIC, 2024)
    assert days == [date(2024, 12, d) for d in (1, 17, 24, 28, 30)]


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2025, 12, 31)))
def test_every_due_campaign_is_on_a_schedule_day_with_a_unique_key(day: date) -> None:
    due = due_campaigns(POLICIES.values(), day)
    assert len({d.key for d in due}) == len(due)
    for d in due:
        policy = POLICIES[d.year]
        assert (d.deadline - day).days == d.days_before > 0
        schedule = (
            policy.public_reminder_days
            if d.kind is ReminderKind.PUBLIC
            else policy.professional_reminder_days
        )
        assert d.days_before in schedule
        assert d.final == (d.days_before == min(schedule))


def test_over_a_whole_season_each_campaign_is_due_on_exactly_one_day() -> None:
    seen: dict[str, date] = {}
    day = date(2024, 1, 1)
    while day <= date(2025, 12, 31):
        for d in due_campaigns([P2024], day):
            assert d.key not in seen
            seen[d.key] = day
        day += timedelta(days=1)
    assert len(seen) == 15  # 5 days x (public, professional, reviewer)


def test_send_window_in_shanghai() -> None:
    frm, until, tz = time(9), time(21), "Asia/Shanghai"
    inside = datetime(2024, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 Shanghai
    assert next_send_time(frm, until, inside, tz) == inside
    early = datetime(2024, 11, 30, 22, 0, tzinfo=UTC)  # 06:00 Shanghai, 1 Dec
    assert next_send_time(frm, until, early, tz) == datetime(2024, 12, 1, 1, 0, tzinfo=UTC)
    late = datetime(2024, 12, 1, 13, 0, tzinfo=UTC)  # 21:00 Shanghai: closed
    assert next_send_time(frm, until, late, tz) == datetime(2024, 12, 2, 1, 0, tzinfo=UTC)
    assert window_end(frm, until, inside, tz) == datetime(2024, 12, 1, 13, 0, tzinfo=UTC)
    assert window_end(frm, until, late, tz) is None
