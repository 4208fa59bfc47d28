"""Engines and sessions. One URL setting; the async driver is derived from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm.exc import StaleDataError

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}
_SYNC_DRIVERS = {"sqlite": "sqlite+pysqlite", "postgresql": "postgresql+psycopg"}


def _with_driver(url: str | URL, drivers: dict[str, str]) -> URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in drivers:
        raise ValueError(f"unsupported database: {backend} (use sqlite or postgresql)")
    return parsed.set(drivername=drivers[backend])


def async_url(url: str | URL) -> URL:
    return _with_driver(url, _ASYNC_DRIVERS)


def sync_url(url: str | URL) -> URL:
    return _with_driver(url, _SYNC_DRIVERS)


def ensure_sqlite_dir(url: str | URL) -> None:
    """Create the directory of a file SQLite database, so the first run just works."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers work during a write; foreign keys are off by default in SQLite
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    # 64 MiB page cache (default 2 MiB): bulk imports update several indexes at once
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def install_sqlite_pragmas(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)


def make_async_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    ensure_sqlite_dir(url)
    # a pooled connection the server closed (a restart, an idle timeout) is replaced before
    # use, instead of failing the first update after it; SQLite has no server to lose
    if make_url(url).get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(async_url(url), **kwargs)
    install_sqlite_pragmas(engine.sync_engine)
    return engine


class Database:
    """An async engine with its session factory; one per process."""

    def __init__(self, url: str | URL, **engine_kwargs: Any) -> None:
        self.url = make_url(url)
        self.engine = make_async_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


# What a use case retries on when it owns its transaction: a unique key taken, a version moved
# on, SQLite's writer lock.
RACES = (IntegrityError, StaleDataError, OperationalError)


class ScopeConflict(Exception):
    """A use case lost a race inside a transaction it does not own: the owner (the bot's
    engine) must roll back and run the whole unit of work again."""


class SessionScope:
    """A Database whose `transaction()` is a transaction already open (the bot's one
    transaction per update), so that a use case called from a chat turn joins it instead of
    opening a second one. Commit and rollback stay with the owner; a lost race is raised as
    ScopeConflict, because retrying inside a failed transaction cannot work."""

    def __init__(self, db: Database, session: AsyncSession) -> None:
        self.root = db  # the database itself
        self.session = session

    @property
    def url(self) -> URL:
        return self.root.url

    @property
    def engine(self) -> AsyncEngine:
        return self.root.engine

    @property
    def dialect(self) -> str:
        return self.root.dialect

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.root.sessions

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        try:
            yield self.session
            await self.session.flush()  # surface a conflict here, inside the use case
        except RACES as exc:
            raise ScopeConflict(type(exc).__name__) from exc

    async def dispose(self) -> None:  # the owner disposes of the engine
        return None
