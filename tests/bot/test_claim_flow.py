"""The guided professional-hour claim and "my claims", driven event by event through the
engine on SQLite and PostgreSQL (the ctx clock is 2024-11-20 10:00 in Shanghai)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.flows import Engine, Event, IncomingFile
from services.context import AppContext
from services.evidence import MAX_EVIDENCE_BYTES, evidence_path
from services.policies import PolicyBook, shipped_policy_dir
from storage.models import EvidenceFile, FlowState, HourRecord, RecordEvidence
from tests.bot.conftest import Chat, Roster
from tests.conftest import make_context

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x01" * 200
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 20
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 80


def shanghai(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour - 8, tzinfo=UTC)


class Fetches:
    """Counts downloads: a refused file must be refused before it is fetched."""

    def __init__(self) -> None:
        self.count = 0


async def send_file(
    c: Chat,
    content: bytes,
    *,
    name: str | None = None,
    mime: str | None = "image/jpeg",
    size: int | None = None,
    fetches: Fetches | None = None,
) -> None:
    async def fetch() -> bytes:
        if fetches is not None:
            fetches.count += 1
        return content

    file = IncomingFile(
        f"f{hashlib.sha256(content).hexdigest()[:8]}",
        name,
        mime,
        len(content) if size is None else size,
        fetch=fetch,
    )
    c.last = await c.engine.handle(c.user, Event("file", file=file))


async def bound(c: Chat, roster: Roster) -> Chat:
    await c.start()
    await c.send(roster.zhang_number)
    await c.send("张伟")
    assert "绑定成功" in c.text
    return c


async def to_dates(c: Chat) -> None:
    """From anywhere: a new claim up to the start-date question."""
    await c.send("/claim")
    await c.press("新登记")
    await c.press("2024 年度")
    await c.press("培训进修类")
    await c.send("心血管疾病诊疗进展培训班")
    await c.send("广西医学会")
    assert "开始日期" in c.text


async def to_summary(c: Chat, hours: str = "12") -> None:
    await to_dates(c)
    await c.send("2024.5.3")
    await c.send("2024年5月4日")
    await c.send(hours)
    await send_file(c, JPEG, mime="image/jpeg")
    await send_file(c, PDF, name="证书.pdf", mime="application/pdf")
    await c.press("完成")
    await c.press("本人承诺属实")
    assert "请核对登记内容" in c.text


async def records(ctx: AppContext) -> list[HourRecord]:
    async with ctx.db.transaction() as s:
        return list(
            await s.scalars(
                select(HourRecord).where(HourRecord.origin == "claim").order_by(HourRecord.id)
            )
        )


async def state_of(ctx: AppContext) -> FlowState:
    async with ctx.db.transaction() as s:
        return (await s.scalars(select(FlowState))).all()[-1]


async def test_whole_claim_with_photo_and_pdf_ends_pending_and_listed(ctx, roster, chat):
    c = await bound(chat(), roster)
    await c.press("申报学时")
    assert "我的专业科目学时登记" in c.text and "还没有登记" in c.text
    await c.press("新登记")
    assert year_buttons(c) == ["2024 年度"]  # last year is closed since 31 March
    await c.press("2024 年度")
    assert "每半天计 4 学时" in c.text  # training: actual hours, half day = 4 hours
    assert "学术会议类：学时由所在单位审验时核定" in c.text
    await c.press("培训进修类")
    await c.send("心血管疾病诊疗进展培训班")
    await c.send("广西医学会")
    await c.send("2024.5.3")
    assert "开始日期：2024-05-03" in c.text
    await c.send("2024年5月4日")
    assert "单条最多 90 学时" in c.text
    await c.send("12学时")
    assert "照片或 PDF" in c.text
    fetches = Fetches()
    await send_file(c, JPEG, mime="image/jpeg", fetches=fetches)
    assert "已收到第 1 份证明材料（图片）" in c.text
    await send_file(c, PDF, name="证书.pdf", mime="application/pdf", fetches=fetches)
    assert "已收到第 2 份证明材料（PDF）" in c.text and fetches.count == 2
    await c.press("完成")
    assert "本人承诺属实" in c.text
    await c.press("本人承诺属实")
    summary = c.text
    for expected in (
        "年度：2024",
        "培训进修类",
        "名称：心血管疾病诊疗进展培训班",
        "主办单位：广西医学会",
        "日期：2024-05-03 至 2024-05-04",
        "学时：12 学时",
        "证明材料：2 份（图片 1 份，PDF 1 份）",
        "✅ 本人承诺属实",
    ):
        assert expected in summary, expected
    await c.press("确认提交")
    assert "已提交" in c.text and "待审验" in c.text

    [record] = await records(ctx)
    assert record.status == "pending" and record.person_id == roster.zhang_id
    assert record.year == 2024 and record.category == "training"
    assert (record.started_on, record.completed_on) == (date(2024, 5, 3), date(2024, 5, 4))
    assert record.hours == 12 and record.pledged_at is not None
    async with ctx.db.transaction() as s:
        files = list(
            await s.scalars(
                select(EvidenceFile)
                .join(RecordEvidence, RecordEvidence.file_id == EvidenceFile.id)
                .where(RecordEvidence.record_id == record.id)
            )
        )
    assert sorted(f.mime for f in files) == ["application/pdf", "image/jpeg"]
    for f in files:  # stored under the data directory by content hash
        assert evidence_path(ctx.data_dir, f.sha256).read_bytes() in (JPEG, PDF)
    # the list shows it, pending, with a withdraw button; the flow is over
    assert f"#{record.id} 心血管疾病诊疗进展培训班" in c.text
    assert "12 学时 · 待审验" in c.text
    assert c.button(f"撤回 #{record.id}")
    assert (await state_of(ctx)).flow is None


async def test_bad_dates_are_refused_politely_and_asked_again(ctx, roster, chat):
    c = await bound(chat(), roster)
    await to_dates(c)
    for typed, reason in (
        ("昨天", "没有识别出这个日期"),
        ("2024-02-30", "没有识别出这个日期"),
        ("2023-12-30", "须全部在 2024 年度内"),
        ("2024-12-01", "尚未结束"),  # after today (2024-11-20)
    ):
        await c.send(typed)
        assert reason in c.text, typed
        assert "请输入活动的开始日期" in c.text  # the same question again
    assert "start" not in (await state_of(ctx)).data
    await c.send("２０２４－０５－０３")  # full-width digits, as typed on a phone
    assert "开始日期：2024-05-03" in c.text
    await c.send("2024-05-01")
    assert "开始日期不能晚于结束日期" in c.text and "请输入结束日期" in c.text
    await c.send("2025-01-02")
    assert "须全部在 2024 年度内" in c.text
    await c.press("同一天")
    assert "实际参加的学时" in c.text
    data = (await state_of(ctx)).data
    assert (data["title"], data["start"], data["end"]) == (
        "心血管疾病诊疗进展培训班",
        "2024-05-03",
        "2024-05-03",
    )


async def test_hours_over_the_cap_and_bad_hours_are_refused(ctx, roster, chat):
    c = await bound(chat(), roster)
    await to_dates(c)
    await c.send("2024-05-03")
    await c.press("同一天")
    for typed, reason in (
        ("91", "超过该类别单条上限 90 学时"),
        ("2.3", "0.5的整数倍"),
        ("很多", "学时应为数字"),
        ("0", "必须大于0"),
        ("-4", "必须大于0"),  # a number, only not positive (issue 17 item 21)
        ("－4学时", "必须大于0"),
    ):
        await c.send(typed)
        assert reason in c.text, typed
        assert "实际参加的学时" in c.text
        if typed.startswith(("-", "－")):
            assert "学时应为数字" not in c.text
    # half days, as the training category allows: 23 x 4 = 92 is over the cap too
    await c.press("按半天数填写")
    assert "每半天计 4 学时，最多 22 个半天" in c.text
    await c.send("23")
    assert "超过该类别单条上限 90 学时" in c.text
    await c.send("两个")
    assert "半天数应为正整数" in c.text
    await c.send("3个半天")
    assert "证明材料" in c.text
    data = (await state_of(ctx)).data
    assert data["half_days"] == 3 and "hours" not in data
    await c.send("90")  # text in the evidence step: asked for the file, nothing else changes
    assert "请直接发送文件" in c.text
    assert (await state_of(ctx)).data["half_days"] == 3


async def test_reviewer_set_category_says_the_unit_sets_the_hours(ctx, roster, chat):
    c = await bound(chat(), roster)
    await c.send("/claim")
    await c.press("新登记")
    await c.press("2024 年度")
    await c.press("学术会议类")
    await c.send("中华医学会心血管病学分会年会")
    await c.send("中华医学会")
    await c.send("2024-09-12")
    await c.send("2024-09-14")
    assert "由所在单位审验时核定" in c.text and "建议的学时" in c.text
    assert not [b for b in c.buttons() if "半天" in b.label]  # not counted in half days
    await c.send("16")
    await send_file(c, PNG, name="参会证明.png", mime="image/png")
    await c.press("完成")
    await c.press("本人承诺属实")
    assert "16 学时（建议值，由单位审验时核定）" in c.text
    await c.press("确认提交")
    assert "建议 16 学时（由单位核定）· 待审验" in c.text
    [record] = await records(ctx)
    assert record.category == "conference" and record.status == "pending"


async def test_bad_files_are_refused_before_or_after_download(ctx, roster, chat):
    c = await bound(chat(), roster)
    await to_dates(c)
    await c.send("2024-05-03")
    await c.press("同一天")
    await c.send("4")
    fetches = Fetches()
    await send_file(c, JPEG, size=MAX_EVIDENCE_BYTES + 1, fetches=fetches)
    assert "文件过大（最大 10 MB）" in c.text and "请发送证明材料" in c.text
    await send_file(c, b"PK\x03\x04word", name="a.docx", mime="application/msword", fetches=fetches)
    assert "只接受 JPG、PNG、WebP 图片或 PDF 文件" in c.text
    assert fetches.count == 0  # neither was downloaded
    # a "PDF" that is not one: its first bytes decide
    await send_file(c, b"hello, not a pdf", name="x.pdf", mime="application/pdf", fetches=fetches)
    assert "只接受" in c.text and fetches.count == 1
    c.last = await c.engine.handle(c.user, Event("file"))  # a sticker
    assert "请直接发送文件" in c.text
    assert not [b for b in c.buttons() if "完成" in b.label]  # nothing accepted yet
    await c.send("完成")
    assert "请至少上传 1 份证明材料" in c.text
    async with ctx.db.transaction() as s:
        assert not list(await s.scalars(select(EvidenceFile)))
    assert (await state_of(ctx)).data.get("evidence", []) == []
    await send_file(c, JPEG)
    await send_file(c, JPEG)  # the same photo twice counts once
    assert "已经上传过了" in c.text
    assert len((await state_of(ctx)).data["evidence"]) == 1


async def test_five_files_at_most_then_the_pledge(ctx, roster, chat):
    c = await bound(chat(), roster)
    await to_dates(c)
    await c.send("2024-05-03")
    await c.press("同一天")
    await c.send("4")
    for n in range(5):
        await send_file(c, JPEG + bytes([n]))
    assert "最多 5 份证明材料，已达上限" in c.text
    assert "本人承诺属实" in c.text  # on to the pledge without "done"
    assert len((await state_of(ctx)).data["evidence"]) == 5


async def test_editing_fields_from_the_summary(ctx, roster, chat):
    c = await bound(chat(), roster)
    await to_summary(c)
    await c.press("修改名称")
    assert "当前：心血管疾病诊疗进展培训班" in c.text
    assert c.button("返回确认页")
    await c.send("高血压规范化诊疗培训班")
    assert "请核对登记内容" in c.text and "名称：高血压规范化诊疗培训班" in c.text
    # dates are edited as a pair and return to the summary
    await c.press("修改日期")
    await c.send("2024-06-10")
    await c.send("2024-06-11")
    assert "日期：2024-06-10 至 2024-06-11" in c.text
    # hours as half days
    await c.press("修改学时")
    await c.press("按半天数填写")
    await c.send("2")
    assert "学时：8 学时（2 个半天）" in c.text
    # a field left as it was: back to the summary
    await c.press("修改主办单位")
    await c.press("返回确认页")
    assert "主办单位：广西医学会" in c.text
    # evidence: clear and send another
    await c.press("修改证明材料")
    await c.press("清空")
    await send_file(c, PNG, mime="image/png")
    await c.press("完成")
    assert "证明材料：1 份（图片 1 份，PDF 0 份）" in c.text
    await c.press("确认提交")
    [record] = await records(ctx)
    assert record.title == "高血压规范化诊疗培训班" and record.hours == 8
    assert record.started_on == date(2024, 6, 10)
    async with ctx.db.transaction() as s:
        links = list(
            await s.scalars(select(RecordEvidence).where(RecordEvidence.record_id == record.id))
        )
    assert len(links) == 1


async def test_confirming_twice_makes_one_claim(ctx, roster, chat):
    c = await bound(chat(), roster)
    await to_summary(c)
    confirm = c.button("确认提交").data
    await c.press_data(confirm)
    assert "已提交" in c.text
    await c.press_data(confirm)  # a second tap of the same button
    assert "按钮已过期" in c.text
    assert len(await records(ctx)) == 1


async def test_withdrawing_a_pending_claim(ctx, roster, chat):
    c = await bound(chat(), roster)
    await to_summary(c)
    await c.press("确认提交")
    [record] = await records(ctx)
    await c.press(f"撤回 #{record.id}")
    assert "确定撤回登记" in c.text
    await c.press("不撤回")
    assert "未撤回" in c.text
    assert (await records(ctx))[0].status == "pending"
    await c.press(f"撤回 #{record.id}")
    await c.press("确定撤回")
    assert "已撤回登记" in c.text and "已撤回" in c.text
    assert (await records(ctx))[0].status == "withdrawn"
    assert not [b for b in c.buttons() if "撤回 #" in b.label]
    # the old button again, and a forged one for a claim that is not theirs
    await c.press_data(f"cl:wd:{record.id}")
    assert "不是待审验状态" in c.text
    await c.press_data(f"cl:wd:{record.id + 1000}")
    assert "未找到该登记" in c.text


async def test_restart_mid_flow_resumes_at_the_same_step(
    ctx, roster, chat, database_url: str, tmp_path: Path, fixed_now: datetime
):
    c = await bound(chat(), roster)
    await to_dates(c)
    await c.send("2024-05-03")
    assert "请输入结束日期" in c.text
    # a new process: another context and engine on the same database
    restarted = make_context(database_url, tmp_path / "data", fixed_now)
    try:
        again = Chat(Engine(restarted), "u1")
        again.last = await again.engine.handle(again.user, Event("open"))
        assert "我们继续上次的操作" in again.text and "请输入结束日期" in again.text
        await again.send("2024-05-05")
        assert "实际参加的学时" in again.text
        data = (await state_of(restarted)).data
        assert (data["title"], data["organiser"], data["start"], data["end"]) == (
            "心血管疾病诊疗进展培训班",
            "广西医学会",
            "2024-05-03",
            "2024-05-05",
        )
    finally:
        await restarted.db.dispose()


async def test_unbound_account_is_told_to_bind_first(ctx, roster, chat):
    c = chat("stranger")
    await c.send("/claim")
    assert "请先绑定身份信息" in c.text
    assert c.button("绑定").data == "m:start"
    await c.press_data("cl:new")
    assert "请先绑定身份信息" in c.text
    assert await records(ctx) == []


async def test_no_id_number_in_free_text(ctx, roster, chat):
    c = await bound(chat(), roster)
    await c.send("/claim")
    await c.press("新登记")
    await c.press("2024 年度")
    await c.press("培训进修类")
    out = await c.send(f"培训 {roster.zhang_number}")
    assert out.delete_incoming and "不要在此填写身份证号码" in c.text
    assert roster.zhang_number not in c.text
    assert "title" not in (await state_of(ctx)).data


async def test_characters_no_sheet_holds_and_over_long_titles_are_refused(ctx, roster, chat):
    """A control character (or NUL, which PostgreSQL refuses) and a 400-character title are
    refused with the reason at their step, and the next answer is taken as usual."""
    c = await bound(chat(), roster)
    await c.send("/claim")
    await c.press("新登记")
    await c.press("2024 年度")
    await c.press("培训进修类")
    await c.send("心血管\x01培训班")
    assert "不能保存的字符（U+0001）" in c.text
    await c.send("心血管\x00培训班")
    assert "U+0000" in c.text
    await c.send("培" * 400)
    assert "内容过长（最多 300 个字）" in c.text
    assert "title" not in (await state_of(ctx)).data
    await c.send("心血管疾病诊疗进展培训班")
    await c.send("广西医学会\u202e")
    assert "U+202E" in c.text
    await c.send("广西医学会")
    assert "开始日期" in c.text
    data = (await state_of(ctx)).data
    assert (data["title"], data["organiser"]) == ("心血管疾病诊疗进展培训班", "广西医学会")


async def test_cancel_keeps_nothing(ctx, roster, chat):
    c = await bound(chat(), roster)
    await to_dates(c)
    await c.press("取消登记")
    assert "已取消本次登记" in c.text and "我的专业科目学时登记" in c.text
    assert (await state_of(ctx)).flow is None and await records(ctx) == []


# ------------------------------------------------------------------ the years on offer


def with_2025_policy(ctx: AppContext, tmp_path: Path, when: datetime) -> AppContext:
    """The same database, a 2025 policy next to 2024's (the 2024 file a year on), a clock."""
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    text = (shipped_policy_dir() / "2024.toml").read_text(encoding="utf-8")
    (folder / "2025.toml").write_text(
        text.replace("2025", "2026").replace("2024", "2025"), encoding="utf-8"
    )
    return replace(ctx, policies=PolicyBook.load(folder), clock=lambda: when)


def year_buttons(c: Chat) -> list[str]:
    return [b.label for b in c.buttons() if b.data.startswith("s:") and "年度" in b.label]


async def test_last_year_offered_until_31_march(ctx, roster, tmp_path: Path):
    march = with_2025_policy(ctx, tmp_path, shanghai(2025, 3, 15))
    c = await bound(Chat(Engine(march)), roster)
    await c.send("/claim")
    assert "现可登记年度：2024, 2025" in c.text
    await c.press("新登记")
    assert year_buttons(c) == ["2024 年度（可登记至 2025-03-31）", "2025 年度"]
    # a 2024 claim is still taken in March 2025
    await c.press("2024 年度")
    await c.press("培训进修类")
    await c.send("年终总结培训")
    await c.send("广西医学会")
    await c.send("2024-12-20")
    await c.press("同一天")
    await c.send("4")
    await send_file(c, PDF, mime="application/pdf")
    await c.press("完成")
    await c.press("本人承诺属实")
    await c.press("确认提交")
    assert "已提交" in c.text
    [record] = await records(ctx)
    assert record.year == 2024

    april = with_2025_policy(ctx, tmp_path, shanghai(2025, 4, 1, 9))
    later = Chat(Engine(april))
    await later.send("/claim")
    assert "现可登记年度：2025" in later.text
    assert "年终总结培训" not in later.text  # 2024 is no longer a claimable year
    await later.press("新登记")
    assert year_buttons(later) == ["2025 年度"]


async def test_no_year_open_without_next_years_policy(ctx, roster):
    april = replace(ctx, clock=lambda: shanghai(2025, 4, 1))  # only the 2024 policy exists
    c = await bound(Chat(Engine(april)), roster)
    await c.send("/claim")
    assert "现在没有可以登记专业科目学时的年度" in c.text
    assert not [b for b in c.buttons() if b.data == "cl:new"]
    await c.press_data("cl:new")
    assert "现在没有可以登记" in c.text and (await state_of(ctx)).flow is None


async def test_year_closing_mid_flow_sends_back_to_the_year(ctx, roster, tmp_path: Path):
    last_day = with_2025_policy(ctx, tmp_path, shanghai(2025, 3, 31, 23))
    c = await bound(Chat(Engine(last_day)), roster)
    await c.send("/claim")
    await c.press("新登记")
    await c.press("2024 年度")
    await c.press("培训进修类")
    # the night passes: 1 April, another process
    next_day = with_2025_policy(ctx, tmp_path, shanghai(2025, 4, 1, 9))
    resumed = Chat(Engine(next_day))
    await resumed.send("年终总结培训")
    assert "2024 年度现在不能登记" in resumed.text
    assert year_buttons(resumed) == ["2025 年度"]


async def test_editing_the_year_sends_to_what_it_made_wrong(ctx, roster, tmp_path: Path):
    march = with_2025_policy(ctx, tmp_path, shanghai(2025, 3, 15))
    c = await bound(Chat(Engine(march)), roster)
    await c.send("/claim")
    await c.press("新登记")
    await c.press("2024 年度")
    await c.press("培训进修类")
    await c.send("年终总结培训")
    await c.send("广西医学会")
    await c.send("2024-12-20")
    await c.press("同一天")
    await c.send("4")
    await send_file(c, PDF, mime="application/pdf")
    await c.press("完成")
    await c.press("本人承诺属实")
    await c.press("修改年度")
    await c.press("2025 年度")
    # the dates lie in 2024: asked again, then back to the summary
    assert "活动须全部在 2025 年度内" in c.text and "请输入活动的开始日期" in c.text
    await c.send("2025-03-01")
    await c.press("同一天")
    assert "年度：2025" in c.text and "日期：2025-03-01 至 2025-03-01" in c.text
    await c.press("确认提交")
    [record] = await records(ctx)
    assert record.year == 2025


async def test_english_texts(ctx, roster, chat: Callable[..., Any]):
    c = await bound(chat("en-user"), roster)
    await c.press("🌐")
    await c.press("English")
    await c.send("/claim")
    assert "My professional-hour claims" in c.text
    await c.press("New claim")
    await c.press("2024")
    assert "each half day counts as 4 hours" in c.text
    await c.press("Training and further study")
    assert "What was the activity called" in c.text


async def test_two_confirms_at_once_make_one_claim(ctx, roster, chat):
    c = await bound(chat(), roster)
    await to_summary(c)
    confirm = c.button("确认提交").data
    first, second = await asyncio.gather(
        c.engine.handle(c.user, Event.button(confirm)),
        c.engine.handle(c.user, Event.button(confirm)),
    )
    texts = ["\n".join(r.text for r in out.replies) for out in (first, second)]
    assert sum("已提交" in text for text in texts) == 1, texts
    assert len(await records(ctx)) == 1
