"""Two batches about one lead, stored at the same moment, both count: the second waits for the
first rather than write a state computed without it (on both stores)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlmodel import select

from storage.db import Database
from storage.models import Lead
from tests.app_server import RunningApp
from tests.events import assigned, created, post_events, touched

START = datetime(2026, 9, 1, 9, tzinfo=UTC)
# How long the first batch is held between reading the lead and writing it: long enough for
# the second batch to be stored meanwhile, if nothing stops it.
HOLD_SECONDS = 0.75


def test_a_touch_stored_while_another_is_being_stored_is_not_lost(
    app: RunningApp, db: Database
) -> None:
    lead = [
        created("L-1", START, email="ann@example.com", fit=90, interest=90),
        assigned("L-1", START + timedelta(minutes=5), slack_user_id="U0REP1"),
    ]
    assert post_events(app, *lead).status_code == 200
    holding, second_answered = threading.Event(), threading.Event()

    def hold_the_first(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        # The first batch has read the lead's row; it is about to append to the log.
        if statement.startswith("INSERT INTO lead_event") and "touch-first" in str(parameters):
            holding.set()
            second_answered.wait(HOLD_SECONDS)

    event.listen(db.engine, "before_cursor_execute", hold_the_first)
    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(
                post_events, app, touched("L-1", START + timedelta(hours=1), event_id="touch-first")
            )
            assert holding.wait(30)
            second = pool.submit(
                post_events, app, touched("L-1", START + timedelta(hours=2), event_id="touch-next")
            )
            second_response = second.result(timeout=60)
            second_answered.set()
            first_response = first.result(timeout=60)
    finally:
        event.remove(db.engine, "before_cursor_execute", hold_the_first)

    assert (first_response.status_code, second_response.status_code) == (200, 200)
    assert first_response.json()["stored"] == second_response.json()["stored"] == 1
    with db.session() as session:
        row = session.exec(select(Lead).where(Lead.external_id == "L-1")).one()
    assert row.touches == 2
    assert row.last_touch_at == START + timedelta(hours=2)
