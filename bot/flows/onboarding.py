"""Onboarding: /start binds the chat account to a person (ID number, name, and unit when the
person is not in the roster); /start <code> redeems a staff invitation."""

from __future__ import annotations

from bot.flows.base import BUTTONS, TEXT, TEXT_OR_BUTTONS, Event, Flow, Reply, Step, Turn
from bot.flows.keyboards import back_to_menu, main_menu
from bot.flows.menu import show_menu
from bot.flows.privacy import NEXT_ONBOARDING, ask_consent
from core.idnumber import InvalidIdNumber, parse_id_number
from services.accounts import bound_person, locked_until, record_failure, reset_failures
from services.audit import audit
from services.binding_review import (
    move_binding,
    open_dispute,
    phone_matches,
    tell_unit_of_binding,
)
from services.onboarding import (
    SERVICE_LINE,
    BindRefused,
    InvitationInvalid,
    ProtectedId,
    account_bound_to,
    active_roles,
    actor_of,
    bind_account,
    binding_name_problem,
    create_unconfirmed_person,
    names_match,
    person_by_hash,
    redeem_invitation,
    search_units,
    unit_by_id,
)
from services.policies import SHANGHAI
from services.privacy import needs_consent
from storage.models import Person

PHONE_ANSWERS = frozenset({"contact", "button", "text"})
MAX_INVITATION_CODE = 64


def _locked(turn: Turn) -> bool:
    """Rate limit: while locked, inputs are refused and nothing is stored."""
    until = locked_until(turn.account, turn.now)
    if until is None:
        return False
    turn.say("onb-locked", until=until.astimezone(SHANGHAI).strftime("%H:%M"))
    return True


def _failed(turn: Turn) -> None:
    if record_failure(turn.account, turn.now):
        audit(
            turn.session,
            at=turn.now,
            actor=actor_of(turn.account),
            action="account.rate_limited",
            entity="account",
            entity_id=turn.account.id,
        )
        _locked(turn)


# ------------------------------------------------------------------ /start


async def start(turn: Turn, args: str) -> None:
    if args:
        await _redeem(turn, args)
        return
    person = await bound_person(turn.session, turn.account)
    if person is not None:
        turn.finish()
        turn.say("onb-already-bound", name=person.name, masked=person.id_masked)
        show_menu(turn)
        return
    if turn.flow == ONBOARDING.name:
        turn.say("onb-restart")
    else:
        turn.say("onb-welcome")
    turn.finish()
    if needs_consent(turn.account):
        # no ID number is asked for before the person has read the notice and agreed
        ask_consent(turn, NEXT_ONBOARDING)
        return
    turn.goto(ONBOARDING.name, ONBOARDING.first)
    _locked(turn)  # say so now rather than after the next answer


async def _redeem(turn: Turn, code: str) -> None:
    turn.finish()
    if _locked(turn):
        return
    if len(code) > MAX_INVITATION_CODE:
        turn.say("invite-unknown", buttons=main_menu(turn))
        _failed(turn)
        return
    try:
        role = await redeem_invitation(turn.session, turn.ctx, turn.account, code)
    except InvitationInvalid as exc:
        turn.say(f"invite-{exc.reason}", buttons=main_menu(turn))
        _failed(turn)
        return
    reset_failures(turn.account)
    # the engine read the roles before this turn granted one: the menu below must show it
    turn.roles = frozenset(r.role for r in await active_roles(turn.session, turn.account))
    turn.say("invite-ok", role=turn.t(f"role-{role.role}"), buttons=main_menu(turn))


# ------------------------------------------------------------------ steps


async def _take_id(turn: Turn, event: Event) -> None:
    turn.outcome.delete_incoming = True  # whatever was typed here may be an ID number
    if _locked(turn):
        return
    try:
        number = parse_id_number(event.text, today=turn.today)
    except InvalidIdNumber as exc:
        turn.say(f"onb-id-invalid-{exc.reason}")
        _failed(turn)
        return
    pid = ProtectedId.of(turn.ctx, number)
    person = await person_by_hash(turn.session, pid.id_hash)
    # a person bound to another account is said only once the name is right too (_after_name)
    turn.data.update(pid.as_data(), person_id=person.id if person else None)
    turn.say("onb-id-ok", masked=pid.id_masked)
    turn.goto(ONBOARDING.name, "name")


async def _bind(turn: Turn, person: Person, *, by_phone: bool = False) -> None:
    try:
        await bind_account(turn.session, turn.ctx, turn.account, person, by_phone=by_phone)
    except BindRefused as exc:
        turn.finish()
        turn.say(f"onb-refused-{exc.reason}", buttons=main_menu(turn))
        return
    reset_failures(turn.account)
    unit = await unit_by_id(turn.session, person.unit_id) if person.unit_id else None
    turn.finish()
    turn.say(
        "onb-bound" if person.unit_confirmed else "onb-bound-unconfirmed",
        name=person.name,
        masked=person.id_masked,
        unit=unit.name if unit else "-",
    )
    show_menu(turn)


async def _take_name(turn: Turn, event: Event) -> None:
    if _locked(turn):
        return
    name = " ".join(event.text.split())
    problem = binding_name_problem(name)  # core.text's rules, as imports check them
    if problem is not None:
        turn.say(f"onb-name-{problem}")
        return
    person_id = turn.data.get("person_id")
    if person_id is None:
        turn.data["name"] = name
        turn.goto(ONBOARDING.name, "unit")
        return
    person = await turn.session.get(Person, int(person_id))
    if person is None:  # removed since the ID step: start again rather than guess
        turn.finish()
        turn.say("onb-expired", buttons=main_menu(turn))
        return
    if not names_match(name, person.name):
        turn.say("onb-name-mismatch")
        _failed(turn)
        return
    await _after_name(turn, person)


# ------------------------------------------------------------------ second factor and disputes
# (issue 17 item 4): the roster's phone, when it has one, is asked for through Telegram's
# contact button; a person bound to another account can have the binding reviewed.


async def _taken(turn: Turn, person: Person) -> bool:
    holder = await account_bound_to(turn.session, person.id)
    return holder is not None and holder.id != turn.account.id


async def _after_name(turn: Turn, person: Person) -> None:
    taken = await _taken(turn, person)
    turn.data["taken"] = taken
    if person.phone_hash is not None:
        turn.goto(ONBOARDING.name, "phone")
    elif taken:
        turn.goto(ONBOARDING.name, "taken")
    else:
        await _bind(turn, person)


async def _phone_prompt(turn: Turn) -> Reply:
    turn.add(Reply(turn.t("bnd-ask-phone"), request_contact=turn.t("bnd-btn-share-phone")))
    if not turn.data.get("taken"):
        return Reply(turn.t("bnd-phone-other"), (back_to_menu(turn),))
    review = (turn.step_button(turn.t("bnd-btn-ask-review"), "dispute"),)
    return Reply(turn.t("bnd-phone-taken"), (review, back_to_menu(turn)))


async def _person_of(turn: Turn) -> Person | None:
    person_id = turn.data.get("person_id")
    person = await turn.session.get(Person, int(person_id)) if person_id is not None else None
    if person is None:  # removed since the ID step: start again rather than guess
        turn.finish()
        turn.say("onb-expired", buttons=main_menu(turn))
    return person


async def _take_phone(turn: Turn, event: Event) -> None:
    if _locked(turn):
        return
    if event.kind == "button":
        await _take_dispute(turn, event)
        return
    if event.kind != "contact":
        # a typed number proves nothing: only Telegram's button shares a verified one
        turn.say("bnd-phone-use-button")
        turn.entered = True
        return
    if not event.phone:
        turn.say("bnd-phone-not-own")
        turn.entered = True
        return
    person = await _person_of(turn)
    if person is None:
        return
    if not phone_matches(turn.ctx, person, event.phone):
        turn.say("bnd-phone-mismatch")
        _failed(turn)
        turn.entered = not _locked_quietly(turn)
        return
    if not await _taken(turn, person):
        await _bind(turn, person, by_phone=True)
        return
    # the phone Telegram verified is the roster's: the binding moves to this account now
    await move_binding(
        turn.session, turn.ctx, person, turn.account, actor=actor_of(turn.account), why="phone"
    )
    await tell_unit_of_binding(turn.session, turn.ctx, person, turn.account, by_phone=True)
    reset_failures(turn.account)
    turn.finish()
    turn.say("bnd-moved-by-phone", name=person.name, masked=person.id_masked)
    show_menu(turn)


def _locked_quietly(turn: Turn) -> bool:
    return locked_until(turn.account, turn.now) is not None


async def _taken_prompt(turn: Turn) -> Reply:
    return Reply(
        turn.t("bnd-person-taken", masked=turn.data.get("id_masked", "")),
        (
            (turn.step_button(turn.t("bnd-btn-ask-review"), "dispute"),),
            back_to_menu(turn),
        ),
    )


async def _take_dispute(turn: Turn, event: Event) -> None:
    if event.data != "dispute" or not turn.data.get("taken"):
        turn.outcome.notice = turn.t("btn-stale")
        turn.say("btn-stale")
        return
    person = await _person_of(turn)
    if person is None:
        return
    turn.outcome.button_accepted = True
    if not await _taken(turn, person):  # unbound meanwhile: the ordinary way, from the name
        await _after_name(turn, person)
        return
    opened = await open_dispute(turn.session, turn.ctx, turn.account, person)
    turn.finish()
    if not opened.created:
        key = "bnd-dispute-pending"
    elif opened.told:
        key = "bnd-dispute-opened"
    else:
        key = "bnd-dispute-nobody"
    turn.say(
        key,
        masked=person.id_masked,
        phone=SERVICE_LINE.phone,
        email=SERVICE_LINE.email,
        buttons=main_menu(turn),
    )


async def _unit_prompt(turn: Turn) -> Reply:
    return Reply(turn.t("onb-ask-unit"), (back_to_menu(turn),))


async def _take_unit(turn: Turn, event: Event) -> None:
    if event.kind == "text":
        units = await search_units(turn.session, event.text)
        if not units:
            turn.say("onb-unit-none", buttons=(back_to_menu(turn),))
            return
        turn.data["offered"] = [u.id for u in units]
        rows = tuple((turn.step_button(f"{u.name} ({u.code[-6:]})", f"u{u.id}"),) for u in units)
        turn.say("onb-unit-pick", buttons=(*rows, back_to_menu(turn)))
        return
    value = event.data
    offered = turn.data.get("offered") or []
    unit_id = int(value[1:]) if value.startswith("u") and value[1:].isdigit() else None
    # only a unit this user was offered is accepted, whatever the button says
    if unit_id is None or unit_id not in offered:
        turn.outcome.notice = turn.t("btn-stale")
        turn.say("btn-stale")
        return
    unit = await unit_by_id(turn.session, unit_id)
    if unit is None:
        turn.say("btn-stale")
        return
    pid = ProtectedId.from_data(turn.data)
    if await person_by_hash(turn.session, pid.id_hash) is not None:
        # imported by someone else meanwhile: the roster path must check the name
        turn.finish()
        turn.say("onb-expired", buttons=main_menu(turn))
        return
    person = await create_unconfirmed_person(
        turn.session, turn.ctx, turn.account, pid, str(turn.data.get("name", "")), unit
    )
    turn.outcome.button_accepted = True
    await _bind(turn, person)


async def _id_prompt(turn: Turn) -> Reply:
    return Reply(turn.t("onb-ask-id"), (back_to_menu(turn),))


async def _name_prompt(turn: Turn) -> Reply:
    return Reply(turn.t("onb-ask-name"), (back_to_menu(turn),))


ONBOARDING = Flow(
    name="onb",
    first="id",
    steps={
        "id": Step(prompt=_id_prompt, accepts=TEXT, handle=_take_id, sensitive=True),
        "name": Step(prompt=_name_prompt, accepts=TEXT, handle=_take_name),
        "unit": Step(prompt=_unit_prompt, accepts=TEXT_OR_BUTTONS, handle=_take_unit),
        "phone": Step(prompt=_phone_prompt, accepts=PHONE_ANSWERS, handle=_take_phone),
        "taken": Step(prompt=_taken_prompt, accepts=BUTTONS, handle=_take_dispute),
    },
)
