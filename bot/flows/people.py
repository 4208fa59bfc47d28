"""People and roles (👥, /people), for administrators: find a person (by name, the last four
characters of the ID number, both, or the whole ID number, whose message the router deletes
and which is looked up by its keyed hash, never shown), or an account by "#<number>"; then move
the person to another unit, remove their account's binding, grant and withdraw the account's
roles, or reopen one of their decided claims with a reason.

Every change is services.people_admin's, audited there; each press asks the service again
whether the presser is still an administrator, and buttons carry list positions and ids only,
re-checked by the service.
"""

from __future__ import annotations

import re

from bot.flows.base import (
    BUTTONS,
    TEXT_OR_BUTTONS,
    Button,
    Event,
    Flow,
    Reply,
    Step,
    Turn,
)
from bot.flows.features import Feature, register
from bot.flows.keyboards import back_to_menu, main_menu
from core.hours import format_hours
from services.claims import ClaimRefused
from services.onboarding import search_units
from services.people_admin import (
    GRANTABLE_ROLES,
    AccountCard,
    AdminRefused,
    PersonCard,
    RoleView,
    account_card,
    accounts_with_role,
    deactivate_binding,
    decided_claims,
    find_people,
    grant_role,
    is_admin,
    move_person,
    person_card,
    reopen_claim,
    withdraw_role,
)
from storage.models import Unit

FLOW = "people"
CLAIMS_SHOWN = 10
STAFF_SHOWN = 20
_ACCOUNT = re.compile(r"^\s*#\s*(\d{1,12})\s*$")

# every reason services.people_admin gives; each has adm-refused-<reason> in admin.ftl
REFUSAL_REASONS = (
    "not_admin",
    "not_found",
    "account_not_found",
    "unknown_unit",
    "same_unit",
    "not_bound",
    "role",
    "role_needs_unit",
    "role_needs_source",
    "role_not_found",
    "last_admin",
    "reason_required",
    "reason_too_long",
    "busy",
)
# the claims service's refusals when reopening (claims.ftl has claim-refused-<reason>)
REOPEN_REFUSALS = ("not_admin", "not_found", "not_decided", "verification_closed", "busy")


def _refused(turn: Turn, exc: AdminRefused) -> None:
    turn.outcome.notice = turn.t(f"adm-refused-{exc.reason}", **exc.args_)
    turn.say(f"adm-refused-{exc.reason}", buttons=(back_to_menu(turn),), **exc.args_)


async def _not_admin(turn: Turn) -> bool:
    """Asked at every press: a withdrawn administrator's open screen stops working."""
    if await is_admin(turn.svc, turn.account.id):
        return False
    turn.finish()
    turn.say("adm-refused-not_admin", buttons=main_menu(turn))
    return True


def _stale(turn: Turn) -> None:
    turn.outcome.notice = turn.t("btn-stale")
    turn.say("btn-stale", buttons=(back_to_menu(turn),))


async def open_people(turn: Turn, args: str) -> None:
    if await _not_admin(turn):
        return
    turn.goto(FLOW, "find")
    if args.strip():
        turn.entered = False
        await _search(turn, args)


# ------------------------------------------------------------------ finding


async def _find_prompt(turn: Turn) -> Reply:
    t = turn.t
    return Reply(
        t("adm-ask-find"),
        ((turn.step_button(t("adm-button-staff"), "staff"),), back_to_menu(turn)),
    )


async def _find(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    if event.kind == "text":
        await _search(turn, event.text)
        return
    value = event.data
    if value == "staff":
        await _show_staff(turn)
    elif value.startswith("p") and value[1:].isdigit():
        await _open_person(turn, int(value[1:]))
    elif value.startswith("a") and value[1:].isdigit():
        await _open_account(turn, int(value[1:]))
    else:
        _stale(turn)


async def _search(turn: Turn, text: str) -> None:
    if turn.step != "find":
        # the results' buttons belong to the search step (typed on a card: a new search)
        turn.data = {}
        turn.goto(FLOW, "find")
        turn.entered = False
    match = _ACCOUNT.match(text)
    if match:
        await _open_account(turn, int(match.group(1)))
        return
    try:
        hits = await find_people(turn.svc, turn.account.id, text)
    except AdminRefused as exc:
        _refused(turn, exc)
        return
    if not hits:
        turn.say("adm-find-none", buttons=(back_to_menu(turn),))
        return
    rows = tuple(
        (
            turn.step_button(
                f"{h.name} {h.id_masked[-4:]} · {(h.unit_name or '-')[:16]}", f"p{h.person_id}"
            ),
        )
        for h in hits
    )
    turn.say("adm-find-pick", count=len(hits), buttons=(*rows, back_to_menu(turn)))


async def _show_staff(turn: Turn) -> None:
    t = turn.t
    rows: list[tuple[Button, ...]] = []
    lines = [t("adm-staff-title")]
    seen: set[int] = set()
    for role in GRANTABLE_ROLES:
        for r in await accounts_with_role(turn.svc, turn.account.id, role):
            lines.append(_role_text(turn, r))
            if r.account_id not in seen and len(rows) < STAFF_SHOWN:
                seen.add(r.account_id)
                label = r.person_name or r.account_name or f"#{r.account_id}"
                rows.append(
                    (turn.step_button(f"{label[:24]} #{r.account_id}", f"a{r.account_id}"),)
                )
    turn.add(Reply("\n".join(lines), (*rows, back_to_menu(turn))))


def _role_text(turn: Turn, role: RoleView) -> str:
    who = role.person_name or role.account_name or "-"
    scope = role.unit_name or role.source
    return turn.t(
        "adm-role-short",
        role=turn.t(f"role-{role.role}"),
        who=who,
        account=role.account_id,
        scope=scope or "",
    )


# ------------------------------------------------------------------ a person, an account


async def _open_person(turn: Turn, person_id: int) -> None:
    turn.data = {"person": person_id}
    turn.goto(FLOW, "person")


async def _open_account(turn: Turn, account_id: int) -> None:
    try:
        card = await account_card(turn.svc, turn.account.id, account_id)
    except AdminRefused as exc:
        _refused(turn, exc)
        return
    if card.person_id is not None:
        await _open_person(turn, card.person_id)
        return
    turn.data = {"account": card.account_id}
    turn.goto(FLOW, "account")


def _person_text(turn: Turn, card: PersonCard) -> str:
    t = turn.t
    lines = [
        t("adm-person-title", name=card.name, masked=card.id_masked),
        t(
            "adm-person-unit",
            unit=card.unit_name or t("adm-no-unit"),
            code=card.unit_code or "-",
        ),
    ]
    if not card.unit_confirmed:
        lines.append(t("adm-person-unconfirmed"))
    if card.account_id is None:
        lines.append(t("adm-person-unbound"))
    else:
        lines.append(
            t("adm-person-account", account=card.account_id, name=card.account_name or "-")
        )
    lines += [_role_text(turn, r) for r in card.roles]
    return "\n".join(lines)


async def _person_prompt(turn: Turn) -> Reply:
    t = turn.t
    try:
        card = await person_card(turn.svc, turn.account.id, int(turn.data.get("person", 0)))
    except AdminRefused as exc:
        return Reply(t(f"adm-refused-{exc.reason}", **exc.args_), (back_to_menu(turn),))
    turn.data["account"] = card.account_id
    turn.data["unit"] = card.unit_id
    rows: list[tuple[Button, ...]] = [
        (
            turn.step_button(t("adm-button-move"), "move"),
            turn.step_button(t("adm-button-claims"), "claims"),
        )
    ]
    if card.account_id is not None:
        rows.append(
            (
                turn.step_button(t("adm-button-roles"), "roles"),
                turn.step_button(t("adm-button-unbind"), "unbind"),
            )
        )
    rows.append((turn.step_button(t("adm-button-find"), "find"),))
    return Reply(_person_text(turn, card), (*rows, back_to_menu(turn)))


async def _person(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    if event.kind == "text":  # a new search from the card
        await _search(turn, event.text)
        return
    value = event.data
    has_account = turn.data.get("account") is not None
    if value == "move":
        turn.goto(FLOW, "move")
    elif value == "claims":
        await _show_claims(turn)
    elif value == "roles" and has_account:
        turn.goto(FLOW, "roles")
    elif value == "unbind" and has_account:
        turn.goto(FLOW, "unbind")
    elif value == "find":
        turn.data = {}
        turn.goto(FLOW, "find")
    else:
        _stale(turn)


def _account_text(turn: Turn, card: AccountCard) -> str:
    t = turn.t
    lines = [t("adm-account-title", account=card.account_id, name=card.display_name or "-")]
    if card.person_id is None:
        lines.append(t("adm-account-unbound"))
    lines += [_role_text(turn, r) for r in card.roles]
    return "\n".join(lines)


async def _account_prompt(turn: Turn) -> Reply:
    t = turn.t
    try:
        card = await account_card(turn.svc, turn.account.id, int(turn.data.get("account", 0)))
    except AdminRefused as exc:
        return Reply(t(f"adm-refused-{exc.reason}", **exc.args_), (back_to_menu(turn),))
    rows = (
        (turn.step_button(t("adm-button-roles"), "roles"),),
        (turn.step_button(t("adm-button-find"), "find"),),
    )
    return Reply(_account_text(turn, card), (*rows, back_to_menu(turn)))


async def _account(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    if event.kind == "text":  # a new search from the card
        await _search(turn, event.text)
        return
    if event.data == "roles":
        turn.goto(FLOW, "roles")
    elif event.data == "find":
        turn.data = {}
        turn.goto(FLOW, "find")
    else:
        _stale(turn)


def _back_to_subject(turn: Turn) -> None:
    """Back to the person's card, or the account's when it has no person."""
    if turn.data.get("person"):
        turn.goto(FLOW, "person")
    elif turn.data.get("account"):
        turn.goto(FLOW, "account")
    else:
        turn.goto(FLOW, "find")


# ------------------------------------------------------------------ moving


async def _move_prompt(turn: Turn) -> Reply:
    return Reply(
        turn.t("adm-ask-unit"),
        ((turn.step_button(turn.t("adm-button-cancel"), "back"),), back_to_menu(turn)),
    )


async def _move(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    if event.kind == "text":
        units = await search_units(turn.session, event.text)
        if not units:
            turn.say("adm-unit-none")
            return
        turn.data["offered"] = [u.id for u in units]
        rows = tuple((turn.step_button(f"{u.name} ({u.code[-6:]})", f"u{u.id}"),) for u in units)
        turn.say("adm-unit-pick", buttons=(*rows, back_to_menu(turn)))
        return
    value = event.data
    if value == "back":
        _back_to_subject(turn)
        return
    offered = [int(u) for u in turn.data.get("offered", [])]
    unit_id = int(value[1:]) if value.startswith("u") and value[1:].isdigit() else None
    if unit_id is None or unit_id not in offered:
        _stale(turn)
        return
    try:
        moved = await move_person(turn.svc, turn.account.id, int(turn.data["person"]), unit_id)
    except AdminRefused as exc:
        turn.say(f"adm-refused-{exc.reason}", **exc.args_)
        return
    turn.outcome.notice = turn.t("adm-moved-short")
    turn.say(
        "adm-moved",
        name=moved.name,
        masked=moved.id_masked,
        old=moved.from_unit or "-",
        new=moved.to_unit,
    )
    if moved.pending_kept:
        turn.say("adm-moved-pending", count=moved.pending_kept)
    turn.goto(FLOW, "person")


# ------------------------------------------------------------------ unbinding


async def _unbind_prompt(turn: Turn) -> Reply:
    t = turn.t
    return Reply(
        t("adm-ask-unbind"),
        (
            (
                turn.step_button(t("adm-button-unbind-yes"), "yes"),
                turn.step_button(t("adm-button-cancel"), "no"),
            ),
        ),
    )


async def _unbind(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    if event.data != "yes":
        _back_to_subject(turn)
        return
    try:
        done = await deactivate_binding(turn.svc, turn.account.id, int(turn.data["person"]))
    except AdminRefused as exc:
        _refused(turn, exc)
        _back_to_subject(turn)
        return
    turn.outcome.notice = turn.t("adm-unbound-short")
    turn.say("adm-unbound", name=done.name, masked=done.id_masked, account=done.account_id)
    turn.goto(FLOW, "person")


# ------------------------------------------------------------------ roles


async def _roles_prompt(turn: Turn) -> Reply:
    t = turn.t
    account_id = int(turn.data.get("account") or 0)
    try:
        card = await account_card(turn.svc, turn.account.id, account_id)
    except AdminRefused as exc:
        return Reply(t(f"adm-refused-{exc.reason}", **exc.args_), (back_to_menu(turn),))
    lines = [
        t(
            "adm-roles-title",
            account=card.account_id,
            name=card.person_name or card.display_name or "-",
        )
    ]
    if not card.roles:
        lines.append(t("adm-roles-none"))
    rows: list[tuple[Button, ...]] = []
    for r in card.roles:
        lines.append(_role_text(turn, r))
        scope = (r.unit_name or r.source or "")[:16]
        label = t("adm-button-withdraw", role=t(f"role-{r.role}") + (f" {scope}" if scope else ""))
        rows.append((turn.step_button(label, f"w{r.id}"),))
    grants = [
        turn.step_button(t("adm-button-grant", role=t(f"role-{role}")), f"g{role}")
        for role in GRANTABLE_ROLES
    ]
    rows += [tuple(grants[i : i + 2]) for i in range(0, len(grants), 2)]
    rows.append((turn.step_button(t("adm-button-back"), "back"),))
    return Reply("\n".join(lines), (*rows, back_to_menu(turn)))


async def _roles(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    value = event.data
    account_id = int(turn.data.get("account") or 0)
    if value == "back":
        _back_to_subject(turn)
        return
    if value.startswith("w") and value[1:].isdigit():
        try:
            card = await account_card(turn.svc, turn.account.id, account_id)
            if int(value[1:]) not in {r.id for r in card.roles}:
                _stale(turn)  # not a live role of the account on screen: nothing changes
                return
            change = await withdraw_role(turn.svc, turn.account.id, int(value[1:]))
        except AdminRefused as exc:
            _refused(turn, exc)
            turn.goto(FLOW, "roles")
            return
        key = "adm-role-already-withdrawn" if change.already else "adm-role-withdrawn"
        turn.outcome.notice = turn.t(key)
        turn.say(key)
        turn.goto(FLOW, "roles")
        return
    role = value[1:] if value.startswith("g") else ""
    if role not in GRANTABLE_ROLES:
        _stale(turn)
        return
    if role == "reviewer":
        turn.data["grant"] = role
        turn.goto(FLOW, "grant_unit")
        return
    if role == "organiser":
        turn.data["grant"] = role
        turn.goto(FLOW, "grant_source")
        return
    await _grant(turn, role)


async def _grant(
    turn: Turn, role: str, *, unit: int | None = None, source: str | None = None
) -> None:
    account_id = int(turn.data.get("account") or 0)
    try:
        change = await grant_role(
            turn.svc, turn.account.id, account_id, role, unit=unit, source=source
        )
    except AdminRefused as exc:
        turn.say(f"adm-refused-{exc.reason}", **exc.args_)
        turn.goto(FLOW, "roles")
        return
    key = "adm-role-already" if change.already else "adm-role-granted"
    turn.outcome.notice = turn.t(key)
    turn.say(key)
    turn.add(Reply(_role_text(turn, change.role)))
    turn.data.pop("grant", None)
    turn.goto(FLOW, "roles")


async def _grant_unit_prompt(turn: Turn) -> Reply:
    t = turn.t
    rows: list[tuple[Button, ...]] = []
    unit_id = turn.data.get("unit")
    if unit_id:
        unit = await turn.session.get(Unit, int(unit_id))
        if unit is not None:
            rows.append((turn.step_button(unit.name[:40], f"u{unit.id}"),))
    rows.append((turn.step_button(t("adm-button-cancel"), "back"),))
    return Reply(t("adm-ask-grant-unit"), (*rows, back_to_menu(turn)))


async def _grant_unit(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    if event.kind == "text":
        units = await search_units(turn.session, event.text)
        if not units:
            turn.say("adm-unit-none")
            return
        turn.data["offered"] = [u.id for u in units]
        rows = tuple((turn.step_button(f"{u.name} ({u.code[-6:]})", f"u{u.id}"),) for u in units)
        turn.say("adm-unit-pick", buttons=(*rows, back_to_menu(turn)))
        return
    value = event.data
    if value == "back":
        turn.goto(FLOW, "roles")
        return
    offered = [int(u) for u in turn.data.get("offered", [])]
    if turn.data.get("unit"):
        offered.append(int(turn.data["unit"]))  # the person's own unit, offered first
    unit_id = int(value[1:]) if value.startswith("u") and value[1:].isdigit() else None
    if unit_id is None or unit_id not in offered:
        _stale(turn)
        return
    await _grant(turn, "reviewer", unit=unit_id)


async def _grant_source_prompt(turn: Turn) -> Reply:
    t = turn.t
    return Reply(
        t("adm-ask-grant-source"),
        ((turn.step_button(t("adm-button-cancel"), "back"),), back_to_menu(turn)),
    )


async def _grant_source(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    if event.kind == "button":
        turn.goto(FLOW, "roles")
        return
    await _grant(turn, "organiser", source=event.text)


# ------------------------------------------------------------------ reopening a claim


async def _show_claims(turn: Turn) -> None:
    person_id = int(turn.data.get("person", 0))
    try:
        claims = await decided_claims(turn.svc, turn.account.id, person_id)
    except AdminRefused as exc:
        _refused(turn, exc)
        return
    if not claims:
        turn.say("adm-claims-none")
        turn.goto(FLOW, "person")
        return
    turn.data["claims"] = [c.id for c in claims[:CLAIMS_SHOWN]]
    turn.goto(FLOW, "claims")


async def _claims_prompt(turn: Turn) -> Reply:
    t = turn.t
    person_id = int(turn.data.get("person", 0))
    try:
        claims = await decided_claims(turn.svc, turn.account.id, person_id)
    except AdminRefused as exc:
        return Reply(t(f"adm-refused-{exc.reason}", **exc.args_), (back_to_menu(turn),))
    offered = {int(c) for c in turn.data.get("claims", [])}
    lines = [t("adm-claims-title")]
    rows: list[tuple[Button, ...]] = []
    for c in claims:
        if c.id not in offered:
            continue
        lines.append(
            t(
                "adm-claim-line",
                id=c.id,
                year=c.year,
                title=c.title,
                hours=format_hours(c.hours),
                status=t(f"adm-status-{c.status}"),
            )
        )
        rows.append((turn.step_button(t("adm-button-reopen", id=c.id), f"o{c.id}"),))
    rows.append((turn.step_button(t("adm-button-back"), "back"),))
    return Reply("\n".join(lines), (*rows, back_to_menu(turn)))


async def _claims(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    value = event.data
    if value == "back":
        turn.goto(FLOW, "person")
        return
    offered = {int(c) for c in turn.data.get("claims", [])}
    record = int(value[1:]) if value.startswith("o") and value[1:].isdigit() else None
    if record is None or record not in offered:
        _stale(turn)
        return
    turn.data["reopen"] = record
    turn.goto(FLOW, "reopen")


async def _reopen_prompt(turn: Turn) -> Reply:
    t = turn.t
    return Reply(
        t("adm-ask-reopen-reason", id=turn.data.get("reopen", "")),
        ((turn.step_button(t("adm-button-cancel"), "back"),), back_to_menu(turn)),
    )


async def _reopen(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    if event.kind == "button":
        turn.goto(FLOW, "claims")
        return
    try:
        result = await reopen_claim(
            turn.svc, turn.account.id, int(turn.data.get("reopen", 0)), event.text
        )
    except AdminRefused as exc:
        turn.say(f"adm-refused-{exc.reason}", **exc.args_)
        return  # stay: type the reason again
    except ClaimRefused as exc:
        args = {k: v for k, v in exc.args_.items() if isinstance(v, str | int)}
        turn.add(Reply(turn.t(f"claim-refused-{exc.reason}", **args)))
        turn.goto(FLOW, "person")
        return
    turn.outcome.notice = turn.t("adm-reopened-short")
    turn.say(
        "adm-reopened",
        id=result.claim.id,
        title=result.claim.title,
        previous=turn.t(f"adm-status-{result.previous}"),
    )
    for number in result.certificates_revoked:
        turn.say("spot-cert-revoked", number=number)
    turn.goto(FLOW, "person")


PEOPLE = Flow(
    name=FLOW,
    first="find",
    steps={
        "find": Step(prompt=_find_prompt, accepts=TEXT_OR_BUTTONS, handle=_find),
        "person": Step(prompt=_person_prompt, accepts=TEXT_OR_BUTTONS, handle=_person),
        "account": Step(prompt=_account_prompt, accepts=TEXT_OR_BUTTONS, handle=_account),
        "move": Step(prompt=_move_prompt, accepts=TEXT_OR_BUTTONS, handle=_move),
        "unbind": Step(prompt=_unbind_prompt, accepts=BUTTONS, handle=_unbind),
        "roles": Step(prompt=_roles_prompt, accepts=BUTTONS, handle=_roles),
        "grant_unit": Step(prompt=_grant_unit_prompt, accepts=TEXT_OR_BUTTONS, handle=_grant_unit),
        "grant_source": Step(
            prompt=_grant_source_prompt, accepts=TEXT_OR_BUTTONS, handle=_grant_source
        ),
        "claims": Step(prompt=_claims_prompt, accepts=BUTTONS, handle=_claims),
        "reopen": Step(prompt=_reopen_prompt, accepts=TEXT_OR_BUTTONS, handle=_reopen),
    },
)

FEATURE = register(
    Feature(
        name="people",
        flows=(PEOPLE,),
        actions={"people": open_people},
        commands={"people": "people"},
    )
)
