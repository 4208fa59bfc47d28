"""A claim half typed survives a look elsewhere: leaving the guided claim by a menu button
keeps its draft, and the claims screen offers to continue it where it was; /cancel or a new
claim drops it. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from services.context import AppContext
from tests.bot.conftest import Chat, Roster


def labels(c: Chat) -> str:
    return "\n".join(b.label for b in c.buttons())


async def half_a_claim(c: Chat, roster: Roster) -> None:
    await c.start()
    await c.send(roster.zhang_number)
    await c.send("张伟")
    await c.send("/claim")
    await c.press("新登记")
    await c.press("2024 年度")
    await c.press("培训进修类")
    await c.send("心血管疾病诊疗进展培训班")
    await c.send("广西医学会")
    assert "开始日期" in c.text


async def test_a_menu_button_mid_claim_keeps_the_draft_to_continue(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat]
) -> None:
    c = chat()
    await half_a_claim(c, roster)
    await c.send("/progress")  # a look at the year, by command or menu button
    assert "合计" in c.text
    await c.press("申报学时")  # the menu under "my progress"
    assert "▶️ 继续未完成的登记：心血管疾病诊疗进展培训班" in labels(c)
    await c.press("继续未完成的登记")
    assert "接着刚才的登记继续" in c.text and "开始日期" in c.text  # the same question
    await c.send("2024-05-03")
    await c.send("2024-05-04")
    await c.send("12")
    assert "请发送证明材料" in c.text
    await c.send("/progress")
    await c.send("/claim")
    await c.press("继续未完成的登记")
    assert "请发送证明材料" in c.text  # still where it was, twice over


async def test_cancel_or_a_new_claim_drops_the_kept_draft(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat]
) -> None:
    c = chat()
    await half_a_claim(c, roster)
    await c.send("/progress")
    await c.send("/claim")
    await c.press("新登记")  # starting again: the kept draft is gone
    assert "请选择要登记的年度" in c.text
    await c.send("/progress")
    await c.send("/claim")
    assert "继续未完成的登记" not in labels(c)

    await c.press("新登记")
    await c.press("2024 年度")
    await c.send("/cancel")  # an explicit cancel keeps nothing
    await c.send("/claim")
    assert "继续未完成的登记" not in labels(c)
