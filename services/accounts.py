"""Chat accounts: get-or-create per channel user, language, and the bad-input rate limit.

These helpers join the caller's transaction (the flow engine runs one transaction per update,
so a domain change and the new conversation state land together or not at all).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.context import AppContext
from services.i18n import normalize_language
from storage.models import Account, Person

# Not a rule of the notice but of this service: after this many wrong inputs in a row
# (ID number, name, invitation code) the account waits LOCK_DURATION before trying again.
MAX_FAILED_ATTEMPTS = 10
LOCK_DURATION = timedelta(minutes=15)


async def get_or_create_account(
    session: AsyncSession,
    *,
    channel: str,
    external_id: str,
    now: datetime,
    language: str | None = None,
    display_name: str | None = None,
) -> Account:
    """The account of a channel user. A concurrent first contact of the same user makes one
    of the two inserts fail on the (channel, external_id) constraint; the engine retries."""
    account = await session.scalar(
        select(Account).where(Account.channel == channel, Account.external_id == external_id)
    )
    if account is None:
        account = Account(
            channel=channel,
            external_id=external_id,
            language=normalize_language(language),
            display_name=(display_name or None) and display_name[:100],
            failed_attempts=0,
            created_at=now,
        )
        session.add(account)
        await session.flush()
    return account


async def bound_person(session: AsyncSession, account: Account) -> Person | None:
    if account.person_id is None:
        return None
    return await session.get(Person, account.person_id)


def locked_until(account: Account, now: datetime) -> datetime | None:
    """When the account may try again, or None when it is not rate-limited now."""
    if account.locked_until is not None and account.locked_until > now:
        return account.locked_until
    return None


def record_failure(account: Account, now: datetime) -> bool:
    """Count one wrong input; True when this one locks the account."""
    account.failed_attempts = (account.failed_attempts or 0) + 1
    if account.failed_attempts >= MAX_FAILED_ATTEMPTS:
        account.failed_attempts = 0
        account.locked_until = now + LOCK_DURATION
        return True
    return False


def reset_failures(account: Account) -> None:
    """A right input ends the run of wrong ones ("10 wrong tries in a row")."""
    if account.failed_attempts:
        account.failed_attempts = 0
    account.locked_until = None


def set_language(account: Account, language: str) -> str:
    account.language = normalize_language(language)
    return account.language


# ------------------------------------------------------------------ Telegram's chat member updates


async def set_blocked(ctx: AppContext, *, channel: str, external_id: str, blocked: bool) -> bool:
    """The user blocked the bot (Telegram's my_chat_member "kicked") or unblocked it
    ("member"): mark the account as a failed send's 403 would, so the sender drops what is
    queued for it without trying, or clear the mark. One transaction; True when it changed.
    An account never seen before is not created: there is nothing to send to it."""
    now = ctx.now()
    async with ctx.db.transaction() as session:
        account = await session.scalar(
            select(Account).where(Account.channel == channel, Account.external_id == external_id)
        )
        if account is None:
            return False
        if blocked and account.unreachable_at is None:
            account.unreachable_at = now
            return True
        if not blocked and account.unreachable_at is not None:
            account.unreachable_at = None
            return True
    return False


async def account_language(ctx: AppContext, *, channel: str, external_id: str) -> str | None:
    """The language the account chose, or None for a user not seen before."""
    async with ctx.db.transaction() as session:
        language: str | None = await session.scalar(
            select(Account.language).where(
                Account.channel == channel, Account.external_id == external_id
            )
        )
    return language
