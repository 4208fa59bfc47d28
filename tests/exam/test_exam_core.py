"""core/exam.py: drawing, grading and counting, as properties (hypothesis)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.exam import (
    DEFAULT_ABANDON_AFTER,
    BankQuestion,
    DrawnQuestion,
    NotEnoughQuestions,
    QuestionKind,
    abandon_after,
    attempts_allowed,
    attempts_left,
    draw,
    grade,
    is_expired,
    to_original,
    valid_choice,
)
from core.rules import ExamPolicy

POLICY = ExamPolicy(3, 20, 60, 0, 3, "")


@st.composite
def questions(draw_: st.DrawFn) -> BankQuestion:
    kind = draw_(st.sampled_from(list(QuestionKind)))
    count = 2 if kind is QuestionKind.TRUEFALSE else draw_(st.integers(2, 6))
    if kind is QuestionKind.MULTIPLE:
        answer = draw_(st.sets(st.integers(0, count - 1), min_size=1))
    else:
        answer = {draw_(st.integers(0, count - 1))}
    return BankQuestion(0, kind, count, frozenset(answer))


@st.composite
def banks(draw_: st.DrawFn) -> list[BankQuestion]:
    qs = draw_(st.lists(questions(), min_size=1, max_size=40))
    return [BankQuestion(i + 1, q.kind, q.option_count, q.answer) for i, q in enumerate(qs)]


@given(banks(), st.integers(0, 2**32), st.data())
def test_draw_is_a_sample_with_permuted_options(
    bank: list[BankQuestion], seed: int, data: st.DataObject
) -> None:
    count = data.draw(st.integers(1, len(bank)))
    drawn = draw(bank, count, random.Random(seed))
    by_id = {q.id: q for q in bank}
    assert len(drawn) == count and len({d.id for d in drawn}) == count
    for d in drawn:
        q = by_id[d.id]
        assert sorted(d.order) == list(range(q.option_count))
        if q.kind is QuestionKind.TRUEFALSE:
            assert d.order == (0, 1)
        assert DrawnQuestion.from_json(d.as_json()) == d
    assert draw(bank, count, random.Random(seed)) == drawn  # the rng alone decides


def test_draw_needs_enough_questions() -> None:
    bank = [BankQuestion(1, QuestionKind.SINGLE, 2, frozenset({0}))]
    with pytest.raises(NotEnoughQuestions):
        draw(bank, 2, random.Random(1))


def test_draws_differ_between_attempts() -> None:
    bank = [BankQuestion(i, QuestionKind.SINGLE, 4, frozenset({0})) for i in range(40)]
    rng = random.Random(7)
    assert draw(bank, 20, rng) != draw(bank, 20, rng)


def displayed_answer(q: BankQuestion, d: DrawnQuestion) -> list[int]:
    return [i for i, original in enumerate(d.order) if original in q.answer]


@given(banks(), st.integers(0, 2**32), st.data())
def test_right_answers_score_full_marks_and_any_other_choice_is_wrong(
    bank: list[BankQuestion], seed: int, data: st.DataObject
) -> None:
    drawn = draw(bank, len(bank), random.Random(seed))
    by_id = {q.id: q for q in bank}
    right = {p: displayed_answer(by_id[d.id], d) for p, d in enumerate(drawn)}
    assert grade(drawn, by_id, right) == len(drawn)
    assert grade(drawn, by_id, {}) == 0
    position = data.draw(st.integers(0, len(drawn) - 1))
    d = drawn[position]
    q = by_id[d.id]
    other = data.draw(st.sets(st.integers(0, q.option_count - 1), min_size=1))
    if valid_choice(q.kind, q.option_count, sorted(other)):
        changed = {**right, position: sorted(other)}
        expected = len(drawn) - (to_original(d.order, other) != q.answer)
        assert grade(drawn, by_id, changed) == expected  # multiple: exact set or nothing


def test_choice_shapes() -> None:
    assert valid_choice(QuestionKind.SINGLE, 4, [2])
    assert not valid_choice(QuestionKind.SINGLE, 4, [0, 1])
    assert not valid_choice(QuestionKind.TRUEFALSE, 2, [])
    assert valid_choice(QuestionKind.MULTIPLE, 4, [0, 3])
    assert not valid_choice(QuestionKind.MULTIPLE, 4, [0, 0])
    assert not valid_choice(QuestionKind.MULTIPLE, 4, [4])


def test_a_question_changed_under_an_attempt_does_not_cost_the_person() -> None:
    drawn = [DrawnQuestion(1, (0, 1, 2)), DrawnQuestion(2, (1, 0))]
    bank = {1: BankQuestion(1, QuestionKind.SINGLE, 4, frozenset({0}))}  # 2 removed, 1 grew
    assert grade(drawn, bank, {}) == 2


@given(st.integers(1, 10), st.integers(0, 20), st.integers(0, 40))
def test_attempts_left_is_allowed_minus_counted_never_negative(
    attempts: int, extra: int, counted: int
) -> None:
    policy = ExamPolicy(attempts, 20, 60, 0, 3, "")
    left = attempts_left(policy, extra, counted)
    assert left == max(0, attempts + extra - counted) and left >= 0
    assert attempts_allowed(policy, extra) == attempts + extra
    assert attempts_left(policy, extra, counted + 1) <= left


@given(st.integers(0, 3 * 24 * 60))
def test_expiry_at_the_limit(minutes: int) -> None:
    start = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)
    now = start + timedelta(minutes=minutes)
    assert is_expired(POLICY, start, now) == (timedelta(minutes=minutes) >= DEFAULT_ABANDON_AFTER)
    timed = ExamPolicy(3, 20, 60, 45, 3, "")
    assert abandon_after(timed) == timedelta(minutes=45)
    assert is_expired(timed, start, now) == (minutes >= 45)
