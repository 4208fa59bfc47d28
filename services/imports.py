"""Bulk imports of units, people and hours from CSV or XLSX.

Every row is validated before anything is written; one bad row rejects the whole file and every
bad row is reported with its line and reason. Importing the same file again adds nothing.
Set-based: people and records are looked up and written in chunks, never a round trip a row.
Text is checked by core.text (characters, the column's length, names that start like a
formula), so SQLite and PostgreSQL accept the same rows and every refusal has its line. Two
imports of one file at once: the loser writes nothing and is told to run it again
(ImportRaced), never an IntegrityError.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.hours import InvalidHours, format_hours, from_half_units, parse_hours, to_half_units
from core.idnumber import InvalidIdNumber, mask_id_number, parse_id_number
from core.phone import normalize_mobile
from core.records import check_record, dedup_key, parse_subject
from core.rules import Policy, RecordStatus, Subject
from core.text import (
    CITY_MAX,
    COURSE_CODE_MAX,
    NAME_MAX,
    SOURCE_MAX,
    TITLE_MAX,
    UNIT_NAME_MAX,
    bad_character,
    char_label,
    shown,
    text_problem,
)
from core.uscc import InvalidUnitCode, parse_unit_code
from services.audit import audit
from services.binding_review import protect_phone
from services.context import AppContext
from services.tabular import Row, parse_date, read_table
from storage.models import Base, HourRecord, ImportBatch, Person, Unit

CHUNK = 500  # ids per IN (...) query: well under SQLite's and PostgreSQL's parameter limits
T = TypeVar("T")

UNIT_COLUMNS = {
    "unit_code": ("unit_code", "单位代码", "统一社会信用代码"),
    "unit_name": ("unit_name", "单位名称"),
    "city": ("city", "地市", "所属地市"),
}
PEOPLE_COLUMNS = {
    "id_number": ("id_number", "身份证号", "身份证号码"),
    "name": ("name", "姓名"),
    "unit_code": ("unit_code", "单位代码", "统一社会信用代码"),
    # optional: a mobile number makes it the second factor of binding (services/binding_review)
    "phone": ("phone", "手机号", "手机号码", "手机"),
}
PEOPLE_OPTIONAL = ("phone",)
HOUR_COLUMNS = {
    "id_number": ("id_number", "身份证号", "身份证号码"),
    "name": ("name", "姓名"),
    "year": ("year", "年度"),
    "subject": ("subject", "科目"),
    "course_code": ("course_code", "课程编号"),
    "course_title": ("course_title", "课程名称"),
    "hours": ("hours", "学时"),
    "completed_on": ("completed_on", "完成日期"),
    # optional: when given, it must be a registered unit; a person first known from this
    # file joins it (unconfirmed until the unit's reviewer confirms them)
    "unit_code": ("unit_code", "单位代码", "统一社会信用代码"),
}
HOUR_OPTIONAL = ("unit_code",)


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    reason: str  # a message key in cli.ftl: import-bad-<reason>
    args: dict[str, Any] = field(default_factory=dict)


class ImportRejected(Exception):
    """Nothing was written; `problems` names every bad row."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} bad rows")
        self.problems = problems


class ImportRaced(Exception):
    """Another import of the same rows committed first (a unique key refused ours): nothing
    of this one was written; running it again adds what is still missing, usually nothing."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: int
    added: int
    updated: int = 0
    unchanged: int = 0
    people_created: int = 0


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _texts_ok(
    row: Row, problems: list[RowProblem], *specs: tuple[str, int, bool]
) -> bool:
    """(column, maximum length, is a name) for each text column of the row."""
    ok = True
    for column, limit, is_name in specs:
        value = row.values.get(column, "")
        problem = text_problem(value, limit, name=is_name)
        if problem is None:
            continue
        ok = False
        bad = bad_character(value)
        problems.append(
            RowProblem(
                row.line,
                f"text-{problem}",
                {"column": column, "max": limit, "char": char_label(bad) if bad else ""},
            )
        )
    return ok


def _required(row: Row, problems: list[RowProblem], *names: str) -> bool:
    empty = [n for n in names if not row.values.get(n)]
    if empty:
        problems.append(RowProblem(row.line, "empty", {"columns": ", ".join(empty)}))
    return not empty


def _parse_id(row: Row, problems: list[RowProblem], ctx: AppContext) -> str | None:
    try:
        return parse_id_number(row.values["id_number"], today=ctx.today()).value
    except InvalidIdNumber as exc:
        problems.append(RowProblem(row.line, f"id-{exc.reason}"))
        return None


async def _people_by_hash(session: AsyncSession, hashes: Sequence[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for chunk in _chunks(hashes):
        for person in await session.scalars(select(Person).where(Person.id_hash.in_(chunk))):
            found[person.id_hash] = person
    return found


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


async def _person_refs_by_hash(session: AsyncSession, hashes: Sequence[str]) -> dict[str, Any]:
    """(id, name, unit_id) by ID hash: only the columns an import needs, no ORM objects."""
    found: dict[str, Any] = {}
    for chunk in _chunks(hashes):
        rows = await session.execute(
            select(Person.id_hash, Person.id, Person.name, Person.unit_id).where(
                Person.id_hash.in_(chunk)
            )
        )
        for row in rows:
            found[row.id_hash] = row
    return found


async def _units_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, Unit]:
    found: dict[str, Unit] = {}
    for chunk in _chunks(codes):
        for unit in await session.scalars(select(Unit).where(Unit.code.in_(chunk))):
            found[unit.code] = unit
    return found


def _batch(
    kind: str,
    path: Path,
    rows: int,
    added: int,
    actor: str,
    ctx: AppContext,
    source: str | None = None,
) -> ImportBatch:
    return ImportBatch(
        kind=kind,
        source=source,
        filename=path.name,
        sha256=_file_digest(path),
        rows=rows,
        added=added,
        actor=actor,
        created_at=ctx.now(),
    )


# ---------------------------------------------------------------------------------- units


async def import_units(ctx: AppContext, path: Path, *, actor: str = "cli") -> ImportResult:
    rows = read_table(path, UNIT_COLUMNS)
    problems: list[RowProblem] = []
    parsed: dict[str, tuple[int, str, str]] = {}
    for row in rows:
        if not _required(row, problems, *UNIT_COLUMNS):
            continue
        if not _texts_ok(
            row, problems, ("unit_name", UNIT_NAME_MAX, True), ("city", CITY_MAX, False)
        ):
            continue
        try:
            code = parse_unit_code(row.values["unit_code"])
        except InvalidUnitCode as exc:
            problems.append(RowProblem(row.line, f"unit-{exc.reason}"))
            continue
        if code in parsed:
            problems.append(RowProblem(row.line, "duplicate", {"other": parsed[code][0]}))
            continue
        parsed[code] = (row.line, row.values["unit_name"], row.values["city"])
    if problems:
        raise ImportRejected(problems)
    now = ctx.now()
    async with raced_import(), ctx.db.transaction() as session:
        existing = await _units_by_code(session, list(parsed))
        new = [
            {"code": c, "name": n, "city": city, "created_at": now}
            for c, (_line, n, city) in parsed.items()
            if c not in existing
        ]
        updated = 0
        for code, unit in existing.items():
            _line, name, city = parsed[code]
            if (unit.name, unit.city) != (name, city):
                unit.name, unit.city = name, city
                updated += 1
        if new:
            await session.execute(insert(Unit), new)
        session.add(_batch("units", path, len(rows), len(new), actor, ctx))
        audit(
            session,
            at=now,
            actor=actor,
            action="import",
            entity="units",
            data={"file": path.name, "rows": len(rows), "added": len(new), "updated": updated},
        )
    return ImportResult(len(rows), len(new), updated, len(existing) - updated)


# ---------------------------------------------------------------------------------- people


async def import_people(ctx: AppContext, path: Path, *, actor: str = "cli") -> ImportResult:
    rows = read_table(path, PEOPLE_COLUMNS, optional=PEOPLE_OPTIONAL)
    problems: list[RowProblem] = []
    parsed: dict[str, tuple[Row, str]] = {}  # id number -> (row, unit code)
    phones: dict[str, str] = {}  # id number -> normalised mobile number, when the row has one
    for row in rows:
        if not _required(row, problems, *(c for c in PEOPLE_COLUMNS if c not in PEOPLE_OPTIONAL)):
            continue
        phone = normalize_mobile(row.values.get("phone", "")) if row.values.get("phone") else ""
        if phone is None:
            problems.append(RowProblem(row.line, "phone"))  # the number itself is not echoed
            continue
        if not _texts_ok(row, problems, ("name", NAME_MAX, True)):
            continue
        id_number = _parse_id(row, problems, ctx)
        try:
            code = parse_unit_code(row.values["unit_code"])
        except InvalidUnitCode as exc:
            problems.append(RowProblem(row.line, f"unit-{exc.reason}"))
            continue
        if id_number is None:
            continue
        if id_number in parsed:
            problems.append(RowProblem(row.line, "duplicate", {"other": parsed[id_number][0].line}))
            continue
        parsed[id_number] = (row, code)
        if phone:
            phones[id_number] = phone
    now = ctx.now()
    async with raced_import(), ctx.db.transaction() as session:
        units = await _units_by_code(session, sorted({code for _r, code in parsed.values()}))
        hashes = {ctx.ids.lookup_hash(i): i for i in parsed}
        people = await _people_by_hash(session, list(hashes))
        for id_number, (row, code) in parsed.items():
            if code not in units:
                problems.append(RowProblem(row.line, "unknown-unit", {"code": code}))
            person = people.get(ctx.ids.lookup_hash(id_number))
            if person is not None and person.name != row.values["name"]:
                problems.append(RowProblem(row.line, "name-mismatch"))
        if problems:
            raise ImportRejected(sorted(problems, key=lambda p: p.line))
        new: list[dict[str, Any]] = []
        updated = 0
        for h, id_number in hashes.items():
            row, code = parsed[id_number]
            unit_id = units[code].id
            person = people.get(h)
            phone = phones.get(id_number)
            if person is None:
                fields = _new_person(ctx, h, id_number, row.values["name"], unit_id, now)
                # every row the same keys (one executemany): None without a phone
                fields["phone_hash"], fields["phone_cipher"] = (
                    protect_phone(ctx, phone) if phone else (None, None)
                )
                new.append(fields)
                continue
            changed = False
            if person.unit_id != unit_id or not person.unit_confirmed:
                # the roster is the unit's word: it moves the person and confirms the unit
                person.unit_id, person.unit_confirmed = unit_id, True
                changed = True
            if phone and person.phone_hash not in ctx.ids.tokens("phone", phone):
                person.phone_hash, person.phone_cipher = protect_phone(ctx, phone)
                changed = True
            if changed:
                person.updated_at = now
                updated += 1
        if new:
            await session.execute(insert(Person), new)
        session.add(_batch("people", path, len(rows), len(new), actor, ctx))
        audit(
            session,
            at=now,
            actor=actor,
            action="import",
            entity="people",
            data={"file": path.name, "rows": len(rows), "added": len(new), "updated": updated},
        )
    return ImportResult(len(rows), len(new), updated, len(parsed) - len(new) - updated, len(new))


def _new_person(
    ctx: AppContext,
    id_hash: str,
    id_number: str,
    name: str,
    unit_id: int | None,
    now: Any,
    *,
    unit_confirmed: bool = True,
) -> dict[str, Any]:
    return {
        "id_hash": id_hash,
        "id_cipher": ctx.ids.encrypt(id_number),
        "id_masked": mask_id_number(id_number),
        "name": name,
        "unit_id": unit_id,
        "unit_confirmed": unit_confirmed,
        "created_at": now,
        "updated_at": now,
    }


# ---------------------------------------------------------------------------------- hours


@dataclass(slots=True)
class HourRow:
    line: int
    id_number: str
    name: str
    year: int
    subject: Subject
    course_code: str
    title: str
    hours: Fraction
    completed_on: date
    key: str
    unit_code: str = ""  # the optional 单位代码 column, parsed


@dataclass(frozen=True)
class HourRules:
    """What checking an hours file needs, without the database or the clock: picklable, so
    that a worker process can check a large file while the bot's event loop goes on."""

    policies: Mapping[int, Policy]
    day: date

    def today(self) -> date:
        return self.day


def hour_rules(ctx: AppContext) -> HourRules:
    return HourRules({year: ctx.policies[year] for year in ctx.policies}, ctx.today())


Rules = AppContext | HourRules


class _CachedParsers:
    """A file of 100,000 rows holds far fewer distinct ID numbers, hours and dates: each
    distinct value is checked once (the check itself stays the core's)."""

    def __init__(self, ctx: Rules) -> None:
        self.today = ctx.today()
        self._ids: dict[str, str | InvalidIdNumber] = {}
        self._hours: dict[str, Fraction | InvalidHours] = {}
        self._dates: dict[str, date | None] = {}

    def id_number(self, raw: str) -> str | InvalidIdNumber:
        found = self._ids.get(raw)
        if found is None:
            try:
                found = parse_id_number(raw, today=self.today).value
            except InvalidIdNumber as exc:
                found = exc
            self._ids[raw] = found
        return found

    def hours(self, raw: str) -> Fraction | InvalidHours:
        found = self._hours.get(raw)
        if found is None:
            try:
                found = parse_hours(raw)
            except InvalidHours as exc:
                found = exc
            self._hours[raw] = found
        return found

    def date(self, raw: str) -> date | None:
        if raw not in self._dates:
            self._dates[raw] = parse_date(raw)
        return self._dates[raw]


def _parse_hour_row(
    ctx: Rules, row: Row, source: str, problems: list[RowProblem], cache: _CachedParsers
) -> HourRow | None:
    v = row.values
    before = len(problems)
    if not _required(
        row,
        problems,
        "id_number",
        "name",
        "year",
        "subject",
        "course_title",
        "hours",
        "completed_on",
    ):
        return None
    if not _texts_ok(
        row,
        problems,
        ("name", NAME_MAX, True),
        ("course_title", TITLE_MAX, False),
        ("course_code", COURSE_CODE_MAX, False),
    ):
        return None
    parsed_id = cache.id_number(v["id_number"])
    id_number = None
    if isinstance(parsed_id, InvalidIdNumber):
        problems.append(RowProblem(row.line, f"id-{parsed_id.reason}"))
    else:
        id_number = parsed_id
    subject = parse_subject(v["subject"])
    if subject is None:
        problems.append(RowProblem(row.line, "subject", {"value": shown(v["subject"])}))
    raw_year = v["year"]
    # ASCII digits only: int() also takes "２０２４", and refuses 5,000 digits with a ValueError
    plain = raw_year.isascii() and raw_year.isdigit() and len(raw_year) <= 4
    year = int(raw_year) if plain else None
    policy = ctx.policies.get(year) if year is not None else None
    if policy is None:
        problems.append(RowProblem(row.line, "year", {"value": shown(raw_year)}))
    parsed_hours = cache.hours(v["hours"])
    hours: Fraction | None = None
    if isinstance(parsed_hours, InvalidHours):
        problems.append(
            RowProblem(row.line, f"hours-{parsed_hours.reason}", {"value": shown(v["hours"])})
        )
    else:
        hours = parsed_hours
    completed_on = cache.date(v["completed_on"])
    if completed_on is None:
        problems.append(RowProblem(row.line, "date", {"value": shown(v["completed_on"])}))
    unit_code = ""
    if v.get("unit_code"):
        try:
            unit_code = parse_unit_code(v["unit_code"])
        except InvalidUnitCode as exc:
            problems.append(RowProblem(row.line, f"unit-{exc.reason}"))
    if subject is Subject.PROFESSIONAL and not v.get("course_code"):
        problems.append(RowProblem(row.line, "empty", {"columns": "course_code"}))
    if len(problems) > before:
        return None
    assert id_number and subject and policy and hours is not None and completed_on
    for reason in check_record(policy, subject, hours, completed_on):
        args = {
            "year": policy.year,
            "max": format_hours(policy.max_hours_for(None)),
            "expected": ""
            if subject is Subject.PROFESSIONAL
            else format_hours(policy.max_public_hours(subject)),
        }
        problems.append(RowProblem(row.line, reason, args))
    if len(problems) > before:
        return None
    key = dedup_key(
        subject,
        policy.year,
        source=source,
        course_code=v.get("course_code", ""),
        completed_on=completed_on,
    )
    return HourRow(
        row.line,
        id_number,
        v["name"],
        policy.year,
        subject,
        v.get("course_code") or "",
        v["course_title"],
        hours,
        completed_on,
        key,
        unit_code,
    )


@dataclass(slots=True)
class CheckedHourRows:
    """What the file itself says, before any database look-up."""

    parsed: list[HourRow]
    names: dict[str, tuple[str, int]]  # ID number -> (name, first line)
    problems: list[RowProblem]
    rows: int = 0  # data rows in the file

    def __reduce__(self) -> tuple[Any, ...]:
        # sent back from a worker process: plain tuples pickle many times faster than
        # 200,000 dataclasses holding Fractions and dates
        flat = [
            (
                h.line,
                h.id_number,
                h.name,
                h.year,
                h.subject.value,
                h.course_code,
                h.title,
                to_half_units(h.hours),
                h.completed_on.toordinal(),
                h.key,
                h.unit_code,
            )
            for h in self.parsed
        ]
        problems = [(p.line, p.reason, p.args) for p in self.problems]
        return (_checked_from, (flat, self.names, problems, self.rows))


def _checked_from(
    flat: list[tuple[Any, ...]],
    names: dict[str, tuple[str, int]],
    problems: list[tuple[int, str, dict[str, Any]]],
    rows: int,
) -> CheckedHourRows:
    parsed = [
        HourRow(
            line,
            id_number,
            name,
            year,
            Subject(subject),
            code,
            title,
            from_half_units(halves),
            date.fromordinal(day),
            key,
            unit_code,
        )
        for line, id_number, name, year, subject, code, title, halves, day, key, unit_code in flat
    ]
    return CheckedHourRows(parsed, names, [RowProblem(*p) for p in problems], rows)


def validate_hour_rows(ctx: Rules, rows: Sequence[Row], source: str) -> CheckedHourRows:
    """Every per-row and within-file check of an hours import; shared by `import_hours` and the
    organiser's preview in the bot, so both report the same bad lines."""
    problems: list[RowProblem] = []
    parsed: list[HourRow] = []
    seen: dict[tuple[str, str], int] = {}
    names: dict[str, tuple[str, int]] = {}
    cache = _CachedParsers(ctx)
    for row in rows:
        hr = _parse_hour_row(ctx, row, source, problems, cache)
        if hr is None:
            continue
        if (hr.id_number, hr.key) in seen:
            problems.append(RowProblem(hr.line, "duplicate", {"other": seen[hr.id_number, hr.key]}))
            continue
        seen[hr.id_number, hr.key] = hr.line
        first = names.setdefault(hr.id_number, (hr.name, hr.line))
        if first[0] != hr.name:
            problems.append(RowProblem(hr.line, "name-differs", {"other": first[1]}))
            continue
        parsed.append(hr)
    return CheckedHourRows(parsed, names, problems, len(rows))


def check_hours_file(
    path: Path, source: str, rules: Rules, rows_allowed: int | None = None
) -> CheckedHourRows:
    """Read and check an hours file, everything but the database look-ups: what a worker
    process does for the bot (pass an HourRules there)."""
    rows = read_table(path, HOUR_COLUMNS, optional=HOUR_OPTIONAL, rows_allowed=rows_allowed)
    return validate_hour_rows(rules, rows, source)


async def hour_units(
    session: AsyncSession, parsed: Sequence[HourRow], problems: list[RowProblem]
) -> dict[str, int]:
    """Unit id by ID number from the optional 单位代码 column (the person's first row that
    names one); a code that is not registered is a problem of its line."""
    codes = sorted({hr.unit_code for hr in parsed if hr.unit_code})
    if not codes:
        return {}
    units = await _units_by_code(session, codes)
    found: dict[str, int] = {}
    for hr in parsed:
        if not hr.unit_code:
            continue
        unit = units.get(hr.unit_code)
        if unit is None:
            problems.append(RowProblem(hr.line, "unknown-unit", {"code": hr.unit_code}))
        else:
            found.setdefault(hr.id_number, unit.id)
    return found


def check_source(source: str) -> str:
    """The import source's name, stripped, or ImportRejected (it is stored with every row)."""
    source = source.strip()
    if not source:
        raise ImportRejected([RowProblem(0, "source")])
    if text_problem(source, SOURCE_MAX) is not None:
        raise ImportRejected([RowProblem(0, "source-text", {"max": SOURCE_MAX})])
    return source


@contextlib.asynccontextmanager
async def raced_import() -> AsyncIterator[None]:
    """Around an import's transaction: a unique key that refused our rows means another
    import of the same rows committed meanwhile (ours was rolled back whole)."""
    try:
        yield
    except IntegrityError as exc:
        raise ImportRaced() from exc


async def import_hours(
    ctx: AppContext,
    path: Path,
    *,
    source: str,
    actor: str = "cli",
    checked: CheckedHourRows | None = None,
) -> ImportResult:
    """Hours from an organiser, an industry system, or the public-subject system (migration).
    Unknown people are created from the row and linked when they bind in the bot. `checked`:
    the file already read and checked with this source (in a worker process, by the bot),
    else it is done here."""
    source = check_source(source)
    if checked is None:
        checked = check_hours_file(path, source, ctx)
    parsed, names, problems = checked.parsed, checked.names, checked.problems
    problems = list(problems)  # the caller's copy stays as it was
    hashes = {i: ctx.ids.lookup_hash(i) for i in names}
    now = ctx.now()
    async with raced_import(), ctx.db.transaction() as session:
        people = await _person_refs_by_hash(session, list(hashes.values()))
        for hr in parsed:
            person = people.get(hashes[hr.id_number])
            if person is not None and person.name != hr.name:
                problems.append(RowProblem(hr.line, "name-mismatch"))
        unit_of = await hour_units(session, parsed, problems)
        if problems:
            raise ImportRejected(sorted(problems, key=lambda p: p.line))

        new_people = [
            # the organiser's word on the unit is not the unit's: its reviewer confirms them
            _new_person(
                ctx, hashes[i], i, names[i][0], unit_of.get(i), now, unit_confirmed=i not in unit_of
            )
            for i in names
            if hashes[i] not in people
        ]
        if new_people:
            await session.execute(insert(_table(Person)), new_people)
            people.update(await _person_refs_by_hash(session, [p["id_hash"] for p in new_people]))

        person_ids = {i: people[h].id for i, h in hashes.items()}
        unit_ids = {people[h].id: people[h].unit_id for h in hashes.values()}
        existing_keys: set[tuple[int, str]] = set()
        for chunk in _chunks(sorted(set(person_ids.values()))):
            result = await session.execute(
                select(HourRecord.person_id, HourRecord.dedup_key).where(
                    HourRecord.person_id.in_(chunk)
                )
            )
            existing_keys.update((pid, key) for pid, key in result.all())

        batch = _batch("hours", path, checked.rows, 0, actor, ctx, source=source)
        session.add(batch)
        await session.flush()
        records = []
        for hr in parsed:
            pid = person_ids[hr.id_number]
            if (pid, hr.key) in existing_keys:
                continue
            records.append(
                {
                    "person_id": pid,
                    "year": hr.year,
                    "subject": hr.subject.value,
                    "origin": "import",
                    "source": source,
                    "dedup_key": hr.key,
                    "unit_id": unit_ids[pid],
                    "category": None,
                    "course_code": hr.course_code or None,
                    "title": hr.title,
                    "organiser": source,
                    "started_on": None,
                    "completed_on": hr.completed_on,
                    "hours": hr.hours,
                    "status": RecordStatus.IMPORTED.value,
                    "batch_id": batch.id,
                    "created_at": now,
                    "version": 1,
                }
            )
        if records:
            # Core insert through the table: one executemany. (The ORM bulk path splits the
            # batch wherever a row's None-valued keys differ, e.g. public vs professional rows.)
            await session.execute(insert(_table(HourRecord)), records)
        await session.execute(
            update(ImportBatch).where(ImportBatch.id == batch.id).values(added=len(records))
        )
        audit(
            session,
            at=now,
            actor=actor,
            action="import",
            entity="hours",
            entity_id=batch.id,
            data={
                "file": path.name,
                "source": source,
                "rows": checked.rows,
                "added": len(records),
                "people_created": len(new_people),
            },
        )
    return ImportResult(checked.rows, len(records), 0, len(parsed) - len(records), len(new_people))
