"""`python -m bench.wal_pages`, small: it counts the WAL pages each batch writes on SQLite, the
app's (the log and the projection) against the raw insert's (the log alone), and prices an
index by dropping it. Page counts do not depend on the machine's speed, so they are asserted."""

from __future__ import annotations

import statistics
from pathlib import Path

from bench.wal_pages import pages_per_batch
from storage.models import Lead

EVENTS = 4_000  # eight batches


def test_the_projection_and_its_indexes_are_what_the_app_writes_beyond_the_raw_insert(
    tmp_path: Path,
) -> None:
    app = pages_per_batch(tmp_path / "app.sqlite3", EVENTS, raw=False, drop=[])
    raw = pages_per_batch(tmp_path / "raw.sqlite3", EVENTS, raw=True, drop=[])
    indexes = [index.name for index in Lead.__table__.indexes]  # type: ignore[attr-defined]
    bare = pages_per_batch(tmp_path / "bare.sqlite3", EVENTS, raw=False, drop=indexes)

    assert len(app) == len(raw) == len(bare) == EVENTS // 500 - 1
    assert min(raw) > 0  # no checkpoint started the WAL over: every batch's pages are counted
    assert statistics.median(app) > 1.5 * statistics.median(raw)
    assert statistics.median(bare) < statistics.median(app)
