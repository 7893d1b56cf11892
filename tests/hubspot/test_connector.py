"""HubSpot both ways over real HTTP: webhooks in (signed v3), the mapping, write-back, backfill.

The app runs as in production; HubSpot is the emulator (tests/hubspot/emulator.py)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import col, func, select

from bot.slack_client import create_client
from connectors.hubspot.client import HubSpotClient
from services.context import Services
from services.hubspot_sync import process_inbox
from services.hubspot_write_back import send_write_backs
from storage.models import HubSpotInbox, HubSpotOutbox, Lead, LeadEvent
from tests.app_server import RunningApp, blocks_text, ephemeral_reply, smarketing
from tests.bot.test_home import open_home
from tests.hubspot.conftest import SECRET, TOKEN
from tests.hubspot.emulator import HubSpotEmulator

ANA = "U0ANA"  # the rep, in Slack and (as owner 77) in HubSpot
ADMIN = "U0ADMIN"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def crm(app: RunningApp, hubspot: HubSpotEmulator) -> HubSpotEmulator:
    app.slack.add_user(ANA, name="Ana", email="ana@example.com")
    app.slack.add_user(ADMIN, name="Boss", is_admin=True)
    hubspot.add_owner("77", "ana@example.com", "Ana", "Silva")
    return hubspot


def services(app: RunningApp) -> Services:
    return Services(app.settings, app.db, app.clock, create_client(app.settings))


def new_contact(crm: HubSpotEmulator, **properties: str | None) -> str:
    return crm.add_contact(
        {
            "email": "lee@acme.example",
            "firstname": "Lee",
            "lastname": "Park",
            "company": "Acme",
            "smarketing_fit": "high",
            "hubspotscore": "85",
            "hs_analytics_source": "PAID_SEARCH",
            "hs_analytics_source_data_1": "Spring webinar",
            "hs_persona": "persona_1",
            "hubspot_owner_id": "77",
            "lifecyclestage": "lead",
            **properties,
        },
        at=NOW - timedelta(minutes=5),
    )


def deliver(
    app: RunningApp, crm: HubSpotEmulator, *events: dict[str, Any], **signing: Any
) -> httpx.Response:
    """A delivery as HubSpot posts it; when accepted, wait until the worker applied it."""
    response = crm.deliver(f"{app.url}/hubspot/webhooks", list(events), **signing)
    if response.status_code == 200:
        deadline = time.monotonic() + 15
        while waiting(app) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not waiting(app), "the worker did not apply the delivery"
    return response


def waiting(app: RunningApp) -> int:
    with app.db.session() as session:
        return int(
            session.exec(select(func.count()).where(col(HubSpotInbox.processed_at).is_(None))).one()
        )


def lead(app: RunningApp, external_id: str) -> Lead | None:
    with app.db.session() as session:
        return session.exec(select(Lead).where(Lead.external_id == external_id)).first()


def log_size(app: RunningApp) -> int:
    with app.db.session() as session:
        return int(session.exec(select(func.count()).select_from(LeadEvent)).one())


def outbox(app: RunningApp) -> list[HubSpotOutbox]:
    with app.db.session() as session:
        return list(session.exec(select(HubSpotOutbox).order_by(col(HubSpotOutbox.id))))


def send(app: RunningApp) -> Any:
    return asyncio.run(send_write_backs(services(app)))


# ------------------------------------------------------------------ webhooks in


def test_a_contact_created_in_hubspot_becomes_a_lead_of_its_owner(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = new_contact(crm)

    response = deliver(app, crm, crm.event("contact.creation", contact, occurred_at=NOW))

    assert response.status_code == 200
    row = lead(app, f"HS-{contact}")
    assert row is not None
    assert (row.name, row.company, row.email) == ("Lee Park", "Acme", "lee@acme.example")
    assert (row.fit, row.interest) == (100, 85)
    assert (row.source, row.campaign, row.persona) == ("PAID_SEARCH", "Spring webinar", "persona_1")
    assert row.owner_id == ANA


@pytest.mark.parametrize(
    "signing",
    [
        {"secret": "not-the-secret"},
        {"timestamp_ms": int((NOW - timedelta(minutes=6)).timestamp() * 1000)},
    ],
    ids=["wrong secret", "older than 5 minutes"],
)
def test_a_delivery_not_signed_by_hubspot_is_401_and_changes_nothing(
    app: RunningApp, crm: HubSpotEmulator, signing: dict[str, Any]
) -> None:
    contact = new_contact(crm)

    response = deliver(app, crm, crm.event("contact.creation", contact), **signing)

    assert response.status_code == 401
    assert waiting(app) == 0 and log_size(app) == 0
    assert crm.calls == []  # nothing was even read from HubSpot


def test_a_redelivered_and_out_of_order_delivery_is_applied_once(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = new_contact(crm)
    creation = crm.event("contact.creation", contact, occurred_at=NOW - timedelta(minutes=5))
    crm.update_contact(contact, {"lifecyclestage": "salesqualifiedlead"}, at=NOW)
    stage = crm.event(
        "contact.propertyChange",
        contact,
        property_name="lifecyclestage",
        property_value="salesqualifiedlead",
        occurred_at=NOW,
    )

    deliver(app, crm, stage)  # the later change arrives first
    deliver(app, crm, creation, stage)  # then both, HubSpot retrying the first
    size = log_size(app)
    deliver(app, crm, creation, stage)

    row = lead(app, f"HS-{contact}")
    assert row is not None and row.status == "accepted"
    assert log_size(app) == size  # the third delivery stored nothing
    with app.db.session() as session:
        types = session.exec(
            select(LeadEvent.type).where(LeadEvent.lead_external_id == f"HS-{contact}")
        ).all()
    assert sorted(types) == ["lead.accepted", "lead.assigned", "lead.created"]


def test_unqualified_in_hubspot_is_a_rejection(app: RunningApp, crm: HubSpotEmulator) -> None:
    contact = new_contact(crm, hs_lead_status="UNQUALIFIED")

    deliver(app, crm, crm.event("contact.creation", contact))

    row = lead(app, f"HS-{contact}")
    assert row is not None
    assert (row.status, row.reject_reason) == ("rejected", "Marked unqualified in HubSpot")


def test_a_deal_closed_won_wins_the_lead_with_the_deals_amount(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = new_contact(crm)
    deliver(app, crm, crm.event("contact.creation", contact))
    # A pipeline of the company's own: what "won" means comes from its stages' metadata.
    crm.add_pipeline(
        "enterprise",
        "Enterprise",
        [("e-open", "Talking", False, 0.5), ("e-signed", "Signed", True, 1.0)],
    )
    deal = crm.add_deal(
        {
            "dealname": "Acme renewal",
            "amount": "12500",
            "pipeline": "enterprise",
            "dealstage": "e-signed",
            "closedate": "2026-11-02T08:30:00.000Z",
        },
        [contact],
    )

    deliver(
        app,
        crm,
        crm.event(
            "deal.propertyChange", deal, property_name="dealstage", property_value="e-signed"
        ),
    )

    row = lead(app, f"HS-{contact}")
    assert row is not None
    assert (row.status, row.won_amount) == ("won", Decimal("12500.00"))


def test_a_call_logged_in_hubspot_is_a_touch(app: RunningApp, crm: HubSpotEmulator) -> None:
    contact = new_contact(crm)
    deliver(app, crm, crm.event("contact.creation", contact))
    crm.add_engagement(
        "calls",
        {"hs_timestamp": "2026-11-02T08:55:00.000Z", "hs_call_body": "Left a voicemail"},
        [contact],
    )
    crm.update_contact(contact, {"notes_last_contacted": "2026-11-02T08:55:00.000Z"})

    deliver(
        app, crm, crm.event("contact.propertyChange", contact, property_name="notes_last_contacted")
    )

    row = lead(app, f"HS-{contact}")
    assert row is not None and row.touches == 1


# ------------------------------------------------------------------ write-back


def hubspot_lead(app: RunningApp, crm: HubSpotEmulator) -> str:
    contact = new_contact(crm)
    deliver(app, crm, crm.event("contact.creation", contact))
    return contact


def test_a_touch_logged_in_slack_is_a_call_on_the_contact_once_and_not_read_back(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = hubspot_lead(app, crm)

    ephemeral_reply(app.command("/lead", f"touch HS-{contact} call Talked budget", user_id=ANA))
    assert send(app).sent == 1
    assert send(app).sent == 0  # nothing is sent twice

    calls = [c for c in crm.engagements("calls", contact) if c["created_by_api"]]
    assert len(calls) == 1
    assert calls[0]["properties"]["hs_call_body"] == "Talked budget"
    # HubSpot tells us the contact changed; the call we wrote is not read back as a touch.
    deliver(
        app, crm, crm.event("contact.propertyChange", contact, property_name="notes_last_contacted")
    )
    row = lead(app, f"HS-{contact}")
    assert row is not None and row.touches == 1


def test_accept_moves_the_lifecycle_stage_forward_and_reject_marks_unqualified_with_a_note(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    accepted = hubspot_lead(app, crm)
    rejected = crm.add_contact(
        {"email": "kim@beta.example", "hubspot_owner_id": "77", "lifecyclestage": "lead"}
    )
    deliver(app, crm, crm.event("contact.creation", rejected))

    ephemeral_reply(app.command("/lead", f"accept HS-{accepted}", user_id=ANA))
    ephemeral_reply(app.command("/lead", f"reject HS-{rejected} no budget", user_id=ANA))
    assert send(app).sent == 3

    assert crm.contact(accepted)["lifecyclestage"] == "salesqualifiedlead"
    assert crm.contact(rejected)["hs_lead_status"] == "UNQUALIFIED"
    notes = crm.engagements("notes", rejected)
    assert len(notes) == 1 and "no budget" in str(notes[0]["properties"]["hs_note_body"])


def test_a_429_is_retried_after_its_retry_after_and_sent_once(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = hubspot_lead(app, crm)
    ephemeral_reply(app.command("/lead", f"touch HS-{contact} call", user_id=ANA))
    crm.fail("POST", "/crm/v3/objects/calls", status=429, retry_after=30)

    first = send(app)
    app.clock.advance(seconds=10)
    early = send(app)
    app.clock.advance(seconds=25)
    later = send(app)

    assert (first.retrying, early.sent, later.sent) == (1, 0, 1)
    assert len(crm.engagements("calls", contact)) == 1


def test_a_timeout_that_reached_hubspot_is_found_and_not_posted_again(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = hubspot_lead(app, crm)
    ephemeral_reply(app.command("/lead", f"touch HS-{contact} call", user_id=ANA))
    crm.slow("POST", "/crm/v3/objects/calls", seconds=1.5)
    quick = app.settings.model_copy(update={"hubspot_timeout_seconds": 0.5})

    first = asyncio.run(send_write_backs(Services(quick, app.db, app.clock, create_client(quick))))
    app.clock.advance(minutes=5)
    second = send(app)

    assert (first.retrying, second.sent) == (1, 1)
    assert len(crm.engagements("calls", contact)) == 1
    assert outbox(app)[0].hubspot_id == crm.engagements("calls", contact)[0]["id"]


def test_a_deleted_contact_fails_for_good_and_admins_see_why(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = hubspot_lead(app, crm)
    ephemeral_reply(app.command("/lead", f"touch HS-{contact} call", user_id=ANA))
    crm.delete_contact(contact)

    assert send(app).failed == 1
    app.clock.advance(hours=2)
    assert send(app).failed == 0  # not tried again

    shown = blocks_text(ephemeral_reply(app.command("/smarketing", "hubspot", user_id=ADMIN)))
    assert f"HS-{contact}: the contact was deleted in HubSpot" in shown
    assert "failed: 1" in shown
    refused = blocks_text(ephemeral_reply(app.command("/smarketing", "hubspot", user_id=ANA)))
    assert "Only admins" in refused


# ------------------------------------------------------------------ backfill


def test_the_sync_reads_every_contact_and_a_second_run_changes_nothing(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contacts = [
        crm.add_contact(
            {"email": f"p{n}@example.com", "hubspot_owner_id": "77"},
            at=NOW - timedelta(days=1, minutes=n),
        )
        for n in range(5)
    ]
    env = {
        "DATABASE_URL": app.settings.database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": "test-signing-secret",
        "SLACK_API_URL": app.settings.slack_api_url,
        "HUBSPOT_ACCESS_TOKEN": TOKEN,
        "HUBSPOT_CLIENT_SECRET": SECRET,
        "HUBSPOT_API_URL": crm.api_url,
    }

    first = smarketing(["hubspot", "sync"], env=env)
    size = log_size(app)
    second = smarketing(["hubspot", "sync", "--since", "2026-10-01"], env=env)

    assert first.returncode == 0, first.stderr
    assert "5 contacts read, 10 lead events stored" in first.stderr
    assert all(lead(app, f"HS-{contact}") is not None for contact in contacts)
    assert second.returncode == 0 and "0 lead events stored" in second.stderr
    assert log_size(app) == size


def test_a_search_past_hubspots_10000_results_starts_again_from_the_last_time_seen(
    hubspot: HubSpotEmulator,
) -> None:
    crm = hubspot  # the client alone: no store, so one run, not one per store
    crm.search_per_second = None
    start = NOW - timedelta(days=30)
    for n in range(10_050):
        crm.add_contact({"email": f"c{n}@example.com"}, at=start + timedelta(seconds=n))
    client = HubSpotClient(crm.api_url, TOKEN, search_interval=0)

    ids = [record.id for record in client.changed_contacts(0, ["email"])]

    assert len(ids) == len(set(ids)) == 10_050


# ------------------------------------------------------------------ more faults


@pytest.mark.parametrize("status", [429, 500])
def test_hubspot_failing_while_a_delivery_is_applied_waits_and_applies_it_later(
    app: RunningApp, crm: HubSpotEmulator, status: int
) -> None:
    contact = new_contact(crm)
    crm.fail("GET", f"/crm/v3/objects/contacts/{contact}", status=status, retry_after=20)

    response = crm.deliver(f"{app.url}/hubspot/webhooks", [crm.event("contact.creation", contact)])
    assert response.status_code == 200  # acknowledged before HubSpot is asked anything
    deadline = time.monotonic() + 15
    while not crm.calls_to("GET", "/crm/v3/objects/contacts/") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lead(app, f"HS-{contact}") is None and waiting(app) == 1

    app.clock.advance(minutes=5)
    run = asyncio.run(process_inbox(services(app)))

    assert (run.applied, waiting(app)) == (1, 0)
    row = lead(app, f"HS-{contact}")
    assert row is not None and row.owner_id == ANA


def test_a_500_from_hubspot_on_write_back_is_retried_and_sent_once(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = hubspot_lead(app, crm)
    ephemeral_reply(app.command("/lead", f"touch HS-{contact} meeting Demo booked", user_id=ANA))
    crm.fail("POST", "/crm/v3/objects/meetings", status=500, times=2)

    runs = [send(app)]
    for _ in range(3):
        app.clock.advance(minutes=10)
        runs.append(send(app))

    assert [(run.sent, run.retrying) for run in runs] == [(0, 1), (0, 1), (1, 0), (0, 0)]
    [meeting] = crm.engagements("meetings", contact)
    assert meeting["properties"]["hs_meeting_body"] == "Demo booked"


def test_a_missing_scope_is_named_to_admins_and_on_their_app_home(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = hubspot_lead(app, crm)
    ephemeral_reply(app.command("/lead", f"touch HS-{contact} call", user_id=ANA))
    crm.scopes = frozenset({"crm.objects.contacts.read", "crm.objects.owners.read"})  # no write

    assert send(app).failed == 1
    shown = blocks_text(ephemeral_reply(app.command("/smarketing", "hubspot", user_id=ADMIN)))

    assert "MISSING_SCOPES" in shown
    home = blocks_text(open_home(app, ADMIN))
    assert f"HubSpot: 1 write-back(s) failed (latest HS-{contact}: HubSpot refused it" in home
    assert "HubSpot" not in blocks_text(open_home(app, ANA))


# ------------------------------------------------------------------ end to end


def test_a_lead_from_hubspot_worked_in_slack_and_won_in_hubspot_reads_the_same_everywhere(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    app.slack.add_channel("C0SMKT", name="smarketing")
    contact = hubspot_lead(app, crm)  # created and assigned to Ana, Monday 2 November
    app.clock.set(NOW + timedelta(hours=1))
    ephemeral_reply(app.command("/lead", f"touch HS-{contact} call First call", user_id=ANA))
    assert send(app).sent == 1, outbox(app)
    app.clock.set(NOW + timedelta(days=2))
    deal = crm.add_deal(
        {
            "dealname": "Acme",
            "amount": "12500",
            "pipeline": "default",
            "dealstage": "closedwon",
            "closedate": "2026-11-04T09:00:00.000Z",
        },
        [contact],
    )
    deliver(app, crm, crm.event("deal.creation", deal))

    row = lead(app, f"HS-{contact}")
    assert row is not None
    assert (row.status, row.touches, row.won_amount) == ("won", 1, Decimal("12500.00"))
    mine = blocks_text(ephemeral_reply(app.command("/sla-status", "", user_id=ANA)))
    home = blocks_text(open_home(app, ADMIN))
    assert "1 won · $12,500" in home, home
    assert "*Median first touch*\n1 h 5 min" in mine, mine  # the touch logged in Slack
    # The next Monday's digest covers the week it happened in.
    app.clock.set(NOW + timedelta(days=7, minutes=5))
    ephemeral_reply(app.command("/smarketing", "digest <#C0SMKT|smarketing>", user_id=ADMIN))
    ephemeral_reply(app.command("/smarketing", "digest now", user_id=ADMIN))
    deadline = time.monotonic() + 15
    while not app.slack.messages_in("C0SMKT") and time.monotonic() < deadline:
        time.sleep(0.05)
    digest = app.slack.messages_in("C0SMKT")[0]
    assert "$12,500" in blocks_text(digest), blocks_text(digest)


def test_a_deal_closed_lost_loses_the_lead_and_nothing_from_hubspot_goes_back(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = new_contact(crm, lifecyclestage="salesqualifiedlead")
    deliver(app, crm, crm.event("contact.creation", contact))
    deal = crm.add_deal(
        {
            "dealname": "Acme pilot",
            "amount": "900",
            "pipeline": "default",
            "dealstage": "closedlost",
            "closedate": "2026-11-02T09:00:00.000Z",
        },
        [contact],
    )

    deliver(
        app,
        crm,
        crm.event(
            "deal.propertyChange", deal, property_name="dealstage", property_value="closedlost"
        ),
    )

    row = lead(app, f"HS-{contact}")
    assert row is not None
    assert (row.status, row.lost_reason) == ("lost", "Deal Acme pilot closed lost")
    assert outbox(app) == []  # accepted and lost in HubSpot: nothing to write back


def test_a_mapped_property_changed_in_hubspot_updates_the_lead(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = hubspot_lead(app, crm)
    crm.update_contact(contact, {"company": "Acme Group", "smarketing_fit": "low"})

    deliver(
        app,
        crm,
        crm.event(
            "contact.propertyChange", contact, property_name="company", property_value="Acme Group"
        ),
    )

    row = lead(app, f"HS-{contact}")
    assert row is not None and (row.company, row.fit) == ("Acme Group", 0)


def test_an_email_touch_and_a_lost_lead_go_back_as_an_email_and_a_note(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = hubspot_lead(app, crm)
    ephemeral_reply(app.command("/lead", f"touch HS-{contact} email Sent the deck", user_id=ANA))
    ephemeral_reply(app.command("/lead", f"lost HS-{contact} went with a rival", user_id=ANA))

    assert send(app).sent == 2

    [email] = crm.engagements("emails", contact)
    assert email["properties"]["hs_email_text"] == "Sent the deck"
    [note] = crm.engagements("notes", contact)
    assert "Lost in Slack" in str(note["properties"]["hs_note_body"])
    assert "went with a rival" in str(note["properties"]["hs_note_body"])


def test_a_lead_recycled_in_slack_goes_back_as_a_note_with_the_reason(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = hubspot_lead(app, crm)
    reply = ephemeral_reply(
        app.command("/lead", f"recycle HS-{contact} not before next budget", user_id=ANA)
    )
    assert "Recycled" in blocks_text(reply)

    assert send(app).sent == 1

    [note] = crm.engagements("notes", contact)
    body = str(note["properties"]["hs_note_body"])
    assert "Recycled to marketing in Slack" in body and "not before next budget" in body


def test_a_lead_from_hubspot_links_to_its_record_there(
    app: RunningApp, crm: HubSpotEmulator
) -> None:
    contact = hubspot_lead(app, crm)  # the delivery names the account: portalId

    text = blocks_text(ephemeral_reply(app.command("/lead", f"HS-{contact}", user_id=ANA)))

    portal = crm.event("contact.creation", contact)["portalId"]
    assert f"<https://app.hubspot.com/contacts/{portal}/record/0-1/{contact}|Open in the CRM>" in (
        text
    )


def test_admins_read_whether_hubspot_takes_the_token(app: RunningApp, crm: HubSpotEmulator) -> None:
    connected = blocks_text(ephemeral_reply(app.command("/smarketing", "hubspot", user_id=ADMIN)))
    crm.access_token = "pat-revoked"  # the private app's token was rotated in HubSpot

    refused = blocks_text(ephemeral_reply(app.command("/smarketing", "hubspot", user_id=ADMIN)))

    assert "HubSpot is connected" in connected
    assert "fit ← `smarketing_fit`" in connected  # the property mapping
    assert "HubSpot refuses the token: check HUBSPOT_ACCESS_TOKEN" in refused
