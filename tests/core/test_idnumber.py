"""Identity numbers: check digit, validation reasons, masking, and that nothing leaks."""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.idnumber import (
    ID_NUMBER_PATTERN,
    IdNumber,
    InvalidIdNumber,
    check_digit,
    contains_id_number,
    find_id_numbers,
    make_id_number,
    mask_id_number,
    mask_id_numbers,
    normalize_id_number,
    parse_id_number,
)

# Samples printed in GB 11643-1999 itself, so the check digits are independent of this code.
GB_SAMPLE_X = "11010519491231002X"
GB_SAMPLE_4 = "440524188001010014"
VALID = "450103199001011238"

PROVINCES = [
    *range(11, 16),
    *range(21, 24),
    *range(31, 38),
    *range(41, 47),
    *range(50, 55),
    *range(61, 66),
    71,
    81,
    82,
    83,
    91,
]

regions = st.builds(
    lambda province, rest: f"{province:02d}{rest:04d}",
    st.sampled_from(PROVINCES),
    st.integers(0, 9999),
)
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))
seqs = st.integers(0, 999)
valid_numbers = st.builds(make_id_number, regions, births, seqs)


def reason_of(raw: str, **kwargs: date) -> str:
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(raw, **kwargs)
    return info.value.reason


# --- check digit and known numbers -------------------------------------------------------


def test_check_digit_of_standard_samples() -> None:
    assert check_digit(GB_SAMPLE_X[:17]) == "X"
    assert check_digit(GB_SAMPLE_4[:17]) == "4"


def test_check_digit_rejects_bad_input() -> None:
    with pytest.raises(InvalidIdNumber):
        check_digit("1234")
    with pytest.raises(InvalidIdNumber):
        check_digit("1101051949123100A")


def test_parse_known_valid() -> None:
    idn = parse_id_number(GB_SAMPLE_X)
    assert idn.value == GB_SAMPLE_X
    assert idn.birth_date == date(1949, 12, 31)
    assert idn.region_code == "110105"
    assert idn.sex == "F"

    male = parse_id_number(VALID)
    assert male.birth_date == date(1990, 1, 1)
    assert male.region_code == "450103"
    assert male.sex == "M"


def test_parse_lower_case_x() -> None:
    assert parse_id_number(GB_SAMPLE_X.lower()).value == GB_SAMPLE_X


def test_born_today_is_fine() -> None:
    born = date(2024, 3, 1)
    number = make_id_number("450103", born, 12)
    assert parse_id_number(number, today=born).birth_date == born


# --- normalization -----------------------------------------------------------------------


def test_normalize_full_width_and_spaces() -> None:
    full_width = "".join(chr(0xFF10 + int(ch)) for ch in GB_SAMPLE_X[:17]) + "ｘ"
    raw = "\u3000 " + full_width[:6] + " " + full_width[6:] + "\t\n\u3000"
    assert normalize_id_number(raw) == GB_SAMPLE_X
    assert parse_id_number(raw).value == GB_SAMPLE_X
    assert normalize_id_number(GB_SAMPLE_X[:17] + "Ｘ") == GB_SAMPLE_X


def test_normalize_does_not_validate() -> None:
    assert normalize_id_number(" abc ") == "abc"
    assert normalize_id_number("") == ""


def test_normalize_drops_zero_width_characters() -> None:
    assert normalize_id_number("\ufeff" + VALID + "\u200b") == VALID


@given(st.data(), valid_numbers)
def test_every_shape_the_text_scan_finds_parses(data: st.DataObject, number: str) -> None:
    """What the guards recognise as an ID number is also accepted where one is asked for."""
    text = data.draw(shaped(number, glued=False))
    assert parse_id_number(text).value == number


# --- every reason code -------------------------------------------------------------------


def test_reason_length() -> None:
    assert reason_of("") == "length"
    assert reason_of(VALID[:17]) == "length"
    assert reason_of(VALID + "1") == "length"


def test_reason_format() -> None:
    assert reason_of("45010319900101123A") == "format"
    assert reason_of("4501031990O1011238") == "format"
    # Non-ASCII digits pass str.isdigit() but are not identity-number digits.
    assert reason_of("٤" + VALID[1:]) == "format"
    assert reason_of("x" + VALID[1:]) == "format"


def test_reason_region() -> None:
    assert reason_of(make_id_number("990103", date(1990, 1, 1), 123)) == "region"
    assert reason_of(make_id_number("000000", date(1990, 1, 1), 123)) == "region"
    assert reason_of(make_id_number("160103", date(1990, 1, 1), 123)) == "region"


def test_reason_birth_date_impossible_date() -> None:
    for birth in ("19900230", "19901301", "19900000", "00000101"):
        first17 = "450103" + birth + "123"
        assert reason_of(first17 + check_digit(first17)) == "birth_date"


def test_reason_birth_date_too_early() -> None:
    assert reason_of(GB_SAMPLE_4) == "birth_date"  # 1880, printed in the standard itself
    assert reason_of(make_id_number("450103", date(1899, 12, 31), 1)) == "birth_date"
    assert parse_id_number(make_id_number("450103", date(1900, 1, 1), 1))


def test_reason_birth_date_in_the_future() -> None:
    number = make_id_number("450103", date(2024, 3, 2), 1)
    assert reason_of(number, today=date(2024, 3, 1)) == "birth_date"
    # Without `today` there is no clock to compare with.
    assert parse_id_number(number).birth_date == date(2024, 3, 2)


def test_reason_checksum() -> None:
    wrong = VALID[:17] + ("0" if VALID[17] != "0" else "1")
    assert reason_of(wrong) == "checksum"
    assert reason_of(GB_SAMPLE_X[:17] + "1") == "checksum"


def test_exception_message_does_not_contain_number() -> None:
    wrong = VALID[:17] + "X"
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(wrong)
    assert VALID[:17] not in str(info.value)
    assert VALID[:17] not in repr(info.value)
    assert isinstance(info.value, ValueError)


def test_direct_construction_is_validated() -> None:
    with pytest.raises(InvalidIdNumber):
        IdNumber("not a number")
    assert IdNumber(VALID).value == VALID


# --- masking and leak protection ---------------------------------------------------------


def test_mask_examples() -> None:
    assert mask_id_number("450103199001011234") == "4501**********1234"
    assert mask_id_number("") == ""
    assert mask_id_number("12345678") == "********"
    assert mask_id_number("123456789") == "*********"
    assert mask_id_number("1234567890123456") == "1234********3456"


def test_str_and_repr_are_masked() -> None:
    idn = parse_id_number(VALID)
    assert str(idn) == "4501**********1238"
    assert repr(idn) == idn.masked() == str(idn)
    assert f"{idn}" == str(idn)
    assert VALID not in repr([idn, {"id": idn}])


def test_frozen() -> None:
    idn = parse_id_number(VALID)
    with pytest.raises(dataclasses.FrozenInstanceError):
        idn.value = GB_SAMPLE_X  # type: ignore[misc]


@given(st.text())
def test_mask_reveals_at_most_four_plus_four(text: str) -> None:
    masked = mask_id_number(text)
    assert len(masked) == len(text)
    kept = [i for i, ch in enumerate(masked) if ch != "*"]
    # Every visible character is the original one, in the first or last four positions.
    assert all(masked[i] == text[i] for i in kept)
    assert all(i < 4 or i >= len(text) - 4 for i in kept)
    assert len(kept) <= 8
    if len(text) < 16:
        assert masked == "*" * len(text)
    else:
        assert masked[4:-4] == "*" * (len(text) - 8)


@given(valid_numbers)
def test_str_repr_never_contain_full_value(number: str) -> None:
    idn = parse_id_number(number)
    for shown in (str(idn), repr(idn), f"{idn!r}", str([idn])):
        assert number not in shown
        assert ID_NUMBER_PATTERN.search(shown) is None


# --- properties of valid numbers ---------------------------------------------------------


@given(regions, births, seqs)
def test_every_made_number_parses(region: str, birth: date, seq: int) -> None:
    number = make_id_number(region, birth, seq)
    idn = parse_id_number(number, today=date(2030, 12, 31))
    assert idn.value == number
    assert idn.region_code == region
    assert idn.birth_date == birth
    assert idn.sex == ("M" if seq % 2 else "F")


@given(valid_numbers, st.integers(0, 16), st.integers(1, 9))
def test_single_digit_change_is_detected(number: str, position: int, delta: int) -> None:
    changed_digit = str((int(number[position]) + delta) % 10)
    changed = number[:position] + changed_digit + number[position + 1 :]
    with pytest.raises(InvalidIdNumber):
        parse_id_number(changed)


@given(valid_numbers)
def test_wrong_check_character_is_detected(number: str) -> None:
    for ch in "0123456789X":
        if ch != number[17]:
            assert reason_of(number[:17] + ch) == "checksum"


def test_make_id_number_rejects_bad_shape() -> None:
    with pytest.raises(ValueError):
        make_id_number("4501", date(1990, 1, 1), 1)
    with pytest.raises(ValueError):
        make_id_number("45010a", date(1990, 1, 1), 1)
    with pytest.raises(ValueError):
        make_id_number("450103", date(1990, 1, 1), 1000)
    with pytest.raises(ValueError):
        make_id_number("450103", date(1990, 1, 1), -1)
    assert make_id_number("450103", date(1990, 1, 1), 7)[14:17] == "007"


# --- log-scanning pattern ----------------------------------------------------------------


def test_pattern_finds_numbers_in_text() -> None:
    text = f"user 42 sent {VALID} and {GB_SAMPLE_X.lower()}; 身份证{VALID}。"
    assert ID_NUMBER_PATTERN.findall(text) == [VALID, GB_SAMPLE_X.lower(), VALID]


def test_pattern_ignores_other_tokens() -> None:
    assert ID_NUMBER_PATTERN.search("chat -1001234567890 user 123456789") is None
    assert ID_NUMBER_PATTERN.search("9" + VALID) is None  # 19 digits
    assert ID_NUMBER_PATTERN.search(VALID + "A") is None
    assert ID_NUMBER_PATTERN.search("4501**********1238") is None


# --- ID numbers in other shapes (issue 17 item 2): one matcher for every guard and mask -----

FULLWIDTH = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)} | {"X": "Ｘ"})
SEPARATORS = [" ", "  ", "-", " - ", ".", "·", "\u3000", "－", "\u200b", "\u2013", "\u00a0"]


def digits_of(text: str) -> str:
    """Every digit and X of a text, NFKC-folded and run together: the strictest leak check
    (a masked form keeps only 4 + 4 of them)."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if ch.isascii() and (ch.isdigit() or ch in "Xx")).upper()


@st.composite
def shaped(draw: st.DrawFn, number: str, glued: bool = True) -> str:
    """The number as people type it: cut into groups with separators, some characters
    full-width, a word or letter glued before or after."""
    cuts = sorted(draw(st.sets(st.integers(1, 17), max_size=6)))
    parts = [number[a:b] for a, b in zip([0, *cuts], [*cuts, 18], strict=True)]
    text = ""
    for i, part in enumerate(parts):
        if i:
            text += draw(st.sampled_from(SEPARATORS))
        if draw(st.booleans()):
            part = part.translate(FULLWIDTH)
        text += part
    if number.endswith("X") and draw(st.booleans()):
        text = text[:-1] + "x"
    if not glued:
        return text
    before = draw(st.sampled_from(["", "ID", "身份证号：", "x", "No.", "证件 ", "（"]))
    after = draw(st.sampled_from(["", "号", " 与本人不符", "A", "）", "。", " 12 学时"]))
    return before + text + after


@given(st.data(), valid_numbers)
def test_every_shape_of_a_valid_number_is_masked(data: st.DataObject, number: str) -> None:
    text = data.draw(shaped(number))
    assert contains_id_number(text)
    [span] = find_id_numbers(text)
    assert span.value == number
    masked = mask_id_numbers(text)
    assert mask_id_number(number) in masked
    assert number not in digits_of(masked)
    assert masked == text[: span.start] + mask_id_number(number) + text[span.end :]


@given(valid_numbers, valid_numbers)
def test_two_numbers_in_one_text_are_both_masked(a: str, b: str) -> None:
    text = f"{a[:6]} {a[6:14]} {a[14:]}，{b.translate(FULLWIDTH)}"
    masked = mask_id_numbers(text)
    assert a not in digits_of(masked) and b not in digits_of(masked)
    assert len(find_id_numbers(text)) == 2


phones = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
hours = st.sampled_from(["0.5", "4", "8", "12", "12.5", "90", "1.5", "24"])


@given(phones, st.sampled_from(["{}", "{} {} {}", "{}-{}-{}", "+86 {} {} {}", "电话{}{}{}"]))
def test_a_phone_number_is_left_alone(phone: str, shape: str) -> None:
    text = shape.format(*([phone] if shape == "{}" else [phone[:3], phone[3:7], phone[7:]]))
    assert mask_id_numbers(text) == text


@given(st.lists(phones, min_size=2, max_size=4), st.sampled_from(["、", ", ", "；", " / ", "\n"]))
def test_a_list_of_phone_numbers_is_left_alone(numbers: list[str], joiner: str) -> None:
    text = joiner.join(numbers)
    assert mask_id_numbers(text) == text


def test_phone_numbers_in_groups_in_a_row() -> None:
    # written with spaces in a row, 18 digits of a list can look like an ID number (this one:
    # province 11, born 2000-01-10); inside a longer run of groups the check digit must hold
    text = "130 0000 1100 132 0000 1100 130 0000 0000"
    assert mask_id_numbers(text) == text
    # a real ID number followed by more numbers is still masked
    assert mask_id_numbers("4501 0319 9201 3005 60 12 学时") == "4501**********0560 12 学时"


@given(st.lists(hours, min_size=1, max_size=12))
def test_hours_and_dates_are_left_alone(values: list[str]) -> None:
    text = "、".join(f"{v} 学时" for v in values) + "，2024-05-03 至 2024-12-31，共 90 学时"
    assert mask_id_numbers(text) == text


def test_what_is_not_an_id_number() -> None:
    number = "450103199201300560"
    assert not contains_id_number("9" + number)  # 19 digits: some other number
    assert not contains_id_number(number[:17])  # 17 digits
    assert not contains_id_number("chat -1001234567890 user 123456789")
    assert not contains_id_number("4501**********0560")  # already masked
    assert not contains_id_number("4501    0319 9201 3005 60")  # a gap of 4: separate numbers
    assert not contains_id_number("1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8")  # no province, no birth
    assert not contains_id_number("138 0013 8000 139 0013")  # a phone and more digits


def test_an_eighteen_digit_run_that_fails_the_check_digit() -> None:
    number = "450103199201300560"
    typo = number[:17] + "1"
    with pytest.raises(InvalidIdNumber):
        parse_id_number(typo)
    # written together it is masked all the same: a mistyped number still names a person
    assert mask_id_numbers(f"号码{typo}") == "号码4501**********0561"
    # written in groups it is masked when the province and the birth date are real ...
    assert mask_id_numbers("4501 0319 9201 3005 61") == "4501**********0561"
    # ... and left alone when they are not (digits in a row that only look long)
    assert mask_id_numbers("9901 0319 9201 3005 61") == "9901 0319 9201 3005 61"
    assert mask_id_numbers("4501 0319 9213 3005 61") == "4501 0319 9213 3005 61"
