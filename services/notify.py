"""One message to one person, through the outbox: a decision on their claim, a revoked
certificate, a request for their unit's reviewers. The row holds a message key and its
arguments (never personal data beyond what the text itself shows); the sender renders it in
the account's language when it sends, within the sending hours, at most once.

Use `queue_notice` inside the transaction that made the change, so the message exists if and
only if the change committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.i18n import translator
from storage.models import Account, OutboxMessage, Role

NOTICE = "notice"


def _plain(args: Mapping[str, Any]) -> dict[str, str | int]:
    return {
        k: v if isinstance(v, int) and not isinstance(v, bool) else str(v) for k, v in args.items()
    }


def queue_notice(
    session: AsyncSession,
    *,
    account_id: int,
    key: str,
    now: datetime,
    args: Mapping[str, Any] | None = None,
    buttons: Iterable[tuple[str, str]] = (),
    optional: bool = False,
) -> OutboxMessage:
    """`buttons`: (label message key, callback data) pairs."""
    row = OutboxMessage(
        campaign_id=None,
        account_id=account_id,
        payload={
            "kind": NOTICE,
            "key": key,
            "args": _plain(args or {}),
            "buttons": [[label, data] for label, data in buttons],
        },
        optional=optional,
        status="queued",
        attempts=0,
        not_before=now,
        created_at=now,
    )
    session.add(row)
    return row


async def accounts_of_person(session: AsyncSession, person_id: int) -> list[int]:
    return list(await session.scalars(select(Account.id).where(Account.person_id == person_id)))


async def reviewer_accounts(session: AsyncSession, unit_id: int) -> list[int]:
    return list(
        await session.scalars(
            select(Role.account_id).where(
                Role.role == "reviewer", Role.unit_id == unit_id, Role.revoked_at.is_(None)
            )
        )
    )


async def notify_person(
    session: AsyncSession,
    person_id: int,
    key: str,
    now: datetime,
    args: Mapping[str, Any] | None = None,
    buttons: Iterable[tuple[str, str]] = (),
) -> int:
    """Queue the notice for every account bound to the person; the number queued."""
    accounts = await accounts_of_person(session, person_id)
    for account_id in accounts:
        queue_notice(session, account_id=account_id, key=key, now=now, args=args, buttons=buttons)
    return len(accounts)


def render_notice(payload: Mapping[str, Any], language: str) -> tuple[str, list[tuple[str, str]]]:
    t = translator(language)
    args = dict(payload.get("args") or {})
    text = t(str(payload.get("key", "")), **args)
    buttons = [(t(str(label)), str(data)) for label, data in payload.get("buttons") or []]
    return text, buttons
