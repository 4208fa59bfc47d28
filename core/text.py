"""Rules for free text that people type or import (names, titles, codes), checked once here
and used by the imports, the bot's binding and the report writers.

- Characters: no control characters (a NUL is refused by PostgreSQL, `\\x01` by every
  spreadsheet), no lone surrogates, no bidirectional overrides (they disguise text).
- Lengths: at most what the database column holds (storage/models.py), so that SQLite and
  PostgreSQL accept the same rows and a refusal names its line instead of a DataError.
- Formulas: a spreadsheet reads a cell starting with = + - @ (or a tab or CR before one) as a
  formula (OWASP "CSV injection"); a person's or a unit's name never starts so.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from core.idnumber import mask_id_numbers

# Maximum lengths, in characters, matching the columns they are stored in.
NAME_MAX = 50  # people.name is String(100); 50 is what the bot's binding accepts
UNIT_NAME_MAX = 200  # units.name
CITY_MAX = 50  # units.city
COURSE_CODE_MAX = 100  # hour_records.course_code
TITLE_MAX = 300  # hour_records.title
SOURCE_MAX = 100  # hour_records.source, roles.source
# Longer than any column: a cell beyond it is a broken or hostile file (Excel's own limit).
CELL_MAX = 32_767

FORMULA_LEADS = frozenset("=+-@\t\r")
# Format characters that reorder text on screen (Trojan Source): never part of a name or title.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
# What openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE), kept here for the writers.
SHEET_ILLEGAL_RE = re.compile(r"[\000-\010\013\014\016-\037]")

TextProblem = Literal["control", "too_long", "formula"]


def bad_character(text: str) -> str | None:
    """The first character that no stored or spreadsheet text may hold, else None."""
    for ch in text:
        if ch in _BIDI:
            return ch
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or ch in ("\ufffe", "\uffff"):
            return ch
    return None


def looks_like_formula(text: str) -> bool:
    """A value a spreadsheet would run: it starts (after tabs and CRs) with = + - @."""
    return bool(text) and text[0] in FORMULA_LEADS


def text_problem(text: str, max_length: int, *, name: bool = False) -> TextProblem | None:
    """Why `text` may not be stored in a column of `max_length` characters, else None.
    `name`: a person's or a unit's name, which may not start like a formula either."""
    if bad_character(text) is not None:
        return "control"
    if len(text) > max_length:
        return "too_long"
    if name and looks_like_formula(text):
        return "formula"
    return None


def char_label(ch: str) -> str:
    """A character as an error message can show it: U+0001."""
    return f"U+{ord(ch):04X}"


def shown(text: str, limit: int = 40) -> str:
    """A value quoted back in an error message, cut short (a 200,000-character cell is not
    worth repeating), an ID number in it masked (typed in the wrong column, say) and its
    control characters made visible."""
    # masked before the cut, with room for an ID number typed in groups across it
    text = mask_id_numbers(text[: limit + 40])
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return "".join(char_label(ch) if bad_character(ch) else ch for ch in cut)


def sheet_safe(text: str) -> str:
    """Last defence of the report writers: drop what a spreadsheet cannot hold."""
    return SHEET_ILLEGAL_RE.sub("", text)


def csv_safe(text: str) -> str:
    """A CSV value that a spreadsheet shows as text: a leading = + - @ tab or CR gets an
    apostrophe before it (OWASP), and characters no sheet can hold are dropped."""
    text = sheet_safe(text)
    return "'" + text if looks_like_formula(text) else text
