"""The terminal adapter over the real engine: numbered choices, /quit, EOF."""

from __future__ import annotations

import io

from bot.console import run_console


async def test_console_binds_and_shows_progress(ctx, roster):
    # "1" first: agree to the privacy notice, the first choice shown
    script = "\n".join(["1", roster.zhang_number, "张伟", "1", "/quit", "never read"]) + "\n"
    out = io.StringIO()
    await run_console(ctx, input_stream=io.StringIO(script), output=out)
    text = out.getvalue()
    assert "身份证" in text and "个人信息处理告知" in text
    assert roster.zhang_number not in text  # never echoed, only masked
    assert "已从屏幕上隐藏" in text
    assert "绑定成功" in text
    assert "[1] 📊 我的学时" in text
    assert "合计：55 / 90 学时" in text  # "1" pressed the first button
    assert text.rstrip().endswith("再见！")


async def test_console_resumes_and_ends_on_eof(ctx, roster):
    await run_console(
        ctx, input_stream=io.StringIO("1\n" + roster.zhang_number + "\n"), output=io.StringIO()
    )
    out = io.StringIO()
    await run_console(ctx, input_stream=io.StringIO("张伟\n"), output=out)
    assert "继续上次" in out.getvalue() and "绑定成功" in out.getvalue()
    out = io.StringIO()
    await run_console(ctx, language="en", input_stream=io.StringIO(""), output=out, user="x")
    # a new English user is asked for consent before anything else
    assert "sensitive personal information" in out.getvalue() and "Goodbye" in out.getvalue()
