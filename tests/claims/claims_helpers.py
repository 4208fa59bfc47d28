"""Helpers for the claim and review tests (imported as a top-level module: tests have no
packages, and pytest puts this folder on sys.path)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select

from core.idnumber import make_id_number, mask_id_number
from services.claims import ClaimDraft, ClaimView, submit_claim
from services.context import AppContext
from services.evidence import store_evidence
from storage.models import Account, Person, Role, Unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8
ORGANISER_SOURCE = "广西测试继续教育基地"


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def at(ctx: AppContext, when: datetime) -> AppContext:
    """The same database and policies, another clock."""
    return replace(ctx, clock=lambda: when)


def id_number_of(seq: int) -> str:
    return make_id_number("450103", date(1988, 3, 12), seq)


@dataclass
class World:
    unit_a: int
    unit_b: int
    claimant: int  # person in unit A
    claimant_account: int
    reviewer_person: int  # a person of unit A who is also its reviewer
    reviewer_person_account: int
    reviewer1: int  # accounts with a live reviewer role of unit A
    reviewer2: int
    reviewer_b: int  # reviewer of unit B
    revoked: int  # had the reviewer role of unit A; revoked
    plain: int  # an account of a person of unit A, no role
    admin: int
    organiser: int
    organiser_revoked: int


async def count(ctx: AppContext, model: type, *where: ColumnElement[bool]) -> int:
    async with ctx.db.transaction() as s:
        n = await s.scalar(select(func.count()).select_from(model).where(*where))
    return n or 0


async def build_world(ctx: AppContext, round_no: int = 0) -> World:
    """Two units and every kind of account; `round_no` keeps several worlds apart."""
    tag = f"r{round_no}-"
    now = ctx.now()
    async with ctx.db.transaction() as s:
        units = []
        for code, name in ((f"UA{tag}", "甲单位"), (f"UB{tag}", "乙单位")):
            unit = Unit(code=code, name=name, city="南宁市", created_at=now)
            s.add(unit)
            units.append(unit)
        await s.flush()
        seq = 0

        async def person(name: str, unit_id: int, confirmed: bool = True) -> Person:
            nonlocal seq
            seq += 1
            id_number = id_number_of(round_no * 10 + seq)
            p = Person(
                id_hash=ctx.ids.lookup_hash(id_number),
                id_cipher=ctx.ids.encrypt(id_number),
                id_masked=mask_id_number(id_number),
                name=name,
                unit_id=unit_id,
                unit_confirmed=confirmed,
                created_at=now,
                updated_at=now,
            )
            s.add(p)
            await s.flush()
            return p

        async def account(name: str, person_id: int | None = None) -> int:
            a = Account(
                channel="test",
                external_id=f"{tag}{name}",
                person_id=person_id,
                display_name=name,
                created_at=now,
            )
            s.add(a)
            await s.flush()
            return a.id

        def role(account_id: int, kind: str, unit_id: int | None = None, **kw: object) -> None:
            s.add(
                Role(
                    account_id=account_id,
                    role=kind,
                    unit_id=unit_id,
                    granted_at=now,
                    granted_by="test",
                    **kw,
                )
            )

        ua, ub = units[0].id, units[1].id
        claimant = await person("王芳", ua)
        rp = await person("李审验", ua)
        plain_p = await person("杨磊", ua)
        w = World(
            unit_a=ua,
            unit_b=ub,
            claimant=claimant.id,
            claimant_account=await account("claimant", claimant.id),
            reviewer_person=rp.id,
            reviewer_person_account=await account("reviewer-person", rp.id),
            reviewer1=await account("审验人一"),
            reviewer2=await account("审验人二"),
            reviewer_b=await account("乙审验人"),
            revoked=await account("revoked"),
            plain=await account("plain", plain_p.id),
            admin=await account("admin"),
            organiser=await account("organiser"),
            organiser_revoked=await account("organiser-revoked"),
        )
        for acc in (w.reviewer_person_account, w.reviewer1, w.reviewer2):
            role(acc, "reviewer", ua)
        role(w.reviewer_b, "reviewer", ub)
        role(w.revoked, "reviewer", ua, revoked_at=now)
        role(w.admin, "admin")
        role(w.organiser, "organiser", source=ORGANISER_SOURCE)
        role(w.organiser_revoked, "organiser", source=ORGANISER_SOURCE, revoked_at=now)
    return w


def draft(**changes: object) -> ClaimDraft:
    base = ClaimDraft(
        year=2024,
        category="training",
        title="市级教研活动：作业设计专题",
        organiser="柳州市教育局",
        started_on=date(2024, 10, 16),
        completed_on=date(2024, 10, 16),
        hours=Fraction(12),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def claim(ctx: AppContext, person_id: int, **changes: object) -> ClaimView:
    evidence = await store_evidence(ctx, PDF)
    return await submit_claim(ctx, person_id, draft(**changes), [evidence.id], pledged=True)
