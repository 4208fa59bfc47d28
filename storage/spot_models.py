"""Tables of the spot checks (抽查, migration 0004): a reproducible draw of verified claims and
its items, each marked confirmed or revoked by an auditor. Imported at the end of
storage.models so that Base.metadata is complete wherever the models are used."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId

# A seed is any integer in [0, 2**63): BIGINT on PostgreSQL, INTEGER (64 bits) on SQLite.
SeedInt = BigInteger().with_variant(Integer, "sqlite")


class SpotCheck(Base):
    """One draw. The population is every approved professional claim matching the filter,
    ordered by record id; `random.Random(seed)` picks `size` of them. `population_sha256`
    identifies the population drawn from, so the draw can be repeated and compared."""

    __tablename__ = "spot_checks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    city: Mapped[str | None] = mapped_column(String(50))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    requested_size: Mapped[int | None] = mapped_column(Integer)
    share: Mapped[str | None] = mapped_column(String(20))  # "1/10" when drawn by share
    seed: Mapped[int] = mapped_column(SeedInt)
    population: Mapped[int] = mapped_column(Integer)
    population_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # open | done
    auditor_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    assigned_at: Mapped[datetime | None]
    assigned_by: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class SpotCheckItem(Base):
    """One drawn claim. `outcome` moves once from open to confirmed, revoked or void (the
    claim changed after the draw), by a conditional UPDATE: of two auditors marking at once,
    one decides."""

    __tablename__ = "spot_check_items"
    __table_args__ = (
        UniqueConstraint("check_id", "record_id"),
        Index("ix_spot_check_items_check_seq", "check_id", "seq", unique=True),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("spot_checks.id"))
    seq: Mapped[int] = mapped_column(Integer)  # the order of the draw, from 1
    record_id: Mapped[int] = mapped_column(ForeignKey("hour_records.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    hours: Mapped[Fraction]  # the verified hours when drawn
    outcome: Mapped[str] = mapped_column(String(20))  # open | confirmed | revoked | void
    reason: Mapped[str | None] = mapped_column(Text)
    marked_by: Mapped[str | None] = mapped_column(String(100))  # account:N | cli
    marked_at: Mapped[datetime | None]
