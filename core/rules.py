"""The yearly rules: policy as data, evaluation of a person's year, deadlines, eligibility.

Pure: no I/O, no clock reads. Callers pass today's date in the policy's time zone
(Asia/Shanghai) and the person's hour records. Every number comes from the Policy, which is
parsed from one data file per year (core/policies/<year>.toml).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum
from fractions import Fraction
from typing import Any

from core.hours import ZERO, ceil_to_half


class Subject(StrEnum):
    PROFESSIONAL = "professional"
    PUBLIC_MANDATORY = "public_mandatory"
    PUBLIC_ELECTIVE = "public_elective"


class RecordStatus(StrEnum):
    PENDING = "pending"  # claimed, waiting for the unit
    APPROVED = "approved"  # verified by the unit
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    IMPORTED = "imported"  # from an organiser, an industry system or the public-subject system
    CREDITED = "credited"  # public hours earned in the bot (exam passed, electives done)
    REVOKED = "revoked"  # cancelled by a spot check after it had counted


# Only verified hours count (RULES.md): approved claims and imported or credited records.
COUNTING_STATUSES = frozenset({RecordStatus.APPROVED, RecordStatus.IMPORTED, RecordStatus.CREDITED})


class Counting(StrEnum):
    ACTUAL_HOURS = "actual_hours"  # hours attended; half days converted by half_day_hours
    REVIEWER_SET = "reviewer_set"  # the 2019 values are unknown: the unit sets the hours


class PolicyError(ValueError):
    """A policy file that cannot be used; `problems` lists every fault found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class ClaimCategory:
    code: str
    name_zh: str
    name_en: str
    counting: Counting
    half_day_hours: Fraction | None = None
    max_hours: Fraction | None = None  # per record; None = the policy's per-record maximum


@dataclass(frozen=True, slots=True)
class ExamPolicy:
    attempts: int
    question_count: int
    pass_mark_percent: int
    time_limit_minutes: int
    remedial_attempts: int
    defaults_note: str

    def passes(self, correct: int, total: int) -> bool:
        """Exact integer comparison: correct/total >= pass_mark_percent/100."""
        return total > 0 and correct * 100 >= self.pass_mark_percent * total


@dataclass(frozen=True, slots=True)
class Policy:
    year: int
    timezone: str
    source: str
    min_total_hours: Fraction
    professional_share: Fraction
    mandatory_hours: Fraction
    mandatory_theme: str
    public_deadline: date
    elective_hours: Fraction
    elective_topics: tuple[str, ...]
    makeup_until: date | None
    exam: ExamPolicy
    registration_deadline: date
    verification_deadline: date
    max_hours_per_record: Fraction
    categories: tuple[ClaimCategory, ...]
    public_reminder_days: tuple[int, ...] = ()
    professional_reminder_days: tuple[int, ...] = ()
    send_from: time = time(9, 0)
    send_until: time = time(21, 0)
    extra: Mapping[str, Any] = field(default_factory=dict)
    # "draft" until an administrator activates it after `cebot policy check`; a draft is never
    # used for anyone's year (a file without the field is active: the shipped 2024 one)
    status: str = "active"
    # a policy the demo generated for years after the last real notice (never a real notice)
    demo: bool = False

    @property
    def active(self) -> bool:
        return self.status == "active"

    def category(self, code: str) -> ClaimCategory | None:
        return next((c for c in self.categories if c.code == code), None)

    def max_hours_for(self, category_code: str | None) -> Fraction:
        cat = self.category(category_code) if category_code else None
        if cat is not None and cat.max_hours is not None:
            return min(cat.max_hours, self.max_hours_per_record)
        return self.max_hours_per_record

    def max_public_hours(self, subject: Subject) -> Fraction:
        if subject is Subject.PUBLIC_MANDATORY:
            return self.mandatory_hours
        if subject is Subject.PUBLIC_ELECTIVE:
            return self.elective_hours
        raise ValueError(subject)


# --------------------------------------------------------------------------- parsing


def _fraction(value: Any, name: str, problems: list[str]) -> Fraction:
    try:
        if isinstance(value, (bool, float)):
            raise ValueError
        result = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        problems.append(f"{name}: not an exact number or fraction: {value!r}")
        return ZERO
    return result


def _date(value: Any, name: str, problems: list[str]) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{name}: not a date (YYYY-MM-DD): {value!r}")
        return date.min


def _time(value: Any, name: str, problems: list[str]) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{name}: not a time (HH:MM): {value!r}")
        return time(0, 0)


def _int(value: Any, name: str, problems: list[str]) -> int:
    # bool is an int in Python and floats would be truncated silently: refuse both
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if value is not None:  # a missing value was reported by _get already
        problems.append(f"{name}: not a whole number: {value!r}")
    return 0


def _get(data: Mapping[str, Any], path: str, problems: list[str], default: Any = ...) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            if default is ...:
                problems.append(f"{path}: missing")
                return None
            return default
        node = node[part]
    return node


POLICY_STATUSES = ("draft", "active")


def parse_policy(data: Mapping[str, Any]) -> Policy:
    """Build a Policy from a parsed policy file and check it is coherent, or raise PolicyError."""
    p: list[str] = []
    year = _get(data, "year", p, None)
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        p.append(f"year: not a year between 2000 and 2100: {year!r}")
        year = 2000  # placeholder so the remaining fields can still be checked
    exam = ExamPolicy(
        attempts=_int(_get(data, "exam.attempts", p), "exam.attempts", p),
        question_count=_int(_get(data, "exam.question_count", p), "exam.question_count", p),
        pass_mark_percent=_int(
            _get(data, "exam.pass_mark_percent", p), "exam.pass_mark_percent", p
        ),
        time_limit_minutes=_int(
            _get(data, "exam.time_limit_minutes", p, 0), "exam.time_limit_minutes", p
        ),
        remedial_attempts=_int(
            _get(data, "exam.remedial_attempts", p, 0), "exam.remedial_attempts", p
        ),
        defaults_note=str(_get(data, "exam.defaults_note", p, "")),
    )
    categories = []
    seen_codes: set[str] = set()
    for i, raw in enumerate(_get(data, "professional.categories", p, []) or []):
        name = f"professional.categories[{i}]"
        if not isinstance(raw, Mapping):
            p.append(f"{name}: not a table")
            continue
        code = str(raw.get("code", ""))
        if not code or code in seen_codes:
            p.append(f"{name}.code: missing or repeated: {code!r}")
        seen_codes.add(code)
        try:
            counting = Counting(raw.get("counting", ""))
        except ValueError:
            p.append(f"{name}.counting: one of {[c.value for c in Counting]}")
            counting = Counting.REVIEWER_SET
        half_day = raw.get("half_day_hours")
        max_hours = raw.get("max_hours")
        categories.append(
            ClaimCategory(
                code=code,
                name_zh=str(raw.get("name_zh", code)),
                name_en=str(raw.get("name_en", code)),
                counting=counting,
                half_day_hours=None if half_day is None else _fraction(half_day, name, p),
                max_hours=None if max_hours is None else _fraction(max_hours, name, p),
            )
        )
    makeup = _get(data, "public.makeup.until", p, None)
    status = str(_get(data, "status", p, "active"))
    if status not in POLICY_STATUSES:
        p.append(f"status: one of {list(POLICY_STATUSES)}, not {status!r}")
    demo = _get(data, "demo", p, False)
    if not isinstance(demo, bool):
        p.append(f"demo: true or false, not {demo!r}")
        demo = False
    policy = Policy(
        status=status,
        demo=demo,
        year=year,
        timezone=str(_get(data, "timezone", p, "Asia/Shanghai")),
        source=str(_get(data, "source", p, "")),
        min_total_hours=_fraction(_get(data, "requirement.min_total_hours", p), "min_total", p),
        professional_share=_fraction(
            _get(data, "requirement.professional_share", p), "professional_share", p
        ),
        mandatory_hours=_fraction(_get(data, "public.mandatory.hours", p), "mandatory.hours", p),
        mandatory_theme=str(_get(data, "public.mandatory.theme", p)),
        public_deadline=_date(_get(data, "public.mandatory.deadline", p), "deadline", p),
        elective_hours=_fraction(_get(data, "public.electives.hours", p), "electives.hours", p),
        elective_topics=tuple(str(t) for t in _get(data, "public.electives.topics", p, [])),
        makeup_until=None if makeup is None else _date(makeup, "public.makeup.until", p),
        exam=exam,
        registration_deadline=_date(
            _get(data, "professional.registration_deadline", p), "registration_deadline", p
        ),
        verification_deadline=_date(
            _get(data, "professional.verification_deadline", p), "verification_deadline", p
        ),
        max_hours_per_record=_fraction(
            _get(data, "professional.max_hours_per_record", p), "max_hours_per_record", p
        ),
        categories=tuple(categories),
        public_reminder_days=tuple(
            _int(d, "reminders.public_days_before", p)
            for d in _get(data, "reminders.public_days_before", p, [])
        ),
        professional_reminder_days=tuple(
            _int(d, "reminders.professional_days_before", p)
            for d in _get(data, "reminders.professional_days_before", p, [])
        ),
        send_from=_time(_get(data, "reminders.send_from", p, "09:00"), "send_from", p),
        send_until=_time(_get(data, "reminders.send_until", p, "21:00"), "send_until", p),
    )
    p.extend(check_policy(policy))
    if p:
        raise PolicyError(p)
    return policy


def check_policy(policy: Policy) -> list[str]:
    """Coherence checks a policy must pass before it can be used (dates in order, hours sane)."""
    p: list[str] = []
    y = policy.year
    if policy.min_total_hours <= 0:
        p.append("requirement.min_total_hours must be positive")
    if not 0 < policy.professional_share < 1:
        p.append("requirement.professional_share must lie strictly between 0 and 1")
    if policy.mandatory_hours <= 0 or policy.elective_hours < 0:
        p.append("public hours must be positive")
    if policy.public_deadline.year != y:
        p.append(f"public.mandatory.deadline must lie inside the policy's year {y}")
    if policy.active and not policy.mandatory_theme.strip():
        # a draft may still wait for the new notice's theme
        p.append("public.mandatory.theme: the year's mandatory theme is missing")
    topics = policy.elective_topics
    if policy.elective_hours > 0 and not topics:
        p.append("public.electives.topics: electives earn hours but no topic is listed")
    if topics and policy.elective_hours <= 0:
        p.append("public.electives.hours: topics are listed but the electives earn no hours")
    if len(set(topics)) != len(topics):
        p.append("public.electives.topics: a topic is listed twice")
    public_room = policy.min_total_hours * (1 - policy.professional_share)
    if 0 < policy.professional_share < 1 and (
        policy.mandatory_hours + policy.elective_hours > public_room
    ):
        # otherwise a person with every public hour could never meet the professional share
        p.append(
            "public.mandatory.hours + public.electives.hours exceed the public part of "
            f"requirement.min_total_hours ({public_room})"
        )
    if policy.makeup_until is not None and policy.makeup_until <= policy.public_deadline:
        p.append("public.makeup.until must come after the public deadline")
    for name, d in (
        ("registration_deadline", policy.registration_deadline),
        ("verification_deadline", policy.verification_deadline),
    ):
        if not date(y, 12, 31) <= d <= date(y + 1, 12, 31):
            p.append(f"professional.{name} must lie between the year's end and a year later")
    if policy.verification_deadline < policy.registration_deadline:
        p.append("professional.verification_deadline must not precede registration_deadline")
    if policy.max_hours_per_record <= 0:
        p.append("professional.max_hours_per_record must be positive")
    if not policy.categories:
        p.append("professional.categories: at least one category")
    ex = policy.exam
    if ex.attempts < 1 or ex.question_count < 1:
        p.append("exam.attempts and exam.question_count must be at least 1")
    if not 0 < ex.pass_mark_percent <= 100:
        p.append("exam.pass_mark_percent must be between 1 and 100")
    if ex.remedial_attempts < 0 or ex.time_limit_minutes < 0:
        p.append("exam.remedial_attempts and time_limit_minutes must not be negative")
    if any(d <= 0 for d in policy.public_reminder_days + policy.professional_reminder_days):
        p.append("reminders: days before a deadline must be positive")
    if policy.send_from >= policy.send_until:
        p.append("reminders.send_from must come before send_until")
    return p


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class RecordView:
    """What evaluation needs of one hour record."""

    subject: Subject
    status: RecordStatus
    hours: Fraction


@dataclass(frozen=True, slots=True)
class YearEvaluation:
    year: int
    public_mandatory_hours: Fraction
    public_elective_hours: Fraction
    professional_verified_hours: Fraction
    professional_pending_hours: Fraction
    professional_rejected_hours: Fraction
    min_total_hours: Fraction
    professional_share: Fraction
    professional_hours_needed: Fraction

    @property
    def public_hours(self) -> Fraction:
        return self.public_mandatory_hours + self.public_elective_hours

    @property
    def total_hours(self) -> Fraction:
        return self.public_hours + self.professional_verified_hours

    @property
    def mandatory_done(self) -> bool:
        return self.public_mandatory_hours > 0

    @property
    def total_met(self) -> bool:
        return self.total_hours >= self.min_total_hours

    @property
    def share_met(self) -> bool:
        # exact: professional >= share * total, with the share a Fraction
        return self.professional_verified_hours >= self.professional_share * self.total_hours

    @property
    def complete(self) -> bool:
        return self.total_met and self.share_met

    @property
    def total_hours_needed(self) -> Fraction:
        return max(ZERO, self.min_total_hours - self.total_hours)


def professional_hours_needed(
    public: Fraction, professional: Fraction, min_total: Fraction, share: Fraction
) -> Fraction:
    """Fewest extra verified professional hours that complete the year.

    Adding x professional hours must give public + professional + x >= min_total and
    professional + x >= share * (public + professional + x), i.e. x >= share*public/(1-share)
    - professional. For the 2/3 share that is 2*public - professional, as RULES.md puts it.
    Hours come in halves, so the share bound is rounded up to the next half hour.
    """
    by_total = min_total - public - professional
    by_share = ceil_to_half(share * public / (1 - share)) - professional
    return max(ZERO, by_total, by_share)


def evaluate_year(policy: Policy, records: Iterable[RecordView]) -> YearEvaluation:
    mandatory = elective = verified = pending = rejected = ZERO
    for r in records:
        if r.subject is Subject.PROFESSIONAL:
            if r.status in COUNTING_STATUSES:
                verified += r.hours
            elif r.status is RecordStatus.PENDING:
                pending += r.hours
            elif r.status is RecordStatus.REJECTED:
                rejected += r.hours
        elif r.status in COUNTING_STATUSES:
            if r.subject is Subject.PUBLIC_MANDATORY:
                mandatory += r.hours
            else:
                elective += r.hours
    # public subjects give a fixed number of hours once; never more, whatever was imported
    mandatory = min(mandatory, policy.mandatory_hours)
    elective = min(elective, policy.elective_hours)
    return YearEvaluation(
        year=policy.year,
        public_mandatory_hours=mandatory,
        public_elective_hours=elective,
        professional_verified_hours=verified,
        professional_pending_hours=pending,
        professional_rejected_hours=rejected,
        min_total_hours=policy.min_total_hours,
        professional_share=policy.professional_share,
        professional_hours_needed=professional_hours_needed(
            mandatory + elective, verified, policy.min_total_hours, policy.professional_share
        ),
    )


# --------------------------------------------------------------------------- deadlines


def days_until(deadline: date, today: date) -> int:
    """Whole days left, counting the deadline day itself as open (0 on the day, <0 after)."""
    return (deadline - today).days


def public_study_open(policy: Policy, today: date) -> bool:
    """The year's own mandatory course and exam: from 1 January to the public deadline."""
    return date(policy.year, 1, 1) <= today <= policy.public_deadline


def makeup_open(policy: Policy, today: date) -> bool:
    """Make-up of this policy's year, during the following year (RULES.md: 补学补考)."""
    return policy.makeup_until is not None and policy.public_deadline < today <= policy.makeup_until


def public_exam_credit_year(
    today: date, policies: Mapping[int, Policy], passed_years: Iterable[int]
) -> int | None:
    """Which year's public subjects a person studies now: last year's as make-up while it is
    open and unpassed (so the make-up is not crowded out), else this year's while open."""
    passed = set(passed_years)
    last = policies.get(today.year - 1)
    if last is not None and last.year not in passed and makeup_open(last, today):
        return last.year
    this = policies.get(today.year)
    if this is not None and this.year not in passed and public_study_open(this, today):
        return this.year
    return None


def open_public_years(today: date, policies: Mapping[int, Policy]) -> list[int]:
    """Every year whose public subjects can be studied today (own year or make-up)."""
    return sorted(
        y for y, pol in policies.items() if public_study_open(pol, today) or makeup_open(pol, today)
    )


def claim_registration_open(policy: Policy, today: date) -> bool:
    """A person may register year Y's professional hours from 1 Jan Y to the deadline."""
    return date(policy.year, 1, 1) <= today <= policy.registration_deadline


def claim_verification_open(policy: Policy, today: date) -> bool:
    return date(policy.year, 1, 1) <= today <= policy.verification_deadline


def claimable_years(today: date, policies: Mapping[int, Policy]) -> list[int]:
    """Years a claim can be registered for today: this year, and last year until 31 March."""
    return sorted(y for y, pol in policies.items() if claim_registration_open(pol, today))


def activity_in_year(year: int, started_on: date, ended_on: date | None = None) -> bool:
    """No registering across years: the whole activity lies inside the claimed year."""
    end = ended_on or started_on
    return started_on <= end and started_on.year == year and end.year == year


def policy_half_day_hours(policy: Policy) -> Fraction | None:
    """The year's half-day value (the category that counts half days: training), for days
    and half days stated on a certificate; None when no category counts them."""
    return next((c.half_day_hours for c in policy.categories if c.half_day_hours), None)


def half_days_to_hours(category: ClaimCategory, half_days: int) -> Fraction:
    """Training: each half day counts as the category's half_day_hours (4 in 2019/4号)."""
    if category.half_day_hours is None:
        raise ValueError(f"category {category.code} does not count half days")
    return category.half_day_hours * half_days


# --------------------------------------------------------------------------- eligibility


@dataclass(frozen=True, slots=True)
class TitleApplicationCheck:
    """职称申报: this year's mandatory course is a condition; last year is a reference."""

    eligible: bool
    this_year_mandatory_done: bool
    last_year_complete: bool | None  # None when last year has no policy or record


def public_certificate_eligible(ev: YearEvaluation) -> bool:
    return ev.mandatory_done


def ce_certificate_eligible(ev: YearEvaluation) -> bool:
    return ev.complete


def title_application(
    this_year: YearEvaluation, last_year: YearEvaluation | None
) -> TitleApplicationCheck:
    return TitleApplicationCheck(
        eligible=this_year.mandatory_done,
        this_year_mandatory_done=this_year.mandatory_done,
        last_year_complete=None if last_year is None else last_year.complete,
    )


def may_be_rated_excellent(ev: YearEvaluation) -> bool:
    """年度考核: whoever did not complete the year's study cannot be rated excellent."""
    return ev.complete


def in_send_window(policy: Policy, local_time: time) -> bool:
    return policy.send_from <= local_time < policy.send_until
