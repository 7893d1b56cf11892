"""Smoke: a rep with overdue leads gets one DM listing them; the next run does not repeat it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.jobs import follow_up_runs
from bot.slack_client import create_client
from services.context import Services
from services.posting import Status
from tests.app_server import RunningApp
from tests.events import assigned, created, post_events


def test_one_dm_per_rep_then_not_again_within_a_day(app: RunningApp) -> None:
    app.slack.add_user("U0ANA", name="Ana", tz="Europe/Berlin")
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    events = []
    for n in range(12):
        events.append(created(f"L-{n}", start, fit="high", interest="high", company=f"Co {n}"))
        events.append(assigned(f"L-{n}", start + timedelta(minutes=n), slack_user_id="U0ANA"))
    assert post_events(app, *events).status_code == 200
    services = Services(app.settings, app.db, app.clock, create_client(app.settings))
    app.clock.set(datetime(2026, 11, 3, 10, 0, tzinfo=UTC))  # 11:00 in Berlin, a Tuesday

    first = asyncio.run(follow_up_runs.run_nudges(services))
    again = asyncio.run(follow_up_runs.run_nudges(services))

    assert first.planned == 1 and first.count(Status.SENT) == 1
    assert again.planned == 0
    [dm] = app.slack.calls_to("chat.postMessage")
    assert dm.params["channel"] == "U0ANA"  # to the user id, no conversations.open
    assert "12 of your leads are overdue" in dm.params["text"]
    assert "/lead mine" in str(dm.params["blocks"])
