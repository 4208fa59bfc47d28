"""Administration on the command line: spot checks, people, roles, the audit log and reopening
a decided claim. Registered by cebot/cli.py in one line:

    from cebot.cli_admin import register_admin_commands
    register_admin_commands(app, people_app)

which adds `cebot spot draw|list|show|assign|mark`, `cebot people move|deactivate` (next to
`cebot people import`), `cebot roles grant|withdraw|list`, `cebot audit` and
`cebot claims reopen`.

The command line is the operator on the server: it acts as "cli" (by=None in the services),
with every change in the audit log like the bot's. People are named by ID number (looked up by
its keyed hash, never printed) or by their number in cebot (`#12`, as `cebot audit` prints);
output shows masked ID numbers only. cebot.cli is imported inside the commands, not at the
top, so that cebot.cli can import this module without a cycle.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from services.claims import ClaimRefused
from services.context import AppContext
from services.i18n import Translator
from services.people_admin import (
    GRANTABLE_ROLES,
    AdminRefused,
    AuditLine,
    deactivate_binding,
    grant_role,
    list_roles,
    move_person,
    person_by_reference,
    read_audit,
    reopen_claim,
    role_line,
    when,
    withdraw_role,
)
from services.spot_checks import (
    COMMON_REVOKE_REASONS,
    SpotRefused,
    assign_draw,
    draw_details,
    draw_line,
    draw_sample,
    item_line,
    list_draws,
    mark_item,
    show_draw,
)

R = TypeVar("R")

spot_app = typer.Typer(help="Spot checks (抽查) of verified claims.", no_args_is_help=True)
roles_app = typer.Typer(
    help="Staff roles: reviewer, organiser, admin, auditor.", no_args_is_help=True
)
claims_app = typer.Typer(help="Claims: an administrator's corrections.", no_args_is_help=True)


def register_admin_commands(app: typer.Typer, people_app: typer.Typer) -> None:
    app.add_typer(spot_app, name="spot")
    app.add_typer(roles_app, name="roles")
    app.add_typer(claims_app, name="claims")
    app.command("audit")(audit_log)
    people_app.command("move")(people_move)
    people_app.command("deactivate")(people_deactivate)


# ------------------------------------------------------------------ plumbing


def _plain(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if isinstance(v, str | int)}


def _run(job: Callable[[AppContext], Awaitable[R]]) -> R:
    """Run a use case; every refusal becomes one line on stderr and exit 1."""
    from cebot.cli import _settings, _t, fail, run_with_context

    t = _t()
    try:
        return run_with_context(_settings(), job)
    except SpotRefused as exc:
        fail(t(f"spot-refused-{exc.reason}", **_plain(exc.args_)))
    except AdminRefused as exc:
        fail(t(f"adm-refused-{exc.reason}", **_plain(exc.args_)))
    except ClaimRefused as exc:
        fail(t(f"claim-refused-{exc.reason}", **_plain(exc.args_)))


def _tr() -> Translator:
    from cebot.cli import _t

    return _t()


def _fail(message: str) -> NoReturn:
    from cebot.cli import fail

    fail(message)


# ------------------------------------------------------------------ spot checks


@spot_app.command("draw")
def spot_draw(
    year: Annotated[int, typer.Option(help="The year of the claims.")],
    city: Annotated[str | None, typer.Option(help="Only units of this city (地市).")] = None,
    unit: Annotated[str | None, typer.Option(help="Only this unit (credit code).")] = None,
    size: Annotated[int | None, typer.Option(help="How many claims to draw.")] = None,
    share: Annotated[
        str | None, typer.Option(help="Or what share of them: 10%, 0.1 or 1/10.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Repeat a draw with its seed (default: a new one).")
    ] = None,
    auditor: Annotated[
        int | None, typer.Option(help="Assign it to this account (an auditor) at once.")
    ] = None,
) -> None:
    """Draw a reproducible random sample of the year's approved claims."""
    from cebot.cli import friendly

    @friendly
    def body() -> None:
        t = _tr()
        draw = _run(
            lambda ctx: draw_sample(
                ctx,
                None,
                year=year,
                city=city,
                unit=unit,
                size=size,
                share=share,
                seed=seed,
                auditor=auditor,
            )
        )
        typer.echo("\n".join(draw_details(t, draw)))
        _, items = _run(lambda ctx: show_draw(ctx, None, draw.id))
        for item in items:
            typer.echo("  " + item_line(t, item))

    body()


@spot_app.command("list")
def spot_list(
    open_only: Annotated[bool, typer.Option("--open", help="Only draws with open items.")] = False,
) -> None:
    """The latest draws, newest first."""
    from cebot.cli import friendly

    @friendly
    def body() -> None:
        t = _tr()
        draws = _run(lambda ctx: list_draws(ctx, None, open_only=open_only, limit=100))
        if not draws:
            typer.echo(t("spot-none"))
        for draw in draws:
            typer.echo(draw_line(t, draw))

    body()


@spot_app.command("show")
def spot_show(check: Annotated[int, typer.Argument(help="The draw's number.")]) -> None:
    """A draw: its seed and population, and each item with its outcome."""
    from cebot.cli import friendly

    @friendly
    def body() -> None:
        t = _tr()
        draw, items = _run(lambda ctx: show_draw(ctx, None, check))
        typer.echo("\n".join(draw_details(t, draw)))
        for item in items:
            typer.echo("  " + item_line(t, item))

    body()


@spot_app.command("assign")
def spot_assign(
    check: Annotated[int, typer.Argument(help="The draw's number.")],
    auditor: Annotated[int, typer.Option(help="The auditor's account number.")],
) -> None:
    """Assign a draw to an auditor (an account holding the auditor role)."""
    from cebot.cli import friendly

    @friendly
    def body() -> None:
        t = _tr()
        draw = _run(lambda ctx: assign_draw(ctx, None, check, auditor))
        typer.echo(t("spot-assigned", id=draw.id, auditor=draw.auditor_name or str(auditor)))

    body()


@spot_app.command("mark")
def spot_mark(
    item: Annotated[int, typer.Argument(help="The item's number (spot show lists them).")],
    outcome: Annotated[str, typer.Argument(help="confirm or revoke")],
    reason: Annotated[
        str | None,
        typer.Option(help="Why (needed to revoke): " + ", ".join(COMMON_REVOKE_REASONS)),
    ] = None,
) -> None:
    """Mark a drawn claim confirmed, or revoked: it stops counting, certificates that no longer
    hold are revoked, the person and the unit's reviewers are told."""
    from cebot.cli import friendly

    @friendly
    def body() -> None:
        t = _tr()
        if outcome not in ("confirm", "revoke"):
            _fail(t("spot-cli-outcome"))
        result = _run(
            lambda ctx: mark_item(ctx, None, item, confirm=outcome == "confirm", reason=reason)
        )
        if result.already:
            typer.echo(
                t(
                    "spot-already",
                    outcome=t(f"spot-outcome-{result.item.outcome}"),
                    by=result.item.marked_by or "-",
                )
            )
            return
        typer.echo(item_line(t, result.item))
        for number in result.certificates_revoked:
            typer.echo(t("spot-cert-revoked", number=number))
        if result.item.outcome == "revoked":
            typer.echo(t("spot-told", person=result.person_told, reviewers=result.reviewers_told))
        if result.draw_done:
            typer.echo(t("spot-draw-done", id=result.item.check_id))

    body()


# ------------------------------------------------------------------ people


PersonArg = Annotated[
    str, typer.Argument(help="The person's ID number (身份证号), or their number in cebot (#12).")
]


def people_move(
    person: PersonArg,
    unit: Annotated[str, typer.Option(help="The new unit's credit code.")],
) -> None:
    """Move a person to another unit. Their claims keep the unit they were registered in."""
    from cebot.cli import friendly

    @friendly
    def body() -> None:
        t = _tr()

        async def job(ctx: AppContext) -> Any:
            return await move_person(ctx, None, await person_by_reference(ctx, person), unit)

        moved = _run(job)
        typer.echo(
            t(
                "adm-moved",
                name=moved.name,
                masked=moved.id_masked,
                old=moved.from_unit or "-",
                new=moved.to_unit,
            )
        )
        if moved.pending_kept:
            typer.echo(t("adm-moved-pending", count=moved.pending_kept))

    body()


def people_deactivate(person: PersonArg) -> None:
    """Remove the binding of the account bound to this person (the person and hours stay)."""
    from cebot.cli import friendly

    @friendly
    def body() -> None:
        t = _tr()

        async def job(ctx: AppContext) -> Any:
            return await deactivate_binding(ctx, None, await person_by_reference(ctx, person))

        done = _run(job)
        typer.echo(t("adm-unbound", name=done.name, masked=done.id_masked, account=done.account_id))

    body()


# ------------------------------------------------------------------ roles


@roles_app.command("grant")
def roles_grant(
    role: Annotated[str, typer.Argument(help="reviewer, organiser, admin or auditor")],
    account: Annotated[int | None, typer.Option(help="The account's number.")] = None,
    person: Annotated[
        str | None, typer.Option(help="Or the person whose bound account gets the role.")
    ] = None,
    unit: Annotated[str | None, typer.Option(help="The unit's credit code (reviewers).")] = None,
    source: Annotated[str | None, typer.Option(help="The import source (organisers).")] = None,
) -> None:
    """Grant a staff role to an account."""
    from cebot.cli import friendly

    @friendly
    def body() -> None:
        t = _tr()
        if role not in GRANTABLE_ROLES:
            _fail(t("adm-refused-role", role=role, roles=", ".join(GRANTABLE_ROLES)))
        if (account is None) == (person is None):
            _fail(t("adm-cli-account-or-person"))

        async def job(ctx: AppContext) -> Any:
            account_id = account
            if person is not None:
                from services.people_admin import person_card

                card = await person_card(ctx, None, await person_by_reference(ctx, person))
                if card.account_id is None:
                    raise AdminRefused("not_bound", name=card.name)
                account_id = card.account_id
            assert account_id is not None
            return await grant_role(ctx, None, account_id, role, unit=unit, source=source)

        change = _run(job)
        key = "adm-role-already" if change.already else "adm-role-granted"
        typer.echo(t(key) + " " + role_line(t, change.role))

    body()


@roles_app.command("withdraw")
def roles_withdraw(
    role_id: Annotated[int, typer.Argument(help="The role's number (cebot roles list).")],
) -> None:
    """Withdraw a role at once (the last administrator cannot be withdrawn)."""
    from cebot.cli import friendly

    @friendly
    def body() -> None:
        t = _tr()
        change = _run(lambda ctx: withdraw_role(ctx, None, role_id))
        key = "adm-role-already-withdrawn" if change.already else "adm-role-withdrawn"
        typer.echo(t(key) + " " + role_line(t, change.role))

    body()


@roles_app.command("list")
def roles_list(
    role: Annotated[str | None, typer.Option(help="Only this role.")] = None,
    unit: Annotated[str | None, typer.Option(help="Only roles of this unit (code).")] = None,
    account: Annotated[int | None, typer.Option(help="Only this account.")] = None,
    all_roles: Annotated[bool, typer.Option("--all", help="Withdrawn roles too.")] = False,
) -> None:
    """Who holds which role."""
    from cebot.cli import friendly

    @friendly
    def body() -> None:
        t = _tr()
        roles = _run(
            lambda ctx: list_roles(
                ctx, None, role=role, unit=unit, account_id=account, include_withdrawn=all_roles
            )
        )
        if not roles:
            typer.echo(t("adm-roles-none"))
        for r in roles:
            typer.echo(role_line(t, r))

    body()


# ------------------------------------------------------------------ audit log, claims


def _day(value: str | None, t: Translator) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(t("adm-cli-bad-date", value=value))


def audit_line(entry: AuditLine) -> str:
    data = json.dumps(entry.data, ensure_ascii=False, sort_keys=True) if entry.data else ""
    target = entry.entity + (f"#{entry.entity_id}" if entry.entity_id else "")
    return f"{when(entry.at)}  {entry.actor}  {entry.action}  {target}  {data}".rstrip()


def audit_log(
    person_id: Annotated[
        int | None, typer.Option("--person-id", help="About this person (their number).")
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option(help='Done by this actor ("cli", "account:12"; 12 = that account).'),
    ] = None,
    since: Annotated[str | None, typer.Option(help="From this day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="To this day, included.")] = None,
    action: Annotated[
        str | None, typer.Option(help='This action ("role.grant"), or a prefix ("spot.*").')
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many entries.")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Read the audit log, newest first."""
    from cebot.cli import friendly

    @friendly
    def body() -> None:
        t = _tr()
        first, last = _day(since, t), _day(until, t)
        if first and last and first > last:
            _fail(t("adm-cli-bad-range"))
        entries = _run(
            lambda ctx: read_audit(
                ctx,
                None,
                person_id=person_id,
                actor=actor,
                since=first,
                until=last,
                action=action,
                limit=max(1, limit),
            )
        )
        if not entries and not as_json:
            typer.echo(t("adm-audit-none"))
        for e in entries:
            if as_json:
                typer.echo(
                    json.dumps(
                        {
                            "id": e.id,
                            "at": e.at.isoformat(),
                            "actor": e.actor,
                            "action": e.action,
                            "entity": e.entity,
                            "entity_id": e.entity_id,
                            "data": e.data,
                        },
                        ensure_ascii=False,
                    )
                )
            else:
                typer.echo(audit_line(e))

    body()


@claims_app.command("reopen")
def claims_reopen(
    record: Annotated[int, typer.Argument(help="The claim's number.")],
    reason: Annotated[str, typer.Option(help="Why it is reopened (logged, told to the person).")],
) -> None:
    """Send a decided claim back to pending (its unit decides it again)."""
    from cebot.cli import friendly

    @friendly
    def body() -> None:
        t = _tr()
        result = _run(lambda ctx: reopen_claim(ctx, None, record, reason))
        typer.echo(
            t(
                "adm-reopened",
                id=result.claim.id,
                title=result.claim.title,
                previous=t(f"adm-status-{result.previous}"),
            )
        )
        for number in result.certificates_revoked:
            typer.echo(t("spot-cert-revoked", number=number))

    body()
