"""The live projection (updated event by event, in whatever order they arrive) and
`smarketing db rebuild` (a fold of the whole log) agree on a generated history."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from storage.models import Lead
from tests.app_server import RunningApp
from tests.events import (
    accepted,
    assigned,
    created,
    lost,
    post_events,
    rejected,
    touched,
    updated,
    won,
)

START = datetime(2026, 9, 1, tzinfo=UTC)
REPS = [f"U0REP{n}" for n in range(8)]
SOURCES, CAMPAIGNS = ["webinar", "ads", "referral", "seo"], [f"camp-{n}" for n in range(6)]


def history(seed: int, leads: int) -> list[dict[str, Any]]:
    """A realistic mess: re-assignments, touches, updates, closures, shared e-mails that
    change."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    for n in range(leads):
        lead_id = f"L-{seed}-{n}"
        at = START + timedelta(minutes=rng.randrange(60 * 24 * 60))
        email = (
            f"person{rng.randrange(leads * 9 // 10)}@example.com" if rng.random() < 0.9 else None
        )
        events.append(
            created(
                lead_id,
                at,
                email=email,
                fit=_score(rng),
                interest=_score(rng),
                source=rng.choice(SOURCES),
                campaign=rng.choice(CAMPAIGNS),
                persona=rng.choice("ABC"),
            )
        )
        moment = at
        for _ in range(rng.randrange(12)):
            moment += timedelta(hours=rng.randrange(1, 72))
            kind = rng.random()
            if kind < 0.15:
                events.append(assigned(lead_id, moment, slack_user_id=rng.choice(REPS)))
            elif kind < 0.7:
                events.append(touched(lead_id, moment, channel=rng.choice(["call", "email"])))
            elif kind < 0.76:
                events.append(updated(lead_id, moment, fit=rng.randrange(101)))
            elif kind < 0.8:
                # A new e-mail (or none): the lead leaves one duplicate group for another.
                moved = rng.choice([None, f"person{rng.randrange(leads * 9 // 10)}@example.com"])
                events.append(updated(lead_id, moment, email=moved))
            elif kind < 0.85:
                events.append(accepted(lead_id, moment))
            elif kind < 0.9:
                events.append(rejected(lead_id, moment, rng.choice(["no budget", "bad fit"])))
            elif kind < 0.95:
                events.append(
                    won(lead_id, moment, f"{rng.randrange(100, 50_000)}.{rng.randrange(100):02d}")
                )
            else:
                events.append(lost(lead_id, moment, "went quiet"))
    return events


def _score(rng: random.Random) -> int | str | None:
    return rng.choice([None, "high", "low", rng.randrange(101)])


def projection(app: RunningApp) -> dict[str, dict[str, Any]]:
    with app.db.session() as session:
        rows = session.exec(select(Lead)).all()
    return {row.external_id: row.model_dump(exclude={"id", "updated_at"}) for row in rows}


def _rebuild(app: RunningApp) -> str:
    """`smarketing db rebuild` on the app's store; what it printed."""
    rebuilt = subprocess.run(
        [sys.executable, "-m", "bot", "db", "rebuild"],
        env={**os.environ, "DATABASE_URL": app.db.url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    return rebuilt.stderr


def test_a_duplicate_whose_original_moves_away_in_the_same_batch_is_worked_again(
    app: RunningApp,
) -> None:
    at = START
    first = [
        created("L-A", at, email="x@example.com", fit=90, interest=90),
        assigned("L-A", at + timedelta(minutes=1), slack_user_id=REPS[0]),
        created("L-B", at + timedelta(hours=1), email="X@example.com", fit=90, interest=90),
        assigned("L-B", at + timedelta(hours=1, minutes=1), slack_user_id=REPS[1]),
    ]
    assert post_events(app, *first).status_code == 200
    before = projection(app)
    assert before["L-B"]["duplicate_of"] == "L-A"
    assert before["L-B"]["next_touch_due"] is None  # a duplicate is never worked

    # One batch: the original takes another e-mail, and the duplicate is touched.
    second = [
        updated("L-A", at + timedelta(hours=2), email="y@example.com"),
        touched("L-B", at + timedelta(hours=3)),
    ]
    assert post_events(app, *second).status_code == 200
    live = projection(app)

    assert live["L-B"]["duplicate_of"] is None
    assert live["L-B"]["next_touch_due"] is not None  # worked again, by its own cadence
    assert live["L-B"]["touches"] == 1
    _rebuild(app)
    assert projection(app) == live


@pytest.mark.parametrize("seed", [7, 2026])
def test_incremental_projection_equals_a_rebuild_from_the_log(app: RunningApp, seed: int) -> None:
    events = history(seed, leads=400)
    rng = random.Random(seed)
    arrival = sorted(events, key=lambda e: e["occurred_at"])
    # CRMs deliver late and twice: shuffle within windows, and resend a tenth of the events.
    for start in range(0, len(arrival), 40):
        window = arrival[start : start + 40]
        rng.shuffle(window)
        arrival[start : start + 40] = window
    arrival += rng.sample(events, len(events) // 10)
    assert len(events) > 2_000

    for start in range(0, len(arrival), 500):
        response = post_events(app, *arrival[start : start + 500])
        assert response.status_code == 200, response.text
    live = projection(app)

    printed = _rebuild(app)

    assert f"{len(live):,} leads" in printed
    assert projection(app) == live
    assert len(live) == 400
    assert any(row["duplicate_of"] for row in live.values())
    assert any(row["touches"] for row in live.values())
