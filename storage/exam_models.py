"""Tables added by the exam work (migration 0002). Imported at the end of storage.models so
that Base.metadata is complete wherever the models are used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class RemedialRequest(Base):
    """A person's request for remedial study and a re-exam (补学补考) after every attempt
    failed. At most one pending request per person and year (partial unique index), so two
    taps cannot file two requests."""

    __tablename__ = "exam_remedial_requests"
    __table_args__ = (
        Index(
            "uq_exam_remedial_requests_pending",
            "person_id",
            "year",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # pending | approved | declined
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("exam_grants.id"))
