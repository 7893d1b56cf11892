"""Whose lead it is and how it ends: when the owner's cadence started, and why a lead was
recycled (handed back to marketing).

Existing leads are brought in line with the rule (DESIGN §2 "Whose lead it is"): an owned
sales-ready or review lead's cadence started at its assignment; any other lead has no cadence,
so no touch due and no window. A lead that rose from nurture after its assignment gets its
exact start from `smarketing db rebuild`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The covering indexes of the per-rep counts read the window's end (in window: not ended yet)
# rather than the assignment time.
_COVERING = {
    "ix_lead_owner_status_next_due": ("owner_id", "status", "next_touch_due"),
    "ix_lead_status_owner": ("status", "owner_id", "next_touch_due"),
}


def _recreate(column: str) -> None:
    for name, leading in _COVERING.items():
        op.drop_index(name, table_name="lead")
        op.create_index(name, "lead", [*leading, column, "grade"])


def upgrade() -> None:
    with op.batch_alter_table("lead") as batch:
        batch.add_column(sa.Column("cadence_from", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("recycle_reason", sa.String(length=500), nullable=True))
    op.execute(
        "UPDATE lead SET cadence_from = assigned_at WHERE owner_id IS NOT NULL "
        "AND grade IN ('sales-ready', 'review')"
    )
    op.execute(
        "UPDATE lead SET next_touch_due = NULL, window_ends_at = NULL "
        "WHERE cadence_from IS NULL OR duplicate_of IS NOT NULL"
    )
    _recreate("window_ends_at")
    op.create_index(
        "ix_lead_owner_status_window",
        "lead",
        ["owner_id", "status", "window_ends_at", "next_touch_due"],
    )


def downgrade() -> None:
    op.drop_index("ix_lead_owner_status_window", table_name="lead")
    _recreate("assigned_at")
    with op.batch_alter_table("lead") as batch:
        batch.drop_column("recycle_reason")
        batch.drop_column("cadence_from")
