"""Tables for personal-information protection (migration 0003): consent decisions, the access
log of other people's views of a person's data, and the person's requests (correction, erasure).
Imported at the end of storage.models so that Base.metadata is complete everywhere."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class Consent(Base):
    """Each consent decision, kept as history: given or refused, for which notice version.
    The account's current version is on accounts.consent_version (read on every turn)."""

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    notice_version: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(10))  # given | refused | withdrawn
    decided_at: Mapped[datetime]


class AccessLogEntry(Base):
    """Someone other than the person viewed their record, evidence or report line. No personal
    data here beyond ids: the person may ask to see their own entries."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_person_at", "person_id", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    actor_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    actor_role: Mapped[str] = mapped_column(String(20))  # reviewer | auditor | admin | cli
    what: Mapped[str] = mapped_column(String(30))  # claim | evidence | report | record
    entity_id: Mapped[str | None] = mapped_column(String(50))


class DataRequest(Base):
    """A person's request about their data: a correction (routed to their unit's reviewers)
    or an erasure (binding removed at once, kept records deleted when `retain_until` passes)."""

    __tablename__ = "data_requests"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # correction | erasure
    status: Mapped[str] = mapped_column(String(20))  # open | scheduled | done
    text: Mapped[str | None] = mapped_column(Text)
    retain_until: Mapped[date | None]
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
