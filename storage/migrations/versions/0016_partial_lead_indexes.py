"""Six indexes of `lead` hold only the leads their reads can ask for: partial indexes.

Each read through them names the column the index's condition is about, so the condition is
implied and the plan is the one it was:

- ix_lead_unassigned: only leads nobody owns (every read of it says `owner_id IS NULL`);
- ix_lead_status_accepted: only accepted leads (reads ask for `accepted_at` in a period);
- ix_lead_status_closed: only closed leads (reads ask for `closed_at` in a period);
- ix_lead_status_next_touch_due: only leads with a touch due (reads bound `next_touch_due`);
- ix_lead_window, ix_lead_owner_window: only leads on a cadence (reads bound `window_ends_at`).

ix_lead_owner_status_window stays whole: a rep's due leads are counted through it with no
bound on `window_ends_at` (PostgreSQL's plan at 10k leads), and partial it would send that count
to an index that reads every lead the rep ever owned.

A lead outside the condition is no entry at all, so a new lead or a touch writes fewer index
pages, and the indexes are smaller: in a workspace where most leads are owned and closed,
ix_lead_unassigned and the window indexes hold a small share of the leads.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name: (columns, condition)
PARTIAL: dict[str, tuple[list[str], str]] = {
    "ix_lead_unassigned": (["status", "owner_id", "created_at"], "owner_id IS NULL"),
    "ix_lead_status_accepted": (["status", "accepted_at"], "accepted_at IS NOT NULL"),
    "ix_lead_status_closed": (["status", "closed_at", "won_amount"], "closed_at IS NOT NULL"),
    "ix_lead_status_next_touch_due": (["status", "next_touch_due"], "next_touch_due IS NOT NULL"),
    "ix_lead_window": (
        ["window_ends_at", "sla_met_at", "closed_at"],
        "window_ends_at IS NOT NULL",
    ),
    "ix_lead_owner_window": (
        ["owner_id", "window_ends_at", "sla_met_at", "closed_at"],
        "window_ends_at IS NOT NULL",
    ),
}


def upgrade() -> None:
    for name, (columns, condition) in PARTIAL.items():
        op.drop_index(name, table_name="lead")
        where = sa.text(condition)
        op.create_index(name, "lead", columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, (columns, _) in PARTIAL.items():
        op.drop_index(name, table_name="lead")
        op.create_index(name, "lead", columns)
