"""`cebot broadcast` and `cebot reminders …`, run as an administrator runs them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import typer
from conftest import Province, context, shanghai
from typer.testing import CliRunner

from cebot.cli_reminders import broadcast_app, reminders_app
from storage.migrate import upgrade

app = typer.Typer()
app.add_typer(broadcast_app, name="broadcast")
app.add_typer(reminders_app, name="reminders")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cebot.sqlite3'}"
    for k, v in {
        "CEBOT_DATABASE_URL": url,
        "CEBOT_DATA_DIR": str(tmp_path / "data"),
        "CEBOT_SECRET_KEY": "cli-test-secret",
        "CEBOT_LANGUAGE": "en",
    }.items():
        monkeypatch.setenv(k, v)
    upgrade(url)

    async def seed() -> None:
        ctx = context(url, tmp_path / "data", lambda: shanghai(2024, 11, 20))
        p = Province(ctx)
        nanning, liuzhou = await p.unit("南宁"), await p.unit("柳州")
        for i in range(3):
            await p.person(nanning, chat=10 + i)
        await p.person(liuzhou, chat=20)
        await ctx.db.dispose()

    asyncio.run(seed())
    return url


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def test_broadcast_previews_asks_and_queues_once(env: str) -> None:
    code, out, _ = run("broadcast", "--text", "Maintenance tonight", "--city", "南宁", input="n\n")
    assert code == 1 and "Matching accounts: 3." in out  # declined: nothing queued
    code, out, _ = run("broadcast", "--text", "Maintenance tonight", "--city", "南宁", "--yes")
    assert code == 0 and "Queued 3 notices" in out, (out, _)
    key = out.split("(campaign ")[1].split(")")[0]
    code, out, _ = run("broadcast", "--text", "Maintenance tonight", "--city", "南宁", "--yes")
    assert "already queued" in out
    code, out, _ = run("reminders", "report", key, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["queued"] == 3 and data["pending"] == 3 and data["sent"] == 0
    code, out, _ = run("reminders", "report", key)
    assert "queued 3, sent 0" in out and "Not finished" in out
    code, _, err = run("broadcast", "--text", "x", "--status", "bogus", "--yes")
    assert code == 1 and "all, complete, incomplete or public_incomplete" in err
    code, out, _ = run("broadcast", "--text", "x", "--city", "nowhere", "--yes")
    assert code == 0 and "nothing was queued" in out


def test_run_due_by_date_and_again(env: str) -> None:
    code, out, _ = run("reminders", "run-due", "--date", "2024-12-24")
    assert code == 0 and "public:2024:d7: 4 newly queued" in out
    code, out, _ = run("reminders", "run-due", "--date", "2024-12-24")
    assert "already run" in out
    code, out, _ = run("reminders", "run-due", "--date", "2024-12-25")
    assert "No reminders are due on 2024-12-25" in out
    code, _, err = run("reminders", "report", "nope:1")
    assert code == 1 and "No such campaign" in err
