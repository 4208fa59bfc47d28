"""Consent history, the access log, export, correction requests and erasure with retention."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, date, datetime
from fractions import Fraction

from sqlalchemy import func, select
from starlette.testclient import TestClient

from core.idnumber import make_id_number, mask_id_number
from services.context import AppContext
from services.evidence import store_evidence
from services.privacy import (
    access_entries,
    export_person,
    notice,
    purge_due_erasures,
    record_access,
    record_consent,
    request_correction,
    request_erasure,
)
from storage.models import (
    Account,
    FlowState,
    HourRecord,
    OutboxMessage,
    Person,
    RecordEvidence,
    Role,
    Unit,
)
from storage.privacy_models import AccessLogEntry, Consent, DataRequest
from web.verify import build_web_app

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def make_person(ctx: AppContext, seq: int, unit_id: int | None = None) -> tuple[int, int]:
    """A person with an account and two hour records (2023 and 2024): (person id, account id)."""
    number = make_id_number("450103", date(1980, 1, 1), seq)
    now = ctx.now()
    async with ctx.db.transaction() as s:
        person = Person(
            id_hash=ctx.ids.lookup_hash(number),
            id_cipher=ctx.ids.encrypt(number),
            id_masked=mask_id_number(number),
            name=f"人员{seq}",
            unit_id=unit_id,
            created_at=now,
            updated_at=now,
        )
        s.add(person)
        await s.flush()
        account = Account(
            channel="test", external_id=f"p{seq}", person_id=person.id, created_at=now
        )
        s.add(account)
        await s.flush()
        s.add(FlowState(account_id=account.id, flow="x", step="y", data={"k": 1}, updated_at=now))
        for year in (2023, 2024):
            s.add(
                HourRecord(
                    person_id=person.id,
                    year=year,
                    subject="professional",
                    origin="claim",
                    dedup_key=f"c{seq}-{year}",
                    unit_id=unit_id,
                    title=f"培训{seq}-{year}",
                    completed_on=date(year, 5, 1),
                    hours=Fraction(8),
                    status="approved",
                    created_at=now,
                )
            )
        return person.id, account.id


async def test_consent_decisions_are_kept_as_history(ctx: AppContext) -> None:
    _pid, account_id = await make_person(ctx, 1)
    async with ctx.db.transaction() as s:
        account = await s.get(Account, account_id)
        assert account is not None
        record_consent(s, account, given=False, now=ctx.now())
        assert account.consent_version is None
        record_consent(s, account, given=True, now=ctx.now())
        assert account.consent_version == notice().version
    async with ctx.db.transaction() as s:
        decisions = list(
            await s.scalars(select(Consent.decision).where(Consent.account_id == account_id))
        )
    assert sorted(decisions) == ["given", "refused"]


async def test_export_holds_the_person_and_nobody_else(ctx: AppContext) -> None:
    pid, _ = await make_person(ctx, 2)
    other, _ = await make_person(ctx, 3)
    stored = await store_evidence(ctx, PNG)
    async with ctx.db.transaction() as s:
        record = await s.scalar(select(HourRecord).where(HourRecord.person_id == pid))
        assert record is not None
        s.add(RecordEvidence(record_id=record.id, file_id=stored.id))
        record_access(
            s,
            at=ctx.now(),
            person_id=pid,
            actor_account_id=None,
            actor_role="reviewer",
            what="claim",
            entity_id=record.id,
        )
    path = await export_person(ctx, pid)
    with zipfile.ZipFile(path) as zf:
        data = json.loads(zf.read("data.json"))
        names = zf.namelist()
    titles = {r["title"] for r in data["hour_records"]}
    assert titles == {"培训2-2023", "培训2-2024"}
    assert data["person"]["id_number"] == make_id_number("450103", date(1980, 1, 1), 2)
    assert "id_hash" not in data["person"] and "id_cipher" not in data["person"]
    assert len(data["access_log"]) == 1 and data["access_log"][0]["actor_role"] == "reviewer"
    assert any(n.startswith("evidence/") for n in names)
    assert "培训3" not in json.dumps(data, ensure_ascii=False)
    assert other != pid


async def test_correction_goes_to_the_units_reviewers(ctx: AppContext) -> None:
    now = ctx.now()
    async with ctx.db.transaction() as s:
        unit = Unit(code="12450000MB0000009X", name="某单位", city="南宁", created_at=now)
        s.add(unit)
        await s.flush()
        reviewer = Account(channel="test", external_id="rev", created_at=now)
        s.add(reviewer)
        await s.flush()
        s.add(
            Role(
                account_id=reviewer.id,
                role="reviewer",
                unit_id=unit.id,
                granted_at=now,
                granted_by="t",
            )
        )
        unit_id, reviewer_id = unit.id, reviewer.id
    pid, _ = await make_person(ctx, 4, unit_id)
    async with ctx.db.transaction() as s:
        person = await s.get(Person, pid)
        assert person is not None
        # an ID number typed in the request (here in groups) is masked before it is kept or sent
        text = "姓名应为人员肆，身份证 4501 0319 9201 3005 60"
        told = await request_correction(s, person=person, text=text, now=now)
    assert told == 1
    async with ctx.db.transaction() as s:
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.account_id == reviewer_id))
        request = await s.scalar(select(DataRequest).where(DataRequest.person_id == pid))
    assert row is not None and row.payload["key"] == "privacy-correction-for-reviewer"
    assert "人员肆" in row.payload["args"]["text"]
    assert request is not None and request.kind == "correction"
    for kept in (row.payload["args"]["text"], request.text):
        assert kept.endswith("身份证 4501**********0560")


async def test_erasure_unbinds_now_and_deletes_after_retention(ctx: AppContext) -> None:
    pid, account_id = await make_person(ctx, 5)
    keep, _ = await make_person(ctx, 6)
    async with ctx.db.transaction() as s:
        account = await s.get(Account, account_id)
        state = await s.get(FlowState, account_id)
        assert account is not None and state is not None
        receipt = await request_erasure(
            s, account=account, state=state, now=ctx.now(), today=ctx.today()
        )
    assert receipt is not None
    years = notice().retention_years
    assert receipt.retain_until == date(2024 + years, 12, 31) and receipt.records == 2
    async with ctx.db.transaction() as s:
        account = await s.get(Account, account_id)
        state = await s.get(FlowState, account_id)
        assert account is not None and account.person_id is None
        assert state is not None and state.data == {}
    # not yet due: everything is kept
    assert await purge_due_erasures(ctx) == 0
    ctx.clock = lambda: datetime(2024 + years + 1, 1, 2, 4, tzinfo=UTC)
    assert await purge_due_erasures(ctx) == 1
    async with ctx.db.transaction() as s:
        assert await s.get(Person, pid) is None
        left = await s.scalar(select(func.count(HourRecord.id)).where(HourRecord.person_id == pid))
        request = await s.scalar(select(DataRequest).where(DataRequest.kind == "erasure"))
        assert await s.get(Person, keep) is not None
    assert left == 0
    assert request is not None and request.status == "done" and request.person_id is None
    assert await purge_due_erasures(ctx) == 0  # done once


async def test_access_log_lists_the_newest_first(ctx: AppContext) -> None:
    pid, _ = await make_person(ctx, 7)
    async with ctx.db.transaction() as s:
        for n, what in enumerate(("claim", "evidence")):
            record_access(
                s,
                at=datetime(2024, 11, 20, n, tzinfo=UTC),
                person_id=pid,
                actor_account_id=None,
                actor_role="auditor",
                what=what,
            )
    async with ctx.db.transaction() as s:
        entries = await access_entries(s, pid)
        total = await s.scalar(select(func.count(AccessLogEntry.id)))
    assert [e.what for e in entries] == ["evidence", "claim"] and total == 2


def test_privacy_page_shows_the_notice(ctx: AppContext) -> None:
    client = TestClient(build_web_app(ctx))
    zh = client.get("/privacy")
    en = client.get("/privacy?lang=en")
    assert zh.status_code == 200 and notice().version in zh.text and "个人信息" in zh.text
    assert "Who processes it" in en.text and f"{notice().retention_years} years" in en.text


async def test_housekeeping_erases_due_people_and_old_exports(ctx: AppContext) -> None:
    import os

    from services.scheduler import housekeeping

    pid, account_id = await make_person(ctx, 8)
    async with ctx.db.transaction() as s:
        account = await s.get(Account, account_id)
        assert account is not None
        await request_erasure(s, account=account, state=None, now=ctx.now(), today=ctx.today())
    old = await export_person(ctx, pid)
    os.utime(old, (0, 0))  # written long ago
    fresh = await export_person(ctx, pid)
    later = datetime(2024 + notice().retention_years + 1, 1, 2, 4, tzinfo=UTC)
    os.utime(fresh, (later.timestamp() - 60, later.timestamp() - 60))  # a minute before
    ctx.clock = lambda: later
    await housekeeping(ctx)
    async with ctx.db.transaction() as s:
        assert await s.get(Person, pid) is None
    assert not old.exists() and fresh.exists()
