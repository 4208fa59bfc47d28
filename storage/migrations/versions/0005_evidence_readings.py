"""evidence readings: what the bot read on each evidence file (OCR or PDF text)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "evidence_readings",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("file_id", _ID, nullable=False),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=True),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("reading", sa.Text(), nullable=False),
        sa.Column("read_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["evidence_files.id"],
            name=op.f("fk_evidence_readings_file_id_evidence_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_readings")),
        sa.UniqueConstraint("file_id", name=op.f("uq_evidence_readings_file_id")),
    )
    with op.batch_alter_table("evidence_readings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_readings_number"), ["number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_readings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_readings_number"))
    op.drop_table("evidence_readings")
