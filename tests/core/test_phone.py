"""Mainland mobile numbers in the shapes a roster and Telegram's contact button use."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.phone import normalize_mobile

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@given(
    mobiles, st.sampled_from(["{}", "+86{}", "86{}", "+86 {a} {b} {c}", "{a}-{b}-{c}", "0086{}"])
)
def test_every_shape_gives_the_eleven_digits(number: str, shape: str) -> None:
    raw = shape.format(number, a=number[:3], b=number[3:7], c=number[7:])
    assert normalize_mobile(raw) == number
    assert (
        normalize_mobile(raw.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})) == number
    )


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345678901",
        "1380013800",
        "138001380001",
        "+44 20 7946 0958",
        "138x0013800",
        "0771-966111",
    ],
)
def test_what_is_not_a_mobile_number(raw: str) -> None:
    assert normalize_mobile(raw) is None
