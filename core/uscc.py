"""Unified social credit codes (统一社会信用代码, GB 32100-2015): normalize, validate, build."""

from __future__ import annotations

from typing import Literal

UnitCodeReason = Literal["length", "format", "checksum"]

UNIT_CODE_LENGTH = 18

# I, O, S, V and Z are left out because they are easily confused with 1, 0, 5, U and 2.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES: dict[str, int] = {ch: i for i, ch in enumerate(ALPHABET)}

# 3**i mod 31: every weight is a unit mod 31, so any single substitution changes the sum.
_WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Full-width digits and Latin letters (U+FF10.., U+FF21.., U+FF41..) come from Chinese IMEs.
_FULLWIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): chr(0x30 + i) for i in range(10)},
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
    }
)
# Invisible characters that survive copy-paste but are not str.isspace().
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")


class InvalidUnitCode(ValueError):
    """Raised with a reason code the caller translates: length, format, checksum."""

    def __init__(self, reason: UnitCodeReason) -> None:
        super().__init__(f"invalid unified social credit code ({reason})")
        self.reason: UnitCodeReason = reason


def normalize_unit_code(raw: str) -> str:
    """Drop all whitespace, map full-width characters to ASCII, upper-case; no validation."""
    text = "".join(ch for ch in raw if not ch.isspace() and ch not in _INVISIBLE)
    return text.translate(_FULLWIDTH).upper()


def _check_body(body: str) -> None:
    if len(body) != UNIT_CODE_LENGTH - 1:
        raise InvalidUnitCode("length")
    if any(ch not in _VALUES for ch in body):
        raise InvalidUnitCode("format")


def uscc_check_char(first17: str) -> str:
    """Check character for the first 17 characters (weighted sum modulo 31)."""
    _check_body(first17)
    total = sum(_VALUES[ch] * weight for ch, weight in zip(first17, _WEIGHTS, strict=True))
    # 31 - (total % 31) is in 1..31; 31 stands for 0.
    return ALPHABET[(31 - total % 31) % 31]


def parse_unit_code(raw: str) -> str:
    """Normalize and validate; returns the 18-character code."""
    code = normalize_unit_code(raw)
    if len(code) != UNIT_CODE_LENGTH:
        raise InvalidUnitCode("length")
    if any(ch not in _VALUES for ch in code):
        raise InvalidUnitCode("format")
    if uscc_check_char(code[:17]) != code[17]:
        raise InvalidUnitCode("checksum")
    return code


def make_unit_code(body17: str) -> str:
    """Append the check character to a 17-character body already in ALPHABET."""
    return body17 + uscc_check_char(body17)
