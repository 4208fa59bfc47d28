"""Numbered choices: how a reply's buttons read on WeChat, and the number -> button map kept
per account in the database (both databases), so any worker resolves "2"."""

from __future__ import annotations

from datetime import timedelta

from bot.flows.base import Button
from bot.wechat.screens import choice_number, remember_choices, render_numbered, resolve_choice
from services.context import AppContext
from services.i18n import translator
from storage.models import Account

KEYBOARD = (
    (Button("✅ 同意", "s:ab12:yes"), Button("不同意", "s:ab12:no")),
    (Button("🏠 菜单", "m:menu"),),
)


async def new_account(ctx: AppContext, openid: str = "o-1") -> int:
    async with ctx.db.transaction() as s:
        account = Account(channel="wechat", external_id=openid, created_at=ctx.now())
        s.add(account)
        await s.flush()
        return account.id


def test_render_numbered_lists_every_button_from_one() -> None:
    text = render_numbered("请确认：", KEYBOARD, translator("zh"))
    assert text.splitlines() == [
        "请确认：",
        "",
        "回复数字选择（1、2、3）：",
        "1. ✅ 同意",
        "2. 不同意",
        "3. 🏠 菜单",
    ]
    english = render_numbered("Confirm:", KEYBOARD, translator("en"), start=4)
    assert "Reply with a number (4、5、6):" in english and "6. 🏠 菜单" in english
    many = render_numbered("菜单", [(str(n), f"m:{n}") for n in range(5)], translator("zh"))
    assert "回复数字选择（1、2、3…）：" in many and many.endswith("5. 4")
    one = render_numbered("姓名？", [("≡ 主菜单", "m:menu")], translator("zh"))
    assert one.endswith("回复数字选择（1）：\n1. ≡ 主菜单")
    assert render_numbered("无选项", (), translator("zh")) == "无选项"


def test_choice_numbers() -> None:
    assert [choice_number(s) for s in ("2", " 12 ", "２", "0")] == [2, 12, 2, 0]
    # longer numbers are answers (hours, years), other text is text
    assert [choice_number(s) for s in ("2024", "2.5", "二", "", "1 2", "²")] == [None] * 6


async def test_a_number_resolves_on_the_current_screen_only(ctx: AppContext) -> None:
    account = await new_account(ctx)
    async with ctx.db.transaction() as s:
        await remember_choices(s, account, KEYBOARD, ctx.now())
    async with ctx.db.transaction() as s:
        assert await resolve_choice(s, account, "1") == "s:ab12:yes"
        assert await resolve_choice(s, account, " 3 ") == "m:menu"
        assert await resolve_choice(s, account, "4") == "stale"
        assert await resolve_choice(s, account, "0") == "stale"
        assert await resolve_choice(s, account, "张伟") is None
    # the next screen replaces it: 3 is no longer on it
    async with ctx.db.transaction() as s:
        await remember_choices(
            s, account, [("📊 我的学时", "m:prog"), ("🏠 菜单", "m:menu")], ctx.now()
        )
    async with ctx.db.transaction() as s:
        assert await resolve_choice(s, account, "1") == "m:prog"
        assert await resolve_choice(s, account, "3") == "stale"


async def test_a_screen_without_choices_passes_numbers_on_as_text(ctx: AppContext) -> None:
    account = await new_account(ctx)
    async with ctx.db.transaction() as s:
        assert await resolve_choice(s, account, "1") is None  # never shown anything
        await remember_choices(s, account, KEYBOARD, ctx.now())
        await remember_choices(s, account, (), ctx.now() + timedelta(seconds=1))
    async with ctx.db.transaction() as s:
        assert await resolve_choice(s, account, "2") is None  # e.g. "2" hours


async def test_each_account_has_its_own_screen(ctx: AppContext) -> None:
    first, second = await new_account(ctx, "o-1"), await new_account(ctx, "o-2")
    async with ctx.db.transaction() as s:
        await remember_choices(s, first, KEYBOARD, ctx.now())
        await remember_choices(s, second, [("🏠 菜单", "m:menu")], ctx.now())
    async with ctx.db.transaction() as s:
        assert await resolve_choice(s, first, "2") == "s:ab12:no"
        assert await resolve_choice(s, second, "2") == "stale"
