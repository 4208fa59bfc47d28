"""Flow-test helpers: a roster to bind against, and a chat that drives the engine event by
event (no Telegram)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import pytest

from bot.flows import Button, ChannelUser, Engine, Event, Outcome
from core.idnumber import make_id_number
from core.uscc import make_unit_code
from services.context import AppContext
from storage.models import HourRecord, Person, Unit

ZHANG_ID = make_id_number("450103", date(1985, 3, 2), 123)
LI_ID = make_id_number("450102", date(1990, 7, 15), 456)  # not in the roster
HOSPITAL_CODE = make_unit_code("12450000MB0000001")
SCHOOL_CODE = make_unit_code("12450000MB0000002")


@dataclass
class Roster:
    hospital_id: int
    school_id: int
    zhang_id: int
    zhang_number: str = ZHANG_ID
    stranger_number: str = LI_ID  # a valid ID number of someone not in the roster
    school_code: str = SCHOOL_CODE


async def seed_roster(ctx: AppContext) -> Roster:
    now = ctx.now()
    async with ctx.db.transaction() as s:
        hospital = Unit(code=HOSPITAL_CODE, name="南宁市第一人民医院", city="南宁", created_at=now)
        school = Unit(code=SCHOOL_CODE, name="南宁市第三中学", city="南宁", created_at=now)
        s.add_all([hospital, school])
        await s.flush()
        zhang = Person(
            id_hash=ctx.ids.lookup_hash(ZHANG_ID),
            id_cipher=ctx.ids.encrypt(ZHANG_ID),
            id_masked=ZHANG_ID[:4] + "*" * 10 + ZHANG_ID[-4:],
            name="张伟",
            unit_id=hospital.id,
            unit_confirmed=True,
            created_at=now,
            updated_at=now,
        )
        s.add(zhang)
        await s.flush()
        for subject, status, hours, key in (
            ("public_mandatory", "credited", 15, "public_mandatory:2024"),
            ("public_elective", "credited", 10, "public_elective:2024"),
            ("professional", "approved", 30, "claim:1"),
            ("professional", "pending", 8, "claim:2"),
        ):
            s.add(
                HourRecord(
                    person_id=zhang.id,
                    year=2024,
                    subject=subject,
                    origin="import",
                    dedup_key=key,
                    unit_id=hospital.id,
                    title="课程",
                    completed_on=date(2024, 6, 1),
                    hours=Fraction(hours),
                    status=status,
                    created_at=now,
                )
            )
        return Roster(hospital.id, school.id, zhang.id)


class Chat:
    """One user talking to the engine; `press` finds a button of the last outcome by label."""

    def __init__(self, engine: Engine, user: str = "u1", language: str | None = None) -> None:
        self.engine = engine
        self.user = ChannelUser("test", user, language_hint=language)
        self.last = Outcome()

    async def send(self, text: str) -> Outcome:
        self.last = await self.engine.handle(self.user, Event.message(text))
        return self.last

    async def start(self) -> Outcome:
        """/start, agreeing to the privacy notice when it is asked (as a new user does)."""
        await self.send("/start")
        if any(b.label.endswith("同意") and "不" not in b.label for b in self.buttons()):
            await self.press("✅")
        return self.last

    async def press(self, label: str) -> Outcome:
        return await self.press_data(self.button(label).data)

    async def press_data(self, data: str) -> Outcome:
        self.last = await self.engine.handle(self.user, Event.button(data))
        return self.last

    def buttons(self) -> list[Button]:
        return [b for r in self.last.replies for row in r.buttons for b in row]

    def button(self, label: str) -> Button:
        found = [b for b in self.buttons() if label in b.label]
        assert found, f"no button {label!r} in {[b.label for b in self.buttons()]}"
        return found[0]

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last.replies)


@pytest.fixture
async def roster(ctx: AppContext) -> Roster:
    return await seed_roster(ctx)


@pytest.fixture
def engine(ctx: AppContext) -> Engine:
    return Engine(ctx)


@pytest.fixture
def chat(engine: Engine) -> Callable[..., Chat]:
    def make(user: str = "u1", language: str | None = None) -> Chat:
        return Chat(engine, user, language)

    return make
