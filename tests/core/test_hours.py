"""Hours as exact half-hour fractions: parsing, rounding, formatting, storage and JSON forms."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.hours import (
    HALF,
    InvalidHours,
    ceil_to_half,
    format_hours,
    from_half_units,
    hours_json,
    parse_hours,
    to_half_units,
)

half_units = st.integers(min_value=1, max_value=100_000)
positive_halves = half_units.map(lambda n: Fraction(n, 2))
fractions = st.fractions(min_value=-1000, max_value=1000, max_denominator=1000)


def reason_of(value: object) -> str:
    with pytest.raises(InvalidHours) as info:
        parse_hours(value)  # type: ignore[arg-type]
    return info.value.reason


# --- parse_hours: accepted -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", Fraction(12)),
        ("12.5", Fraction(25, 2)),
        (" 4 ", Fraction(4)),
        ("\t0.5\n", Fraction(1, 2)),
        ("12．5", Fraction(25, 2)),  # full-width period, as typed on Chinese keyboards
        ("12.50", Fraction(25, 2)),
        ("007", Fraction(7)),
        (Decimal("7.5"), Fraction(15, 2)),
        (Decimal("90"), Fraction(90)),
        (3, Fraction(3)),
        (Fraction(5, 2), Fraction(5, 2)),
    ],
)
def test_parse_hours_accepts(raw: object, expected: Fraction) -> None:
    result = parse_hours(raw)  # type: ignore[arg-type]
    assert result == expected
    assert isinstance(result, Fraction)


# --- parse_hours: refused, with the reason code --------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12.3", "not_half"),
        ("0.25", "not_half"),
        ("12.51", "not_half"),
        (Decimal("1.25"), "not_half"),
        (Fraction(1, 3), "not_half"),
        ("0", "non_positive"),
        ("0.0", "non_positive"),
        (0, "non_positive"),
        (-2, "non_positive"),
        (Decimal("-1"), "non_positive"),
        (Fraction(-1, 2), "non_positive"),
        ("-1", "non_positive"),  # a number, only not positive (issue 17 item 21)
        ("-4", "non_positive"),
        (" -0.5 ", "non_positive"),
        ("−4", "non_positive"),  # U+2212, the minus sign
        ("－4", "non_positive"),  # full width
        ("- 4", "non_positive"),
        ("-", "format"),
        ("--4", "format"),
        ("-abc", "format"),
        ("abc", "format"),
        ("", "format"),
        ("   ", "format"),
        ("1e2", "format"),
        ("1,5", "format"),
        ("1.", "format"),
        (".5", "format"),
        ("12 5", "format"),
        ("+3", "format"),
        (1.5, "format"),  # floats are refused on purpose, even exact ones
        (2.0, "format"),
        (True, "format"),
        (False, "format"),
        (None, "format"),
        (Decimal("NaN"), "format"),
        (Decimal("Infinity"), "format"),
        ([1], "format"),
    ],
)
def test_parse_hours_refuses(raw: object, reason: str) -> None:
    assert reason_of(raw) == reason


def test_invalid_hours_is_a_value_error_carrying_the_reason() -> None:
    with pytest.raises(ValueError, match="not_half"):
        parse_hours("1.2")


@given(positive_halves)
def test_parse_hours_round_trips_format_hours(hours: Fraction) -> None:
    assert parse_hours(format_hours(hours)) == hours


@given(positive_halves)
def test_parse_hours_accepts_every_positive_half_in_every_form(hours: Fraction) -> None:
    text = format_hours(hours)
    assert parse_hours(text.replace(".", "．")) == hours
    assert parse_hours(f"  {text} ") == hours
    assert parse_hours(Decimal(text)) == hours
    assert parse_hours(hours) == hours


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=99))
def test_parse_hours_refuses_every_non_half_decimal(whole: int, cents: int) -> None:
    """Any two-decimal figure that is not .00 or .50 is not a half-hour multiple."""
    if cents == 50:
        return
    assert reason_of(f"{whole}.{cents:02d}") == "not_half"


# --- ceil_to_half ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(0), Fraction(0)),
        (Fraction(1, 3), Fraction(1, 2)),
        (Fraction(1, 2), Fraction(1, 2)),
        (Fraction(2, 3), Fraction(1)),
        (Fraction(100, 3), Fraction(67, 2)),  # 33.33.. -> 33.5
        (Fraction(7), Fraction(7)),
        (Fraction(-1, 3), Fraction(0)),
        (Fraction(-2, 3), Fraction(-1, 2)),
    ],
)
def test_ceil_to_half_examples(value: Fraction, expected: Fraction) -> None:
    assert ceil_to_half(value) == expected


@given(fractions)
def test_ceil_to_half_is_the_smallest_half_at_or_above(value: Fraction) -> None:
    result = ceil_to_half(value)
    assert (result * 2).denominator == 1
    assert result >= value
    assert result - HALF < value
    # independent formula on integers
    assert result == Fraction(math.ceil(value * 2), 2)


@given(half_units.map(lambda n: Fraction(n, 2)) | st.integers(-500, 500).map(Fraction))
def test_ceil_to_half_keeps_halves(value: Fraction) -> None:
    assert ceil_to_half(value) == value


@given(fractions, fractions)
def test_ceil_to_half_is_monotone(a: Fraction, b: Fraction) -> None:
    lo, hi = min(a, b), max(a, b)
    assert ceil_to_half(lo) <= ceil_to_half(hi)


# --- format_hours / hours_json / half units -------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (Fraction(0), "0"),
        (Fraction(1, 2), "0.5"),
        (Fraction(12), "12"),
        (Fraction(25, 2), "12.5"),
        (Fraction(90), "90"),
        (Fraction(181, 2), "90.5"),
    ],
)
def test_format_hours(hours: Fraction, text: str) -> None:
    assert format_hours(hours) == text


@given(st.integers(min_value=0, max_value=1_000_000))
def test_format_hours_matches_decimal_rendering(units: int) -> None:
    hours = Fraction(units, 2)
    expected = str(units // 2) if units % 2 == 0 else f"{units // 2}.5"
    assert format_hours(hours) == expected
    assert Decimal(format_hours(hours)) == Decimal(units) / 2


@pytest.mark.parametrize(("hours", "text"), [(Fraction(-1, 2), "-0.5"), (Fraction(-5, 2), "-2.5")])
def test_format_hours_negative_half(hours: Fraction, text: str) -> None:
    assert format_hours(hours) == text


@pytest.mark.parametrize(
    ("hours", "value"),
    [(Fraction(0), 0), (Fraction(15), 15), (Fraction(1, 2), 0.5), (Fraction(25, 2), 12.5)],
)
def test_hours_json_examples(hours: Fraction, value: int | float) -> None:
    result = hours_json(hours)
    assert result == value
    assert type(result) is type(value)


@given(st.integers(min_value=0, max_value=10**7))
def test_hours_json_is_exact_and_round_trips(units: int) -> None:
    hours = Fraction(units, 2)
    result = hours_json(hours)
    if units % 2 == 0:
        assert type(result) is int
    else:
        assert type(result) is float
    assert Fraction(json.loads(json.dumps(result))) == hours


@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_half_units_round_trip(units: int) -> None:
    hours = from_half_units(units)
    assert hours == Fraction(units, 2)
    assert to_half_units(hours) == units
    assert type(to_half_units(hours)) is int


@pytest.mark.parametrize("hours", [Fraction(1, 3), Fraction(1, 4), Fraction(5, 6)])
def test_to_half_units_refuses_non_halves(hours: Fraction) -> None:
    with pytest.raises(InvalidHours) as info:
        to_half_units(hours)
    assert info.value.reason == "not_half"
