"""Markdown as chat text (bot/flows/chat_text.py): the structure kept, the marks gone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.flows.chat_text import markdown_to_chat


def test_headings_emphasis_lists_links_and_quotes() -> None:
    source = (
        "# 标题\n\n导语。\n\n## 小节 **一**\n\n- 甲\n- 乙\n  - 乙一\n\n1. 第一\n2. 第二\n\n"
        "> 引文\n\n详见[通知](https://example.org/n)，或 <https://example.org/m>。\n\n---\n\n末段"
    )
    assert markdown_to_chat(source) == (
        "标题\n\n导语。\n\n▌小节 一\n\n• 甲\n• 乙\n  • 乙一\n\n1. 第一\n2. 第二\n\n│ 引文\n\n"
        "详见通知（https://example.org/n），或 https://example.org/m。\n\n──────\n\n末段"
    )


def test_html_is_shown_as_text_never_interpreted() -> None:
    assert markdown_to_chat('<a href="http://x">点此</a>') == '<a href="http://x">点此</a>'


def test_plain_paragraphs_and_line_ends_are_kept() -> None:
    text = "第一段第一行\n第一段第二行\n\n共建“一带一路”，倡议于 2013 年提出。"
    assert markdown_to_chat(text) == text


@given(st.lists(st.text(alphabet="学时考试课程政策一二三，。、", min_size=1), min_size=1))
def test_cjk_paragraphs_come_back_unchanged(paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    assert markdown_to_chat(text) == text
