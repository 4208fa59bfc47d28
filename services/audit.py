"""The append-only audit log. Callers pass masked or opaque values only, never an ID number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


def audit(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Adds the entry to the caller's transaction, so it lands with the change or not at all."""
    session.add(
        AuditEntry(
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            data=data or {},
        )
    )
