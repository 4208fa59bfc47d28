"""What the evidence says, kept and compared: a claim's evidence is read once per file (OCR or
a PDF's text layer, services.evidence_reading), the reading is stored beside the file, the
claimant is offered what was found, and the reviewer sees every disagreement between the
evidence and the claim, and evidence that another claim already used.

A flag informs; it never approves or rejects (the reviewer decides). Readings never hold an
ID number in the clear that is shown anywhere: what is shown are the fields, and the name is
compared, not displayed beyond what the reviewer already sees on the card.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.evidence_fields import EvidenceFields, Flag, compare_with_claim
from core.hours import format_hours
from core.idnumber import mask_id_numbers
from core.rules import RecordStatus, policy_half_day_hours
from services.context import AppContext
from services.evidence import MAX_EVIDENCE_BYTES, evidence_path
from services.evidence_reading import EvidenceReading, read_evidence
from storage.models import EvidenceFile, HourRecord, Person, RecordEvidence
from storage.reading_models import EvidenceReadingRow

log = logging.getLogger(__name__)

# Claims whose evidence counts as "used": a withdrawn or rejected claim gave its proof back.
_USING = (RecordStatus.PENDING.value, RecordStatus.APPROVED.value)


def half_day_hours(ctx: AppContext, year: int | None) -> Fraction | None:
    """The policy's half-day value for converting days on a certificate: the training
    category's (the one that counts half days), of the claim's year or today's."""
    policy = ctx.policies.get(year or ctx.today().year)
    if policy is None and ctx.policies:  # no policy for that year: the newest rules
        policy = ctx.policies[max(ctx.policies)]
    return None if policy is None else policy_half_day_hours(policy)


async def stored_reading(session: AsyncSession, file_id: int) -> EvidenceReading | None:
    row = await session.scalar(
        select(EvidenceReadingRow).where(EvidenceReadingRow.file_id == file_id)
    )
    return None if row is None else EvidenceReading.from_json(row.reading)


async def save_reading(
    session: AsyncSession, file_id: int, reading: EvidenceReading, *, now: datetime
) -> None:
    """Keep a reading (once per file; a second one for the same file is not needed)."""
    number = reading.fields.number
    # a certificate may print the person's ID number: kept masked, like everywhere else
    kept = replace(reading, lines=tuple(mask_id_numbers(line) for line in reading.lines))
    session.add(
        EvidenceReadingRow(
            file_id=file_id,
            method=reading.method,
            reason=reading.reason,
            number=number[:64] if number else None,
            reading=kept.to_json(),
            read_at=now,
        )
    )
    await session.flush()


async def read_stored_file(ctx: AppContext, file_id: int, *, year: int | None) -> EvidenceReading:
    """The reading of a stored evidence file: the kept one, or read now and kept. Runs the
    reader outside any transaction (it takes seconds). Never raises for a bad file: the
    reading says why nothing was found."""
    async with ctx.db.transaction() as session:
        kept = await stored_reading(session, file_id)
        row = await session.get(EvidenceFile, file_id)
    if kept is not None:
        return kept
    if row is None:
        raise LookupError(file_id)
    try:
        data = evidence_path(ctx.data_dir, row.sha256).read_bytes()
    except OSError:
        log.warning("evidence file %d missing on disk", file_id)
        data = b""
    reading = await read_evidence(
        data, half_day_hours=half_day_hours(ctx, year), max_bytes=MAX_EVIDENCE_BYTES
    )
    log.info(
        "evidence %d read: method=%s reason=%s seconds=%.2f",
        file_id,
        reading.method,
        reading.reason,
        reading.seconds,
    )
    try:
        async with ctx.db.transaction() as session:
            if await stored_reading(session, file_id) is None:
                await save_reading(session, file_id, reading, now=ctx.now())
    except IntegrityError:  # read twice at once: the first one kept is as good
        pass
    return reading


# ------------------------------------------------------------------ for the claimant

# draft keys (services.claim_drafts) the person is offered, in the order the claim asks them
PROPOSED = ("title", "organiser", "start", "end", "hours")


def proposals(fields: EvidenceFields, *, year: int | None = None) -> dict[str, str]:
    """What the claim flow may offer from a reading, as draft values (text as it would be
    typed). Dates outside `year` are still offered: the step's own check refuses them with
    its usual message, which is what the person needs to hear."""
    found: dict[str, str] = {}
    if fields.title:
        found["title"] = fields.title
    if fields.organiser:
        found["organiser"] = fields.organiser
    start = fields.started_on or fields.completed_on
    end = fields.completed_on or fields.started_on
    if start is not None and end is not None:
        found["start"], found["end"] = start.isoformat(), end.isoformat()
    if fields.hours is not None and fields.hours > 0:
        found["hours"] = format_hours(fields.hours)
    return found


# ------------------------------------------------------------------ for the reviewer


@dataclass(frozen=True, slots=True)
class EvidenceCheck:
    """What a reviewer sees under a claim: per evidence file what was read, and the flags."""

    read_files: int  # evidence files with a reading that found fields
    unread_files: int  # without a reading, or nothing found
    found: EvidenceFields | None  # the first reading's fields (what the card shows)
    flags: tuple[Flag, ...]


async def check_record(session: AsyncSession, record: HourRecord) -> EvidenceCheck:
    """Compare a claim with what its evidence says, and look for its evidence in other
    claims (same file, or the same certificate number on another file)."""
    files = (
        await session.scalars(
            select(RecordEvidence.file_id)
            .where(RecordEvidence.record_id == record.id)
            .order_by(RecordEvidence.id)
        )
    ).all()
    person = await session.get(Person, record.person_id)
    flags: list[Flag] = []
    read = unread = 0
    first: EvidenceFields | None = None
    numbers: set[str] = set()
    for file_id in files:
        reading = await stored_reading(session, file_id)
        if reading is None or not reading.ok:
            unread += 1
            continue
        read += 1
        fields = reading.fields
        if first is None:
            first = fields
        if fields.number:
            numbers.add(fields.number)
        for flag in compare_with_claim(
            fields,
            year=record.year,
            title=record.title,
            organiser=record.organiser or "",
            started_on=record.started_on or record.completed_on,
            completed_on=record.completed_on,
            hours=record.hours,
            claimant_name=person.name if person is not None else "",
        ):
            if flag not in flags:
                flags.append(flag)
    others = await _other_claims_with_file(session, record, list(files))
    flags.extend(_reuse_flags("reused_file", record, others))
    if numbers:
        again = await _other_claims_with_number(session, record, list(files), numbers)
        flags.extend(_reuse_flags("reused_number", record, again))
    return EvidenceCheck(read, unread, first, tuple(flags))


def _reuse_flags(code: str, record: HourRecord, others: list[tuple[int, int | None]]) -> list[Flag]:
    """Claims of the same unit by number (the reviewer can open them); those of other units
    only counted (not theirs to see)."""
    here = [f"#{i}" for i, unit in others if unit == record.unit_id]
    elsewhere = sum(1 for _, unit in others if unit != record.unit_id)
    flags = []
    if here:
        flags.append(Flag(code, "", ", ".join(here)))
    if elsewhere:
        flags.append(Flag(f"{code}_elsewhere", "", str(elsewhere)))
    return flags


async def _other_claims_with_file(
    session: AsyncSession, record: HourRecord, files: list[int]
) -> list[tuple[int, int | None]]:
    if not files:
        return []
    rows = await session.execute(
        select(HourRecord.id, HourRecord.unit_id)
        .join(RecordEvidence, RecordEvidence.record_id == HourRecord.id)
        .where(
            RecordEvidence.file_id.in_(files),
            HourRecord.id != record.id,
            HourRecord.status.in_(_USING),
        )
        .distinct()
        .order_by(HourRecord.id)
    )
    return [(i, unit) for i, unit in rows.all()]


async def _other_claims_with_number(
    session: AsyncSession, record: HourRecord, files: list[int], numbers: set[str]
) -> list[tuple[int, int | None]]:
    rows = await session.execute(
        select(HourRecord.id, HourRecord.unit_id)
        .join(RecordEvidence, RecordEvidence.record_id == HourRecord.id)
        .join(EvidenceReadingRow, EvidenceReadingRow.file_id == RecordEvidence.file_id)
        .where(
            EvidenceReadingRow.number.in_(sorted(numbers)),
            RecordEvidence.file_id.not_in(files),
            HourRecord.id != record.id,
            HourRecord.status.in_(_USING),
        )
        .distinct()
        .order_by(HourRecord.id)
    )
    return [(i, unit) for i, unit in rows.all()]


__all__ = [
    "PROPOSED",
    "EvidenceCheck",
    "check_record",
    "half_day_hours",
    "proposals",
    "read_stored_file",
    "save_reading",
    "stored_reading",
]
