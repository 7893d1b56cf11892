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


def upgrade() -> None:
    with op.batch_alter_table("sales_commitment") as batch:
        batch.add_column(sa.Column("sales_ready_first_touch_hours", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sales_commitment") as batch:
        batch.drop_column("sales_ready_first_touch_hours")
