"""The database schema for every part of cebot: people and units, roles, the years' study
(courses, exam attempts, hour records), reviews, certificates, the outbox, flow state, audit.

ID numbers are never stored in the clear: `id_hash` (keyed HMAC) finds a person, `id_cipher`
(Fernet) keeps the value for the person's own documents, `id_masked` is what people are shown.
"""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import HalfHours, UTCDateTime

# Stable constraint names, so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        Fraction: HalfHours(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


def _pk() -> Mapped[int]:
    return mapped_column(BigId, primary_key=True, autoincrement=True)


# ------------------------------------------------------------------ organisation and people


class Unit(Base):
    """An employer unit (用人单位), identified by its unified social credit code."""

    __tablename__ = "units"
    id: Mapped[int] = _pk()
    code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(50), index=True)
    created_at: Mapped[datetime]


class Person(Base):
    """A professional technical person. Created by import or by binding in the bot."""

    __tablename__ = "people"
    id: Mapped[int] = _pk()
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_cipher: Mapped[str] = mapped_column(Text)
    id_masked: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # False when the person chose their unit themselves and its reviewer has not confirmed it
    unit_confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    # the roster's mobile number, protected like the ID number (keyed hash to match the one
    # Telegram's contact button shares, Fernet to re-hash on key rotation); never shown
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_cipher: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Account(Base):
    """A chat account (Telegram user, console user); binds at most one person."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = _pk()
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), unique=True)
    language: Mapped[str] = mapped_column(String(10), default="zh")
    display_name: Mapped[str | None] = mapped_column(String(100))
    muted_optional: Mapped[bool] = mapped_column(Boolean, default=False)
    unreachable_at: Mapped[datetime | None]  # the user blocked the bot (403)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)  # rate limit on bad input
    locked_until: Mapped[datetime | None]
    # the privacy notice version this account consented to (None: not yet, or refused)
    consent_version: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime]


class Role(Base):
    """reviewer (of a unit), organiser (of an import source), admin, auditor."""

    __tablename__ = "roles"
    id: Mapped[int] = _pk()
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    source: Mapped[str | None] = mapped_column(String(100))
    granted_at: Mapped[datetime]
    granted_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None]


class BindingDispute(Base):
    """Someone with the right ID number and name found the person bound to another account
    and asked for a review: the unit's reviewers (administrators when it has none) move the
    binding to them or keep it."""

    __tablename__ = "binding_disputes"
    id: Mapped[int] = _pk()
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    claimant_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    holder_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    status: Mapped[str] = mapped_column(String(10))  # open | moved | kept
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class Invitation(Base):
    """One-time invitation code for a role, delivered as a deep link. Only its hash is kept."""

    __tablename__ = "invitations"
    id: Mapped[int] = _pk()
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    source: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


# ------------------------------------------------------------------ years and public subjects


class PolicyYear(Base):
    """Which yearly policy files are active, and the exact content they were activated with."""

    __tablename__ = "policy_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sha256: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    activated_at: Mapped[datetime | None]


class Course(Base):
    """A public-subject course: the year's mandatory course or an elective."""

    __tablename__ = "courses"
    __table_args__ = (UniqueConstraint("year", "code"),)
    id: Mapped[int] = _pk()
    year: Mapped[int] = mapped_column(Integer, index=True)
    code: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20))  # mandatory | elective
    topic: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Chapter(Base):
    __tablename__ = "chapters"
    __table_args__ = (UniqueConstraint("course_id", "seq"),)
    id: Mapped[int] = _pk()
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    media: Mapped[list[Any]] = mapped_column(default=list)


class Question(Base):
    """single | multiple | truefalse; options and answer as JSON lists."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("year", "code"),)
    id: Mapped[int] = _pk()
    year: Mapped[int] = mapped_column(Integer, index=True)
    code: Mapped[str] = mapped_column(String(50))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))
    topic: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[Any]]
    answer: Mapped[list[Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CourseProgress(Base):
    """Where a person is in a course (chapter place remembered) and when they finished it."""

    __tablename__ = "course_progress"
    __table_args__ = (UniqueConstraint("person_id", "course_id"),)
    id: Mapped[int] = _pk()
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    last_chapter: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None]


class ExamAttempt(Base):
    """One attempt at a year's mandatory exam. (person, year, attempt_no) is unique, so two
    concurrent starts or submissions cannot both count."""

    __tablename__ = "exam_attempts"
    __table_args__ = (UniqueConstraint("person_id", "year", "attempt_no"),)
    id: Mapped[int] = _pk()
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    attempt_no: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # in_progress | submitted | abandoned
    questions: Mapped[list[Any]]  # [{"id": 1, "order": [2, 0, 1, 3]}, ...]
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    started_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ExamGrant(Base):
    """Remedial study and re-exam (补学补考) reopened by an administrator: extra attempts."""

    __tablename__ = "exam_grants"
    id: Mapped[int] = _pk()
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    extra_attempts: Mapped[int] = mapped_column(Integer)
    granted_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    granted_at: Mapped[datetime]


# ------------------------------------------------------------------ hours


class ImportBatch(Base):
    __tablename__ = "import_batches"
    id: Mapped[int] = _pk()
    kind: Mapped[str] = mapped_column(String(20))  # units | people | hours | questions | courses
    source: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class HourRecord(Base):
    """Every hour that reaches a person's year: a claim, an import, or public hours credited.

    `dedup_key` makes imports and credits idempotent: public subjects use one key per year
    (`public_mandatory:2024`), so an imported pass and an in-bot pass never count twice.
    """

    __tablename__ = "hour_records"
    __table_args__ = (
        UniqueConstraint("person_id", "dedup_key"),
        Index("ix_hour_records_person_year", "person_id", "year"),
        Index("ix_hour_records_unit_status", "unit_id", "status"),
    )
    id: Mapped[int] = _pk()
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    year: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(String(20))  # claim | import | exam | electives
    source: Mapped[str | None] = mapped_column(String(100))  # import source name
    dedup_key: Mapped[str] = mapped_column(String(300))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # unit at the time
    category: Mapped[str | None] = mapped_column(String(50))
    course_code: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    organiser: Mapped[str | None] = mapped_column(String(200))
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Fraction]
    status: Mapped[str] = mapped_column(String(20))
    pledged_at: Mapped[datetime | None]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class EvidenceFile(Base):
    """A file kept under the data directory by content hash; never deleted with a claim."""

    __tablename__ = "evidence_files"
    id: Mapped[int] = _pk()
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class RecordEvidence(Base):
    __tablename__ = "record_evidence"
    __table_args__ = (UniqueConstraint("record_id", "file_id"),)
    id: Mapped[int] = _pk()
    record_id: Mapped[int] = mapped_column(ForeignKey("hour_records.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("evidence_files.id"))


class Review(Base):
    """Each decision on a record: approve, reject, reopen, spot-check confirm or revoke."""

    __tablename__ = "reviews"
    id: Mapped[int] = _pk()
    record_id: Mapped[int] = mapped_column(ForeignKey("hour_records.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


# ------------------------------------------------------------------ certificates


class Certificate(Base):
    """Issued once per person, kind and year; data frozen at issue. One live (unrevoked)
    certificate per person, kind and year, enforced by a partial unique index."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index(
            "uq_certificates_live",
            "person_id",
            "year",
            "kind",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )
    id: Mapped[int] = _pk()
    number: Mapped[str] = mapped_column(String(40), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # public_exam | ce
    data: Mapped[dict[str, Any]]
    file_path: Mapped[str | None] = mapped_column(String(300))
    issued_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)


# ------------------------------------------------------------------ messaging


class Campaign(Base):
    """A reminder run or broadcast; `key` makes a scheduled run happen once."""

    __tablename__ = "campaigns"
    id: Mapped[int] = _pk()
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    year: Mapped[int | None] = mapped_column(Integer)
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    queued: Mapped[int] = mapped_column(Integer, default=0)


class OutboxMessage(Base):
    """One message to send. (campaign_id, account_id) unique: nobody gets a campaign twice."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("campaign_id", "account_id"),
        Index("ix_outbox_status_due", "status", "not_before"),
    )
    id: Mapped[int] = _pk()
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    payload: Mapped[dict[str, Any]]
    optional: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


# ------------------------------------------------------------------ conversation and audit


class FlowState(Base):
    """Each account's current flow, step and draft. `version` makes two concurrent updates of
    the same user conflict instead of both winning."""

    __tablename__ = "flow_states"
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id"), primary_key=True, autoincrement=False
    )
    flow: Mapped[str | None] = mapped_column(String(50))
    step: Mapped[str | None] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime]

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ProcessedUpdate(Base):
    """Telegram update ids already handled, so a redelivered update is ignored."""

    __tablename__ = "processed_updates"
    update_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(index=True)  # pruned by age, nightly


class WebhookInbox(Base):
    """A webhook update accepted (answered 200) and not yet handled: kept until its turn
    commits, so a crash loses nothing. `payload` is the raw update, encrypted (users type ID
    numbers); `claimed_by` is the worker handling it (a dead worker's rows are taken over)."""

    __tablename__ = "webhook_inbox"
    update_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    user_key: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64), index=True)


class AuditEntry(Base):
    """Append-only (triggers refuse UPDATE and DELETE): who did what, to what, when.
    `data` never holds a full ID number."""

    __tablename__ = "audit_log"
    id: Mapped[int] = _pk()
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str | None] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


# Tables of later features live in their own modules; importing them here puts them on
# Base.metadata wherever the models are loaded (Alembic, tests, the application).
import storage.exam_models  # noqa: E402
import storage.privacy_models  # noqa: E402
import storage.reading_models  # noqa: E402
import storage.spot_models  # noqa: E402
import storage.wechat_models  # noqa: E402, F401
