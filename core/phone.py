"""Mainland mobile numbers, as a roster writes them and as Telegram's contact button shares
them ("+86 138-0013-8000", "8613800138000", "138 0013 8000"): one comparable form.

A phone number is personal data: nothing here puts it into an exception message."""

from __future__ import annotations

import re
import unicodedata

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_NOISE = frozenset(" -.()+\u00a0\u3000")


def normalize_mobile(raw: str) -> str | None:
    """The 11 digits of a mainland mobile number, or None when `raw` is not one."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text or any(not ch.isascii() or not (ch.isdigit() or ch in _NOISE) for ch in text):
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    return digits if _MOBILE.fullmatch(digits) else None
