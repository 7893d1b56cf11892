"""HubSpot connector: the webhook inbox, the write-back outbox and the connector's state.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
Moment = storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "hubspot_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", String(length=64), nullable=False),
        sa.Column("subscription_type", String(length=64), nullable=False),
        sa.Column("object_id", String(length=32), nullable=False),
        sa.Column("occurred_at", Moment(timezone=True), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("received_at", Moment(timezone=True), nullable=False),
        sa.Column("processed_at", Moment(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", Moment(timezone=True), nullable=True),
        sa.Column("error", String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", name="uq_hubspot_inbox_event"),
    )
    op.create_index(
        "ix_hubspot_inbox_pending", "hubspot_inbox", ["processed_at", "next_attempt_at"]
    )
    op.create_table(
        "hubspot_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", String(length=255), nullable=False),
        sa.Column("lead_external_id", String(length=255), nullable=False),
        sa.Column("contact_id", String(length=32), nullable=False),
        sa.Column("kind", String(length=16), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("status", String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", Moment(timezone=True), nullable=True),
        sa.Column("hubspot_id", String(length=32), nullable=True),
        sa.Column("error", String(length=500), nullable=True),
        sa.Column("created_at", Moment(timezone=True), nullable=False),
        sa.Column("sent_at", Moment(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_hubspot_outbox_key"),
    )
    op.create_index("ix_hubspot_outbox_status", "hubspot_outbox", ["status", "next_attempt_at"])
    op.create_index("ix_hubspot_outbox_contact", "hubspot_outbox", ["contact_id"])
    op.create_table(
        "hubspot_state",
        sa.Column("key", String(length=64), nullable=False),
        sa.Column("value", String(length=20000), nullable=False),
        sa.Column("updated_at", Moment(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("hubspot_state")
    op.drop_index("ix_hubspot_outbox_contact", table_name="hubspot_outbox")
    op.drop_index("ix_hubspot_outbox_status", table_name="hubspot_outbox")
    op.drop_table("hubspot_outbox")
    op.drop_index("ix_hubspot_inbox_pending", table_name="hubspot_inbox")
    op.drop_table("hubspot_inbox")
