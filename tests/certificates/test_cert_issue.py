"""Issuing, numbering, revoking and verifying, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.rules import RecordStatus
from services.certificate_render import render_html
from services.certificates import (
    DEMO_ISSUER,
    CertificateKind,
    NotEligible,
    VerifyStatus,
    certificate_status,
    check_number,
    issue_certificate,
    list_for_person,
    parse_verification_input,
    recheck_certificates,
    signature,
    verification_url,
    verify,
    verify_trusted,
)
from services.context import AppContext
from services.demo import seed_demo
from services.pii import IdProtector
from services.policies import PolicyBook
from services.progress import PersonNotFound, YearWithoutPolicy
from storage.db import Database
from storage.models import AuditEntry, Certificate, HourRecord
from tests.certificates.helpers import (
    LI_NA,
    TEST_SECRET,
    ZHANG_WEI,
    Demo,
    add_professional_hours,
    pdf_qr_codes,
    pdf_text,
    person_id,
    set_record_status,
)

CE = CertificateKind.CE
PE = CertificateKind.PUBLIC_EXAM
NUMBER = re.compile(r"^GX2024-(PE|CE)-\d{6}$")


async def test_issue_once_with_a_stable_number_and_a_stored_pdf(
    ctx: AppContext, demo: Demo
) -> None:
    first = await issue_certificate(ctx, demo.li_na, 2024, CE)
    assert first.created and first.live and NUMBER.match(first.number)
    assert first.number.startswith("GX2024-CE-")
    assert first.file_path is not None and first.file_path.is_file()
    # stored under data_dir/certificates/<year>/, a name that says nothing about the person
    assert first.file_path.parent == ctx.data_dir / "certificates" / "2024"
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", first.file_path.name)
    assert first.data["name"] == "李娜" and first.data["id_masked"] == "4502**********0325"
    assert first.data["hours"] == {
        "public_mandatory": "15",
        "public_elective": "10",
        "public": "25",
        "professional": "65",
        "total": "90",
    }
    assert first.data["issuer"] == "广西壮族自治区人力资源和社会保障厅"
    assert first.data["issued_on"] == "2024-11-20"
    assert LI_NA not in str(first.data)

    again = await issue_certificate(ctx, demo.li_na, 2024, "ce")
    assert not again.created and again.number == first.number
    assert again.file_path == first.file_path
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Certificate)) == 1
        actions = (await s.scalars(select(AuditEntry.action))).all()
    assert actions.count("certificate.issue") == 1

    text = pdf_text(first.file_path)
    for expected in ("专业技术人员继续教育合格证书", "李娜", first.number, "90", "65"):
        assert expected in text
    assert LI_NA not in text


async def test_eligibility_comes_from_the_rules(ctx: AppContext, demo: Demo) -> None:
    public = await issue_certificate(ctx, demo.zhang_wei, 2024, PE)
    assert public.number.startswith("GX2024-PE-") and public.data["hours"]["public"] == "25"
    with pytest.raises(NotEligible) as info:
        await issue_certificate(ctx, demo.zhang_wei, 2024, CE)  # 75 of 90 hours
    assert info.value.evaluation.professional_hours_needed == 15
    with pytest.raises(NotEligible):
        await issue_certificate(ctx, demo.liu_yang, 2024, PE)
    with pytest.raises(YearWithoutPolicy):
        await issue_certificate(ctx, demo.li_na, 1999, CE)
    with pytest.raises(PersonNotFound):
        await issue_certificate(ctx, 987654, 2024, PE)

    status = {s.kind: s for s in await certificate_status(ctx, demo.zhang_wei, 2024)}
    shown = status[PE].certificate
    assert shown is not None and shown.number == public.number
    assert status[CE].certificate is None and not status[CE].eligible


async def test_concurrent_issues_make_one_certificate(ctx: AppContext, demo: Demo) -> None:
    results = await asyncio.gather(
        *(issue_certificate(ctx, demo.li_na, 2024, CE) for _ in range(4))
    )
    assert len({r.number for r in results}) == 1
    assert sum(r.created for r in results) == 1
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Certificate)) == 1


async def test_revoked_when_hours_fall_and_reissued_with_a_new_number(
    ctx: AppContext, demo: Demo
) -> None:
    ce = await issue_certificate(ctx, demo.li_na, 2024, CE)
    pe = await issue_certificate(ctx, demo.li_na, 2024, PE)
    assert await recheck_certificates(ctx, demo.li_na, 2024) == []  # nothing changed

    # a spot check revokes 33 professional hours: 57 left, 82 in all
    await set_record_status(ctx, demo.li_na, "ZY2024-033", RecordStatus.REVOKED.value)
    revoked = await recheck_certificates(ctx, demo.li_na, 2024, actor="admin:1")
    assert [r.number for r in revoked] == [ce.number]  # the exam certificate still holds
    assert revoked[0].revoke_reason == "hours_reduced" and not revoked[0].live

    result = await verify(ctx, ce.number, signature(ctx, ce.number))
    assert result.status is VerifyStatus.REVOKED and result.revoked_on == "2024-11-20"
    assert (await verify_trusted(ctx, pe.number)).status is VerifyStatus.VALID
    with pytest.raises(NotEligible):
        await issue_certificate(ctx, demo.li_na, 2024, CE)

    await add_professional_hours(ctx, demo.li_na, 40, "test-extra-40")  # 97 in all
    new = await issue_certificate(ctx, demo.li_na, 2024, CE)
    assert new.created and new.number != ce.number and NUMBER.match(new.number)
    assert new.data["hours"]["total"] == "97" and new.data["hours"]["professional"] == "72"
    assert new.file_path != ce.file_path
    assert ce.file_path is not None and ce.file_path.is_file()  # the old PDF is kept
    assert (await verify_trusted(ctx, ce.number)).status is VerifyStatus.REVOKED
    assert (await verify_trusted(ctx, new.number)).status is VerifyStatus.VALID

    listed = await list_for_person(ctx, demo.li_na)
    assert [(c.kind, c.live) for c in listed] == [(CE, True), (CE, False), (PE, True)]
    live_only = await list_for_person(ctx, demo.li_na, include_revoked=False)
    assert {c.number for c in live_only} == {new.number, pe.number}


async def test_hours_stated_must_still_be_verified(ctx: AppContext, demo: Demo) -> None:
    """Still eligible, but fewer hours than the certificate states: it is revoked, and a new
    one with the true figures can be issued at once."""
    await add_professional_hours(ctx, demo.li_na, 10, "test-extra-10")  # 100 in all
    ce = await issue_certificate(ctx, demo.li_na, 2024, CE)
    assert ce.data["hours"]["total"] == "100"
    await set_record_status(ctx, demo.li_na, "ZY2024-011", RecordStatus.REVOKED.value)
    await add_professional_hours(ctx, demo.li_na, 30, "test-extra-30")  # 98 in all
    assert [r.number for r in await recheck_certificates(ctx, demo.li_na, 2024)] == [ce.number]
    again = await issue_certificate(ctx, demo.li_na, 2024, CE)
    assert again.created and again.data["hours"]["total"] == "98"


async def test_verify_reveals_nothing_without_the_signature(ctx: AppContext, demo: Demo) -> None:
    cert = await issue_certificate(ctx, demo.li_na, 2024, CE)
    good = signature(ctx, cert.number)
    valid = await verify(ctx, cert.number, good)
    assert valid.status is VerifyStatus.VALID
    assert valid.name_masked == "李*" and valid.id_masked == "4502**********0325"
    assert valid.hours["total"] == "90" and valid.year == 2024 and valid.kind is CE

    tampered = good[:-1] + ("0" if good[-1] != "0" else "1")
    for number, sig in (
        (cert.number, tampered),
        (cert.number, None),
        (cert.number, ""),
        (cert.number, good.upper() + "00"),
        ("GX2024-CE-999999", good),  # a guessed number with a real certificate's signature
        ("not-a-number", good),
    ):
        result = await verify(ctx, number, sig)
        assert result.status is VerifyStatus.NOT_GENUINE
        assert result.name_masked is None and result.number is None and result.hours == {}

    # a number signed with the key but never issued (lost data, another deployment's test)
    ghost = "GX2024-CE-999999"
    assert (await verify(ctx, ghost, signature(ctx, ghost))).status is VerifyStatus.NOT_FOUND
    # lower-case number and upper-case signature are the same link
    assert (await verify(ctx, cert.number.lower(), good.upper())).status is VerifyStatus.VALID


async def test_verification_url_round_trip(ctx: AppContext, demo: Demo) -> None:
    cert = await issue_certificate(ctx, demo.li_na, 2024, PE)
    url = verification_url(ctx, cert.number)
    assert url == f"http://localhost:8080/verify/{cert.number}?t={signature(ctx, cert.number)}"
    assert parse_verification_input(url) == (cert.number, signature(ctx, cert.number))
    assert parse_verification_input(f"  {cert.number.lower()} ") == (cert.number, None)


async def test_missing_pdf_is_rendered_again(ctx: AppContext, demo: Demo) -> None:
    cert = await issue_certificate(ctx, demo.li_na, 2024, PE)
    assert cert.file_path is not None
    cert.file_path.unlink()
    again = await issue_certificate(ctx, demo.li_na, 2024, PE)
    assert isinstance(again.file_path, Path) and again.file_path.is_file()
    assert "专业技术人员继续教育公需科目考试合格证书" in pdf_text(again.file_path)


async def test_bare_number_shows_status_but_not_the_person(ctx: AppContext, demo: Demo) -> None:
    cert = await issue_certificate(ctx, demo.li_na, 2024, PE)
    result = await check_number(ctx, cert.number)
    assert result.status is VerifyStatus.VALID and result.kind is PE and result.year == 2024
    assert result.name_masked is None and result.id_masked is None and result.hours == {}
    assert (await check_number(ctx, "GX2024-CE-999999")).status is VerifyStatus.NOT_FOUND
    assert (await check_number(ctx, "hello")).status is VerifyStatus.NOT_GENUINE


# ------------------------------------------------------------------ issue 17 item 20


async def test_public_exam_certificate_names_the_course_completed(
    ctx: AppContext, demo: Demo
) -> None:
    """The course on the record that counts the pass (here an import that named its course),
    not the policy's theme."""
    async with ctx.db.transaction() as s:
        record = await s.scalar(
            select(HourRecord).where(
                HourRecord.person_id == demo.li_na, HourRecord.subject == "public_mandatory"
            )
        )
        assert record is not None
        record.title = "《数字经济与高质量发展》"
    cert = await issue_certificate(ctx, demo.li_na, 2024, PE)
    assert cert.data["course"] == "数字经济与高质量发展" and cert.data["demo"] is False
    assert cert.file_path is not None
    text = "".join(pdf_text(cert.file_path).split())
    assert "完成必修课《数字经济与高质量发展》" in text
    assert ctx.policies[2024].mandatory_theme not in text
    assert "本证书由演示数据生成" not in text


async def test_demo_year_certificate_is_plainly_a_demo(database_url: str, tmp_path: Path) -> None:
    """A demo policy year (seeded in 2026): the demo issuer, no real department, a demo note
    and watermark; the course the person studied, not the generated "（演示）…主题"."""
    policy_dir = tmp_path / "policies"
    ctx = AppContext(
        db=Database(database_url),
        policies=PolicyBook.load(policy_dir),
        ids=IdProtector(TEST_SECRET),
        data_dir=tmp_path / "data",
        clock=lambda: datetime(2026, 11, 28, 4, 0, tzinfo=UTC),
    )
    try:
        await seed_demo(ctx, policy_dir=policy_dir)
        assert ctx.policies[2025].demo and not ctx.policies[2024].demo
        zhang = await person_id(ctx, ZHANG_WEI)
        demo_cert = await issue_certificate(ctx, zhang, 2025, PE)
        real_cert = await issue_certificate(ctx, zhang, 2024, PE)
    finally:
        await ctx.db.dispose()
    assert demo_cert.data["demo"] is True and demo_cert.data["issuer"] == DEMO_ISSUER
    assert demo_cert.file_path is not None and real_cert.file_path is not None
    demo_text = "".join(pdf_text(demo_cert.file_path).split())
    assert "（演示）本证书由演示数据生成，并非正式证书" in demo_text
    html = render_html("public_exam", demo_cert.data, number=demo_cert.number, verification_url="")
    assert '<div class="watermark">演示证书</div>' in html  # rotated: pdftotext scatters it
    assert "人力资源和社会保障厅" not in demo_text
    assert "主题" not in demo_text
    # (the watermark's characters fall among the statement's in pdftotext: read the HTML)
    assert "完成必修课《高质量共建“一带一路”谱写人类命运共同体新篇章》" in html
    # the real year beside it keeps the real department and no demo mark
    real_text = "".join(pdf_text(real_cert.file_path).split())
    assert "广西壮族自治区人力资源和社会保障厅" in real_text and "演示" not in real_text[:40]
    html = render_html("public_exam", real_cert.data, number=real_cert.number, verification_url="")
    assert "watermark" not in html.split("</style>", 1)[1]
    verified = await verify_trusted_in(database_url, tmp_path, demo_cert.number)
    assert verified == DEMO_ISSUER
    # the watermark leaves the QR code readable
    qr = pdf_qr_codes(demo_cert.file_path, tmp_path)
    assert qr == [verification_url(ctx, demo_cert.number)]


async def verify_trusted_in(database_url: str, tmp_path: Path, number: str) -> str | None:
    """What a verifier is told of the issuer, from a fresh context (no state carried over)."""
    ctx = AppContext(
        db=Database(database_url),
        policies=PolicyBook.load(tmp_path / "policies"),
        ids=IdProtector(TEST_SECRET),
        data_dir=tmp_path / "data",
    )
    try:
        return (await verify_trusted(ctx, number)).issuer
    finally:
        await ctx.db.dispose()
