"""Campaign briefs: the campaigns marketing presents to sales before they run, and who is ready.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 11:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("persona", sa.String(255), nullable=True),
        sa.Column("source", sa.String(255), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("offer", sa.String(3000), nullable=False),
        sa.Column("talking_points", sa.String(3000), nullable=False),
        sa.Column("expected_sales_ready", sa.Integer(), nullable=False),
        sa.Column("link", sa.String(1000), nullable=True),
        sa.Column("post_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("message_ts", sa.String(64), nullable=True),
        sa.Column("posted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("scorecard_posted_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_campaign_ends_on", "campaign", ["ends_on"])
    op.create_index("ix_campaign_posted_at", "campaign", ["posted_at"])
    op.create_table(
        "campaign_ready",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.id"), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("campaign_ready")
    op.drop_index("ix_campaign_posted_at", table_name="campaign")
    op.drop_index("ix_campaign_ends_on", table_name="campaign")
    op.drop_table("campaign")
