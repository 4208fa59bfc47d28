"""The schema behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from storage import migrate
from storage.db import Database
from storage.models import (
    Account,
    AuditEntry,
    Base,
    Certificate,
    FlowState,
    HourRecord,
    Person,
)

NOW = datetime(2024, 6, 1, 8, 30, tzinfo=UTC)


def _person(n: int = 1) -> Person:
    return Person(
        id_hash=f"h{n}",
        id_cipher="c",
        id_masked="4501**********0000",
        name="张三",
        unit_id=None,
        created_at=NOW,
        updated_at=NOW,
    )


def test_migrations_reach_head_and_match_models(database_url: str) -> None:
    assert migrate.current_revision(database_url) == migrate.head_revision()
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    from storage.db import sync_url

    engine = create_engine(sync_url(database_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


async def test_hours_and_times_round_trip_exactly(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.transaction() as s:
            p = _person()
            s.add(p)
            await s.flush()
            s.add(
                HourRecord(
                    person_id=p.id,
                    year=2024,
                    subject="professional",
                    origin="claim",
                    dedup_key="k1",
                    title="t",
                    completed_on=date(2024, 5, 1),
                    hours=Fraction(25, 2),
                    status="pending",
                    created_at=NOW,
                )
            )
        async with db.transaction() as s:
            rec = await s.scalar(select(HourRecord))
            assert rec is not None
            assert rec.hours == Fraction(25, 2)
            assert rec.created_at == NOW and rec.created_at.tzinfo is not None
            # stored as whole half hours, so SQL sums are exact integers
            raw = await s.scalar(text("select hours from hour_records"))
            assert raw == 25
    finally:
        await db.dispose()


async def test_audit_log_is_append_only(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.transaction() as s:
            s.add(AuditEntry(at=NOW, actor="cli", action="test", entity="x", data={"a": 1}))
        with pytest.raises(DBAPIError):
            async with db.transaction() as s:
                await s.execute(update(AuditEntry).values(actor="someone else"))
        with pytest.raises(DBAPIError):
            async with db.transaction() as s:
                await s.execute(delete(AuditEntry))
        async with db.transaction() as s:
            assert await s.scalar(select(AuditEntry.actor)) == "cli"
    finally:
        await db.dispose()


async def test_one_live_certificate_per_person_kind_year(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.transaction() as s:
            p = _person()
            s.add(p)
            await s.flush()
            pid = p.id
            s.add(
                Certificate(
                    number="A1", person_id=pid, year=2024, kind="ce", data={}, issued_at=NOW
                )
            )
        with pytest.raises(IntegrityError):
            async with db.transaction() as s:
                s.add(
                    Certificate(
                        number="A2", person_id=pid, year=2024, kind="ce", data={}, issued_at=NOW
                    )
                )
        async with db.transaction() as s:
            await s.execute(update(Certificate).values(revoked_at=NOW + timedelta(days=1)))
            # once revoked, a new certificate may be issued
            s.add(
                Certificate(
                    number="A3", person_id=pid, year=2024, kind="ce", data={}, issued_at=NOW
                )
            )
    finally:
        await db.dispose()


async def test_hour_record_dedup_key_is_unique_per_person(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.transaction() as s:
            p = _person()
            s.add(p)
            await s.flush()
            pid = p.id
        record = dict(
            person_id=pid,
            year=2024,
            subject="public_mandatory",
            origin="import",
            dedup_key="public_mandatory:2024",
            title="t",
            completed_on=date(2024, 5, 1),
            hours=Fraction(15),
            status="imported",
            created_at=NOW,
        )
        async with db.transaction() as s:
            s.add(HourRecord(**record))
        with pytest.raises(IntegrityError):
            async with db.transaction() as s:
                s.add(HourRecord(**record | {"origin": "exam", "status": "credited"}))
    finally:
        await db.dispose()


async def test_flow_state_versions_make_concurrent_writers_conflict(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.transaction() as s:
            acc = Account(channel="telegram", external_id="42", created_at=NOW)
            s.add(acc)
            await s.flush()
            s.add(FlowState(account_id=acc.id, flow="bind", step="id", data={}, updated_at=NOW))
            account_id = acc.id
        # two workers read the same version; the second save must fail, not overwrite
        first = db.sessions()
        second = db.sessions()
        try:
            a = await first.get(FlowState, account_id)
            b = await second.get(FlowState, account_id)
            assert a is not None and b is not None
            a.step = "name"
            await first.commit()
            b.step = "unit"
            with pytest.raises(StaleDataError):
                await second.commit()
        finally:
            await first.close()
            await second.close()
        async with db.transaction() as s:
            state = await s.get(FlowState, account_id)
            assert state is not None and state.step == "name" and state.version == 2
    finally:
        await db.dispose()


def test_downgrade_and_upgrade_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    assert migrate.current_revision(url) is None
    migrate.upgrade(url)
    assert migrate.current_revision(url) == migrate.head_revision()
