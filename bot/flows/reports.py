"""Reports (📈, /report): a unit's reviewers get their unit's year as an XLSX file with a short
summary, "who still needs what" and a button that reminds those members through the outbox;
administrators get the province's statistics as a message, an XLSX file and a PNG chart of
completion by city. `/report CODE [YEAR]` opens a unit by its credit code (an administrator
any unit, a reviewer their own).

Every figure is computed during the turn (services.reports, joining the turn's transaction);
the files are rendered after the commit, in a worker thread (`OutgoingFile.produce`). Buttons
carry a year and a unit id only: the service checks the presser's authority again each time.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.flows.base import BUTTONS, Button, Event, Flow, OutgoingFile, Reply, Step, Turn
from bot.flows.features import Feature, register
from bot.flows.keyboards import back_to_menu, main_menu
from services.reports import (
    ReportRefused,
    UnitReport,
    allowed_units,
    completion_chart_png,
    missing_text,
    province_stats,
    remind_members,
    render,
    report_file,
    stats_lines,
    stats_xlsx,
    unit_access,
    unit_report,
    unit_report_xlsx,
    unit_summary_lines,
)

FLOW = "reports"
YEARS_OFFERED = 3  # the newest policy years
UNITS_OFFERED = 6  # a reviewer of more units uses /report CODE
NEEDED_SHOWN = 30  # lines of "who still needs what" in one message; the XLSX has them all
_CHOICE = re.compile(r"^([rnms])(\d{4})(?:u(\d{1,18}))?$")


def _refused(turn: Turn, exc: ReportRefused) -> None:
    turn.say(f"rep-refused-{exc.reason}", buttons=(back_to_menu(turn),), **exc.args_)


async def open_reports(turn: Turn, args: str) -> None:
    admin, units = await allowed_units(turn.svc, turn.account.id)
    if not admin and not units:
        turn.say("rep-not-allowed", buttons=main_menu(turn))
        return
    years = sorted(turn.ctx.policies, reverse=True)[:YEARS_OFFERED]
    if not years:
        turn.say("rep-no-years", buttons=main_menu(turn))
        return
    offered = [(u.id, u.name) for u in units[:UNITS_OFFERED]]
    words = args.split()
    year = next((int(w) for w in words if w.isdigit() and len(w) == 4), None)
    code = next((w for w in words if not (w.isdigit() and len(w) == 4)), None)
    if year is not None and year not in turn.ctx.policies:
        turn.say("rep-refused-no_policy", year=year, buttons=(back_to_menu(turn),))
        return
    if code is not None:
        try:
            # the unit's existence and the presser's authority, checked by the service
            unit_id, unit_name = await unit_access(turn.svc, unit=code, by=turn.account.id)
        except ReportRefused as exc:
            _refused(turn, exc)
            return
        if year is not None:
            turn.goto(FLOW, "pick")
            turn.entered = False  # the report below is the screen; no prompt
            await _unit_choice(turn, "r", year, unit_id)
            return
        offered = [(unit_id, unit_name)]
        admin = False  # the screen is about this unit
    elif year is not None and len(offered) == 1 and not admin:
        turn.goto(FLOW, "pick")
        turn.entered = False
        await _unit_choice(turn, "r", year, offered[0][0])
        return
    turn.goto(FLOW, "pick")
    turn.data.update(
        years=[y for y in years if year is None or y == year],
        units=[[uid, name] for uid, name in offered],
        admin=admin,
    )


async def _pick_prompt(turn: Turn) -> Reply:
    t = turn.t
    years = [int(y) for y in turn.data.get("years", [])]
    units = [(int(uid), str(name)) for uid, name in turn.data.get("units", [])]
    rows: list[tuple[Button, ...]] = []
    for uid, name in units:
        label = "rep-button-unit" if len(units) == 1 else "rep-button-named-unit"
        rows.append(
            tuple(turn.step_button(t(label, year=y, unit=name[:20]), f"r{y}u{uid}") for y in years)
        )
    if turn.data.get("admin"):
        rows.append(tuple(turn.step_button(t("rep-button-stats", year=y), f"s{y}") for y in years))
    return Reply(t("rep-choose"), (*rows, back_to_menu(turn)))


async def _picked(turn: Turn, event: Event) -> None:
    match = _CHOICE.match(event.data)
    if match is None:
        turn.outcome.notice = turn.t("btn-stale")
        turn.say("btn-stale", buttons=(back_to_menu(turn),))
        return
    kind, year_text, unit_text = match.groups()
    year = int(year_text)
    if kind == "s":
        await _stats(turn, year)
        return
    if unit_text is None:
        turn.say("btn-stale", buttons=(back_to_menu(turn),))
        return
    await _unit_choice(turn, kind, year, int(unit_text))


async def _unit_choice(turn: Turn, kind: str, year: int, unit_id: int) -> None:
    by = turn.account.id
    try:
        if kind == "m":
            result = await remind_members(turn.svc, year, unit=unit_id, by=by)
            key = "rep-remind-queued" if result.created else "rep-remind-repeat"
            args = {
                "queued": result.queued,
                "needing": result.needing,
                "unreachable": result.unreachable,
            }
            turn.outcome.notice = turn.t(f"{key}-short", **args)
            turn.say(key, buttons=(back_to_menu(turn),), **args)
            return
        report = await unit_report(turn.svc, year, unit=unit_id, by=by)
    except ReportRefused as exc:
        _refused(turn, exc)
        return
    if kind == "n":
        _send_needed(turn, report)
    else:
        _send_unit_report(turn, report)


def _send_unit_report(turn: Turn, report: UnitReport) -> None:
    t = turn.t
    ctx, language = turn.ctx, turn.account.language
    name = f"unit-report-{report.unit_code}-{report.year}.xlsx"

    async def produce() -> Path:
        # after the turn's commit, off the event loop; the figures were taken in the turn
        return await render(lambda: unit_report_xlsx(report, report_file(ctx, name), language))

    buttons: list[tuple[Button, ...]] = []
    if report.still_needed():
        buttons.append(
            (turn.step_button(t("rep-button-needed"), f"n{report.year}u{report.unit_id}"),)
        )
    buttons.append(back_to_menu(turn))
    turn.add(Reply("\n".join(unit_summary_lines(report, t)), tuple(buttons)))
    turn.add(
        Reply(
            t("rep-file-unit", unit=report.unit_name, year=report.year),
            file=OutgoingFile(path="", name=name, produce=produce),
        )
    )


def _send_needed(turn: Turn, report: UnitReport) -> None:
    t = turn.t
    needing = report.still_needed()
    if not needing:
        turn.say("rep-unit-all-done", buttons=(back_to_menu(turn),))
        return
    lines = [t("rep-needed-title", unit=report.unit_name, year=report.year, count=len(needing))]
    for m in needing[:NEEDED_SHOWN]:
        lines.append(
            t(
                "rep-needed-line-masked",
                name=m.name,
                masked=m.id_masked,
                missing=missing_text(t, m),
            )
        )
    if len(needing) > NEEDED_SHOWN:
        lines.append(t("rep-needed-more", count=len(needing) - NEEDED_SHOWN))
    remind = turn.step_button(
        t("rep-button-remind", count=len(needing)), f"m{report.year}u{report.unit_id}"
    )
    turn.add(Reply("\n".join(lines), ((remind,), back_to_menu(turn))))


async def _stats(turn: Turn, year: int) -> None:
    try:
        stats = await province_stats(turn.svc, year, by=turn.account.id)
    except ReportRefused as exc:
        _refused(turn, exc)
        return
    t = turn.t
    ctx, language = turn.ctx, turn.account.language
    xlsx_name, png_name = f"statistics-{year}.xlsx", f"completion-{year}.png"

    async def produce_xlsx() -> Path:
        return await render(lambda: stats_xlsx(stats, report_file(ctx, xlsx_name), language))

    async def produce_png() -> Path:
        return await render(
            lambda: completion_chart_png(stats, report_file(ctx, png_name), language)
        )

    turn.add(Reply("\n".join(stats_lines(stats, t)), (back_to_menu(turn),)))
    turn.add(
        Reply(
            t("rep-file-stats", year=year),
            file=OutgoingFile(path="", name=xlsx_name, produce=produce_xlsx),
        )
    )
    turn.add(
        Reply(
            t("rep-file-chart", year=year),
            file=OutgoingFile(path="", name=png_name, produce=produce_png),
        )
    )


REPORTS = Flow(
    name=FLOW,
    first="pick",
    steps={"pick": Step(prompt=_pick_prompt, accepts=BUTTONS, handle=_picked)},
)

FEATURE = register(
    Feature(
        name="reports",
        flows=(REPORTS,),
        actions={"reports": open_reports},
        commands={"report": "reports"},
    )
)
