"""SQLite: what the app commits reaches the database file itself a moment later, copied out of
the write-ahead log by the store's own thread, not by a later request's commit."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from storage.db import Database
from tests.app_server import RunningApp
from tests.events import assigned, created, post_events

START = datetime(2026, 9, 1, 9, tzinfo=UTC)


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite file of its own: the test reads the file, which PostgreSQL has no
    notion of."""
    path = tmp_path / "smarketing.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def _leads_in_the_file_alone(path: Path, copy: Path) -> set[str]:
    """The leads a copy of the database file holds without its write-ahead log: what a backup
    that copies the one file would keep."""
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as connection:
        return {row[0] for row in connection.execute("SELECT external_id FROM lead")}


def test_stored_events_reach_the_database_file_without_another_commit(
    app: RunningApp, db: Database, tmp_path: Path
) -> None:
    path = Path(make_url(db.url).database or "")
    events = [
        created("L-1", START, email="ann@example.com"),
        assigned("L-1", START, slack_user_id="U0REP1"),
    ]
    assert post_events(app, *events).status_code == 200
    assert Path(f"{path}-wal").stat().st_size > 0  # the commit went to the log first

    deadline = time.monotonic() + 10
    while (leads := _leads_in_the_file_alone(path, tmp_path / "copy.sqlite3")) != {"L-1"}:
        assert time.monotonic() < deadline, f"the file alone holds {leads}"
        time.sleep(0.05)


def test_the_checkpoints_stop_with_the_store_and_start_again(db: Database) -> None:
    def checkpointers() -> int:
        return sum(thread.name == "sqlite-checkpoints" for thread in threading.enumerate())

    with db.session() as session:
        session.connection().exec_driver_sql("CREATE TABLE note (text TEXT)")
    assert checkpointers() == 1
    db.dispose()
    assert checkpointers() == 0
    with db.session() as session:
        session.connection().exec_driver_sql("INSERT INTO note VALUES ('again')")
    assert checkpointers() == 1
