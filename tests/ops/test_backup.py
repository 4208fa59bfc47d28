"""`cebot backup` and `cebot restore`, run as an operator runs them, on SQLite and PostgreSQL:
the demo province is backed up, restored into a fresh database, and the copy answers the same
(table counts, one person's progress)."""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from cebot.cli import app
from storage.db import sync_url
from storage.models import Base

KEY = "Xq3v_Lw9-Rt2pZk8Hn5mBc7Jd4Fg6Ys1Ua0Ve2Wi9Qo3Tr8"
ZHANG_WEI = "450103198803120212"  # demo person: 15 professional hours still needed in 2024
TABLES = ("units", "people", "accounts", "hour_records", "policy_years", "questions", "audit_log")
PG_ADMIN = os.environ.get("CEBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "CEBOT_DATABASE_URL": database_url,
        "CEBOT_DATA_DIR": str(tmp_path / "data"),
        "CEBOT_SECRET_KEY": KEY,
        "CEBOT_LANGUAGE": "en",
        "TELEGRAM_BOT_TOKEN": "",
    }.items():
        monkeypatch.setenv(key, value)
    return database_url


@pytest.fixture
def empty_target(env: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of the same kind as `env`."""
    if env.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'cebot.sqlite3'}"
        return
    name = f"cebot_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sync_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(env).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def cli(*args: str, input: str | None = None, url: str | None = None) -> tuple[int, str, str]:
    old = os.environ.get("CEBOT_DATABASE_URL")
    if url is not None:
        os.environ["CEBOT_DATABASE_URL"] = url
    try:
        result = CliRunner().invoke(app, list(args), input=input)
    finally:
        if old is not None:
            os.environ["CEBOT_DATABASE_URL"] = old
    return result.exit_code, result.stdout, result.stderr


def counts(url: str) -> dict[str, int]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return {
                name: int(conn.scalar(select(func.count()).select_from(Base.metadata.tables[name])))
                for name in TABLES
            }
    finally:
        engine.dispose()


def progress(url: str) -> dict[str, object]:
    code, out, err = cli("progress", ZHANG_WEI, "--year", "2024", "--json", url=url)
    assert code == 0, err
    return dict(json.loads(out))


def test_round_trip_into_a_fresh_database(env: str, empty_target: str, tmp_path: Path) -> None:
    if not env.startswith("sqlite") and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    assert cli("demo")[0] == 0
    (tmp_path / "data" / "certificates").mkdir(parents=True, exist_ok=True)
    (tmp_path / "data" / "certificates" / "c1.pdf").write_bytes(b"%PDF-1.7 demo")
    code, out, err = cli("backup", "--to", str(tmp_path / "bk"))
    assert code == 0, err
    backups = sorted(p for p in (tmp_path / "bk").iterdir() if not p.name.endswith(".tar.gz"))
    assert len(backups) == 1 and f"Backup written: {backups[0]}" in out
    assert backups[0].stat().st_mode & 0o077 == 0  # names and encrypted ID numbers: owner only
    with tarfile.open(next((tmp_path / "bk").glob("*-data.tar.gz"))) as archive:
        assert "./certificates/c1.pdf" in archive.getnames()

    before = counts(env)
    assert before["people"] >= 4 and before["hour_records"] >= 10
    code, out, err = cli("restore", str(backups[0]), input="y\n", url=empty_target)
    assert code == 0, err
    assert "Restored; the database is at migration" in out
    assert counts(empty_target) == before
    theirs = progress(empty_target)
    assert theirs == progress(env) and theirs["name"] == "张伟"
    # a second restore would merge into data: refused, nothing changed
    code, _out, err = cli("restore", str(backups[0]), "--yes", url=empty_target)
    assert code == 1 and "is not empty" in err
    assert counts(empty_target) == before


def test_restore_refuses_what_it_cannot_do(env: str, tmp_path: Path) -> None:
    missing = tmp_path / "cebot-20240101T000000Z.sqlite3"
    code, _out, err = cli("restore", str(missing), "--yes")
    assert code == 1 and "No such file" in err
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    code, _out, err = cli("restore", str(other), "--yes")
    assert code == 1 and "is not a cebot backup" in err
    wrong = tmp_path / ("x.dump" if env.startswith("sqlite") else "x.sqlite3")
    wrong.write_bytes(b"\0")
    code, _out, err = cli("restore", str(wrong), "--yes")
    assert code == 1 and "backup, but CEBOT_DATABASE_URL" in err
    # the test database is migrated, hence not empty: a restore never overwrites it
    own = tmp_path / ("x.sqlite3" if env.startswith("sqlite") else "x.dump")
    own.write_bytes(b"\0")
    code, _out, err = cli("restore", str(own), "--yes")
    assert code == 1 and "is not empty" in err


def test_the_newest_are_kept_and_the_key_stays_apart(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from storage.backup import backup

    data = tmp_path / "data"
    data.mkdir()
    (data / "secret.key").write_text("k" * 64)
    (data / "policies").mkdir()
    (data / "policies" / "2027.toml").write_text("year = 2027")
    folder = data / "backups"  # inside the data directory: not archived again
    (folder).mkdir()
    (folder / "keep-me.txt").write_text("not a backup: left alone")
    start = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    for day in range(5):
        result = backup(sqlite_url, folder, start + timedelta(days=day), data_dir=data, keep=3)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "cebot-20261203T023000Z-data.tar.gz",
        "cebot-20261203T023000Z.sqlite3",
        "cebot-20261204T023000Z-data.tar.gz",
        "cebot-20261204T023000Z.sqlite3",
        "cebot-20261205T023000Z-data.tar.gz",
        "cebot-20261205T023000Z.sqlite3",
        "keep-me.txt",
    ]
    assert len(result.removed) == 2
    with tarfile.open(folder / "cebot-20261205T023000Z-data.tar.gz") as archive:
        archived = archive.getnames()
    assert "./policies/2027.toml" in archived
    assert not any(n.endswith("secret.key") or "backups" in n for n in archived)

    # the CLI says where the key is, since it is not in the backup
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CEBOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CEBOT_DATA_DIR", str(data))
    monkeypatch.setenv("CEBOT_SECRET_KEY", "")
    monkeypatch.setenv("CEBOT_LANGUAGE", "en")
    code, out, err = cli("backup", "--to", str(tmp_path / "elsewhere"), "--keep", "1")
    assert code == 0, err
    assert f"the key file {data / 'secret.key'} is NOT in the backup" in out


def test_no_pg_dump_is_said_plainly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from storage import backup as backups

    monkeypatch.setattr(backups.shutil, "which", lambda _tool: None)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CEBOT_DATABASE_URL", "postgresql://cebot@127.0.0.1:9/cebot")
    monkeypatch.setenv("CEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CEBOT_LANGUAGE", "en")
    code, _out, err = cli("backup", "--to", str(tmp_path / "bk"), "--no-data")
    assert code == 1 and "pg_dump is not installed" in err
    assert list((tmp_path / "bk").iterdir()) == []  # no half-made file left behind


def test_the_systemd_unit_backs_up_with_cebot_backup() -> None:
    """The unit used to run pg_dump on a fixed database name into one overwritten file."""
    unit = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "cebot-backup.service"
    commands = [
        line.split("=", 1)[1].split()
        for line in unit.read_text(encoding="utf-8").splitlines()
        if line.startswith("ExecStart=")
    ]
    assert commands == [
        ["/opt/cebot/.venv/bin/cebot", "backup", "--to", "/srv/cebot-backup", "--keep", "14"]
    ]
