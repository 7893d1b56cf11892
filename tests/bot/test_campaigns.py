"""Campaign briefs over HTTP with the emulator (DESIGN §3 "Campaign briefs"): the modal's round
trip (opened, refused with field errors, stored), the brief posted to the campaigns channel with
its *Ready* button, the card and scorecard against a history whose answers are worked out here,
the list with unbriefed campaign names, and the scorecard in the brief's thread at its end."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from blocks.campaign_message import DRAWING
from bot.slack_client import create_client
from services import campaigns
from services.context import Services
from storage.models import Campaign, CampaignReady, SettingChange
from tests.app_server import RunningApp, assert_fits_slack, blocks_text, ephemeral_reply
from tests.bot.test_nudge_actions import send, wait_for
from tests.events import accepted, assigned, created, post_events, rejected, touched, won

ADMIN, MIA, ANA, BEN = "U0ADMIN", "U0MIA", "U0ANA", "U0BEN"
CHANNEL = "C0CAMPAIGNS"
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def team(app: RunningApp) -> RunningApp:
    """Mia in marketing, Ana and Ben reps, a campaigns channel; 4 December 2026."""
    app.clock.set(NOW)
    app.slack.add_user(ADMIN, name="admin", is_admin=True)
    for user_id, name in ((MIA, "mia"), (ANA, "ana"), (BEN, "ben")):
        app.slack.add_user(user_id, name=name)
    app.slack.add_channel(CHANNEL, name="campaigns")
    for text in (f"marketing <@{MIA}>", f"campaigns <#{CHANNEL}|campaigns>"):
        reply = ephemeral_reply(app.command("/smarketing", text, user_id=ADMIN))
        assert ":white_check_mark:" in reply["text"], reply
    return app


def open_form(app: RunningApp, user_id: str = MIA) -> dict[str, Any]:
    """`/campaign new`: the modal Slack opened (the emulator checks it as Slack does)."""
    before = len([c for c in app.slack.calls if c.method == "views.open"])
    response = app.command("/campaign", "new", user_id=user_id)
    assert response.status_code == 200
    [call] = wait_for(app, "views.open", before + 1)[before:]
    modal: dict[str, Any] = call.response["view"]
    return modal


FORM = {
    "name": "Q4 Webinar",
    "persona": "CFO",
    "source": "webinar",
    "starts_on": "2026-12-07",
    "ends_on": "2026-12-18",
    "offer": "A live teardown of three pricing pages",
    "talking_points": "Ask which page they run; offer the recording",
    "expected": "40",
    "link": "https://example.com/q4",
    "post_on": None,
}


def submission(modal: dict[str, Any], user_id: str = MIA, **changes: Any) -> dict[str, Any]:
    """The modal filled in with FORM (and `changes`), as Slack sends a view_submission."""
    filled = {**FORM, **changes}
    values: dict[str, Any] = {}
    for block in modal["blocks"]:
        if block["type"] != "input":
            continue
        block_id, element = block["block_id"], block["element"]
        value = filled.get(block_id)
        if element["type"] == "datepicker":
            state = {"type": "datepicker", "selected_date": value}
        else:
            state = {"type": element["type"], "value": value}
        values[block_id] = {element["action_id"]: state}
    return {
        "type": "view_submission",
        "team": {"id": "T0TEST", "domain": "test-workspace"},
        "user": {"id": user_id, "username": "mia", "name": "mia", "team_id": "T0TEST"},
        "api_app_id": "A0TEST",
        "token": "verification-token",
        "trigger_id": f"trig-{uuid.uuid4().hex}",
        "view": {**modal, "id": f"V{uuid.uuid4().hex[:8].upper()}", "state": {"values": values}},
        "response_urls": [],
        "is_enterprise_install": False,
    }


def stored(app: RunningApp) -> tuple[int, int]:
    with app.db.session() as session:
        briefs = session.exec(select(func.count()).select_from(Campaign)).one()
        changes = session.exec(select(func.count()).select_from(SettingChange)).one()
    return int(briefs), int(changes)


def briefs_posted(app: RunningApp) -> list[dict[str, Any]]:
    return [m for m in app.slack.messages_in(CHANNEL) if "thread_ts" not in m]


def brief(app: RunningApp, **changes: Any) -> dict[str, Any]:
    """Brief a campaign through the modal; return the brief as the channel got it."""
    before = len(briefs_posted(app))
    assert send(app, submission(open_form(app), **changes)) == ""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(briefs_posted(app)) == before:
        time.sleep(0.02)
    posted = briefs_posted(app)
    assert len(posted) == before + 1
    return posted[-1]


# ------------------------------------------------------------------ the modal


def test_marketing_opens_the_brief_form_and_a_rep_is_told_who_may(team: RunningApp) -> None:
    modal = open_form(team)

    assert modal["callback_id"] == "campaign_brief"
    fields = [block["block_id"] for block in modal["blocks"] if block["type"] == "input"]
    assert fields == list(FORM)

    reply = ephemeral_reply(team.command("/campaign", "new", user_id=ANA))
    assert reply["text"].startswith(":no_entry: Only marketing and admins brief campaigns")
    assert len([c for c in team.slack.calls if c.method == "views.open"]) == 1


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"ends_on": "2026-12-01"}, "ends_on", "The end comes before the start"),
        ({"offer": None}, "offer", "Say what the offer is"),
        ({"post_on": "2026-12-09"}, "post_on", "Post the brief before the campaign starts"),
        ({"post_on": "2026-12-01"}, "post_on", "That day has passed"),
        ({"name": "   "}, "name", "Give the campaign a name"),
    ],
)
def test_a_brief_with_a_problem_keeps_the_form_open_with_the_field_named(
    team: RunningApp, changes: dict[str, Any], field: str, reason: str
) -> None:
    before = stored(team)

    answer = json.loads(send(team, submission(open_form(team), **changes)))

    assert answer["response_action"] == "errors"
    assert reason in answer["errors"][field]
    assert stored(team) == before
    assert briefs_posted(team) == []


def test_a_second_campaign_of_the_same_name_is_refused(team: RunningApp) -> None:
    brief(team)
    before = stored(team)

    answer = json.loads(send(team, submission(open_form(team), name="q4   webinar")))

    assert "already called" in answer["errors"]["name"]
    assert stored(team) == before


# ------------------------------------------------------------------ the brief and Ready


def test_the_brief_goes_to_the_campaigns_channel_with_a_ready_button(team: RunningApp) -> None:
    message = brief(team)

    assert_fits_slack(message)
    text = blocks_text(message)
    assert text.startswith("Campaign brief: Q4 Webinar\n")
    assert "*Runs*\n7–18 December 2026" in text
    assert "*Expected sales-ready leads*\n40" in text
    assert "*Persona*\nCFO" in text
    assert "*The offer*\nA live teardown of three pricing pages" in text
    assert "*Talking points*\nAsk which page they run" in text
    assert "No rep is ready yet" in text
    assert "Questions? Ask in this message's thread." in text
    [button] = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["text"]["text"] == "Ready"
    [told] = wait_for(team, "chat.postMessage", 1, channel=MIA)
    briefed = f":white_check_mark: Q4 Webinar is briefed: posted to <#{CHANNEL}>."
    assert told.params["text"] == briefed


def press_ready(app: RunningApp, message: dict[str, Any], user_id: str) -> None:
    [block] = [b for b in message["blocks"] if b["type"] == "actions"]
    button = block["elements"][0]
    send(
        app,
        {
            "type": "block_actions",
            "user": {"id": user_id, "username": "x", "name": "x", "team_id": "T0TEST"},
            "api_app_id": "A0TEST",
            "token": "verification-token",
            "container": {"type": "message", "message_ts": message["ts"], "channel_id": CHANNEL},
            "trigger_id": f"trig-{uuid.uuid4().hex}",
            "team": {"id": "T0TEST", "domain": "test-workspace"},
            "channel": {"id": CHANNEL, "name": "campaigns"},
            "message": message,
            "response_url": f"https://hooks.slack.test/actions/{uuid.uuid4().hex}",
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": block.get("block_id", "b1"),
                    "value": button["value"],
                    "text": button["text"],
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        },
    )


def test_reps_press_ready_and_the_brief_shows_who_is(team: RunningApp) -> None:
    message = brief(team)

    press_ready(team, message, ANA)
    wait_for(team, "chat.postEphemeral", 1, user=ANA)
    press_ready(team, message, BEN)
    press_ready(team, message, ANA)  # a second press changes nothing

    said = [call.params["text"] for call in wait_for(team, "chat.postEphemeral", 2, user=ANA)]
    assert said == [
        ":white_check_mark: You are ready for Q4 Webinar.",
        ":information_source: You said you were ready for Q4 Webinar already.",
    ]
    # Presses answered together: the last drawing of the brief holds every name.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        updates = [call for call in team.slack.calls if call.method == "chat.update"]
        if updates and "Ready (2)" in json.dumps(updates[-1].params["blocks"]):
            break
        time.sleep(0.05)
    time.sleep(0.3)  # no later redraw takes a name away
    last = [c for c in team.slack.calls if c.method == "chat.update"][-1].params
    assert (last["channel"], last["ts"]) == (CHANNEL, message["ts"])
    assert f"Ready (2): <@{ANA}>, <@{BEN}>" in json.dumps(last["blocks"])
    with team.db.session() as session:
        assert len(session.exec(select(CampaignReady)).all()) == 2
    card = blocks_text(ephemeral_reply(team.command("/campaign", "q4 webinar", user_id=MIA)))
    assert f"Ready (2): <@{ANA}>, <@{BEN}>" in card


def services_of(app: RunningApp) -> Services:
    return Services(app.settings, app.db, app.clock, create_client(app.settings))


def test_a_brief_for_a_later_day_is_posted_on_that_day(team: RunningApp) -> None:
    assert send(team, submission(open_form(team), post_on="2026-12-06")) == ""
    wait_for(team, "chat.postMessage", 1, channel=MIA)
    assert briefs_posted(team) == []

    team.clock.set(datetime(2026, 12, 5, 23, 0, tzinfo=UTC))
    assert asyncio.run(campaigns.post_due(services_of(team), DRAWING)) == []
    team.clock.set(datetime(2026, 12, 6, 8, 0, tzinfo=UTC))
    [sent] = asyncio.run(campaigns.post_due(services_of(team), DRAWING))
    again = asyncio.run(campaigns.post_due(services_of(team), DRAWING))

    assert sent.status.value == "sent" and again == []
    assert len(briefs_posted(team)) == 1


# ------------------------------------------------------------------ card, scorecard, list


def history(app: RunningApp) -> None:
    """Seven leads name the campaign, spelled three ways; one names a campaign no brief has.

    | lead | name          | owner | grade       | outcome                  |
    |------|---------------|-------|-------------|--------------------------|
    | W1   | Q4 Webinar    | Ana   | sales-ready | touched, accepted, won 12,000 |
    | W2   | q4 webinar    | Ana   | sales-ready | touched, accepted        |
    | W3   | Q4  WEBINAR   | Ben   | sales-ready | touched, rejected: no budget |
    | W4   | Q4 Webinar    | Ben   | sales-ready | rejected: No budget      |
    | W5   | Q4 Webinar    | Ben   | sales-ready | won 3,000.50 (accepted first) |
    | W6   | Q4 Webinar    | —     | nurture     |                          |
    | W7   | Q4 Webinar    | Ana   | review      | rejected: wrong persona  |
    | X1   | Spring promo  | Ana   | sales-ready |                          |
    """
    day = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    rows = [
        ("W1", "Q4 Webinar", ANA, 80, 90),
        ("W2", "q4 webinar", ANA, 80, 90),
        ("W3", "Q4  WEBINAR", BEN, 80, 90),
        ("W4", "Q4 Webinar", BEN, 80, 90),
        ("W5", "Q4 Webinar", BEN, 80, 90),
        ("W6", "Q4 Webinar", None, 80, 10),
        ("W7", "Q4 Webinar", ANA, 10, 90),
        ("X1", "Spring promo", ANA, 80, 90),
    ]
    events: list[dict[str, Any]] = []
    for lead_id, campaign, owner, fit, interest in rows:
        events.append(
            created(
                lead_id,
                day,
                email=f"{lead_id.lower()}@example.com",
                campaign=campaign,
                fit=fit,
                interest=interest,
            )
        )
        if owner:
            events.append(assigned(lead_id, day, slack_user_id=owner))
    later = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    events += [
        touched("W1", later),
        accepted("W1", later),
        won("W1", later, 12000),
        touched("W2", later),
        accepted("W2", later),
        touched("W3", later),
        rejected("W3", later, "no budget"),
        rejected("W4", later, "No budget"),
        accepted("W5", later),
        won("W5", later, "3000.50"),
        rejected("W7", later, "wrong persona"),
    ]
    response = post_events(app, *events)
    assert response.status_code == 200, response.text


def test_the_card_shows_the_scorecard_against_what_was_expected(team: RunningApp) -> None:
    brief(team)
    history(team)
    team.clock.set(datetime(2026, 12, 10, 12, 0, tzinfo=UTC))

    text = blocks_text(ephemeral_reply(team.command("/campaign", "Q4   webinar", user_id=BEN)))

    assert "*Running*" in text
    assert "*Leads*\n7" in text  # W1–W7, however their campaign is spelled
    assert "*Sales-ready*\n5 of 40 expected (on its way)" in text  # W1–W5
    assert "*Accepted by sales*\n3" in text  # W1, W2, W5
    assert "*Rejected*\n3 — no budget (2); wrong persona (1)" in text
    assert "*Won*\n2" in text
    assert "*Revenue*\n$15,001" in text  # 12,000 + 3,000.50, in whole dollars
    assert f"• <@{ANA}> · 3 leads · 2 touched · 2 accepted · 1 won · $12,000" in text
    assert f"• <@{BEN}> · 3 leads · 1 touched · 1 accepted · 1 won · $3,001" in text


def test_the_list_shows_each_campaigns_state_and_the_unbriefed_names(team: RunningApp) -> None:
    brief(team)
    history(team)

    text = blocks_text(ephemeral_reply(team.command("/campaign", "list", user_id=ANA)))

    assert (
        "• *Q4 Webinar* · briefed, not started · 7–18 December 2026 · 40 sales-ready expected"
        in text
    )
    assert "Leads name campaigns no brief has: Spring promo." in text


def test_an_unknown_campaign_gets_did_you_mean(team: RunningApp) -> None:
    brief(team)

    line = blocks_text(ephemeral_reply(team.command("/campaign", "Q4 Webnar", user_id=ANA)))

    assert line.startswith(
        ":warning: No campaign is called `Q4 Webnar`: did you mean `Q4 Webinar`?"
    )


def test_when_a_campaign_ends_its_scorecard_goes_into_the_briefs_thread_once(
    team: RunningApp,
) -> None:
    message = brief(team)
    history(team)

    team.clock.set(datetime(2026, 12, 19, 9, 0, tzinfo=UTC))
    [sent] = asyncio.run(campaigns.post_due(services_of(team), DRAWING))
    assert asyncio.run(campaigns.post_due(services_of(team), DRAWING)) == []

    assert sent.status.value == "sent"
    [reply] = [m for m in team.slack.messages_in(CHANNEL) if m.get("thread_ts") == message["ts"]]
    text = blocks_text(reply)
    assert text.startswith("*Q4 Webinar has ended* (7–18 December 2026).")
    assert "*Sales-ready*\n5 of 40 expected (35 short)" in text


# ------------------------------------------------------------------ the channel


def test_only_an_admin_sets_where_briefs_go(team: RunningApp) -> None:
    before = stored(team)

    reply = ephemeral_reply(team.command("/smarketing", f"campaigns <#{CHANNEL}>", user_id=MIA))

    assert reply["text"].startswith(":no_entry: Only admins can set where briefs go")
    assert stored(team) == before
    bad = ephemeral_reply(team.command("/smarketing", "campaigns general", user_id=ADMIN))
    assert bad["text"].startswith(":warning: `general` is not a channel Slack linked")
    assert stored(team) == before
