"""`python -m bench.ingest_profile --without-lead-indexes`, small: the app's own ingestion still
stores every event and its leads with the projection's secondary indexes gone, so the run
prices what those indexes cost (README, Performance)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bench.ingest_profile import COMMIT, profile
from storage.db import Database
from storage.models import Lead
from tests.storage.catalogue import index_definitions

EVENTS = 1_000


def test_the_profile_without_the_lead_indexes_stores_every_event_and_lead(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'profile.sqlite3'}"

    stored, seconds, timers = profile(url, EVENTS, without_lead_indexes=True)

    db = Database(url)
    try:
        indexes = index_definitions(db, "lead")
        with db.session() as session:
            leads = session.execute(select(func.count()).select_from(Lead)).scalar_one()
    finally:
        db.dispose()
    assert stored == EVENTS
    assert seconds > 0 and timers.seconds[COMMIT] > 0
    assert leads > 0
    assert not [name for name in indexes if name.startswith("ix_lead_")], indexes
