"""My certificates and certificate verification in the bot (bot/flows/certs.py), driven event
by event through the engine on SQLite and PostgreSQL: what is missing, issuing once, the PDF
produced after the turn, revoked certificates, verifying by number, link, QR photo, and the
rate limit on bad guesses. Also the revocation notice queued by recheck_certificates."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
import qrcode
from PIL import Image
from sqlalchemy import func, select

from bot.flows import Event, IncomingFile, Outcome
from bot.flows.base import Reply
from core.idnumber import make_id_number, mask_id_number
from services.accounts import MAX_FAILED_ATTEMPTS
from services.certificate_render import shutdown_renderer
from services.certificates import (
    REVOKED_NOTICE,
    CertificateKind,
    CertificateView,
    ensure_pdf,
    get_certificate,
    issue_certificate,
    recheck_certificates,
    signature,
    verification_url,
)
from services.context import AppContext
from services.i18n import LANGUAGES, translator
from services.notify import render_notice
from storage.models import Account, AuditEntry, Certificate, HourRecord, OutboxMessage, Person
from tests.bot.conftest import Chat, Roster
from tests.certificates.helpers import pdf_text

WANG_ID = make_id_number("450103", date(1992, 5, 6), 321)  # bound, no hours at all
PUBLIC_BUTTON = "生成公需科目证书"
CE_BUTTON = "生成合格证书"

ChatFactory = Callable[..., Chat]


@pytest.fixture(scope="module", autouse=True)
def _stop_render_pool() -> Iterator[None]:
    yield
    shutdown_renderer()


# ------------------------------------------------------------------ helpers


async def bind(c: Chat, id_number: str, name: str) -> None:
    await c.start()
    await c.send(id_number)
    await c.send(name)
    assert "绑定成功" in c.text, c.text


async def add_person(ctx: AppContext, id_number: str = WANG_ID, name: str = "王芳") -> int:
    now = ctx.now()
    async with ctx.db.transaction() as s:
        person = Person(
            id_hash=ctx.ids.lookup_hash(id_number),
            id_cipher=ctx.ids.encrypt(id_number),
            id_masked=mask_id_number(id_number),
            name=name,
            unit_confirmed=True,
            created_at=now,
            updated_at=now,
        )
        s.add(person)
        await s.flush()
        return person.id


async def zhang(chat: ChatFactory, roster: Roster, user: str = "u1") -> Chat:
    """张伟 bound: 25 public hours (exam passed), 30 verified professional, 8 pending."""
    c = chat(user)
    await bind(c, roster.zhang_number, "张伟")
    return c


async def add_professional(ctx: AppContext, person_id: int, hours: int, key: str) -> None:
    now = ctx.now()
    async with ctx.db.transaction() as s:
        s.add(
            HourRecord(
                person_id=person_id,
                year=2024,
                subject="professional",
                origin="import",
                dedup_key=key,
                title="专业培训",
                completed_on=date(2024, 9, 1),
                hours=Fraction(hours),
                status="approved",
                created_at=now,
            )
        )


async def set_status(ctx: AppContext, person_id: int, key: str, status: str) -> None:
    async with ctx.db.transaction() as s:
        record = await s.scalar(
            select(HourRecord).where(HourRecord.person_id == person_id, HourRecord.dedup_key == key)
        )
        assert record is not None
        record.status = status


async def certificates(ctx: AppContext) -> list[Certificate]:
    async with ctx.db.transaction() as s:
        return list(await s.scalars(select(Certificate).order_by(Certificate.id)))


async def account(ctx: AppContext, external_id: str) -> Account:
    async with ctx.db.transaction() as s:
        found = await s.scalar(select(Account).where(Account.external_id == external_id))
        assert found is not None
        return found


def file_replies(out: Outcome) -> list[Reply]:
    return [r for r in out.replies if r.file is not None]


def number_in(text: str) -> str:
    found = re.search(r"GX2024-(?:PE|CE)-\d{6}", text)
    assert found, text
    return found.group(0)


async def send_picture(c: Chat, content: bytes, mime: str = "image/png") -> Outcome:
    async def fetch() -> bytes:
        return content

    event = Event("file", file=IncomingFile("ph1", "qr.png", mime, len(content), fetch=fetch))
    c.last = await c.engine.handle(c.user, event)
    return c.last


def qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(text).save(buffer, format="PNG")
    return buffer.getvalue()


def page_png(pdf: Path, tmp_path: Path) -> bytes:
    """The certificate's page as a phone would photograph it (150 dpi)."""
    out = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(out)], check=True)
    return out.with_suffix(".png").read_bytes()


# ------------------------------------------------------------------ the screen


async def test_screen_lists_what_is_missing(
    ctx: AppContext, roster: Roster, chat: ChatFactory
) -> None:
    await add_person(ctx)
    wang = chat("wang")
    await bind(wang, WANG_ID, "王芳")
    await wang.press("我的证书")
    text = wang.text
    assert "王芳 的继续教育证书" in text and "【2024 年度】" in text
    assert "⚪ 专业技术人员继续教育公需科目考试合格证书：尚未符合条件" in text
    assert "公需科目必修课考试尚未通过" in text
    assert "⚪ 专业技术人员继续教育合格证书：尚未符合条件" in text
    assert "合计 0 / 90 学时，还差 90 学时" in text
    assert "还需已审验的专业科目 90 学时" in text
    assert "等待单位审验" not in text  # nothing pending
    assert not [b for b in wang.buttons() if b.data.startswith("ct:")]
    assert wang.button("验证证书真伪").data == "m:verify"

    c = await zhang(chat, roster)
    await c.send("/certs")
    text = c.text
    assert "🟢 专业技术人员继续教育公需科目考试合格证书：已符合条件，可以生成" in text
    assert "公需科目必修课考试尚未通过" not in text
    assert "合计 55 / 90 学时，还差 35 学时" in text
    assert "须占合计学时的 2/3 以上，目前为 30 / 55 学时" in text
    assert "还需已审验的专业科目 35 学时" in text
    assert "另有 8 学时专业科目正在等待单位审验" in text
    assert c.button(PUBLIC_BUTTON).data == "ct:get:2024:pe"
    assert CE_BUTTON not in " ".join(b.label for b in c.buttons())
    assert roster.zhang_number not in text


async def test_screen_in_english_and_unbound(
    ctx: AppContext, roster: Roster, chat: ChatFactory
) -> None:
    c = await zhang(chat, roster)
    await c.press("语言")
    await c.press("English")
    await c.send("/certs")
    assert "Public-subject exam certificate" in c.text and "55 of 90 hours" in c.text
    assert "8 professional hours are waiting" in c.text
    assert c.button("Generate public-subject certificate (2024)")

    stranger = chat("nobody")
    await stranger.send("/certs")
    assert "还没有绑定身份" in stranger.text
    assert stranger.button("验证证书真伪") and stranger.button("绑定")


# ------------------------------------------------------------------ issuing and sending


async def test_eligible_person_gets_the_public_certificate_once(
    ctx: AppContext, roster: Roster, chat: ChatFactory
) -> None:
    c = await zhang(chat, roster)
    await c.press("我的证书")
    data = c.button(PUBLIC_BUTTON).data
    out = await c.press(PUBLIC_BUTTON)
    [reply] = file_replies(out)
    number = number_in(reply.text)
    assert number.startswith("GX2024-PE-") and "已生成" in reply.text
    assert out.notice == "正在准备证书 PDF……"
    assert reply.file is not None and reply.file.name.endswith(f"-2024-{number}.pdf")
    assert reply.file.path == "" and reply.file.produce is not None

    # issued and committed, but not rendered inside the turn: the adapter renders after it
    [row] = await certificates(ctx)
    assert row.number == number and row.person_id == roster.zhang_id
    assert row.data["name"] == "张伟" and row.data["hours"]["public"] == "25"
    assert row.file_path is not None and not (ctx.data_dir / row.file_path).exists()
    path = await reply.file.ready_path()
    assert path == ctx.data_dir / row.file_path and path.read_bytes().startswith(b"%PDF-")
    text = pdf_text(path)
    assert "张伟" in text and number in text and "专业技术人员继续教育公需科目考试合格证书" in text
    assert roster.zhang_number not in text

    # the same press again (an older message's button): the same certificate, no new number
    again = await c.press_data(data)
    [second] = file_replies(again)
    assert number_in(second.text) == number and "已生成" not in second.text
    assert [r.number for r in await certificates(ctx)] == [number]
    async with ctx.db.transaction() as s:
        issued = await s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "certificate.issue")
        )
    assert issued == 1

    # the screen now shows it held, with a download button that sends the same file
    await c.send("/certs")
    assert f"编号 {number} · 2024-11-20 签发 · 有效" in c.text
    assert PUBLIC_BUTTON not in " ".join(b.label for b in c.buttons())
    out = await c.press("下载公需科目证书")
    [download] = file_replies(out)
    assert number_in(download.text) == number and download.file is not None
    assert await download.file.ready_path() == path


async def test_buttons_are_checked_on_the_server(
    ctx: AppContext, roster: Roster, chat: ChatFactory
) -> None:
    c = await zhang(chat, roster)
    # the continuing-education certificate is not earned: a forged "get" issues nothing
    out = await c.press_data("ct:get:2024:ce")
    assert not file_replies(out)
    assert "专业技术人员继续教育合格证书（2024 年度）暂不能生成" in c.text
    assert "还需已审验的专业科目 35 学时" in c.text
    for forged in ("ct:get:1999:pe", "ct:get:2024:xx", "ct:bogus", "ct:dl:not-a-number"):
        out = await c.press_data(forged)
        assert not file_replies(out) and out.notice is not None
    assert await certificates(ctx) == []

    # someone else's certificate: never sent, nothing said about it
    other = await add_person(ctx)
    async with ctx.db.transaction() as s:
        s.add(
            HourRecord(
                person_id=other,
                year=2024,
                subject="public_mandatory",
                origin="import",
                dedup_key="pm",
                title="必修课",
                completed_on=date(2024, 6, 1),
                hours=Fraction(15),
                status="credited",
                created_at=ctx.now(),
            )
        )
    theirs = await issue_certificate(ctx, other, 2024, "public_exam", render=False)
    out = await c.press_data(f"ct:dl:{theirs.number}")
    assert not file_replies(out) and "没有找到这张证书" in c.text
    assert "王芳" not in c.text


async def test_revoked_certificate_is_shown_as_revoked_and_not_sent(
    ctx: AppContext, roster: Roster, chat: ChatFactory
) -> None:
    await add_professional(ctx, roster.zhang_id, 40, "extra")  # 95 in all, 70 professional
    c = await zhang(chat, roster)
    await c.send("/certs")
    assert "🟢 专业技术人员继续教育合格证书" in c.text
    out = await c.press(CE_BUTTON)
    [reply] = file_replies(out)
    number = number_in(reply.text)
    assert number.startswith("GX2024-CE-")
    await c.send("/certs")
    download = c.button("下载合格证书").data
    assert download == f"ct:dl:{number}"

    # an audit revokes the 30 approved hours: 65 in all, the certificate no longer holds
    await set_status(ctx, roster.zhang_id, "claim:1", "revoked")
    revoked = await recheck_certificates(ctx, roster.zhang_id, 2024, actor="test")
    assert [v.number for v in revoked] == [number]

    await c.send("/certs")
    assert f"❌ 专业技术人员继续教育合格证书（编号 {number}，2024-11-20 签发）" in c.text
    assert "已于 2024-11-20 撤销：证书所依据的学时减少" in c.text
    assert "⚪ 专业技术人员继续教育合格证书：尚未符合条件" in c.text
    assert "合计 65 / 90 学时" in c.text
    assert not [b for b in c.buttons() if b.data == download]

    out = await c.press_data(download)  # the old download button
    assert not file_replies(out)
    assert f"证书 {number} 已于 2024-11-20 撤销" in c.text and "不再发送" in c.text
    assert out.notice == "该证书已撤销"


async def test_revocation_queues_one_notice_for_the_person(
    ctx: AppContext, roster: Roster, chat: ChatFactory
) -> None:
    c = await zhang(chat, roster)
    me = await account(ctx, c.user.external_id)
    await add_professional(ctx, roster.zhang_id, 40, "extra")
    ce = await issue_certificate(ctx, roster.zhang_id, 2024, "ce", render=False)
    pe = await issue_certificate(ctx, roster.zhang_id, 2024, "public_exam", render=False)
    assert await recheck_certificates(ctx, roster.zhang_id, 2024) == []

    async def queued() -> list[OutboxMessage]:
        async with ctx.db.transaction() as s:
            return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    assert await queued() == []  # nothing revoked, nobody told

    await set_status(ctx, roster.zhang_id, "claim:1", "revoked")
    await recheck_certificates(ctx, roster.zhang_id, 2024)
    [row] = await queued()
    assert row.account_id == me.id and row.status == "queued" and row.campaign_id is None
    assert row.payload["key"] == REVOKED_NOTICE
    assert row.payload["args"] == {"year": 2024, "kinds": "ce", "numbers": ce.number}
    assert row.payload["buttons"] == [["menu-certs", "m:certs"]]
    text, buttons = render_notice(row.payload, "zh")
    assert ce.number in text and "《专业技术人员继续教育合格证书》" in text and "已撤销" in text
    assert buttons == [("📜 我的证书", "m:certs")]
    english, _ = render_notice(row.payload, "en")
    assert ce.number in english and "has been revoked" in english

    # both at once (the mandatory course revoked too): still one message, naming both
    await set_status(ctx, roster.zhang_id, "claim:1", "approved")
    again = await issue_certificate(ctx, roster.zhang_id, 2024, "ce", render=False)
    await set_status(ctx, roster.zhang_id, "public_mandatory:2024", "revoked")
    await set_status(ctx, roster.zhang_id, "extra", "revoked")
    both = await recheck_certificates(ctx, roster.zhang_id, 2024)
    assert {v.number for v in both} == {again.number, pe.number}
    rows = await queued()
    assert len(rows) == 2 and rows[1].payload["args"]["kinds"] == "both"
    for language in LANGUAGES:
        text, _ = render_notice(rows[1].payload, language)
        assert again.number in text and pe.number in text

    # a caller telling the person in its own words opts out
    await set_status(ctx, roster.zhang_id, "public_mandatory:2024", "credited")
    third = await issue_certificate(ctx, roster.zhang_id, 2024, "public_exam", render=False)
    await set_status(ctx, roster.zhang_id, "public_mandatory:2024", "revoked")
    assert [
        v.number for v in await recheck_certificates(ctx, roster.zhang_id, 2024, notify=False)
    ] == [third.number]
    assert len(await queued()) == 2


async def test_revocation_notice_is_not_queued_when_the_revocation_rolls_back(
    ctx: AppContext, roster: Roster, chat: ChatFactory
) -> None:
    await zhang(chat, roster)
    pe = await issue_certificate(ctx, roster.zhang_id, 2024, "public_exam", render=False)
    await set_status(ctx, roster.zhang_id, "public_mandatory:2024", "revoked")
    with pytest.raises(RuntimeError):
        async with ctx.db.transaction() as s:
            await recheck_certificates(ctx.within(s), roster.zhang_id, 2024)
            raise RuntimeError("the caller's transaction fails after the recheck")
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    view = await get_certificate(ctx, pe.number)
    assert view is not None and view.live


# ------------------------------------------------------------------ verification


async def issued(ctx: AppContext, roster: Roster, kind: str = "public_exam") -> CertificateView:
    return await issue_certificate(ctx, roster.zhang_id, 2024, kind, render=False)


async def test_verify_by_number_link_and_tampered_link(
    ctx: AppContext, roster: Roster, chat: ChatFactory
) -> None:
    cert = await issued(ctx, roster)
    anyone = chat("visitor")  # never bound: anyone may verify

    await anyone.send(f"/verify {cert.number.lower()}")
    text = anyone.text
    assert "✅ 证书有效" in text and f"证书编号：{cert.number}" in text
    assert "证书名称：专业技术人员继续教育公需科目考试合格证书" in text
    assert "年度：2024" in text and "发证日期：2024-11-20" in text
    # a bare number is easy to guess: nothing about the person
    assert "张" not in text and "身份证号" not in text and "仅凭编号只能查询证书状态" in text

    url = verification_url(ctx, cert.number)
    await anyone.send("/verify")
    assert "请发送证书编号" in anyone.text
    await anyone.send(f"这是证书链接 {url}")
    text = anyone.text
    assert "✅ 证书有效" in text and "姓名：张*" in text
    assert f"身份证号：{roster.zhang_number[:4]}**********{roster.zhang_number[-4:]}" in text
    assert "公需科目必修课：15 学时" in text and "公需科目合计：25 学时" in text
    assert "发证机关：广西壮族自治区人力资源和社会保障厅" in text
    assert roster.zhang_number not in text and "仅凭编号" not in text
    assert anyone.button("再验证一张").data == "m:verify"

    good = signature(ctx, cert.number)
    tampered = url.replace(good, good[:-1] + ("0" if good[-1] != "0" else "1"))
    await anyone.press("再验证一张")
    await anyone.send(tampered)
    text = anyone.text
    assert "⚠️ 无法验证此证书" in text and "不是本系统签发" in text
    assert "张" not in text and cert.number not in text
    assert (await account(ctx, "visitor")).failed_attempts == 1

    await anyone.send(f"/verify {cert.number[:-6]}999999")
    assert "❔ 未找到该证书" in anyone.text and "系统中没有这个编号的证书" in anyone.text
    assert (await account(ctx, "visitor")).failed_attempts == 2

    # a typo is not a guess: asked again, nothing counted
    await anyone.send("/verify")
    await anyone.send("证书编号我忘了")
    assert "没有识别到证书编号" in anyone.text
    await anyone.send(cert.number)  # still in the step
    assert "✅ 证书有效" in anyone.text
    assert (await account(ctx, "visitor")).failed_attempts == 2


async def test_verify_a_revoked_certificate(
    ctx: AppContext, roster: Roster, chat: ChatFactory
) -> None:
    cert = await issued(ctx, roster)
    await set_status(ctx, roster.zhang_id, "public_mandatory:2024", "revoked")
    assert await recheck_certificates(ctx, roster.zhang_id, 2024)
    c = chat("checker")
    await c.send(f"/verify {verification_url(ctx, cert.number)}")
    assert "❌ 证书已撤销" in c.text and "已于 2024-11-20 撤销" in c.text
    assert "姓名：张*" in c.text and "撤销日期：2024-11-20" in c.text
    await c.send(f"/verify {cert.number}")
    assert "❌ 证书已撤销" in c.text and "撤销日期：2024-11-20" in c.text
    assert (await account(ctx, "checker")).failed_attempts == 0


async def test_verify_by_a_photo_of_the_qr_code(
    ctx: AppContext, roster: Roster, chat: ChatFactory, tmp_path: Path
) -> None:
    cert = await issued(ctx, roster)
    pdf = await ensure_pdf(ctx, cert)
    c = chat("photo")
    await c.press_data("m:verify")
    assert "二维码的照片" in c.text
    await send_picture(c, page_png(pdf, tmp_path))  # the whole certificate, photographed
    assert "✅ 证书有效" in c.text and "姓名：张*" in c.text and cert.number in c.text

    # a QR code of the link alone, in English
    await c.send("/language")
    await c.press("English")
    await c.send("/verify")
    await send_picture(c, qr_png(verification_url(ctx, cert.number)))
    assert "Valid certificate" in c.text and "Name: 张*" in c.text

    # a code of something else, a picture without one, a sticker, a large or non-image file
    await c.send("/verify")
    await send_picture(c, qr_png("https://example.com/menu"))
    assert "not a certificate code" in c.text
    blank = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(blank, format="PNG")
    await send_picture(c, blank.getvalue())
    assert "No QR code found" in c.text
    c.last = await c.engine.handle(c.user, Event("file"))
    assert "send a photo" in c.text
    await send_picture(c, b"%PDF-1.4", mime="application/pdf")
    assert "send a photo" in c.text
    fetched: list[bool] = []

    async def never() -> bytes:
        fetched.append(True)
        return b""

    huge = IncomingFile("big", "big.png", "image/png", 50 * 1024 * 1024, fetch=never)
    c.last = await c.engine.handle(c.user, Event("file", file=huge))
    assert "too large" in c.text and not fetched  # refused before downloading
    assert (await account(ctx, "photo")).failed_attempts == 0


async def test_bad_guesses_lock_verification(
    ctx: AppContext, roster: Roster, chat: ChatFactory
) -> None:
    cert = await issued(ctx, roster)
    c = chat("guesser")
    for n in range(MAX_FAILED_ATTEMPTS):
        await c.send(f"/verify GX2024-PE-{900000 + n}")
        assert "未找到该证书" in c.text
    assert "查询失败次数过多" in c.text  # the tenth says so at once
    # now even a real number or link is refused, and no lookup answers
    await c.send(f"/verify {cert.number}")
    assert "查询失败次数过多" in c.text and "证书有效" not in c.text
    await c.send("/verify")
    assert "查询失败次数过多" in c.text and "请发送证书编号" not in c.text
    await send_picture(c, qr_png(verification_url(ctx, cert.number)))
    assert "证书有效" not in c.text
    me = await account(ctx, "guesser")
    assert me.locked_until is not None
    async with ctx.db.transaction() as s:
        limited = await s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "account.rate_limited", AuditEntry.entity_id == str(me.id))
        )
    assert limited == 1

    # another account is not affected
    other = chat("someone-else")
    await other.send(f"/verify {cert.number}")
    assert "✅ 证书有效" in other.text


# ------------------------------------------------------------------ catalogue


def test_run_time_keys_exist_in_both_languages() -> None:
    from bot.flows.certs import _MARKS

    keys = {f"certs-kind-short-{k.value}" for k in CertificateKind}
    keys |= {"certs-reason-hours_reduced", "certs-reason-other", REVOKED_NOTICE}
    keys |= {f"cert-status-{s.value}" for s in _MARKS}
    keys |= {f"cert-status-{s.value}-detail" for s in _MARKS}
    keys |= {f"cert-kind-{k.value}" for k in CertificateKind}
    for language in LANGUAGES:
        t = translator(language)
        assert all(t.has(key) for key in keys), language
