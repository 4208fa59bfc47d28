"""Where each event goes: commands and menu buttons work from every screen; text, step
buttons and files go to the current step of the current flow. An old step button (its nonce
no longer current) leads to where the user is now in the flow it belonged to (stale.py)."""

from __future__ import annotations

import re

from bot.flows import (
    binding_review,
    certs,
    claim,
    features,
    menu,
    notices,
    onboarding,
    people,
    policies,
    privacy,
    reports,
    review,
    spot,
    stale,
    study,
    upload,
)
from bot.flows.base import PAUSED, Event, Flow, Reply, Step, Turn
from bot.flows.keyboards import MENU_ACTIONS, main_menu
from core.idnumber import contains_id_number
from services.accounts import bound_person
from services.i18n import LANGUAGES

# the feature modules register themselves on import
_FEATURES = (
    binding_review,
    study,
    claim,
    review,
    upload,
    certs,
    notices,
    policies,
    reports,
    spot,
    people,
    privacy,
)

FLOWS: dict[str, Flow] = {
    f.name: f for f in (onboarding.ONBOARDING, menu.LEAVE, *features.flows().values())
}

_STEP_BUTTON = re.compile(r"^s:([0-9a-f]{4}):([A-Za-z0-9_]{1,40})$")

COMMANDS = ("start", "menu", "progress", "help", "language", "binding", "cancel")


def all_commands() -> tuple[str, ...]:
    """Every command the bot answers, for Telegram's command menu."""
    return (*COMMANDS, *features.commands())


def current_step(turn: Turn) -> Step | None:
    flow = FLOWS.get(turn.flow or "")
    return flow.steps.get(turn.step or "") if flow else None


async def show_prompt(turn: Turn) -> None:
    step = current_step(turn)
    if step is None:
        return
    if isinstance(step.prompt, str):
        turn.say(step.prompt)
    else:
        turn.add(await step.prompt(turn))


async def dispatch(turn: Turn, event: Event) -> None:
    # the steps shown lately, so that their buttons lead somewhere once stale (stale.py)
    turn.seen = stale.take(turn.data)
    await _dispatch(turn, event)
    stale.keep(turn, FLOWS.get(turn.flow or ""))


async def _dispatch(turn: Turn, event: Event) -> None:
    if await privacy.ask_again_if_notice_changed(turn):
        # the notice changed since this person agreed: nothing else until they answer
        await show_prompt(turn)
        return
    if event.kind == "command":
        await _command(turn, event.command, event.text)
    elif event.kind == "button":
        await _button(turn, event.data, internal=event.internal)
    elif event.kind == "open":
        await _open(turn)
    else:
        await _input(turn, event)
    # a step entered during this turn asks its question (after any messages before it)
    if turn.entered:
        await show_prompt(turn)


def _leave_flow(turn: Turn) -> None:
    """Leave the current flow (a menu button, or an old button of another flow); a resumable
    flow's draft is kept aside."""
    flow = FLOWS.get(turn.flow or "")
    paused = (
        {"flow": turn.flow, "step": turn.step, "data": dict(turn.data)}
        # a draft with something in it (not only the step's nonce)
        if flow is not None and flow.resumable and any(not k.startswith("_") for k in turn.data)
        else turn.data.get(PAUSED)  # looking around while a draft waits: it keeps waiting
    )
    turn.finish()
    if paused:
        turn.data[PAUSED] = paused


async def _menu_action(turn: Turn, action: str, args: str = "") -> None:
    # leaving a flow by the menu is always allowed
    _leave_flow(turn)
    feature_action = features.actions().get(action)
    if feature_action is not None:
        await feature_action(turn, args)
    elif action == "menu":
        menu.show_menu(turn)
    elif action == "prog":
        await menu.show_progress(turn)
    elif action == "help":
        menu.show_help(turn)
    elif action == "lang":
        menu.show_language(turn)
    elif action == "bind":
        await menu.show_binding(turn)
    elif action == "leave":
        await menu.start_leave(turn)
    elif action == "start":
        await onboarding.start(turn, "")


async def _command(turn: Turn, command: str, args: str) -> None:
    if command == "start":
        await onboarding.start(turn, args)
        return
    mapped = {
        "menu": "menu",
        "progress": "prog",
        "help": "help",
        "language": "lang",
        "binding": "bind",
    }
    mapped.update(features.commands())
    if command in mapped:
        await _menu_action(turn, mapped[command], args)
    elif command == "cancel":
        was_active = turn.flow is not None
        turn.finish()
        turn.say("flow-cancelled" if was_active else "flow-nothing-to-cancel")
        menu.show_menu(turn)
    else:
        turn.say("cmd-unknown", command=command[:32])
        if current_step(turn) is not None:
            turn.entered = True  # ask the current question again
        else:
            menu.show_menu(turn)


async def _stale(turn: Turn, nonce: str, value: str) -> None:
    """An old button (or one from another screen): never a dead end. The flow that showed it
    leads the user to where they are now (its `on_stale`); else the current step is shown
    again, else the menu, each with a sentence saying so."""
    turn.outcome.notice = turn.t("btn-stale-moved")
    tap = stale.recall(turn, nonce, value)
    flow = FLOWS.get(tap.flow) if tap is not None else None
    if tap is not None and flow is not None and flow.on_stale is not None:
        if turn.flow != flow.name:
            _leave_flow(turn)  # as a menu button would: a draft elsewhere is kept aside
        if await flow.on_stale(turn, tap):
            return
    if current_step(turn) is not None:
        turn.say("btn-stale-here")
        turn.entered = True  # the current question again, its buttons still valid
        return
    turn.outcome.notice = turn.t("btn-stale")
    turn.add(Reply(turn.t("btn-stale-menu"), main_menu(turn)))


async def _button(turn: Turn, data: str, *, internal: bool = False) -> None:
    kind, _, rest = data.partition(":")
    if kind == "m" and (rest in MENU_ACTIONS or rest in features.actions()):
        # menu buttons stay valid on every older message: their keyboard is not removed
        await _menu_action(turn, rest)
        return
    if kind == "lang" and rest in LANGUAGES:
        turn.finish()
        menu.choose_language(turn, rest)
        return
    route = features.callbacks().get(kind)
    if route is not None:
        # a feature's own buttons (e.g. "rv:queue" in a reminder): it re-checks authority
        await route(turn, rest)
        return
    match = _STEP_BUTTON.match(data)
    if match is None:
        # forged or from an older version of the bot
        turn.outcome.notice = turn.t("btn-unknown")
        turn.add(Reply(turn.t("btn-unknown"), main_menu(turn)))
        return
    nonce, value = match.groups()
    step = current_step(turn)
    if step is None or nonce != turn.data.get("_n") or "button" not in step.accepts:
        if internal:  # the user moved on while the follow-up ran: nothing to say
            return
        await _stale(turn, nonce, value)
        return
    turn.outcome.button_accepted = not internal
    await step.handle(turn, Event.button(value))


async def _input(turn: Turn, event: Event) -> None:
    if contains_id_number(event.text):
        # an ID number typed anywhere is removed from the chat, not only at the ID step
        turn.outcome.delete_incoming = True
    step = current_step(turn)
    verify = features.actions().get("verify")
    if step is None and verify is not None and "/verify/" in event.text:
        await verify(turn, event.text)  # a pasted certificate link: check it
        return
    if step is None:
        turn.say("input-no-flow", buttons=main_menu(turn))
        return
    if step.sensitive:
        turn.outcome.delete_incoming = True
    if event.kind not in step.accepts:
        key = "input-use-buttons" if step.accepts == {"button"} else "input-not-expected"
        turn.say(key)
        turn.entered = True
        return
    await step.handle(turn, event)


async def _open(turn: Turn) -> None:
    """A session opens (console): resume the current step, else greet."""
    if current_step(turn) is not None:
        turn.say("flow-resume")
        turn.entered = True
        return
    turn.finish()
    if await bound_person(turn.session, turn.account) is not None:
        menu.show_menu(turn, "menu-welcome-back")
    else:
        await onboarding.start(turn, "")
