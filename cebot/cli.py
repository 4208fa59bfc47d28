"""The `cebot` command line: the administrator's and organiser's everyday tool.

Errors are one clear line on stderr and a non-zero exit, never a traceback
(CEBOT_DEBUG=1 shows it, for developers)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer

from cebot.settings import Settings, load_settings
from core.hours import format_hours
from core.idnumber import InvalidIdNumber
from core.rules import PolicyError
from services.context import AppContext
from services.i18n import Translator, translator
from services.imports import (
    ImportRaced,
    ImportRejected,
    ImportResult,
    import_hours,
    import_people,
    import_units,
)
from services.pii import IdProtector
from services.policies import SHANGHAI, PolicyBook
from services.progress import PersonNotFound, YearWithoutPolicy, progress_by_id_number
from services.tabular import TableError
from storage import migrate
from storage.db import Database

P = ParamSpec("P")
R = TypeVar("R")
PROBLEMS_SHOWN = 50  # bad rows an import lists before "…and N more rows"

app = typer.Typer(
    help="cebot: continuing education for Guangxi professionals (专业技术人员继续教育).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
units_app = typer.Typer(help="Employer units.", no_args_is_help=True)
people_app = typer.Typer(help="People (the roster).", no_args_is_help=True)
hours_app = typer.Typer(help="Hour records.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(units_app, name="units")
app.add_typer(people_app, name="people")
app.add_typer(hours_app, name="hours")


def _register_feature_commands() -> None:
    # feature modules import cebot.cli lazily inside their commands, so this order is safe
    from cebot.cli_admin import register_admin_commands
    from cebot.cli_backup import backup, restore
    from cebot.cli_certificates import certificates_app
    from cebot.cli_content import courses_app, exam_app, questions_app
    from cebot.cli_ops import doctor
    from cebot.cli_policy import keys_app, policy_app
    from cebot.cli_reminders import broadcast_app, reminders_app, scheduler_app
    from cebot.cli_reports import report_app
    from cebot.cli_wechat import wechat_app

    app.add_typer(courses_app, name="courses")
    app.add_typer(questions_app, name="questions")
    app.add_typer(exam_app, name="exam")
    app.add_typer(certificates_app, name="certificates")
    app.add_typer(broadcast_app, name="broadcast")
    app.add_typer(reminders_app, name="reminders")
    app.add_typer(scheduler_app, name="scheduler")
    app.add_typer(policy_app, name="policy")
    app.add_typer(keys_app, name="keys")
    app.add_typer(report_app, name="report")
    app.add_typer(wechat_app, name="wechat")
    register_admin_commands(app, people_app)
    app.command("doctor")(doctor)
    app.command("backup")(backup)
    app.command("restore")(restore)


_register_feature_commands()


class CliError(Exception):
    """A failure already phrased for the user."""


def _settings() -> Settings:
    return load_settings()


def _t() -> Translator:
    return translator(_settings().language)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(_t()("cli-error", message=message), err=True)
    raise typer.Exit(code)


def friendly(func: Callable[P, R]) -> Callable[P, R]:
    """Turns every expected failure into one line on stderr."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except CliError as exc:
            fail(str(exc))
        except PolicyError as exc:
            fail("policy: " + "; ".join(exc.problems))
        except Exception as exc:
            if os.environ.get("CEBOT_DEBUG") == "1":
                raise
            fail(_t()("cli-internal-error", kind=type(exc).__name__))

    return wrapper


def admin_policy_dir(settings: Settings) -> Path:
    """Where administrators' policy files live: CEBOT_POLICY_DIR, else <data dir>/policies."""
    return settings.policy_dir or settings.data_dir / "policies"


def build_context(settings: Settings) -> AppContext:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return AppContext(
        db=Database(settings.database_url),
        policies=PolicyBook.load(admin_policy_dir(settings)),
        ids=IdProtector(settings.secret, settings.previous_secrets),
        data_dir=settings.data_dir,
        public_url=settings.public_url,
        language=settings.language,
    )


def ensure_migrated(settings: Settings) -> None:
    """A new SQLite file is created and migrated on first use; anything else must be upgraded
    on purpose (`cebot db upgrade`), since several workers may share it."""
    t = translator(settings.language)
    try:
        current = migrate.current_revision(settings.database_url)
    except Exception as exc:
        raise CliError(
            t("cli-db-unreachable", url=_safe_url(settings.database_url), kind=type(exc).__name__)
        ) from exc
    head = migrate.head_revision()
    if migrate.at_or_past_head(current):  # past: a rolling upgrade migrated it already
        return
    if current is None and settings.database_url.startswith("sqlite"):
        migrate.upgrade(settings.database_url)
        return
    raise CliError(t("cli-db-not-migrated", current=current or "-", head=head or "-"))


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def run_with_context(settings: Settings, job: Callable[[AppContext], Awaitable[R]]) -> R:
    ensure_migrated(settings)
    ctx = build_context(settings)

    async def main() -> R:
        try:
            return await job(ctx)
        finally:
            await ctx.db.dispose()

    return asyncio.run(main())


# ------------------------------------------------------------------------------------ db


@db_app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Apply every migration (creates the database tables)."""
    settings = _settings()
    migrate.upgrade(settings.database_url)
    typer.echo(_t()("cli-db-upgraded", revision=migrate.head_revision() or "-"))


@db_app.command("current")
@friendly
def db_current() -> None:
    """Show the database's migration level."""
    settings = _settings()
    current = migrate.current_revision(settings.database_url)
    typer.echo(_t()("cli-db-current", current=current or "-", head=migrate.head_revision() or "-"))


# ------------------------------------------------------------------------------------ imports


def _report_import(
    path: Path,
    job: Callable[[AppContext], Awaitable[ImportResult]],
    done_key: str = "cli-import-done",
) -> None:
    """Runs an import and reports it: every bad row on stderr and exit 1, or the counts."""
    t = _t()
    try:
        result = run_with_context(_settings(), job)
    except TableError as exc:
        fail(t("cli-import-file", file=path.name, reason=t(f"table-{exc.reason}", **exc.args_)))
    except ImportRejected as exc:
        typer.echo(t("cli-import-rejected", file=path.name, count=len(exc.problems)), err=True)
        # a file of 200,000 bad rows is not worth 200,000 lines: the first ones, then a count
        for problem in exc.problems[:PROBLEMS_SHOWN]:
            reason = t(f"import-bad-{problem.reason}", **problem.args)
            typer.echo("  " + t("cli-import-row", line=problem.line, reason=reason), err=True)
        shown_lines = {p.line for p in exc.problems[:PROBLEMS_SHOWN]}
        more = {p.line for p in exc.problems[PROBLEMS_SHOWN:]} - shown_lines
        if more:
            typer.echo("  " + t("cli-import-more", count=len(more)), err=True)
        raise typer.Exit(1) from None
    except ImportRaced:
        fail(t("cli-import-raced", file=path.name))
    typer.echo(
        t(
            done_key,
            file=path.name,
            rows=result.rows,
            added=result.added,
            updated=result.updated,
            unchanged=result.unchanged,
            people=result.people_created,
        )
    )


FileArg = Annotated[Path, typer.Argument(help="CSV or XLSX file, English or Chinese headers.")]


@units_app.command("import")
@friendly
def units_import(file: FileArg) -> None:
    """Import units: unit_code,unit_name,city (单位代码,单位名称,地市)."""
    _report_import(file, lambda ctx: import_units(ctx, file))


@people_app.command("import")
@friendly
def people_import(file: FileArg) -> None:
    """Import people: id_number,name,unit_code (身份证号,姓名,单位代码)."""
    _report_import(file, lambda ctx: import_people(ctx, file))


@hours_app.command("import")
@friendly
def hours_import(
    file: FileArg,
    source: Annotated[str, typer.Option(help="Who sends these hours (organiser or system).")],
) -> None:
    """Import hours: id_number,name,year,subject,course_code,course_title,hours,completed_on
    (身份证号,姓名,年度,科目,课程编号,课程名称,学时,完成日期)."""
    _report_import(file, lambda ctx: import_hours(ctx, file, source=source))


# ------------------------------------------------------------------------------------ demo


@app.command("demo")
@friendly
def demo(
    people: Annotated[
        int,
        typer.Option(
            "--people",
            help="Add a synthetic province of this many people (load tests, benchmarks).",
        ),
    ] = 0,
    year: Annotated[int | None, typer.Option(help="The synthetic people's year.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic province.")] = 2024,
) -> None:
    """Seed a small demo province (units, people, hours of the years around today). Safe to
    run again. With --people N, add N synthetic people instead."""
    from services.demo import seed_demo

    settings = _settings()
    if people > 0:
        from services.synthetic import ProvinceResult, generate_province

        async def job(ctx: AppContext) -> ProvinceResult:
            return await generate_province(ctx, people, year=year or ctx.today().year, seed=seed)

        made = run_with_context(settings, job)
        typer.echo(
            _t()(
                "cli-demo-synthetic",
                units=made.units,
                people=made.people,
                accounts=made.accounts,
                records=made.records,
            )
        )
        return
    result = run_with_context(
        settings, lambda ctx: seed_demo(ctx, policy_dir=admin_policy_dir(settings))
    )
    typer.echo(
        _t()(
            "cli-demo-done",
            units=result.units.rows,
            people=result.people.rows,
            hours=result.hours.rows,
            added=result.hours.added + result.claims_added,
        )
    )


# ------------------------------------------------------------------------------------ progress


@app.command("progress")
@friendly
def progress(
    id_number: Annotated[str, typer.Argument(help="The person's ID number (身份证号).")],
    year: Annotated[int, typer.Option(help="The year to evaluate.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One person's year: public and professional hours, total, complete, hours still needed."""
    t = _t()
    try:
        result = run_with_context(
            _settings(), lambda ctx: progress_by_id_number(ctx, id_number, year)
        )
    except InvalidIdNumber as exc:
        fail(t(f"import-bad-id-{exc.reason}"))
    except PersonNotFound:
        fail(t("cli-progress-not-found"))
    except YearWithoutPolicy:
        fail(t("cli-progress-no-policy", year=year))
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        return
    ev = result.evaluation
    lines = [
        t("cli-progress-title", name=result.person.name, masked=result.person.id_masked, year=year)
    ]
    for label, value in (
        ("progress-public-mandatory", ev.public_mandatory_hours),
        ("progress-public-elective", ev.public_elective_hours),
        ("progress-professional-verified", ev.professional_verified_hours),
        ("progress-professional-pending", ev.professional_pending_hours),
        ("progress-total", ev.total_hours),
    ):
        lines.append("  " + t("cli-progress-line", label=t(label), value=format_hours(value)))
    lines.append(
        "  "
        + (
            t("cli-progress-complete")
            if ev.complete
            else t("cli-progress-incomplete", needed=format_hours(ev.professional_hours_needed))
        )
    )
    typer.echo("\n".join(lines))


# ------------------------------------------------------------------------------------ bot


@app.command("invite")
@friendly
def invite(
    role: Annotated[str, typer.Argument(help="reviewer, organiser or admin")],
    unit: Annotated[str | None, typer.Option(help="Unit code (reviewers).")] = None,
    source: Annotated[str | None, typer.Option(help="Import source name (organisers).")] = None,
    bot: Annotated[str | None, typer.Option(help="The bot's @username, to print a link.")] = None,
) -> None:
    """A one-time invitation (expires) for a reviewer, organiser or administrator."""
    from services.onboarding import UnknownUnit, issue_invitation

    t = _t()
    if role not in ("reviewer", "organiser", "admin"):
        fail(t("cli-invite-role"))
    try:
        issued = run_with_context(
            _settings(),
            lambda ctx: issue_invitation(
                ctx, role=role, actor="cli", unit_code=unit, source=source
            ),
        )
    except UnknownUnit:
        fail(t("cli-invite-unknown-unit", code=unit or "-"))
    except ValueError:
        fail(t("cli-invite-needs", role=role))
    link = issued.deep_link(bot) if bot else f"/start {issued.code}"
    typer.echo(
        t(
            "cli-invite-done",
            role=role,
            link=link,
            expires=issued.expires_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        )
    )


class ChatChannel(StrEnum):
    CONSOLE = "console"
    WECHAT = "wechat"


@app.command("chat")
@friendly
def chat(
    user: Annotated[str, typer.Option(help="Console user name (one per person).")] = "console",
    channel: Annotated[
        ChatChannel,
        typer.Option(
            help="console, or wechat: every answer as the WeChat account shows it "
            "(one message, numbered choices).",
        ),
    ] = ChatChannel.CONSOLE,
) -> None:
    """Talk to the bot in this terminal (buttons become numbered choices); the web pages its
    links lead to (certificate verification, the privacy notice) are served meanwhile."""
    from bot.serve import console_with_pages

    settings = _settings()
    run_with_context(
        settings,
        lambda ctx: console_with_pages(
            ctx,
            host=settings.listen_host,
            port=settings.listen_port,
            language=settings.language,
            user=user,
            channel=channel.value,
        ),
    )


@app.command("run")
@friendly
def run(
    webhook: Annotated[bool, typer.Option(help="Serve a webhook instead of long polling.")] = False,
    scheduler: Annotated[
        bool | None,
        typer.Option(
            help="Also run the reminder scheduler and sender in this process (default: yes "
            "with polling, no with --webhook; a database lease keeps exactly one active)."
        ),
    ] = None,
) -> None:
    """Run the Telegram bot (long polling, or webhook with --webhook), serving the web pages
    (certificate verification, the privacy notice, /healthz, /metrics) on
    CEBOT_LISTEN_HOST:CEBOT_LISTEN_PORT in either mode."""
    settings = _settings()
    if settings.telegram_bot_token is None and not settings.wechat_app_id:  # WeChat alone is fine
        fail(_t()("cli-no-token").splitlines()[1].strip())
    ensure_migrated(settings)
    ctx = build_context(settings)
    from bot.app import run_polling, run_webhook
    from bot.serve import PortUnavailable

    with_scheduler = (not webhook) if scheduler is None else scheduler
    try:
        if webhook:
            run_webhook(settings, ctx, with_scheduler=with_scheduler)
        else:
            run_polling(
                settings,
                ctx,
                with_scheduler=with_scheduler,
                announce=lambda url: typer.echo(_t()("cli-web-pages", url=url)),
            )
    except PortUnavailable as exc:
        fail(_t()("cli-port-busy", address=exc.address, reason=exc.reason_in(_t())))


@app.command("start")
@friendly
def start() -> None:
    """What the README's first command runs: migrate, seed the demo when the database is
    empty, then run the bot, or, with no token yet, explain .env and open the console chat."""
    from services.demo import seed_demo

    settings = _settings()
    migrate.upgrade(settings.database_url)  # the one-machine path: upgrades after a `git pull`
    run_with_context(settings, lambda ctx: seed_demo(ctx, policy_dir=admin_policy_dir(settings)))
    if settings.telegram_bot_token is None:
        typer.echo(_t()("cli-no-token"))
        chat(user="console")
        return
    run(webhook=False)


def main() -> None:
    from dotenv import load_dotenv

    from cebot.logging_setup import configure_logging

    # .env into the process environment too (never over what is set): settings read outside
    # pydantic-settings (log level, render and OCR workers) then agree with Settings; under
    # systemd the EnvironmentFile has already set them
    load_dotenv(".env", override=False)
    configure_logging(
        os.environ.get("CEBOT_LOG_LEVEL", "WARNING").upper(),
        as_json=os.environ.get("CEBOT_LOG_FORMAT", "").lower() == "json",
    )
    app()


if __name__ == "__main__":
    main()
