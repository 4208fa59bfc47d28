"""Reading the evidence inside the guided claim and on the reviewer's card, event by event on
SQLite and PostgreSQL. The reader is replaced by a stand-in that returns a prepared reading
per file (the reader itself is tested in tests/ocr and end to end in
tests/e2e/test_evidence_reading_e2e.py); what is tested here is the flow: the reading runs as
the turn's follow-up, each found field is offered and needs the person's press or their own
typing, a reading that found nothing leaves the manual steps, differences found at the
evidence step can be taken over one by one, and the reviewer's card shows what was read and
every disagreement, including evidence used by another claim."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.flows import Event, IncomingFile
from core.evidence_fields import EvidenceFields
from services.context import AppContext
from services.evidence_checks import save_reading
from services.evidence_reading import EvidenceReading
from services.privacy import notice
from storage.models import Account, EvidenceFile, HourRecord
from storage.reading_models import EvidenceReadingRow
from tests.bot.conftest import Chat, Roster
from tests.claims.claims_helpers import World, build_world, claim, id_number_of

CERT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"certificate photo" * 40
OTHER = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"another photo" * 40
BLANK = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"blank wall" * 40

FOUND = EvidenceFields(
    title="急诊急救能力提升培训班",
    organiser="广西医学会",
    person_name="张伟",
    started_on=date(2024, 10, 8),
    completed_on=date(2024, 10, 9),
    hours=Fraction(16),
    hours_basis="hours",
    number="GXYX-2024-001234",
)


class StandInReader:
    """services.evidence_reading.read_evidence's place: a reading per file content."""

    def __init__(self) -> None:
        self.readings: dict[bytes, EvidenceReading] = {}
        self.calls = 0

    async def __call__(self, data: bytes, **_: Any) -> EvidenceReading:
        self.calls += 1
        return self.readings.get(data, EvidenceReading(reason="no_text", method="ocr"))


@pytest.fixture
def reader(monkeypatch: pytest.MonkeyPatch) -> StandInReader:
    monkeypatch.setenv("CEBOT_OCR", "on")
    stand_in = StandInReader()
    stand_in.readings[CERT] = EvidenceReading(
        reason=None, method="ocr", lines=("结业证书",), fields=FOUND, seconds=1.5
    )
    monkeypatch.setattr("services.evidence_checks.read_evidence", stand_in)
    return stand_in


async def send_photo(c: Chat, content: bytes) -> None:
    told: list[str] = []

    async def fetch() -> bytes:
        return content

    async def notify(text: str) -> None:
        told.append(text)

    file = IncomingFile(
        f"f{hashlib.sha256(content).hexdigest()[:8]}",
        None,
        "image/jpeg",
        len(content),
        fetch=fetch,
        notify=notify,
    )
    c.last = await c.engine.handle(c.user, Event("file", file=file))
    c.told = told  # type: ignore[attr-defined]


async def bound(c: Chat, roster: Roster) -> Chat:
    await c.start()
    await c.send(roster.zhang_number)
    await c.send("张伟")
    assert "绑定成功" in c.text
    return c


async def typed_up_to_evidence(c: Chat, roster: Roster, hours: str) -> Chat:
    """A claim typed by hand, as FOUND says but for the hours, up to the evidence step."""
    await bound(c, roster)
    await c.send("/claim")
    await c.press("新登记")
    await c.press("2024 年度")
    await c.press("培训进修类")
    for answer in ("急诊急救能力提升培训班", "广西医学会", "2024-10-08", "2024-10-09", hours):
        await c.send(answer)
    assert "请发送证明材料" in c.text
    return c


async def test_evidence_first_proposes_each_field_and_the_person_corrects_one(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat], reader: StandInReader
) -> None:
    c = await bound(chat(), roster)
    await c.send("/claim")
    await c.press("新登记")
    assert "也可以先发送证明材料" in c.text
    await send_photo(c, CERT)
    assert c.told == ["📄 已收到证明材料，正在读取内容，请稍候……"]  # type: ignore[attr-defined]
    assert reader.calls == 1
    text = c.text
    assert "已收到第 1 份证明材料（图片）" in text
    assert "从证明材料中读到" in text and "名称：急诊急救能力提升培训班" in text
    assert "日期：2024-10-08 — 2024-10-09" in text and "学时：16 学时" in text
    assert "编号：GXYX-2024-001234" in text
    assert "已为您选择 2024 年度" in text and "学时类别" in text  # the year from the dates
    await c.press("培训进修类")
    assert "证明材料上为：急诊急救能力提升培训班" in c.text
    await c.press("采用")
    assert "主办单位" in c.text and "证明材料上为：广西医学会" in c.text
    await c.send("广西医学会继续教育部")  # the person corrects this one by typing
    assert "开始日期" in c.text and "证明材料上为：2024-10-08" in c.text
    await c.press("采用")
    assert "结束日期" in c.text and "证明材料上为：2024-10-09" in c.text
    await c.press("采用")
    assert "证明材料上为：16" in c.text
    await c.press("采用“16”")
    # the photo is already the evidence: the step shows it and lets them finish
    assert "共 1 份" in c.text or "1 份" in c.text
    await c.press("完成")
    await c.press("本人承诺属实")
    summary = c.text
    assert "名称：急诊急救能力提升培训班" in summary
    assert "主办单位：广西医学会继续教育部" in summary
    assert "日期：2024-10-08 至 2024-10-09" in summary and "学时：16 学时" in summary
    async with ctx.db.transaction() as s:
        claimed = select(HourRecord.id).where(HourRecord.origin == "claim")
        assert await s.scalar(claimed) is None  # nothing without the confirm
    await c.press("确认提交")
    async with ctx.db.transaction() as s:
        [record] = list(await s.scalars(select(HourRecord).where(HourRecord.origin == "claim")))
        kept = await s.scalar(select(EvidenceReadingRow.number))
    assert record.organiser == "广西医学会继续教育部" and record.hours == 16
    assert record.started_on == date(2024, 10, 8) and record.status == "pending"
    assert kept == "GXYX-2024-001234"


async def test_nothing_read_leaves_the_manual_steps(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat], reader: StandInReader
) -> None:
    c = await bound(chat(), roster)
    await c.send("/claim")
    await c.press("新登记")
    await send_photo(c, BLANK)
    assert "未能在材料中识别出文字" in c.text and "请按提示逐项填写" in c.text
    assert "请选择要登记的年度" in c.text  # the year is asked as usual
    await c.press("2024 年度")
    await c.press("培训进修类")
    assert "证明材料上为" not in c.text and "采用" not in "".join(b.label for b in c.buttons())


async def test_reading_is_off_when_configured(
    ctx: AppContext,
    roster: Roster,
    chat: Callable[..., Chat],
    reader: StandInReader,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CEBOT_OCR", "off")
    c = await bound(chat(), roster)
    await c.send("/claim")
    await c.press("新登记")
    assert "也可以先发送证明材料" not in c.text
    await send_photo(c, CERT)
    assert reader.calls == 0 and "从证明材料中读到" not in c.text


async def test_differences_found_at_the_evidence_step_can_be_taken_over(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat], reader: StandInReader
) -> None:
    c = await typed_up_to_evidence(chat(), roster, "12")
    await send_photo(c, CERT)
    assert "证明材料与您填写的内容有不同之处" in c.text
    labels = [b.label for b in c.buttons()]
    assert any("学时改为“16”" in label for label in labels), labels
    assert not any("名称改为" in label for label in labels)  # the same: nothing to offer
    await c.press("学时改为")
    assert "已将学时改为“16”" in c.text
    assert not any("学时改为" in b.label for b in c.buttons())
    await c.press("完成")
    await c.press("本人承诺属实")
    assert "学时：16 学时" in c.text


async def test_the_same_reading_when_it_matches(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat], reader: StandInReader
) -> None:
    c = await typed_up_to_evidence(chat(), roster, "16")
    await send_photo(c, CERT)
    assert "证明材料与您填写的内容一致" in c.text


# ------------------------------------------------------------------ the reviewer's card

REVIEWER = "r0-审验人一"


@pytest.fixture
async def world(ctx: AppContext) -> World:
    made = await build_world(ctx)
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Account)
            .where(Account.person_id.is_not(None))
            .values(consent_version=notice().version)
        )
    return made


async def read_as(ctx: AppContext, record_id: int, fields: EvidenceFields) -> None:
    """Keep a reading for the claim's (only) evidence file."""
    async with ctx.db.transaction() as s:
        file_id = await s.scalar(select(EvidenceFile.id).order_by(EvidenceFile.id.desc()).limit(1))
        assert file_id is not None
        reading = EvidenceReading(reason=None, method="ocr", fields=fields)
        await save_reading(s, file_id, reading, now=ctx.now())


async def test_the_card_shows_what_the_evidence_says_and_each_disagreement(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    # claims_helpers' claim: 王芳, 2024-10-16, 12 hours, 柳州市教育局
    view = await claim(ctx, world.claimant)
    await read_as(
        ctx,
        view.id,
        EvidenceFields(
            title="市级教研活动：作业设计专题",
            organiser="柳州市教育局",
            person_name="王芳",
            started_on=date(2024, 10, 16),
            completed_on=date(2024, 10, 16),
            hours=Fraction(8),
            hours_basis="hours",
            number=f"身份证 {id_number_of(1)}",
        ),
    )
    reviewer = chat(REVIEWER)
    await reviewer.send("/review")
    card = next(
        r.text for r in reviewer.last.replies if f"登记 #{view.id}（" in r.text and r.file is None
    )
    assert "证明材料上读到" in card and "学时：8 学时" in card
    assert "学时不一致：申报 12，材料上为 8" in card
    assert "姓名不一致" not in card and "主办单位不一致" not in card
    assert id_number_of(1) not in reviewer.text  # masked even when read off the paper
    # the flag informs; approving stays a button the reviewer presses
    assert any(b.data == f"rv:ok:{view.id}" for b in reviewer.buttons())
    async with ctx.db.transaction() as s:
        record = await s.get(HourRecord, view.id)
    assert record is not None and record.status == "pending"


async def test_the_card_flags_evidence_used_by_another_claim(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    first = await claim(ctx, world.claimant)
    await read_as(ctx, first.id, FOUND)
    # the same PDF (claims_helpers stores the same bytes) for a second claim of another day
    second = await claim(
        ctx,
        world.claimant,
        title="另一次培训",
        started_on=date(2024, 11, 2),
        completed_on=date(2024, 11, 2),
    )
    reviewer = chat(REVIEWER)
    await reviewer.send("/review")
    card = next(
        r.text for r in reviewer.last.replies if f"登记 #{second.id}（" in r.text and r.file is None
    )
    assert f"同一份证明材料已用于其他登记：#{first.id}" in card


async def test_the_card_flags_the_same_certificate_number_on_another_file(
    ctx: AppContext, world: World, chat: Callable[..., Chat]
) -> None:
    from services.claims import ClaimDraft, submit_claim
    from services.evidence import store_evidence

    first = await claim(ctx, world.claimant)
    await read_as(ctx, first.id, FOUND)
    photo = await store_evidence(ctx, OTHER)  # another photo of the same certificate
    async with ctx.db.transaction() as s:
        await save_reading(
            s, photo.id, EvidenceReading(reason=None, method="ocr", fields=FOUND), now=ctx.now()
        )
    second = await submit_claim(
        ctx,
        world.claimant,
        ClaimDraft(
            year=2024,
            category="training",
            title="急诊急救能力提升培训班",
            organiser="广西医学会",
            started_on=date(2024, 10, 8),
            completed_on=date(2024, 10, 9),
            hours=Fraction(16),
        ),
        [photo.id],
        pledged=True,
    )
    reviewer = chat(REVIEWER)
    await reviewer.send("/review")
    card = next(
        r.text for r in reviewer.last.replies if f"登记 #{second.id}（" in r.text and r.file is None
    )
    assert f"相同证书编号的材料已用于其他登记：#{first.id}" in card
    assert "同一份证明材料已用于其他登记" not in card


async def test_files_that_cannot_be_read_get_a_clear_answer_and_the_manual_steps(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat], reader: StandInReader
) -> None:
    reader.readings[OTHER] = EvidenceReading(reason="unreadable", method=None)
    c = await bound(chat(), roster)
    await c.send("/claim")
    await c.press("新登记")
    # a damaged photo: said so, not kept, the year asked as usual
    await send_photo(c, OTHER)
    assert "图片无法打开" in c.text and "这份材料没有保留" in c.text
    assert "请选择要登记的年度" in c.text
    # a Word file, an empty file, a 30 MB file: refused before any reading
    calls = reader.calls
    for content, name, mime, size, said in (
        (b"PK\x03\x04word", "申请.docx", "application/msword", None, "只接受 JPG、PNG"),
        (b"", "empty.jpg", "image/jpeg", None, "文件为空"),
        (CERT, "big.jpg", "image/jpeg", 30 * 1024 * 1024, "文件过大（最大 10 MB）"),
    ):

        async def fetch(content: bytes = content) -> bytes:
            return content

        file = IncomingFile(
            "f-" + (name or ""), name, mime, len(content) if size is None else size, fetch=fetch
        )
        c.last = await c.engine.handle(c.user, Event("file", file=file))
        assert said in c.text and "请选择要登记的年度" in c.text, c.text
    assert reader.calls == calls
    await c.press("2024 年度")
    await c.press("培训进修类")
    await c.send("急诊急救能力提升培训班")
    assert "主办单位" in c.text  # typed by hand, as before
    await c.send("广西医学会")
    await c.send("2024-10-08")
    await c.send("2024-10-09")
    await c.send("16")
    assert "请发送证明材料" in c.text and "已收到" not in c.text  # the damaged photo is gone
