"""Backups of the database (and the data directory) and their restore, for `cebot backup` and
`cebot restore`.

- SQLite: the sqlite3 online-backup API copies a consistent snapshot while the bot runs.
- PostgreSQL: `pg_dump --format=custom` (one snapshot), restored by `pg_restore` in a single
  transaction: a restore that fails leaves the target as empty as it was.

Each backup is timestamped (`cebot-20261204T023000Z.sqlite3` / `.dump`, and
`…-data.tar.gz` for the data directory), written under a temporary name and renamed when
complete, so a backup interrupted half-way never passes for a good one; the newest `keep` are
kept. A restore goes only into an empty database: it never merges into or overwrites data.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url

from storage.db import sync_url

PREFIX = "cebot-"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".dump"}
DATA_SUFFIX = "-data.tar.gz"
# never in an archive: whoever holds a backup must not also hold the key to the ID numbers
SECRET_FILES = frozenset({"secret.key"})
_STAMP = re.compile(r"^cebot-(\d{8}T\d{6}Z)")


class BackupError(Exception):
    """reason: no_pg_dump | tool_failed | not_empty | wrong_kind | not_a_backup | missing."""

    def __init__(self, reason: str, **args: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.args_ = args


@dataclass(frozen=True, slots=True)
class BackupResult:
    database: Path
    data: Path | None
    removed: list[Path]


def backend(url: str) -> str:
    return make_url(url).get_backend_name()


def stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump/pg_restore and the environment holding its password (not the
    command line: `ps` shows that to every user of the machine)."""
    parsed: URL = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
        parsed = parsed.set(password=None)
    return parsed.render_as_string(hide_password=False), env


def _run(tool: str, args: list[str], env: dict[str, str] | None = None) -> None:
    path = shutil.which(tool)
    if path is None:
        raise BackupError("no_pg_dump", tool=tool)
    result = subprocess.run([path, *args], capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise BackupError("tool_failed", tool=tool, error=(lines[-1] if lines else "?")[:300])


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("wrong_kind", file=str(url), kind="sqlite")
    return Path(database)


def backup_database(url: str, folder: Path, now: datetime) -> Path:
    kind = backend(url)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{PREFIX}{stamp(now)}{SUFFIXES[kind]}"
    partial = final.with_name(final.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if kind == "sqlite":
            source = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True)
            target = sqlite3.connect(partial)
            try:
                with target:
                    source.backup(target)  # a consistent snapshot, writers may go on
                # one self-contained file: reading it later leaves no -wal/-shm beside it
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
                source.close()
        else:
            dsn, env = _libpq(url)
            _run("pg_dump", ["--format=custom", f"--file={partial}", f"--dbname={dsn}"], env)
        partial.chmod(0o600)  # names and encrypted ID numbers
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return final


def backup_data_dir(data_dir: Path, folder: Path, now: datetime) -> Path | None:
    """The data directory (certificates, evidence, policies) as a tarball, without the key."""
    if not data_dir.is_dir():
        return None
    final = folder / f"{PREFIX}{stamp(now)}{DATA_SUFFIX}"
    partial = final.with_name(final.name + ".partial")

    try:  # backups kept inside the data directory are not archived again
        inside = Path(".") / folder.resolve().relative_to(data_dir.resolve())
    except ValueError:
        inside = None

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        name = Path(info.name)
        if name.name in SECRET_FILES or (inside is not None and inside in (name, *name.parents)):
            return None
        return info

    try:
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(data_dir, arcname=".", filter=keep)
        partial.chmod(0o600)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return final


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backups (a database file and its data archive share
    their timestamp and go together); files not named by `cebot backup` are left alone."""
    stamps: dict[str, list[Path]] = {}
    for path in folder.iterdir() if folder.is_dir() else ():
        match = _STAMP.match(path.name)
        if match and not path.name.endswith(".partial"):
            stamps.setdefault(match.group(1), []).append(path)
    removed: list[Path] = []
    for old in sorted(stamps, reverse=True)[max(keep, 1) :]:
        for path in stamps[old]:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def backup(
    url: str, folder: Path, now: datetime, *, data_dir: Path | None, keep: int
) -> BackupResult:
    database = backup_database(url, folder, now)
    data = backup_data_dir(data_dir, folder, now) if data_dir is not None else None
    return BackupResult(database, data, prune_backups(folder, keep))


# ------------------------------------------------------------------------------ restore


def database_is_empty(url: str) -> bool:
    """No table at all (an existing SQLite file with none counts as empty)."""
    if backend(url) == "sqlite" and not _sqlite_path(url).exists():
        return True
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return not inspect(conn).get_table_names()
    finally:
        engine.dispose()


def backup_kind(file: Path) -> str:
    for kind, suffix in SUFFIXES.items():
        if file.name.endswith(suffix):
            return kind
    raise BackupError("not_a_backup", file=str(file))


def restore_database(file: Path, url: str) -> None:
    """Restore `file` into the empty database at `url` (checked here, not only by the CLI)."""
    if not file.is_file():
        raise BackupError("missing", file=str(file))
    kind = backup_kind(file)
    if kind != backend(url):
        raise BackupError("wrong_kind", file=str(file), kind=kind)
    if not database_is_empty(url):
        raise BackupError("not_empty")
    if kind == "sqlite":
        _restore_sqlite(file, _sqlite_path(url))
    else:
        dsn, env = _libpq(url)
        _run(
            "pg_restore",
            [
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={dsn}",
                str(file),
            ],
            env,
        )


def _restore_sqlite(file: Path, target: Path) -> None:
    source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        try:
            tables = {r[0] for r in source.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise BackupError("not_a_backup", file=str(file)) from exc
        if "alembic_version" not in tables:
            raise BackupError("not_a_backup", file=str(file))
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".restoring")
        partial.unlink(missing_ok=True)
        destination = sqlite3.connect(partial)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
        os.replace(partial, target)
    finally:
        source.close()
