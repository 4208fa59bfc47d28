"""Personal information (个人信息保护法): consent to a versioned notice before any ID number is
typed, the access log of other people's views, and the person's rights — see what is held,
export it, ask for a correction, unbind and ask for erasure.

What an erasure keeps: the hour records, exam results and certificates a department must keep
are held until the end of the retention period after their year (privacy_notice/notice.toml),
then `purge_due_erasures` (a scheduled job) deletes them with the person; the chat binding and
conversation state go at once.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import tomllib
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.idnumber import mask_id_numbers
from services.audit import audit
from services.context import AppContext
from services.evidence import evidence_path
from services.notify import queue_notice, reviewer_accounts
from storage.exam_models import RemedialRequest
from storage.models import (
    Account,
    Certificate,
    CourseProgress,
    EvidenceFile,
    ExamAttempt,
    ExamGrant,
    FlowState,
    HourRecord,
    Person,
    RecordEvidence,
    Review,
    Unit,
)
from storage.privacy_models import AccessLogEntry, Consent, DataRequest
from storage.reading_models import EvidenceReadingRow

MAX_CORRECTION_TEXT = 500


@dataclass(frozen=True)
class PrivacyNotice:
    version: str
    retention_years: int

    def full_text(self, language: str) -> str:
        name = "notice-en.md" if language == "en" else "notice-zh.md"
        text = (resources.files("services") / "privacy_notice" / name).read_text(encoding="utf-8")
        return text.replace("{version}", self.version).replace(
            "{retention_years}", str(self.retention_years)
        )


@cache
def notice() -> PrivacyNotice:
    raw = tomllib.loads(
        (resources.files("services") / "privacy_notice" / "notice.toml").read_text(encoding="utf-8")
    )
    return PrivacyNotice(version=str(raw["version"]), retention_years=int(raw["retention_years"]))


# ------------------------------------------------------------------------------ consent


def needs_consent(account: Account, current: PrivacyNotice | None = None) -> bool:
    return account.consent_version != (current or notice()).version


def record_consent(session: AsyncSession, account: Account, *, given: bool, now: datetime) -> None:
    """Every decision is kept (which version, when); the account carries the current one."""
    version = notice().version
    session.add(
        Consent(
            account_id=account.id,
            notice_version=version,
            decision="given" if given else "refused",
            decided_at=now,
        )
    )
    account.consent_version = version if given else None


# ------------------------------------------------------------------------------ access log


def record_access(
    session: AsyncSession,
    *,
    at: datetime,
    person_id: int,
    actor_account_id: int | None,
    actor_role: str,
    what: str,
    entity_id: int | str | None = None,
) -> None:
    """Someone other than the person viewed their data. In the viewing transaction."""
    session.add(
        AccessLogEntry(
            at=at,
            person_id=person_id,
            actor_account_id=actor_account_id,
            actor_role=actor_role,
            what=what,
            entity_id=None if entity_id is None else str(entity_id),
        )
    )


async def record_accesses(
    session: AsyncSession,
    *,
    at: datetime,
    person_ids: list[int],
    actor_account_id: int | None,
    actor_role: str,
    what: str,
) -> None:
    """The same view of many people at once (a unit report): one set-based insert."""
    if not person_ids:
        return
    await session.execute(
        insert(AccessLogEntry),
        [
            {
                "at": at,
                "person_id": pid,
                "actor_account_id": actor_account_id,
                "actor_role": actor_role,
                "what": what,
                "entity_id": None,
            }
            for pid in person_ids
        ],
    )


async def access_entries(
    session: AsyncSession, person_id: int, limit: int = 30
) -> list[AccessLogEntry]:
    return list(
        await session.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.person_id == person_id)
            .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
            .limit(limit)
        )
    )


# ------------------------------------------------------------------------------ summary


@dataclass(frozen=True)
class DataSummary:
    name: str
    id_masked: str
    unit: str | None
    records_by_year: dict[int, int]
    claims: int
    evidence_files: int
    exam_attempts: int
    certificates: int
    access_entries: int
    consent_version: str | None


async def data_summary(session: AsyncSession, account: Account, person: Person) -> DataSummary:
    unit = await session.get(Unit, person.unit_id) if person.unit_id else None
    by_year = dict(
        (int(y), int(n))
        for y, n in (
            await session.execute(
                select(HourRecord.year, func.count(HourRecord.id))
                .where(HourRecord.person_id == person.id)
                .group_by(HourRecord.year)
                .order_by(HourRecord.year)
            )
        ).all()
    )

    async def count(stmt: Any) -> int:
        return int(await session.scalar(stmt) or 0)

    return DataSummary(
        name=person.name,
        id_masked=person.id_masked,
        unit=unit.name if unit else None,
        records_by_year=by_year,
        claims=await count(
            select(func.count(HourRecord.id)).where(
                HourRecord.person_id == person.id, HourRecord.origin == "claim"
            )
        ),
        evidence_files=await count(
            select(func.count(func.distinct(RecordEvidence.file_id)))
            .join(HourRecord, HourRecord.id == RecordEvidence.record_id)
            .where(HourRecord.person_id == person.id)
        ),
        exam_attempts=await count(
            select(func.count(ExamAttempt.id)).where(ExamAttempt.person_id == person.id)
        ),
        certificates=await count(
            select(func.count(Certificate.id)).where(Certificate.person_id == person.id)
        ),
        access_entries=await count(
            select(func.count(AccessLogEntry.id)).where(AccessLogEntry.person_id == person.id)
        ),
        consent_version=account.consent_version,
    )


# ------------------------------------------------------------------------------ export


def _value(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if hasattr(v, "numerator") and hasattr(v, "denominator") and not isinstance(v, int):
        return str(v)
    return v


def _row(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {c.key: _value(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in skip}


async def export_person(ctx: AppContext, person_id: int) -> Path:
    """Everything held about the person as a ZIP: data.json (their rows only) and their
    evidence files. The full ID number is included, decrypted, because it is theirs and the
    file goes to them alone; the ZIP is written under the data directory with a random name
    and should be deleted after sending (see `cleanup_export`)."""
    async with ctx.db.transaction() as session:
        person = await session.get(Person, person_id)
        if person is None:
            raise LookupError("person")
        records = list(
            await session.scalars(
                select(HourRecord).where(HourRecord.person_id == person_id).order_by(HourRecord.id)
            )
        )
        record_ids = [r.id for r in records]
        links = (
            list(
                await session.execute(
                    select(RecordEvidence.record_id, EvidenceFile)
                    .join(EvidenceFile, EvidenceFile.id == RecordEvidence.file_id)
                    .where(RecordEvidence.record_id.in_(record_ids))
                )
            )
            if record_ids
            else []
        )
        reviews = (
            list(await session.scalars(select(Review).where(Review.record_id.in_(record_ids))))
            if record_ids
            else []
        )
        accounts = list(
            await session.scalars(select(Account).where(Account.person_id == person_id))
        )
        account_ids = [a.id for a in accounts]
        data: dict[str, Any] = {
            "exported_at": ctx.now().isoformat(),
            "notice_version": notice().version,
            "person": {
                **_row(person, skip=("id_hash", "id_cipher")),
                "id_number": ctx.ids.decrypt(person.id_cipher),
            },
            "unit": _row(u) if (u := await session.get(Unit, person.unit_id or 0)) else None,
            "accounts": [_row(a, skip=("failed_attempts", "locked_until")) for a in accounts],
            "hour_records": [_row(r) for r in records],
            "reviews": [_row(r, skip=("decided_by",)) for r in reviews],
            "evidence": [
                {"record_id": rid, "sha256": f.sha256, "mime": f.mime, "size": f.size}
                for rid, f in links
            ],
            "exam_attempts": [
                _row(a, skip=("questions",))
                for a in await session.scalars(
                    select(ExamAttempt).where(ExamAttempt.person_id == person_id)
                )
            ],
            "course_progress": [
                _row(p)
                for p in await session.scalars(
                    select(CourseProgress).where(CourseProgress.person_id == person_id)
                )
            ],
            "certificates": [
                _row(c, skip=("file_path",))
                for c in await session.scalars(
                    select(Certificate).where(Certificate.person_id == person_id)
                )
            ],
            "consents": [
                _row(c)
                for c in await session.scalars(
                    select(Consent).where(Consent.account_id.in_(account_ids))
                )
            ]
            if account_ids
            else [],
            "access_log": [_row(e) for e in await access_entries(session, person_id, 10_000)],
            "requests": [
                _row(r)
                for r in await session.scalars(
                    select(DataRequest).where(DataRequest.person_id == person_id)
                )
            ],
        }
        files = {f.sha256: f.mime for _rid, f in links}
    folder = ctx.data_dir / "exports"
    target = folder / f"{secrets.token_hex(16)}.zip"

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
            for sha256, mime in files.items():
                path = evidence_path(ctx.data_dir, sha256)
                if path.exists():
                    ext = ".pdf" if mime == "application/pdf" else ".jpg"
                    zf.write(path, f"evidence/{sha256[:16]}{ext}")

    await asyncio.to_thread(write)
    return target


# ------------------------------------------------------------------------------ requests


async def request_correction(
    session: AsyncSession, *, person: Person, text: str, now: datetime
) -> int:
    """File a correction request and tell the unit's reviewers; the number told."""
    request = DataRequest(
        person_id=person.id,
        kind="correction",
        status="open",
        # the request goes to reviewers and stays: an ID number in it, in any shape, masked
        text=mask_id_numbers(text)[:MAX_CORRECTION_TEXT],
        created_at=now,
    )
    session.add(request)
    await session.flush()
    reviewers = await reviewer_accounts(session, person.unit_id) if person.unit_id else []
    for account_id in reviewers:
        queue_notice(
            session,
            account_id=account_id,
            key="privacy-correction-for-reviewer",
            now=now,
            args={"name": person.name, "masked": person.id_masked, "text": request.text or ""},
        )
    audit(
        session,
        at=now,
        actor=f"person:{person.id}",
        action="privacy.correction_requested",
        entity="data_requests",
        entity_id=request.id,
        data={"reviewers_told": len(reviewers)},
    )
    return len(reviewers)


@dataclass(frozen=True)
class ErasureReceipt:
    retain_until: date
    records: int
    certificates: int


def retention_end(last_year: int | None, today: date, years: int) -> date:
    """Kept until 31 December of the last record's year plus the retention period."""
    if last_year is None:
        return today
    return max(today, date(last_year + years, 12, 31))


async def request_erasure(
    session: AsyncSession, *, account: Account, state: FlowState | None, now: datetime, today: date
) -> ErasureReceipt | None:
    """Unbind and wipe the chat state now; schedule the kept records' deletion. None when the
    account has no person bound."""
    person_id = account.person_id
    if person_id is None:
        return None
    last_year = await session.scalar(
        select(func.max(HourRecord.year)).where(HourRecord.person_id == person_id)
    )
    records = int(
        await session.scalar(
            select(func.count(HourRecord.id)).where(HourRecord.person_id == person_id)
        )
        or 0
    )
    certificates = int(
        await session.scalar(
            select(func.count(Certificate.id)).where(Certificate.person_id == person_id)
        )
        or 0
    )
    until = retention_end(last_year, today, notice().retention_years)
    session.add(
        DataRequest(
            person_id=person_id,
            kind="erasure",
            status="scheduled",
            retain_until=until,
            created_at=now,
        )
    )
    account.person_id = None
    account.consent_version = None
    session.add(
        Consent(
            account_id=account.id,
            notice_version=notice().version,
            decision="withdrawn",
            decided_at=now,
        )
    )
    if state is not None:
        state.data = {}
    audit(
        session,
        at=now,
        actor=f"account:{account.id}",
        action="privacy.erasure_requested",
        entity="people",
        entity_id=person_id,
        data={"retain_until": until.isoformat()},
    )
    return ErasureReceipt(until, records, certificates)


async def purge_due_erasures(ctx: AppContext) -> int:
    """The scheduled job: delete the people whose erasure is due (retention passed), with every
    row about them. Evidence files used by nobody else go too. Returns people deleted."""
    today = ctx.today()
    deleted = 0
    async with ctx.db.transaction() as session:
        due = list(
            await session.scalars(
                select(DataRequest).where(
                    DataRequest.kind == "erasure",
                    DataRequest.status == "scheduled",
                    DataRequest.retain_until < today,
                )
            )
        )
        orphan_candidates: set[int] = set()
        certificate_files: list[str] = []
        for request in due:
            pid = request.person_id
            if pid is None:
                continue
            if await session.scalar(select(Account.id).where(Account.person_id == pid)):
                # bound again since: the person came back; keep everything
                request.status = "cancelled"
                continue
            record_ids = list(
                await session.scalars(select(HourRecord.id).where(HourRecord.person_id == pid))
            )
            if record_ids:
                orphan_candidates |= set(
                    await session.scalars(
                        select(RecordEvidence.file_id).where(
                            RecordEvidence.record_id.in_(record_ids)
                        )
                    )
                )
                await session.execute(
                    delete(RecordEvidence).where(RecordEvidence.record_id.in_(record_ids))
                )
                await session.execute(delete(Review).where(Review.record_id.in_(record_ids)))
                await session.execute(delete(HourRecord).where(HourRecord.id.in_(record_ids)))
            certificate_files.extend(
                p
                for p in await session.scalars(
                    select(Certificate.file_path).where(Certificate.person_id == pid)
                )
                if p
            )
            for model in (
                RemedialRequest,
                ExamGrant,
                ExamAttempt,
                CourseProgress,
                Certificate,
                AccessLogEntry,
            ):
                await session.execute(delete(model).where(model.person_id == pid))
            await session.execute(
                update(DataRequest).where(DataRequest.person_id == pid).values(person_id=None)
            )
            await session.execute(delete(Person).where(Person.id == pid))
            request.status = "done"
            request.done_at = ctx.now()
            audit(
                session,
                at=ctx.now(),
                actor="scheduler",
                action="privacy.erased",
                entity="people",
                entity_id=pid,
            )
            deleted += 1
        orphans: list[EvidenceFile] = []
        for file_id in orphan_candidates:
            still = await session.scalar(
                select(RecordEvidence.id).where(RecordEvidence.file_id == file_id).limit(1)
            )
            if still is None and (f := await session.get(EvidenceFile, file_id)) is not None:
                orphans.append(f)
                # what was read on it goes with it (it may hold the person's name)
                await session.execute(
                    delete(EvidenceReadingRow).where(EvidenceReadingRow.file_id == file_id)
                )
                await session.delete(f)
    for f in orphans:  # after the commit: a failed transaction must not lose files
        evidence_path(ctx.data_dir, f.sha256).unlink(missing_ok=True)
    for relative in certificate_files:
        (ctx.data_dir / relative).unlink(missing_ok=True)
    return deleted


def remove_old_exports(ctx: AppContext, older_than: timedelta) -> int:
    """Exports hold everything about a person: they are sent once and not kept."""
    folder = ctx.data_dir / "exports"
    if not folder.is_dir():
        return 0
    cutoff = ctx.now().timestamp() - older_than.total_seconds()
    removed = 0
    for path in folder.glob("*.zip"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
