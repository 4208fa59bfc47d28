"""People and roles: a move keeps the claims' history, a binding can be removed, roles granted
and withdrawn take effect at once (a withdrawn reviewer cannot decide), a decided claim is
reopened with its reason and certificates follow; every change is audited, and the audit log
reads back by person, actor, day and action."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from admin_helpers import YEAR, Province, build_province, count, id_number_of
from sqlalchemy import select

from services.certificates import REVOKED_NOTICE, issue_certificate
from services.claims import ClaimRefused, decide
from services.context import AppContext
from services.people_admin import (
    AdminRefused,
    account_card,
    deactivate_binding,
    decided_claims,
    find_people,
    grant_role,
    list_roles,
    move_person,
    person_by_reference,
    person_card,
    read_audit,
    reopen_claim,
    withdraw_role,
)
from services.progress import year_evaluation
from storage.models import Account, AuditEntry, Certificate, HourRecord, OutboxMessage, Person, Role
from storage.privacy_models import AccessLogEntry


@pytest.fixture
async def province(ctx: AppContext) -> Province:
    return await build_province(ctx, extra_people=4)


async def notices(ctx: AppContext, account_id: int) -> list[str]:
    async with ctx.db.transaction() as s:
        rows = await s.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.account_id == account_id)
        )
        return [str(p["key"]) for p in rows]


async def test_a_move_keeps_the_claims_history(ctx: AppContext, province: Province) -> None:
    moved = await move_person(ctx, province.admin, province.p1, "UB")
    assert moved.from_unit == "南宁市第一人民医院" and moved.to_unit == "柳州市第二中学"
    assert moved.pending_kept == 1
    async with ctx.db.transaction() as s:
        person = await s.get(Person, province.p1)
        units = set(
            await s.scalars(select(HourRecord.unit_id).where(HourRecord.person_id == province.p1))
        )
    assert person is not None and person.unit_id == province.unit_b and person.unit_confirmed
    assert units == {province.unit_a}  # every record keeps the unit of the time
    # the pending claim is still decided by the unit it was claimed in
    with pytest.raises(ClaimRefused) as caught:
        await decide(ctx, province.reviewer_b, province.pending_a, True)
    assert caught.value.reason == "other_unit"
    result = await decide(ctx, province.reviewer_a, province.pending_a, True)
    assert result.status == "approved"
    assert await notices(ctx, province.p1_account) == ["adm-notice-moved"]
    entries = await read_audit(ctx, None, action="person.move")
    assert len(entries) == 1 and entries[0].actor == f"account:{province.admin}"
    assert entries[0].data["from_unit_code"] == "UA" and entries[0].data["to_unit_code"] == "UB"

    for unit, reason in (("UB", "same_unit"), ("NOPE", "unknown_unit")):
        with pytest.raises(AdminRefused) as refused:
            await move_person(ctx, province.admin, province.p1, unit)
        assert refused.value.reason == reason
    with pytest.raises(AdminRefused) as refused:
        await move_person(ctx, province.reviewer_a, province.p1, "UC")
    assert refused.value.reason == "not_admin"
    with pytest.raises(AdminRefused) as refused:
        await move_person(ctx, province.admin, 99999, "UC")
    assert refused.value.reason == "not_found"


async def test_deactivating_a_binding(ctx: AppContext, province: Province) -> None:
    done = await deactivate_binding(ctx, province.admin, province.p1)
    assert done.account_id == province.p1_account and done.name == "王芳"
    async with ctx.db.transaction() as s:
        account = await s.get(Account, province.p1_account)
        person = await s.get(Person, province.p1)
    assert account is not None and account.person_id is None
    assert person is not None  # the person and their hours stay
    assert await notices(ctx, province.p1_account) == ["adm-notice-unbound"]
    assert await count(ctx, AuditEntry, AuditEntry.action == "account.deactivate") == 1
    with pytest.raises(AdminRefused) as refused:
        await deactivate_binding(ctx, province.admin, province.p1)
    assert refused.value.reason == "not_bound"
    with pytest.raises(AdminRefused) as refused:
        await deactivate_binding(ctx, province.auditor, province.p1)
    assert refused.value.reason == "not_admin"


async def test_roles_granted_and_withdrawn_take_effect(ctx: AppContext, province: Province) -> None:
    # a new reviewer of unit A decides; once withdrawn, the same call is refused
    granted = await grant_role(ctx, province.admin, province.plain, "reviewer", unit="ua")
    assert not granted.already and granted.role.unit_code == "UA"
    again = await grant_role(ctx, province.admin, province.plain, "reviewer", unit="UA")
    assert again.already and again.role.id == granted.role.id
    withdrawn = await withdraw_role(ctx, province.admin, granted.role.id)
    assert withdrawn.role.revoked_at is not None and not withdrawn.already
    with pytest.raises(ClaimRefused) as caught:
        await decide(ctx, province.plain, province.pending_a, True)
    assert caught.value.reason == "not_reviewer"
    assert (await withdraw_role(ctx, province.admin, granted.role.id)).already

    await grant_role(ctx, province.admin, province.plain, "reviewer", unit=province.unit_a)
    result = await decide(ctx, province.plain, province.pending_a, False, reason="材料不清")
    assert result.status == "rejected" and not result.already_decided

    assert await notices(ctx, province.plain) == [
        "adm-notice-role-granted",
        "adm-notice-role-withdrawn",
        "adm-notice-role-granted",
    ]
    grants = await read_audit(ctx, None, action="role.grant")
    withdrawals = await read_audit(ctx, None, action="role.withdraw")
    assert len(grants) == 2 and len(withdrawals) == 1
    assert grants[0].data["account_id"] == province.plain and grants[0].data["role"] == "reviewer"
    live = await list_roles(ctx, province.admin, account_id=province.plain)
    assert [(r.role, r.unit_code) for r in live] == [("reviewer", "UA")]
    everything = await list_roles(
        ctx, province.admin, account_id=province.plain, include_withdrawn=True
    )
    assert len(everything) == 2


async def test_role_rules(ctx: AppContext, province: Province) -> None:
    for kwargs, reason in (
        ({"role": "reviewer"}, "role_needs_unit"),
        ({"role": "organiser"}, "role_needs_source"),
        ({"role": "organiser", "source": "   "}, "role_needs_source"),
        ({"role": "king"}, "role"),
        ({"role": "reviewer", "unit": "NOPE"}, "unknown_unit"),
    ):
        with pytest.raises(AdminRefused) as refused:
            await grant_role(ctx, province.admin, province.plain, **kwargs)  # type: ignore[arg-type]
        assert refused.value.reason == reason, kwargs
    with pytest.raises(AdminRefused) as refused:
        await grant_role(ctx, province.admin, 99999, "auditor")
    assert refused.value.reason == "account_not_found"
    with pytest.raises(AdminRefused) as refused:
        await grant_role(ctx, province.auditor, province.plain, "admin")
    assert refused.value.reason == "not_admin"
    organiser = await grant_role(
        ctx, province.admin, province.plain, "organiser", source=" 广西 继续教育基地 "
    )
    assert organiser.role.source == "广西 继续教育基地"

    # the last administrator cannot be withdrawn; with a second one, the first can
    async with ctx.db.transaction() as s:
        admin_role = await s.scalar(select(Role.id).where(Role.account_id == province.admin))
    assert admin_role is not None
    with pytest.raises(AdminRefused) as refused:
        await withdraw_role(ctx, province.admin, admin_role)
    assert refused.value.reason == "last_admin"
    await grant_role(ctx, province.admin, province.auditor2, "admin")
    await withdraw_role(ctx, province.admin, admin_role)
    # and the withdrawn administrator can do nothing more here
    with pytest.raises(AdminRefused) as refused:
        await grant_role(ctx, province.admin, province.plain, "auditor")
    assert refused.value.reason == "not_admin"
    with pytest.raises(AdminRefused) as refused:
        await withdraw_role(ctx, province.admin, 99999)
    assert refused.value.reason == "not_admin"
    with pytest.raises(AdminRefused) as refused:
        await withdraw_role(ctx, province.auditor2, 99999)
    assert refused.value.reason == "role_not_found"


async def test_reopening_a_decided_claim(ctx: AppContext, province: Province) -> None:
    ce = await issue_certificate(ctx, province.p1, YEAR, "ce", actor="test")
    with pytest.raises(ClaimRefused) as caught:
        await reopen_claim(ctx, province.reviewer_a, province.p1_claim_small, "复核")
    assert caught.value.reason == "not_admin"
    with pytest.raises(AdminRefused) as refused:
        await reopen_claim(ctx, province.admin, province.p1_claim_small, "  ")
    assert refused.value.reason == "reason_required"
    with pytest.raises(ClaimRefused) as caught:
        await reopen_claim(ctx, province.admin, province.pending_a, "复核")
    assert caught.value.reason == "not_decided"

    result = await reopen_claim(ctx, province.admin, province.p1_claim_small, "单位反映学时有误")
    assert result.previous == "approved" and result.claim.status == "pending"
    assert result.certificates_revoked == (ce.number,)
    async with ctx.db.transaction() as s:
        ev = await year_evaluation(s, ctx.policies[YEAR], province.p1)
        cert = await s.scalar(select(Certificate).where(Certificate.number == ce.number))
    assert ev.professional_pending_hours == 38 and not ev.complete
    assert cert is not None and cert.revoked_at is not None
    assert await notices(ctx, province.p1_account) == [
        "adm-notice-reopened",
        REVOKED_NOTICE,  # services.certificates tells of the certificate itself
    ]
    logged = await read_audit(ctx, None, action="claim_reopened")
    assert [e.actor for e in logged] == [f"account:{province.admin}"]
    assert logged[0].data["reason"] == "单位反映学时有误"

    # the operator on the server, and a rejected claim (nothing counted: no certificate check)
    rejected = [c for c in await decided_claims(ctx, None, province.p1) if c.status == "rejected"]
    assert len(rejected) == 1
    by_cli = await reopen_claim(ctx, None, rejected[0].id, "本人补充了材料")
    assert by_cli.previous == "rejected" and by_cli.certificates_revoked == ()
    assert [e.actor for e in await read_audit(ctx, None, action="claim.reopen")] == ["cli"]


async def test_reading_the_audit_log(ctx: AppContext, province: Province) -> None:
    await move_person(ctx, province.admin, province.p1, "UC")
    await grant_role(ctx, province.admin, province.plain, "auditor")
    await reopen_claim(ctx, province.admin, province.p1_claim_big, "复核")
    later = ctx.now() + timedelta(days=3)
    from dataclasses import replace

    await grant_role(replace(ctx, clock=lambda: later), None, province.plain, "admin")

    about_p1 = {e.action for e in await read_audit(ctx, province.admin, person_id=province.p1)}
    assert {"person.move", "claim_reopened"} <= about_p1
    assert "role.grant" not in about_p1
    by_admin = await read_audit(ctx, None, actor=f"account:{province.admin}")
    assert {e.action for e in by_admin} == {"person.move", "role.grant", "claim_reopened"}
    assert [e.action for e in await read_audit(ctx, None, actor=str(province.admin))] == [
        e.action for e in by_admin
    ]
    assert [e.action for e in await read_audit(ctx, None, actor="cli")] == ["role.grant"]
    today = ctx.today()
    assert {e.action for e in await read_audit(ctx, None, since=today, until=today)} == {
        "person.move",
        "role.grant",
        "claim_reopened",
    }
    assert len(await read_audit(ctx, None, since=today + timedelta(days=1))) == 1
    assert len(await read_audit(ctx, None, action="role.*")) == 2
    assert await read_audit(ctx, None, action="claim*", until=date(2024, 1, 1)) == []
    newest_first = await read_audit(ctx, None)
    assert newest_first[0].action == "role.grant" and newest_first[0].actor == "cli"
    with pytest.raises(AdminRefused):
        await read_audit(ctx, province.reviewer_a)


async def test_finding_people_without_showing_id_numbers(
    ctx: AppContext, province: Province
) -> None:
    number = id_number_of(1)  # 王芳
    by_number = await find_people(ctx, province.admin, number)
    assert [h.person_id for h in by_number] == [province.p1]
    assert by_number[0].id_masked.endswith(number[-4:]) and number not in by_number[0].id_masked
    assert [h.person_id for h in await find_people(ctx, province.admin, number[-4:])] == [
        province.p1
    ]
    assert [h.person_id for h in await find_people(ctx, province.admin, "王 " + number[-4:])] == [
        province.p1
    ]
    assert await find_people(ctx, province.admin, "王 0000") == []
    members = await find_people(ctx, province.admin, "成员")
    assert len(members) == 4 and all(h.name.startswith("成员") for h in members)
    with pytest.raises(AdminRefused):
        await find_people(ctx, province.auditor, "王")

    card = await person_card(ctx, province.admin, province.p1)
    assert card.account_id == province.p1_account and card.unit_code == "UA"
    assert await count(ctx, AccessLogEntry, AccessLogEntry.person_id == province.p1) == 1
    staff = await account_card(ctx, province.admin, province.auditor)
    assert staff.person_id == province.auditor_person and [r.role for r in staff.roles] == [
        "auditor"
    ]
    assert await person_by_reference(ctx, number) == province.p1
    assert await person_by_reference(ctx, f"#{province.p1}") == province.p1
    with pytest.raises(AdminRefused):
        await person_by_reference(ctx, "#99999")
