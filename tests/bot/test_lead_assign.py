"""The unassigned queue and `/lead assign` over HTTP (issue 15, item 5): managers and admins
see the leads nobody owns and hand them to reps; reps cannot; every refusal stores nothing."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from blocks.home_view import ASSIGN_LEAD
from storage import members
from storage.models import LeadEvent
from tests.app_server import RunningApp, blocks_text
from tests.bot.test_home import click_payload, open_home, press
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


def pick(user_id: str, lead_id: str, rep: str, *, action_ts: str) -> dict[str, Any]:
    """A block_actions payload as Slack sends it when someone picks a rep in App Home."""
    payload = click_payload(user_id, ASSIGN_LEAD, "", action_ts=action_ts)
    payload["actions"] = [
        {
            "type": "users_select",
            "action_id": ASSIGN_LEAD,
            "block_id": f"assign|{lead_id}",
            "selected_user": rep,
            "action_ts": action_ts,
        }
    ]
    return payload


def test_a_manager_assigns_from_app_home_once_and_reps_see_no_queue(team: RunningApp) -> None:
    queue(team)

    home = open_home(team, MANAGER)
    shown = blocks_text(home)
    assert "Leads without an owner (3)" in shown
    pickers = [b for b in home["blocks"] if b.get("accessory", {}).get("type") == "users_select"]
    assert [b["block_id"] for b in pickers] == ["assign|L-1", "assign|L-2", "assign|L-3"]
    assert "Leads without an owner" not in blocks_text(open_home(team, REP))

    after = press(team, pick(MANAGER, "L-1", REP, action_ts="1700000000.000100"))
    again = press(team, pick(MANAGER, "L-1", REP, action_ts="1700000000.000100"))  # Slack retries

    assert f"*L-1* (Acme) is now <@{REP}>'s." in blocks_text(after)
    assert "Leads without an owner (2)" in blocks_text(after)
    assert f"is now <@{REP}>'s." in blocks_text(again)
    assert lead_row(team, "L-1").owner_id == REP
    with team.db.session() as session:
        assignments = session.exec(
            select(LeadEvent).where(
                LeadEvent.lead_external_id == "L-1", LeadEvent.type == "lead.assigned"
            )
        ).all()
    assert len(assignments) == 1


def test_a_rep_picking_on_a_stale_home_assigns_nothing(team: RunningApp) -> None:
    queue(team)
    before = stored(team, "L-1")

    after = press(team, pick(REP, "L-1", REP, action_ts="1700000000.000200"))

    assert "Only managers and admins hand leads to reps; nothing was assigned." in blocks_text(
        after
    )
    assert stored(team, "L-1") == before


def test_the_digest_asks_managers_to_hand_out_the_leads_nobody_owns(team: RunningApp) -> None:
    queue(team)
    team.slack.add_channel("C0SMKT", name="smarketing")
    team.command("/smarketing", "digest <#C0SMKT|smarketing>", user_id=ADMIN)

    team.command("/smarketing", "digest now", user_id=ADMIN)

    deadline = time.monotonic() + 15
    while not team.slack.messages_in("C0SMKT") and time.monotonic() < deadline:
        time.sleep(0.05)
    digest = blocks_text(team.slack.messages_in("C0SMKT")[0])
    assert "Managers: 3 leads have no owner; hand them to reps (`/lead unassigned`)." in digest
