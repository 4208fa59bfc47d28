"""Unified social credit codes: check character, reasons, normalization, properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.uscc import (
    ALPHABET,
    InvalidUnitCode,
    make_unit_code,
    normalize_unit_code,
    parse_unit_code,
    uscc_check_char,
)

# Codes published on business licences / the national credit system.
PUBLISHED = [
    "9144030071526726XG",  # Shenzhen Tencent Computer Systems Co., Ltd.
    "91330100799655058B",  # Alibaba (China) Co., Ltd.
    "91110108551385082Q",  # Beijing Xiaomi Technology Co., Ltd.
    "914403001922038216",  # Huawei Technologies Co., Ltd.
]

bodies = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def reason_of(raw: str) -> str:
    with pytest.raises(InvalidUnitCode) as info:
        parse_unit_code(raw)
    return info.value.reason


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code: str) -> None:
    assert uscc_check_char(code[:17]) == code[17]
    assert parse_unit_code(code) == code
    assert make_unit_code(code[:17]) == code


def test_check_char_zero_when_remainder_is_zero() -> None:
    # sum % 31 == 0 gives 31, which wraps to "0".
    assert uscc_check_char("0" * 17) == "0"
    assert make_unit_code("0" * 17) == "0" * 18


def test_normalize() -> None:
    assert normalize_unit_code(" 9144030071526726xg \u3000") == "9144030071526726XG"
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in "91330100799655058b")
    assert normalize_unit_code(full_width) == "91330100799655058B"
    assert parse_unit_code("\u30009133 0100 7996 5505 8ｂ\n") == "91330100799655058B"
    assert normalize_unit_code("") == ""


def test_reason_length() -> None:
    assert reason_of("") == "length"
    assert reason_of(PUBLISHED[0][:17]) == "length"
    assert reason_of(PUBLISHED[0] + "0") == "length"


@pytest.mark.parametrize("letter", "IOSVZ")
def test_forbidden_letters_are_rejected(letter: str) -> None:
    code = PUBLISHED[1]
    assert reason_of(letter + code[1:]) == "format"
    assert reason_of(code[:17] + letter) == "format"
    with pytest.raises(InvalidUnitCode) as info:
        make_unit_code(letter + code[1:17])
    assert info.value.reason == "format"


def test_reason_format_other_characters() -> None:
    assert reason_of("91330100-99655058B") == "format"
    assert reason_of("91330100７99655058é") == "format"


def test_reason_checksum() -> None:
    code = PUBLISHED[0]
    assert reason_of(code[:17] + "0") == "checksum"


def test_make_unit_code_rejects_bad_body() -> None:
    with pytest.raises(InvalidUnitCode) as info:
        make_unit_code("1234")
    assert info.value.reason == "length"
    with pytest.raises(InvalidUnitCode) as info:
        make_unit_code("9133010079965505b")  # lower case is not normalized here
    assert info.value.reason == "format"


def test_exception_is_value_error_without_code() -> None:
    with pytest.raises(ValueError) as info:
        parse_unit_code(PUBLISHED[0][:17] + "0")
    assert PUBLISHED[0][:17] not in str(info.value)


@given(bodies)
def test_make_unit_code_round_trips(body: str) -> None:
    code = make_unit_code(body)
    assert len(code) == 18
    assert code[:17] == body
    assert code[17] in ALPHABET
    assert parse_unit_code(code) == code
    assert parse_unit_code(code.lower()) == code


@given(bodies, st.integers(0, 16), st.integers(1, len(ALPHABET) - 1))
def test_single_substitution_is_detected(body: str, position: int, shift: int) -> None:
    code = make_unit_code(body)
    replacement = ALPHABET[(ALPHABET.index(code[position]) + shift) % len(ALPHABET)]
    changed = code[:position] + replacement + code[position + 1 :]
    assert reason_of(changed) == "checksum"


@given(bodies)
def test_every_other_check_char_is_rejected(body: str) -> None:
    code = make_unit_code(body)
    for ch in ALPHABET:
        if ch != code[17]:
            assert reason_of(body + ch) == "checksum"
