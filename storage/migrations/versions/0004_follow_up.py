"""Follow-up records: last nudge, snooze and escalated breach per lead.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "follow_up",
        sa.Column("lead_external_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("last_nudged_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("snoozed_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("snoozes", sa.Integer(), nullable=False),
        sa.Column("escalated_since", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lead_external_id"),
    )


def downgrade() -> None:
    op.drop_table("follow_up")
