"""`cebot backup` and `cebot restore` (storage/backup.py does the work). Registered by
cebot/cli.py; cebot.cli is imported inside the commands to avoid a cycle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from storage.backup import BackupError

KEEP = 14  # nightly: two weeks


def _error(exc: BackupError) -> str:
    from cebot.cli import _safe_url, _settings, _t

    settings = _settings()
    args = {"url": _safe_url(settings.database_url), **exc.args_}
    return _t()(f"cli-backup-{exc.reason.replace('_', '-')}", **args)


def backup(
    to: Annotated[
        Path | None,
        typer.Option("--to", help="Folder of the backups (default: var/backups beside the data)."),
    ] = None,
    keep: Annotated[int, typer.Option(min=1, help="Keep the newest this many backups.")] = KEEP,
    data: Annotated[
        bool, typer.Option("--data/--no-data", help="Also archive the data directory.")
    ] = True,
) -> None:
    """A timestamped, consistent copy of the database (and the data directory, without the
    secret key); older backups beyond --keep are removed."""
    from cebot.cli import _settings, _t, fail, friendly
    from services.context import utc_now
    from storage import backup as backups

    @friendly
    def body() -> None:
        settings = _settings()
        t = _t()
        folder = to if to is not None else settings.data_dir.parent / "backups"
        try:
            result = backups.backup(
                settings.database_url,
                folder,
                utc_now(),
                data_dir=settings.data_dir if data else None,
                keep=keep,
            )
        except BackupError as exc:
            fail(_error(exc))
        except OSError as exc:  # a full disk, a folder we may not write: said, not a traceback
            fail(t("cli-backup-not-written", folder=str(folder), error=exc.strerror or exc))
        size = result.database.stat().st_size
        typer.echo(t("cli-backup-done", path=str(result.database), size=f"{size / 1e6:.1f} MB"))
        if result.data is not None:
            typer.echo(t("cli-backup-data", path=str(result.data)))
        key = settings.data_dir / "secret.key"
        if data and settings.secret_key is None and key.exists():
            typer.echo(t("cli-backup-key-apart", path=str(key)))
        if result.removed:
            typer.echo(t("cli-backup-pruned", count=len(result.removed), keep=keep))

    body()


def restore(
    file: Annotated[Path, typer.Argument(help="A backup made by cebot backup.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = (
        False
    ),
) -> None:
    """Restore a database backup into the empty database of CEBOT_DATABASE_URL."""
    from cebot.cli import _safe_url, _settings, _t, fail, friendly
    from storage import backup as backups
    from storage import migrate

    @friendly
    def body() -> None:
        settings = _settings()
        t = _t()
        url = settings.database_url
        try:
            # said before the question: nothing to confirm in vain
            if not file.is_file():
                raise BackupError("missing", file=str(file))
            if backups.backup_kind(file) != backups.backend(url):
                raise BackupError("wrong_kind", file=str(file), kind=backups.backup_kind(file))
            if not backups.database_is_empty(url):
                raise BackupError("not_empty")
            if not yes and not typer.confirm(
                t("cli-restore-confirm", file=str(file), url=_safe_url(url))
            ):
                raise typer.Abort()
            backups.restore_database(file, url)
        except BackupError as exc:
            fail(_error(exc))
        revision = migrate.current_revision(url)
        key = "cli-restore-done" if migrate.at_or_past_head(revision) else "cli-restore-old"
        typer.echo(t(key, revision=revision or "-"))

    body()
