"""The figures snapshot: last period's compliance and overdue leads, for the digest's ▲▼.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "figures_snapshot",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("compliance", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("overdue_by_rep", sa.JSON(), nullable=False),
        sa.Column("taken_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("figures_snapshot")
