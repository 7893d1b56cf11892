"""Goals: marketing's commitment split by source, persona or team.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "goal",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dimension", sa.String(16), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("per_month", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("dimension", "key", name="uq_goal_dimension_key"),
    )


def downgrade() -> None:
    op.drop_table("goal")
