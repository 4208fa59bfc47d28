"""`cebot report unit CODE --year Y` and `cebot report stats --year Y`: a Typer app registered
by cebot/cli.py:

    from cebot.cli_reports import report_app
    app.add_typer(report_app, name="report")

The command line is the operator on the server: it may read any unit (no role needed).
cebot.cli is imported inside the commands, not at the top, so that cebot.cli can import this
module without a cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from services.context import AppContext
from services.reports import (
    DEFAULT_STALE_DAYS,
    ProvinceStats,
    ReportRefused,
    UnitReport,
    completion_chart_png,
    province_stats,
    render,
    stats_csv,
    stats_lines,
    stats_xlsx,
    unit_report,
    unit_report_csv,
    unit_report_xlsx,
    unit_summary_lines,
)

report_app = typer.Typer(
    help="Reports: a unit's year (XLSX/CSV), the province's statistics and chart.",
    no_args_is_help=True,
)

UNIT_FORMATS = ("xlsx", "csv")
STATS_FORMATS = ("text", "xlsx", "csv")


@report_app.command("unit")
def report_unit(
    code: Annotated[str, typer.Argument(help="The unit's unified social credit code.")],
    year: Annotated[int, typer.Option(help="The year of the report.")],
    fmt: Annotated[str, typer.Option("--format", help="xlsx or csv.")] = "xlsx",
    output: Annotated[
        Path | None, typer.Option(help="Where to write (default: unit-CODE-YEAR.FORMAT).")
    ] = None,
) -> None:
    """Every member's year: hours, complete or missing, excellent rating, title condition."""
    from cebot.cli import _settings, _t, fail, friendly, run_with_context

    @friendly
    def body() -> None:
        t = _t()
        if fmt not in UNIT_FORMATS:
            fail(t("rep-cli-bad-format", formats=", ".join(UNIT_FORMATS)))
        settings = _settings()

        async def job(ctx: AppContext) -> tuple[UnitReport, Path]:
            report = await unit_report(ctx, year, unit=code, by=None)
            path = output or Path(f"unit-{report.unit_code}-{year}.{fmt}")
            writer = unit_report_xlsx if fmt == "xlsx" else unit_report_csv
            await render(writer, report, path, settings.language)
            return report, path

        try:
            report, path = run_with_context(settings, job)
        except ReportRefused as exc:
            fail(t(f"rep-refused-{exc.reason}", **exc.args_))
        typer.echo("\n".join(unit_summary_lines(report, t)))
        typer.echo(t("rep-cli-written", path=str(path), rows=len(report.members)))

    body()


@report_app.command("stats")
def report_stats(
    year: Annotated[int, typer.Option(help="The year of the statistics.")],
    fmt: Annotated[
        str, typer.Option("--format", help="text (default), xlsx (every table) or csv (units).")
    ] = "text",
    output: Annotated[
        Path | None, typer.Option(help="Where to write the file (default: stats-YEAR.FORMAT).")
    ] = None,
    chart: Annotated[
        Path | None, typer.Option(help="Also draw completion by city into this PNG file.")
    ] = None,
    stale_days: Annotated[
        int, typer.Option(help="Claims pending longer than this count as waiting too long.")
    ] = DEFAULT_STALE_DAYS,
) -> None:
    """Statistics by city and unit: people, complete, share, hours by subject, pending claims,
    units whose reviewers have not acted."""
    from cebot.cli import _settings, _t, fail, friendly, run_with_context

    @friendly
    def body() -> None:
        t = _t()
        if fmt not in STATS_FORMATS:
            fail(t("rep-cli-bad-format", formats=", ".join(STATS_FORMATS)))
        if stale_days < 0:
            fail(t("rep-cli-bad-days"))
        settings = _settings()
        language = settings.language

        async def job(ctx: AppContext) -> tuple[ProvinceStats, list[Path]]:
            stats = await province_stats(ctx, year, by=None, stale_days=stale_days)
            written: list[Path] = []
            if fmt != "text":
                path = output or Path(f"stats-{year}.{fmt}")
                writer = stats_xlsx if fmt == "xlsx" else stats_csv
                written.append(await render(writer, stats, path, language))
            if chart is not None:
                written.append(await render(completion_chart_png, stats, chart, language))
            return stats, written

        try:
            stats, written = run_with_context(settings, job)
        except ReportRefused as exc:
            fail(t(f"rep-refused-{exc.reason}", **exc.args_))
        typer.echo("\n".join(stats_lines(stats, t, max_units=20)))
        for path in written:
            typer.echo(t("rep-cli-file", path=str(path)))

    body()
