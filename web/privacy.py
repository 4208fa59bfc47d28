"""The full privacy notice at /privacy (the link in the bot's consent question), readable on a
phone, in Chinese or English (?lang=en)."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from services.privacy import notice

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;max-width:40em;margin:1em auto;
padding:0 1em;line-height:1.6}}h1{{font-size:1.3em}}</style></head>
<body>{body}</body></html>"""


def _render(markdown: str) -> tuple[str, str]:
    """The notice's small Markdown subset: a heading, paragraphs, **bold** labels."""
    title = ""
    parts = []
    for block in markdown.strip().split("\n\n"):
        text = html.escape(block.strip())
        if text.startswith("# "):
            title = text[2:]
            parts.append(f"<h1>{title}</h1>")
            continue
        while "**" in text:
            text = text.replace("**", "<strong>", 1).replace("**", "</strong>", 1)
        parts.append(f"<p>{text}</p>")
    return title, "\n".join(parts)


def privacy_route() -> Route:
    async def page(request: Request) -> HTMLResponse:
        language = "en" if request.query_params.get("lang") == "en" else "zh"
        title, body = _render(notice().full_text(language))
        return HTMLResponse(
            _PAGE.format(lang="en" if language == "en" else "zh-CN", title=title, body=body)
        )

    return Route("/privacy", page, methods=["GET"])
