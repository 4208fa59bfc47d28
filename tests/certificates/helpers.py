"""Helpers shared by the certificate tests (fixtures live in conftest.py): the demo people,
a second context for servers on their own event loop, PDF read-back (text and QR code), and
hour-record edits that stand in for a spot check."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import zxingcpp
from PIL import Image
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from core.rules import RecordStatus, Subject
from services.context import AppContext
from services.pii import IdProtector
from services.policies import PolicyBook
from storage.db import Database
from storage.models import HourRecord, Person

LI_NA = "450202199007050325"  # complete for 2024: 25 public + 65 professional
ZHANG_WEI = "450103198803120212"  # passed the 2024 mandatory exam, 75 hours in all
LIU_YANG = "450103199201300560"  # nothing for 2024
TEST_SECRET = b"test-secret-key-not-for-production"  # the same as tests/conftest.py


@dataclass(frozen=True)
class Demo:
    li_na: int
    zhang_wei: int
    liu_yang: int


async def person_id(ctx: AppContext, id_number: str) -> int:
    async with ctx.db.transaction() as s:
        pid = await s.scalar(
            select(Person.id).where(Person.id_hash == ctx.ids.lookup_hash(id_number))
        )
    assert pid is not None
    return pid


def web_context(ctx: AppContext, now: datetime | None = None) -> AppContext:
    """The same database and secret for a server on another thread's event loop. NullPool:
    no connection outlives a request, so none is ever shared between two event loops."""
    return AppContext(
        db=Database(ctx.db.url, poolclass=NullPool),
        policies=PolicyBook.load(),
        ids=IdProtector(TEST_SECRET),
        data_dir=ctx.data_dir,
        public_url=ctx.public_url,
        clock=(lambda: now) if now is not None else ctx.clock,
    )


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_qr_codes(path: Path, tmp_dir: Path) -> list[str]:
    """Rasterise the page at 150 dpi, as a phone camera would see a print, and decode."""
    out = tmp_dir / f"{path.stem}-page"
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(path), str(out)], check=True
    )
    with Image.open(out.with_suffix(".png")) as image:
        return [b.text for b in zxingcpp.read_barcodes(image)]


async def set_record_status(ctx: AppContext, person_id: int, course_code: str, status: str) -> None:
    """What a spot check does to an imported record (revoked) or a reopened one."""
    async with ctx.db.transaction() as s:
        record = await s.scalar(
            select(HourRecord).where(
                HourRecord.person_id == person_id, HourRecord.course_code == course_code
            )
        )
        assert record is not None
        record.status = status


async def add_professional_hours(ctx: AppContext, person_id: int, hours: int, key: str) -> None:
    now = ctx.now()
    async with ctx.db.transaction() as s:
        s.add(
            HourRecord(
                person_id=person_id,
                year=2024,
                subject=Subject.PROFESSIONAL.value,
                origin="import",
                source="test",
                dedup_key=key,
                title="补充培训",
                completed_on=date(2024, 11, 1),
                hours=Fraction(hours),
                status=RecordStatus.IMPORTED.value,
                created_at=now,
            )
        )
