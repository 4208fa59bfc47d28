"""Markdown (a course chapter, the privacy notice) as plain chat text with its structure kept:
headings on their own line, lists with bullets or numbers, quotes marked, links with their
address, emphasis markers dropped. Plain text reads the same on Telegram and in the console
and needs no escaping; raw HTML in the source is shown as text, never interpreted.

Parsed with markdown-it-py (CommonMark), not with regular expressions.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

HEADING_MARK = "▌"
BULLET = "•"
QUOTE_MARK = "│ "
RULE = "──────"


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def _inline(children: Sequence[Token] | None) -> str:
    out: list[str] = []
    links: list[tuple[str, int]] = []  # (address, where its text starts)
    for tok in children or ():
        if tok.type in ("text", "code_inline", "html_inline"):
            out.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            out.append("\n")  # the author's line ends are kept
        elif tok.type == "link_open":
            links.append((str(tok.attrGet("href") or ""), len(out)))
        elif tok.type == "link_close" and links:
            href, start = links.pop()
            label = "".join(out[start:])
            if href and href != label and f"mailto:{label}" != href:
                out.append(f"（{href}）")
        elif tok.type == "image":
            alt = "".join(c.content for c in tok.children or ())
            src = str(tok.attrGet("src") or "")
            out.append(f"🖼 {alt}：{src}" if alt else f"🖼 {src}")
    return "".join(out)


def markdown_to_chat(source: str) -> str:
    """The text for a chat message. Plain text without Markdown comes back as it was
    (paragraphs and line ends kept)."""
    blocks: list[str] = []
    quotes = 0  # blockquotes around the current block
    lists: list[list[int]] = []  # per open list: [next number] (ordered) or [] (bullets)
    pads: list[str] = []  # per open list item: the indentation of its later lines
    lead = ""  # the bullet or number waiting for the item's first block
    heading = ""
    gap = False  # a blank line before the next block (a new list after other blocks)
    last_quotes = 0

    def emit(text: str) -> None:
        nonlocal lead, gap, last_quotes
        outer = "".join(pads[:-1]) if lead else "".join(pads)
        first = QUOTE_MARK * quotes + outer + lead
        rest = QUOTE_MARK * quotes + "".join(pads)
        lines = text.split("\n")
        # list items sit together; other blocks are separated by a blank line (a marked one
        # between two blocks of the same quote)
        if blocks and (gap or not lists):
            same_quote = quotes and quotes == last_quotes
            blocks.append(QUOTE_MARK.rstrip() * quotes if same_quote else "")
        blocks.extend([first + lines[0], *(rest + line for line in lines[1:])])
        lead, gap, last_quotes = "", False, quotes

    for tok in _parser().parse(source):
        kind = tok.type
        if kind == "heading_open":
            heading = tok.tag
        elif kind == "inline":
            text = _inline(tok.children)
            if heading and heading != "h1":
                text = f"{HEADING_MARK}{text}"
            heading = ""
            emit(text)
        elif kind in ("bullet_list_open", "ordered_list_open"):
            gap = gap or not lists
            start = tok.attrGet("start") if kind == "ordered_list_open" else None
            lists.append([] if kind == "bullet_list_open" else [int(start or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            counter = lists[-1] if lists else []
            if counter:
                lead = f"{counter[0]}. "
                counter[0] += 1
            else:
                lead = f"{BULLET} "
            pads.append(" " * len(lead))
        elif kind == "list_item_close":
            pads.pop()
            lead = ""
        elif kind == "blockquote_open":
            quotes += 1
        elif kind == "blockquote_close":
            quotes -= 1
        elif kind in ("fence", "code_block", "html_block"):
            emit(tok.content.rstrip("\n"))
        elif kind == "hr":
            emit(RULE)
    return "\n".join(blocks).strip("\n")
