"""Storing a batch reads the log and the projection only through their indexes, on both stores:
the planner's own choice on a young PostgreSQL log was to read all of it, twice a batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from storage.db import Database
from tests.app_server import RunningApp
from tests.events import assigned, created, post_events, touched

START = datetime(2026, 9, 1, tzinfo=UTC)


def _history(first: int, leads: int) -> list[dict[str, Any]]:
    events = []
    for n in range(first, first + leads):
        at = START + timedelta(hours=n)
        events.append(created(f"L-{n}", at, email=f"p{n % 40}@example.com", fit=80, interest=70))
        events.append(assigned(f"L-{n}", at + timedelta(minutes=5), slack_user_id="U0REP1"))
        events += [touched(f"L-{n}", at + timedelta(hours=h)) for h in (1, 2, 3)]
    return events


def test_a_batch_reads_the_log_and_the_leads_through_indexes(app: RunningApp, db: Database) -> None:
    for first in range(0, 1_000, 200):
        assert post_events(app, *_history(first, 200)).status_code == 200
    plans: list[tuple[str, str]] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            return
        prefix = "EXPLAIN " if conn.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
        cursor.execute(prefix + statement, parameters)
        plans.append((statement, "\n".join(str(row[-1]) for row in cursor.fetchall())))

    # Leads already stored (touched again, one re-assigned) and new ones, in one batch.
    batch = [touched(f"L-{n}", START + timedelta(days=60, hours=n)) for n in range(0, 1_000, 7)]
    batch.append(assigned("L-3", START + timedelta(days=61), slack_user_id="U0REP2"))
    batch += _history(1_000, 20)
    event.listen(db.engine, "before_cursor_execute", explain)
    try:
        response = post_events(app, *batch)
    finally:
        event.remove(db.engine, "before_cursor_execute", explain)
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == len(batch)

    reads = [(statement, plan) for statement, plan in plans if " lead" in statement]
    assert len(reads) >= 3  # known ids, the leads' rows, their history, the e-mail groups
    for statement, plan in reads:
        whole_table = [
            line
            for line in plan.splitlines()
            if "Seq Scan on lead" in line or line.startswith(("SCAN lead ", "SCAN lead_event"))
        ]
        assert not whole_table, f"{statement}\n{plan}"
