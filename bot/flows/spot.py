"""Spot checks (🔍, /spot): an administrator draws a reproducible sample of verified claims
(year, then the province, a city or a unit, then a size or a share), sees how many claims it
is drawn from, and assigns it to an auditor; the auditor goes through the items one by one
(the claim, the person's masked ID number, the evidence files as documents) and confirms or
revokes each, with a common reason or one they type.

Every rule is services.spot_checks': who may draw, see and mark, one decision per item, the
record no longer counting, certificates, the messages to the person and the unit. Buttons
carry a year, a list position or an item id only; the service checks the presser's authority
and the item's state again at every press, and this module asks whether the presser is still an
administrator or auditor before each screen.
"""

from __future__ import annotations

import re

from bot.flows.base import (
    BUTTONS,
    TEXT_OR_BUTTONS,
    Button,
    Event,
    Flow,
    OutgoingFile,
    Reply,
    Step,
    Turn,
)
from bot.flows.features import Feature, register
from bot.flows.keyboards import back_to_menu, main_menu
from core.hours import format_hours
from services.onboarding import search_units
from services.people_admin import accounts_with_role, when
from services.spot_checks import (
    COMMON_REVOKE_REASONS,
    DrawView,
    ItemView,
    SpotRefused,
    assign_draw,
    cities,
    draw_details,
    draw_line,
    draw_sample,
    is_staff,
    item_view,
    list_draws,
    mark_item,
    next_item,
    parse_share,
    population,
    reason_text,
    show_draw,
)
from storage.models import Unit

FLOW = "spot"
CALLBACK = "sp"  # "sp:<draw>" on the auditor's assignment notice
DRAWS_SHOWN = 8
CITIES_SHOWN = 14
AUDITORS_SHOWN = 10
SIZES = (5, 10, 20, 50)
SHARES = (5, 10)  # percent
_SIZE_TEXT = re.compile(r"^\s*(\d{1,4})\s*$")
_EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
}

# every reason services.spot_checks gives; each has spot-refused-<reason> in admin.ftl
REFUSAL_REASONS = (
    "not_admin",
    "not_auditor",
    "not_assigned",
    "auditor_account",
    "no_policy",
    "size_or_share",
    "size",
    "share",
    "seed",
    "unknown_unit",
    "empty",
    "not_found",
    "closed",
    "reason_required",
    "reason_too_long",
    "own_claim",
    "own_decision",
    "busy",
)


def _refused(turn: Turn, exc: SpotRefused) -> None:
    turn.outcome.notice = turn.t(f"spot-refused-{exc.reason}", **exc.args_)
    turn.say(f"spot-refused-{exc.reason}", buttons=(back_to_menu(turn),), **exc.args_)


async def _staff(turn: Turn) -> tuple[bool, bool]:
    """(administrator, auditor) now, read again at every press."""
    return await is_staff(turn.svc, turn.account.id)


async def _not_staff(turn: Turn) -> bool:
    admin, auditor = await _staff(turn)
    if admin or auditor:
        return False
    turn.finish()
    turn.say("spot-not-allowed", buttons=main_menu(turn))
    return True


async def _not_admin(turn: Turn) -> bool:
    admin, _auditor = await _staff(turn)
    if admin:
        return False
    turn.finish()
    turn.say("spot-refused-not_admin", buttons=main_menu(turn))
    return True


def _stale(turn: Turn) -> None:
    turn.outcome.notice = turn.t("btn-stale")
    turn.say("btn-stale", buttons=(back_to_menu(turn),))


# ------------------------------------------------------------------ home: the draws


async def open_spot(turn: Turn, args: str) -> None:
    if await _not_staff(turn):
        return
    turn.goto(FLOW, "home")


async def _home_prompt(turn: Turn) -> Reply:
    t = turn.t
    admin, _auditor = await _staff(turn)
    try:
        draws = await list_draws(turn.svc, turn.account.id, limit=DRAWS_SHOWN)
    except SpotRefused:
        draws = []
    lines = [t("spot-home-admin" if admin else "spot-home-auditor")]
    rows: list[tuple[Button, ...]] = []
    for draw in draws:
        lines.append(draw_line(t, draw))
        rows.append((turn.step_button(t("spot-button-draw", id=draw.id), f"d{draw.id}"),))
    if not draws:
        lines.append(t("spot-none"))
    if admin:
        rows.insert(0, (turn.step_button(t("spot-button-new"), "new"),))
    return Reply("\n".join(lines), (*rows, back_to_menu(turn)))


async def _home(turn: Turn, event: Event) -> None:
    if await _not_staff(turn):
        return
    value = event.data
    if value == "new":
        if await _not_admin(turn):
            return
        years = sorted(turn.ctx.policies, reverse=True)[:3]
        if not years:
            turn.say("spot-no-years", buttons=(back_to_menu(turn),))
            return
        turn.data = {"years": years}
        turn.goto(FLOW, "year")
        return
    if value.startswith("d") and value[1:].isdigit():
        await _open_draw(turn, int(value[1:]))
        return
    _stale(turn)


async def _open_draw(turn: Turn, check_id: int) -> None:
    try:
        draw, _items = await show_draw(turn.svc, turn.account.id, check_id)
    except SpotRefused as exc:
        turn.finish()
        _refused(turn, exc)
        return
    turn.data = {"check": draw.id}
    turn.goto(FLOW, "draw")


async def from_notice(turn: Turn, rest: str) -> None:
    """The button on the assignment notice: "sp:<draw>"."""
    turn.finish()
    if await _not_staff(turn):
        return
    if not rest.isdigit():
        _stale(turn)
        return
    await _open_draw(turn, int(rest))


# ------------------------------------------------------------------ a new draw


async def _year_prompt(turn: Turn) -> Reply:
    years = [int(y) for y in turn.data.get("years", [])]
    row = tuple(turn.step_button(str(y), f"y{y}") for y in years)
    return Reply(turn.t("spot-ask-year"), (row, back_to_menu(turn)))


async def _year(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    value = event.data
    year = int(value[1:]) if value.startswith("y") and value[1:].isdigit() else None
    if year is None or year not in turn.data.get("years", []):
        _stale(turn)
        return
    turn.data["year"] = year
    turn.data["cities"] = (await cities(turn.svc))[:CITIES_SHOWN]
    turn.goto(FLOW, "scope")


async def _scope_prompt(turn: Turn) -> Reply:
    t = turn.t
    names = [str(c) for c in turn.data.get("cities", [])]
    rows: list[tuple[Button, ...]] = [(turn.step_button(t("spot-scope-province"), "all"),)]
    city_buttons = [turn.step_button(c[:20], f"c{i}") for i, c in enumerate(names)]
    rows += [tuple(city_buttons[i : i + 3]) for i in range(0, len(city_buttons), 3)]
    return Reply(t("spot-ask-scope", year=turn.data.get("year", "")), (*rows, back_to_menu(turn)))


async def _scope(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    if event.kind == "text":
        units = await search_units(turn.session, event.text)
        if not units:
            turn.say("spot-unit-none", buttons=(back_to_menu(turn),))
            return
        turn.data["offered"] = [[u.id, u.name] for u in units]
        rows = tuple((turn.step_button(f"{u.name} ({u.code[-6:]})", f"u{u.id}"),) for u in units)
        turn.say("spot-unit-pick", buttons=(*rows, back_to_menu(turn)))
        return
    value = event.data
    names = [str(c) for c in turn.data.get("cities", [])]
    offered = {int(uid): str(name) for uid, name in turn.data.get("offered", [])}
    turn.data.pop("city", None)
    turn.data.pop("unit", None)
    if value == "all":
        pass
    elif value.startswith("c") and value[1:].isdigit() and int(value[1:]) < len(names):
        turn.data["city"] = names[int(value[1:])]
    elif value.startswith("u") and value[1:].isdigit() and int(value[1:]) in offered:
        # only a unit this user was offered is accepted, whatever the button says
        unit = await turn.session.get(Unit, int(value[1:]))
        if unit is None:
            _stale(turn)
            return
        turn.data["unit"] = [unit.id, unit.name, unit.code]
    else:
        _stale(turn)
        return
    try:
        city, unit_id = _filter(turn)
        turn.data["population"] = await population(
            turn.svc, turn.account.id, year=int(turn.data["year"]), city=city, unit=unit_id
        )
    except SpotRefused as exc:
        _refused(turn, exc)
        return
    if not turn.data["population"]:
        turn.say("spot-refused-empty", year=turn.data["year"], buttons=(back_to_menu(turn),))
        turn.goto(FLOW, "scope")
        return
    turn.goto(FLOW, "size")


def _filter(turn: Turn) -> tuple[str | None, int | None]:
    """The draft's city or unit (a unit id, as offered to this user)."""
    unit = turn.data.get("unit")
    city = turn.data.get("city")
    return (str(city) if city else None), (int(unit[0]) if unit else None)


def _scope_text(turn: Turn) -> str:
    unit = turn.data.get("unit")
    if unit:
        return turn.t("spot-scope-unit", unit=str(unit[1]), code=str(unit[2]))
    if turn.data.get("city"):
        return turn.t("spot-scope-city", city=str(turn.data["city"]))
    return turn.t("spot-scope-province")


async def _size_prompt(turn: Turn) -> Reply:
    t = turn.t
    sizes = tuple(turn.step_button(str(n), f"n{n}") for n in SIZES)
    shares = tuple(turn.step_button(f"{p}%", f"p{p}") for p in SHARES)
    text = t(
        "spot-ask-size",
        year=turn.data.get("year", ""),
        scope=_scope_text(turn),
        population=int(turn.data.get("population", 0)),
    )
    return Reply(text, (sizes, shares, back_to_menu(turn)))


async def _size(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    size: int | None = None
    share: str | None = None
    if event.kind == "button":
        value = event.data
        if value[:1] in ("n", "p") and value[1:].isdigit():
            if value[0] == "n":
                size = int(value[1:])
            else:
                share = f"{value[1:]}%"
        else:
            _stale(turn)
            return
    else:
        text = event.text.strip()
        match = _SIZE_TEXT.match(text)
        if match:
            size = int(match.group(1))
        else:
            try:
                parse_share(text)
            except SpotRefused:
                turn.say("spot-size-invalid")
                turn.entered = True  # the choices again, under the explanation
                return
            share = text
    turn.data["size"] = size
    turn.data["share"] = share
    turn.goto(FLOW, "confirm")


async def _confirm_prompt(turn: Turn) -> Reply:
    t = turn.t
    size = turn.data.get("size")
    amount = str(size) if size else str(turn.data.get("share", ""))
    text = t(
        "spot-ask-confirm",
        year=turn.data.get("year", ""),
        scope=_scope_text(turn),
        population=int(turn.data.get("population", 0)),
        amount=amount,
    )
    return Reply(text, ((turn.step_button(t("spot-button-draw-now"), "go"),), back_to_menu(turn)))


async def _confirm(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    if event.data != "go":
        _stale(turn)
        return
    size = turn.data.get("size")
    city, unit_id = _filter(turn)
    try:
        draw = await draw_sample(
            turn.svc,
            turn.account.id,
            year=int(turn.data["year"]),
            size=int(size) if size else None,
            share=None if size else str(turn.data.get("share")),
            city=city,
            unit=unit_id,
        )
    except SpotRefused as exc:
        _refused(turn, exc)
        return
    turn.say("spot-drawn")
    turn.add(Reply("\n".join(draw_details(turn.t, draw))))
    turn.data = {"check": draw.id}
    await _offer_auditors(turn)


async def _offer_auditors(turn: Turn) -> None:
    auditors = await accounts_with_role(turn.svc, turn.account.id, "auditor")
    turn.data["auditors"] = [r.account_id for r in auditors[:AUDITORS_SHOWN]]
    turn.goto(FLOW, "assign")


async def _assign_prompt(turn: Turn) -> Reply:
    t = turn.t
    offered = [int(a) for a in turn.data.get("auditors", [])]
    if not offered:
        later = turn.step_button(t("spot-button-later"), "later")
        return Reply(t("spot-no-auditors"), ((later,), back_to_menu(turn)))
    auditors = await accounts_with_role(turn.svc, turn.account.id, "auditor")
    names = {r.account_id: r.person_name or r.account_name or f"#{r.account_id}" for r in auditors}
    rows = tuple(
        (turn.step_button(names.get(a, f"#{a}")[:30], f"a{a}"),) for a in offered if a in names
    )
    later = turn.step_button(t("spot-button-later"), "later")
    return Reply(t("spot-ask-auditor"), (*rows, (later,), back_to_menu(turn)))


async def _assign(turn: Turn, event: Event) -> None:
    if await _not_admin(turn):
        return
    value = event.data
    check_id = int(turn.data.get("check", 0))
    if value == "later":
        await _open_draw(turn, check_id)
        return
    offered = [int(a) for a in turn.data.get("auditors", [])]
    if not (value.startswith("a") and value[1:].isdigit() and int(value[1:]) in offered):
        _stale(turn)
        return
    try:
        draw = await assign_draw(turn.svc, turn.account.id, check_id, int(value[1:]))
    except SpotRefused as exc:
        _refused(turn, exc)
        return
    turn.outcome.notice = turn.t("spot-assigned", id=draw.id, auditor=draw.auditor_name or "")
    turn.say("spot-assigned", id=draw.id, auditor=draw.auditor_name or "")
    await _open_draw(turn, draw.id)


# ------------------------------------------------------------------ one draw


async def _draw_prompt(turn: Turn) -> Reply:
    t = turn.t
    check_id = int(turn.data.get("check", 0))
    try:
        draw, _items = await show_draw(turn.svc, turn.account.id, check_id)
    except SpotRefused as exc:
        return Reply(t(f"spot-refused-{exc.reason}", **exc.args_), (back_to_menu(turn),))
    admin, _auditor = await _staff(turn)
    rows: list[tuple[Button, ...]] = []
    if draw.open and (draw.auditor_account_id == turn.account.id or admin):
        rows.append((turn.step_button(t("spot-button-check", open=draw.open), "check"),))
    if admin and draw.status == "open":
        rows.append((turn.step_button(t("spot-button-assign"), "assign"),))
    rows.append((turn.step_button(t("spot-button-home"), "home"),))
    return Reply("\n".join(_draw_text(turn, draw)), (*rows, back_to_menu(turn)))


def _draw_text(turn: Turn, draw: DrawView) -> list[str]:
    lines = draw_details(turn.t, draw)
    if draw.status == "done":
        lines.append(turn.t("spot-draw-done", id=draw.id))
    return lines


async def _draw(turn: Turn, event: Event) -> None:
    if await _not_staff(turn):
        return
    value = event.data
    if value == "home":
        turn.data = {}
        turn.goto(FLOW, "home")
    elif value == "assign":
        if await _not_admin(turn):
            return
        await _offer_auditors(turn)
    elif value == "check":
        await _show_next(turn, after_seq=0)
    else:
        _stale(turn)


# ------------------------------------------------------------------ checking items


async def _show_next(turn: Turn, after_seq: int) -> None:
    check_id = int(turn.data.get("check", 0))
    try:
        item = await next_item(turn.svc, turn.account.id, check_id, after_seq=after_seq)
    except SpotRefused as exc:
        turn.finish()
        _refused(turn, exc)
        return
    if item is None:
        turn.say("spot-all-marked", id=check_id)
        turn.goto(FLOW, "draw")
        return
    turn.data.update(item=item.id, seq=item.seq)
    turn.goto(FLOW, "item")
    turn.entered = False  # shown here, with its files; the prompt only repeats the text
    _send_files(turn, item)
    turn.add(_item_reply(turn, item))


def _item_text(turn: Turn, item: ItemView) -> str:
    t = turn.t
    lines = [
        t("spot-item-title", seq=item.seq, size=item.size, id=item.check_id),
        t("spot-item-person", name=item.person_name, masked=item.id_masked),
        t("spot-item-unit", unit=item.unit_name or "-"),
        t(
            "spot-item-claim",
            year=item.year,
            title=item.title,
            organiser=item.organiser or "-",
            hours=format_hours(item.hours),
        ),
        t(
            "spot-item-dates",
            start=(item.started_on or item.completed_on).isoformat(),
            end=item.completed_on.isoformat(),
        ),
        t(
            "spot-item-approved",
            by=item.decided_by_name or "-",
            at=when(item.decided_at),
        ),
        t("spot-item-evidence", count=len(item.evidence)),
    ]
    return "\n".join(lines)


def _item_reply(turn: Turn, item: ItemView) -> Reply:
    t = turn.t
    buttons = (
        (
            turn.step_button(t("spot-button-confirm"), f"ok{item.id}"),
            turn.step_button(t("spot-button-revoke"), f"rv{item.id}"),
        ),
        (
            turn.step_button(t("spot-button-skip"), "skip"),
            turn.step_button(t("spot-button-stop"), "stop"),
        ),
    )
    return Reply(_item_text(turn, item), (*buttons, back_to_menu(turn)))


def _send_files(turn: Turn, item: ItemView) -> None:
    for n, evidence in enumerate(item.evidence, start=1):
        if not evidence.path.is_file():
            turn.say("spot-evidence-missing", n=n)
            continue
        ext = _EXTENSIONS.get(evidence.mime, "bin")
        turn.add(
            Reply(
                turn.t("spot-evidence-caption", n=n, count=len(item.evidence), id=item.record_id),
                file=OutgoingFile(
                    path=str(evidence.path), name=f"evidence-{item.record_id}-{n}.{ext}"
                ),
            )
        )


async def _item_prompt(turn: Turn) -> Reply:
    try:
        item = await item_view(turn.svc, turn.account.id, int(turn.data.get("item", 0)))
    except SpotRefused as exc:
        return Reply(turn.t(f"spot-refused-{exc.reason}", **exc.args_), (back_to_menu(turn),))
    return _item_reply(turn, item)


async def _item(turn: Turn, event: Event) -> None:
    if await _not_staff(turn):
        return
    value = event.data
    current = int(turn.data.get("item", 0))
    if value == "skip":
        await _show_next(turn, after_seq=int(turn.data.get("seq", 0)))
        return
    if value == "stop":
        turn.goto(FLOW, "draw")
        return
    if value == f"ok{current}":
        await _mark(turn, confirm=True, reason=None)
        return
    if value == f"rv{current}":
        turn.goto(FLOW, "reason")
        return
    _stale(turn)


async def _reason_prompt(turn: Turn) -> Reply:
    t = turn.t
    buttons = [
        turn.step_button(t(f"spot-reason-{code}"), f"r_{code}") for code in COMMON_REVOKE_REASONS
    ]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    rows.append((turn.step_button(t("spot-button-back-item"), "back"),))
    return Reply(t("spot-ask-reason"), (*rows, back_to_menu(turn)))


async def _reason(turn: Turn, event: Event) -> None:
    if await _not_staff(turn):
        return
    if event.kind == "text":
        await _mark(turn, confirm=False, reason=event.text)
        return
    value = event.data
    if value == "back":
        turn.goto(FLOW, "item")
        return
    code = value.removeprefix("r_")
    if not value.startswith("r_") or code not in COMMON_REVOKE_REASONS:
        _stale(turn)
        return
    await _mark(turn, confirm=False, reason=code)


async def _mark(turn: Turn, *, confirm: bool, reason: str | None) -> None:
    t = turn.t
    try:
        result = await mark_item(
            turn.svc, turn.account.id, int(turn.data.get("item", 0)), confirm=confirm, reason=reason
        )
    except SpotRefused as exc:
        if exc.reason in ("reason_required", "reason_too_long"):
            turn.say(f"spot-refused-{exc.reason}", **exc.args_)
            return  # stay: type the reason again
        turn.finish()
        _refused(turn, exc)
        return
    item = result.item
    if result.already:
        turn.outcome.notice = t(
            "spot-already", outcome=t(f"spot-outcome-{item.outcome}"), by=item.marked_by or "-"
        )
        turn.say(
            "spot-already", outcome=t(f"spot-outcome-{item.outcome}"), by=item.marked_by or "-"
        )
    elif item.outcome == "revoked":
        turn.outcome.notice = t("spot-marked-revoked-short")
        turn.say(
            "spot-marked-revoked",
            title=item.title,
            reason=reason_text(t, item.reason),
            person=result.person_told,
            reviewers=result.reviewers_told,
        )
        for number in result.certificates_revoked:
            turn.say("spot-cert-revoked", number=number)
    elif item.outcome == "void":
        turn.say("spot-marked-void", reason=reason_text(t, item.reason))
    else:
        turn.outcome.notice = t("spot-marked-confirmed")
        turn.say("spot-marked-confirmed")
    await _show_next(turn, after_seq=item.seq)


SPOT = Flow(
    name=FLOW,
    first="home",
    steps={
        "home": Step(prompt=_home_prompt, accepts=BUTTONS, handle=_home),
        "year": Step(prompt=_year_prompt, accepts=BUTTONS, handle=_year),
        "scope": Step(prompt=_scope_prompt, accepts=TEXT_OR_BUTTONS, handle=_scope),
        "size": Step(prompt=_size_prompt, accepts=TEXT_OR_BUTTONS, handle=_size),
        "confirm": Step(prompt=_confirm_prompt, accepts=BUTTONS, handle=_confirm),
        "assign": Step(prompt=_assign_prompt, accepts=BUTTONS, handle=_assign),
        "draw": Step(prompt=_draw_prompt, accepts=BUTTONS, handle=_draw),
        "item": Step(prompt=_item_prompt, accepts=BUTTONS, handle=_item),
        "reason": Step(prompt=_reason_prompt, accepts=TEXT_OR_BUTTONS, handle=_reason),
    },
)

FEATURE = register(
    Feature(
        name="spot",
        flows=(SPOT,),
        actions={"spot": open_spot},
        commands={"spot": "spot"},
        callbacks={CALLBACK: from_notice},
    )
)
