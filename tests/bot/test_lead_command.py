"""`/lead` driven over HTTP, signed as Slack signs it: touches, closed-loop feedback, one lead's
timeline, a rep's open leads, and every refusal leaving the store as it was."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from storage import members
from storage.models import Lead, LeadEvent
from tests.app_server import RunningApp, assert_fits_slack, ephemeral_reply
from tests.app_server import blocks_text as reply_text
from tests.events import assigned, created, post_events, touched, won
from tests.slack.signing import slash_command_body

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # the fake clock's start
ASSIGNED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
# The default SLA, 6 touches in 14 days, first within 24 h: touches are 56 h apart.
SPACING = timedelta(days=14) / 6


def lead(
    app: RunningApp, text: str, *, user_id: str = "U0REP", trigger_id: str | None = None
) -> dict[str, Any]:
    """Send `/lead TEXT` as Slack does, each with its own trigger id unless one is given."""
    body = slash_command_body(
        command="/lead",
        text=text,
        user_id=user_id,
        response_url=app.slack.new_response_url(),
        trigger_id=trigger_id or f"trig-{uuid.uuid4().hex}",
    )
    reply = ephemeral_reply(app.post_slack(body))
    assert_fits_slack(reply)
    return reply


def slack_date(moment: datetime) -> str:
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def add_lead(
    app: RunningApp,
    external_id: str,
    *,
    owner: str | None = "U0REP",
    at: datetime = ASSIGNED,
    **fields: Any,
) -> None:
    values: dict[str, Any] = {
        "email": f"{external_id.lower()}@example.com",
        "name": "Jane Doe",
        "company": "Acme",
        "fit": 80,
        "interest": 90,
        **fields,
    }
    events = [created(external_id, at, **values)]
    if owner is not None:
        events.append(assigned(external_id, at, slack_user_id=owner))
    assert post_events(app, *events).status_code == 200


def stored(app: RunningApp, external_id: str) -> tuple[int, dict[str, Any]]:
    """The size of the event log and the lead's row, to show a refusal changed nothing."""
    with app.db.session() as session:
        count = session.exec(select(func.count()).select_from(LeadEvent)).one()
        row = session.exec(select(Lead).where(Lead.external_id == external_id)).first()
        return int(count), row.model_dump() if row else {}


def lead_row(app: RunningApp, external_id: str) -> Lead:
    with app.db.session() as session:
        return session.exec(select(Lead).where(Lead.external_id == external_id)).one()


def slack_events(app: RunningApp, external_id: str) -> list[LeadEvent]:
    with app.db.session() as session:
        query = select(LeadEvent).where(
            LeadEvent.lead_external_id == external_id, LeadEvent.origin == "slack"
        )
        return list(session.exec(query).all())


def shown_ids(reply: dict[str, Any]) -> list[str]:
    """The lead ids `/lead mine` lists, in the order shown."""
    return [
        block["text"]["text"].split("*")[1]
        for block in reply["blocks"]
        if block["type"] == "section"
    ]


# ------------------------------------------------------------------ touches


def test_a_touch_is_logged_and_moves_the_next_touch_due(app: RunningApp) -> None:
    add_lead(app, "L-1001")
    assert lead_row(app, "L-1001").next_touch_due == ASSIGNED + timedelta(hours=24)

    reply = lead(app, "touch L-1001")

    next_due = ASSIGNED + 2 * SPACING
    assert reply["text"] == (
        f"Touch 1 of 6 logged on *L-1001* (Acme). Next touch due {slack_date(next_due)}."
    )
    row = lead_row(app, "L-1001")
    assert row.touches == 1
    assert row.first_touch_at == NOW
    assert row.next_touch_due == next_due
    [event] = slack_events(app, "L-1001")
    assert (event.type, event.actor_id, event.payload["channel"]) == (
        "lead.touched",
        "U0REP",
        "call",
    )


def test_a_second_touch_counts_as_touch_two(app: RunningApp) -> None:
    add_lead(app, "L-1001")
    lead(app, "touch L-1001 call")
    app.clock.advance(hours=30)

    reply = lead(app, "touch L-1001 meeting")

    assert reply["text"] == (
        f"Touch 2 of 6 logged on *L-1001* (Acme). "
        f"Next touch due {slack_date(ASSIGNED + 3 * SPACING)}."
    )
    assert lead_row(app, "L-1001").touches == 2


def test_the_channel_and_note_of_a_touch_show_in_the_timeline(app: RunningApp) -> None:
    add_lead(app, "L-1001")

    lead(app, "touch L-1001 email sent the deck <!channel>")

    [event] = slack_events(app, "L-1001")
    assert event.payload["channel"] == "email"
    assert event.payload["note"] == "sent the deck <!channel>"
    shown = reply_text(lead(app, "L-1001"))
    assert "*E-mail* — “sent the deck &lt;!channel&gt;” by <@U0REP>" in shown


def test_a_note_without_a_channel_is_logged_as_a_call(app: RunningApp) -> None:
    add_lead(app, "L-1001")

    lead(app, "touch L-1001 left a voicemail")

    [event] = slack_events(app, "L-1001")
    assert event.payload["channel"] == "call"
    assert event.payload["note"] == "left a voicemail"


def test_the_same_request_sent_twice_logs_one_touch(app: RunningApp) -> None:
    add_lead(app, "L-1001")

    first = lead(app, "touch L-1001 call", trigger_id="trig-repeated")
    count, row = stored(app, "L-1001")
    again = lead(app, "touch L-1001 call", trigger_id="trig-repeated")

    assert "Touch 1 of 6 logged" in first["text"]
    assert "already recorded" in again["text"]
    assert "1 of 6 touches" in again["text"]
    assert stored(app, "L-1001") == (count, row)
    assert lead_row(app, "L-1001").touches == 1
    assert len(slack_events(app, "L-1001")) == 1


def test_the_sixth_touch_says_the_sla_is_met(app: RunningApp) -> None:
    add_lead(app, "L-1001")
    for hour in range(5):
        app.clock.set(NOW + timedelta(hours=hour))
        lead(app, "touch L-1001")
    app.clock.set(NOW + timedelta(hours=5))

    reply = lead(app, "touch L-1001")

    assert "Touch 6 of 6 logged on *L-1001* (Acme). All 6 touches are in" in reply["text"]
    assert lead_row(app, "L-1001").next_touch_due is None


def test_a_late_touch_says_the_lead_is_still_overdue(app: RunningApp) -> None:
    add_lead(app, "L-1001")
    app.clock.set(ASSIGNED + 3 * SPACING)  # touches 1 and 2 are both past due

    reply = lead(app, "touch L-1001")

    assert reply["text"] == (
        f"Touch 1 of 6 logged on *L-1001* (Acme). Touch 2 was due "
        f"{slack_date(ASSIGNED + 2 * SPACING)}: still overdue."
    )


# ------------------------------------------------------------------ closed-loop feedback


def test_accepting_a_lead_keeps_it_worked(app: RunningApp) -> None:
    add_lead(app, "L-1001")

    reply = lead(app, "accept L-1001")

    assert reply["text"].startswith("Accepted *L-1001* (Acme). Now touch 1 of 6 due ")
    row = lead_row(app, "L-1001")
    assert (row.status, row.accepted_at) == ("accepted", NOW)
    assert row.next_touch_due == ASSIGNED + timedelta(hours=24)


def test_rejecting_a_lead_stores_the_reason_for_marketing(app: RunningApp) -> None:
    add_lead(app, "L-1001")

    reply = lead(app, "reject L-1001 no budget this year")

    assert reply["text"] == (
        "Rejected *L-1001* (Acme) (no budget this year). It is closed; marketing sees the reason."
    )
    row = lead_row(app, "L-1001")
    assert (row.status, row.reject_reason, row.closed_at) == (
        "rejected",
        "no budget this year",
        NOW,
    )
    assert row.next_touch_due is None


def test_a_reason_with_the_word_payload_is_read_as_typed(app: RunningApp) -> None:
    # slack-bolt reads any form body containing "payload" as a button's payload; the app reads
    # the command's form itself (bot/slack_http.py), or this reached no listener (404).
    add_lead(app, "L-1001")

    reply = lead(app, "reject L-1001 payload too small")

    assert reply["text"].startswith("Rejected *L-1001* (Acme) (payload too small).")
    assert lead_row(app, "L-1001").reject_reason == "payload too small"


@pytest.mark.parametrize(
    ("amount", "stored_amount", "said"),
    [
        ("$12,500", Decimal("12500"), "$12,500"),
        ("12.5k", Decimal("12500"), "$12,500"),
        ("1999.99", Decimal("1999.99"), "$1,999.99"),
    ],
)
def test_winning_a_lead_stores_the_amount(
    app: RunningApp, amount: str, stored_amount: Decimal, said: str
) -> None:
    add_lead(app, "L-1001")

    reply = lead(app, f"won L-1001 {amount}")

    assert (
        reply["text"] == f"Won *L-1001* (Acme) for {said}. It is closed and counts toward revenue."
    )
    row = lead_row(app, "L-1001")
    assert (row.status, row.won_amount, row.closed_at) == ("won", stored_amount, NOW)


def test_losing_a_lead_with_a_reason(app: RunningApp) -> None:
    add_lead(app, "L-1001")

    reply = lead(app, "lost L-1001 chose a competitor")

    assert reply["text"] == (
        "Lost *L-1001* (Acme) (chose a competitor). It is closed; no more touches are due."
    )
    row = lead_row(app, "L-1001")
    assert (row.status, row.lost_reason) == ("lost", "chose a competitor")


def test_losing_a_lead_without_a_reason(app: RunningApp) -> None:
    add_lead(app, "L-1001")

    reply = lead(app, "lost L-1001")

    assert reply["text"] == "Lost *L-1001* (Acme). It is closed; no more touches are due."
    row = lead_row(app, "L-1001")
    assert (row.status, row.lost_reason) == ("lost", None)


# ------------------------------------------------------------------ rights


def test_an_admin_may_touch_someone_elses_lead(app: RunningApp) -> None:
    app.slack.add_user("U0BOSS", name="Bea", is_admin=True)
    add_lead(app, "L-1001")

    reply = lead(app, "touch L-1001", user_id="U0BOSS")

    assert "Touch 1 of 6 logged" in reply["text"]
    [event] = slack_events(app, "L-1001")
    assert event.actor_id == "U0BOSS"


def test_a_manager_may_close_a_lead_of_any_rep(app: RunningApp) -> None:
    with app.db.session() as session:
        rep = members.upsert_member(session, slack_user_id="U0REP", now=NOW)
        rep.manager_id = "U0MGR"
    add_lead(app, "L-1001")

    reply = lead(app, "lost L-1001 went quiet", user_id="U0MGR")

    assert reply["text"].startswith("Lost *L-1001* (Acme)")
    assert lead_row(app, "L-1001").status == "lost"


def test_anyone_may_read_a_lead(app: RunningApp) -> None:
    add_lead(app, "L-1001")

    shown = reply_text(lead(app, "L-1001", user_id="U0NEW"))

    assert "*Owner*\n<@U0REP>" in shown
    assert app.slack.calls_to("users.info") == []


# ------------------------------------------------------------------ refusals


def assert_refused(reply: dict[str, Any], reason: str, example: str) -> None:
    assert reason in reply["text"], reply["text"]
    assert f"Try `{example}" in reply["text"]
    assert "\n" not in reply["text"]
    assert len(reply["blocks"]) == 1


@pytest.mark.parametrize(
    ("text", "reason", "example"),
    [
        ("touch L-404", "No lead has the id `L-404`", "/lead touch L-1001 call left a voicemail"),
        ("won L-404 5k", "No lead has the id `L-404`", "/lead won L-1001 $12,500"),
        ("reject L-1001", "Say why you reject `L-1001`", "/lead reject L-1001 no budget this year"),
        ("won L-1001", "Give the amount the lead was won for", "/lead won L-1001 $12,500"),
        ("won L-1001 lots", "Amount `lots` is not an amount", "/lead won L-1001 $12,500"),
        ("won L-1001 -5000", "Amount must be above zero, not `-5000`", "/lead won L-1001 $12,500"),
        ("won L-1001 0", "Amount must be above zero", "/lead won L-1001 $12,500"),
        ("won L-1001 12.345", "fractions of a cent", "/lead won L-1001 $12,500"),
        ("won L-1001 5k USD", "Give one amount after the lead id", "/lead won L-1001 $12,500"),
        ("frobnicate L-1001", "`frobnicate` is not something `/lead` does", "/lead touch"),
        ("touch", "Give the id of the lead to touch", "/lead touch L-1001 call"),
        ("accept L-1001 great fit", "`/lead accept` takes just the lead id", "/lead accept"),
        ("mine please", "`/lead mine` takes nothing after it", "/lead mine"),
        ("touch L-1001 call " + "x" * 1001, "keep it to 1,000", "/lead touch L-1001"),
        ("reject L-1001 " + "x" * 501, "keep it to 500", "/lead reject L-1001"),
    ],
)
def test_bad_input_gets_one_line_reason_and_changes_nothing(
    app: RunningApp, text: str, reason: str, example: str
) -> None:
    add_lead(app, "L-1001")
    before = stored(app, "L-1001")

    reply = lead(app, text)

    assert_refused(reply, reason, example)
    assert stored(app, "L-1001") == before


def test_an_unknown_lead_id_alone_is_refused(app: RunningApp) -> None:
    reply = lead(app, "L-404")

    assert_refused(reply, "No lead has the id `L-404`", "/lead L-1001")


@pytest.mark.parametrize(
    "text",
    [
        "touch L-1001",
        "accept L-1001",
        "reject L-1001 too small",
        "won L-1001 9k",
        "lost L-1001",
    ],
)
def test_a_closed_lead_takes_no_more_touches_or_feedback(app: RunningApp, text: str) -> None:
    add_lead(app, "L-1001")
    closed_at = NOW - timedelta(minutes=30)
    assert post_events(app, won("L-1001", closed_at, 12_500)).status_code == 200
    before = stored(app, "L-1001")

    reply = lead(app, text)

    assert_refused(reply, f"*L-1001* (Acme) was already won on {slack_date(closed_at)}", "/lead ")
    assert stored(app, "L-1001") == before


def test_a_rep_cannot_touch_someone_elses_lead(app: RunningApp) -> None:
    app.slack.add_user("U0OTHER", name="Olga")
    add_lead(app, "L-1001")
    before = stored(app, "L-1001")

    reply = lead(app, "touch L-1001", user_id="U0OTHER")

    # What the reader may do instead: read the lead (they may own none, so not `/lead mine`).
    assert_refused(reply, "*L-1001* (Acme) is <@U0REP>'s lead", "/lead L-1001")
    assert "only its owner, a manager or an admin can log a touch on it" in reply["text"]
    assert stored(app, "L-1001") == before


def test_a_rep_cannot_win_someone_elses_lead(app: RunningApp) -> None:
    app.slack.add_user("U0OTHER", name="Olga")
    add_lead(app, "L-1001")
    before = stored(app, "L-1001")

    reply = lead(app, "won L-1001 5k", user_id="U0OTHER")

    assert_refused(reply, "is <@U0REP>'s lead", "/lead L-1001")
    assert "only its owner, a manager or an admin can mark it won" in reply["text"]
    assert stored(app, "L-1001") == before


def test_when_slack_cannot_say_who_someone_is_nothing_is_granted(app: RunningApp) -> None:
    app.slack.add_user("U0OTHER", name="Olga", is_admin=True)
    app.slack.fail("users.info", status=500, times=3)  # the first try and both retries
    add_lead(app, "L-1001")
    before = stored(app, "L-1001")

    reply = lead(app, "touch L-1001", user_id="U0OTHER")

    assert_refused(reply, "Slack did not say who you are", "/lead touch L-1001")
    assert "nothing was changed" in reply["text"]
    assert stored(app, "L-1001") == before


def test_a_lead_cannot_be_accepted_twice(app: RunningApp) -> None:
    add_lead(app, "L-1001")
    lead(app, "accept L-1001")
    before = stored(app, "L-1001")

    reply = lead(app, "accept L-1001")

    assert_refused(reply, f"*L-1001* (Acme) was already accepted on {slack_date(NOW)}", "/lead")
    assert stored(app, "L-1001") == before


def test_a_lead_nobody_owns_cannot_be_touched_yet(app: RunningApp) -> None:
    app.slack.add_user("U0BOSS", name="Bea", is_admin=True)
    add_lead(app, "L-1001", owner=None)
    before = stored(app, "L-1001")

    reply = lead(app, "touch L-1001", user_id="U0BOSS")

    assert_refused(reply, "*L-1001* (Acme) has no owner yet", "/lead touch")
    assert stored(app, "L-1001") == before


# ------------------------------------------------------------------ /lead ID


def test_a_lead_shows_its_fields_touches_and_next_touch_due(app: RunningApp) -> None:
    add_lead(app, "L-1001", source="webinar", campaign="Q4 launch", persona="CFO", name="Jane Doe")
    lead(app, "touch L-1001 call")

    shown = reply_text(lead(app, "L-1001"))

    assert "*Lead*\nJane Doe, Acme" in shown
    assert "*Status*\nopen" in shown
    assert "*Grade*\nsales-ready" in shown
    assert "*Owner*\n<@U0REP>" in shown
    assert "*Touches*\n1 of 6 (in 14 days)" in shown
    assert "*Source*\nwebinar" in shown
    assert "*Campaign*\nQ4 launch" in shown
    assert "*Persona*\nCFO" in shown
    assert f":large_green_circle: Touch 2 of 6 due {slack_date(ASSIGNED + 2 * SPACING)}." in shown
    assert "overdue" not in shown


def test_an_overdue_lead_says_since_when(app: RunningApp) -> None:
    add_lead(app, "L-1001")
    app.clock.advance(days=2)

    shown = reply_text(lead(app, "L-1001"))

    first_due = ASSIGNED + timedelta(hours=24)
    assert f":red_circle: Overdue since {slack_date(first_due)} (touch 1 of 6)." in shown


def test_a_duplicate_says_which_lead_it_repeats(app: RunningApp) -> None:
    add_lead(app, "L-1001", email="jane@acme.example")
    add_lead(app, "L-1002", email="JANE@acme.example ", at=ASSIGNED + timedelta(minutes=5))

    shown = reply_text(lead(app, "L-1002"))

    assert "Duplicate of *L-1002*" not in shown
    assert "Duplicate of *L-1001*" in shown
    assert "Duplicate of" not in reply_text(lead(app, "L-1001"))


def test_a_lead_shows_its_latest_ten_events_newest_first(app: RunningApp) -> None:
    add_lead(app, "L-1001")
    channels = ["call", "email", "meeting", "social"]
    touches = [
        touched("L-1001", ASSIGNED + timedelta(minutes=minute), channel=channels[minute % 4])
        for minute in range(1, 13)
    ]
    assert post_events(app, *touches).status_code == 200

    reply = lead(app, "L-1001")

    divider = next(i for i, block in enumerate(reply["blocks"]) if block["type"] == "divider")
    lines = [
        block["elements"][0]["text"]
        for block in reply["blocks"][divider:]
        if block["type"] == "context"
    ]
    assert "*Latest 10 events*" in reply_text(reply)
    assert len(lines) == 10
    newest = ASSIGNED + timedelta(minutes=12)
    assert lines[0] == f"{slack_date(newest)} · *Call* from the CRM"
    assert lines[-1].startswith(slack_date(ASSIGNED + timedelta(minutes=3)))
    assert "*Assigned*" not in reply_text(reply)


def test_a_won_lead_shows_the_amount_and_when(app: RunningApp) -> None:
    add_lead(app, "L-1001")
    lead(app, "won L-1001 12.5k")

    shown = reply_text(lead(app, "L-1001"))

    assert f":trophy: Won for $12,500 on {slack_date(NOW)}." in shown
    assert "*Won* $12,500 by <@U0REP>" in shown
    assert "*Assigned* to <@U0REP> from the CRM" in shown
    assert "*Created* from the CRM" in shown


def test_the_longest_lead_still_fits_slacks_limits(app: RunningApp) -> None:
    long = "W" * 255
    add_lead(app, "L-" + "9" * 250, name=long, company=long, source=long, campaign=long)
    for _ in range(11):
        lead(app, f"touch L-{'9' * 250} social " + "<&>" * 333)

    reply = lead(app, "L-" + "9" * 250)

    assert "*Latest 10 events*" in reply_text(reply)


# ------------------------------------------------------------------ /lead mine


def test_my_leads_are_listed_most_overdue_first(app: RunningApp) -> None:
    add_lead(app, "L-3", at=datetime(2026, 11, 2, 8, 0, tzinfo=UTC))  # due tomorrow
    add_lead(app, "L-1", at=datetime(2026, 10, 30, 8, 0, tzinfo=UTC))  # overdue since 31 Oct
    add_lead(app, "L-4", at=datetime(2026, 10, 20, 8, 0, tzinfo=UTC))  # all touches in
    add_lead(app, "L-2", at=datetime(2026, 11, 1, 8, 0, tzinfo=UTC))  # overdue since 2 Nov
    all_in = [touched("L-4", datetime(2026, 10, 20, 9, minute, tzinfo=UTC)) for minute in range(6)]
    assert post_events(app, *all_in).status_code == 200
    lead(app, "accept L-4")
    add_lead(app, "L-5")
    lead(app, "won L-5 1k")  # closed
    add_lead(app, "L-6", fit=10, interest=10)  # avoid
    add_lead(app, "L-7", owner="U0OTHER")  # someone else's
    add_lead(app, "L-8", owner=None)  # nobody's

    reply = lead(app, "mine")

    assert shown_ids(reply) == ["L-1", "L-2", "L-3", "L-4"]
    shown = reply_text(reply)
    assert "Your open leads (4)" in shown
    assert f"overdue since {slack_date(datetime(2026, 10, 31, 8, 0, tzinfo=UTC))}" in shown
    assert "all 6 touches logged" in shown
    assert "more" not in shown


def test_a_long_list_of_my_leads_is_cut_with_a_count(app: RunningApp) -> None:
    events = []
    for number in range(23):
        at = ASSIGNED - timedelta(hours=number)
        events += [
            created(f"L-{number:03}", at, company="Acme", fit=80, interest=90),
            assigned(f"L-{number:03}", at, slack_user_id="U0REP"),
        ]
    assert post_events(app, *events).status_code == 200

    reply = lead(app, "mine")

    ids = shown_ids(reply)
    assert len(ids) == 20
    assert ids[0] == "L-022" and ids[-1] == "L-003"  # assigned earliest: most overdue
    shown = reply_text(reply)
    assert "Your open leads (23)" in shown
    assert "…and 3 more." in shown


def test_someone_with_no_leads_is_told_so(app: RunningApp) -> None:
    add_lead(app, "L-1001", owner="U0OTHER")

    reply = lead(app, "mine")

    assert reply["text"].startswith("You have no open leads.")


# ------------------------------------------------------------------ help


@pytest.mark.parametrize("text", ["", "help", "HELP", "?"])
def test_help_shows_every_subcommand_with_an_example(app: RunningApp, text: str) -> None:
    shown = reply_text(lead(app, text))

    for usage in (
        "/lead touch ID [call|email|meeting|social] [note]",
        "/lead accept ID",
        "/lead reject ID REASON",
        "/lead won ID AMOUNT",
        "/lead lost ID [REASON]",
        "/lead ID",
        "/lead mine",
    ):
        assert usage in shown
    assert "Example: `/lead touch L-1001 call left a voicemail`" in shown
