"""Chinese resident identity numbers (GB 11643-1999): normalize, validate, mask, build.

The raw number is personal data: nothing here puts it into an exception message or a repr.
"""

from __future__ import annotations

import re
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
    """Drop all whitespace, map full-width digits/X to ASCII, upper-case a trailing x."""
    # Internal spaces too: people paste numbers grouped as "4501 0319 9001 ...".
    text = "".join(ch for ch in raw if not ch.isspace() and ch not in _INVISIBLE)
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


def mask_id_numbers(text: str) -> str:
    """Free text (a typed reason, an OCR'd line, a log message) with every ID-number-shaped
    run masked."""
    return ID_NUMBER_PATTERN.sub(lambda m: mask_id_number(m.group()), text)


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
