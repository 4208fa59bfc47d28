"""`cebot policy list|new|check|activate`: the yearly policy's life cycle on the command line
(registered by cebot/cli.py; cebot.cli is imported inside the commands to avoid a cycle)."""

from __future__ import annotations

from typing import Annotated

import typer

from services.context import AppContext
from services.policy_admin import PolicyAdminError, activate, check_year, new_draft

policy_app = typer.Typer(help="Yearly policies: draft, check, activate.", no_args_is_help=True)

YearArg = Annotated[int, typer.Argument(help="The policy year, e.g. 2025.")]


def _problems(problems: list[str] | tuple[str, ...]) -> str:
    return "\n".join(f"  - {p}" for p in problems)


@policy_app.command("list")
def policy_list() -> None:
    """Every known year: active or draft, its file and its notice."""
    from cebot.cli import _settings, _t, build_context, friendly

    @friendly
    def body() -> None:
        ctx = build_context(_settings())
        t = _t()
        years = sorted({*ctx.policies, *ctx.policies.drafts})
        if not years:
            typer.echo(t("cli-policy-none"))
        for year in years:
            policy = ctx.policies.get(year) or ctx.policies.drafts[year]
            state = t("cli-policy-demo") if policy.demo else t(f"cli-policy-{policy.status}")
            path = ctx.policies.paths.get(year)
            typer.echo(
                t("cli-policy-line", year=year, state=state, file=str(path or "-"))
                + (f"  {policy.source}" if policy.source else "")
            )

    body()


@policy_app.command("new")
def policy_new(
    year: YearArg,
    from_year: Annotated[
        int | None, typer.Option("--from", help="The year to copy (default: the newest).")
    ] = None,
) -> None:
    """Draft YEAR's policy file from an earlier year's, in the administrator's policy folder."""
    from cebot.cli import CliError, _settings, _t, admin_policy_dir, build_context, friendly

    @friendly
    def body() -> None:
        settings = _settings()
        ctx = build_context(settings)
        t = _t()
        try:
            path = new_draft(ctx, admin_policy_dir(settings), year, from_year)
        except PolicyAdminError as exc:
            raise CliError(t(f"cli-policy-{exc.reason}", year=year)) from exc
        typer.echo(t("cli-policy-drafted", year=year, file=str(path)))

    body()


@policy_app.command("check")
def policy_check(year: YearArg) -> None:
    """Validate YEAR's policy: the file, the course, the question bank and the electives."""
    from cebot.cli import _settings, _t, fail, friendly, run_with_context

    @friendly
    def body() -> None:
        t = _t()

        async def job(ctx: AppContext) -> None:
            result = await check_year(ctx, year)
            if not result.ok:
                fail(t("cli-policy-problems", year=year) + "\n" + _problems(result.problems))
            typer.echo(t("cli-policy-ok", year=year, state=t(f"cli-policy-{result.status}")))

        run_with_context(_settings(), job)

    body()


@policy_app.command("activate")
def policy_activate(year: YearArg) -> None:
    """Activate YEAR's draft once `cebot policy check` passes (audited)."""
    from cebot.cli import CliError, _settings, _t, friendly, run_with_context

    @friendly
    def body() -> None:
        t = _t()

        async def job(ctx: AppContext) -> None:
            try:
                await activate(ctx, year, actor="cli")
            except PolicyAdminError as exc:
                message = t(f"cli-policy-{exc.reason}", year=year)
                if exc.problems:
                    message += "\n" + _problems(exc.problems)
                raise CliError(message) from exc
            typer.echo(t("cli-policy-activated", year=year))

        run_with_context(_settings(), job)

    body()


# ------------------------------------------------------------------------------ keys

keys_app = typer.Typer(help="The secret key behind ID-number encryption and lookups.")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt and re-hash every ID number under CEBOT_SECRET_KEY (old keys in
    CEBOT_PREVIOUS_SECRET_KEYS). Stop the bot first; safe to run again."""
    from cebot.cli import CliError, _settings, _t, friendly, run_with_context
    from services.key_rotation import rotate_keys

    @friendly
    def body() -> None:
        settings = _settings()
        t = _t()
        if not settings.previous_secrets:
            raise CliError(t("cli-keys-no-previous"))
        result = run_with_context(settings, rotate_keys)
        typer.echo(t("cli-keys-rotated", people=result.people, changed=result.changed))

    body()
