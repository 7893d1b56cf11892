"""Three indexes of `lead` that no read uses, dropped: every new lead (and, for the first, every
touch) wrote them.

- ix_lead_owner_status_next_due (owner_id, status, next_touch_due, window_ends_at, grade) holds
  the columns of ix_lead_status_owner with the first two swapped; every read of them sets both
  owner and status equal, so the one serves what the other did.
- ix_lead_incomplete: a yes/no column, only ever counted inside a period's aggregate.
- ix_lead_duplicate_of: no read looks leads up by their original (groups are read by e-mail).

None appeared in any query plan: SQLite's over the whole test suite, and both SQLite's and
PostgreSQL's over the bench's commands and jobs at 100k leads. Without them a batch of 500
events writes 1,226 WAL pages on SQLite instead of 1,278 (`python -m bench.wal_pages`).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 18:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_lead_owner_status_next_due", table_name="lead")
    op.drop_index("ix_lead_incomplete", table_name="lead")
    op.drop_index("ix_lead_duplicate_of", table_name="lead")


def downgrade() -> None:
    op.create_index("ix_lead_duplicate_of", "lead", ["duplicate_of"])
    op.create_index("ix_lead_incomplete", "lead", ["incomplete"])
    op.create_index(
        "ix_lead_owner_status_next_due",
        "lead",
        ["owner_id", "status", "next_touch_due", "window_ends_at", "grade"],
    )
