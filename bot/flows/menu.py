"""Main menu screens: progress, help, language, binding (see and leave)."""

from __future__ import annotations

from bot.flows import features
from bot.flows.base import BUTTONS, Button, Event, Flow, Reply, Step, Turn
from bot.flows.keyboards import back_to_menu, main_menu
from bot.flows.progress import (
    other_years,
    past_year_text,
    progress_text,
    share_text,
    shown_policy,
)
from core.hours import format_hours
from services.accounts import bound_person, set_language
from services.i18n import LANGUAGES
from services.onboarding import SERVICE_LINE, active_roles, leave_binding, unit_by_id


def show_menu(turn: Turn, greeting: str = "menu-title") -> None:
    turn.say(greeting, buttons=main_menu(turn))


async def show_progress(turn: Turn) -> None:
    text = await progress_text(turn)
    if text is None:
        turn.say(
            "prog-not-bound",
            buttons=((Button(turn.t("bind-start-button"), "m:start"),), back_to_menu(turn)),
        )
        return
    policy = shown_policy(turn)
    years = other_years(turn, policy.year) if policy is not None else []
    # "py:<year>" shows an earlier year of the pressing account's own person, nobody else's
    history = (
        (tuple(Button(turn.t("prog-year-button", year=str(y)), f"py:{y}") for y in years),)
        if years
        else ()
    )
    turn.add(Reply(text, (*history, *main_menu(turn))))


async def show_past_year(turn: Turn, rest: str) -> None:
    turn.finish()
    year = int(rest) if rest.isdigit() and len(rest) == 4 else None
    text = await past_year_text(turn, year) if year is not None else None
    if text is None:
        await show_progress(turn)
        return
    turn.add(Reply(text, main_menu(turn)))


def show_help(turn: Turn) -> None:
    t = turn.t
    policy = shown_policy(turn)
    parts = [t("help-title")]
    if policy is not None:
        parts.append(
            t(
                "help-rules",
                year=str(policy.year),
                min=format_hours(policy.min_total_hours),
                share=share_text(policy.professional_share),
                mandatory=format_hours(policy.mandatory_hours),
                electives=format_hours(policy.elective_hours),
                attempts=str(policy.exam.attempts),
                public_deadline=policy.public_deadline.isoformat(),
                registration_deadline=policy.registration_deadline.isoformat(),
            )
        )
    line = SERVICE_LINE
    parts.append(
        t(
            "help-contact",
            phone=line.phone,
            email=line.email,
            hours=line.hours_text(),
        )
    )
    parts.append(t("help-line-open" if line.open_at(turn.now) else "help-line-closed"))
    parts.append(t("help-commands"))
    turn.add(Reply("\n".join(parts), main_menu(turn)))


def show_language(turn: Turn) -> None:
    turn.say(
        "lang-choose",
        buttons=(
            tuple(Button(turn.t(f"lang-name-{code}"), f"lang:{code}") for code in LANGUAGES),
            back_to_menu(turn),
        ),
    )


def choose_language(turn: Turn, code: str) -> None:
    set_language(turn.account, code)
    turn.say("lang-set")
    show_menu(turn)


async def show_binding(turn: Turn) -> None:
    t = turn.t
    person = await bound_person(turn.session, turn.account)
    roles = await active_roles(turn.session, turn.account)
    lines: list[str] = []
    buttons: list[tuple[Button, ...]] = []
    if person is None:
        lines.append(t("bind-none"))
        buttons.append((Button(t("bind-start-button"), "m:start"),))
    else:
        unit = await unit_by_id(turn.session, person.unit_id) if person.unit_id else None
        lines.append(
            t(
                "bind-show",
                name=person.name,
                masked=person.id_masked,
                unit=unit.name if unit else t("bind-no-unit"),
            )
        )
        if not person.unit_confirmed:
            lines.append(t("prog-unit-unconfirmed"))
        buttons.append((Button(t("bind-leave-button"), "m:leave"),))
        if "remind" in features.actions():  # the reminder settings (mute optional ones)
            buttons.append((Button(t("menu-reminders"), "m:remind"),))
    for role in roles:
        lines.append(t("bind-role", role=t(f"role-{role.role}")))
    buttons.append(back_to_menu(turn))
    turn.add(Reply("\n".join(lines), tuple(buttons)))


async def start_leave(turn: Turn) -> None:
    # authorisation re-checked at every press: only a bound account can leave
    if turn.account.person_id is None:
        turn.finish()
        turn.say("bind-none", buttons=main_menu(turn))
        return
    turn.goto("leave", "confirm")


async def _leave_prompt(turn: Turn) -> Reply:
    person = await bound_person(turn.session, turn.account)
    return Reply(
        turn.t("leave-confirm", name=person.name if person else ""),
        (
            (
                turn.step_button(turn.t("leave-yes"), "yes"),
                turn.step_button(turn.t("leave-no"), "no"),
            ),
        ),
    )


async def _leave_answer(turn: Turn, event: Event) -> None:
    turn.finish()
    if event.data == "yes" and await leave_binding(turn.session, turn.ctx, turn.account):
        turn.say("leave-done", buttons=main_menu(turn))
    elif event.data == "yes":
        turn.say("bind-none", buttons=main_menu(turn))
    else:
        turn.say("leave-kept", buttons=main_menu(turn))


HISTORY = features.register(features.Feature(name="history", callbacks={"py": show_past_year}))

LEAVE = Flow(
    name="leave",
    first="confirm",
    steps={"confirm": Step(prompt=_leave_prompt, accepts=BUTTONS, handle=_leave_answer)},
)
