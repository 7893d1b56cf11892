"""Finding a lead by what people remember of it: its name or company, case ignored.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_lead_name_lower", "lead", [sa.text("lower(name)")])
    op.create_index("ix_lead_company_lower", "lead", [sa.text("lower(company)")])


def downgrade() -> None:
    op.drop_index("ix_lead_company_lower", table_name="lead")
    op.drop_index("ix_lead_name_lower", table_name="lead")
