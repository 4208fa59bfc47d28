"""An organiser's hour file sent to the bot: preview (nothing written), then confirm (imported
through services.imports.import_hours, the same code path and validation as
`cebot hours import`).

Authorised on every call: a live organiser role whose `source` names the import source; the
source of the imported rows is always the role's, never the file's or the user's word.

Duplicates of a person's own claims (same course title, or same completion date, in the same
year; see services.claims.looks_like):
- a pending claim is flagged in the review queue (computed when the queue is read, so a CLI
  import flags it too) and cannot be approved without the reviewer overriding the flag;
- an approved claim would count twice next to the imported record, so confirm_upload sends it
  back to pending (Review "duplicate_reopened", audit entry) while the year can still be
  verified; the reviewer then rejects it as a duplicate or approves it again, overriding the
  flag, when it was another course. After the verification deadline it is left as it is and
  reported in `unresolved_duplicates` for an administrator (reopening then would lose it).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.rules import RecordStatus, Subject, claim_verification_open
from services.claims import (
    ORIGIN_CLAIM,
    ClaimRefused,
    LostRace,
    account_ids_of,
    looks_like,
    reopen_record,
)
from services.context import AppContext
from services.imports import (
    CheckedHourRows,
    HourRow,
    ImportRaced,
    ImportRejected,
    ImportResult,
    RowProblem,
    _chunks,
    _people_by_hash,
    check_hours_file,
    hour_rules,
    hour_units,
    import_hours,
)
from services.tabular import TableError, in_file_worker, max_rows
from storage.db import SessionScope
from storage.models import Account, HourRecord, ImportBatch, Role


class UploadRefused(Exception):
    """Reasons (message key upload-refused-<reason>): not_organiser, file_changed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PreviousImport:
    """The same file (same bytes) imported before from this source."""

    at: datetime
    rows: int
    added: int


@dataclass(frozen=True, slots=True)
class UploadPreview:
    sha256: str  # pass back to confirm_upload: confirming a different file is refused
    source: str
    rows: int
    people: int
    people_new: int  # ID numbers not known yet (created on import, linked when they bind)
    hours_total: Fraction
    already_imported: int  # rows that would add nothing (the same file again adds nothing)
    claim_duplicates: int  # rows that look like one of the person's own claims
    problems: tuple[RowProblem, ...]  # by line; any problem means confirm imports nothing
    table_error: TableError | None = None
    previous: PreviousImport | None = None  # imported already: nothing to confirm

    @property
    def ok(self) -> bool:
        return not self.problems and self.table_error is None and self.previous is None


@dataclass(frozen=True, slots=True)
class DuplicateClaim:
    claim_id: int
    imported_id: int
    previous_status: str
    reopened: bool
    title: str = ""  # the claim's title, for the message to its claimant
    claimant_account_ids: tuple[int, ...] = ()  # told when the claim was reopened


@dataclass(frozen=True, slots=True)
class ToldRecord:
    """One imported record, as its person is told of it."""

    title: str
    hours: Fraction


@dataclass(frozen=True, slots=True)
class UploadConfirmed:
    result: ImportResult
    batch_id: int | None
    notify_account_ids: tuple[int, ...]  # people who received new records
    duplicates: tuple[DuplicateClaim, ...] = ()
    unresolved_duplicates: tuple[DuplicateClaim, ...] = ()
    claimant_account_ids: tuple[int, ...] = field(default=())  # told their claim was reopened
    # what each account in notify_account_ids received (course and hours), for its notice
    records_by_account: dict[int, tuple[ToldRecord, ...]] = field(default_factory=dict)


async def organiser_source(session: AsyncSession, account_id: int) -> str:
    """The import source of the account's live organiser role, or UploadRefused."""
    sources = (
        await session.scalars(
            select(Role.source)
            .where(
                Role.account_id == account_id,
                Role.role == "organiser",
                Role.revoked_at.is_(None),
                Role.source.is_not(None),
            )
            .order_by(Role.id)
        )
    ).all()
    live = [s.strip() for s in sources if s and s.strip()]
    if not live:
        raise UploadRefused("not_organiser")
    return live[0]


# Telegram lets a bot download files up to 20 MB: about 200,000 rows of CSV.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_SUFFIXES = (".csv", ".xlsx")
UPLOAD_DIR = "uploads"
# A file previewed and never confirmed or cancelled is removed by the nightly housekeeping.
UPLOAD_KEEP = timedelta(days=1)


def save_upload(ctx: AppContext, data: bytes, suffix: str) -> Path:
    """Write an uploaded file under data_dir/uploads with a random name (never the sender's
    name: it is only a label) and the given suffix, ready for preview and confirm."""
    suffix = suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ValueError(f"not an upload suffix: {suffix}")
    folder = ctx.data_dir / UPLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix="upload-", suffix=suffix)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return Path(name)


def discard_upload(ctx: AppContext, path: Path) -> None:
    """Remove a saved upload; only files inside data_dir/uploads are ever touched."""
    folder = (ctx.data_dir / UPLOAD_DIR).resolve()
    target = path.resolve()
    if target.parent == folder:
        target.unlink(missing_ok=True)


def remove_old_uploads(ctx: AppContext, older_than: timedelta = UPLOAD_KEEP) -> int:
    """Housekeeping: uploads left behind (previewed, never confirmed) older than `older_than`."""
    folder = ctx.data_dir / UPLOAD_DIR
    if not folder.is_dir():
        return 0
    cutoff = ctx.now().timestamp() - older_than.total_seconds()
    removed = 0
    for entry in folder.iterdir():
        if entry.is_file() and entry.name.startswith("upload-") and entry.stat().st_mtime < cutoff:
            entry.unlink(missing_ok=True)
            removed += 1
    return removed


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def _check(
    ctx: AppContext, path: Path, source: str, in_worker: bool
) -> CheckedHourRows:
    """The file read and checked, as import_hours would (the very same checks). In the bot: a
    worker process, so that a large file never blocks the event loop."""
    if in_worker:
        return await in_file_worker(check_hours_file, path, source, hour_rules(ctx), max_rows())
    return check_hours_file(path, source, ctx)


async def previous_import(ctx: AppContext, source: str, digest: str) -> PreviousImport | None:
    """The earliest import of these very bytes from `source`, if any."""
    async with ctx.db.transaction() as session:
        batch = await session.scalar(
            select(ImportBatch)
            .where(
                ImportBatch.kind == "hours",
                ImportBatch.source == source,
                ImportBatch.sha256 == digest,
            )
            .order_by(ImportBatch.id)
            .limit(1)
        )
        return None if batch is None else PreviousImport(batch.created_at, batch.rows, batch.added)


def _actor(account_id: int) -> str:
    return f"account:{account_id}"


async def preview_upload(
    ctx: AppContext, organiser_account_id: int, path: Path, *, in_worker: bool = False
) -> UploadPreview:
    """What confirming would do, with every bad row by line. Reads only; writes nothing.
    Uses the importer's own row parser, so a row refused here is refused by the import.
    The same bytes imported before from this source are not read again (`previous`).
    `in_worker`: parse in a worker process (the bot, outside its turn's transaction)."""
    async with ctx.db.transaction() as session:
        source = await organiser_source(session, organiser_account_id)
    digest = _digest(path)
    earlier = await previous_import(ctx, source, digest)
    if earlier is not None:
        return UploadPreview(
            digest, source, earlier.rows, 0, 0, Fraction(0), earlier.rows, 0, (), None, earlier
        )
    try:
        checked = await _check(ctx, path, source, in_worker)
    except TableError as exc:
        return UploadPreview(digest, source, 0, 0, 0, Fraction(0), 0, 0, (), exc)
    parsed, names, problems = checked.parsed, checked.names, checked.problems
    hashes = {i: ctx.ids.lookup_hash(i) for i in names}
    already = duplicates = 0
    async with ctx.db.transaction() as session:
        people = await _people_by_hash(session, list(hashes.values()))
        for hr in parsed:
            person = people.get(hashes[hr.id_number])
            if person is not None and person.name != hr.name:
                problems.append(RowProblem(hr.line, "name-mismatch"))
        await hour_units(session, parsed, problems)
        known_ids = sorted(p.id for p in people.values())
        keys: set[tuple[int, str]] = set()
        claims: dict[int, list[HourRecord]] = {}
        for chunk in _chunks(known_ids):
            result = await session.execute(
                select(HourRecord.person_id, HourRecord.dedup_key).where(
                    HourRecord.person_id.in_(chunk)
                )
            )
            keys.update((pid, key) for pid, key in result.all())
            for c in await session.scalars(
                select(HourRecord).where(
                    HourRecord.person_id.in_(chunk),
                    HourRecord.origin == ORIGIN_CLAIM,
                    HourRecord.status.in_(
                        [RecordStatus.PENDING.value, RecordStatus.APPROVED.value]
                    ),
                )
            ):
                claims.setdefault(c.person_id, []).append(c)
        for hr in parsed:
            person = people.get(hashes[hr.id_number])
            if person is None:
                continue
            if (person.id, hr.key) in keys:
                already += 1
            elif hr.subject is Subject.PROFESSIONAL and any(
                looks_like(c, _as_record(person.id, hr)) for c in claims.get(person.id, ())
            ):
                duplicates += 1
        if not isinstance(ctx.db, SessionScope):
            # nothing to write; say so explicitly (inside a chat turn the transaction is the
            # turn's, which commits its flow state: it has nothing of ours to roll back)
            await session.rollback()
    return UploadPreview(
        sha256=digest,
        source=source,
        rows=checked.rows,
        people=len(names),
        people_new=sum(1 for h in hashes.values() if h not in people),
        hours_total=sum((hr.hours for hr in parsed), Fraction(0)),
        already_imported=already,
        claim_duplicates=duplicates,
        problems=tuple(sorted(problems, key=lambda p: p.line)),
    )


def _as_record(person_id: int, hr: HourRow) -> HourRecord:
    """A transient record (never added to a session) for the duplicate comparison."""
    return HourRecord(
        person_id=person_id, year=hr.year, title=hr.title, completed_on=hr.completed_on
    )


async def confirm_upload(
    ctx: AppContext,
    organiser_account_id: int,
    path: Path,
    *,
    expected_sha256: str | None = None,
    in_worker: bool = False,
) -> UploadConfirmed:
    """Import the file as the role's source. Raises ImportRejected (nothing written) or
    TableError for a bad file, ImportRaced when another import of it committed first,
    UploadRefused when not allowed or the file changed since the preview. Importing the same
    file again adds nothing and tells nobody. `in_worker`: as for preview_upload."""
    async with ctx.db.transaction() as session:
        source = await organiser_source(session, organiser_account_id)
    if expected_sha256 is not None and _digest(path) != expected_sha256:
        raise UploadRefused("file_changed")
    actor = _actor(organiser_account_id)
    checked = await _check(ctx, path, source, in_worker)
    async with ctx.db.transaction() as session:
        before = await session.scalar(select(ImportBatch.id).order_by(ImportBatch.id.desc()))
    result = await import_hours(ctx, path, source=source, actor=actor, checked=checked)
    digest = _digest(path)
    async with ctx.db.transaction() as session:
        # the batch import_hours just wrote: this actor, file and source, after `before`
        batch_id = await session.scalar(
            select(ImportBatch.id)
            .where(
                ImportBatch.id > (before or 0),
                ImportBatch.actor == actor,
                ImportBatch.sha256 == digest,
                ImportBatch.source == source,
            )
            .order_by(ImportBatch.id.desc())
        )
        if batch_id is None or result.added == 0:
            return UploadConfirmed(result, batch_id, ())
        # the people of the batch who have an account (most imported people have none yet),
        # with what each received
        received: dict[int, list[ToldRecord]] = {}
        for account_id, title, hours in await session.execute(
            select(Account.id, HourRecord.title, HourRecord.hours)
            .join(Account, Account.person_id == HourRecord.person_id)
            .where(HourRecord.batch_id == batch_id)
            .order_by(Account.id, HourRecord.completed_on, HourRecord.id)
        ):
            received.setdefault(account_id, []).append(ToldRecord(title, hours))
    found, unresolved, claimants = await flag_duplicates(ctx, batch_id)
    return UploadConfirmed(
        result,
        batch_id,
        tuple(sorted(received)),
        found,
        unresolved,
        claimants,
        {a: tuple(items) for a, items in received.items()},
    )


async def flag_duplicates(
    ctx: AppContext, batch_id: int
) -> tuple[tuple[DuplicateClaim, ...], tuple[DuplicateClaim, ...], tuple[int, ...]]:
    """Claims that a batch's professional records duplicate: (all found, left approved after
    the verification deadline, claimant accounts to tell about a reopened claim). Approved
    claims are reopened (see the module docstring); pending ones are flagged when read."""
    found: list[DuplicateClaim] = []
    unresolved: list[DuplicateClaim] = []
    claimants: set[int] = set()
    async with ctx.db.transaction() as session:
        # only the batch's people who have a claim to compare (few): a large file's other
        # rows are never loaded
        in_batch = (
            select(HourRecord.person_id)
            .where(
                HourRecord.batch_id == batch_id,
                HourRecord.subject == Subject.PROFESSIONAL.value,
            )
            .scalar_subquery()
        )
        claims = list(
            await session.scalars(
                select(HourRecord).where(
                    HourRecord.person_id.in_(in_batch),
                    HourRecord.origin == ORIGIN_CLAIM,
                    HourRecord.status.in_(
                        [RecordStatus.PENDING.value, RecordStatus.APPROVED.value]
                    ),
                )
            )
        )
        people = sorted({c.person_id for c in claims})
        imported: list[HourRecord] = []
        for chunk in _chunks(people):
            imported.extend(
                await session.scalars(
                    select(HourRecord).where(
                        HourRecord.batch_id == batch_id,
                        HourRecord.subject == Subject.PROFESSIONAL.value,
                        HourRecord.person_id.in_(chunk),
                    )
                )
            )
        today = ctx.today()
        for claim in claims:
            match = next((i for i in imported if looks_like(claim, i)), None)
            if match is None:
                continue
            previous = claim.status
            policy = ctx.policies.get(claim.year)
            reopen = (
                previous == RecordStatus.APPROVED.value
                and policy is not None
                and claim_verification_open(policy, today)
            )
            told: tuple[int, ...] = ()
            if reopen:
                try:
                    await reopen_record(
                        ctx,
                        session,
                        claim,
                        actor_account=None,
                        reason=f"duplicate_import:{match.id}",
                        decision="duplicate_reopened",
                    )
                except LostRace:  # a reviewer changed it meanwhile: their word stands
                    reopen = False
                else:
                    told = tuple(await account_ids_of(session, claim.person_id))
                    claimants.update(told)
            item = DuplicateClaim(claim.id, match.id, previous, reopen, claim.title, told)
            found.append(item)
            if previous == RecordStatus.APPROVED.value and not reopen:
                unresolved.append(item)
    return tuple(found), tuple(unresolved), tuple(sorted(claimants))


__all__ = [
    "ClaimRefused",
    "DuplicateClaim",
    "ImportRaced",
    "ImportRejected",
    "PreviousImport",
    "TableError",
    "ToldRecord",
    "UploadConfirmed",
    "UploadPreview",
    "UploadRefused",
    "confirm_upload",
    "discard_upload",
    "flag_duplicates",
    "organiser_source",
    "preview_upload",
    "remove_old_uploads",
    "save_upload",
]
