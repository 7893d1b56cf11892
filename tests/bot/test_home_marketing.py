"""Marketing's App Home over HTTP: someone in marketing opens the Home and sees marketing's
board first — goal and pace, the campaign, source and persona tables, why sales rejected or
handed back leads, the leads waiting for sales to accept — and switches it to another period."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.app_server import RunningApp, ephemeral_reply
from tests.app_server import blocks_text as view_text
from tests.bot.test_home import (
    add_leads,
    calls,
    click_payload,
    headers,
    lead_events,
    open_home,
    press,
)
from tests.events import accepted, recycled, rejected

ADMIN, MIA, REP = "U0ADMIN", "U0MIA", "U0REP"
OCTOBER = datetime(2026, 10, 20, 10, 0, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def in_marketing(app: RunningApp, user_id: str) -> None:
    app.slack.add_user(ADMIN, name="admin", is_admin=True)
    app.slack.add_user(user_id, name="mia")
    reply = ephemeral_reply(app.command("/smarketing", f"marketing <@{user_id}>", user_id=ADMIN))
    assert "joined marketing" in reply["text"], reply


def two_months(app: RunningApp) -> None:
    """October: two webinar leads, one rejected. November: three leads from an ebook for CFOs,
    one accepted, one rejected for budget, one handed back; and two still waiting for sales."""
    events: list[dict[str, Any]] = []
    for number in (1, 2):
        events += lead_events(f"O-{number}", at=OCTOBER, campaign="Webinar", source="Events")
    events.append(rejected("O-1", OCTOBER, "wrong market"))
    for number in range(1, 6):
        events += lead_events(
            f"N-{number}", at=NOVEMBER, campaign="Ebook", source="Google", persona="CFO"
        )
    events += [
        accepted("N-1", NOVEMBER),
        rejected("N-2", NOVEMBER, "No budget"),
        recycled("N-3", NOVEMBER, "not ready to buy"),
    ]
    add_leads(app, *events)


def test_someone_in_marketing_sees_marketings_board_first(app: RunningApp) -> None:
    two_months(app)
    in_marketing(app, MIA)
    app.clock.set(NOW)

    view = open_home(app, MIA)

    assert headers(view)[0] == "Marketing"
    text = view_text(view)
    assert "*November 2026*" in text
    assert "*Sales-ready leads:* 5 delivered of 100 committed" in text
    assert "*Ebook* — 5 leads · 5 sales-ready · 1 accepted · 0 won · $0" in text
    assert "*Google* — 5 leads" in text
    assert "*By persona*" in text and "*CFO* — 5 leads" in text
    assert "*Rejected by sales, why:* no budget (1)" in text
    assert "*Handed back to marketing, why:* not ready to buy (1)" in text
    # O-2 (October), N-4 and N-5: owned, sales-ready, neither accepted nor rejected.
    assert "*Waiting for sales to accept (3), longest first*" in text
    assert text.index("*O-2*") < text.index("*N-4*") < text.index("*N-5*")
    assert "Your leads" not in headers(view)  # she owns none


def test_the_period_switch_shows_last_months_board(app: RunningApp) -> None:
    two_months(app)
    in_marketing(app, MIA)
    app.clock.set(NOW)
    open_home(app, MIA)

    payload = click_payload(MIA, "home_period", "")
    payload["actions"][0] = {
        "type": "static_select",
        "action_id": "home_period",
        "block_id": "b1",
        "selected_option": {"value": "month:1", "text": {"type": "plain_text", "text": "Last"}},
        "action_ts": "1.0",
    }
    view = press(app, payload)

    text = view_text(view)
    # October began before tracking did (the first lead came on the 20th): it says so.
    assert "*October 2026 (partial: tracking began 20 October)*" in text
    assert "*Webinar* — 2 leads · 2 sales-ready" in text
    assert "*Rejected by sales, why:* wrong market (1)" in text
    assert "Result: missed by" in text
    assert "Ebook" not in text.split("*Waiting for sales to accept")[0]


def test_a_rep_does_not_get_marketings_board(app: RunningApp) -> None:
    two_months(app)
    app.clock.set(NOW)

    view = open_home(app, REP)

    assert "Marketing" not in headers(view)
    assert not [call for call in calls(app, "views.publish") if "By persona" in str(call.params)]
