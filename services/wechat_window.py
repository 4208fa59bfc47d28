"""The customer-service window of each WeChat account (table wechat_windows, migration 0010).

The webhook calls `note_inbound` for every message or menu click a user sends; whoever wants
to send a customer-service message (the outbox's WeChat sender, a deferred reply) first takes
a slot with `take_slot`, which counts it. The rule itself is core.wechat_window's.

Both work inside the caller's session (its transaction). `take_slot` is a compare-and-set on
the row as it was read, so two senders racing for the last slot never both get it, on SQLite
and PostgreSQL alike, without locking the row for the length of an HTTP call.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.wechat_window import RULES, InboundKind, may_send
from storage.wechat_models import WeChatWindow

WINDOW = WeChatWindow.__table__
_CAS_TRIES = 5  # a slot contended this often is simply not taken (a template goes instead)


async def note_inbound(
    session: AsyncSession, account_id: int, kind: InboundKind, now: datetime
) -> None:
    """The user sent a message (`message`) or clicked the menu (`click`) at `now`: a new
    window opens and nothing has been sent in it yet."""
    if kind not in RULES:
        raise ValueError(f"unknown inbound kind {kind!r}")
    values = {"last_inbound_at": now, "last_kind": kind, "sent_since_inbound": 0}
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(WINDOW).values(account_id=account_id, **values)  # type: ignore[arg-type]
    await session.execute(stmt.on_conflict_do_update(index_elements=["account_id"], set_=values))


async def take_slot(session: AsyncSession, account_id: int, now: datetime) -> bool:
    """True, and counted, when one more customer-service message may go to the account now;
    False when its window is closed or full (or it never wrote to the account)."""
    for _ in range(_CAS_TRIES):
        row = (
            await session.execute(
                select(
                    WeChatWindow.last_inbound_at,
                    WeChatWindow.last_kind,
                    WeChatWindow.sent_since_inbound,
                ).where(WeChatWindow.account_id == account_id)
            )
        ).one_or_none()
        if row is None:
            return False
        at, kind, sent = row
        if not may_send(kind, at, sent, now):
            return False
        result = await session.execute(
            update(WeChatWindow)
            .where(
                WeChatWindow.account_id == account_id,
                WeChatWindow.last_inbound_at == at,
                WeChatWindow.sent_since_inbound == sent,
            )
            .values(sent_since_inbound=sent + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            return True
    return False


async def close_window(session: AsyncSession, account_id: int) -> None:
    """WeChat said the window is closed (45015) although our count said open (a clock apart,
    an inbound not noted): no more customer-service messages until the user writes again."""
    limit = max(rule.limit for rule in RULES.values())
    await session.execute(
        update(WeChatWindow)
        .where(WeChatWindow.account_id == account_id)
        .values(sent_since_inbound=limit)
        .execution_options(synchronize_session=False)
    )
