"""Teams of reps and marketers formed around a persona.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("persona", sa.String(255), nullable=True),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "team_member",
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("team.id"), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
    )
    op.create_index("ix_team_member_user_id", "team_member", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_team_member_user_id", table_name="team_member")
    op.drop_table("team_member")
    op.drop_table("team")
