"""Rules for one hour record: reason codes, deduplication keys, subject names."""

from __future__ import annotations

import tomllib
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import core
from core.records import check_record, dedup_key, parse_subject
from core.rules import Policy, Subject, parse_policy

POLICY_2024 = Path(core.__file__).parent / "policies" / "2024.toml"

PROF = Subject.PROFESSIONAL
MANDATORY = Subject.PUBLIC_MANDATORY
ELECTIVE = Subject.PUBLIC_ELECTIVE
IN_2024 = date(2024, 6, 1)


def raw_2024() -> dict[str, Any]:
    with POLICY_2024.open("rb") as fh:
        return tomllib.load(fh)


P2024 = parse_policy(raw_2024())


def _policy_with_conference_cap(cap: int) -> Policy:
    data = raw_2024()
    data["professional"]["categories"][1]["max_hours"] = cap
    return parse_policy(data)


halves = st.integers(min_value=1, max_value=400).map(lambda n: Fraction(n, 2))
days_2024 = st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 12, 31))
other_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)).filter(
    lambda d: d.year != 2024
)


# --- check_record -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "hours", "on", "category", "reasons"),
    [
        (PROF, Fraction(8), IN_2024, "training", []),
        (PROF, Fraction(1, 2), date(2024, 1, 1), None, []),
        (PROF, Fraction(90), date(2024, 12, 31), None, []),
        (PROF, Fraction(181, 2), IN_2024, None, ["above_max"]),
        (PROF, Fraction(8), date(2025, 1, 1), "training", ["outside_year"]),
        (PROF, Fraction(8), date(2023, 12, 31), None, ["outside_year"]),
        (PROF, Fraction(100), date(2025, 3, 1), None, ["outside_year", "above_max"]),
        (PROF, Fraction(8), IN_2024, "no_such_category", []),
        (MANDATORY, Fraction(15), IN_2024, None, []),
        (MANDATORY, Fraction(10), IN_2024, None, ["public_hours"]),
        (MANDATORY, Fraction(16), IN_2024, None, ["public_hours"]),
        (ELECTIVE, Fraction(10), IN_2024, None, []),
        (ELECTIVE, Fraction(15), IN_2024, None, ["public_hours"]),
        (ELECTIVE, Fraction(19, 2), IN_2024, None, ["public_hours"]),
        (ELECTIVE, Fraction(10), date(2025, 1, 1), None, ["outside_year"]),
        (MANDATORY, Fraction(90), date(2023, 5, 1), None, ["outside_year", "public_hours"]),
    ],
)
def test_check_record(
    subject: Subject, hours: Fraction, on: date, category: str | None, reasons: list[str]
) -> None:
    assert check_record(P2024, subject, hours, on, category) == reasons


def test_category_cap_applies_to_its_own_records_only() -> None:
    policy = _policy_with_conference_cap(8)
    assert check_record(policy, PROF, Fraction(8), IN_2024, "conference") == []
    assert check_record(policy, PROF, Fraction(17, 2), IN_2024, "conference") == ["above_max"]
    assert check_record(policy, PROF, Fraction(17, 2), IN_2024, "training") == []
    assert check_record(policy, PROF, Fraction(17, 2), IN_2024, None) == []


def test_category_cap_above_the_record_maximum_does_not_raise_it() -> None:
    policy = _policy_with_conference_cap(200)
    assert check_record(policy, PROF, Fraction(91), IN_2024, "conference") == ["above_max"]


@given(halves, days_2024)
def test_professional_reasons_property(hours: Fraction, on: date) -> None:
    expected = [] if hours <= 90 else ["above_max"]
    assert check_record(P2024, PROF, hours, on) == expected


@given(halves, other_days, st.sampled_from([PROF, MANDATORY, ELECTIVE]))
def test_no_registering_across_years(hours: Fraction, on: date, subject: Subject) -> None:
    reasons = check_record(P2024, subject, hours, on)
    assert reasons[0] == "outside_year"
    assert reasons.count("outside_year") == 1


@given(halves, days_2024, st.sampled_from([MANDATORY, ELECTIVE]))
def test_public_records_carry_exactly_the_fixed_hours(
    hours: Fraction, on: date, subject: Subject
) -> None:
    fixed = Fraction(15) if subject is MANDATORY else Fraction(10)
    expected = [] if hours == fixed else ["public_hours"]
    assert check_record(P2024, subject, hours, on) == expected


# --- dedup_key ----------------------------------------------------------------------------------


sources = st.sampled_from(["bot", "ptce.gx12333.net", "import:org-1", "industry", ""])
codes = st.text(min_size=0, max_size=12)
any_days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@given(st.sampled_from([MANDATORY, ELECTIVE]), sources, sources, codes, codes, any_days, any_days)
def test_public_subjects_have_one_key_a_year_whatever_the_source(
    subject: Subject, src_a: str, src_b: str, code_a: str, code_b: str, day_a: date, day_b: date
) -> None:
    key_a = dedup_key(subject, 2024, source=src_a, course_code=code_a, completed_on=day_a)
    key_b = dedup_key(subject, 2024, source=src_b, course_code=code_b, completed_on=day_b)
    assert key_a == key_b


def test_public_keys_differ_by_subject_and_year() -> None:
    def key(subject: Subject, year: int) -> str:
        return dedup_key(subject, year, source="bot", course_code="x", completed_on=IN_2024)

    keys = {key(s, y) for s in (MANDATORY, ELECTIVE) for y in (2023, 2024)}
    assert len(keys) == 4
    imported = dedup_key(
        MANDATORY, 2024, source="ptce", course_code="GX-2024", completed_on=date(2024, 9, 9)
    )
    assert imported == key(MANDATORY, 2024)


def test_professional_keys_are_per_source_course_and_date() -> None:
    def key(source: str = "org-1", code: str = "C1", on: date = IN_2024) -> str:
        return dedup_key(PROF, 2024, source=source, course_code=code, completed_on=on)

    assert key() == key()
    assert key() != key(source="org-2")
    assert key() != key(code="C2")
    assert key() != key(on=date(2024, 6, 2))
    public = dedup_key(MANDATORY, 2024, source="org-1", course_code="C1", completed_on=IN_2024)
    assert key() != public
    assert "2024-06-01" in key()


@given(sources, codes, any_days, sources, codes, any_days)
def test_professional_keys_are_equal_only_for_the_same_course(
    src_a: str, code_a: str, day_a: date, src_b: str, code_b: str, day_b: date
) -> None:
    key_a = dedup_key(PROF, 2024, source=src_a, course_code=code_a, completed_on=day_a)
    key_b = dedup_key(PROF, 2024, source=src_b, course_code=code_b, completed_on=day_b)
    if (src_a, code_a, day_a) == (src_b, code_b, day_b):
        assert key_a == key_b
    elif ":" not in src_a + src_b + code_a + code_b:
        assert key_a != key_b


# --- parse_subject ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "subject"),
    [
        ("professional", PROF),
        ("Professional", PROF),
        (" PROFESSIONAL ", PROF),
        ("专业科目", PROF),
        ("专业", PROF),
        (" 专业科目\n", PROF),
        ("public_mandatory", MANDATORY),
        ("Public_Mandatory", MANDATORY),
        ("公需必修", MANDATORY),
        ("公需科目必修课", MANDATORY),
        ("public_elective", ELECTIVE),
        ("公需选修", ELECTIVE),
        ("公需科目选修课", ELECTIVE),
    ],
)
def test_parse_subject_accepts(raw: str, subject: Subject) -> None:
    assert parse_subject(raw) is subject


@pytest.mark.parametrize("raw", ["", "  ", "public", "公需", "mandatory", "选修", "prof", "x"])
def test_parse_subject_refuses(raw: str) -> None:
    assert parse_subject(raw) is None


@pytest.mark.parametrize("subject", list(Subject))
def test_parse_subject_accepts_every_subject_value(subject: Subject) -> None:
    assert parse_subject(subject.value) is subject
    assert parse_subject(subject.value.upper()) is subject
