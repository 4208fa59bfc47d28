"""People the faults tests send to: one bound Telegram account per chat id."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from services.context import AppContext
from storage.models import Account, Person


async def add_bound_people(
    ctx: AppContext, chats: Iterable[int], now: datetime | None = None
) -> None:
    """A person bound to a Telegram account per chat: a broadcast's audience."""
    at = now or ctx.now()
    async with ctx.db.transaction() as s:
        for chat in chats:
            person = Person(
                id_hash=f"h{chat}",
                id_cipher="x",
                id_masked="4501**********0000",
                name=f"人{chat}",
                created_at=at,
                updated_at=at,
            )
            s.add(person)
            await s.flush()
            s.add(
                Account(
                    channel="telegram",
                    external_id=str(chat),
                    person_id=person.id,
                    language="zh",
                    created_at=at,
                )
            )
