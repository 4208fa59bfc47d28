"""Where a stale button leads. Every step button carries its step's nonce (`s:<nonce>:<value>`);
once the user has moved on, the nonce is no longer current. So that such a tap is not a dead
end, the account's last few nonces are kept with the flow and step that showed them (and the
few step data keys the flow names in `Flow.remember`): the router can then tell which flow an
old button belonged to and let that flow lead the user to where they are now.

The list lives in the flow state's data under RECENT, but outside `turn.data` during a turn
(`turn.seen`), so that flows replacing their data or finishing cannot drop it. It holds nonces,
flow and step names and ids only, never personal data.
"""

from __future__ import annotations

from typing import Any

from bot.flows.base import Flow, StaleTap, Turn

RECENT = "_recent"
KEEP = 8  # steps remembered: a few screens back is where old buttons are tapped
_SIMPLE = (str, int, float, bool, type(None))


def take(data: dict[str, Any]) -> list[Any]:
    """Move the remembered steps out of the step data, for the turn."""
    seen = data.pop(RECENT, None)
    return [list(e) for e in seen if isinstance(e, list) and len(e) == 4] if seen else []


def keep(turn: Turn, flow: Flow | None) -> None:
    """After the turn: remember the step on screen now, and put the list back in the data.
    A turn that moved nowhere leaves the list as it was (no write)."""
    seen = list(turn.seen)
    nonce = turn.data.get("_n")
    if flow is not None and turn.step is not None and isinstance(nonce, str) and nonce:
        memo = {
            k: turn.data[k]
            for k in flow.remember
            if k in turn.data and isinstance(turn.data[k], _SIMPLE)
        }
        seen = [e for e in seen if e[0] != nonce]
        seen.append([nonce, flow.name, turn.step, memo])
        seen = seen[-KEEP:]
    turn.seen = seen
    if seen:
        turn.data[RECENT] = seen


def recall(turn: Turn, nonce: str, value: str) -> StaleTap | None:
    """The step that showed a button with this nonce, if it is one of the last few."""
    for n, flow, step, memo in reversed(turn.seen):
        if n == nonce:
            return StaleTap(str(flow), str(step), value, dict(memo or {}))
    return None
