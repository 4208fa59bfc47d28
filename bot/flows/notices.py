"""Reminder settings, and the administrators' broadcasts and campaign reports.

- 🔔 Reminder settings (`m:remind` on the binding screen, /reminders): optional reminders on or
  off (Account.muted_optional), with the days they come. The final reminder before each
  deadline (core.reminders: the one sent the fewest days before it) and administrators'
  notices reach a muted person too; the screen says which days those are. The toggle's buttons
  ("nt:off", "nt:on") say the state wanted, not "toggle": a double press changes nothing more.
- 🛠 Admin (`m:admin`, /admin): broadcast a notice (audience by city, unit and study status;
  the text; a preview with the exact count and the message as it will look; confirm), then the
  campaign's report; and the reports of the latest campaigns. Every press re-reads the
  account's roles from the database: a revoked administrator's old buttons are refused.

A broadcast's campaign key is made when its preview is shown and kept in the flow's draft, so
the notice is queued once however often "confirm" is pressed: a second press finds its step
gone (a stale button: it says the notice is queued, for how many, with the report button), and
in a race of two presses the key is already taken (services.reminders.queue_broadcast queues
nothing for a known key).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any

from bot.flows.base import (
    BUTTONS,
    TEXT,
    TEXT_OR_BUTTONS,
    Button,
    Event,
    Flow,
    Reply,
    StaleTap,
    Step,
    Turn,
)
from bot.flows.features import Feature, register
from bot.flows.keyboards import back_to_menu, main_menu
from core.idnumber import contains_id_number
from services.onboarding import active_roles, actor_of, search_units
from services.policies import SHANGHAI
from services.reminders import (
    BROADCAST,
    AudienceStatus,
    BroadcastFilter,
    BroadcastTooLong,
    CampaignError,
    CampaignReport,
    broadcast_cities,
    campaign_report,
    preview_broadcast,
    queue_broadcast,
    recent_campaigns,
    render_message,
    set_optional_muted,
    status_year,
)

FLOW = "admin"
MUTE_CALLBACK = "nt"  # "nt:off" mutes the optional reminders, "nt:on" turns them on again
MAX_NOTICE_LENGTH = 1000  # characters of a notice (Telegram allows 4096 per message)
CITIES_OFFERED = 16
UNITS_OFFERED = 8
CAMPAIGNS_SHOWN = 8
# campaign kinds with a name in the catalogues (others are shown as stored)
KINDS = ("broadcast", "public", "professional", "reviewer", "unit_remind")
# the status buttons: value -> (AudienceStatus, label key)
STATUSES: dict[str, tuple[AudienceStatus, str]] = {
    "all": (AudienceStatus.ALL, "ntc-bc-status-all"),
    "pub": (AudienceStatus.PUBLIC_INCOMPLETE, "ntc-bc-status-public"),
    "year": (AudienceStatus.INCOMPLETE, "ntc-bc-status-year"),
}

Handler = Callable[[Turn, Event], Awaitable[None]]


# ------------------------------------------------------------------ reminder settings


def _schedule_lines(turn: Turn) -> list[str]:
    """For the next public and professional deadline: the days before it that reminders come,
    and the day of the final one (which a mute does not hold back)."""
    today = turn.today
    lines: list[str] = []
    for key in ("ntc-schedule-public", "ntc-schedule-professional"):
        best: tuple[date, tuple[int, ...]] | None = None
        for policy in turn.ctx.policies.values():
            if key == "ntc-schedule-public":
                deadline, days = policy.public_deadline, policy.public_reminder_days
            else:
                deadline, days = policy.registration_deadline, policy.professional_reminder_days
            if days and deadline >= today and (best is None or deadline < best[0]):
                best = (deadline, days)
        if best is not None:
            deadline, days = best
            lines.append(
                turn.t(
                    key,
                    deadline=deadline.isoformat(),
                    days="/".join(str(d) for d in sorted(days, reverse=True)),
                    final=(deadline - timedelta(days=min(days))).isoformat(),
                )
            )
    return lines


def _settings_reply(turn: Turn) -> Reply:
    t = turn.t
    muted = bool(turn.account.muted_optional)
    lines = [t("ntc-settings-title"), t("ntc-settings-off" if muted else "ntc-settings-on")]
    lines += _schedule_lines(turn)
    lines.append(t("ntc-settings-final"))
    if turn.account.person_id is None:
        lines.append(t("ntc-settings-unbound"))
    toggle = (
        Button(t("ntc-unmute-button"), f"{MUTE_CALLBACK}:on")
        if muted
        else Button(t("ntc-mute-button"), f"{MUTE_CALLBACK}:off")
    )
    return Reply("\n".join(lines), ((toggle,), back_to_menu(turn)))


async def show_settings(turn: Turn, _args: str = "") -> None:
    turn.add(_settings_reply(turn))


async def set_mute(turn: Turn, rest: str) -> None:
    """ "nt:off" / "nt:on": the pressing account's own setting, nobody else's."""
    if rest not in ("on", "off"):
        turn.outcome.notice = turn.t("btn-unknown")
        turn.say("btn-unknown", buttons=main_menu(turn))
        return
    muted = rest == "off"
    await set_optional_muted(turn.svc, turn.account.id, muted, actor=actor_of(turn.account))
    turn.outcome.notice = turn.t("ntc-muted" if muted else "ntc-unmuted")
    turn.outcome.edit_pressed = True  # the settings message shows the new state
    turn.add(_settings_reply(turn))


# ------------------------------------------------------------------ admin: authority


async def _is_admin(turn: Turn) -> bool:
    # from the database at every press, not from the menu that showed the button
    return any(r.role == "admin" for r in await active_roles(turn.session, turn.account))


def _refuse(turn: Turn) -> None:
    turn.finish()
    turn.outcome.notice = turn.t("ntc-admin-only")
    turn.say("ntc-admin-only", buttons=main_menu(turn))


def _admin_only(handler: Handler) -> Handler:
    @wraps(handler)
    async def checked(turn: Turn, event: Event) -> None:
        if not await _is_admin(turn):
            _refuse(turn)
            return
        await handler(turn, event)

    return checked


def _stale(turn: Turn) -> None:
    """A value this step did not offer (forged, or from an older list)."""
    turn.outcome.notice = turn.t("btn-stale")
    turn.say("btn-stale")


async def open_admin(turn: Turn, _args: str = "") -> None:
    if not await _is_admin(turn):
        _refuse(turn)
        return
    turn.goto(FLOW, "menu")


async def _menu_prompt(turn: Turn) -> Reply:
    t = turn.t
    return Reply(
        t("ntc-admin-title"),
        (
            (turn.step_button(t("ntc-admin-broadcast-button"), "bc"),),
            (turn.step_button(t("ntc-admin-reports-button"), "rep"),),
            back_to_menu(turn),
        ),
    )


@_admin_only
async def _menu_chosen(turn: Turn, event: Event) -> None:
    if event.data == "bc":
        _start_broadcast(turn)
    elif event.data == "rep":
        await _show_campaigns(turn)
    else:
        _stale(turn)


# ------------------------------------------------------------------ broadcast: the audience


def _start_broadcast(turn: Turn) -> None:
    turn.finish()  # a new draft
    turn.goto(FLOW, "city")


def _offer(turn: Turn, key: str, item: Any) -> int:
    """The item's index in this draft's list of offered choices, added when new: buttons
    shown earlier in the step keep meaning what they said."""
    offered: list[Any] = turn.data.setdefault(key, [])
    if item not in offered:
        offered.append(item)
    return offered.index(item)


def _city_rows(turn: Turn, cities: list[str]) -> list[tuple[Button, ...]]:
    buttons = [turn.step_button(c, f"c{_offer(turn, 'cities', c)}") for c in cities]
    return [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]


async def _city_prompt(turn: Turn) -> Reply:
    t = turn.t
    cities = await broadcast_cities(turn.svc, limit=CITIES_OFFERED)
    rows = _city_rows(turn, cities)
    return Reply(
        t("ntc-bc-ask-city"),
        (
            (turn.step_button(t("ntc-bc-all-cities"), "all"),),
            *rows,
            back_to_menu(turn),
        ),
    )


@_admin_only
async def _take_city(turn: Turn, event: Event) -> None:
    if event.kind == "text":
        typed = " ".join(event.text.split())
        found = await broadcast_cities(turn.svc, query=typed, limit=CITIES_OFFERED) if typed else []
        if typed in found or len(found) == 1:
            _choose_city(turn, typed if typed in found else found[0])
        elif not found:
            turn.say("ntc-bc-city-none", city=typed[:50])
        else:
            turn.say("ntc-bc-city-pick", buttons=(*_city_rows(turn, found), back_to_menu(turn)))
        return
    value = event.data
    offered = turn.data.get("cities") or []
    if value == "all":
        _choose_city(turn, None)
    elif value[:1] == "c" and value[1:].isdigit() and int(value[1:]) < len(offered):
        _choose_city(turn, str(offered[int(value[1:])]))
    else:
        _stale(turn)


def _choose_city(turn: Turn, city: str | None) -> None:
    turn.data["city"] = city
    turn.goto(FLOW, "unit")


async def _unit_prompt(turn: Turn) -> Reply:
    t = turn.t
    city = turn.data.get("city")
    key = "ntc-bc-ask-unit-city" if city else "ntc-bc-ask-unit"
    return Reply(
        t(key, city=city or ""),
        ((turn.step_button(t("ntc-bc-all-units"), "all"),), back_to_menu(turn)),
    )


@_admin_only
async def _take_unit(turn: Turn, event: Event) -> None:
    city = turn.data.get("city")
    if event.kind == "text":
        # by credit code or part of the name, as in onboarding; only the chosen city's units
        units = await search_units(turn.session, event.text, limit=UNITS_OFFERED * 4)
        units = [u for u in units if city is None or u.city == city][:UNITS_OFFERED]
        if not units:
            key = "ntc-bc-unit-none-city" if city else "ntc-bc-unit-none"
            all_units = (turn.step_button(turn.t("ntc-bc-all-units"), "all"),)
            turn.say(key, buttons=(all_units, back_to_menu(turn)), city=city or "")
            return
        rows = []
        for u in units:
            _offer(turn, "units", [u.id, u.code, u.name])
            rows.append((turn.step_button(f"{u.name} ({u.code[-6:]})", f"u{u.id}"),))
        turn.say("ntc-bc-unit-pick", buttons=(*rows, back_to_menu(turn)))
        return
    value = event.data
    if value == "all":
        turn.data["unit"] = None
        turn.goto(FLOW, "status")
        return
    unit_id = int(value[1:]) if value[:1] == "u" and value[1:].isdigit() else None
    # only a unit this draft was offered is accepted, whatever the button says
    chosen = next((u for u in turn.data.get("units") or [] if u[0] == unit_id), None)
    if chosen is None:
        _stale(turn)
        return
    turn.data["unit"] = [chosen[1], chosen[2]]  # code, name
    turn.goto(FLOW, "status")


def _status_years(turn: Turn) -> dict[str, int | None]:
    """The year each status button refers to now (None: no policy, no button)."""
    return {
        value: None
        if status is AudienceStatus.ALL
        else status_year(turn.svc, BroadcastFilter(status=status))
        for value, (status, _label) in STATUSES.items()
    }


async def _status_prompt(turn: Turn) -> Reply:
    years = _status_years(turn)
    turn.data["years"] = years
    rows = tuple(
        (turn.step_button(turn.t(label, year=years[value] or ""), value),)
        for value, (status, label) in STATUSES.items()
        if status is AudienceStatus.ALL or years[value] is not None
    )
    return Reply(turn.t("ntc-bc-ask-status"), (*rows, back_to_menu(turn)))


@_admin_only
async def _take_status(turn: Turn, event: Event) -> None:
    value = event.data
    years = turn.data.get("years") or {}
    if value not in STATUSES or (value != "all" and years.get(value) is None):
        _stale(turn)
        return
    turn.data["status"] = value
    # the year the button named, even if the date rolls over before the confirmation
    turn.data["year"] = years.get(value)
    turn.goto(FLOW, "text")


# ------------------------------------------------------------------ broadcast: text, preview


async def _text_prompt(turn: Turn) -> Reply:
    return Reply(turn.t("ntc-bc-ask-text", max=MAX_NOTICE_LENGTH), (back_to_menu(turn),))


@_admin_only
async def _take_text(turn: Turn, event: Event) -> None:
    text = event.text.strip()
    if not text:
        turn.say("ntc-bc-text-empty")
    elif len(text) > MAX_NOTICE_LENGTH:
        turn.say("ntc-bc-text-long", length=len(text), max=MAX_NOTICE_LENGTH)
    elif contains_id_number(text):
        # the message is deleted by the router; a notice to many never carries an ID number
        turn.say("ntc-bc-text-id")
    else:
        turn.data["text"] = text
        turn.data.pop("key", None)  # another text: another campaign
        turn.goto(FLOW, "preview")


def _filter(turn: Turn) -> BroadcastFilter:
    status, _label = STATUSES.get(str(turn.data.get("status")), STATUSES["all"])
    unit = turn.data.get("unit")
    year = turn.data.get("year")
    return BroadcastFilter(
        city=turn.data.get("city"),
        unit_code=str(unit[0]) if unit else None,
        status=status,
        year=int(year) if year is not None else None,
    )


def _filter_text(turn: Turn) -> str:
    t = turn.t
    unit = turn.data.get("unit")
    value = str(turn.data.get("status") or "all")
    _status, label = STATUSES.get(value, STATUSES["all"])
    return t(
        "ntc-bc-filter",
        city=turn.data.get("city") or t("ntc-bc-all-cities"),
        unit=str(unit[1]) if unit else t("ntc-bc-all-units"),
        status=t(label, year=turn.data.get("year") or ""),
    )


def _sample(turn: Turn, text: str) -> str:
    """The message exactly as the sender renders it (in this reader's language)."""
    return render_message(
        {"kind": BROADCAST}, turn.account.language, turn.today, {"message": text}
    ).text


async def _preview_prompt(turn: Turn) -> Reply:
    t = turn.t
    again = (turn.step_button(t("ntc-bc-restart-button"), "again"),)
    try:
        count = await preview_broadcast(turn.svc, _filter(turn))
    except CampaignError:
        return Reply(t("ntc-bc-no-policy"), (again, back_to_menu(turn)))
    # one key per draft: every confirm of this text and filter queues the same campaign
    turn.data.setdefault(
        "key", f"{BROADCAST}:{_stamp(turn.now)}:a{turn.account.id}:{secrets.token_hex(4)}"
    )
    summary = [t("ntc-bc-preview", filter=_filter_text(turn), count=count)]
    summary.append(t("ntc-bc-preview-sample") if count else t("ntc-bc-nobody"))
    turn.add(Reply("\n".join(summary)))
    rows: list[tuple[Button, ...]] = []
    if count:
        rows.append((turn.step_button(t("ntc-bc-confirm-button", count=count), "ok"),))
    rows.append((turn.step_button(t("ntc-bc-edit-button"), "edit"), *again))
    return Reply(_sample(turn, str(turn.data.get("text", ""))), (*rows, back_to_menu(turn)))


@_admin_only
async def _preview_answer(turn: Turn, event: Event) -> None:
    if event.data == "again":
        _start_broadcast(turn)
    elif event.data == "edit":
        turn.goto(FLOW, "text")
    elif event.data == "ok" and turn.data.get("key") and turn.data.get("text"):
        await _confirm(turn)
    else:
        _stale(turn)


async def _confirm(turn: Turn) -> None:
    t = turn.t
    key = str(turn.data["key"])
    try:
        result = await queue_broadcast(
            turn.svc,
            str(turn.data["text"]),
            _filter(turn),
            actor=actor_of(turn.account),
            key=key,
        )
    except BroadcastTooLong as exc:  # the service's limit: what Telegram takes in one message
        turn.say("ntc-bc-text-long", length=exc.length, max=exc.limit)
        turn.goto(FLOW, "text")
        return
    except CampaignError as exc:
        message = "ntc-bc-text-empty" if exc.reason == "empty_text" else "ntc-bc-no-policy"
        turn.say(message, buttons=(back_to_menu(turn),))
        return
    policy = turn.ctx.policies.latest_until(turn.today.year)
    window = (
        t(
            "ntc-bc-window",
            start=policy.send_from.strftime("%H:%M"),
            end=policy.send_until.strftime("%H:%M"),
        )
        if policy is not None
        else ""
    )
    if result.created:
        text = t("ntc-bc-queued", queued=result.queued, campaign=result.key)
        turn.outcome.notice = t("ntc-bc-queued-short", queued=result.queued)
    else:
        text = t("ntc-bc-repeat", campaign=result.key)
    turn.finish()
    turn.goto(FLOW, "sent")
    turn.entered = False  # the confirmation below is this step's screen
    turn.data["campaign"] = result.key
    turn.add(Reply("\n".join(x for x in (text, window) if x), _sent_buttons(turn)))


def _sent_buttons(turn: Turn) -> tuple[tuple[Button, ...], ...]:
    t = turn.t
    return (
        (turn.step_button(t("ntc-report-button"), "rep"),),
        (turn.step_button(t("ntc-admin-reports-button"), "all"),),
        back_to_menu(turn),
    )


async def _sent_prompt(turn: Turn) -> Reply:
    return Reply(turn.t("ntc-admin-title"), _sent_buttons(turn))


@_admin_only
async def _sent_answer(turn: Turn, event: Event) -> None:
    if event.data == "all":
        await _show_campaigns(turn)
        return
    key = turn.data.get("campaign")
    if event.data != "rep" or not key:
        _stale(turn)
        return
    turn.outcome.button_accepted = False  # "report" again later shows the newer counts
    await _show_report(turn, str(key), _sent_buttons(turn))


# ------------------------------------------------------------------ campaign reports


def _kind(turn: Turn, kind: str) -> str:
    return turn.t(f"ntc-kind-{kind}") if kind in KINDS else kind


def _local(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _stamp(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y%m%d%H%M")


def _duration(d: timedelta) -> str:
    seconds = max(0, int(d.total_seconds()))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def report_lines(turn: Turn, r: CampaignReport) -> list[str]:
    t = turn.t
    lines = [
        t(
            "ntc-report-title",
            kind=_kind(turn, r.kind),
            campaign=r.key,
            created=_local(r.created_at),
        ),
        t(
            "ntc-report-counts",
            queued=r.queued,
            sent=r.sent,
            failed=r.failed,
            unreachable=r.unreachable,
            pending=r.pending,
        ),
    ]
    expired = r.count("expired")
    if r.unknown or expired:
        lines.append(t("ntc-report-other", unknown=r.unknown, expired=expired))
    if r.duration is None:
        lines.append(t("ntc-report-not-started"))
    else:
        key = "ntc-report-duration-running" if r.pending else "ntc-report-duration"
        lines.append(t(key, duration=_duration(r.duration)))
    return lines


async def _show_report(turn: Turn, key: str, buttons: tuple[tuple[Button, ...], ...]) -> None:
    try:
        report = await campaign_report(turn.svc, key)
    except CampaignError:
        turn.say("ntc-report-gone", buttons=(back_to_menu(turn),))
        return
    turn.add(Reply("\n".join(report_lines(turn, report)), buttons))


async def _show_campaigns(turn: Turn) -> None:
    turn.finish()
    turn.goto(FLOW, "reports")
    turn.entered = False  # the list below is this step's screen
    turn.add(await _campaigns_reply(turn))


async def _campaigns_reply(turn: Turn) -> Reply:
    """The latest campaigns with their counts, a button for each one's full report."""
    t = turn.t
    reports = await recent_campaigns(turn.svc, limit=CAMPAIGNS_SHOWN)
    if not reports:
        return Reply(t("ntc-reports-none"), (back_to_menu(turn),))
    lines = [t("ntc-reports-title")]
    buttons = []
    for n, r in enumerate(reports, start=1):
        index = _offer(turn, "offered", r.key)
        buttons.append(turn.step_button(str(n), f"k{index}"))
        lines.append(
            t(
                "ntc-reports-line",
                n=n,
                kind=_kind(turn, r.kind),
                created=_local(r.created_at),
                queued=r.queued,
                sent=r.sent,
                failed=r.failed,
                unreachable=r.unreachable,
                pending=r.pending,
            )
        )
    rows = tuple(tuple(buttons[i : i + 4]) for i in range(0, len(buttons), 4))
    return Reply("\n".join(lines), (*rows, back_to_menu(turn)))


@_admin_only
async def _report_chosen(turn: Turn, event: Event) -> None:
    offered = turn.data.get("offered") or []
    value = event.data
    index = int(value[1:]) if value[:1] == "k" and value[1:].isdigit() else -1
    if not 0 <= index < len(offered):
        _stale(turn)
        return
    turn.outcome.button_accepted = False  # the list stays usable for the other campaigns
    again = (turn.step_button(turn.t("ntc-report-refresh-button"), value),)
    await _show_report(turn, str(offered[index]), (again, back_to_menu(turn)))


# ------------------------------------------------------------------ stale buttons


async def _stale_tap(turn: Turn, tap: StaleTap) -> bool:
    """An old button of the admin screens. A confirmation tapped again after its notice was
    queued says so, with the campaign's report button (the key kept with the preview's
    nonce); anything else leads to the current admin step, or the admin menu."""
    if not await _is_admin(turn):
        _refuse(turn)
        return True
    key = tap.memo.get("key") if tap.step == "preview" else tap.memo.get("campaign")
    if tap.step in ("preview", "sent") and key:
        try:
            report = await campaign_report(turn.svc, str(key))
        except CampaignError:
            report = None  # that preview was never confirmed: nothing was queued
        if report is not None:
            turn.finish()
            turn.goto(FLOW, "sent")
            turn.entered = False  # the sentence below is this step's screen
            turn.data["campaign"] = report.key
            text = turn.t("ntc-bc-stale-queued", queued=report.queued, campaign=report.key)
            turn.add(Reply(text, _sent_buttons(turn)))
            return True
    if turn.flow == FLOW:
        return False  # the current admin step again
    turn.say("ntc-stale-admin")
    turn.goto(FLOW, "menu")
    return True


ADMIN = Flow(
    name=FLOW,
    first="menu",
    steps={
        "menu": Step(prompt=_menu_prompt, accepts=BUTTONS, handle=_menu_chosen),
        "city": Step(prompt=_city_prompt, accepts=TEXT_OR_BUTTONS, handle=_take_city),
        "unit": Step(prompt=_unit_prompt, accepts=TEXT_OR_BUTTONS, handle=_take_unit),
        "status": Step(prompt=_status_prompt, accepts=BUTTONS, handle=_take_status),
        "text": Step(prompt=_text_prompt, accepts=TEXT, handle=_take_text),
        "preview": Step(prompt=_preview_prompt, accepts=BUTTONS, handle=_preview_answer),
        "sent": Step(prompt=_sent_prompt, accepts=BUTTONS, handle=_sent_answer),
        "reports": Step(prompt=_campaigns_reply, accepts=BUTTONS, handle=_report_chosen),
    },
    on_stale=_stale_tap,
    remember=("key", "campaign"),
)

FEATURE = register(
    Feature(
        name="notices",
        flows=(ADMIN,),
        actions={"remind": show_settings, "admin": open_admin},
        commands={"reminders": "remind", "admin": "admin"},
        callbacks={MUTE_CALLBACK: set_mute},
    )
)
