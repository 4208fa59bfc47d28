"""exam: remedial requests

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = "status = 'pending'"


def upgrade() -> None:
    op.create_table(
        "exam_remedial_requests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("grant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["exam_grants.id"],
            name=op.f("fk_exam_remedial_requests_grant_id_exam_grants"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_exam_remedial_requests_person_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_remedial_requests")),
    )
    with op.batch_alter_table("exam_remedial_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exam_remedial_requests_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            "uq_exam_remedial_requests_pending",
            ["person_id", "year"],
            unique=True,
            sqlite_where=sa.text(_PENDING),
            postgresql_where=sa.text(_PENDING),
        )


def downgrade() -> None:
    with op.batch_alter_table("exam_remedial_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_exam_remedial_requests_pending",
            sqlite_where=sa.text(_PENDING),
            postgresql_where=sa.text(_PENDING),
        )
        batch_op.drop_index(batch_op.f("ix_exam_remedial_requests_person_id"))
    op.drop_table("exam_remedial_requests")
