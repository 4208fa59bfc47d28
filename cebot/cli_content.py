"""`cebot courses import`, `cebot questions import` and `cebot exam reopen`.

Registered by cebot/cli.py (app.add_typer(courses_app, name="courses"), ...). cebot.cli is
imported lazily, inside the commands, so the two modules can import each other in any order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from core.idnumber import InvalidIdNumber
from services.context import AppContext
from services.courses import StudyRefused
from services.exam import RemedialDecision, reopen_exam
from services.imports import ImportResult
from services.progress import PersonNotFound
from services.question_bank import import_courses, import_questions

P = ParamSpec("P")
R = TypeVar("R")

courses_app = typer.Typer(help="Public-subject courses (公需科目课程).", no_args_is_help=True)
questions_app = typer.Typer(help="The exam question bank (题库).", no_args_is_help=True)
exam_app = typer.Typer(help="The public-subject exam (公需科目考试).", no_args_is_help=True)


# a callback keeps each app a command group even with a single command
@courses_app.callback()
def _courses() -> None:
    """Public-subject courses (公需科目课程)."""


@questions_app.callback()
def _questions() -> None:
    """The exam question bank (题库)."""


@exam_app.callback()
def _exam() -> None:
    """The public-subject exam (公需科目考试)."""


def friendly(func: Callable[P, R]) -> Callable[P, R]:
    """cebot.cli's friendly errors, looked up when the command runs."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from cebot.cli import friendly as base

        return base(func)(*args, **kwargs)

    return wrapper


def _report(path: Path, job: Callable[[AppContext], Awaitable[ImportResult]]) -> None:
    from cebot.cli import _report_import

    _report_import(path, job, done_key="content-import-done")


@courses_app.command("import")
@friendly
def courses_import(
    file: Annotated[Path, typer.Argument(help="JSON: a list of courses with their chapters.")],
) -> None:
    """Import courses: [{year, code, kind (mandatory|elective), topic, title,
    chapters: [{title, body, media?}]}]. Re-importing updates by (year, code)."""
    _report(file, lambda ctx: import_courses(ctx, file))


@questions_app.command("import")
@friendly
def questions_import(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or JSON question file.")],
) -> None:
    """Import questions: code,year,topic,course,kind,text,option_a..option_f,answer
    (kind single|multiple|truefalse; answer like A, AC, 对/错). Updates by (year, code)."""
    _report(file, lambda ctx: import_questions(ctx, file))


@exam_app.command("reopen")
@friendly
def exam_reopen(
    id_number: Annotated[str, typer.Argument(help="The person's ID number (身份证号).")],
    year: Annotated[int, typer.Option(help="The exam's year.")],
    reason: Annotated[str | None, typer.Option(help="Why (kept in the audit log).")] = None,
) -> None:
    """Reopen a person's exam for remedial study and a re-exam (补学补考): approves their
    pending request, or grants the policy's remedial attempts directly."""
    from cebot.cli import _settings, _t, fail, run_with_context

    t = _t()

    async def job(ctx: AppContext) -> RemedialDecision:
        if year not in ctx.policies:
            fail(t("exam-no-policy", year=year))
        return await reopen_exam(ctx, id_number, year, actor="cli", reason=reason)

    try:
        decision = run_with_context(_settings(), job)
    except InvalidIdNumber as exc:
        fail(t(f"import-bad-id-{exc.reason}"))
    except PersonNotFound:
        fail(t("exam-not-found"))
    except StudyRefused as exc:
        fail(t(f"study-refused-{exc.reason}", **exc.args_))
    if decision.request_id is not None:
        typer.echo(t("exam-reopened-request"))
    typer.echo(
        t(
            "exam-reopened",
            year=decision.year,
            extra=decision.extra_attempts,
            left=decision.attempts_left,
        )
    )
    # the service queued the person's notice with the grant (the outbox sends it)
    accounts = len(decision.person_account_ids)
    if accounts:
        typer.echo(t("exam-reopened-told", accounts=accounts))
    else:
        typer.echo(t("exam-reopened-not-told"))
