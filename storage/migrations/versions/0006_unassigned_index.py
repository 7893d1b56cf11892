"""The unassigned queue's index: leads in work with no owner, oldest first.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 06:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_lead_unassigned", "lead", ["status", "owner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_lead_unassigned", table_name="lead")
