"""The public-subject exam, pure: drawing an attempt, grading it, counting attempts, expiry.

No I/O and no clock: the caller passes a `random.Random`, the time and the policy. Option
indexes come in two spaces: *original* (as stored in the question bank) and *displayed* (after
the attempt's shuffle). An attempt keeps, per question, `order` with order[displayed] =
original, so grading never trusts what a button says about correctness.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from core.rules import ExamPolicy

# Project default, not from the notice nor the policy file: with no time limit in the policy
# (time_limit_minutes = 0), an attempt left in progress this long is abandoned and counts as
# used, so an attempt cannot be held open indefinitely to look answers up.
DEFAULT_ABANDON_AFTER = timedelta(hours=24)


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUEFALSE = "truefalse"


class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    ABANDONED = "abandoned"  # expired unsubmitted; counts as a used, failed attempt


class NotEnoughQuestions(ValueError):
    def __init__(self, available: int, needed: int) -> None:
        super().__init__(f"{available} questions available, {needed} needed")
        self.available = available
        self.needed = needed


@dataclass(frozen=True, slots=True)
class BankQuestion:
    """What drawing and grading need of a stored question (answer as original indexes)."""

    id: int
    kind: QuestionKind
    option_count: int
    answer: frozenset[int]


@dataclass(frozen=True, slots=True)
class DrawnQuestion:
    id: int
    order: tuple[int, ...]  # order[displayed index] = original index

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "order": list(self.order)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DrawnQuestion:
        return cls(int(data["id"]), tuple(int(i) for i in data["order"]))


def draw(bank: Sequence[BankQuestion], count: int, rng: random.Random) -> list[DrawnQuestion]:
    """A fresh random sample of `count` distinct questions, options shuffled. True/false keeps
    its order (对 before 错): shuffling two fixed words only confuses."""
    if len(bank) < count:
        raise NotEnoughQuestions(len(bank), count)
    drawn = []
    for q in rng.sample(list(bank), count):
        order = list(range(q.option_count))
        if q.kind is not QuestionKind.TRUEFALSE:
            rng.shuffle(order)
        drawn.append(DrawnQuestion(q.id, tuple(order)))
    return drawn


def valid_choice(kind: QuestionKind, option_count: int, chosen: Iterable[int]) -> bool:
    """Single and true/false take exactly one option; multiple at least one; all in range."""
    picked = list(chosen)
    if len(set(picked)) != len(picked) or not all(0 <= i < option_count for i in picked):
        return False
    if kind is QuestionKind.MULTIPLE:
        return len(picked) >= 1
    return len(picked) == 1


def to_original(order: Sequence[int], displayed: Iterable[int]) -> frozenset[int]:
    return frozenset(order[i] for i in displayed)


def is_correct(question: BankQuestion, chosen_original: frozenset[int]) -> bool:
    """Multiple choice is right only with exactly the right set; no partial credit."""
    return chosen_original == question.answer


def grade(
    drawn: Sequence[DrawnQuestion],
    bank: Mapping[int, BankQuestion],
    answers: Mapping[int, Sequence[int]],
) -> int:
    """Correct answers of an attempt. `answers` maps a position to displayed indexes;
    unanswered positions are wrong. A question removed from the bank or whose option count
    changed during the attempt counts as correct: the person cannot be blamed for the edit."""
    correct = 0
    for position, dq in enumerate(drawn):
        q = bank.get(dq.id)
        if q is None or q.option_count != len(dq.order):
            correct += 1
            continue
        chosen = answers.get(position)
        if chosen is not None and is_correct(q, to_original(dq.order, chosen)):
            correct += 1
    return correct


def attempts_allowed(policy: ExamPolicy, extra_granted: int) -> int:
    return policy.attempts + extra_granted


def attempts_left(policy: ExamPolicy, extra_granted: int, counted: int) -> int:
    """Every attempt started counts (in progress, submitted or abandoned)."""
    return max(0, attempts_allowed(policy, extra_granted) - counted)


def abandon_after(policy: ExamPolicy) -> timedelta:
    """The policy's time limit when it sets one, else the project default above."""
    if policy.time_limit_minutes > 0:
        return timedelta(minutes=policy.time_limit_minutes)
    return DEFAULT_ABANDON_AFTER


def is_expired(policy: ExamPolicy, started_at: datetime, now: datetime) -> bool:
    return now - started_at >= abandon_after(policy)
