"""Upload links: single-use, expiring links to the upload page (WeChat's PDFs and photos)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "upload_links",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("used_at", _TIME, nullable=True),
        sa.Column("files_done", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_upload_links_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_links")),
    )
    op.create_index(
        op.f("ix_upload_links_account_id"), "upload_links", ["account_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_upload_links_account_id"), table_name="upload_links")
    op.drop_table("upload_links")
