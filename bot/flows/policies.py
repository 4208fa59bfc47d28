"""Administrators see the yearly policies and activate a checked draft from the bot
(`/policies`); the same use cases as `cebot policy check|activate`."""

from __future__ import annotations

from bot.flows.base import BUTTONS, Event, Flow, Reply, Step, Turn
from bot.flows.features import Feature, register
from bot.flows.keyboards import back_to_menu, main_menu
from services.onboarding import active_roles
from services.policy_admin import PolicyAdminError, activate, check_year

MAX_PROBLEMS_SHOWN = 8


async def _is_admin(turn: Turn) -> bool:
    # authority from the database at every press, not from the menu that showed the button
    return any(r.role == "admin" for r in await active_roles(turn.session, turn.account))


async def show_policies(turn: Turn, _args: str = "") -> None:
    t = turn.t
    if not await _is_admin(turn):
        turn.say("pol-not-admin", buttons=main_menu(turn))
        return
    book = turn.ctx.policies
    years = sorted({*book, *book.drafts})
    lines = [t("pol-title")]
    for year in years:
        policy = book.get(year) or book.drafts[year]
        state = "demo" if policy.demo else policy.status
        key = "pol-line-source" if policy.source else "pol-line"
        lines.append(t(key, year=year, state=t(f"pol-state-{state}"), source=policy.source))
    if not years:
        lines.append(t("pol-none"))
    today = turn.today
    if today.year not in book:
        lines.append(t("pol-no-current", year=today.year))
    turn.goto(POLICIES.name, "pick")
    turn.data["drafts"] = sorted(book.drafts)
    turn.add(Reply("\n".join(lines)))


async def _pick_prompt(turn: Turn) -> Reply:
    drafts = [int(y) for y in turn.data.get("drafts", [])]
    rows = tuple((turn.step_button(turn.t("pol-check-button", year=y), f"c{y}"),) for y in drafts)
    key = "pol-pick" if drafts else "pol-no-drafts"
    return Reply(turn.t(key), (*rows, back_to_menu(turn)))


async def _picked(turn: Turn, event: Event) -> None:
    value = event.data
    if not await _is_admin(turn):
        turn.finish()
        turn.say("pol-not-admin", buttons=main_menu(turn))
        return
    offered = [int(y) for y in turn.data.get("drafts", [])]
    kind, year_text = value[:1], value[1:]
    year = int(year_text) if year_text.isdigit() else None
    if year is None or year not in offered:
        turn.outcome.notice = turn.t("btn-stale")
        turn.say("btn-stale")
        return
    if kind == "c":
        result = await check_year(turn.svc, year)
        if result.ok:
            turn.add(
                Reply(
                    turn.t("pol-check-ok", year=year),
                    (
                        (turn.step_button(turn.t("pol-activate-button", year=year), f"a{year}"),),
                        back_to_menu(turn),
                    ),
                )
            )
        else:
            shown = result.problems[:MAX_PROBLEMS_SHOWN]
            more = len(result.problems) - len(shown)
            text = "\n".join(
                [turn.t("pol-check-problems", year=year), *(f"· {p}" for p in shown)]
                + ([turn.t("pol-more", count=more)] if more > 0 else [])
            )
            turn.add(Reply(text, (back_to_menu(turn),)))
        return
    if kind == "a":
        turn.outcome.button_accepted = True
        try:
            await activate(turn.svc, year, actor=f"account:{turn.account.id}")
        except PolicyAdminError as exc:
            turn.say(f"pol-refused-{exc.reason}", year=year, buttons=(back_to_menu(turn),))
            return
        turn.finish()
        turn.say("pol-activated", year=year, buttons=main_menu(turn))
        return
    turn.say("btn-stale")


POLICIES = Flow(
    name="policies",
    first="pick",
    steps={"pick": Step(prompt=_pick_prompt, accepts=BUTTONS, handle=_picked)},
)

FEATURE = register(
    Feature(
        name="policies",
        flows=(POLICIES,),
        actions={"policies": show_policies},
        commands={"policies": "policies"},
    )
)
