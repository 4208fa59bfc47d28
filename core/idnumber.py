"""Chinese resident identity numbers (GB 11643-1999): normalize, validate, mask, build.

The raw number is personal data: nothing here puts it into an exception message or a repr.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

IdNumberReason = Literal["length", "format", "checksum", "birth_date", "region"]

ID_NUMBER_LENGTH = 18
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# ISO 7064 MOD 11-2 as used by GB 11643: weight i is 2**(17-i) mod 11.
_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

_ASCII_DIGITS = frozenset("0123456789")

# Province-level codes (GB/T 2260), plus 71/81/82 (TW/HK/MO), 83 (TW residence permit), 91.
_PROVINCE_CODES: frozenset[str] = frozenset(
    f"{code:02d}"
    for code in (
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
    )
)

# Full-width digits and X are what Chinese IMEs produce; map them to ASCII.
_FULLWIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "Ｘ": "X", "ｘ": "x"})
# Invisible characters that survive copy-paste but are not str.isspace().
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")

# ASCII-only look-arounds instead of \b: in Unicode mode \b sees no boundary between a CJK
# character and a digit, so "身份证450103..." would slip past a log scan.
ID_NUMBER_PATTERN: re.Pattern[str] = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


class InvalidIdNumber(ValueError):
    """Raised with a reason code the caller translates; the number itself is never included."""

    def __init__(self, reason: IdNumberReason) -> None:
        super().__init__(f"invalid identity number ({reason})")
        self.reason: IdNumberReason = reason


def normalize_id_number(raw: str) -> str:
    """Drop all whitespace and the separators people type between groups (hyphens, dots),
    map full-width digits/X to ASCII, upper-case a trailing x: the shapes `find_id_numbers`
    recognises in free text are accepted where an ID number is asked for."""
    # Internal spaces too: people paste numbers grouped as "4501 0319 9001 ...".
    folded = (_fold(ch) for ch in raw)
    text = "".join(ch for ch in folded if not ch.isspace() and ch not in _SEPARATORS)
    text = text.translate(_FULLWIDTH)
    if text.endswith("x"):
        text = text[:-1] + "X"
    return text


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() also accepts e.g. Arabic-Indic and superscript digits.
    return bool(text) and all(ch in _ASCII_DIGITS for ch in text)


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != ID_NUMBER_LENGTH - 1:
        raise InvalidIdNumber("length")
    if not _is_ascii_digits(first17):
        raise InvalidIdNumber("format")
    total = sum(int(ch) * weight for ch, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _birth_date_of(value: str) -> date:
    # Caller has already checked the format, so int() cannot fail (and leak digits).
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def _validate(value: str, today: date | None) -> None:
    """Raise InvalidIdNumber for the first problem found in an already normalized value."""
    if len(value) != ID_NUMBER_LENGTH:
        raise InvalidIdNumber("length")
    if not _is_ascii_digits(value[:17]) or value[17] not in _CHECK_CHARS:
        raise InvalidIdNumber("format")
    if value[:2] not in _PROVINCE_CODES:
        raise InvalidIdNumber("region")
    try:
        birth = _birth_date_of(value)
    except ValueError:
        # from None: the chained date() error would otherwise ride along in tracebacks.
        raise InvalidIdNumber("birth_date") from None
    if birth < EARLIEST_BIRTH_DATE or (today is not None and birth > today):
        raise InvalidIdNumber("birth_date")
    if check_digit(value[:17]) != value[17]:
        raise InvalidIdNumber("checksum")


def mask_id_number(value: str) -> str:
    """First 4 and last 4 characters kept, the rest '*'; all '*' below 16 characters."""
    if len(value) < 16:
        # on a short (mistyped) value 4+4 would reveal most of it
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


# ---------------------------------------------------------------- ID numbers inside free text
#
# People type an ID number grouped ("4501 0319 9201 3005 60"), with hyphens or dots, in
# full-width digits from a Chinese IME, or glued to a word ("ID450103..."). The scan below is
# the ONE place that finds them; every guard (claim title, broadcast, chat deletion) and every
# mask (reasons, notices, logs) goes through `find_id_numbers`.
#
# Rules:
# - each character is NFKC-normalised on its own (full-width digits, Ｘ, ideographic space and
#   full-width hyphen become ASCII) while remembering where it came from, so the mask replaces
#   exactly the span of the original text;
# - a run is 17 digits and a check character (digit or X), with at most 3 separators (spaces,
#   hyphens/dashes, dots, middle dots, invisible characters) between two characters;
# - boundary: no digit directly before or after the run (a letter is allowed: "ID450103...");
# - written together (no separator), any 18-character run is treated as an ID number even
#   when its check digit fails: a mistyped number still names a person, and nothing else we
#   print is 18 digits long;
# - written with separators, the run counts only when it starts with a known province code and
#   holds a real birth date (the check digit may be wrong: a typo still names a person),
#   because phone numbers, hours and dates written in a row are also "digits and spaces" and
#   must stay readable; when more digit groups go on before or after it (a list of phone
#   numbers written with spaces), the check digit must be right too.

_SEPARATORS = (
    frozenset(" \t\n\r\f\v-.\u00b7\u30fb")  # spaces, hyphen, dot, middle dots
    | frozenset("\u2010\u2011\u2012\u2013\u2014\u2212")  # dashes and minus
    | _INVISIBLE
)
_MAX_SEPARATORS = 3


@dataclass(frozen=True, slots=True, repr=False)
class IdNumberSpan:
    """Where an ID number sits in a text: original [start, end), and the normalised value."""

    start: int
    end: int
    value: str
    joined: bool  # written without separators

    def __repr__(self) -> str:
        return f"IdNumberSpan({self.start}, {self.end}, {mask_id_number(self.value)})"


def _fold(ch: str) -> str:
    """One character in its ASCII shape when it is a digit, X or separator; else itself."""
    if ch.isascii():
        return ch
    folded = unicodedata.normalize("NFKC", ch)
    if len(folded) == 1 and (folded.isascii() or folded in _SEPARATORS):
        return folded
    return ch


# A cheap first look (C speed, every log line passes here): 17 digits of any script with
# short non-word gaps. Only texts that pass it are scanned character by character.
_CANDIDATE = re.compile(r"\d(?:\W{0,3}\d){16}")


def find_id_numbers(text: str) -> list[IdNumberSpan]:
    """Every ID number in free text, in any of the shapes above, left to right."""
    if _CANDIDATE.search(text) is None:
        return []
    folded = [_fold(ch) for ch in text]
    found: list[IdNumberSpan] = []
    n = len(folded)
    i = 0
    while i < n:
        if folded[i] not in _ASCII_DIGITS or (i > 0 and folded[i - 1] in _ASCII_DIGITS):
            i += 1
            continue
        span = _run_at(folded, i)
        if span is None:
            i += 1
            continue
        found.append(span)
        i = span.end
    return found


def _run_at(folded: list[str], start: int) -> IdNumberSpan | None:
    """The ID number that starts at `start` (a digit not preceded by a digit), if any."""
    n = len(folded)
    chars: list[str] = []
    i = start
    joined = True
    while len(chars) < ID_NUMBER_LENGTH:
        if i < n and folded[i] in _SEPARATORS and chars:
            gap = 0
            while i < n and folded[i] in _SEPARATORS:
                gap += 1
                i += 1
            if gap > _MAX_SEPARATORS:
                return None
            joined = False
        ch = folded[i] if i < n else ""
        if ch and ch in _ASCII_DIGITS:
            chars.append(ch)
        elif ch and ch in "Xx" and len(chars) == ID_NUMBER_LENGTH - 1:
            chars.append("X")
        else:
            return None
        i += 1
    if i < n and folded[i] in _ASCII_DIGITS:
        return None  # part of a longer number
    value = "".join(chars)
    if not joined:
        # digits in groups that go on before or after (a list of phone numbers) must be a
        # whole valid number, check digit included; alone they need only look like one
        inside_more = _digit_across_gap(folded, start - 1, -1) or _digit_across_gap(folded, i, 1)
        if not (_valid(value) if inside_more else _plausible(value)):
            return None
    return IdNumberSpan(start, i, value, joined)


def _digit_across_gap(folded: list[str], at: int, step: int) -> bool:
    """Is there a digit at `at`, or after up to _MAX_SEPARATORS separators in direction step?"""
    for _ in range(_MAX_SEPARATORS + 1):
        if not 0 <= at < len(folded):
            return False
        if folded[at] in _ASCII_DIGITS:
            return True
        if folded[at] not in _SEPARATORS:
            return False
        at += step
    return False


def _valid(value: str) -> bool:
    try:
        _validate(value, None)
    except InvalidIdNumber:
        return False
    return True


def _plausible(value: str) -> bool:
    """A known province and a real birth date: what tells an ID number typed in groups from
    other digits in a row. The check digit is not required, so a mistyped ID is masked too."""
    return _valid(value[:17] + check_digit(value[:17]))


def contains_id_number(text: str) -> bool:
    """Does free text carry an ID number in any shape (the guards' question)?"""
    return bool(find_id_numbers(text))


def mask_id_numbers(text: str) -> str:
    """Free text (a typed reason, an OCR'd line, a log message) with every ID number, in any
    shape, replaced by its masked form (4501**********1234)."""
    spans = find_id_numbers(text)
    if not spans:
        return text
    parts: list[str] = []
    at = 0
    for span in spans:
        parts.append(text[at : span.start])
        parts.append(mask_id_number(span.value))
        at = span.end
    parts.append(text[at:])
    return "".join(parts)


@dataclass(frozen=True, slots=True, repr=False)
class IdNumber:
    """A validated identity number; str() and repr() show only the masked form."""

    value: str

    def __post_init__(self) -> None:
        # Direct construction must not bypass validation (no `today` check here: no clock).
        if not isinstance(self.value, str):
            raise TypeError("IdNumber.value must be str")
        _validate(self.value, None)

    @property
    def birth_date(self) -> date:
        return _birth_date_of(self.value)

    @property
    def region_code(self) -> str:
        return self.value[:6]

    @property
    def sex(self) -> Literal["M", "F"]:
        # 17th digit: odd for men, even for women.
        return "M" if int(self.value[16]) % 2 == 1 else "F"

    def masked(self) -> str:
        return mask_id_number(self.value)

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        # Masked on purpose: reprs end up in logs, tracebacks and debugger output.
        return self.masked()


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """Normalize and validate; a birth date after `today` (when given) is rejected."""
    value = normalize_id_number(raw)
    _validate(value, today)
    return IdNumber(value)


def make_id_number(region: str, birth: date, seq: int) -> str:
    """Build an 18-character number with a correct check digit (demo data and tests).

    Only the shape is checked, so tests can also build checksum-correct numbers with a bad
    region or birth date.
    """
    if len(region) != 6 or not _is_ascii_digits(region):
        raise ValueError("region must be 6 ASCII digits")
    if not 0 <= seq <= 999:
        raise ValueError("seq must be in 0..999")
    first17 = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
    return first17 + check_digit(first17)
