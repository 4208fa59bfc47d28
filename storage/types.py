"""Column types that keep the core's exact values exact in every database."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from core.hours import from_half_units, to_half_units


class HalfHours(TypeDecorator[Fraction]):
    """Hours as Fraction in Python, whole half-hours (INTEGER) in the database."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Fraction | None, dialect: Dialect) -> int | None:
        return None if value is None else to_half_units(Fraction(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Fraction | None:
        return None if value is None else from_half_units(int(value))


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, also on SQLite (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite has no zone type: store naive UTC so text comparisons order correctly
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
