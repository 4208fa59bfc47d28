"""A small province for the spot-check, people and roles tests (imported as a top-level module:
tests have no packages, and pytest puts this folder on sys.path; the e2e test imports it as
tests.admin.admin_helpers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from sqlalchemy import ColumnElement, func, select

import storage.spot_models  # noqa: F401 - the spot tables on Base.metadata for these tests
from bot.flows import Button, ChannelUser, Engine, Event, Outcome
from core.idnumber import make_id_number, mask_id_number
from services.context import AppContext
from services.evidence import store_evidence
from services.privacy import notice
from storage.models import Account, HourRecord, Person, RecordEvidence, Review, Role, Unit

PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8
YEAR = 2024


def id_number_of(seq: int) -> str:
    return make_id_number("450103", date(1986, 5, 20), seq)


@dataclass
class Province:
    unit_a: int  # 南宁, code UA
    unit_b: int  # 柳州, code UB
    unit_c: int  # 南宁, no claims
    admin: int
    auditor: int
    auditor2: int
    reviewer_a: int
    reviewer_b: int
    plain: int  # an account with no role, not bound
    p1: int  # 王芳 (unit A): 25 public + approved claims 40 and 30 -> complete
    p1_account: int
    p1_claim_small: int  # the approved claim of 30 hours
    p1_claim_big: int
    auditor_person: int  # the person bound to the auditor's account (unit A)
    auditor_claim: int  # that person's own approved claim
    approved: list[int] = field(default_factory=list)  # every approved claim, by id
    pending_a: int = 0  # a pending claim of p1 in unit A


async def count(ctx: AppContext, model: type, *where: ColumnElement[bool]) -> int:
    async with ctx.db.transaction() as s:
        n = await s.scalar(select(func.count()).select_from(model).where(*where))
    return n or 0


async def build_province(ctx: AppContext, extra_people: int = 10) -> Province:
    """Units A and B (two cities) and C; staff accounts; people with public hours and
    approved claims (with evidence and the approving review); a pending and a rejected claim
    and an imported record that no draw may include."""
    now = ctx.now()
    evidence = await store_evidence(ctx, PDF)
    seq = 0
    async with ctx.db.transaction() as s:
        units = []
        for code, name, city in (
            ("UA", "南宁市第一人民医院", "南宁市"),
            ("UB", "柳州市第二中学", "柳州市"),
            ("UC", "南宁市图书馆", "南宁市"),
        ):
            unit = Unit(code=code, name=name, city=city, created_at=now)
            s.add(unit)
            units.append(unit)
        await s.flush()
        ua, ub, uc = (u.id for u in units)

        async def account(name: str, person_id: int | None = None) -> int:
            a = Account(
                channel="test",
                external_id=name,
                person_id=person_id,
                display_name=name,
                consent_version=notice().version,  # agreed already: no consent question
                created_at=now,
            )
            s.add(a)
            await s.flush()
            return a.id

        def role(account_id: int, kind: str, unit_id: int | None = None) -> None:
            s.add(
                Role(
                    account_id=account_id,
                    role=kind,
                    unit_id=unit_id,
                    granted_at=now,
                    granted_by="test",
                )
            )

        async def person(name: str, unit_id: int) -> int:
            nonlocal seq
            seq += 1
            number = id_number_of(seq)
            p = Person(
                id_hash=ctx.ids.lookup_hash(number),
                id_cipher=ctx.ids.encrypt(number),
                id_masked=mask_id_number(number),
                name=name,
                unit_id=unit_id,
                unit_confirmed=True,
                created_at=now,
                updated_at=now,
            )
            s.add(p)
            await s.flush()
            for subject, hours in (("public_mandatory", 15), ("public_elective", 10)):
                s.add(
                    HourRecord(
                        person_id=p.id,
                        year=YEAR,
                        subject=subject,
                        origin="exam" if subject == "public_mandatory" else "electives",
                        dedup_key=f"{subject}:{YEAR}",
                        unit_id=unit_id,
                        title="公需科目",
                        completed_on=date(2024, 6, 1),
                        hours=Fraction(hours),
                        status="credited",
                        created_at=now,
                    )
                )
            return p.id

        claim_no = 0

        async def claim(
            person_id: int, unit_id: int, hours: int, status: str = "approved", by: int = 0
        ) -> int:
            nonlocal claim_no
            claim_no += 1
            r = HourRecord(
                person_id=person_id,
                year=YEAR,
                subject="professional",
                origin="claim",
                dedup_key=f"claim:test-{claim_no}",
                unit_id=unit_id,
                category="training",
                title=f"专业培训第{claim_no}期",
                organiser="广西继续教育基地",
                started_on=date(2024, 9, 1),
                completed_on=date(2024, 9, 2),
                hours=Fraction(hours),
                status=status,
                pledged_at=now,
                created_at=now,
                decided_at=now if status != "pending" else None,
                decided_by=by or None,
                decision_reason="材料不清" if status == "rejected" else None,
            )
            s.add(r)
            await s.flush()
            s.add(RecordEvidence(record_id=r.id, file_id=evidence.id))
            if status != "pending":
                s.add(
                    Review(
                        record_id=r.id,
                        account_id=by or None,
                        decision=status,
                        reason=r.decision_reason,
                        created_at=now,
                    )
                )
            return r.id

        admin = await account("admin")
        reviewer_a = await account("reviewer-a")
        reviewer_b = await account("reviewer-b")
        p1 = await person("王芳", ua)
        p1_account = await account("p1", p1)
        auditor_person = await person("赵审计", ua)
        auditor = await account("auditor", auditor_person)
        auditor2 = await account("auditor2")
        plain = await account("plain")
        role(admin, "admin")
        role(auditor, "auditor")
        role(auditor2, "auditor")
        role(reviewer_a, "reviewer", ua)
        role(reviewer_b, "reviewer", ub)

        approved: list[int] = []
        big = await claim(p1, ua, 40, by=reviewer_a)
        small = await claim(p1, ua, 30, by=reviewer_a)
        approved += [big, small]
        own = await claim(auditor_person, ua, 20, by=reviewer_a)
        approved.append(own)
        pending = await claim(p1, ua, 8, status="pending")
        await claim(p1, ua, 6, status="rejected", by=reviewer_a)
        for n in range(extra_people):
            unit_id = ua if n % 2 == 0 else ub
            pid = await person(f"成员{n:02d}", unit_id)
            reviewer = reviewer_a if unit_id == ua else reviewer_b
            approved.append(await claim(pid, unit_id, 10 + n, by=reviewer))
            if n % 3 == 0:
                approved.append(await claim(pid, unit_id, 5, by=reviewer))
        # an imported professional record: verified, but not a claim
        s.add(
            HourRecord(
                person_id=p1,
                year=YEAR,
                subject="professional",
                origin="import",
                dedup_key="import:org:1",
                unit_id=ua,
                title="导入课程",
                completed_on=date(2024, 5, 1),
                hours=Fraction(4),
                status="imported",
                created_at=now,
            )
        )
    return Province(
        unit_a=ua,
        unit_b=ub,
        unit_c=uc,
        admin=admin,
        auditor=auditor,
        auditor2=auditor2,
        reviewer_a=reviewer_a,
        reviewer_b=reviewer_b,
        plain=plain,
        p1=p1,
        p1_account=p1_account,
        p1_claim_small=small,
        p1_claim_big=big,
        auditor_person=auditor_person,
        auditor_claim=own,
        approved=sorted(approved),
        pending_a=pending,
    )


class Chat:
    """One account of the province talking to the engine (its external id is its name)."""

    def __init__(self, engine: Engine, user: str) -> None:
        self.engine = engine
        self.user = ChannelUser("test", user)
        self.last = Outcome()

    async def send(self, text: str) -> Outcome:
        self.last = await self.engine.handle(self.user, Event.message(text))
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

    def has_button(self, label: str) -> bool:
        return any(label in b.label for b in self.buttons())

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last.replies)

    @property
    def files(self) -> list[str]:
        return [r.file.name for r in self.last.replies if r.file is not None]
