"""Who is in marketing: their App Home and `/sla-status` show marketing's side first.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 11:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.add_column(
            sa.Column("marketing", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_member_marketing", "member", ["marketing"])


def downgrade() -> None:
    op.drop_index("ix_member_marketing", table_name="member")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("marketing")
