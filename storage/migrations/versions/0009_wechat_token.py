"""WeChat access token: one per account, shared by every worker

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "wechat_tokens",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=512), nullable=True),
        sa.Column("expires_at", _TIME, nullable=True),
        sa.Column("refreshed_by", sa.String(length=64), nullable=True),
        sa.Column("refreshed_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_wechat_tokens")),
    )


def downgrade() -> None:
    op.drop_table("wechat_tokens")
