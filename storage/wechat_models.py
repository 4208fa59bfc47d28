"""Tables of the WeChat channel (migrations 0008-0010). Imported at the end of storage.models
so that Base.metadata is complete wherever the models are used."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId

# --- screens: the numbered choices each WeChat user was last shown (migration 0008)


class WeChatScreen(Base):
    """The numbered choices a WeChat account was shown last (bot/wechat/screens.py): one
    current screen per account, so that any worker turns "2" into the second button's
    callback data. `choices` holds callback data only (opaque ids, never personal data);
    `screen` counts screens shown, so an answer can say a number is from an older one."""

    __tablename__ = "wechat_screens"
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id"), primary_key=True, autoincrement=False
    )
    choices: Mapped[list[Any]]
    screen: Mapped[int] = mapped_column(Integer, default=0)
    shown_at: Mapped[datetime]


class WeChatReceipt(Base):
    """A WeChat message (by MsgId) or event (by sender, time, event and key) whose turn
    committed: a redelivery, on any worker, is not handled again (bot/wechat/webhook.py)."""

    __tablename__ = "wechat_receipts"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(index=True)

# --- access token: one per account, shared by every worker (migration 0009)


class WeChatToken(Base):
    """The access token of one official account (app id), shared by every worker: WeChat
    allows 2,000 fetches a day and each fetch retires the previous token within 5 minutes.
    `refreshed_by` is the worker fetching a new one (NULL when none is), a lease taken at
    `refreshed_at`, so that one worker at a time asks WeChat; once the token is stored,
    `refreshed_at` says when (bot.wechat.api)."""

    __tablename__ = "wechat_tokens"
    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str | None] = mapped_column(String(512))
    expires_at: Mapped[datetime | None]
    refreshed_by: Mapped[str | None] = mapped_column(String(64))
    refreshed_at: Mapped[datetime | None]


# --- customer-service window: what may still be sent to whom (migration 0010)


class WeChatWindow(Base):
    """The customer-service window of one WeChat account: WeChat lets an account message a
    user only for a while after the user's last message or click, and only a few times.
    `sent_since_inbound` counts what was sent since `last_inbound_at` (services.wechat_window)."""

    __tablename__ = "wechat_windows"
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id"), primary_key=True, autoincrement=False
    )
    last_inbound_at: Mapped[datetime]
    last_kind: Mapped[str] = mapped_column(String(10))  # message | click
    sent_since_inbound: Mapped[int] = mapped_column(Integer, default=0)


# --- upload links: the page for PDFs and several photos at once (migration 0011)


class UploadLink(Base):
    """A single-use, expiring link to the upload page (services/upload_links.py), bound to one
    account. `id` is opaque (random); the link's signature is an HMAC over it, never stored.
    `used_at` is set in the transaction of the first file's turn, so a second use on any
    worker finds it set; `files_done` counts the files of that one upload."""

    __tablename__ = "upload_links"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    files_done: Mapped[int] = mapped_column(Integer, default=0)
