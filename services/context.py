"""What every use case needs, built once per process by an entry point."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from services.pii import IdProtector
from services.policies import PolicyBook, local_today
from storage.db import Database, SessionScope


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppContext:
    db: Database | SessionScope
    policies: PolicyBook
    ids: IdProtector
    data_dir: Path
    public_url: str = "http://localhost:8080"
    language: str = "zh"
    clock: Callable[[], datetime] = field(default=utc_now)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """Today in Asia/Shanghai, the zone of every deadline."""
        return local_today(self.clock())

    @property
    def database(self) -> Database:
        """The process's database itself (a lease, a bulk load), never a joined turn."""
        return self.db.root if isinstance(self.db, SessionScope) else self.db

    def within(self, session: AsyncSession) -> AppContext:
        """The same context whose use cases join `session`'s open transaction (a chat turn
        is one transaction: its flow state and its domain change commit together)."""
        return replace(self, db=SessionScope(self.database, session))
