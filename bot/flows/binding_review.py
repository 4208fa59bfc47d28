"""The reviewer's side of a binding dispute (issue 17 item 4): the "bd:move:<id>" and
"bd:keep:<id>" buttons of the notice. Authority is re-checked by the service on every press;
the callback data holds only the dispute's number."""

from __future__ import annotations

from bot.flows.base import Turn
from bot.flows.features import Feature, register
from bot.flows.keyboards import main_menu
from services.binding_review import DISPUTE_CALLBACK, DisputeRefused, decide_dispute


async def on_dispute_button(turn: Turn, rest: str) -> None:
    action, _, ident = rest.partition(":")
    if action not in ("move", "keep") or not ident.isdigit() or len(ident) > 18:
        turn.outcome.notice = turn.t("btn-unknown")
        turn.say("btn-unknown", buttons=main_menu(turn))
        return
    try:
        decision = await decide_dispute(
            turn.session, turn.ctx, turn.account, int(ident), move=action == "move"
        )
    except DisputeRefused as exc:
        text = turn.t(f"bnd-refused-{exc.reason}")
        turn.outcome.notice = text[:190]
        turn.say(f"bnd-refused-{exc.reason}", buttons=main_menu(turn))
        return
    key = f"bnd-{'already' if decision.already else 'decided'}-{decision.status}"
    turn.outcome.button_accepted = True  # decided, now or before: the buttons are used up
    turn.outcome.notice = turn.t(key, name=decision.name, masked=decision.masked)[:190]
    turn.say(key, name=decision.name, masked=decision.masked, buttons=main_menu(turn))


FEATURE = register(Feature(name="binding_review", callbacks={DISPUTE_CALLBACK: on_dispute_button}))
