"""`cebot certificates ...`: verify a certificate (number or the QR code's URL) and issue one.

Registered by cebot/cli.py (`app.add_typer(certificates_app, name="certificates")`). The shared
helpers of cebot.cli are imported when a command runs, not at import time, so cebot.cli may
import this module from anywhere without a circular import."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Annotated, ParamSpec, TypeVar

import typer

from core.hours import format_hours
from core.idnumber import InvalidIdNumber
from services.certificate_render import shutdown_renderer
from services.certificates import (
    KIND_HOURS,
    CertificateKind,
    CertificateView,
    NotEligible,
    Verification,
    VerifyStatus,
    issue_certificate,
    parse_verification_input,
    verification_url,
    verify,
    verify_trusted,
)
from services.context import AppContext
from services.progress import PersonNotFound, YearWithoutPolicy, find_person_by_id_number

P = ParamSpec("P")
R = TypeVar("R")

certificates_app = typer.Typer(help="Certificates (证书): verify and issue.", no_args_is_help=True)


def _friendly(func: Callable[P, R]) -> Callable[P, R]:
    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from cebot.cli import friendly

        return friendly(func)(*args, **kwargs)

    return wrapper


def _verification_lines(result: Verification) -> list[str]:
    from cebot.cli import _t

    t = _t()
    lines = [t(f"cert-status-{result.status.value}")]
    if result.status is VerifyStatus.REVOKED:
        lines.append(t("cert-status-revoked-detail", date=result.revoked_on or "-"))
    if result.kind is None:
        return lines
    fields = [
        ("cert-field-number", result.number),
        ("cert-field-kind", t(f"cert-kind-{result.kind.value}")),
        ("cert-field-year", str(result.year)),
        ("cert-field-name", result.name_masked),
        ("cert-field-id", result.id_masked),
    ]
    fields += [
        (f"cert-hours-{key}", t("cert-hours-unit", hours=result.hours[key]))
        for key in KIND_HOURS[result.kind]
        if key in result.hours
    ]
    fields += [("cert-field-issuer", result.issuer), ("cert-field-issued-on", result.issued_on)]
    lines += ["  " + t("cli-cert-line", label=t(k), value=v or "-") for k, v in fields]
    return lines


@certificates_app.command("verify")
@_friendly
def verify_command(
    number_or_url: Annotated[
        str, typer.Argument(help="Certificate number, or the verification URL from its QR code.")
    ],
) -> None:
    """Check a certificate. A URL's signature is checked as the web page does; a bare number
    is looked up directly (this command holds the secret key). Exit code 0 only when valid."""
    from cebot.cli import _settings, run_with_context

    number, given = parse_verification_input(number_or_url)

    async def job(ctx: AppContext) -> Verification:
        if given is None:
            return await verify_trusted(ctx, number)
        return await verify(ctx, number, given)

    result = run_with_context(_settings(), job)
    typer.echo("\n".join(_verification_lines(result)))
    if result.status is not VerifyStatus.VALID:
        raise typer.Exit(1)


@certificates_app.command("issue")
@_friendly
def issue_command(
    id_number: Annotated[str, typer.Argument(help="The person's ID number (身份证号).")],
    year: Annotated[int, typer.Option(help="The year the certificate is for.")],
    kind: Annotated[CertificateKind, typer.Option(help="public_exam or ce.")],
) -> None:
    """Issue a person's certificate (or show the one already issued) and print its file."""
    from cebot.cli import _settings, _t, fail, run_with_context

    t = _t()

    async def job(ctx: AppContext) -> tuple[CertificateView, str]:
        try:
            async with ctx.db.transaction() as session:
                person = await find_person_by_id_number(ctx, session, id_number)
            if person is None:
                raise PersonNotFound()
            view = await issue_certificate(ctx, person.id, year, kind, actor="cli")
            return view, verification_url(ctx, view.number)
        finally:
            shutdown_renderer()  # the command ends here: stop the render processes now

    try:
        view, url = run_with_context(_settings(), job)
    except InvalidIdNumber as exc:
        fail(t(f"import-bad-id-{exc.reason}"))
    except PersonNotFound:
        fail(t("cli-progress-not-found"))
    except YearWithoutPolicy:
        fail(t("cli-progress-no-policy", year=year))
    except NotEligible as exc:
        ev = exc.evaluation
        fail(
            t(
                f"cli-cert-not-eligible-{exc.kind.value}",
                year=year,
                total=format_hours(ev.total_hours),
                min=format_hours(ev.min_total_hours),
                needed=format_hours(ev.professional_hours_needed),
            )
        )
    key = "cli-cert-issued" if view.created else "cli-cert-existing"
    typer.echo(t(key, title=t(f"cert-kind-{view.kind.value}"), number=view.number))
    typer.echo(t("cli-cert-file", path=str(view.file_path)))
    typer.echo(t("cli-cert-url", url=url))
