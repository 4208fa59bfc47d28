"""binding hardening: roster phones, binding notices and disputes

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("phone_cipher", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_people_phone_hash"), ["phone_hash"], unique=False)
    op.create_table(
        "binding_disputes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("claimant_account_id", _ID, nullable=False),
        sa.Column("holder_account_id", _ID, nullable=True),
        sa.Column("unit_id", _ID, nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("decided_at", _TIME, nullable=True),
        sa.Column("decided_by", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_binding_disputes_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["claimant_account_id"],
            ["accounts.id"],
            name=op.f("fk_binding_disputes_claimant_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["holder_account_id"],
            ["accounts.id"],
            name=op.f("fk_binding_disputes_holder_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_binding_disputes_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["accounts.id"], name=op.f("fk_binding_disputes_decided_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_binding_disputes")),
    )
    with op.batch_alter_table("binding_disputes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_binding_disputes_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_binding_disputes_claimant_account_id"),
            ["claimant_account_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("binding_disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_binding_disputes_claimant_account_id"))
        batch_op.drop_index(batch_op.f("ix_binding_disputes_person_id"))
    op.drop_table("binding_disputes")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_phone_hash"))
        batch_op.drop_column("phone_cipher")
        batch_op.drop_column("phone_hash")
