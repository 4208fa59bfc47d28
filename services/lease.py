"""A database lease: exactly one scheduler and one sender are active, however many processes
are started.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) taken on a dedicated
connection that is held for the whole lifetime of the lease. PostgreSQL frees the lock when
that connection ends, so a killed process loses its lease at once (no expiry to wait for, no
clock to trust). `alive()` pings the connection: if it was lost, so was the lock, and the
holder must stop.

SQLite: there is only one machine, so an OS file lock (`fcntl.flock`, exclusive, non-blocking)
on a file next to the database, `<database>.<name>.lease`, does the same: the kernel frees it
when the process dies. flock locks belong to the open file, so two contenders in the same
process exclude each other too. An in-memory database has no file: a process-local set
stands in for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

_MEMORY_LEASES: set[str] = set()


def lease_key(name: str) -> int:
    """A stable signed 64-bit key for pg advisory locks (Python's hash() varies per run)."""
    digest = hashlib.sha256(f"cebot-lease:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Lease:
    """Use `await Lease.try_acquire(db, name)`; None means another process holds it."""

    def __init__(
        self,
        name: str,
        *,
        conn: AsyncConnection | None = None,
        fd: int | None = None,
        memory: bool = False,
    ) -> None:
        self.name = name
        self._conn = conn
        self._fd = fd
        self._memory = memory
        self.held = True

    @classmethod
    async def try_acquire(cls, db: Database, name: str) -> Lease | None:
        if db.dialect == "postgresql":
            conn = await db.engine.connect()
            try:
                # autocommit: the connection must not sit "idle in transaction" for days
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                got = await conn.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": lease_key(name)}
                )
            except BaseException:
                await conn.close()
                raise
            if not got:
                await conn.close()
                return None
            return cls(name, conn=conn)
        path = _lease_path(db, name)
        if path is None:
            if name in _MEMORY_LEASES:
                return None
            _MEMORY_LEASES.add(name)
            return cls(name, memory=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return cls(name, fd=fd)

    async def alive(self) -> bool:
        """Still held? On PostgreSQL a lost connection means a lost lock."""
        if not self.held:
            return False
        if self._conn is None:
            return True
        try:
            await self._conn.scalar(text("SELECT 1"))
        except Exception:
            self.held = False
            return False
        return True

    async def release(self) -> None:
        if not self.held:
            return
        self.held = False
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a dead connection has freed it already
                await self._conn.scalar(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": lease_key(self.name)}
                )
            with contextlib.suppress(Exception):
                await self._conn.close()
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
        if self._memory:
            _MEMORY_LEASES.discard(self.name)

    async def __aenter__(self) -> Lease:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.release()


def _lease_path(db: Database, name: str) -> Path | None:
    database = db.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    return Path(database).expanduser().with_name(f"{Path(database).name}.{safe}.lease")
