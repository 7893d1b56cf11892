"""`ix_lead_status_owner` covers the per-rep SLA counts (next touch due, assigned at, grade).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NARROW = ["status", "owner_id"]
COVERING = ["status", "owner_id", "next_touch_due", "assigned_at", "grade"]


def upgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_status_owner")
        batch_op.create_index("ix_lead_status_owner", COVERING, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_status_owner")
        batch_op.create_index("ix_lead_status_owner", NARROW, unique=False)
