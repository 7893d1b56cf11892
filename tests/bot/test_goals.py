"""Goals by source, persona and team (`/smarketing goal`) over HTTP: each goal's delivered,
expected by today and pace in `/sla-status marketing` and on marketing's App Home, what no goal
claims, the warnings, the rights, and bad input leaving the store as it was.

December 2026, seen on the 16th at 12:00 UTC: half the month has gone (15.5 of 31 days).
Marketing commits 100 sales-ready leads a month for the whole team.

| lead | source    | persona | owner | grade       |
|------|-----------|---------|-------|-------------|
| S1   | Webinar   | CFO     | Ana   | sales-ready |
| S2   | webinar   | CFO     | Ana   | sales-ready |
| S3   | WEBINAR   | Founder | Ben   | sales-ready |
| S4   | Webinar   | CFO     | Ben   | nurture     |
| S5   | Ads       | CFO     | Ben   | sales-ready |
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import select

from storage.models import Goal, SettingChange
from tests.app_server import RunningApp, blocks_text, ephemeral_reply
from tests.bot.test_home import open_home
from tests.events import assigned, created, post_events

ADMIN, MIA, ANA, BEN = "U0ADMIN", "U0MIA", "U0ANA", "U0BEN"


@pytest.fixture
def december(app: RunningApp) -> RunningApp:
    app.clock.set(datetime(2026, 12, 16, 12, tzinfo=UTC))
    app.slack.add_user(ADMIN, name="admin", is_admin=True)
    for user_id, name in ((MIA, "mia"), (ANA, "ana"), (BEN, "ben")):
        app.slack.add_user(user_id, name=name)
    for text in (f"marketing <@{MIA}>", "sla leads 100 per month", f"team squad <@{ANA}>"):
        said = smarketing(app, text)
        assert ":white_check_mark:" in said, said
    day = datetime(2026, 12, 1, 9, tzinfo=UTC)
    rows = [
        ("S1", "Webinar", "CFO", ANA, 90),
        ("S2", "webinar", "CFO", ANA, 90),
        ("S3", "WEBINAR", "Founder", BEN, 90),
        ("S4", "Webinar", "CFO", BEN, 10),
        ("S5", "Ads", "CFO", BEN, 90),
    ]
    events = []
    for lead_id, source, persona, owner, interest in rows:
        events.append(
            created(
                lead_id,
                day,
                email=f"{lead_id.lower()}@example.com",
                source=source,
                persona=persona,
                fit=80,
                interest=interest,
            )
        )
        events.append(assigned(lead_id, day, slack_user_id=owner))
    assert post_events(app, *events).status_code == 200
    return app


def smarketing(app: RunningApp, text: str, user_id: str = ADMIN) -> str:
    return blocks_text(ephemeral_reply(app.command("/smarketing", text, user_id=user_id)))


def stored(app: RunningApp) -> tuple[list[tuple[str, str, int]], int]:
    with app.db.session() as session:
        rows = session.exec(select(Goal).order_by(Goal.dimension, Goal.key)).all()
        changes = session.exec(select(func.count()).select_from(SettingChange)).one()
    return [(row.dimension, row.key, row.per_month) for row in rows], int(changes)


def test_each_goal_shows_its_pace_and_what_no_goal_claims(december: RunningApp) -> None:
    said = smarketing(december, "goal source webinar 40 per month")
    smarketing(december, "goal persona cfo 20 per month")
    smarketing(december, "goal team squad 10")

    assert said == (
        ":white_check_mark: Goal for source `webinar`: 40 sales-ready leads a month. "
        "`/sla-status marketing` shows its pace."
    )
    text = blocks_text(ephemeral_reply(december.command("/sla-status", "marketing", user_id=BEN)))
    # S1, S2, S3 (S4 is nurture); half of 40 expected by today.
    assert "• Source *webinar*: 3 of 40 · 20 expected by today · behind by 17" in text
    # S1, S2, S5 are sales-ready CFOs; S3 is a founder.
    assert "• Persona *cfo*: 3 of 20 · 10 expected by today · behind by 7" in text
    # The squad is Ana: S1, S2.
    assert "• Team *squad*: 2 of 10 · 5 expected by today · behind by 3" in text
    assert "• Not assigned to a goal: 30 of 100" in text
    board = blocks_text(open_home(december, MIA))
    assert "• Source *webinar*: 3 of 40" in board


def test_a_goal_for_a_source_no_lead_has_is_kept_with_a_warning(december: RunningApp) -> None:
    said = smarketing(december, "goal source Podcast 10 per month")

    assert said.startswith(":white_check_mark: Goal for source `Podcast`: 10 sales-ready")
    assert ":warning: No lead has that source yet" in said
    assert stored(december)[0] == [("source", "podcast", 10)]


def test_goals_beyond_the_commitment_are_warned_and_zero_removes_one(
    december: RunningApp,
) -> None:
    smarketing(december, "goal source webinar 80 per month")

    said = smarketing(december, "goal persona CFO 30 per month")
    removed = smarketing(december, "goal persona CFO 0")

    assert ":warning: The goals now add up to 10 more than marketing's commitment." in said
    assert removed == ":white_check_mark: The persona goal for `CFO` is removed."
    assert stored(december)[0] == [("source", "webinar", 80)]


@pytest.mark.parametrize(
    ("text", "user_id", "reason"),
    [
        ("goal source webinar 40 per month", ANA, ":no_entry: Only admins can set goals"),
        ("goal channel webinar 40", ADMIN, "Say `source`, `persona` or `team` not `channel`"),
        ("goal source webinar lots per month", ADMIN, "`lots` is not a number of sales-ready"),
        ("goal source 40", ADMIN, "Give the source's name, then the sales-ready leads a month"),
        ("goal team ghosts 5", ADMIN, "No team is called `ghosts`"),
    ],
)
def test_a_goal_refused_changes_nothing(
    december: RunningApp, text: str, user_id: str, reason: str
) -> None:
    before = stored(december)

    line = smarketing(december, text, user_id=user_id)

    assert reason in line, line
    assert stored(december) == before
