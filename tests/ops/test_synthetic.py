"""`cebot demo --people N`: a deterministic synthetic province, findable by ID number."""

from __future__ import annotations

from sqlalchemy import func, select

from core.idnumber import parse_id_number
from services.context import AppContext
from services.synthetic import CITIES, generate_province, synthetic_id_number
from storage.models import Account, HourRecord, Person, Unit


async def _counts(ctx: AppContext) -> tuple[int, int, int, int]:
    async with ctx.db.transaction() as s:
        return (
            int(await s.scalar(select(func.count(Unit.id))) or 0),
            int(await s.scalar(select(func.count(Person.id))) or 0),
            int(await s.scalar(select(func.count(Account.id))) or 0),
            int(await s.scalar(select(func.count(HourRecord.id))) or 0),
        )


async def test_a_province_of_1200_people(ctx: AppContext) -> None:
    result = await generate_province(ctx, 1200, year=2024, seed=7, people_per_unit=100)
    assert (result.units, result.people) == (12, 1200)
    assert await _counts(ctx) == (12, 1200, result.accounts, result.records)
    assert 0.7 < result.accounts / 1200 < 0.9  # about 80 % have a chat account
    # every number is valid and the 500th person is found by it, as a binding would
    number = synthetic_id_number(500)
    parse_id_number(number)
    async with ctx.db.transaction() as s:
        person = await s.scalar(select(Person).where(Person.id_hash == ctx.ids.lookup_hash(number)))
        cities = set(await s.scalars(select(Unit.city)))
        statuses = set(await s.scalars(select(HourRecord.status)))
    assert person is not None and person.name == "合成0000500"
    assert cities <= set(CITIES) and len(cities) == 12
    assert {"credited", "approved", "pending"} <= statuses
    # a second batch continues the numbering instead of colliding
    more = await generate_province(ctx, 300, year=2024, seed=8)
    assert more.people == 300 and (await _counts(ctx))[1] == 1500


async def test_the_same_seed_gives_the_same_draws(ctx: AppContext) -> None:
    first = await generate_province(ctx, 400, year=2024, seed=3)
    again = await generate_province(ctx, 400, year=2024, seed=3)  # numbering continues
    other = await generate_province(ctx, 400, year=2024, seed=4)
    assert first.records > 0
    assert (again.accounts, again.records) == (first.accounts, first.records)
    assert (other.accounts, other.records) != (first.accounts, first.records)
