"""Certificates: issue once per person, kind and year; freeze the data; store the PDF; revoke
when the hours behind it fall; verify a number and its signature.

Numbering: `GX<year>-<PE|CE>-<sequence>`, e.g. `GX2024-CE-000123` (PE = the public-subject exam
certificate, CE = the continuing-education certificate). The sequence is the certificate's row
id, zero-padded to six digits: unique across the table, assigned inside the issuing
transaction, so concurrent issues never collide and a number never changes or repeats (a
reissue after a revocation gets a new one). Gaps are normal (ids are shared by both kinds and
all years, and a lost race consumes one). Numbers are sequential and so guessable; what makes
a link trustworthy is its signature `t`: the first 16 hex digits of an HMAC (the deployment's
secret key) over the number. A wrong or missing signature reveals nothing.

Eligibility comes from core.rules only (public_certificate_eligible, ce_certificate_eligible).
"""

from __future__ import annotations

import asyncio
import hmac
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.hours import format_hours
from core.records import dedup_key
from core.rules import (
    COUNTING_STATUSES,
    Policy,
    Subject,
    YearEvaluation,
    ce_certificate_eligible,
    public_certificate_eligible,
)
from services.audit import audit
from services.certificate_render import render_pdf
from services.context import AppContext
from services.notify import notify_person
from services.policies import local_today
from services.progress import PersonNotFound, YearWithoutPolicy, year_evaluation
from storage.models import Certificate, HourRecord, Person, Unit

DEFAULT_ISSUER = "广西壮族自治区人力资源和社会保障厅"
# a demo year's certificate must not carry a real department's name (nor look like a real one)
DEMO_ISSUER = "（演示）继续教育证书签发机构"
SIGNATURE_LENGTH = 16  # hex digits: 64 bits, far beyond what a rate-limited guesser can try
# 2: "course" (the mandatory course the person completed) and "demo" (a demo policy year).
# Version 1 rows, issued before, keep their meaning: the templates fall back to the theme.
DATA_VERSION = 2
REVOKED_HOURS_REDUCED = "hours_reduced"


class CertificateKind(StrEnum):
    PUBLIC_EXAM = "public_exam"
    CE = "ce"


KIND_CODES = {CertificateKind.PUBLIC_EXAM: "PE", CertificateKind.CE: "CE"}
KIND_TITLES = {
    CertificateKind.PUBLIC_EXAM: "专业技术人员继续教育公需科目考试合格证书",
    CertificateKind.CE: "专业技术人员继续教育合格证书",
}
# the hour figures each kind states; a certificate stands only while none of them has fallen
KIND_HOURS = {
    CertificateKind.PUBLIC_EXAM: ("public_mandatory", "public_elective", "public"),
    CertificateKind.CE: ("public_mandatory", "public_elective", "public", "professional", "total"),
}
NUMBER_PATTERN = re.compile(r"^GX(\d{4})-(PE|CE)-(\d{6,12})$")


class NotEligible(Exception):
    """The person has not (yet) earned this certificate; `evaluation` says what is missing."""

    def __init__(self, kind: CertificateKind, year: int, evaluation: YearEvaluation) -> None:
        super().__init__(f"not eligible for {kind.value} {year}")
        self.kind = kind
        self.year = year
        self.evaluation = evaluation


@dataclass(frozen=True)
class CertificateView:
    """A certificate as callers see it. `file_path` is absolute; `created` is True only on
    the call that issued it."""

    number: str
    person_id: int
    year: int
    kind: CertificateKind
    data: dict[str, Any]
    file_path: Path | None
    issued_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None
    created: bool = False

    @property
    def live(self) -> bool:
        return self.revoked_at is None

    @property
    def title(self) -> str:
        return KIND_TITLES[self.kind]

    @property
    def download_name(self) -> str:
        """A file name for the person's download; the number, no personal data."""
        return f"{self.title}-{self.year}-{self.number}.pdf"


@dataclass(frozen=True)
class CertificateStatus:
    """One line of the bot's certificates screen: the live certificate, or what is missing."""

    kind: CertificateKind
    year: int
    eligible: bool
    certificate: CertificateView | None
    evaluation: YearEvaluation


class VerifyStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    NOT_FOUND = "not_found"
    NOT_GENUINE = "not_genuine"


@dataclass(frozen=True)
class Verification:
    """What a verifier may see: masked data only, and nothing at all unless genuine."""

    status: VerifyStatus
    number: str | None = None
    kind: CertificateKind | None = None
    year: int | None = None
    name_masked: str | None = None
    id_masked: str | None = None
    hours: dict[str, str] = field(default_factory=dict)
    issuer: str | None = None
    issued_on: str | None = None
    revoked_on: str | None = None

    @property
    def title(self) -> str | None:
        return None if self.kind is None else KIND_TITLES[self.kind]


# ------------------------------------------------------------------ numbers and signatures


def format_number(year: int, kind: CertificateKind, sequence: int) -> str:
    return f"GX{year}-{KIND_CODES[kind]}-{sequence:06d}"


def normalize_number(text: str) -> str:
    return text.strip().upper()


def signature(ctx: AppContext, number: str) -> str:
    return ctx.ids.token("certificate", normalize_number(number))[:SIGNATURE_LENGTH]


def verification_url(ctx: AppContext, number: str) -> str:
    return f"{ctx.public_url.rstrip('/')}/verify/{number}?t={signature(ctx, number)}"


def parse_verification_input(text: str) -> tuple[str, str | None]:
    """A verification URL (from the QR code) or a bare number -> (number, signature or None)."""
    text = text.strip()
    if "/verify/" in text:
        parts = urlsplit(text)
        number = unquote(parts.path.rsplit("/verify/", 1)[1].strip("/"))
        given = parse_qs(parts.query).get("t", [None])[0]
        return normalize_number(number), given
    return normalize_number(text), None


def mask_name(name: str) -> str:
    """李娜 -> 李*, 王小明 -> 王*明: the verifier can match the paper, a finder learns little."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def issuer_of(policy: Policy) -> str:
    """The department that issued the year's notice ("…厅关于…" -> "…厅"), else the default;
    a demo year's is plainly a demo (its "source" is no notice of any department)."""
    if policy.demo:
        return DEMO_ISSUER
    head = policy.source.split("关于", 1)[0].strip()
    return head if head.endswith(("厅", "局")) and "关于" in policy.source else DEFAULT_ISSUER


# ------------------------------------------------------------------ eligibility


def is_eligible(kind: CertificateKind, evaluation: YearEvaluation) -> bool:
    if kind is CertificateKind.PUBLIC_EXAM:
        return public_certificate_eligible(evaluation)
    return ce_certificate_eligible(evaluation)


def _current_hours(ev: YearEvaluation) -> dict[str, Fraction]:
    return {
        "public_mandatory": ev.public_mandatory_hours,
        "public_elective": ev.public_elective_hours,
        "public": ev.public_hours,
        "professional": ev.professional_verified_hours,
        "total": ev.total_hours,
    }


def _still_holds(cert: Certificate, ev: YearEvaluation) -> bool:
    kind = CertificateKind(cert.kind)
    if not is_eligible(kind, ev):
        return False
    now = _current_hours(ev)
    frozen = cert.data.get("hours", {})
    # a certificate must never state more hours than are verified today
    return all(now[key] >= Fraction(str(frozen.get(key, "0"))) for key in KIND_HOURS[kind])


def _policy(ctx: AppContext, year: int) -> Policy:
    if year not in ctx.policies:
        raise YearWithoutPolicy(year)
    return ctx.policies[year]


# ------------------------------------------------------------------ reading


def _view(ctx: AppContext, cert: Certificate, created: bool = False) -> CertificateView:
    return CertificateView(
        number=cert.number,
        person_id=cert.person_id,
        year=cert.year,
        kind=CertificateKind(cert.kind),
        data=dict(cert.data),
        file_path=None if cert.file_path is None else ctx.data_dir / cert.file_path,
        issued_at=cert.issued_at,
        revoked_at=cert.revoked_at,
        revoke_reason=cert.revoke_reason,
        created=created,
    )


async def _live(
    session: AsyncSession, person_id: int, year: int, kind: CertificateKind
) -> Certificate | None:
    return await session.scalar(
        select(Certificate).where(
            Certificate.person_id == person_id,
            Certificate.year == year,
            Certificate.kind == kind.value,
            Certificate.revoked_at.is_(None),
        )
    )


async def list_for_person(
    ctx: AppContext, person_id: int, *, include_revoked: bool = True
) -> list[CertificateView]:
    """Newest year first; within a year the live certificate before revoked ones."""
    async with ctx.db.transaction() as session:
        query = select(Certificate).where(Certificate.person_id == person_id)
        if not include_revoked:
            query = query.where(Certificate.revoked_at.is_(None))
        rows = (await session.scalars(query)).all()
    views = [_view(ctx, c) for c in rows]
    return sorted(views, key=lambda v: (-v.year, v.kind.value, not v.live, v.number))


async def certificate_status(ctx: AppContext, person_id: int, year: int) -> list[CertificateStatus]:
    """For the bot's screen: each kind's live certificate, or whether it can be issued now and
    (through `evaluation`) what is missing."""
    policy = _policy(ctx, year)
    async with ctx.db.transaction() as session:
        ev = await year_evaluation(session, policy, person_id)
        result = []
        for kind in CertificateKind:
            live = await _live(session, person_id, year, kind)
            result.append(
                CertificateStatus(
                    kind=kind,
                    year=year,
                    eligible=is_eligible(kind, ev),
                    certificate=None if live is None else _view(ctx, live),
                    evaluation=ev,
                )
            )
    return result


async def get_certificate(ctx: AppContext, number: str) -> CertificateView | None:
    async with ctx.db.transaction() as session:
        cert = await session.scalar(
            select(Certificate).where(Certificate.number == normalize_number(number))
        )
        return None if cert is None else _view(ctx, cert)


# ------------------------------------------------------------------ issuing


def _relative_pdf_path(ctx: AppContext, year: int, number: str) -> str:
    # opaque file name (keyed digest of the number): the directory listing says nothing
    return f"certificates/{year}/{ctx.ids.token('certificate-file', number)[:32]}.pdf"


async def _frozen_data(
    ctx: AppContext,
    session: AsyncSession,
    person: Person,
    policy: Policy,
    kind: CertificateKind,
    ev: YearEvaluation,
) -> dict[str, Any]:
    unit = None if person.unit_id is None else await session.get(Unit, person.unit_id)
    hours = _current_hours(ev)
    course = await _mandatory_course_title(session, person.id, policy)
    return {
        "v": DATA_VERSION,
        "name": person.name,
        "id_masked": person.id_masked,
        "unit": "" if unit is None else unit.name,
        "year": policy.year,
        "hours": {key: format_hours(hours[key]) for key in KIND_HOURS[kind]},
        "issuer": issuer_of(policy),
        "issued_on": ctx.today().isoformat(),
        "mandatory_theme": policy.mandatory_theme,
        "course": course,
        "demo": policy.demo,
        "policy_source": policy.source,
    }


async def _mandatory_course_title(session: AsyncSession, person_id: int, policy: Policy) -> str:
    """The mandatory course the person completed: the title on the record that counts their
    pass (the bot's course, or the course an import named), not the policy's theme."""
    key = dedup_key(
        Subject.PUBLIC_MANDATORY,
        policy.year,
        source="",
        course_code="",
        completed_on=date(policy.year, 1, 1),  # not part of a public subject's key
    )
    title = await session.scalar(
        select(HourRecord.title).where(
            HourRecord.person_id == person_id,
            HourRecord.dedup_key == key,
            HourRecord.status.in_([s.value for s in COUNTING_STATUSES]),
        )
    )
    return (title or policy.mandatory_theme).strip().strip("《》").strip()


async def issue_certificate(
    ctx: AppContext,
    person_id: int,
    year: int,
    kind: CertificateKind | str,
    *,
    actor: str | None = None,
    render: bool = True,
) -> CertificateView:
    """Issue the certificate (or return the live one already issued), with its PDF on disk.

    Raises PersonNotFound, YearWithoutPolicy or NotEligible. Safe to call concurrently: the
    partial unique index lets one issue win; the other returns the winner's certificate.

    `render=False` returns without rendering the PDF: for a caller inside a longer
    transaction (the bot's turn), which calls `ensure_pdf` after its commit, so the render
    never holds the transaction open."""
    kind = CertificateKind(kind)
    policy = _policy(ctx, year)
    try:
        async with ctx.db.transaction() as session:
            existing = await _live(session, person_id, year, kind)
            if existing is not None:
                view = _view(ctx, existing)
            else:
                person = await session.get(Person, person_id)
                if person is None:
                    raise PersonNotFound()
                ev = await year_evaluation(session, policy, person_id)
                if not is_eligible(kind, ev):
                    raise NotEligible(kind, year, ev)
                cert = Certificate(
                    number=f"pending-{uuid.uuid4().hex[:24]}",  # unique until the id is known
                    person_id=person_id,
                    year=year,
                    kind=kind.value,
                    data=await _frozen_data(ctx, session, person, policy, kind, ev),
                    issued_at=ctx.now(),
                )
                session.add(cert)
                await session.flush()
                cert.number = format_number(year, kind, cert.id)
                cert.file_path = _relative_pdf_path(ctx, year, cert.number)
                audit(
                    session,
                    at=ctx.now(),
                    actor=actor or f"person:{person_id}",
                    action="certificate.issue",
                    entity="certificate",
                    entity_id=cert.number,
                    data={"kind": kind.value, "year": year, "hours": cert.data["hours"]},
                )
                await session.flush()
                view = _view(ctx, cert, created=True)
    except IntegrityError:
        # a concurrent issue won the race for the one live certificate: return that one
        async with ctx.db.transaction() as session:
            winner = await _live(session, person_id, year, kind)
            if winner is None:
                raise
            view = _view(ctx, winner)
    if render:
        await ensure_pdf(ctx, view)
    return view


# renders in progress in this process, by file: concurrent requests for one certificate wait
# for the same render instead of each starting one
_rendering: dict[Path, asyncio.Future[Path]] = {}


async def ensure_pdf(ctx: AppContext, view: CertificateView) -> Path:
    """The stored PDF, rendered from the frozen data when missing (first issue, lost disk)."""
    path = view.file_path
    if path is None:
        raise ValueError("certificate has no file path")
    if path.exists():
        return path
    pending = _rendering.get(path)
    if pending is not None and pending.get_loop() is asyncio.get_running_loop():
        return await asyncio.shield(pending)
    future: asyncio.Future[Path] = asyncio.get_running_loop().create_future()
    _rendering[path] = future
    try:
        await _render_to_file(ctx, view, path)
        future.set_result(path)
    except asyncio.CancelledError:
        future.cancel()  # waiters see the cancellation; the next call renders again
        raise
    except Exception as exc:
        future.set_exception(exc)
        future.exception()  # retrieved here: nobody else may be waiting
        raise
    finally:
        if _rendering.get(path) is future:
            del _rendering[path]
    return path


async def _render_to_file(ctx: AppContext, view: CertificateView, path: Path) -> None:
    pdf = await render_pdf(
        view.kind.value,
        view.data,
        number=view.number,
        verification_url=verification_url(ctx, view.number),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # write then rename: a reader never sees half a file, two writers (two workers) leave one
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(pdf)
    os.replace(tmp, path)


# ------------------------------------------------------------------ revoking


async def recheck_certificates(
    ctx: AppContext, person_id: int, year: int, *, actor: str = "system", notify: bool = True
) -> list[CertificateView]:
    """Revoke the person's live certificates of `year` that no longer hold (not eligible any
    more, or stating more hours than are verified now). Returns the revoked ones; a new
    certificate can be issued once eligible again.
    Call after anything lowers verified hours (a spot check revoking a record, a reopened
    review).

    The person is told: with `notify` (the default) one outbox message per bound account
    (key REVOKED_NOTICE, with a button to the bot's certificates screen) is queued in the same
    transaction, so it exists if and only if the revocation committed. A caller that tells
    the person in its own words passes notify=False."""
    policy = _policy(ctx, year)
    revoked: list[CertificateView] = []
    async with ctx.db.transaction() as session:
        live = (
            await session.scalars(
                select(Certificate).where(
                    Certificate.person_id == person_id,
                    Certificate.year == year,
                    Certificate.revoked_at.is_(None),
                )
            )
        ).all()
        if not live:
            return []
        ev = await year_evaluation(session, policy, person_id)
        for cert in live:
            if _still_holds(cert, ev):
                continue
            cert.revoked_at = ctx.now()
            cert.revoke_reason = REVOKED_HOURS_REDUCED
            now = _current_hours(ev)
            stated_keys = KIND_HOURS[CertificateKind(cert.kind)]
            audit(
                session,
                at=ctx.now(),
                actor=actor,
                action="certificate.revoke",
                entity="certificate",
                entity_id=cert.number,
                data={
                    "reason": REVOKED_HOURS_REDUCED,
                    "stated": cert.data.get("hours", {}),
                    "verified": {k: format_hours(now[k]) for k in stated_keys},
                },
            )
            revoked.append(_view(ctx, cert))
        if revoked and notify:
            await _tell_revoked(session, person_id, year, revoked, ctx.now())
    return revoked


REVOKED_NOTICE = "certs-notice-revoked"
CERTIFICATES_SCREEN = "m:certs"  # the bot's "my certificates" menu action


async def _tell_revoked(
    session: AsyncSession,
    person_id: int,
    year: int,
    revoked: list[CertificateView],
    now: datetime,
) -> int:
    """One message per account bound to the person, naming every certificate revoked."""
    kinds = {c.kind for c in revoked}
    return await notify_person(
        session,
        person_id,
        REVOKED_NOTICE,
        now,
        args={
            "year": year,
            "kinds": next(iter(kinds)).value if len(kinds) == 1 else "both",
            "numbers": ", ".join(c.number for c in revoked),
        },
        buttons=[("menu-certs", CERTIFICATES_SCREEN)],
    )


# ------------------------------------------------------------------ verifying


def signature_ok(ctx: AppContext, number: str, given: str | None) -> bool:
    if not given or len(given) != SIGNATURE_LENGTH:
        return False
    # any key still listed: QR codes printed before a key rotation keep verifying
    given = given.strip().lower()
    return any(
        hmac.compare_digest(given, token[:SIGNATURE_LENGTH])
        for token in ctx.ids.tokens("certificate", normalize_number(number))
    )


async def verify(ctx: AppContext, number: str, given_signature: str | None) -> Verification:
    """valid / revoked / not_found / not_genuine. The signature is checked before the database
    is read, so a guessed or tampered link learns nothing, not even whether the number exists."""
    number = normalize_number(number)
    if not NUMBER_PATTERN.match(number) or not signature_ok(ctx, number, given_signature):
        return Verification(VerifyStatus.NOT_GENUINE)
    async with ctx.db.transaction() as session:
        cert = await session.scalar(select(Certificate).where(Certificate.number == number))
    if cert is None:
        return Verification(VerifyStatus.NOT_FOUND, number=number)
    data = cert.data
    return Verification(
        status=VerifyStatus.VALID if cert.revoked_at is None else VerifyStatus.REVOKED,
        number=cert.number,
        kind=CertificateKind(cert.kind),
        year=cert.year,
        name_masked=mask_name(str(data.get("name", ""))),
        id_masked=str(data.get("id_masked", "")),
        hours={str(k): str(v) for k, v in data.get("hours", {}).items()},
        issuer=str(data.get("issuer", DEFAULT_ISSUER)),
        issued_on=str(data.get("issued_on", "")),
        revoked_on=None if cert.revoked_at is None else local_today(cert.revoked_at).isoformat(),
    )


async def verify_trusted(ctx: AppContext, number: str) -> Verification:
    """For operators holding the secret key (the command line): look a bare number up."""
    return await verify(ctx, number, signature(ctx, number))


async def check_number(ctx: AppContext, number: str) -> Verification:
    """A bare number typed into the bot, with no signature: the status, kind, year and dates
    only. Nothing about the person: a number alone is easy to guess. (Callers rate-limit.)"""
    full = await verify_trusted(ctx, number)
    if full.status is VerifyStatus.NOT_GENUINE:  # not even shaped like a number
        return full
    return Verification(
        status=full.status,
        number=full.number,
        kind=full.kind,
        year=full.year,
        issued_on=full.issued_on,
        revoked_on=full.revoked_on,
    )


MAX_PHOTO_PIXELS = 20_000_000  # a phone photo is ~12 MP; refuse decompression bombs


def decode_qr(image: bytes) -> list[str]:
    """Texts of the QR codes in a photo (zxing-cpp), for a verification URL sent as a picture.
    CPU work of some milliseconds to a few hundred: call it via asyncio.to_thread."""
    import io

    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(image)) as picture:
            if picture.width * picture.height > MAX_PHOTO_PIXELS:
                return []
            picture.load()
            return [r.text for r in zxingcpp.read_barcodes(picture) if r.text]
    except (UnidentifiedImageError, OSError, ValueError):
        return []


__all__ = [
    "KIND_TITLES",
    "REVOKED_NOTICE",
    "CertificateKind",
    "CertificateStatus",
    "CertificateView",
    "NotEligible",
    "PersonNotFound",
    "Verification",
    "VerifyStatus",
    "YearWithoutPolicy",
    "certificate_status",
    "check_number",
    "decode_qr",
    "ensure_pdf",
    "get_certificate",
    "issue_certificate",
    "list_for_person",
    "mask_name",
    "parse_verification_input",
    "recheck_certificates",
    "signature",
    "verification_url",
    "verify",
    "verify_trusted",
]
