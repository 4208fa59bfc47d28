"""spot checks: draws of verified claims and their items

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "spot_checks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("city", sa.String(length=50), nullable=True),
        sa.Column("unit_id", _ID, nullable=True),
        sa.Column("requested_size", sa.Integer(), nullable=True),
        sa.Column("share", sa.String(length=20), nullable=True),
        sa.Column("seed", _ID, nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("population_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("auditor_account_id", _ID, nullable=True),
        sa.Column("assigned_at", _TIME, nullable=True),
        sa.Column("assigned_by", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("closed_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["auditor_account_id"],
            ["accounts.id"],
            name=op.f("fk_spot_checks_auditor_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_spot_checks_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_checks")),
    )
    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spot_checks_auditor_account_id"), ["auditor_account_id"], unique=False
        )
    op.create_table(
        "spot_check_items",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("check_id", _ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("record_id", _ID, nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("unit_id", _ID, nullable=True),
        sa.Column("hours", storage.types.HalfHours(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("marked_by", sa.String(length=100), nullable=True),
        sa.Column("marked_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["check_id"], ["spot_checks.id"], name=op.f("fk_spot_check_items_check_id_spot_checks")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_spot_check_items_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["hour_records.id"],
            name=op.f("fk_spot_check_items_record_id_hour_records"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_spot_check_items_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check_items")),
        sa.UniqueConstraint("check_id", "record_id", name=op.f("uq_spot_check_items_check_id")),
    )
    with op.batch_alter_table("spot_check_items", schema=None) as batch_op:
        batch_op.create_index("ix_spot_check_items_check_seq", ["check_id", "seq"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_spot_check_items_record_id"), ["record_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("spot_check_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spot_check_items_record_id"))
        batch_op.drop_index("ix_spot_check_items_check_seq")
    op.drop_table("spot_check_items")
    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spot_checks_auditor_account_id"))
    op.drop_table("spot_checks")
