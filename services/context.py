"""What every use case needs, built once per process by an entry point."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from services.pii import IdProtector
from services.policies import PolicyBook, local_today
from storage.db import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppContext:
    db: Database
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
