"""End-to-end fixtures: a fake Bot API server on loopback, settings pointing at it, and a
small roster (one unit, 张伟 with 2024 hours)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from bot.fake_api import FakeBotApi
from cebot.logging_setup import RedactingFormatter
from cebot.settings import Settings
from core.idnumber import find_id_numbers, make_id_number
from core.uscc import make_unit_code
from services.context import AppContext
from storage.models import HourRecord, Person, Unit

ZHANG_ID = make_id_number("450103", date(1985, 3, 2), 123)
WEBHOOK_SECRET = "e2e-webhook-secret"


@pytest.fixture(autouse=True)
def no_id_number_in_logs() -> Iterator[io.StringIO]:
    """Every e2e test runs with the production log formatter at DEBUG (PTB then logs whole
    updates, ID numbers typed by users included); afterwards nothing in the log may be a full
    ID number."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(RedactingFormatter(as_json=False))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    # any shape: spaced, hyphenated, full-width (the matcher the masking uses)
    leaked = find_id_numbers(buffer.getvalue())
    assert not leaked, f"{len(leaked)} full ID numbers in the logs"


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi().start()
    yield api
    api.stop()


@pytest.fixture
def settings(fake_api: FakeBotApi, tmp_path: Path) -> Settings:
    return Settings(
        TELEGRAM_BOT_TOKEN=fake_api.token,
        TELEGRAM_BASE_URL=fake_api.base_url,
        TELEGRAM_BASE_FILE_URL=fake_api.base_file_url,
        CEBOT_DATA_DIR=tmp_path / "data",
        CEBOT_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )


@pytest.fixture
def zhang_id() -> str:
    return ZHANG_ID


@pytest.fixture
async def roster(ctx: AppContext) -> int:
    now = ctx.now()
    async with ctx.db.transaction() as s:
        unit = Unit(
            code=make_unit_code("12450000MB0000001"),
            name="南宁市第一人民医院",
            city="南宁",
            created_at=now,
        )
        s.add(unit)
        await s.flush()
        person = Person(
            id_hash=ctx.ids.lookup_hash(ZHANG_ID),
            id_cipher=ctx.ids.encrypt(ZHANG_ID),
            id_masked=ZHANG_ID[:4] + "*" * 10 + ZHANG_ID[-4:],
            name="张伟",
            unit_id=unit.id,
            created_at=now,
            updated_at=now,
        )
        s.add(person)
        await s.flush()
        for n, (subject, status, hours) in enumerate(
            [("public_mandatory", "credited", 15), ("professional", "approved", 60)]
        ):
            s.add(
                HourRecord(
                    person_id=person.id,
                    year=2024,
                    subject=subject,
                    origin="import",
                    dedup_key=f"e2e:{n}",
                    title="课程",
                    completed_on=date(2024, 5, 1),
                    hours=Fraction(hours),
                    status=status,
                    created_at=now,
                )
            )
        return person.id
