"""Upload links: the way a WeChat user sends PDFs or several photos at once (WeChat's chat
takes one photo per message and no PDF). At the claim's evidence step the bot gives a link to
the upload page (web/upload.py); the page feeds each file to the flow as if it was sent in
the chat.

A link is `/upload/<id>?t=<signature>`: `id` is random and opaque (no account, no personal
data), the signature the first 16 hex digits of the deployment's keyed HMAC over it (as
certificate links are signed), so a forged or altered link is refused before the database
is read. The row binds the link to one account, says when it expires, and is consumed by the
transaction of the upload's first file (`consume_receipt`), so it serves once on any worker."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.context import AppContext
from services.inbox import AlreadyHandled
from services.processed_updates import prune_older
from storage.models import Account
from storage.wechat_models import UploadLink

SIGNATURE_LENGTH = 16
DEFAULT_TTL = timedelta(minutes=30)
PURPOSE = "upload-link"
UPLOAD_PATH = "/upload"
# what the flows' Event.receipt is (bot/flows/base.Receipt), without importing the bot
Receipt = Callable[[AsyncSession], Awaitable[None]]


class LinkState(StrEnum):
    OK = "ok"
    FORGED = "forged"  # a signature that is not ours: 403
    GONE = "gone"  # unknown, expired or used: 410


@dataclass(frozen=True)
class OpenLink:
    link_id: str
    account_id: int
    channel: str
    external_id: str
    language: str | None
    ttl: timedelta  # the lifetime it was given: a fresh link gets the same


class LinkUsed(AlreadyHandled):
    """The link was used (or expired) meanwhile: the file's turn is undone."""


def signature(ctx: AppContext, link_id: str) -> str:
    return ctx.ids.token(PURPOSE, link_id)[:SIGNATURE_LENGTH]


def signature_ok(ctx: AppContext, link_id: str, given: str | None) -> bool:
    if not given or len(given) != SIGNATURE_LENGTH:
        return False
    given = given.strip().lower()
    # any key still listed: a link given just before a key rotation still opens
    return any(
        hmac.compare_digest(given, token[:SIGNATURE_LENGTH])
        for token in ctx.ids.tokens(PURPOSE, link_id)
    )


def link_url(ctx: AppContext, link_id: str) -> str:
    return f"{ctx.public_url.rstrip('/')}{UPLOAD_PATH}/{link_id}?t={signature(ctx, link_id)}"


async def issue_link(
    session: AsyncSession,
    ctx: AppContext,
    account_id: int,
    *,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """A new link for `account_id` (in the caller's transaction); its URL."""
    now = ctx.now()
    link_id = secrets.token_urlsafe(16)  # 22 characters, 128 random bits
    session.add(
        UploadLink(
            id=link_id, account_id=account_id, created_at=now, expires_at=now + ttl, files_done=0
        )
    )
    await session.flush()
    return link_url(ctx, link_id)


async def open_link(
    ctx: AppContext, link_id: str, given: str | None
) -> tuple[LinkState, OpenLink | None]:
    """Whether a link may be used now, and for whom. Read only: it is consumed by the first
    file's turn (consume_receipt)."""
    if len(link_id) > 32 or not signature_ok(ctx, link_id, given):
        return LinkState.FORGED, None
    async with ctx.db.transaction() as session:
        link = await session.get(UploadLink, link_id)
        if link is None or link.used_at is not None or link.expires_at <= ctx.now():
            return LinkState.GONE, None
        account = await session.get(Account, link.account_id)
        if account is None:
            return LinkState.GONE, None
        return LinkState.OK, OpenLink(
            link_id,
            account.id,
            account.channel,
            account.external_id,
            account.language,
            link.expires_at - link.created_at,
        )


def consume_receipt(ctx: AppContext, link_id: str, index: int) -> Receipt:
    """The receipt of the upload's file number `index` (from 0), written in its turn's
    transaction: the first file consumes the link (a conditional UPDATE, so of two
    concurrent uploads one wins); each later one must follow the previous file of the same
    upload. Otherwise the turn is undone (LinkUsed)."""

    async def record(session: AsyncSession) -> None:
        now = ctx.now()
        query = update(UploadLink).where(UploadLink.id == link_id)
        if index == 0:
            query = query.where(UploadLink.used_at.is_(None), UploadLink.expires_at > now)
            query = query.values(used_at=now, files_done=1)
        else:
            query = query.where(UploadLink.files_done == index).values(files_done=index + 1)
        result = await session.execute(query)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise LinkUsed(link_id)

    return record


async def prune_upload_links(
    ctx: AppContext, *, keep: timedelta = timedelta(days=1), batch: int = 1000
) -> int:
    """Delete links expired more than `keep` ago (a new one is made at every evidence screen;
    an expired one answers 410 by not being found as well as by its time)."""
    return await prune_older(
        ctx, UploadLink.id, UploadLink.expires_at, ctx.now() - keep, batch=batch
    )
