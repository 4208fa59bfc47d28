"""Alembic, driven from code so `cebot db upgrade` needs no alembic.ini in the working dir."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from storage.db import ensure_sqlite_dir, install_sqlite_pragmas, sync_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # '%' must be doubled for configparser; passwords in URLs may contain it
    cfg.set_main_option(
        "sqlalchemy.url", sync_url(url).render_as_string(hide_password=False).replace("%", "%%")
    )
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    ensure_sqlite_dir(url)
    engine = create_engine(sync_url(url))
    install_sqlite_pragmas(engine)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


@cache
def _revision_order() -> tuple[str, ...]:
    """The code's revisions, oldest first. Read from the migration files once per process:
    /readyz asks on every probe, and the files cannot change under a running process."""
    script = ScriptDirectory(str(MIGRATIONS))
    return tuple(reversed([rev.revision for rev in script.walk_revisions()]))


def head_revision() -> str | None:
    order = _revision_order()
    return order[-1] if order else None


def at_or_past_head(current: str | None) -> bool:
    """Is a database at `current` new enough for this code? During a rolling upgrade the
    database is migrated first, so workers of the previous release see a revision newer than
    their own head: one they do not know (a later release's) counts as past, since migrations
    only add. A revision this code knows must be its head (the history is linear)."""
    if current is None:
        return False
    order = _revision_order()
    if current not in order:
        return True
    return order.index(current) >= len(order) - 1
