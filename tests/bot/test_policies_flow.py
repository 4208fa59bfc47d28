"""Administrators check and activate a yearly policy in the bot; a year without a policy is
said plainly and nothing breaks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.context import AppContext
from services.demo import demo_file
from services.policies import PolicyBook
from services.policy_admin import new_draft
from services.question_bank import import_courses, import_questions
from storage.models import Account, Role


@pytest.fixture
def admin_ctx(ctx: AppContext, tmp_path: Path) -> AppContext:
    ctx.policies = PolicyBook.load(tmp_path / "policies")
    return ctx


async def make_admin(ctx: AppContext, external_id: str) -> None:
    async with ctx.db.transaction() as s:
        account = await s.scalar(select(Account).where(Account.external_id == external_id))
        assert account is not None
        s.add(
            Role(
                account_id=account.id,
                role="admin",
                granted_at=ctx.now(),
                granted_by="test",
            )
        )


async def add_2025_content(ctx: AppContext, tmp_path: Path) -> None:
    courses = json.loads(demo_file("course-2024.json").read_text(encoding="utf-8"))
    for c in courses:
        c["year"] = 2025
    (tmp_path / "c.json").write_text(json.dumps(courses, ensure_ascii=False), encoding="utf-8")
    await import_courses(ctx, tmp_path / "c.json")
    text = demo_file("questions-2024.csv").read_text(encoding="utf-8")
    (tmp_path / "q.csv").write_text(text.replace(",2024,", ",2025,"), encoding="utf-8")
    await import_questions(ctx, tmp_path / "q.csv")


async def test_admin_checks_then_activates_a_draft(
    admin_ctx: AppContext, tmp_path: Path, chat: Any
) -> None:
    ctx = admin_ctx
    chat = chat("admin1")
    await chat.send("/menu")
    await make_admin(ctx, "admin1")
    path = new_draft(ctx, ctx.policies.dirs[-1], 2025, 2024)

    await chat.send("/policies")
    assert "2024 年度：已启用" in chat.text and "2025 年度：草稿" in chat.text
    await chat.press("检查 2025")
    assert "还不能启用" in chat.text and "public.mandatory.theme" in chat.text
    assert not any("启用 2025" in b.label for b in chat.buttons())

    text = path.read_text(encoding="utf-8")
    text = text.replace('theme = ""', 'theme = "主题"').replace('source = ""', 'source = "通知"')
    path.write_text(text, encoding="utf-8")
    ctx.policies.reload()
    await add_2025_content(ctx, tmp_path)
    await chat.send("/policies")
    await chat.press("检查 2025")
    assert "检查通过" in chat.text
    activate_button = chat.button("启用 2025")
    await chat.press_data(activate_button.data)
    assert "已启用" in chat.text
    assert 2025 in ctx.policies and ctx.policies[2025].active
    # the used-up button does nothing a second time
    await chat.press_data(activate_button.data)
    assert "已启用" not in chat.text and "过期" in chat.text


async def test_a_non_admin_is_refused_even_with_an_old_button(
    admin_ctx: AppContext, chat: Any
) -> None:
    ctx = admin_ctx
    new_draft(ctx, ctx.policies.dirs[-1], 2025, 2024)
    admin = chat("admin2")
    await admin.send("/menu")
    await make_admin(ctx, "admin2")
    await admin.send("/policies")
    check = admin.button("检查 2025")
    # the role is withdrawn; the button on screen must not work any more
    async with ctx.db.transaction() as s:
        role = await s.scalar(select(Role).where(Role.role == "admin"))
        assert role is not None
        role.revoked_at = ctx.now()
    await admin.press_data(check.data)
    assert "只有管理员" in admin.text
    user = chat("plain")
    await user.send("/policies")
    assert "只有管理员" in user.text


async def test_a_year_without_a_policy_is_said_plainly(
    ctx: AppContext, roster: Any, chat: Any
) -> None:
    # 10 February 2025: no 2025 policy; 2024's make-up and registration are still open
    ctx.clock = lambda: datetime(2025, 2, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
    chat = chat("u9")
    await chat.start()
    await chat.send(roster.zhang_number)
    await chat.send("张伟")
    await chat.send("/progress")
    assert "2025年度政策尚未发布" in chat.text
    assert "2024 年度" in chat.text
    assert "补学" in chat.text or "2025-03-31" in chat.text


async def test_the_demo_on_todays_date_and_looking_back(admin_ctx: AppContext, chat: Any) -> None:
    """A fresh machine on 28 November 2026: the demo's current year, and earlier years one
    button away."""
    from services.demo import seed_demo

    ctx = admin_ctx
    ctx.clock = lambda: datetime(2026, 11, 28, 10, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
    await seed_demo(ctx, policy_dir=ctx.policies.dirs[-1])
    c = chat("demo-user")
    await c.start()
    await c.send("450103198803120212")
    await c.send("张伟")
    await c.send("/progress")
    assert "2026 年度" in c.text and "演示政策" in c.text
    assert "2026-12-31，还剩 33 天" in c.text
    labels = [b.label for b in c.buttons()]
    assert "查看 2025 年度" in labels and "查看 2024 年度" in labels
    await c.press("查看 2024 年度")
    assert "2024 年度" in c.text and "演示政策" not in c.text
    assert "必修课：已完成（15 学时）" in c.text
    # a year without a policy is said so; nothing else is shown
    await c.press_data("py:1999")
    assert "没有 1999 年度的政策" in c.text
