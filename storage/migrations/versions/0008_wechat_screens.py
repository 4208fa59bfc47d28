"""WeChat screens: the numbered choices each user was last shown; WeChat receipts

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "wechat_screens",
        sa.Column("account_id", _ID, autoincrement=False, nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("screen", sa.Integer(), nullable=False),
        sa.Column("shown_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_wechat_screens_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_wechat_screens")),
    )
    op.create_table(
        "wechat_receipts",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("processed_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_wechat_receipts")),
    )
    with op.batch_alter_table("wechat_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wechat_receipts_processed_at"), ["processed_at"])


def downgrade() -> None:
    with op.batch_alter_table("wechat_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wechat_receipts_processed_at"))
    op.drop_table("wechat_receipts")
    op.drop_table("wechat_screens")
