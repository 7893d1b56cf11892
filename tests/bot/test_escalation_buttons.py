"""The escalation DM a manager gets, and its buttons pressed over HTTP as Slack sends them:
grouped by rep (most overdue first), each rep's longest overdue leads with a menu to open or
reassign them, a *Remind* button that sends the rep their overdue leads once a day, and the
rest a command away. Each test presses what the emulator received in the real escalation."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from storage.models import Lead, LeadEvent
from tests.app_server import RunningApp, assert_fits_slack, blocks_text, ephemeral_reply
from tests.bot.test_nudge_actions import run_escalations, send, wait_for
from tests.events import assigned, created, post_events

MANAGER, ADMIN = "U0MGR", "U0ADM"
REPS = [f"U0REP{number}" for number in range(7)]
ASSIGNED = datetime(2026, 10, 30, 9, 0, tzinfo=UTC)  # a Friday
ESCALATED = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)  # Wednesday: overdue ~4 days, past 48 h
DM = "D" + MANAGER


def leads_for(rep: str, count: int) -> list[dict[str, Any]]:
    events = []
    for number in range(count):
        external_id = f"L-{rep[-1]}{number:02d}"
        events.append(
            created(
                external_id,
                ASSIGNED + timedelta(minutes=number),
                name=f"Person {number}",
                company=f"Company {number}",
                fit=80,
                interest=90,
            )
        )
        events.append(
            assigned(external_id, ASSIGNED + timedelta(minutes=number), slack_user_id=rep)
        )
    return events


@pytest.fixture
def escalation(app: RunningApp) -> dict[str, Any]:
    """Seven reps of one manager with 7, 6, … 1 overdue leads: 28 leads past the limit."""
    app.slack.add_user(MANAGER, name="Mia", tz="UTC")
    app.slack.add_user(ADMIN, name="Ada", is_admin=True)
    events: list[dict[str, Any]] = []
    for index, rep in enumerate(REPS):
        app.slack.add_user(rep, name=f"Rep {index}", tz="UTC")
        ephemeral_reply(app.command("/smarketing", f"manager <@{rep}> <@{MANAGER}>", user_id=ADMIN))
        events += leads_for(rep, len(REPS) - index)
    assert post_events(app, *events).status_code == 200
    run = run_escalations(app, ESCALATED)
    assert run.planned == 1, run.describe()
    [message] = app.slack.messages_in(DM)
    return message


def test_the_escalation_is_grouped_by_rep_with_the_top_leads_and_the_rest_counted(
    escalation: dict[str, Any],
) -> None:
    assert escalation["text"] == "7 reps have 28 leads past the follow-up limit"
    assert_fits_slack(escalation)
    text = blocks_text(escalation)
    # Five reps shown, most overdue first, three leads each; two reps counted.
    reps = [b["accessory"]["value"] for b in escalation["blocks"] if "Remind" in str(b)]
    assert reps == REPS[:5]
    assert f"*<@{REPS[0]}>* · 7 overdue, the oldest since" in text
    assert f"…and 4 more of <@{REPS[0]}>'s: `/sla-status team`" in text
    assert "…and 2 more reps with 3 leads: `/sla-status team`" in text
    menus = [
        b["accessory"]
        for b in escalation["blocks"]
        if b.get("accessory", {}).get("type") == "overflow"
    ]
    assert len(menus) == 3 + 3 + 3 + 3 + 3
    assert [o["text"]["text"] for o in menus[0]["options"]] == ["Open the lead", "Reassign…"]
    # Short enough to read: far from the 3,000-character wall it was (dates as Slack shows
    # them, not as the markup that carries them).
    assert len(re.sub(r"<!date\^[^|]*\|([^>]*)>", r"\1", text)) < 2200


def press(
    message: dict[str, Any],
    action: dict[str, Any],
    *,
    user_id: str = MANAGER,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": "mia", "name": "mia", "team_id": "T0TEST"},
        "api_app_id": "A0TEST",
        "token": "verification-token",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": DM},
        "trigger_id": trigger_id or f"trig-{uuid.uuid4().hex}",
        "team": {"id": "T0TEST", "domain": "test-workspace"},
        "channel": {"id": DM, "name": "directmessage"},
        "message": message,
        "state": {"values": {}},
        "response_url": f"https://hooks.slack.test/actions/{uuid.uuid4().hex}",
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
    }


def remind(message: dict[str, Any], rep: str, *, user_id: str = MANAGER) -> dict[str, Any]:
    [block] = [b for b in message["blocks"] if b.get("accessory", {}).get("value") == rep]
    button = block["accessory"]
    return press(
        message,
        {
            "type": "button",
            "action_id": button["action_id"],
            "block_id": block.get("block_id", "b1"),
            "value": rep,
            "text": button["text"],
        },
        user_id=user_id,
    )


def lead_menu(
    message: dict[str, Any], lead_id: str, label: str, *, trigger_id: str
) -> dict[str, Any]:
    [block] = [
        b
        for b in message["blocks"]
        if b["type"] == "section" and f"*{lead_id}*" in b["text"]["text"]
    ]
    menu = block["accessory"]
    [option] = [o for o in menu["options"] if o["text"]["text"] == label]
    return press(
        message,
        {
            "type": "overflow",
            "action_id": menu["action_id"],
            "block_id": block.get("block_id", "b1"),
            "selected_option": option,
        },
        trigger_id=trigger_id,
    )


def notices(app: RunningApp, count: int) -> list[str]:
    calls = wait_for(app, "chat.postEphemeral", count, user=MANAGER)
    return [str(call.params["text"]) for call in calls]


def test_remind_sends_the_rep_their_overdue_leads_once_a_day(
    app: RunningApp, escalation: dict[str, Any]
) -> None:
    rep = REPS[1]
    send(app, remind(escalation, rep))
    send(app, remind(escalation, rep))

    # The two presses are answered in whichever order they finish; one sends.
    assert sorted(notices(app, 2)) == [
        f":information_source: You reminded <@{rep}> today already; nothing sent.",
        f":white_check_mark: <@{rep}> got their 6 overdue leads.",
    ]
    [reminder] = app.slack.messages_in("D" + rep)
    assert reminder["text"] == f"<@{MANAGER}> asks you to follow up on your 6 overdue leads"
    # The rep can act on each lead right there: the nudge's own buttons.
    assert blocks_text(reminder).count("overdue since") == 6
    assert sum(1 for b in reminder["blocks"] if b["type"] == "actions") == 6
    assert_fits_slack(reminder)


def test_only_a_manager_or_an_admin_can_remind_a_rep(
    app: RunningApp, escalation: dict[str, Any]
) -> None:
    send(app, remind(escalation, REPS[1], user_id=REPS[2]))

    [call] = wait_for(app, "chat.postEphemeral", 1, user=REPS[2])
    assert (
        call.params["text"]
        == f":no_entry: Only <@{REPS[1]}>'s manager or an admin can remind them."
    )
    assert app.slack.messages_in("D" + REPS[1]) == []


def test_open_shows_the_leads_card(app: RunningApp, escalation: dict[str, Any]) -> None:
    trigger_id = f"trig-{uuid.uuid4().hex}"
    send(app, lead_menu(escalation, "L-000", "Open the lead", trigger_id=trigger_id))

    [call] = wait_for(app, "views.open", 1, trigger_id=trigger_id)
    card = call.params["view"]
    assert card["type"] == "modal"
    text = json.dumps(card)
    assert "L-000" in text and "Person 0" in text and f"<@{REPS[0]}>" in text


def reassign_submission(modal: dict[str, Any], picked: str | None) -> dict[str, Any]:
    [field] = [block for block in modal["blocks"] if block["type"] == "input"]
    values = {
        field["block_id"]: {
            field["element"]["action_id"]: {"type": "users_select", "selected_user": picked}
        }
    }
    return {
        "type": "view_submission",
        "team": {"id": "T0TEST", "domain": "test-workspace"},
        "user": {"id": MANAGER, "username": "mia", "name": "mia", "team_id": "T0TEST"},
        "api_app_id": "A0TEST",
        "token": "verification-token",
        "trigger_id": f"trig-{uuid.uuid4().hex}",
        "view": {**modal, "state": {"values": values}},
        "response_urls": [],
        "is_enterprise_install": False,
    }


def assignments(app: RunningApp, external_id: str) -> list[LeadEvent]:
    with app.db.session() as session:
        return list(
            session.exec(
                select(LeadEvent).where(
                    LeadEvent.lead_external_id == external_id, LeadEvent.type == "lead.assigned"
                )
            ).all()
        )


def test_reassign_hands_the_lead_to_the_rep_picked_once(
    app: RunningApp, escalation: dict[str, Any]
) -> None:
    trigger_id = f"trig-{uuid.uuid4().hex}"
    send(app, lead_menu(escalation, "L-000", "Reassign…", trigger_id=trigger_id))
    [call] = wait_for(app, "views.open", 1, trigger_id=trigger_id)
    modal: dict[str, Any] = call.response["view"]

    refused = send(app, reassign_submission(modal, None))
    assert json.loads(refused)["errors"] == {"reassign_to": "Pick the rep"}
    assert len(assignments(app, "L-000")) == 1

    send(app, reassign_submission(modal, REPS[6]))
    send(app, reassign_submission(modal, REPS[6]))  # Slack retries, or a double click

    said = sorted(notices(app, 2), reverse=True)
    assert said[0].startswith(":white_check_mark: *L-000*")
    # Stored once; both answers say where the lead is now.
    assert said == [f":white_check_mark: *L-000* (Company 0) is now <@{REPS[6]}>'s."] * 2
    assert len(assignments(app, "L-000")) == 2
    with app.db.session() as session:
        lead = session.exec(select(Lead).where(Lead.external_id == "L-000")).one()
    assert lead.owner_id == REPS[6]
