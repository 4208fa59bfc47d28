"""Claim drafts: years, dates, categories, caps and half days, per core.rules and the policy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from claims_helpers import at, draft, shanghai

from services.claims import COMMON_REJECTION_REASONS, ClaimRefused, check_draft, reason_text
from services.context import AppContext
from services.i18n import translator
from tests.conftest import make_context


@pytest.fixture
def plain_ctx(sqlite_url: str, tmp_path: Path) -> Iterator[AppContext]:
    # check_draft reads no database; the context only brings policies and the clock
    yield make_context(sqlite_url, tmp_path, shanghai(2024, 11, 20, 10))


def reasons(ctx: AppContext, **changes: object) -> list[str]:
    return [p.reason for p in check_draft(ctx, draft(**changes)).problems]


def test_a_good_draft_passes(plain_ctx: AppContext) -> None:
    check = check_draft(plain_ctx, draft())
    assert check.ok and check.hours == 12 and not check.reviewer_sets_hours


def test_across_years_is_refused(plain_ctx: AppContext) -> None:
    assert reasons(plain_ctx, started_on=date(2023, 12, 30), completed_on=date(2024, 1, 2)) == [
        "outside_year"
    ]
    assert reasons(plain_ctx, started_on=date(2023, 5, 1), completed_on=date(2023, 5, 1)) == [
        "outside_year"
    ]
    assert reasons(plain_ctx, started_on=date(2024, 5, 2), completed_on=date(2024, 5, 1)) == [
        "dates_order"
    ]
    assert reasons(plain_ctx, completed_on=date(2024, 12, 1), started_on=date(2024, 12, 1)) == [
        "future"
    ]


def test_category_cap_and_hours(plain_ctx: AppContext) -> None:
    assert reasons(plain_ctx, hours=Fraction(90)) == []
    assert reasons(plain_ctx, hours=Fraction(91)) == ["above_max"]
    assert reasons(plain_ctx, hours="2.25") == ["hours-not_half"]
    assert reasons(plain_ctx, hours="abc") == ["hours-format"]
    assert reasons(plain_ctx, hours="0") == ["hours-non_positive"]
    assert reasons(plain_ctx, category="nonsense") == ["category"]
    assert reasons(plain_ctx, title="  ", organiser="") == ["empty", "empty"]
    assert reasons(plain_ctx, title="长" * 301) == ["too_long"]


def test_half_days_count_four_hours_each(plain_ctx: AppContext) -> None:
    check = check_draft(plain_ctx, draft(hours=None, half_days=3))
    assert check.ok and check.hours == 12
    assert reasons(plain_ctx, hours=None, half_days=23) == ["above_max"]  # 92 > 90
    assert reasons(plain_ctx, hours=None, half_days=0) == ["hours-non_positive"]
    assert reasons(plain_ctx, hours=Fraction(4), half_days=1) == ["hours_or_half_days"]
    assert reasons(plain_ctx, hours=None) == ["hours_or_half_days"]
    # conferences are not counted in half days: the unit sets their hours on review
    assert reasons(plain_ctx, category="conference", hours=None, half_days=2) == ["no_half_days"]


def test_reviewer_set_categories_say_so(plain_ctx: AppContext) -> None:
    check = check_draft(plain_ctx, draft(category="conference", hours=Fraction(6)))
    assert check.ok and check.reviewer_sets_hours and check.hours == 6
    assert translator("zh")("claim-hours-set-by-unit") != "claim-hours-set-by-unit"


@pytest.mark.parametrize(
    ("when", "open_"),
    [
        (shanghai(2024, 1, 1, 0, 0), True),
        (shanghai(2025, 3, 31, 23, 59), True),  # last year until 31 March, Shanghai time
        (shanghai(2025, 4, 1, 0, 0), False),
        (shanghai(2023, 12, 31, 23, 59), False),  # not before the year starts
    ],
)
def test_registration_deadline(plain_ctx: AppContext, when: object, open_: bool) -> None:
    ctx = at(plain_ctx, when)  # type: ignore[arg-type]
    got = reasons(ctx, started_on=date(2024, 1, 1), completed_on=date(2024, 1, 1))
    assert got == ([] if open_ else ["year_closed"])


def test_only_claimable_years(plain_ctx: AppContext) -> None:
    # 2023 has no policy and is past its deadline; 2025 has no policy yet
    assert reasons(
        plain_ctx, year=2023, started_on=date(2023, 5, 1), completed_on=date(2023, 5, 1)
    ) == ["year_closed"]
    assert reasons(at(plain_ctx, shanghai(2025, 2, 1)), year=2025) == ["year_closed"]


def test_every_reason_has_a_message_in_both_languages() -> None:
    keys = [f"claim-reason-{c}" for c in COMMON_REJECTION_REASONS]
    keys += [
        f"claim-problem-{r}"
        for r in [
            "year_closed",
            "category",
            "empty",
            "too_long",
            "dates_order",
            "outside_year",
            "future",
            "hours_or_half_days",
            "no_half_days",
            "hours-format",
            "hours-not_half",
            "hours-non_positive",
            "above_max",
        ]
    ]
    doc = ClaimRefused.__doc__ or ""
    refused = doc.split("Person side:")[1].replace("Reviewer side:", ",").replace(".", ",")
    keys += [f"claim-refused-{r.strip()}" for r in refused.split(",") if r.strip()]
    keys = [k.replace(" (args problems)", "") for k in keys]
    keys += [f"evidence-refused-{r}" for r in ("empty", "too_large", "type", "not_found", "busy")]
    keys += [f"upload-refused-{r}" for r in ("not_organiser", "file_changed")]
    for lang in ("zh", "en"):
        t = translator(lang)
        missing = [k for k in keys if not t._bundles[0].has_message(k)]
        assert not missing, (lang, missing)


def test_reason_text() -> None:
    zh, en = translator("zh"), translator("en")
    assert reason_text("blurry_evidence", zh) == "证明材料不清晰"
    assert reason_text("blurry_evidence", en) == "The evidence is not legible"
    assert reason_text("照片看不清", en) == "照片看不清" and reason_text(None, en) == ""
