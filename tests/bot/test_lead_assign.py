"""The unassigned queue and `/lead assign` over HTTP (issue 15, item 5): managers and admins
see the leads nobody owns and hand them to reps; reps cannot; every refusal stores nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import members
from tests.app_server import RunningApp
from tests.bot.test_lead_command import ASSIGNED, add_lead, lead, lead_row, slack_date, stored
from tests.events import assigned, post_events

ADMIN = "U0BOSS"
MANAGER = "U0MIA"
REP = "U0REP"
OTHER = "U0LEO"


@pytest.fixture
def team(app: RunningApp) -> RunningApp:
    app.slack.add_user(ADMIN, name="Boss", is_admin=True)
    app.slack.add_user(MANAGER, name="Mia")
    app.slack.add_user(REP, name="Rep")
    app.slack.add_user(OTHER, name="Leo")
    app.slack.add_user("U0GONE", name="Gone", deleted=True)
    with app.db.session() as session:
        members.set_manager(session, rep_id=REP, manager_id=MANAGER, by=ADMIN, at=ASSIGNED)
    return app


def queue(app: RunningApp) -> None:
    """Three leads in work with no rep (one whose CRM owner is not in Slack), one owned."""
    add_lead(app, "L-1", owner=None, at=ASSIGNED - timedelta(hours=3))
    add_lead(app, "L-2", owner=None, at=ASSIGNED - timedelta(hours=2))
    add_lead(app, "L-3", owner=None, at=ASSIGNED - timedelta(hours=1))
    assert post_events(app, assigned("L-3", ASSIGNED, email="nobody@elsewhere.example")).is_success
    add_lead(app, "L-9", owner=REP)


@pytest.mark.parametrize("viewer", [MANAGER, ADMIN])
def test_managers_and_admins_see_the_leads_no_rep_owns_oldest_first(
    team: RunningApp, viewer: str
) -> None:
    queue(team)

    reply = lead(team, "unassigned", user_id=viewer)

    lines = [b["text"]["text"] for b in reply["blocks"] if b["type"] == "section"]
    assert [line.split("*")[1] for line in lines] == ["L-1", "L-2", "L-3"]
    assert "owner nobody@elsewhere.example is not in Slack" in lines[2]
    assert f"created {slack_date(ASSIGNED - timedelta(hours=3))}" in lines[0]
    assert reply["text"] == "Leads without an owner (3)."


def test_a_manager_assigns_a_lead_and_it_follows_the_reps_sla(team: RunningApp) -> None:
    queue(team)

    reply = lead(team, f"assign L-1 <@{REP}|rep>", user_id=MANAGER)

    assert reply["text"].startswith(f"Assigned *L-1* (Acme) to <@{REP}>. Now ")
    row = lead_row(team, "L-1")
    assert (row.owner_id, row.assigned_at) == (REP, team.clock.now())
    assert row.next_touch_due is not None
    assert [
        line["text"]["text"].split("*")[1]
        for line in lead(team, "unassigned", user_id=MANAGER)["blocks"]
        if line["type"] == "section"
    ] == ["L-2", "L-3"]


@pytest.mark.parametrize(
    ("text", "user_id", "said"),
    [
        ("unassigned", REP, "Only managers and admins see the unassigned queue"),
        (f"assign L-1 <@{OTHER}>", REP, "Only managers and admins hand leads to reps"),
        ("assign L-1", MANAGER, "Name the one rep the lead goes to"),
        ("assign L-1 bob", MANAGER, "is not a Slack user"),
        ("assign L-1 <@U0NOBODY>", MANAGER, "<@U0NOBODY> is not a person in this workspace"),
        ("assign L-1 <@U0GONE>", MANAGER, "<@U0GONE> is not a person in this workspace"),
        (f"assign L-9 <@{REP}>", MANAGER, f"it is <@{REP}>'s lead already"),
        (f"assign L-404 <@{REP}>", MANAGER, "No lead has the id `L-404`"),
    ],
)
def test_assigning_badly_gets_one_line_and_stores_nothing(
    team: RunningApp, text: str, user_id: str, said: str
) -> None:
    queue(team)
    before = stored(team, "L-1"), stored(team, "L-9")

    reply = lead(team, text, user_id=user_id)

    assert reply["text"].startswith(":warning:") and said in reply["text"], reply["text"]
    assert "Try `/lead" in reply["text"]
    assert (stored(team, "L-1"), stored(team, "L-9")) == before


def test_a_closed_lead_is_not_assigned(team: RunningApp) -> None:
    add_lead(team, "L-5", owner=None)
    lead(team, "lost L-5 gone quiet", user_id=ADMIN)
    before = stored(team, "L-5")

    reply = lead(team, f"assign L-5 <@{REP}>", user_id=MANAGER)

    assert "a closed lead takes no more" in reply["text"]
    assert stored(team, "L-5") == before
