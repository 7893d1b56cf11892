"""A scheduled message goes out once: claimed under its key before sending, marked after."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import col, select

from storage.db import Database
from storage.models import Posting
from storage.postings import claim, mark_failed, mark_sent, pending, status_of

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
KEY = "digest:T1:2026-W45"
ROOT = Path(__file__).resolve().parents[2]


def _claim(
    db: Database, claimant: str, *, now: datetime = NOW, key: str = KEY, kind: str = "digest"
) -> bool:
    with db.session() as s:
        row = claim(s, key=key, kind=kind, channel="C1", claimant=claimant, now=now)
        return row is not None


def test_the_first_claim_wins_and_a_second_is_turned_down(db: Database) -> None:
    with db.session() as s:
        row = claim(s, key=KEY, kind="digest", channel="C1", claimant="a", now=NOW)
    assert row is not None
    assert (row.key, row.kind, row.channel, row.claimed_by, row.status) == (
        KEY,
        "digest",
        "C1",
        "a",
        "pending",
    )

    assert not _claim(db, "b", now=NOW + timedelta(seconds=1))
    with db.session() as s:
        assert status_of(s, KEY) == "pending"
        assert status_of(s, "digest:T1:2026-W46") is None


def test_a_claimant_asking_twice_does_not_get_to_send_twice(db: Database) -> None:
    assert _claim(db, "a")

    assert not _claim(db, "a", now=NOW + timedelta(seconds=1))


def test_a_sent_delivery_is_never_claimed_again(db: Database) -> None:
    assert _claim(db, "a")
    with db.session() as s:
        assert mark_sent(s, key=KEY, claimant="a", now=NOW, message_ts="1.000100")

    assert not _claim(db, "b", now=NOW + timedelta(days=30))
    with db.session() as s:
        row = s.get_one(Posting, 1)
        assert (row.status, row.message_ts, row.sent_at, row.attempts) == (
            "sent",
            "1.000100",
            NOW,
            1,
        )
        assert pending(s, kind="digest", limit=10) == []


def test_a_transient_failure_is_retried_on_the_next_run(db: Database) -> None:
    assert _claim(db, "run-1")
    with db.session() as s:
        assert mark_failed(s, key=KEY, claimant="run-1", now=NOW, error="ratelimited")
        assert status_of(s, KEY) == "pending"
        assert [d.key for d in pending(s, kind="digest", limit=10)] == [KEY]

    assert _claim(db, "run-2", now=NOW + timedelta(minutes=1))
    with db.session() as s:
        assert mark_sent(s, key=KEY, claimant="run-2", now=NOW + timedelta(minutes=1))
        row = s.get_one(Posting, 1)
        assert (row.status, row.attempts, row.claimed_by, row.error) == ("sent", 2, "run-2", None)


def test_a_permanent_failure_is_kept_with_its_reason_and_not_tried_again(db: Database) -> None:
    assert _claim(db, "run-1")
    with db.session() as s:
        assert mark_failed(
            s, key=KEY, claimant="run-1", now=NOW, error="channel_not_found", permanent=True
        )

    assert not _claim(db, "run-2", now=NOW + timedelta(days=1))
    with db.session() as s:
        row = s.get_one(Posting, 1)
        assert (row.status, row.error, row.attempts) == ("failed", "channel_not_found", 1)
        assert pending(s, kind="digest", limit=10) == []


def test_a_stale_claim_is_taken_over_and_a_live_one_is_not(db: Database) -> None:
    assert _claim(db, "died")

    assert not _claim(db, "b", now=NOW + timedelta(minutes=4, seconds=59))
    assert _claim(db, "b", now=NOW + timedelta(minutes=5, seconds=1))
    with db.session() as s:
        # The process that died comes back: its claim is gone, so it can neither mark nor send.
        assert not mark_sent(s, key=KEY, claimant="died", now=NOW + timedelta(minutes=6))
        assert mark_sent(s, key=KEY, claimant="b", now=NOW + timedelta(minutes=6))
        assert s.get_one(Posting, 1).claimed_by == "b"


def test_only_the_claimant_can_mark_a_delivery_sent_or_failed(db: Database) -> None:
    assert _claim(db, "a")
    with db.session() as s:
        assert not mark_sent(s, key=KEY, claimant="b", now=NOW, message_ts="9.9")
        assert not mark_failed(s, key=KEY, claimant="b", now=NOW, error="x", permanent=True)
        assert not mark_sent(s, key="never-claimed", claimant="a", now=NOW)

    with db.session() as s:
        row = s.get_one(Posting, 1)
        assert (row.status, row.attempts, row.claimed_by, row.message_ts, row.error) == (
            "pending",
            0,
            "a",
            None,
            None,
        )
    assert not _claim(db, "b", now=NOW + timedelta(seconds=1))


def test_pending_lists_a_kind_oldest_first_up_to_the_limit(db: Database) -> None:
    for n in range(3):
        assert _claim(db, "a", key=f"nudge:L{n}:2026-11-02", kind="nudge")
        with db.session() as s:
            mark_failed(s, key=f"nudge:L{n}:2026-11-02", claimant="a", now=NOW, error="timeout")
    assert _claim(db, "a", key=KEY)

    with db.session() as s:
        listed = [d.key for d in pending(s, kind="nudge", limit=2)]
        digests = [d.key for d in pending(s, kind="digest", limit=10)]

    assert listed == ["nudge:L0:2026-11-02", "nudge:L1:2026-11-02"]
    assert digests == [KEY]


def _race(
    database: Database,
    name: str,
    key: str,
    barrier: threading.Barrier,
    won: list[str],
    errors: list[BaseException],
) -> None:
    try:
        barrier.wait()
        if _claim(database, name, key=key):
            won.append(name)
    except BaseException as error:
        errors.append(error)


def _holder(db: Database, key: str) -> str | None:
    with db.session() as s:
        row = s.exec(select(Posting).where(col(Posting.key) == key)).one()
        return row.claimed_by


def test_eight_schedulers_claiming_at_once_send_once(db: Database, database_url: str) -> None:
    databases = [Database(database_url) for _ in range(8)]
    try:
        for round_ in range(6):
            key = f"escalation:L{round_}:sla"
            barrier = threading.Barrier(len(databases))
            won: list[str] = []
            errors: list[BaseException] = []
            threads = [
                threading.Thread(target=_race, args=(database, f"t{n}", key, barrier, won, errors))
                for n, database in enumerate(databases)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

            assert errors == []
            assert len(won) == 1
            assert _holder(db, key) == won[0]
    finally:
        for database in databases:
            database.dispose()


CLAIMER = """
import json, sys, time
from datetime import UTC, datetime
from sqlmodel import col, select

from storage.db import Database
from storage.postings import claim

url, claimant, start, order = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
db = Database(url)
now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
won = []
time.sleep(max(0.0, start - time.time()))
numbers = range(50) if order == "forward" else range(49, -1, -1)
for n in numbers:
    key = f"nudge:L{n}:2026-11-02"
    with db.session() as s:
        if claim(s, key=key, kind="nudge", channel="D1", claimant=claimant, now=now):
            won.append(key)
db.dispose()
print(json.dumps(won))
"""


def test_two_scheduler_processes_claim_each_delivery_once(db: Database, database_url: str) -> None:
    start = str(time.time() + 3)  # both interpreters are up and connected by then
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, database_url, name, start, order],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # One walks the keys forward, the other backward: they meet, and contend, in the middle.
        for name, order in (("clock-1", "forward"), ("clock-2", "backward"))
    ]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in results]
    first, second = (set(json.loads(out)) for out, _ in results)

    assert first.isdisjoint(second)
    assert first | second == {f"nudge:L{n}:2026-11-02" for n in range(50)}
    with db.session() as s:
        assert len(pending(s, kind="nudge", limit=100)) == 50
