"""The revenue target over HTTP: admins set it with `/smarketing target`, everyone reads it in
`/smarketing settings`, and `/leads-needed` alone turns it into leads with the actual funnel."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from sqlmodel import func, select

from blocks.message import Message
from blocks.settings_message import (
    settings_message,
    target_funnel_message,
)
from domain.cadence import SalesSla
from domain.funnel import Period, leads_needed
from domain.pace import current_period, funnel_actuals, plan_period
from domain.schedule import DigestSchedule, PostingProblem, Weekday
from domain.settings_summary import Change, WorkspaceSettings
from storage.models import RevenueTarget, SettingChange
from tests.app_server import RunningApp
from tests.events import assigned, created, post_events, won

ADMIN = "U0ADMIN"
REP = "U0REP"


def reply_text(body: dict[str, Any]) -> str:
    """Everything a person would read in the reply: the blocks' text, fields and context."""
    parts: list[str] = []
    for block in body.get("blocks", []):
        if "text" in block:
            parts.append(block["text"]["text"])
        parts.extend(field["text"] for field in block.get("fields", []))
        parts.extend(element.get("text", "") for element in block.get("elements", []))
    return "\n".join(parts)


def ask(app: RunningApp, command: str, text: str = "", user_id: str = REP) -> dict[str, Any]:
    response = app.command(command, text, user_id=user_id)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["response_type"] == "ephemeral"
    return body


def stored(app: RunningApp) -> tuple[int, int]:
    """How many targets and setting changes the store holds."""
    with app.db.session() as session:
        targets = session.exec(select(func.count()).select_from(RevenueTarget)).one()
        changes = session.exec(select(func.count()).select_from(SettingChange)).one()
    return targets, changes


def slack_date(moment: datetime, fallback: str) -> str:
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


@pytest.fixture
def admin(app: RunningApp) -> str:
    app.slack.add_user(ADMIN, name="Ada Admin", is_admin=True)
    app.slack.add_user(REP, name="Rey Rep")
    return ADMIN


# ---------------------------------------------------------------------------- the target


def test_an_admin_sets_the_target_and_settings_show_it_with_who_and_when(
    app: RunningApp, admin: str
) -> None:
    body = ask(app, "/smarketing", "target 1.2m per year", user_id=admin)

    assert "Revenue target set: $1,200,000 per year." in body["text"]
    settings = reply_text(ask(app, "/smarketing", "settings"))
    when = slack_date(datetime(2026, 11, 2, 9, tzinfo=UTC), "2026-11-02 09:00 UTC")
    assert f"*Revenue target:* $1,200,000 a year, set by <@{ADMIN}> {when}" in settings
    assert f"• {when} <@{ADMIN}> revenue target: set to $1,200,000 per year" in settings
    assert stored(app) == (1, 1)


def test_a_new_target_replaces_the_old_and_the_change_shows_old_and_new(
    app: RunningApp, admin: str
) -> None:
    ask(app, "/smarketing", "target 1.2m per year", user_id=admin)
    app.clock.set(datetime(2026, 11, 3, 14, 30, tzinfo=UTC))

    body = ask(app, "/smarketing", "target $300k per quarter", user_id=admin)

    assert "$300,000 per quarter (was $1,200,000 per year)" in body["text"]
    settings = reply_text(ask(app, "/smarketing", "settings"))
    assert "*Revenue target:* $300,000 a quarter" in settings
    later = slack_date(datetime(2026, 11, 3, 14, 30, tzinfo=UTC), "2026-11-03 14:30 UTC")
    history = settings.split("*Recent changes*\n")[1].splitlines()
    assert history[0] == (
        f"• {later} <@{ADMIN}> revenue target: $1,200,000 per year → $300,000 per quarter"
    )
    assert history[1].endswith("revenue target: set to $1,200,000 per year")
    assert stored(app) == (2, 2)


def test_someone_who_is_not_an_admin_is_refused_and_nothing_changes(
    app: RunningApp, admin: str
) -> None:
    body = ask(app, "/smarketing", "target 1.2m per year", user_id=REP)

    assert "Only admins can set the revenue target" in body["text"]
    assert "\n" not in body["text"]
    assert stored(app) == (0, 0)
    assert "not set yet" in reply_text(ask(app, "/smarketing", "settings"))


@pytest.mark.parametrize(
    ("fault", "calls"),
    [
        ({"status": 200, "error": "user_not_found"}, 1),
        ({"status": 500, "times": 3}, 3),  # the first try and both retries fail
    ],
)
def test_when_slack_cannot_say_who_is_admin_the_target_is_refused(
    app: RunningApp, admin: str, fault: dict[str, Any], calls: int
) -> None:
    app.slack.fail("users.info", **fault)

    body = ask(app, "/smarketing", "target 1.2m per year", user_id=admin)

    assert "Could not check with Slack that you are an admin" in body["text"]
    assert "not changed" in body["text"]
    assert [call.method for call in app.slack.calls].count("users.info") == calls
    assert stored(app) == (0, 0)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("target banana", "Revenue target `banana` is not an amount"),
        ("target 0", "Revenue target must be above zero, not `0`"),
        ("target -5", "Revenue target must be above zero, not `-5`"),
        ("target 0.001", "Revenue target must be above zero, not `0.001`"),
        ("target 100k per decade", "Period `per decade` is not one of `per year`"),
        ("target", "Give the revenue target"),
    ],
)
def test_a_target_that_cannot_be_read_gets_a_reason_and_an_example_and_stores_nothing(
    app: RunningApp, admin: str, text: str, reason: str
) -> None:
    body = ask(app, "/smarketing", text, user_id=admin)

    assert reason in body["text"]
    assert "Try `/smarketing target 1.2m per year`" in body["text"]
    assert "\n" not in body["text"]
    assert stored(app) == (0, 0)


# ---------------------------------------------------------------------------- settings, help


def test_settings_before_anything_is_set_show_the_methods_defaults(app: RunningApp) -> None:
    shown = reply_text(ask(app, "/smarketing", "settings"))

    assert "*Revenue target:* not set yet: an admin sets it with `/smarketing target" in shown
    assert "*Marketing SLA:* 100 sales-ready leads per rep per month (default)" in shown
    assert (
        "*Sales SLA:* 6 touches in 14 days, first touch within 24 hours, "
        "escalate after 48 hours (default)"
    ) in shown
    assert "*Grading:* fit and interest at or above 50 count as high (default)" in shown
    assert (
        "*Weekly digest:* not posted: no channel set — an admin sets one with "
        "`/smarketing digest #smarketing MON 09:00`"
    ) in shown
    assert "No setting has been changed yet." in shown


def test_help_lists_every_subcommand(app: RunningApp) -> None:
    shown = reply_text(ask(app, "/smarketing", "help"))

    for form in ("target REVENUE", "settings", "sla leads", "sla touches", "digest", "manager"):
        assert f"`/smarketing {form}" in shown
    assert "Example: `/smarketing target 1.2m per year`" in shown


def test_an_unknown_subcommand_gets_the_list_of_known_ones(app: RunningApp) -> None:
    body = ask(app, "/smarketing", "budget 5")

    assert "`budget` is not a /smarketing subcommand" in body["text"]
    assert "Try `/smarketing target 1.2m per year`" in body["text"]


# ---------------------------------------------------------------------------- /leads-needed


def test_leads_needed_alone_before_any_target_says_how_to_set_one(app: RunningApp) -> None:
    body = ask(app, "/leads-needed")

    assert "No revenue target is stored yet" in body["text"]
    assert "`/smarketing target 1.2m per year`" in body["text"]
    assert "Try `/leads-needed 100000 1000 4%`" in body["text"]
    assert "\n" not in body["text"]


def test_with_a_target_and_no_history_the_configured_funnel_is_used_and_it_says_so(
    app: RunningApp, admin: str
) -> None:
    app.clock.set(datetime(2026, 11, 1, tzinfo=UTC))
    ask(app, "/smarketing", "target 1.2m per year", user_id=admin)

    body = ask(app, "/leads-needed")
    shown = reply_text(body)

    assert "(configured deal size and rate: no lead won in the last 12 months)" in body["text"]
    assert "$1,200,000 ÷ $1,000 average deal = *1,200 customers*" in shown
    assert "1,200 ÷ 4% lead-to-customer rate = *30,000 leads*" in shown
    assert (
        "No lead was won in the last 12 months, so this uses the configured average deal size "
        "$1,000 and lead-to-customer rate 4%"
    ) in shown
    assert "*2026 so far*" in shown
    assert "*Leads so far*\n0 of 30,000" in shown
    assert "*Remaining*\n30,000" in shown
    assert "*Needed per month*\n15,000 (2.0 months left)" in shown  # November and December
    assert "*Needed per week*\n3,443 (8.7 weeks left)" in shown  # 30,000 ÷ 61/7, rounded up
    assert "*Per rep*\nno reps yet" in shown


def _history(*, more_wins: int = 17) -> list[dict[str, Any]]:
    """Trailing 12 months to 2026-11-16: 3 leads won for $18,000 (O1 was created before the
    window, O2 won before it), and 20 new leads (W1–W20) besides a duplicate (D1); then
    `more_wins` leads (X1…) created in December 2025 and won for $6,000 each, so that 20 wins
    are enough to trust: 20 won for $120,000 from 37 new leads."""
    events = [
        created("O1", datetime(2025, 10, 1, tzinfo=UTC), email="o1@example.com", fit=90),
        won("O1", datetime(2025, 12, 1, tzinfo=UTC), 9000),
        created("O2", datetime(2025, 9, 1, tzinfo=UTC), email="o2@example.com"),
        won("O2", datetime(2025, 10, 1, tzinfo=UTC), 50000),
    ]
    dates = (
        [datetime(2025, 12, 10, tzinfo=UTC)] * 5  # W1–W5: in the window, not in 2026
        + [datetime(2026, 10, 5, tzinfo=UTC)] * 3  # W6–W8: in Q4 2026
        + [datetime(2026, 11, 2, tzinfo=UTC)] * 2  # W9–W10: in Q4 2026
        + [datetime(2026, 3, 1, tzinfo=UTC)] * 10  # W11–W20: in 2026, before Q4
    )
    for number, when in enumerate(dates, start=1):
        events.append(
            created(f"W{number}", when, email=f"w{number}@example.com", fit=80, interest=80)
        )
    events += [
        created("D1", datetime(2026, 11, 5, tzinfo=UTC), email="W1@example.com"),
        won("W1", datetime(2026, 5, 1, tzinfo=UTC), 3000),
        won("W2", datetime(2026, 11, 10, tzinfo=UTC), "6000.00"),
        assigned("W6", datetime(2026, 10, 6, tzinfo=UTC), slack_user_id="U0ANA"),
        assigned("W7", datetime(2026, 10, 6, tzinfo=UTC), slack_user_id="U0BEN"),
        assigned("W1", datetime(2026, 1, 6, tzinfo=UTC), slack_user_id="U0CAT"),  # won since
    ]
    for number in range(1, more_wins + 1):
        events.append(
            created(f"X{number}", datetime(2025, 12, 10, tzinfo=UTC), email=f"x{number}@ex.com")
        )
        events.append(won(f"X{number}", datetime(2026, 2, 1, tzinfo=UTC), 6000))
    return events


@pytest.fixture
def history(app: RunningApp, admin: str) -> RunningApp:
    app.clock.set(datetime(2026, 11, 16, tzinfo=UTC))
    response = post_events(app, *_history())
    assert response.status_code == 200, response.text
    return app


def test_with_won_leads_the_actual_deal_size_and_rate_drive_the_funnel(
    history: RunningApp,
) -> None:
    ask(history, "/smarketing", "target 1.2m per year", user_id=ADMIN)

    shown = reply_text(ask(history, "/leads-needed"))

    assert "$1,200,000 ÷ $6,000 average deal = *200 customers*" in shown  # $120,000 ÷ 20
    assert "200 ÷ 54.1% lead-to-customer rate = *370 leads*" in shown  # 20 ÷ 37
    assert "Average deal $6,000: $120,000 from 20 leads won in the last 12 months." in shown
    assert (
        "Lead-to-customer rate 54.1%: 20 leads won ÷ 37 leads created in the same 12 months "
        "(duplicates not counted)."
    ) in shown
    assert "configured" not in shown
    assert "*Leads so far*\n15 of 370" in shown  # W6–W20 in 2026; D1 is a duplicate
    assert "*Remaining*\n355" in shown
    assert "*Needed per month*\n237 (1.5 months left)" in shown  # 355 ÷ 1.5, rounded up
    assert "*Needed per week*\n55 (6.6 weeks left)" in shown  # 355 ÷ 46/7 days
    assert "*Per rep*\n178 for the rest of 2026, 119 a month (2 reps)" in shown
    assert "behind: 324 expected by now" in shown  # 370 × 319/365 days, rounded up
    # One monthly figure against marketing's SLA: 100 a rep × 2 reps with leads in work.
    assert (
        "*Against the SLA:* the goal needs 237 new leads a month for the rest of the period; "
        "marketing's SLA commits 200 sales-ready leads a month."
    ) in shown


def test_fewer_than_twenty_wins_fall_back_to_the_configured_funnel_and_say_so(
    app: RunningApp, admin: str
) -> None:
    # Seven wins logged in an hour must not turn the funnel over: 3 wins are too few.
    app.clock.set(datetime(2026, 11, 16, tzinfo=UTC))
    assert post_events(app, *_history(more_wins=0)).status_code == 200
    ask(app, "/smarketing", "target 1.2m per year", user_id=ADMIN)

    body = ask(app, "/leads-needed")
    shown = reply_text(body)

    assert "$1,200,000 ÷ $1,000 average deal = *1,200 customers*" in shown
    assert "1,200 ÷ 4% lead-to-customer rate = *30,000 leads*" in shown
    assert (
        "Only 3 leads won in the last 12 months, fewer than the 20 it takes to trust them, so "
        "this uses the configured average deal size $1,000 and lead-to-customer rate 4%"
    ) in shown
    assert "(configured deal size and rate: fewer than 20 wins)" in body["text"]


def test_a_measured_rate_reads_to_one_decimal(history: RunningApp) -> None:
    # A 38th lead in the 12 months: 20 won ÷ 38 created = 52.6315…%.
    extra = created("X-21", datetime(2026, 11, 2, tzinfo=UTC), email="x21@example.com")
    assert post_events(history, extra).status_code == 200
    ask(history, "/smarketing", "target 1.2m per year", user_id=ADMIN)

    shown = reply_text(ask(history, "/leads-needed"))

    assert "200 ÷ 52.6% lead-to-customer rate = *380 leads*" in shown  # 200 × 38 ÷ 20
    assert "Lead-to-customer rate 52.6%: 20 leads won ÷ 38 leads created" in shown
    assert "52.63" not in shown


def test_a_quarterly_target_counts_the_leads_of_this_quarter(history: RunningApp) -> None:
    ask(history, "/smarketing", "target 300k per quarter", user_id=ADMIN)

    body = ask(history, "/leads-needed")
    shown = reply_text(body)

    assert "Leads needed for $300,000 a quarter" in shown
    assert "50 ÷ 54.1% lead-to-customer rate = *93 leads*" in shown  # 50 × 37 ÷ 20
    assert "*Q4 2026 so far*" in shown
    assert "*Leads so far*\n5 of 93" in shown  # W6–W10
    assert "*Needed per month*\n59 (1.5 months left)" in shown  # 88 ÷ 1.5, rounded up
    assert "*Needed per week*\n14 (6.6 weeks left)" in shown  # 88 ÷ 46/7
    assert "Q4 2026 so far: 5 of 93 leads, 88 to go" in body["text"]


def test_the_three_number_form_is_unchanged_by_a_stored_target(history: RunningApp) -> None:
    ask(history, "/smarketing", "target 1.2m per year", user_id=ADMIN)

    shown = reply_text(ask(history, "/leads-needed", "100000 1000 4%"))

    assert "100 ÷ 4% lead-to-customer rate = *2,500 leads*" in shown
    assert "so far" not in shown


# ---------------------------------------------------------------------------- Slack's limits


def _largest_funnel() -> Message:
    now = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    funnel = leads_needed(
        revenue=Fraction(10**15),
        deal_size=Fraction(1, 100),
        rate=Fraction(1, 10**6),
        period=Period.MONTH,
    )
    actuals = funnel_actuals(
        won=10**9,
        won_revenue=Fraction(10**7),
        leads=10**9 - 1,
        default_deal_size=Fraction(1_000),
        default_rate=Fraction(4, 100),
    )
    span = current_period(Period.MONTH, now=now, tz=UTC)
    plan = plan_period(needed=funnel.leads_needed, so_far=0, span=span, reps=1, now=now, tz=UTC)
    return target_funnel_message(funnel=funnel, actuals=actuals, plan=plan)


def _longest_settings() -> Message:
    moment = datetime(2026, 11, 2, 9, tzinfo=UTC)
    return settings_message(
        WorkspaceSettings(
            sla=SalesSla(touches=10**6, days=10**6, first_touch_hours=10**6),
            sla_is_default=False,
            threshold=100,
            threshold_is_default=False,
            timezone="America/Argentina/ComodRivadavia",
            target_amount=Decimal(10**15),
            target_period=Period.QUARTER,
            target_set_by="U" + "X" * 62,
            target_set_at=moment,
            leads_per_month=10**9,
            leads_per_rep=True,
            changes=[Change("w" * 64, "o" * 2000, "n" * 2000, "U" + "X" * 62, moment)] * 5,
            digest_channel="x" * 80,
            digest_schedule=DigestSchedule(Weekday.WEDNESDAY, time(23, 59)),
            monthly_channel="C" + "X" * 49,
            monthly_channel_configured=True,
            posting_problems=[
                PostingProblem(kind, "C" + "X" * 49, "e" * 500, moment, None)
                for kind in ("digest", "monthly")
            ],
        )
    )


@pytest.mark.parametrize("build", [_largest_funnel, _longest_settings])
def test_the_largest_replies_stay_within_slacks_block_limits(build: Any) -> None:
    message = build().to_dict()

    assert message["text"] and 1 <= len(message["blocks"]) <= 50
    for raw in message["blocks"]:
        block = Block.parse(raw)
        assert block is not None
        block.validate_json()
        assert block.to_dict() == raw


def test_a_year_that_began_before_tracking_needs_only_its_tracked_share(
    app: RunningApp, admin: str
) -> None:
    # Tracking began with the first lead on 29 October: 64 of 2026's 365 days are tracked.
    assert (
        post_events(
            app, created("T1", datetime(2026, 10, 29, 15, tzinfo=UTC), email="t1@example.com")
        ).status_code
        == 200
    )
    app.clock.set(datetime(2026, 12, 4, tzinfo=UTC))
    ask(app, "/smarketing", "target 1.2m per year", user_id=ADMIN)

    shown = reply_text(ask(app, "/leads-needed"))

    # 30,000 for the year (configured funnel); 30,000 × 64/365 = 5,260.3 after 29 October.
    assert "*Leads so far*\n1 of 5,261" in shown
    assert (
        "Tracking began on 29 October 2026: of the 30,000 leads the whole period needs, the "
        "5,261 that fall after it are counted, and the pace runs from then."
    ) in shown
    # 36 of the 64 tracked days are gone: 5,261 × 36/64 = 2,959.3, not 30,000 × 337/365.
    assert "behind: 2,960 expected by now" in shown
