"""`cebot spot|people|roles|audit|claims` through Typer's CliRunner, as the operator on the
server runs them (registered on a root app the way cebot/cli.py registers them), with the
clock fixed inside the 2024 verification period."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from admin_helpers import YEAR, Province, build_province, id_number_of
from sqlalchemy import select
from typer.testing import CliRunner

import cebot.cli
from cebot.cli_admin import register_admin_commands
from cebot.settings import Settings
from core.idnumber import ID_NUMBER_PATTERN
from services.context import AppContext
from services.pii import IdProtector
from services.policies import PolicyBook
from storage.db import Database
from storage.models import Account, HourRecord, Person, Role
from storage.spot_models import SpotCheckItem

NOW = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)
SECRET = "cli-admin-secret"


def context(url: str, data_dir: Path) -> AppContext:
    return AppContext(
        db=Database(url),
        policies=PolicyBook.load(),
        ids=IdProtector(SECRET.encode()),
        data_dir=data_dir,
        clock=lambda: NOW,
    )


@pytest.fixture
def root() -> typer.Typer:
    app = typer.Typer()
    people = typer.Typer()
    app.add_typer(people, name="people")
    register_admin_commands(app, people)
    return app


@pytest.fixture
def province(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Province:
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "CEBOT_DATABASE_URL": sqlite_url,
        "CEBOT_DATA_DIR": str(tmp_path / "data"),
        "CEBOT_SECRET_KEY": SECRET,
        "CEBOT_LANGUAGE": "en",
    }.items():
        monkeypatch.setenv(key, value)

    def build_context(settings: Settings) -> AppContext:
        return context(settings.database_url, settings.data_dir)

    monkeypatch.setattr(cebot.cli, "build_context", build_context)

    async def seed() -> Province:
        ctx = context(sqlite_url, tmp_path / "data")
        try:
            return await build_province(ctx, extra_people=4)
        finally:
            await ctx.db.dispose()

    return asyncio.run(seed())


def query(url: str, statement: object) -> list[object]:
    async def run() -> list[object]:
        db = Database(url)
        try:
            async with db.transaction() as s:
                return list((await s.execute(statement)).all())  # type: ignore[call-overload]
        finally:
            await db.dispose()

    return asyncio.run(run())


class Cli:
    def __init__(self, app: typer.Typer) -> None:
        self.app = app
        self.outputs: list[str] = []

    def __call__(self, *args: str, code: int = 0) -> str:
        result = CliRunner().invoke(self.app, list(args))
        output = result.stdout + result.stderr
        self.outputs.append(output)
        assert result.exit_code == code, (args, output)
        return output


def test_spot_check_from_the_command_line(
    root: typer.Typer, province: Province, sqlite_url: str
) -> None:
    cli = Cli(root)
    out = cli("spot", "draw", "--year", str(YEAR), "--unit", "UA", "--size", "3", "--seed", "7")
    assert "Random seed 7" in out and "3 of 6 claims" in out
    assert out.count("item #") == 3
    again = cli("spot", "draw", "--year", str(YEAR), "--unit", "UA", "--size", "3", "--seed", "7")
    items = [line.split("·")[1:3] for line in out.splitlines() if "item #" in line]
    assert [line.split("·")[2] for line in again.splitlines() if "item #" in line] == [
        i[1] for i in items
    ]  # the same claims in the same order
    assert "#1 · 2024" in cli("spot", "list") and "#2 · 2024" in cli("spot", "list", "--open")
    cli("spot", "draw", "--year", str(YEAR), "--size", "2", "--share", "5%", code=1)
    cli("spot", "draw", "--year", "2023", "--size", "2", code=1)

    assert "auditor2" in cli("spot", "assign", "1", "--auditor", str(province.auditor2))
    assert "no auditor role" in cli("spot", "assign", "1", "--auditor", str(province.plain), code=1)

    item = query(
        sqlite_url,
        select(SpotCheckItem.id).where(
            SpotCheckItem.check_id == 1, SpotCheckItem.record_id == province.p1_claim_small
        ),
    )
    if not item:  # the draw of 3 missed this claim: revoke one it did draw
        item = query(
            sqlite_url, select(SpotCheckItem.id).where(SpotCheckItem.check_id == 1).limit(1)
        )
    item_id = str(item[0][0])  # type: ignore[index]
    assert "needs a reason" in cli("spot", "mark", item_id, "revoke", code=1)
    assert "confirm or revoke" in cli("spot", "mark", item_id, "maybe", code=1)
    out = cli("spot", "mark", item_id, "revoke", "--reason", "evidence_false")
    assert "revoked (The evidence is not genuine)" in out and "Told: 1 account(s)" in out
    assert "has already checked" in cli("spot", "mark", item_id, "confirm")
    shown = cli("spot", "show", "1")
    assert "revoked (The evidence is not genuine)" in shown and shown.count("item #") == 3
    revoked = query(sqlite_url, select(HourRecord.id).where(HourRecord.status == "revoked"))
    assert len(revoked) == 1

    log = cli("audit", "--action", "spot.*")
    assert "spot.draw" in log and "spot.assign" in log and "spot.revoke" in log
    assert all(" cli " in line for line in log.splitlines())
    assert not any(ID_NUMBER_PATTERN.search(o) for o in cli.outputs)


def test_people_roles_audit_and_reopen(
    root: typer.Typer, province: Province, sqlite_url: str
) -> None:
    cli = Cli(root)
    number = id_number_of(1)  # 王芳
    out = cli("people", "move", number, "--unit", "UB")
    assert "moved from 南宁市第一人民医院 to 柳州市第二中学" in out
    assert "1 pending claim(s)" in out
    assert "already in" in cli("people", "move", f"#{province.p1}", "--unit", "UB", code=1)
    assert "not found" in cli("people", "move", "#99999", "--unit", "UB", code=1)
    assert query(sqlite_url, select(Person.unit_id).where(Person.id == province.p1)) == [
        (province.unit_b,)
    ]

    out = cli("roles", "grant", "reviewer", "--person", number, "--unit", "UB")
    assert "Role granted." in out and "柳州市第二中学" in out
    assert "already has" in cli("roles", "grant", "reviewer", "--person", number, "--unit", "UB")
    assert "needs a unit" in cli("roles", "grant", "reviewer", "--account", "1", code=1)
    assert "Unknown role" in cli("roles", "grant", "king", "--account", "1", code=1)
    assert "--account or --person" in cli("roles", "grant", "admin", code=1)
    listed = cli("roles", "list", "--role", "reviewer")
    assert listed.count("\n") == 3 and "王芳" in listed
    role_id = query(
        sqlite_url,
        select(Role.id).where(Role.account_id == province.p1_account, Role.role == "reviewer"),
    )[0][0]  # type: ignore[index]
    assert "Role withdrawn." in cli("roles", "withdraw", str(role_id))
    assert "already withdrawn" in cli("roles", "withdraw", str(role_id))
    assert "withdrawn 2024-11-20" in cli(
        "roles", "list", "--account", str(province.p1_account), "--all"
    )
    admin_role = query(sqlite_url, select(Role.id).where(Role.role == "admin"))[0][0]  # type: ignore[index]
    assert "last administrator" in cli("roles", "withdraw", str(admin_role), code=1)

    out = cli("people", "deactivate", number)
    assert f"account #{province.p1_account}" in out
    assert query(
        sqlite_url, select(Account.person_id).where(Account.id == province.p1_account)
    ) == [(None,)]
    assert "no bound account" in cli("people", "deactivate", number, code=1)

    out = cli("claims", "reopen", str(province.p1_claim_big), "--reason", "单位申请复核")
    assert f"Claim #{province.p1_claim_big}" in out and "was approved" in out
    assert "not been decided" in cli(
        "claims", "reopen", str(province.pending_a), "--reason", "x", code=1
    )

    about = cli("audit", "--person-id", str(province.p1))
    for action in ("person.move", "account.deactivate", "claim.reopen"):
        assert action in about
    entries = [json.loads(line) for line in cli("audit", "--actor", "cli", "--json").splitlines()]
    assert {e["action"] for e in entries} >= {"person.move", "role.grant", "role.withdraw"}
    assert all(e["actor"] == "cli" for e in entries)
    assert "No log entries" in cli("audit", "--since", "2099-01-01")
    assert "Not a date" in cli("audit", "--since", "yesterday", code=1)
    assert "after the end date" in cli(
        "audit", "--since", "2024-12-01", "--until", "2024-11-01", code=1
    )
    one_day = cli(
        "audit", "--since", "2024-11-20", "--until", "2024-11-20", "--action", "role.grant"
    )
    assert one_day.count("role.grant") == 1 and "role.withdraw" not in one_day
    assert not any(ID_NUMBER_PATTERN.search(o) for o in cli.outputs)
