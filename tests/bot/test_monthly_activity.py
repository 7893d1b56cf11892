"""The monthly report's sales activity report (DESIGN §3): per rep and per team, the leads
assigned, touches logged, leads accepted and won, and revenue in the month — against a
November whose answers are worked out here — and each goal met or short.

| lead | owner | assigned | touches | accepted | won |
|------|-------|----------|---------|----------|-----|
| A1   | Ana   | 11-03    | 11-04, 11-06 | 11-06 | 11-20, $5,000 |
| A2   | Ana   | 11-10    | 11-11, 11-12 | 11-12 | |
| A3   | Ana   | 10-20    | 10-21 (October), 11-02 | | |
| B1   | Ben   | 11-05    | 11-05 | | |
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.jobs import scheduled_reports
from bot.slack_client import create_client
from services.context import Services
from tests.app_server import RunningApp, ephemeral_reply
from tests.events import accepted, assigned, created, post_events, touched, won

ADMIN, ANA, BEN, MIA = "U0ADMIN", "U0ANA", "U0BEN", "U0MIA"


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


@pytest.fixture
def november(app: RunningApp) -> RunningApp:
    app.clock.set(at(11, 1))
    app.slack.add_user(ADMIN, name="admin", is_admin=True)
    for user_id, name in ((ANA, "ana"), (BEN, "ben"), (MIA, "mia")):
        app.slack.add_user(user_id, name=name)
    for text in (
        f"marketing <@{MIA}>",
        f"team squad <@{ANA}> <@{MIA}>",
        "goal source webinar 10 per month",
        "start 2026-10-01",
    ):
        said = ephemeral_reply(app.command("/smarketing", text, user_id=ADMIN))
        assert ":white_check_mark:" in said["text"], said
    events = []
    for lead_id, owner, when in (
        ("A1", ANA, at(11, 3)),
        ("A2", ANA, at(11, 10)),
        ("A3", ANA, at(10, 20)),
        ("B1", BEN, at(11, 5)),
    ):
        events.append(
            created(
                lead_id,
                when,
                email=f"{lead_id.lower()}@example.com",
                source="Webinar",
                fit=80,
                interest=90,
            )
        )
        events.append(assigned(lead_id, when, slack_user_id=owner))
    events += [
        touched("A1", at(11, 4)),
        touched("A1", at(11, 6)),
        accepted("A1", at(11, 6)),
        won("A1", at(11, 20), 5000),
        touched("A2", at(11, 11)),
        touched("A2", at(11, 12)),
        accepted("A2", at(11, 12)),
        touched("A3", at(10, 21)),
        touched("A3", at(11, 2)),
        touched("B1", at(11, 5)),
    ]
    assert post_events(app, *events).status_code == 200
    return app


def test_the_monthly_report_carries_the_sales_activity_per_rep_and_team(
    november: RunningApp,
) -> None:
    november.clock.set(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    services = Services(
        november.settings, november.db, november.clock, create_client(november.settings)
    )

    outcome = asyncio.run(scheduled_reports.run_monthly(services, dry_run=True))

    assert outcome.text is not None
    text = outcome.text
    assert "\nSALES ACTIVITY\n  By rep:\n" in text
    # Ana: A1 and A2 assigned in November (A3 in October); 5 November touches (A3's October
    # one is October's); A1 and A2 accepted; A1 won for $5,000.
    assert "    • @ana · 2 leads assigned · 5 touches · 2 accepted · 1 won · $5,000\n" in text
    assert "    • @ben · 1 lead assigned · 1 touch · 0 accepted · 0 won · $0\n" in text
    # The squad is Ana (and Mia, who owns no lead).
    assert "  By team:\n    • squad · 2 leads assigned · 5 touches · 2 accepted · 1 won" in text
    # The webinar goal: A1, A2, B1 created in November (A3 in October) against 10.
    assert "  Goals:\n    • Source webinar: 3 of 10 (short by 7)\n" in text
