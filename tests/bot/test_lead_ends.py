"""Whose lead it is and how every lead ends (issue 15, items 1–3), over real HTTP with the Slack
emulator: nurture is marketing's until its interest rises; `/lead recycle` and `lead.recycled`
hand a lead back; a window that ended (all touches in, or a breach past its escalation) moves
the lead from the overdue list to *needs an outcome*, closed in one click from App Home;
duplicates are never nudged, their owner is told once, and a touch on one counts on the
original."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from blocks.outcome_message import OUTCOME_MENU, OUTCOME_MODAL
from bot.jobs import follow_up_runs
from bot.slack_client import create_client
from services.context import Services
from storage.models import Lead, LeadEvent
from tests.app_server import (
    RunningApp,
    assert_fits_slack,
    blocks_text,
    ephemeral_reply,
)
from tests.bot.test_home import click_payload, open_home, send, wait_for
from tests.events import assigned, created, post_events, touched, updated
from tests.slack.signing import interaction_body

REP, OTHER = "U0ANA", "U0BEN"
A = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC
WINDOW = timedelta(days=14)  # the default SLA: 6 touches in 14 days, escalate after 48 h
ESCALATE_AFTER = timedelta(hours=48)
WAIT = 10.0
READY: dict[str, Any] = {"fit": 90, "interest": 80}


@pytest.fixture
def services(app: RunningApp) -> Iterator[Services]:
    app.clock.set(A)
    app.slack.add_user(REP, name="Ana", tz="UTC")
    app.slack.add_user(OTHER, name="Ben", tz="UTC")
    yield Services(app.settings, app.db, app.clock, create_client(app.settings))


def give(app: RunningApp, lead_id: str, owner: str, at: datetime = A, **fields: Any) -> None:
    values = {"email": f"{lead_id.lower()}@example.com", "name": f"Person {lead_id}", **fields}
    assert post_events(
        app,
        created(lead_id, at - timedelta(minutes=5), **values),
        assigned(lead_id, at, slack_user_id=owner),
    ).is_success


def lead_row(app: RunningApp, lead_id: str) -> Lead:
    with app.db.session() as session:
        row = session.exec(select(Lead).where(Lead.external_id == lead_id)).one()
        session.expunge(row)
        return row


def event_count(app: RunningApp) -> int:
    with app.db.session() as session:
        return int(session.exec(select(func.count()).select_from(LeadEvent)).one())


def lead_says(app: RunningApp, text: str, user_id: str = REP) -> str:
    return blocks_text(ephemeral_reply(app.command("/lead", text, user_id=user_id)))


def nudged(services: Services) -> int:
    """How many nudges a run would send now (planned, not sent: a sent nudge is not repeated
    within 24 h, which would hide the rule under test)."""
    return asyncio.run(follow_up_runs.run_nudges(services, dry_run=True)).planned


# ---------------------------------------------------------------------------- whose lead it is


def test_a_nurture_lead_is_on_no_cadence_until_its_interest_rises(
    app: RunningApp, services: Services
) -> None:
    give(app, "N-1", REP, fit=90, interest=20)
    app.clock.set(A + timedelta(days=3))

    row = lead_row(app, "N-1")
    assert (row.grade, row.next_touch_due, row.window_ends_at) == ("nurture", None, None)
    assert "overdue" not in lead_says(app, "mine")
    assert "marketing's until its interest rises" in lead_says(app, "N-1")

    rose = A + timedelta(days=3)
    assert post_events(app, updated("N-1", rose, interest=85)).is_success

    row = lead_row(app, "N-1")
    assert row.cadence_from == rose
    assert row.next_touch_due == rose + timedelta(hours=24)
    assert row.window_ends_at == rose + WINDOW


# ---------------------------------------------------------------------------- recycling


def test_recycle_hands_the_lead_back_to_marketing_with_its_reason(
    app: RunningApp, services: Services
) -> None:
    give(app, "R-1", REP, **READY)

    text = lead_says(app, "recycle R-1 no budget until Q3")

    assert "Recycled *R-1* (Person R-1) (no budget until Q3)" in text
    row = lead_row(app, "R-1")
    assert (row.status, row.recycle_reason, row.next_touch_due) == (
        "recycled",
        "no budget until Q3",
        None,
    )
    assert "Recycled to marketing" in lead_says(app, "R-1")
    # A closed lead takes no second outcome, and the store stays as it was.
    before = event_count(app)
    assert "closed" in lead_says(app, "won R-1 5000")
    assert event_count(app) == before


def test_recycle_without_a_reason_is_one_line_and_stores_nothing(
    app: RunningApp, services: Services
) -> None:
    give(app, "R-1", REP, **READY)
    before = event_count(app)

    text = lead_says(app, "recycle R-1")

    assert "Say why you recycle `R-1`: marketing needs the reason" in text
    assert "/lead recycle L-1001 not ready until Q3" in text
    assert event_count(app) == before


def test_the_event_api_takes_lead_recycled_and_wants_its_reason(app: RunningApp) -> None:
    give(app, "R-2", REP, **READY)
    event = {
        "id": "crm-recycle-1",
        "type": "lead.recycled",
        "occurred_at": (A + timedelta(days=1)).isoformat(),
        "lead": {"external_id": "R-2"},
    }
    refused = post_events(app, event)
    assert refused.status_code == 422
    assert "reason" in refused.text

    assert post_events(app, {**event, "reason": "wrong timing"}).is_success
    assert lead_row(app, "R-2").status == "recycled"


# ---------------------------------------------------------------------------- needs an outcome


def test_a_breach_is_overdue_until_its_escalation_then_waits_for_an_outcome(
    app: RunningApp, services: Services
) -> None:
    give(app, "B-1", REP, **READY)
    ends = A + WINDOW

    app.clock.set(ends + ESCALATE_AFTER - timedelta(minutes=1))
    mine = lead_says(app, "mine")
    assert "overdue since" in mine and "Needs an outcome" not in mine
    assert nudged(services) == 1

    app.clock.set(ends + ESCALATE_AFTER)
    mine = lead_says(app, "mine")
    assert "Needs an outcome (1)" in mine
    assert "needs an outcome" in mine and "overdue since" not in mine
    assert nudged(services) == 0
    # Counted once, in the month its window ended.
    status = blocks_text(ephemeral_reply(app.command("/sla-status", user_id=REP)))
    assert "*Breaches this month*\n1" in status
    assert "*Overdue*\n0" in status


def test_a_lead_with_every_touch_needs_an_outcome_from_the_end_of_its_window(
    app: RunningApp, services: Services
) -> None:
    give(app, "M-1", REP, **READY)
    moments = [A + timedelta(hours=1 + 50 * n) for n in range(6)]
    assert post_events(app, *(touched("M-1", moment) for moment in moments)).is_success
    ends = A + WINDOW

    app.clock.set(ends - timedelta(minutes=1))
    assert "Needs an outcome" not in lead_says(app, "mine")
    app.clock.set(ends)
    mine = lead_says(app, "mine")
    assert "Needs an outcome (1)" in mine and "*M-1*" in mine


def choose(app: RunningApp, value: str, user_id: str = REP) -> None:
    """Pick an option of a lead's outcome menu on App Home, as Slack sends it."""
    payload = click_payload(user_id, OUTCOME_MENU, value)
    [action] = payload["actions"]
    del action["value"]
    action.update(type="overflow", selected_option={"value": value})
    send(app, payload)


def submit(app: RunningApp, modal: dict[str, Any], values: dict[str, Any]) -> str:
    payload = {
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
    response = app.post_slack(interaction_body(payload))
    assert response.status_code == 200
    return response.text


def test_app_home_closes_a_lead_that_needs_an_outcome_in_one_click(
    app: RunningApp, services: Services
) -> None:
    give(app, "B-1", REP, **READY)
    app.clock.set(A + WINDOW + ESCALATE_AFTER)

    home = open_home(app, REP)
    [menu] = [
        block["accessory"]
        for block in home["blocks"]
        if block.get("accessory", {}).get("action_id") == OUTCOME_MENU
    ]
    assert [option["value"] for option in menu["options"]] == [
        "won:B-1",
        "lost:B-1",
        "reject:B-1",
        "recycle:B-1",
    ]

    opened = len(app.slack.calls_to("views.open"))
    choose(app, "recycle:B-1")
    modal = wait_for(app, "views.open", after=opened)
    assert modal["callback_id"] == OUTCOME_MODAL

    # No reason: Slack keeps the modal open with the field's error; nothing is stored.
    before = event_count(app)
    refused = submit(app, modal, {"outcome_reason": {"reason": {"value": "  "}}})
    assert "errors" in refused and "outcome_reason" in refused
    assert event_count(app) == before

    published = len(app.slack.calls_to("views.publish"))
    submit(app, modal, {"outcome_reason": {"reason": {"value": "call again in spring"}}})
    home = wait_for(app, "views.publish", after=published)
    assert "*B-1* (Person B-1) is recycled" in blocks_text(home)
    row = lead_row(app, "B-1")
    assert (row.status, row.recycle_reason) == ("recycled", "call again in spring")

    # Submitted again (a double click): one outcome per assignment, nothing more stored.
    after = event_count(app)
    published = len(app.slack.calls_to("views.publish"))
    submit(app, modal, {"outcome_reason": {"reason": {"value": "call again in spring"}}})
    wait_for(app, "views.publish", after=published)
    assert event_count(app) == after


def test_only_the_owner_a_manager_or_an_admin_may_give_the_outcome(
    app: RunningApp, services: Services
) -> None:
    give(app, "B-1", REP, **READY)
    app.clock.set(A + WINDOW + ESCALATE_AFTER)
    published = len(app.slack.calls_to("views.publish"))

    choose(app, "won:B-1", user_id=OTHER)

    home = wait_for(app, "views.publish", after=published)
    assert "is not yours" in blocks_text(home)
    assert app.slack.calls_to("views.open") == []


# ---------------------------------------------------------------------------- duplicates


def test_a_duplicate_is_never_nudged_and_its_owner_is_told_once(
    app: RunningApp, services: Services
) -> None:
    give(app, "O-1", REP, email="same@example.com", **READY)
    give(app, "D-1", OTHER, at=A + timedelta(minutes=1), email="SAME@example.com ", **READY)

    row = lead_row(app, "D-1")
    assert (row.duplicate_of, row.next_touch_due, row.window_ends_at) == ("O-1", None, None)
    app.clock.set(A + timedelta(days=3))
    assert nudged(services) == 1  # O-1's owner, about O-1; nobody about D-1
    assert lead_row(app, "O-1").next_touch_due is not None
    assert "*Overdue*\n0" in blocks_text(ephemeral_reply(app.command("/sla-status", user_id=OTHER)))

    asyncio.run(follow_up_runs.run_duplicate_notices(services))
    asyncio.run(follow_up_runs.run_duplicate_notices(services))

    notices = [
        call.params
        for call in app.slack.calls_to("chat.postMessage")
        if call.params.get("channel") == OTHER  # a DM goes to the user id
    ]
    assert len(notices) == 1
    assert_fits_slack({"text": notices[0]["text"], "blocks": notices[0]["blocks"]})
    line = notices[0]["blocks"][0]["text"]["text"]
    assert "*D-1* · Person D-1 duplicates *O-1* · Person O-1, owned by <@U0ANA>" in line


def test_two_copies_of_the_app_tell_a_duplicates_owner_once(
    app: RunningApp, services: Services
) -> None:
    give(app, "O-1", REP, email="same@example.com", **READY)
    give(app, "D-1", OTHER, at=A + timedelta(minutes=1), email="same@example.com", **READY)
    other = Services(app.settings, app.db, app.clock, create_client(app.settings))

    async def both() -> None:
        await asyncio.gather(
            follow_up_runs.run_duplicate_notices(services),
            follow_up_runs.run_duplicate_notices(other),
        )

    asyncio.run(both())

    sent = [
        call
        for call in app.slack.calls_to("chat.postMessage")
        if call.params.get("channel") == OTHER
    ]
    assert len(sent) == 1


def test_a_touch_logged_on_a_duplicate_counts_on_the_original(
    app: RunningApp, services: Services
) -> None:
    give(app, "O-1", REP, email="same@example.com", **READY)
    give(app, "D-1", OTHER, at=A + timedelta(minutes=1), email="same@example.com", **READY)

    text = lead_says(app, "touch D-1 call left a voicemail", user_id=OTHER)

    assert "Touch 1 of 6 logged on *O-1* (Person O-1), which D-1 duplicates. Next touch" in text
    assert (lead_row(app, "O-1").touches, lead_row(app, "D-1").touches) == (1, 0)
    with app.db.session() as session:
        [event] = session.exec(select(LeadEvent).where(LeadEvent.type == "lead.touched")).all()
    assert event.lead_external_id == "O-1" and event.actor_id == OTHER
    assert event.payload["note"] == "logged on D-1, a duplicate: left a voicemail"
