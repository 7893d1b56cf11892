"""Speed to lead: sales-ready leads may have their own first-touch time in the sales SLA.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 09:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The median first touch reads these indexes alone, for sales-ready leads apart too.
_FIRST_TOUCH = {
    "ix_lead_owner_assigned": ["owner_id", "assigned_at", "first_touch_at"],
    "ix_lead_assigned": ["assigned_at", "first_touch_at"],
}


def _first_touch_indexes(*extra: str) -> None:
    for name, columns in _FIRST_TOUCH.items():
        op.drop_index(name, table_name="lead")
        op.create_index(name, "lead", [*columns, *extra])


def upgrade() -> None:
    with op.batch_alter_table("sales_commitment") as batch:
        batch.add_column(sa.Column("sales_ready_first_touch_hours", sa.Integer(), nullable=True))
    _first_touch_indexes("grade")


def downgrade() -> None:
    _first_touch_indexes()
    with op.batch_alter_table("sales_commitment") as batch:
        batch.drop_column("sales_ready_first_touch_hours")
