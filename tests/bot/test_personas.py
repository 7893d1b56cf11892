"""Persona cards over HTTP with the emulator: the form's round trip, the card with its live
figures against a history whose answers are worked out here, the list with the persona names
leads carry that no card has, and who may describe one."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from storage.models import Persona
from tests.app_server import RunningApp, blocks_text, ephemeral_reply
from tests.bot.test_nudge_actions import send, wait_for
from tests.events import accepted, assigned, created, post_events, rejected, won

ADMIN, MIA, ANA = "U0ADMIN", "U0MIA", "U0ANA"
CFO = {
    "name": "CFO",
    "who": "Finance chief of a 50–500 person SaaS company",
    "pains": "Forecasts that miss; tools nobody uses",
    "buys": "What pays back within a year",
    "reach": "Webinars on pricing; referrals from their accountant",
}


@pytest.fixture
def team(app: RunningApp) -> RunningApp:
    app.clock.set(datetime(2026, 12, 4, 10, tzinfo=UTC))
    app.slack.add_user(ADMIN, name="admin", is_admin=True)
    app.slack.add_user(MIA, name="mia")
    app.slack.add_user(ANA, name="ana")
    reply = ephemeral_reply(app.command("/smarketing", f"marketing <@{MIA}>", user_id=ADMIN))
    assert "joined marketing" in reply["text"]
    return app


def open_form(app: RunningApp, user_id: str = MIA) -> dict[str, Any]:
    before = len([c for c in app.slack.calls if c.method == "views.open"])
    assert app.command("/persona", "new", user_id=user_id).status_code == 200
    [call] = wait_for(app, "views.open", before + 1)[before:]
    modal: dict[str, Any] = call.response["view"]
    return modal


def submission(modal: dict[str, Any], **changes: Any) -> dict[str, Any]:
    filled = {**CFO, **changes}
    values = {
        block["block_id"]: {
            block["element"]["action_id"]: {
                "type": "plain_text_input",
                "value": filled.get(block["block_id"]),
            }
        }
        for block in modal["blocks"]
        if block["type"] == "input"
    }
    return {
        "type": "view_submission",
        "team": {"id": "T0TEST", "domain": "test-workspace"},
        "user": {"id": MIA, "username": "mia", "name": "mia", "team_id": "T0TEST"},
        "api_app_id": "A0TEST",
        "token": "verification-token",
        "trigger_id": f"trig-{uuid.uuid4().hex}",
        "view": {**modal, "id": "V0PERSONA", "state": {"values": values}},
        "response_urls": [],
        "is_enterprise_install": False,
    }


def personas(app: RunningApp) -> int:
    with app.db.session() as session:
        return int(session.exec(select(func.count()).select_from(Persona)).one())


def describe(app: RunningApp, **changes: Any) -> None:
    assert send(app, submission(open_form(app), **changes)) == ""


def test_marketing_shares_a_persona_and_anyone_reads_its_card(team: RunningApp) -> None:
    describe(team)

    [told] = wait_for(team, "chat.postMessage", 1, channel=MIA)
    assert told.params["text"].startswith(":white_check_mark: The CFO persona is shared")
    text = blocks_text(ephemeral_reply(team.command("/persona", "cfo", user_id=ANA)))
    assert text.startswith("Persona: CFO\n*Who they are*\nFinance chief of a 50–500 person")
    assert "*Their pains*\nForecasts that miss" in text
    assert "*How to reach them*\nWebinars on pricing" in text
    assert "*Leads*\n0" in text


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"pains": None}, "pains", "Say what hurts"),
        ({"name": "  "}, "name", "Give the persona a name"),
    ],
)
def test_a_form_with_a_problem_stays_open_with_the_field_named(
    team: RunningApp, changes: dict[str, Any], field: str, reason: str
) -> None:
    answer = json.loads(send(team, submission(open_form(team), **changes)))

    assert answer["response_action"] == "errors"
    assert answer["errors"][field] == reason
    assert personas(team) == 0


def test_a_second_persona_of_the_same_name_is_refused(team: RunningApp) -> None:
    describe(team)

    answer = json.loads(send(team, submission(open_form(team), name="  cfo ")))

    assert "already called" in answer["errors"]["name"]
    assert personas(team) == 1


def test_a_rep_cannot_describe_a_persona(team: RunningApp) -> None:
    reply = ephemeral_reply(team.command("/persona", "new", user_id=ANA))

    assert reply["text"].startswith(":no_entry: Only marketing and admins describe personas")
    assert not [c for c in team.slack.calls if c.method == "views.open"]


def test_the_card_shows_how_the_personas_leads_did(team: RunningApp) -> None:
    """| lead | persona | grade | outcome |
    | P1 | CFO | sales-ready | accepted, won 20,000 |
    | P2 | cfo | sales-ready | rejected |
    | P3 | CFO | sales-ready | accepted |
    | P4 | "Cfo " | nurture | — |
    | P5 | Founder | sales-ready | — (no card: listed as unknown) |
    """
    describe(team)
    day = datetime(2026, 12, 1, 9, tzinfo=UTC)
    rows = [("P1", "CFO", 90), ("P2", "cfo", 90), ("P3", "CFO", 90), ("P4", "Cfo ", 10)]
    events: list[dict[str, Any]] = []
    for lead_id, persona, interest in [*rows, ("P5", "Founder", 90)]:
        events.append(
            created(
                lead_id,
                day,
                email=f"{lead_id.lower()}@example.com",
                persona=persona,
                fit=80,
                interest=interest,
            )
        )
        events.append(assigned(lead_id, day, slack_user_id=ANA))
    events += [
        accepted("P1", day),
        won("P1", day, 20000),
        rejected("P2", day, "no budget"),
        accepted("P3", day),
    ]
    assert post_events(team, *events).status_code == 200

    text = blocks_text(ephemeral_reply(team.command("/persona", "CFO", user_id=ANA)))
    listing = blocks_text(ephemeral_reply(team.command("/persona", "list", user_id=ANA)))

    assert "*Leads*\n4" in text  # P1–P4, however the persona is spelled
    assert "*Sales-ready*\n3 (75%)" in text
    assert "*Accepted by sales*\n66.7% of 3 judged" in text  # P1, P3 of P1–P3
    assert "*Win rate*\n25% (1 won)" in text
    assert "*Revenue*\n$20,000" in text
    assert "• *CFO* — Finance chief" in listing
    assert "Leads name personas no card describes: Founder." in listing


def test_an_unknown_persona_gets_did_you_mean(team: RunningApp) -> None:
    describe(team)

    line = blocks_text(ephemeral_reply(team.command("/persona", "CFOO", user_id=ANA)))

    assert line.startswith(":warning: No persona is called `CFOO`: did you mean `CFO`?")
