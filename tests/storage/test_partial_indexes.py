"""Migration 0016: six indexes of `lead` hold only the leads their reads can ask for, and
those reads still go through them.

The plans are SQLite's: with no statistics its planner is the same on an empty file as on a
full one, so the index it names here is the one a command uses at 100k leads. PostgreSQL's
choice depends on the table's size and statistics; the bench's plans at scale show it (README).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from storage import follow_up_records, leads, sla_counts
from storage.db import Database
from tests.storage.catalogue import index_definitions

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
MONTH = (NOW - timedelta(days=30), NOW)
# index: the condition a lead meets to have an entry in it
PARTIAL = {
    "ix_lead_unassigned": "owner_id is null",
    "ix_lead_status_accepted": "accepted_at is not null",
    "ix_lead_status_closed": "closed_at is not null",
    "ix_lead_status_next_touch_due": "next_touch_due is not null",
    "ix_lead_window": "window_ends_at is not null",
    "ix_lead_owner_window": "window_ends_at is not null",
}
Read = Callable[[Session], object]
# Each read that the index serves (a command's or a job's), and the index it must go through.
READS: list[tuple[str, Read]] = [
    ("ix_lead_unassigned", lambda s: leads.unassigned_leads(s, limit=20)),
    ("ix_lead_unassigned", leads.unassigned_count),
    ("ix_lead_status_accepted", lambda s: sla_counts.acceptance(s, start=MONTH[0], end=MONTH[1])),
    ("ix_lead_status_closed", lambda s: sla_counts.acceptance(s, start=MONTH[0], end=MONTH[1])),
    ("ix_lead_status_next_touch_due", lambda s: follow_up_records.due_before(s, until=NOW)),
    ("ix_lead_window", lambda s: sla_counts.breaches_between(s, start=MONTH[0], end=MONTH[1])),
    (
        "ix_lead_owner_window",
        lambda s: sla_counts.breaches_by_owner(s, owners=["U0REP1"], start=MONTH[0], end=NOW),
    ),
]


def _definitions(db: Database) -> dict[str, str]:
    """Each index of `lead`, lower case, without brackets or quotes."""
    return {
        name: " ".join(definition.lower().translate(str.maketrans("", "", '()"')).split())
        for name, definition in index_definitions(db, "lead").items()
    }


def test_the_six_indexes_hold_only_the_leads_their_reads_ask_for(db: Database) -> None:
    definitions = _definitions(db)

    for name, condition in PARTIAL.items():
        assert definitions[name].endswith(f" where {condition}"), definitions[name]
    # The others hold every lead: what reads them asks about any lead.
    assert " where " not in definitions["ix_lead_status_owner"]
    assert " where " not in definitions["ix_lead_owner_status_window"]
    assert " where " not in definitions["ix_lead_email_created"]


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "plans.sqlite3"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.mark.parametrize(
    ("index", "read"), READS, ids=[f"{i}-{n}" for n, (i, _) in enumerate(READS)]
)
def test_the_reads_still_go_through_the_partial_index(
    sqlite_db: Database, index: str, read: Read
) -> None:
    plans: list[str] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and " lead" in statement:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plans.extend(str(row[-1]) for row in cursor.fetchall())

    event.listen(sqlite_db.engine, "before_cursor_execute", explain)
    try:
        with sqlite_db.session() as session:
            read(session)
    finally:
        event.remove(sqlite_db.engine, "before_cursor_execute", explain)

    assert any(f"INDEX {index} " in line for line in plans), "\n".join(plans)
    assert not [line for line in plans if line.startswith("SCAN lead")], "\n".join(plans)
