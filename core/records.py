"""Rules for a single hour record, whoever registers it (an import row, a claim, a credit)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from core.rules import Policy, Subject

SUBJECT_ALIASES: dict[str, Subject] = {
    "professional": Subject.PROFESSIONAL,
    "专业科目": Subject.PROFESSIONAL,
    "专业": Subject.PROFESSIONAL,
    "public_mandatory": Subject.PUBLIC_MANDATORY,
    "公需必修": Subject.PUBLIC_MANDATORY,
    "公需科目必修课": Subject.PUBLIC_MANDATORY,
    "public_elective": Subject.PUBLIC_ELECTIVE,
    "公需选修": Subject.PUBLIC_ELECTIVE,
    "公需科目选修课": Subject.PUBLIC_ELECTIVE,
}


def parse_subject(raw: str) -> Subject | None:
    return SUBJECT_ALIASES.get(raw.strip().lower()) or SUBJECT_ALIASES.get(raw.strip())


def check_record(
    policy: Policy,
    subject: Subject,
    hours: Fraction,
    completed_on: date,
    category: str | None = None,
) -> list[str]:
    """Reason codes for every rule the record breaks (empty when it may be registered):
    - outside_year: the activity is not inside the record's year (no registering across years)
    - above_max: more hours than one record may carry
    - public_hours: public subjects carry exactly the policy's fixed hours
    """
    reasons: list[str] = []
    if completed_on.year != policy.year:
        reasons.append("outside_year")
    if subject is Subject.PROFESSIONAL:
        if hours > policy.max_hours_for(category):
            reasons.append("above_max")
    elif hours != policy.max_public_hours(subject):
        reasons.append("public_hours")
    return reasons


def dedup_key(
    subject: Subject, year: int, *, source: str, course_code: str, completed_on: date
) -> str:
    """One key per thing that can count once. Public subjects count once a year whatever their
    origin (an imported pass and an in-bot pass are the same pass); an imported professional
    course counts once per source, course and completion date."""
    if subject is not Subject.PROFESSIONAL:
        return f"{subject.value}:{year}"
    return f"import:{source}:{course_code}:{completed_on.isoformat()}"
