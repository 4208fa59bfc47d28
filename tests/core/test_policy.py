"""The yearly policy as data: the shipped 2024 file, and broken dicts that must be refused."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from datetime import date, time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import core
from core.rules import (
    ClaimCategory,
    Counting,
    ExamPolicy,
    Policy,
    PolicyError,
    Subject,
    check_policy,
    parse_policy,
)

POLICY_2024 = Path(core.__file__).parent / "policies" / "2024.toml"


def raw_2024() -> dict[str, Any]:
    with POLICY_2024.open("rb") as fh:
        return tomllib.load(fh)


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(PolicyError) as info:
        parse_policy(data)
    assert info.value.problems, "a PolicyError must list at least one problem"
    assert str(info.value) == "; ".join(info.value.problems)
    return info.value.problems


def mutated(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = raw_2024()
    change(data)
    return data


@pytest.fixture(scope="module")
def policy() -> Policy:
    return parse_policy(raw_2024())


# --- the shipped 2024 file -----------------------------------------------------------------


def test_2024_policy_has_the_notice_numbers(policy: Policy) -> None:
    assert policy.year == 2024
    assert policy.timezone == "Asia/Shanghai"
    assert policy.min_total_hours == 90
    assert policy.professional_share == Fraction(2, 3)
    assert isinstance(policy.professional_share, Fraction)
    assert policy.mandatory_hours == 15
    assert policy.elective_hours == 10
    assert policy.exam.attempts == 3
    assert policy.public_deadline == date(2024, 12, 31)
    assert policy.registration_deadline == date(2025, 3, 31)
    assert policy.verification_deadline == date(2025, 3, 31)
    assert policy.makeup_until == date(2025, 12, 31)
    assert "一带一路" in policy.mandatory_theme
    assert "2024" in policy.source


def test_2024_policy_elective_topics(policy: Policy) -> None:
    assert policy.elective_topics == (
        "民族团结",
        "知识产权保护",
        "安全生产",
        "科学技术普及",
        "数字技术",
    )


def test_2024_policy_categories(policy: Policy) -> None:
    codes = [c.code for c in policy.categories]
    assert codes[0] == "training"
    assert len(codes) == len(set(codes)) == 6
    training = policy.category("training")
    assert training is not None
    assert training.counting is Counting.ACTUAL_HOURS
    assert training.half_day_hours == 4
    assert isinstance(training.half_day_hours, Fraction)
    assert training.name_zh == "培训进修类"
    for cat in policy.categories[1:]:
        assert cat.counting is Counting.REVIEWER_SET
        assert cat.half_day_hours is None
    assert policy.category("nonexistent") is None


def test_2024_policy_exam_defaults_are_marked_as_defaults(policy: Policy) -> None:
    exam = policy.exam
    assert (exam.question_count, exam.pass_mark_percent) == (20, 60)
    assert exam.time_limit_minutes == 0
    assert exam.remedial_attempts == 3
    assert "默认" in exam.defaults_note
    assert "并非通知规定" in exam.defaults_note


def test_2024_policy_reminders_and_limits(policy: Policy) -> None:
    assert policy.public_reminder_days == (30, 14, 7, 3, 1)
    assert policy.professional_reminder_days == (30, 14, 7, 3, 1)
    assert policy.send_from == time(9, 0)
    assert policy.send_until == time(21, 0)
    assert policy.max_hours_per_record == 90
    assert policy.max_hours_for(None) == 90
    assert policy.max_hours_for("training") == 90
    assert policy.max_hours_for("unknown") == 90


def test_2024_policy_public_hours_by_subject(policy: Policy) -> None:
    assert policy.max_public_hours(Subject.PUBLIC_MANDATORY) == 15
    assert policy.max_public_hours(Subject.PUBLIC_ELECTIVE) == 10
    with pytest.raises(ValueError):
        policy.max_public_hours(Subject.PROFESSIONAL)


def test_2024_policy_is_coherent(policy: Policy) -> None:
    assert check_policy(policy) == []


def test_category_max_hours_is_capped_by_the_record_maximum() -> None:
    def change(d: dict[str, Any]) -> None:
        d["professional"]["categories"][1]["max_hours"] = 8
        d["professional"]["categories"][2]["max_hours"] = 200

    policy = parse_policy(mutated(change))
    assert policy.max_hours_for("conference") == 8
    assert policy.max_hours_for("publication") == 90


def test_parsing_does_not_modify_its_input() -> None:
    data = raw_2024()
    before = copy.deepcopy(data)
    parse_policy(data)
    assert data == before


def test_toml_dates_and_times_are_accepted() -> None:
    data = tomllib.loads(
        POLICY_2024.read_text(encoding="utf-8")
        .replace('deadline = "2024-12-31"', "deadline = 2024-12-31")
        .replace('send_from = "09:00"', "send_from = 09:00:00")
    )
    assert isinstance(data["public"]["mandatory"]["deadline"], date)
    policy = parse_policy(data)
    assert policy.public_deadline == date(2024, 12, 31)
    assert policy.send_from == time(9, 0)


def test_share_may_be_a_decimal_string_parsed_exactly() -> None:
    policy = parse_policy(mutated(lambda d: d["requirement"].update(professional_share="0.7")))
    assert policy.professional_share == Fraction(7, 10)


# --- broken dicts ---------------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = d
        for part in parents:
            node = node[part]
        node[last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = d
        for part in parents:
            node = node[part]
        del node[last]

    return change


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (_set("public.mandatory.deadline", "2025-01-15"), "public.mandatory.deadline"),
        (_set("public.mandatory.deadline", "2023-12-31"), "public.mandatory.deadline"),
        (_set("public.mandatory.deadline", "31/12/2024"), "deadline: not a date"),
        (_set("professional.registration_deadline", "2024-06-30"), "registration_deadline"),
        (_set("professional.registration_deadline", "2026-01-01"), "registration_deadline"),
        (_set("professional.verification_deadline", "2025-03-30"), "verification_deadline"),
        (_set("requirement.professional_share", "1"), "professional_share"),
        (_set("requirement.professional_share", "3/2"), "professional_share"),
        (_set("requirement.professional_share", "0"), "professional_share"),
        (_set("requirement.professional_share", 0.6667), "professional_share"),
        (_set("requirement.professional_share", "two thirds"), "professional_share"),
        (_set("requirement.professional_share", "2/0"), "professional_share"),
        (_set("requirement.professional_share", True), "professional_share"),
        (_set("requirement.min_total_hours", 0), "min_total_hours"),
        (_set("requirement.min_total_hours", 90.0), "min_total"),
        (_set("exam.pass_mark_percent", 0), "pass_mark_percent"),
        (_set("exam.pass_mark_percent", 101), "pass_mark_percent"),
        (_set("exam.attempts", 0), "exam.attempts"),
        (_set("exam.question_count", 0), "exam.question_count"),
        (_set("exam.remedial_attempts", -1), "remedial_attempts"),
        (_set("public.makeup.until", "2024-12-31"), "public.makeup.until"),
        (_set("public.makeup.until", "2024-06-30"), "public.makeup.until"),
        (_set("reminders.send_from", "21:00"), "send_from"),
        (_set("reminders.send_from", "22:00"), "send_from"),
        (_set("reminders.send_from", "9 am"), "send_from"),
        (_set("reminders.public_days_before", [30, 0]), "reminders"),
        (_set("professional.max_hours_per_record", 0), "max_hours_per_record"),
        (_set("professional.categories", []), "at least one category"),
        (_set("public.mandatory.hours", 0), "public hours"),
        (_delete("requirement.min_total_hours"), "requirement.min_total_hours: missing"),
        (_delete("public.mandatory.deadline"), "public.mandatory.deadline: missing"),
        (_delete("professional.registration_deadline"), "registration_deadline: missing"),
        (_delete("exam.attempts"), "exam.attempts: missing"),
        (_delete("exam.pass_mark_percent"), "exam.pass_mark_percent: missing"),
        (_delete("public.mandatory.theme"), "public.mandatory.theme: missing"),
    ],
)
def test_broken_policy_is_refused(change: Callable[[dict[str, Any]], None], needle: str) -> None:
    problems = problems_of(mutated(change))
    assert any(needle in p for p in problems), problems


def test_float_share_is_refused_even_when_close() -> None:
    problems = problems_of(mutated(lambda d: d["requirement"].update(professional_share=2 / 3)))
    assert any("professional_share" in p and "exact" in p for p in problems), problems


def test_repeated_category_code_is_refused() -> None:
    def change(d: dict[str, Any]) -> None:
        d["professional"]["categories"][2]["code"] = "training"

    problems = problems_of(mutated(change))
    assert any("categories[2].code" in p and "repeated" in p for p in problems), problems
    assert not any("categories[0]" in p for p in problems), problems


def test_missing_category_code_and_bad_counting_are_refused() -> None:
    def change(d: dict[str, Any]) -> None:
        del d["professional"]["categories"][1]["code"]
        d["professional"]["categories"][3]["counting"] = "by_the_page"

    problems = problems_of(mutated(change))
    assert any("categories[1].code" in p for p in problems), problems
    assert any("categories[3].counting" in p for p in problems), problems


def test_every_problem_is_listed_at_once() -> None:
    def change(d: dict[str, Any]) -> None:
        d["public"]["mandatory"]["deadline"] = "2025-02-01"  # outside the year
        d["professional"]["registration_deadline"] = "2025-03-31"
        d["professional"]["verification_deadline"] = "2025-03-01"  # before registration
        d["requirement"]["professional_share"] = "1"  # not below 1
        del d["exam"]["question_count"]  # missing field
        d["exam"]["pass_mark_percent"] = 0
        d["professional"]["categories"][1]["code"] = "training"  # repeated
        d["public"]["makeup"]["until"] = "2025-01-01"  # before the (moved) deadline
        d["reminders"]["send_from"] = "22:00"  # window reversed
        d["reminders"]["send_until"] = "08:00"

    problems = problems_of(mutated(change))
    expected = [
        "public.mandatory.deadline must lie inside",
        "verification_deadline must not precede registration_deadline",
        "professional_share must lie strictly between 0 and 1",
        "exam.question_count: missing",
        "exam.pass_mark_percent must be between 1 and 100",
        "categories[1].code: missing or repeated",
        "public.makeup.until must come after the public deadline",
        "send_from must come before send_until",
    ]
    for needle in expected:
        assert any(needle in p for p in problems), (needle, problems)
    assert len(problems) >= len(expected)


def test_a_float_share_and_missing_fields_are_reported_together() -> None:
    def change(d: dict[str, Any]) -> None:
        d["requirement"]["professional_share"] = 0.75
        del d["public"]["electives"]["hours"]
        del d["professional"]["verification_deadline"]

    problems = problems_of(mutated(change))
    assert any("professional_share" in p for p in problems)
    assert any("public.electives.hours: missing" in p for p in problems)
    assert any("professional.verification_deadline: missing" in p for p in problems)


def test_check_policy_on_a_hand_built_policy() -> None:
    good = parse_policy(raw_2024())
    bad = Policy(
        year=2024,
        timezone="Asia/Shanghai",
        source="",
        min_total_hours=Fraction(90),
        professional_share=Fraction(2, 3),
        mandatory_hours=Fraction(15),
        mandatory_theme="主题",
        public_deadline=date(2024, 12, 31),
        elective_hours=Fraction(10),
        elective_topics=("民族团结",),
        makeup_until=None,
        exam=ExamPolicy(3, 20, 60, 0, 3, ""),
        registration_deadline=date(2025, 3, 31),
        verification_deadline=date(2025, 3, 31),
        max_hours_per_record=Fraction(90),
        categories=(ClaimCategory("training", "培训", "Training", Counting.ACTUAL_HOURS),),
        send_from=time(21, 0),
        send_until=time(9, 0),
    )
    assert check_policy(good) == []
    assert check_policy(bad) == ["reminders.send_from must come before send_until"]


# --- defects: the parser must answer PolicyError, never crash --------------------------------


@pytest.mark.parametrize("change", [_delete("year"), _set("year", "2024"), _set("year", 1999)])
def test_bad_year_gives_policy_error(change: Callable[[dict[str, Any]], None]) -> None:
    problems = problems_of(mutated(change))
    assert any(p.startswith("year") for p in problems), problems


@pytest.mark.parametrize(
    "change",
    [_set("exam.attempts", "three"), _set("reminders.public_days_before", ["x"])],
)
def test_non_numeric_integers_give_policy_error(change: Callable[[dict[str, Any]], None]) -> None:
    problems_of(mutated(change))


def test_category_not_a_table_gives_policy_error() -> None:
    problems_of(mutated(lambda d: d["professional"]["categories"].append("conference")))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        # the deadline falls before the year starts
        (lambda d: d["public"]["mandatory"].update(deadline="2023-12-31"), "deadline"),
        # electives earn hours but name no topic, or name topics but earn nothing
        (lambda d: d["public"]["electives"].update(topics=[]), "public.electives.topics"),
        (lambda d: d["public"]["electives"].update(hours=0), "public.electives.hours"),
        (lambda d: d["public"]["electives"].update(topics=["a", "a"]), "listed twice"),
        # 15 + 20 public hours leave less than 2/3 of 90 for professional hours
        (lambda d: d["public"]["electives"].update(hours=20), "exceed the public part"),
        (lambda d: d["public"]["mandatory"].update(theme=" "), "public.mandatory.theme"),
        (lambda d: d.update(status="published"), "status"),
    ],
)
def test_a_policy_with_an_error_is_refused_naming_the_field(
    change: Callable[[dict[str, Any]], None], field: str
) -> None:
    problems = problems_of(mutated(change))
    assert any(field in p for p in problems), problems


def test_status_defaults_to_active_and_a_draft_says_so() -> None:
    assert parse_policy(raw_2024()).active
    assert not parse_policy(mutated(lambda d: d.update(status="draft"))).active
