"""Binding is more than an ID number and a name (issue 17 item 4), driven through the engine on
SQLite and PostgreSQL: the unit's reviewers are told of every binding; the roster's phone,
shared with Telegram's contact button, is a second factor; someone locked out by another
account asks for a review, and the unit's reviewers (administrators when it has none) move the
binding or keep it, authority re-checked on every press."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from bot.flows import Event
from services.binding_review import protect_phone
from services.context import AppContext
from services.imports import ImportRejected, import_people
from services.notify import render_notice
from storage.models import Account, AuditEntry, BindingDispute, OutboxMessage, Person, Role
from tests.bot.conftest import HOSPITAL_CODE, Chat, Roster

PHONE = "13800138000"


async def account_of(ctx: AppContext, external_id: str) -> Account:
    async with ctx.db.transaction() as s:
        found = await s.scalar(select(Account).where(Account.external_id == external_id))
        assert found is not None
        return found


async def grant(ctx: AppContext, c: Chat, role: str, unit_id: int | None = None) -> int:
    await c.send("/menu")  # the account exists from the first message on
    account = await account_of(ctx, c.user.external_id)
    async with ctx.db.transaction() as s:
        s.add(
            Role(
                account_id=account.id,
                role=role,
                unit_id=unit_id,
                granted_at=ctx.now(),
                granted_by="test",
            )
        )
    return account.id


async def notices(ctx: AppContext, account_id: int) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(key, zh text, buttons) of every notice queued for an account."""
    async with ctx.db.transaction() as s:
        rows = await s.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.account_id == account_id)
            .order_by(OutboxMessage.id)
        )
        payloads: list[dict[str, Any]] = [dict(p) for p in rows]
    return [(p["key"], *render_notice(p, "zh")) for p in payloads]


async def bind(c: Chat, number: str, name: str = "张伟") -> None:
    await c.start()
    await c.send(number)
    await c.send(name)


async def share_contact(c: Chat, phone: str) -> None:
    c.last = await c.engine.handle(c.user, Event("contact", phone=phone))


async def set_roster_phone(ctx: AppContext, person_id: int, phone: str) -> None:
    phone_hash, phone_cipher = protect_phone(ctx, phone)
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Person)
            .where(Person.id == person_id)
            .values(phone_hash=phone_hash, phone_cipher=phone_cipher)
        )


async def bound_to(ctx: AppContext, external_id: str) -> int | None:
    return (await account_of(ctx, external_id)).person_id


# ------------------------------------------------------------------ the unit is told


async def test_reviewers_are_told_of_every_binding(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat]
) -> None:
    reviewer = await grant(ctx, chat("rv"), "reviewer", roster.hospital_id)
    other_unit = await grant(ctx, chat("rv-school"), "reviewer", roster.school_id)
    c = chat("u1")
    await bind(c, roster.zhang_number)
    assert "绑定成功" in c.text
    [(key, text, buttons)] = await notices(ctx, reviewer)
    assert key == "bnd-told-bound" and "张伟" in text and "4501**********" in text
    assert roster.zhang_number not in text and buttons == []
    assert await notices(ctx, other_unit) == []  # another unit's reviewer hears nothing


# ------------------------------------------------------------------ a review of the binding


async def test_locked_out_person_has_the_binding_moved_by_the_unit(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat]
) -> None:
    reviewer_chat = chat("rv")
    reviewer = await grant(ctx, reviewer_chat, "reviewer", roster.hospital_id)
    squatter, real = chat("squatter"), chat("real")
    await bind(squatter, roster.zhang_number)
    assert await bound_to(ctx, "squatter") == roster.zhang_id
    await bind(real, roster.zhang_number)
    assert "已绑定在另一个账号" in real.text and await bound_to(ctx, "real") is None
    await real.press("申请审核绑定")
    assert "已提交审核申请" in real.text
    await real.send("/start")  # asking again opens nothing new
    await real.send(roster.zhang_number)
    await real.send("张伟")
    await real.press("申请审核绑定")
    assert "已提交过审核申请" in real.text
    async with ctx.db.transaction() as s:
        [dispute] = list(await s.scalars(select(BindingDispute)))
    assert dispute.status == "open"
    asks = [n for n in await notices(ctx, reviewer) if n[0] == "bnd-dispute-ask"]
    assert len(asks) == 1
    _key, text, buttons = asks[0]
    assert "张伟" in text and roster.zhang_number not in text
    assert [label for label, _ in buttons] == ["转给申请人", "保持现有绑定"]
    move = dict(buttons)["转给申请人"]
    assert move == f"bd:move:{dispute.id}"  # only the dispute's number in the button

    # a reviewer of another unit, the squatter and the claimant may not decide
    outsider = chat("rv-school")
    await grant(ctx, outsider, "reviewer", roster.school_id)
    for c in (outsider, squatter, real):
        await c.press_data(move)
        assert "没有处理该申请的权限" in c.text
    assert await bound_to(ctx, "squatter") == roster.zhang_id

    await reviewer_chat.press_data(move)
    assert "已将 张伟" in reviewer_chat.text and reviewer_chat.last.button_accepted
    assert await bound_to(ctx, "real") == roster.zhang_id
    assert await bound_to(ctx, "squatter") is None
    squatter_account = await account_of(ctx, "squatter")
    real_account = await account_of(ctx, "real")
    assert [n[0] for n in await notices(ctx, squatter_account.id)] == ["bnd-told-moved-away"]
    assert [n[0] for n in await notices(ctx, real_account.id)] == ["bnd-told-dispute-moved"]
    # a second press, or "keep" afterwards, decides nothing more
    await reviewer_chat.press_data(f"bd:keep:{dispute.id}")
    assert "该申请已处理：绑定已转给申请人" in reviewer_chat.text
    assert await bound_to(ctx, "real") == roster.zhang_id


async def test_revoked_reviewer_and_forged_buttons_are_refused_and_keep_decides(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat]
) -> None:
    reviewer_chat = chat("rv")
    reviewer = await grant(ctx, reviewer_chat, "reviewer", roster.hospital_id)
    squatter, real = chat("squatter"), chat("real")
    await bind(squatter, roster.zhang_number)
    await bind(real, roster.zhang_number)
    await real.press("申请审核绑定")
    async with ctx.db.transaction() as s:
        dispute = await s.scalar(select(BindingDispute))
        assert dispute is not None
    for forged in ("bd:move:999999", "bd:drop:1", "bd:move:x", f"bd:move:{dispute.id}0"):
        await reviewer_chat.press_data(forged)
        assert "不存在或已失效" in reviewer_chat.text or "无法识别这个按钮" in reviewer_chat.text
        assert "已将" not in reviewer_chat.text
    async with ctx.db.transaction() as s:
        await s.execute(
            update(Role).where(Role.account_id == reviewer).values(revoked_at=ctx.now())
        )
    await reviewer_chat.press_data(f"bd:move:{dispute.id}")
    assert "没有处理该申请的权限" in reviewer_chat.text
    admin_chat = chat("admin")
    await grant(ctx, admin_chat, "admin")
    await admin_chat.press_data(f"bd:keep:{dispute.id}")
    assert "已保持 张伟" in admin_chat.text
    assert await bound_to(ctx, "squatter") == roster.zhang_id
    assert await bound_to(ctx, "real") is None
    real_account = await account_of(ctx, "real")
    assert [n[0] for n in await notices(ctx, real_account.id)] == ["bnd-told-dispute-kept"]


async def test_without_reviewers_the_administrators_are_asked(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat]
) -> None:
    squatter, real = chat("squatter"), chat("real")
    await bind(squatter, roster.zhang_number)
    await bind(real, roster.zhang_number)
    await real.press("申请审核绑定")
    assert "目前没有可处理的审核人员" in real.text and "0771-966111" in real.text
    admin = await grant(ctx, chat("admin"), "admin")
    other = chat("real2")
    await bind(other, roster.zhang_number)
    await other.press("申请审核绑定")
    assert "已提交审核申请" in other.text
    assert [n[0] for n in await notices(ctx, admin)] == ["bnd-dispute-ask"]


# ------------------------------------------------------------------ the roster's phone


async def test_roster_phone_is_asked_with_the_contact_button(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat]
) -> None:
    await set_roster_phone(ctx, roster.zhang_id, PHONE)
    reviewer = await grant(ctx, chat("rv"), "reviewer", roster.hospital_id)
    c = chat("u1")
    await bind(c, roster.zhang_number)
    [contact] = [r for r in c.last.replies if r.request_contact]
    assert contact.request_contact == "📱 发送本机手机号" and "核对" in contact.text
    await c.send(PHONE)  # typed: proves nothing
    assert "请使用下方" in c.text and await bound_to(ctx, "u1") is None
    await share_contact(c, "")  # someone else's contact card
    assert "只能发送您本人的手机号" in c.text and await bound_to(ctx, "u1") is None
    await share_contact(c, "+86 139 0000 0000")
    assert "不一致" in c.text and await bound_to(ctx, "u1") is None
    await share_contact(c, "86" + PHONE)  # as Telegram sends it
    assert "绑定成功" in c.text and await bound_to(ctx, "u1") == roster.zhang_id
    [(key, text, _)] = await notices(ctx, reviewer)
    assert key == "bnd-told-bound-phone" and PHONE not in text
    async with ctx.db.transaction() as s:
        entries = list(await s.scalars(select(AuditEntry)))
    assert all(PHONE not in str(e.data) for e in entries)


async def test_matching_phone_moves_a_squatted_binding_at_once(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat]
) -> None:
    squatter, real = chat("squatter"), chat("real")
    await bind(squatter, roster.zhang_number)  # before the roster had phones
    await set_roster_phone(ctx, roster.zhang_id, PHONE)
    reviewer = await grant(ctx, chat("rv"), "reviewer", roster.hospital_id)
    await bind(real, roster.zhang_number)
    assert "已绑定在另一个账号" in real.text and real.button("申请审核绑定")
    await share_contact(real, PHONE)
    assert "已转到本账号" in real.text
    assert await bound_to(ctx, "real") == roster.zhang_id
    assert await bound_to(ctx, "squatter") is None
    squatter_account = await account_of(ctx, "squatter")
    assert [n[0] for n in await notices(ctx, squatter_account.id)] == ["bnd-told-moved-away"]
    assert "bnd-told-bound-phone" in [n[0] for n in await notices(ctx, reviewer)]


async def test_people_import_reads_an_optional_phone_column(
    ctx: AppContext, roster: Roster, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    header = "身份证号,姓名,单位代码,手机号\n"
    path.write_text(
        f"{header}{roster.zhang_number},张伟,{HOSPITAL_CODE},+86 138-0013-8000\n", encoding="utf-8"
    )
    result = await import_people(ctx, path)
    assert result.updated == 1
    async with ctx.db.transaction() as s:
        person = await s.get(Person, roster.zhang_id)
        assert person is not None and person.phone_hash is not None
        assert person.phone_hash == protect_phone(ctx, PHONE)[0]
        assert PHONE not in (person.phone_cipher or "")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{header}{roster.zhang_number},张伟,{HOSPITAL_CODE},12345\n", encoding="utf-8")
    try:
        await import_people(ctx, bad)
    except ImportRejected as exc:
        assert [(p.line, p.reason) for p in exc.problems] == [(2, "phone")]
    else:
        raise AssertionError("a bad phone number was imported")


# ------------------------------------------------------------------ the Telegram adapter


def _contact_update(sender: int, contact_user: int | None) -> Any:
    from telegram import Update

    contact: dict[str, Any] = {"phone_number": "+8613800138000", "first_name": "张"}
    if contact_user is not None:
        contact["user_id"] = contact_user
    return Update.de_json(
        {
            "update_id": 1,
            "message": {
                "message_id": 5,
                "date": 0,
                "chat": {"id": sender, "type": "private"},
                "from": {"id": sender, "is_bot": False, "first_name": "张"},
                "contact": contact,
            },
        },
        None,
    )


def test_only_the_senders_own_contact_carries_a_phone() -> None:
    from bot.handlers.convert import event_from_update

    own = event_from_update(_contact_update(42, 42))
    assert own is not None and (own.kind, own.phone) == ("contact", "+8613800138000")
    for other in (43, None):  # someone else's card, or one with no Telegram account
        event = event_from_update(_contact_update(42, other))
        assert event is not None and (event.kind, event.phone) == ("contact", "")
    assert "13800138000" not in repr(own)  # never in a log line


def test_the_contact_request_is_telegrams_own_button() -> None:
    from telegram import ReplyKeyboardMarkup

    from bot.flows import Reply
    from bot.handlers.render import markup

    shown = markup(Reply("请发送", request_contact="📱 发送本机手机号"))
    assert isinstance(shown, ReplyKeyboardMarkup)
    [[button]] = shown.keyboard
    assert button.request_contact is True and button.text == "📱 发送本机手机号"
    assert markup(Reply("无按钮")) is None


async def test_reviewers_are_told_when_someone_not_in_the_roster_chooses_their_unit(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat]
) -> None:
    reviewer = await grant(ctx, chat("rv-school"), "reviewer", roster.school_id)
    c = chat("li")
    await bind(c, roster.stranger_number, "李四")
    await c.send("第三中学")
    await c.press("南宁市第三中学")
    [(key, text, _)] = await notices(ctx, reviewer)
    assert key == "bnd-told-bound-unconfirmed" and "李四" in text and "不在本单位人员名单" in text
    assert roster.stranger_number not in text


async def test_an_id_number_typed_with_hyphens_or_full_width_binds(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat]
) -> None:
    n = roster.zhang_number
    for user, typed in (
        ("hyphens", f"{n[:6]}-{n[6:14]}-{n[14:]}"),
        (
            "full-width",
            f"{n[:6]}　{n[6:]}".translate({ord(d): 0xFF10 + int(d) for d in "0123456789"}),
        ),
    ):
        c = chat(user)
        await c.start()
        out = await c.send(typed)
        assert out.delete_incoming and "已收到身份证号" in c.text and n not in c.text
        if user == "hyphens":
            await c.send("张伟")
            assert "绑定成功" in c.text
