"""WeChat customer-service window: what may still be sent to whom

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "wechat_windows",
        sa.Column("account_id", _ID, autoincrement=False, nullable=False),
        sa.Column("last_inbound_at", _TIME, nullable=False),
        sa.Column("last_kind", sa.String(length=10), nullable=False),
        sa.Column("sent_since_inbound", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_wechat_windows_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_wechat_windows")),
    )


def downgrade() -> None:
    op.drop_table("wechat_windows")
