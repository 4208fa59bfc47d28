"""A person's year: the rules core's evaluation over the stored hour records."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.hours import hours_json
from core.idnumber import InvalidIdNumber, parse_id_number
from core.rules import Policy, RecordStatus, RecordView, Subject, YearEvaluation, evaluate_year
from services.context import AppContext
from storage.models import HourRecord, Person


class PersonNotFound(LookupError):
    pass


class YearWithoutPolicy(LookupError):
    def __init__(self, year: int) -> None:
        super().__init__(year)
        self.year = year


async def year_evaluation(session: AsyncSession, policy: Policy, person_id: int) -> YearEvaluation:
    rows = await session.execute(
        select(HourRecord.subject, HourRecord.status, HourRecord.hours).where(
            HourRecord.person_id == person_id, HourRecord.year == policy.year
        )
    )
    return evaluate_year(
        policy, (RecordView(Subject(s), RecordStatus(st), h) for s, st, h in rows.all())
    )


async def find_person_by_id_number(
    ctx: AppContext, session: AsyncSession, id_number: str
) -> Person | None:
    parsed = parse_id_number(id_number)
    return await session.scalar(
        select(Person).where(Person.id_hash == ctx.ids.lookup_hash(parsed.value))
    )


@dataclass(frozen=True)
class PersonYear:
    person: Person
    evaluation: YearEvaluation

    def as_json(self) -> dict[str, object]:
        ev = self.evaluation
        return {
            "year": ev.year,
            "id_number_masked": self.person.id_masked,
            "name": self.person.name,
            "public_mandatory_hours": hours_json(ev.public_mandatory_hours),
            "public_elective_hours": hours_json(ev.public_elective_hours),
            "public_hours": hours_json(ev.public_hours),
            "professional_verified_hours": hours_json(ev.professional_verified_hours),
            "professional_pending_hours": hours_json(ev.professional_pending_hours),
            "professional_rejected_hours": hours_json(ev.professional_rejected_hours),
            "total_hours": hours_json(ev.total_hours),
            "min_total_hours": hours_json(ev.min_total_hours),
            "professional_share_met": ev.share_met,
            "complete": ev.complete,
            "professional_hours_needed": hours_json(ev.professional_hours_needed),
        }


async def progress_by_id_number(ctx: AppContext, id_number: str, year: int) -> PersonYear:
    """Raises InvalidIdNumber, PersonNotFound or YearWithoutPolicy."""
    if year not in ctx.policies:
        raise YearWithoutPolicy(year)
    async with ctx.db.transaction() as session:
        person = await find_person_by_id_number(ctx, session, id_number)
        if person is None:
            raise PersonNotFound()
        return PersonYear(person, await year_evaluation(session, ctx.policies[year], person.id))


__all__ = [
    "InvalidIdNumber",
    "PersonNotFound",
    "PersonYear",
    "YearWithoutPolicy",
    "find_person_by_id_number",
    "progress_by_id_number",
    "year_evaluation",
]
