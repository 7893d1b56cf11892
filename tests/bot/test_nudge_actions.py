"""The buttons on a nudge, pressed over HTTP as Slack sends them: log a call or an e-mail, snooze,
reject with a reason. Each test first gets a real nudge from `run_nudges` and presses the
buttons the emulator received in it, so what is proven is that the message the reps get works."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from blocks.format import slack_date
from bot.jobs import follow_up_runs
from bot.jobs.follow_up_runs import FollowUpRun
from bot.slack_client import create_client
from services.context import Services
from storage.models import FollowUp, Lead, LeadEvent
from tests.app_server import RunningApp, assert_fits_slack, blocks_text, ephemeral_reply
from tests.events import assigned, created, post_events, touched
from tests.slack.emulator import Call
from tests.slack.signing import interaction_body

REP, OTHER_REP, MANAGER, ADMIN = "U0ANA", "U0BEN", "U0MGR", "U0ADM"
DM = "D" + REP  # the emulator's DM channel with the rep
ASSIGNED = datetime(2026, 10, 30, 9, 0, tzinfo=UTC)  # a Friday
# Touch 1 is due min(24 h, 14 days / 6 = 56 h) after assignment, so both leads are overdue
# since Saturday 31 October 09:00 UTC; touch 2 is due 2 × 56 h = 112 h after assignment.
TOUCH_2_DUE = ASSIGNED + timedelta(hours=112)  # Wednesday 4 November 01:00 UTC
NUDGED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Berlin (UTC+1)
WAIT = 15.0  # seconds a lazy listener may take to reach the emulator


# ------------------------------------------------------------------ the world and the nudge


def services_of(app: RunningApp) -> Services:
    return Services(app.settings, app.db, app.clock, create_client(app.settings))


def run_nudges(app: RunningApp, at: datetime) -> FollowUpRun:
    app.clock.set(at)
    return asyncio.run(follow_up_runs.run_nudges(services_of(app)))


def run_escalations(app: RunningApp, at: datetime) -> FollowUpRun:
    app.clock.set(at)
    return asyncio.run(follow_up_runs.run_escalations(services_of(app)))


def nudge(app: RunningApp, at: datetime = NUDGED) -> dict[str, Any]:
    """Run the nudges job and return the DM the rep received, as Slack keeps it."""
    before = len(app.slack.messages_in(DM))
    run = run_nudges(app, at)
    assert run.planned == 1, run.describe()
    messages = app.slack.messages_in(DM)
    assert len(messages) == before + 1
    return messages[-1]


def add_leads(app: RunningApp, **companies: tuple[str, str]) -> None:
    """Sales-ready leads (id → name, company), all assigned to the rep on ASSIGNED."""
    events = []
    for external_id, (name, company) in companies.items():
        events.append(
            created(external_id, ASSIGNED, name=name, company=company, fit=80, interest=90)
        )
        events.append(assigned(external_id, ASSIGNED, slack_user_id=REP))
    response = post_events(app, *events)
    assert response.status_code == 200, response.text


@pytest.fixture
def nudged(app: RunningApp) -> dict[str, Any]:
    """Ana (Berlin) has two overdue leads and got Monday's nudge about them."""
    app.slack.add_user(REP, name="Ana", tz="Europe/Berlin")
    app.slack.add_user(OTHER_REP, name="Ben", tz="Europe/Berlin")
    add_leads(app, **{"L-1": ("Jane Doe", "Acme"), "L-2": ("Max Muster", "Globex")})
    return nudge(app)


def leads_in(message: dict[str, Any]) -> list[str]:
    """The leads a nudge lists, in order, by the id each section starts with."""
    return [
        block["text"]["text"].split("*")[1]
        for block in message["blocks"]
        if block.get("block_id", "").startswith("lead:")
    ]


# ------------------------------------------------------------------ pressing, as Slack does


def parts_of(message: dict[str, Any], lead_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A lead's section (starting with its id in bold) and the buttons under it."""
    blocks = message["blocks"]
    for index, block in enumerate(blocks):
        if block["type"] == "section" and block["text"]["text"].startswith(f"*{lead_id}*"):
            assert blocks[index + 1]["type"] == "actions", "the lead has no buttons left"
            return block, blocks[index + 1]
    raise AssertionError(f"{lead_id} is not in the message")


def envelope(
    message: dict[str, Any], action: dict[str, Any], *, user_id: str, trigger_id: str | None
) -> dict[str, Any]:
    """A block_actions payload as Slack sends it for a press in a bot's DM."""
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": "someone", "name": "someone", "team_id": "T0TEST"},
        "api_app_id": "A0TEST",
        "token": "verification-token",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": DM,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id or f"trig-{uuid.uuid4().hex}",
        "team": {"id": "T0TEST", "domain": "test-workspace"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": DM, "name": "directmessage"},
        "message": message,
        "state": {"values": {}},
        # Unused: the app redraws the nudge with chat.update, which needs no response_url.
        "response_url": f"https://hooks.slack.test/actions/{uuid.uuid4().hex}",
        "actions": [action],
    }


def button(
    message: dict[str, Any],
    label: str,
    lead_id: str,
    *,
    user_id: str = REP,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """Pressing the button labelled `label` under a lead."""
    _, actions = parts_of(message, lead_id)
    [element] = [e for e in actions["elements"] if e["text"]["text"] == label]
    action = {
        "type": "button",
        "action_id": element["action_id"],
        "block_id": actions["block_id"],
        "text": element["text"],
        "value": element["value"],
        "action_ts": f"{time.time():.6f}",
    }
    return envelope(message, action, user_id=user_id, trigger_id=trigger_id)


def snooze_option(
    message: dict[str, Any], label: str, lead_id: str, *, user_id: str = REP
) -> dict[str, Any]:
    """Choosing `label` in the lead's overflow menu."""
    section, _ = parts_of(message, lead_id)
    menu = section["accessory"]
    [option] = [o for o in menu["options"] if o["text"]["text"] == label]
    action = {
        "type": "overflow",
        "action_id": menu["action_id"],
        "block_id": section["block_id"],
        "selected_option": option,
        "action_ts": f"{time.time():.6f}",
    }
    return envelope(message, action, user_id=user_id, trigger_id=None)


def send(app: RunningApp, payload: dict[str, Any]) -> str:
    """POST an interaction, signed; Slack needs a 200 within 3 s, and never a traceback."""
    response = app.post_slack(interaction_body(payload))
    assert response.status_code == 200
    assert "Traceback" not in response.text
    return response.text


def wait_for(app: RunningApp, method: str, count: int, **params: str) -> list[Call]:
    """The calls to `method` (with these params) once there are `count` of them."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        made = [
            call
            for call in app.slack.calls
            if call.method == method and all(call.params.get(k) == v for k, v in params.items())
        ]
        if len(made) >= count:
            assert all(call.ok for call in made), [call.response for call in made]
            return made
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} {method} calls within {WAIT} s")


def updates(app: RunningApp) -> list[Call]:
    return [call for call in app.slack.calls if call.method == "chat.update"]


def press(app: RunningApp, payload: dict[str, Any]) -> dict[str, Any]:
    """Press, and return the message as the app redrew it (chat.update), checked like Slack."""
    before = len(updates(app))
    send(app, payload)
    call = wait_for(app, "chat.update", before + 1)[before]
    assert (call.params["channel"], call.params["ts"]) == (DM, payload["container"]["message_ts"])
    redrawn = {
        "ts": call.params["ts"],
        "text": call.params["text"],
        "blocks": call.params["blocks"],
    }
    assert_fits_slack(redrawn)
    return redrawn


def home_published(app: RunningApp, count: int = 1) -> dict[str, Any]:
    view: dict[str, Any] = wait_for(app, "views.publish", count, user_id=REP)[count - 1].params[
        "view"
    ]
    return view


def home_touch_buttons(view: dict[str, Any]) -> list[str]:
    return [
        block["accessory"]["value"]
        for block in view["blocks"]
        if block.get("accessory", {}).get("action_id") == "home_log_touch"
    ]


def with_lead_replaced(message: dict[str, Any], lead_id: str, text: str) -> list[dict[str, Any]]:
    """The message's blocks with the lead's section saying `text` and its buttons gone: what a
    redrawn nudge must be, every other block exactly as it was."""
    section, actions = parts_of(message, lead_id)
    expected = []
    for block in message["blocks"]:
        if block is section:
            expected.append(
                {
                    "type": "section",
                    "block_id": section["block_id"],
                    "text": {"type": "mrkdwn", "text": text},
                }
            )
        elif block is not actions:
            expected.append(block)
    return expected


# ------------------------------------------------------------------ the store


def lead_row(app: RunningApp, external_id: str) -> Lead:
    with app.db.session() as session:
        return session.exec(select(Lead).where(Lead.external_id == external_id)).one()


def slack_events(app: RunningApp, external_id: str) -> list[LeadEvent]:
    with app.db.session() as session:
        query = select(LeadEvent).where(
            LeadEvent.lead_external_id == external_id, LeadEvent.origin == "slack"
        )
        return list(session.exec(query).all())


def follow_up_record(app: RunningApp, external_id: str) -> FollowUp:
    with app.db.session() as session:
        record = session.get(FollowUp, external_id)
        assert record is not None
        return record


def everything(app: RunningApp) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The whole event log and projection, to show that nothing changed."""
    with app.db.session() as session:
        events = [
            e.model_dump() for e in session.exec(select(LeadEvent).order_by(col(LeadEvent.id)))
        ]
        rows = [r.model_dump() for r in session.exec(select(Lead).order_by(col(Lead.external_id)))]
        return events, rows


JANE = "*L-1* · Jane Doe, Acme"
MAX = "*L-2* · Max Muster, Globex"


# ------------------------------------------------------------------ Log a call / Log an e-mail


def test_log_a_call_logs_one_touch_and_redraws_only_that_lead(
    app: RunningApp, nudged: dict[str, Any]
) -> None:
    redrawn = press(app, button(nudged, "Log a call", "L-1"))

    row = lead_row(app, "L-1")
    assert (row.touches, row.first_touch_at, row.next_touch_due) == (1, NUDGED, TOUCH_2_DUE)
    [event] = slack_events(app, "L-1")
    assert (event.type, event.payload["channel"], event.actor_id) == ("lead.touched", "call", REP)
    note = (
        ":white_check_mark: Call logged by you — 1 of 6 touches. "
        f"Next touch due {slack_date(TOUCH_2_DUE)}."
    )
    assert redrawn["blocks"] == with_lead_replaced(nudged, "L-1", f"{JANE}\n{note}")
    assert redrawn["text"] == nudged["text"]
    # The Home, published again, offers a touch on the lead still overdue only.
    assert home_touch_buttons(home_published(app)) == ["0:L-2"]


def test_log_an_e_mail_logs_an_e_mail_touch(app: RunningApp, nudged: dict[str, Any]) -> None:
    redrawn = press(app, button(nudged, "Log an e-mail", "L-2"))

    [event] = slack_events(app, "L-2")
    assert (event.type, event.payload["channel"], event.actor_id) == ("lead.touched", "email", REP)
    assert lead_row(app, "L-2").touches == 1
    assert lead_row(app, "L-1").touches == 0
    note = (
        ":white_check_mark: E-mail logged by you — 1 of 6 touches. "
        f"Next touch due {slack_date(TOUCH_2_DUE)}."
    )
    assert redrawn["blocks"] == with_lead_replaced(nudged, "L-2", f"{MAX}\n{note}")
    # `/lead L-2` tells the same story.
    shown = blocks_text(ephemeral_reply(app.command("/lead", "L-2", user_id=REP)))
    assert "*Touches*\n1 of 6 (in 14 days)" in shown
    assert f"{slack_date(NUDGED)} · *E-mail* by <@{REP}>" in shown


def test_a_double_click_or_slacks_retry_logs_one_touch(
    app: RunningApp, nudged: dict[str, Any]
) -> None:
    first = button(nudged, "Log a call", "L-1")
    press(app, first)
    second = press(app, button(nudged, "Log a call", "L-1"))  # the same button, pressed again
    retried = press(app, first)  # the same request, sent again

    assert len(slack_events(app, "L-1")) == 1
    assert lead_row(app, "L-1").touches == 1
    note = (
        ":white_check_mark: That touch was already logged from this message, so nothing was "
        "logged twice: 1 of 6 touches."
    )
    assert second["blocks"] == with_lead_replaced(nudged, "L-1", f"{JANE}\n{note}")
    assert retried["blocks"] == second["blocks"]


def test_two_presses_arriving_together_log_one_touch(
    app: RunningApp, nudged: dict[str, Any]
) -> None:
    payloads = [button(nudged, "Log a call", "L-1") for _ in range(2)]
    threads = [threading.Thread(target=send, args=(app, payload)) for payload in payloads]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for(app, "chat.update", 2)

    assert len(slack_events(app, "L-1")) == 1
    assert lead_row(app, "L-1").touches == 1


def test_a_press_on_a_message_the_lead_has_moved_on_from_logs_nothing(
    app: RunningApp, nudged: dict[str, Any]
) -> None:
    assert post_events(app, touched("L-1", NUDGED)).status_code == 200  # the CRM logged it
    before = everything(app)

    redrawn = press(app, button(nudged, "Log an e-mail", "L-1"))

    assert everything(app) == before
    note = (
        ":information_source: This lead has moved on since this message (now 1 of 6 touches), "
        "so nothing was logged. To log another touch: `/lead touch L-1 call`."
    )
    assert redrawn["blocks"] == with_lead_replaced(nudged, "L-1", f"{JANE}\n{note}")


def test_a_rep_cannot_act_on_a_lead_that_is_now_someone_elses(
    app: RunningApp, nudged: dict[str, Any]
) -> None:
    assert post_events(app, assigned("L-1", NUDGED, slack_user_id=OTHER_REP)).status_code == 200
    before = everything(app)

    logged = press(app, button(nudged, "Log a call", "L-1"))
    rejected = press(app, button(nudged, "Reject…", "L-1"))

    assert everything(app) == before
    assert not [call for call in app.slack.calls if call.method == "views.open"]
    refusal = (
        ":no_entry: This lead is <@U0BEN>'s lead: only its owner, a manager or an admin can "
        "{action} it. Nothing was {done}."
    )
    note = refusal.format(action="log a touch on", done="logged")
    assert logged["blocks"] == with_lead_replaced(nudged, "L-1", f"{JANE}\n{note}")
    note = refusal.format(action="reject", done="rejected")
    assert rejected["blocks"] == with_lead_replaced(nudged, "L-1", f"{JANE}\n{note}")


def test_each_lead_acted_on_in_turn_keeps_what_was_done_to_the_others(
    app: RunningApp, nudged: dict[str, Any]
) -> None:
    after_call = press(app, button(nudged, "Log a call", "L-1"))
    # Slack sends the message as it is now with the next press: the redrawn one.
    current = {**nudged, "blocks": after_call["blocks"]}
    app.clock.set(NUDGED + timedelta(minutes=5))

    after_snooze = press(app, snooze_option(current, "Snooze 1 hour", "L-2"))

    until = NUDGED + timedelta(minutes=5, hours=1)
    note = f":zzz: Snoozed by you until {slack_date(until)}: no nudge about it before then."
    assert after_snooze["blocks"] == with_lead_replaced(current, "L-2", f"{MAX}\n{note}")
    assert after_snooze["blocks"][1] == after_call["blocks"][1]  # L-1's "Call logged"
    assert [block["type"] for block in after_snooze["blocks"]] == ["section"] * 3


# ------------------------------------------------------------------ Snooze


# Ana snoozes L-1 on Tuesday 3 November 09:30 UTC (10:30 in Berlin) from Monday's nudge. On
# Tuesday 10:00 UTC both leads are past the 24 h since Monday's nudge, so only the snooze keeps
# L-1 out; the run after the snooze ends lists it again.
SNOOZED_AT = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
DURING = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("label", "until"),
    [
        ("Snooze 1 hour", datetime(2026, 11, 3, 10, 30, tzinfo=UTC)),
        # The next working morning in Berlin: Wednesday 09:00 CET = 08:00 UTC.
        ("Snooze until tomorrow 09:00", datetime(2026, 11, 4, 8, 0, tzinfo=UTC)),
        ("Snooze a week", datetime(2026, 11, 10, 9, 30, tzinfo=UTC)),
    ],
)
def test_a_snoozed_lead_is_left_out_of_nudges_until_then(
    app: RunningApp, nudged: dict[str, Any], label: str, until: datetime
) -> None:
    app.clock.set(SNOOZED_AT)

    redrawn = press(app, snooze_option(nudged, label, "L-1"))

    record = follow_up_record(app, "L-1")
    assert (record.snoozed_until, record.snoozes) == (until, 1)
    note = f":zzz: Snoozed by you until {slack_date(until)}: no nudge about it before then."
    assert redrawn["blocks"] == with_lead_replaced(nudged, "L-1", f"{JANE}\n{note}")
    home_published(app)
    assert leads_in(nudge(app, DURING)) == ["L-2"]
    assert "L-1" in leads_in(nudge(app, until))


def test_a_snooze_chosen_twice_counts_once(app: RunningApp, nudged: dict[str, Any]) -> None:
    app.clock.set(SNOOZED_AT)
    payload = snooze_option(nudged, "Snooze 1 hour", "L-1")
    press(app, payload)

    again = press(app, payload)

    until = SNOOZED_AT + timedelta(hours=1)
    assert follow_up_record(app, "L-1").snoozes == 1
    note = (
        f":zzz: Already snoozed until {slack_date(until)}, so nothing changed; it can be "
        "snoozed again once that has passed."
    )
    assert again["blocks"] == with_lead_replaced(nudged, "L-1", f"{JANE}\n{note}")


def test_two_snoozes_arriving_together_count_once(app: RunningApp, nudged: dict[str, Any]) -> None:
    app.clock.set(SNOOZED_AT)
    payloads = [snooze_option(nudged, "Snooze a week", "L-1") for _ in range(2)]
    threads = [threading.Thread(target=send, args=(app, payload)) for payload in payloads]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for(app, "chat.update", 2)

    record = follow_up_record(app, "L-1")
    assert (record.snoozes, record.snoozed_until) == (1, SNOOZED_AT + timedelta(days=7))


def test_the_third_snooze_of_a_lead_escalates_it_to_the_reps_manager(app: RunningApp) -> None:
    app.slack.add_user(REP, name="Ana", tz="Europe/Berlin")
    app.slack.add_user(MANAGER, name="Mia", tz="Europe/Berlin")
    app.slack.add_user(ADMIN, name="Ada", is_admin=True)
    add_leads(app, **{"L-1": ("Jane Doe", "Acme"), "L-2": ("Max Muster", "Globex")})
    # Escalate only after 10 days overdue, so that only the snoozes can escalate here.
    for text in ("sla touches escalate after 240 hours", f"manager <@{REP}|ana> <@{MANAGER}|mia>"):
        ephemeral_reply(app.command("/smarketing", text, user_id=ADMIN))
    notes = []
    for day in range(3):  # Monday, Tuesday, Wednesday: a nudge each morning, then a snooze
        morning = NUDGED + timedelta(days=day)
        message = nudge(app, morning)
        assert leads_in(message) == ["L-1", "L-2"]
        app.clock.set(morning + timedelta(minutes=5))
        redrawn = press(app, snooze_option(message, "Snooze 1 hour", "L-1"))
        notes.append(redrawn["blocks"][1]["text"]["text"])
        if day == 1:  # two snoozes: no escalation yet
            assert run_escalations(app, morning + timedelta(minutes=10)).planned == 0

    assert follow_up_record(app, "L-1").snoozes == 3
    assert "escalat" not in notes[0] + notes[1]
    assert notes[2].endswith(
        "It has been snoozed 3 times, so <@U0MGR> hears about it with the next escalation."
    )
    escalations = run_escalations(app, NUDGED + timedelta(days=2, minutes=10))
    assert escalations.planned == 1
    [escalation] = app.slack.messages_in("D" + MANAGER)
    assert escalation["text"] == "1 rep has 1 lead past the follow-up limit"
    shown = str(escalation["blocks"])
    assert "*L-1* · Jane Doe, Acme" in shown
    assert "L-2" not in shown


# ------------------------------------------------------------------ Reject…


def open_reject(app: RunningApp, message: dict[str, Any], lead_id: str) -> dict[str, Any]:
    """Press Reject… and return the modal as Slack opened it (with the id Slack gave it)."""
    trigger_id = f"trig-{uuid.uuid4().hex}"
    send(app, button(message, "Reject…", lead_id, trigger_id=trigger_id))
    [call] = wait_for(app, "views.open", 1, trigger_id=trigger_id)
    opened: dict[str, Any] = call.response["view"]
    assert opened["type"] == "modal"
    assert len(opened["private_metadata"]) <= 3000
    return opened


def inputs(modal: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The modal's two fields: the common reasons (radio buttons) and the free text."""
    [choice, own] = [block for block in modal["blocks"] if block["type"] == "input"]
    assert choice["element"]["type"] == "radio_buttons"
    assert own["element"]["type"] == "plain_text_input"
    return choice, own


def submission(
    modal: dict[str, Any], *, reason: str | None = None, own_words: str | None = None
) -> dict[str, Any]:
    """A view_submission payload as Slack sends it for the modal filled in so."""
    choice, own = inputs(modal)
    picked = None
    if reason is not None:
        [picked] = [o for o in choice["element"]["options"] if o["value"] == reason]
    values = {
        choice["block_id"]: {
            choice["element"]["action_id"]: {"type": "radio_buttons", "selected_option": picked}
        },
        own["block_id"]: {
            own["element"]["action_id"]: {"type": "plain_text_input", "value": own_words}
        },
    }
    return {
        "type": "view_submission",
        "team": {"id": "T0TEST", "domain": "test-workspace"},
        "user": {"id": REP, "username": "ana", "name": "ana", "team_id": "T0TEST"},
        "api_app_id": "A0TEST",
        "token": "verification-token",
        "trigger_id": f"trig-{uuid.uuid4().hex}",
        "view": {**modal, "state": {"values": values}},
        "response_urls": [],
        "is_enterprise_install": False,
    }


def submit(app: RunningApp, payload: dict[str, Any], *, updates_after: int) -> dict[str, Any]:
    """Submit the modal; Slack closes it (an empty 200); return the nudge as redrawn."""
    assert send(app, payload) == ""
    call = wait_for(app, "chat.update", updates_after)[updates_after - 1]
    return {"blocks": call.params["blocks"], "text": call.params["text"]}


def rejections(app: RunningApp, external_id: str) -> list[LeadEvent]:
    return [event for event in slack_events(app, external_id) if event.type == "lead.rejected"]


def test_reject_with_a_common_reason(app: RunningApp, nudged: dict[str, Any]) -> None:
    modal = open_reject(app, nudged, "L-1")
    choice, _ = inputs(modal)
    assert [o["text"]["text"] for o in choice["element"]["options"]] == [
        "no budget",
        "wrong persona",
        "not a real lead",
        "already a customer",
    ]
    assert "*L-1* · Jane Doe, Acme" in modal["blocks"][0]["text"]["text"]

    redrawn = submit(app, submission(modal, reason="no budget"), updates_after=1)

    row = lead_row(app, "L-1")
    assert (row.status, row.reject_reason) == ("rejected", "no budget")
    [event] = rejections(app, "L-1")
    assert (event.payload["reason"], event.actor_id) == ("no budget", REP)
    note = (
        ":no_entry_sign: Rejected by you: no budget. The lead is closed; marketing sees the reason."
    )
    assert redrawn["blocks"] == with_lead_replaced(nudged, "L-1", f"{JANE}\n{note}")
    assert home_touch_buttons(home_published(app)) == ["0:L-2"]


def test_reject_in_own_words_wins_over_a_common_reason(
    app: RunningApp, nudged: dict[str, Any]
) -> None:
    modal = open_reject(app, nudged, "L-2")

    redrawn = submit(
        app,
        submission(modal, reason="wrong persona", own_words="  a student <writing a thesis>  "),
        updates_after=1,
    )

    assert lead_row(app, "L-2").reject_reason == "a student <writing a thesis>"
    note = (
        ":no_entry_sign: Rejected by you: a student &lt;writing a thesis&gt;. The lead is "
        "closed; marketing sees the reason."
    )
    assert redrawn["blocks"] == with_lead_replaced(nudged, "L-2", f"{MAX}\n{note}")


def test_reject_without_a_reason_keeps_the_modal_open_with_an_error(
    app: RunningApp, nudged: dict[str, Any]
) -> None:
    modal = open_reject(app, nudged, "L-1")
    choice, _ = inputs(modal)

    answer = send(app, submission(modal, own_words="   "))

    assert json.loads(answer) == {
        "response_action": "errors",
        "errors": {choice["block_id"]: "Choose a reason, or write one below."},
    }
    # Then with a reason: the one rejection and the one redraw are that submission's.
    submit(app, submission(modal, reason="not a real lead"), updates_after=1)
    assert [event.payload["reason"] for event in rejections(app, "L-1")] == ["not a real lead"]
    assert len(updates(app)) == 1


def test_a_modal_submitted_twice_rejects_once(app: RunningApp, nudged: dict[str, Any]) -> None:
    modal = open_reject(app, nudged, "L-1")
    payload = submission(modal, reason="no budget")
    first = submit(app, payload, updates_after=1)

    second = submit(app, payload, updates_after=2)

    assert len(rejections(app, "L-1")) == 1
    assert second["blocks"] == first["blocks"]


def test_a_nudge_too_large_to_carry_through_the_modal_gets_the_outcome_as_a_note(
    app: RunningApp,
) -> None:
    app.slack.add_user(REP, name="Ana", tz="Europe/Berlin")

    def noise(seed: str, length: int) -> str:  # text that hardly compresses
        return base64.b64encode(hashlib.sha512(seed.encode()).digest()).decode()[:length]

    add_leads(
        app,
        **{
            f"L-{index}-{noise(f'id{index}', 76)}": (
                noise(f"name{index}", 80),
                noise(f"company{index}", 80),
            )
            for index in range(10)
        },
    )
    message = nudge(app)
    [lead_id] = [lead for lead in leads_in(message) if lead.startswith("L-0-")]

    modal = open_reject(app, message, lead_id)
    assert send(app, submission(modal, reason="no budget")) == ""

    [note] = wait_for(app, "chat.postEphemeral", 1, channel=DM, user=REP)
    assert note.params["text"].startswith(":no_entry_sign: Rejected by you: no budget.")
    assert lead_row(app, lead_id).status == "rejected"
    assert updates(app) == []


# ------------------------------------------------------------------ every press is answered at once


@pytest.mark.parametrize(
    "pressing",
    [
        lambda message: button(message, "Log a call", "L-1"),
        lambda message: snooze_option(message, "Snooze a week", "L-1"),
    ],
    ids=["log a call", "snooze"],
)
def test_a_press_is_answered_before_the_message_is_redrawn(
    app: RunningApp,
    nudged: dict[str, Any],
    pressing: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    answered = threading.Event()
    seen: list[bool] = []

    def hold_the_redraw() -> None:  # Slack has the redraw; its answer waits for our 200
        seen.append(answered.wait(timeout=WAIT))

    app.slack.on_call("chat.update", hold_the_redraw)

    send(app, pressing(nudged))
    answered.set()

    wait_for(app, "chat.update", 1)
    home_published(app)
    assert seen == [True]  # the press was answered while the redraw was still waiting
