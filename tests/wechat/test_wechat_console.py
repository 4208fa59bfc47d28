"""`cebot chat --channel wechat`: the console shows what the WeChat account would send, and
typed numbers resolve through the same database screens as on WeChat (both databases)."""

from __future__ import annotations

import io

from typer.testing import CliRunner

from bot.console import run_console
from cebot.cli import app
from services.context import AppContext
from tests.bot.conftest import seed_roster


async def test_the_wechat_rendering_in_the_terminal(ctx: AppContext) -> None:
    roster = await seed_roster(ctx)
    script = "\n".join(["1", roster.zhang_number, "张伟", "9", "进度", "/quit"]) + "\n"
    out = io.StringIO()
    await run_console(ctx, input_stream=io.StringIO(script), output=out, channel="wechat")
    text = out.getvalue()
    assert "回复数字选择（1、2、3）：\n1. ✅ 同意\n2. 不同意" in text
    assert "[1]" not in text  # not the plain console's choices
    assert "微信不允许公众号删除您发的消息" in text  # instead of hiding the line
    assert roster.zhang_number not in text
    assert "绑定成功" in text and "1. 📊 我的学时" in text
    # "9" is on no screen: said, and the menu again; then the word 进度 is the command
    assert "这个数字不在当前的选项里" in text
    assert "合计：55 / 90 学时" in text
    assert text.rstrip().endswith("再见！")


def test_the_channel_option_is_checked() -> None:
    result = CliRunner().invoke(app, ["chat", "--channel", "qq"])
    assert result.exit_code == 2 and "qq" in result.output
