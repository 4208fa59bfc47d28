"""Hours as exact fractions: every figure is a multiple of half an hour, never a float."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

HALF = Fraction(1, 2)
ZERO = Fraction(0)

_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")
# "-4" is a number, only not a positive one: say so (non_positive), not "not a number"
_NEGATIVE = re.compile(r"^\s*[-−－]\s*\d+(?:\.\d+)?\s*$")


class InvalidHours(ValueError):
    """Raised with a reason code the caller translates: format, not_half, non_positive."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_hours(value: str | int | Decimal | Fraction) -> Fraction:
    """A positive multiple of 0.5 hours, from text or a number (floats are refused on purpose)."""
    if isinstance(value, bool):
        raise InvalidHours("format")
    if isinstance(value, Fraction):
        result = value
    elif isinstance(value, int):
        result = Fraction(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidHours("format")
        result = Fraction(value)
    elif isinstance(value, str):
        text = value.strip().replace("．", ".")
        if _NEGATIVE.match(text):
            raise InvalidHours("non_positive")
        if not _NUMBER.match(text):
            raise InvalidHours("format")
        try:
            result = Fraction(Decimal(text))
        except InvalidOperation as exc:  # pragma: no cover - the regex already filters
            raise InvalidHours("format") from exc
    else:
        raise InvalidHours("format")
    if result <= 0:
        raise InvalidHours("non_positive")
    if (result * 2).denominator != 1:
        raise InvalidHours("not_half")
    return result


def to_half_units(hours: Fraction) -> int:
    """Storage form: whole half-hours, so SQL sums stay exact integers."""
    doubled = hours * 2
    if doubled.denominator != 1:
        raise InvalidHours("not_half")
    return int(doubled)


def from_half_units(units: int) -> Fraction:
    return Fraction(units, 2)


def ceil_to_half(value: Fraction) -> Fraction:
    """Smallest multiple of 0.5 that is >= value."""
    doubled = value * 2
    whole = -((-doubled.numerator) // doubled.denominator)
    return Fraction(whole, 2)


def format_hours(hours: Fraction) -> str:
    """'12', '12.5' or '-0.5' (hours are multiples of 0.5, so one decimal is always exact)."""
    if hours.denominator == 1:
        return str(hours.numerator)
    if hours.denominator == 2:
        sign = "-" if hours < 0 else ""
        return f"{sign}{abs(hours.numerator) // 2}.5"
    return str(float(hours))


def hours_json(hours: Fraction) -> int | float:
    """JSON number for an exact half-hour value (0.5 steps are exact in binary floats)."""
    return int(hours) if hours.denominator == 1 else float(hours)
