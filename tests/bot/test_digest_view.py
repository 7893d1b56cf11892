"""The weekly digest and the monthly management report as Slack shows them
(blocks/digest_message.py): every block passes slack_sdk's validation of Slack's limits for a
typical period, an empty workspace and a huge one; the lines a reader looks for are there, in
Slack and in the plain-text rendering; and a month reads as a month, a week as a week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block

from blocks.digest_message import digest_message, digest_summary, digest_text
from blocks.message import Message
from domain.digest import Breakdown, Cadence, Digest, PeriodFigures, build_digest
from domain.funnel import leads_needed
from domain.pace import funnel_actuals
from domain.sla import GoalStanding, MarketingPace

WEEK_START = datetime(2026, 11, 23, tzinfo=UTC)
WEEK_END = datetime(2026, 11, 30, tzinfo=UTC)
GOAL = leads_needed(revenue=Fraction(520_000), deal_size=Fraction(1_000), rate=Fraction(1, 10))

LAST_WEEK = PeriodFigures(
    workspace_leads=4_000,
    revenue_won=Fraction(8_000),
    customers_won=8,
    leads_created=1_090,
    sales_ready_delivered=50,
    marketing_committed=60,
    by_campaign=[Breakdown("Webinar", leads=30, sales_ready=20)],
    compliance=Fraction(9, 10),
    overdue_by_rep={"U1": 2},
    breaches=3,
    median_first_touch=timedelta(hours=5),
    accepted=20,
    rejected=10,
    duplicates=4,
    incomplete=6,
)

TYPICAL_WEEK = PeriodFigures(
    workspace_leads=5_100,
    revenue_won=Fraction(12_500),
    customers_won=8,
    leads_created=1_210,
    sales_ready_delivered=40,
    marketing_committed=60,
    by_source=[Breakdown("LinkedIn", leads=700, sales_ready=30), Breakdown("Google", leads=510)],
    by_campaign=[
        Breakdown("Webinar", leads=40, sales_ready=25, accepted=8, rejected=2),
        Breakdown("Ebook <b>", leads=50, sales_ready=30, accepted=2, rejected=6, won=1),
        Breakdown("Trade show", leads=20, sales_ready=15, won=2, revenue=Fraction(12_500)),
    ],
    by_persona=[Breakdown("CFO", leads=1_210, sales_ready=40)],
    compliance=Fraction(85, 100),
    overdue_by_rep={"U1": 4, "U2": 1},
    breaches=1,
    median_first_touch=timedelta(hours=7, minutes=30),
    accepted=25,
    rejected=10,
    rejection_reasons={"no budget": 3, "wrong persona": 6},
    duplicates=2,
    incomplete=9,
)

HUGE_WEEK = PeriodFigures(
    workspace_leads=10**7,
    revenue_won=Fraction(123_456_789),
    customers_won=12_345,
    leads_created=1_234_567,
    sales_ready_delivered=654_321,
    marketing_committed=700_000,
    by_source=[Breakdown(f"source {i} " + "x" * 200, leads=i) for i in range(200)],
    by_campaign=[
        Breakdown(f"campaign {i} " + "y" * 300, leads=1_000 + i, accepted=i % 7, rejected=10)
        for i in range(200)
    ],
    by_persona=[Breakdown(f"persona {i}", leads=i) for i in range(200)],
    compliance=Fraction(1, 3),
    overdue_by_rep={f"U{i:04}": 1_000 + i for i in range(500)},
    breaches=9_999,
    median_first_touch=timedelta(days=3, hours=2),
    accepted=100_000,
    rejected=250_000,
    rejection_reasons={f"reason {i} " + "z" * 500: i + 1 for i in range(300)},
    duplicates=12_000,
    incomplete=500_000,
)


def digest(
    this: PeriodFigures, last: PeriodFigures | None = LAST_WEEK, *, goal: bool = True
) -> Digest:
    return build_digest(
        this_period=this,
        last_period=last,
        goal=GOAL if goal else None,
        start=WEEK_START,
        end=WEEK_END,
    )


MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)
MONTH_END = datetime(2026, 12, 1, tzinfo=UTC)
# $1,200,000 a year at $1,000 and 4%: 1,200 customers and 30,000 leads a year, so $100,000,
# 100 customers and 2,500 leads a month.
YEARLY_GOAL = leads_needed(
    revenue=Fraction(1_200_000), deal_size=Fraction(1_000), rate=Fraction(4, 100)
)


def month(
    this: PeriodFigures,
    last: PeriodFigures | None = LAST_WEEK,
    *,
    goal: bool = True,
    start: datetime = MONTH_START,
    end: datetime = MONTH_END,
) -> Digest:
    """The same figures read as a month: the numbers are only numbers to the view."""
    return build_digest(
        this_period=this,
        last_period=last,
        goal=YEARLY_GOAL if goal else None,
        start=start,
        end=end,
        cadence=Cadence.MONTH,
    )


BUILT: dict[str, Digest] = {
    "typical": digest(TYPICAL_WEEK),
    "first week": digest(TYPICAL_WEEK, None, goal=False),
    "empty": digest(PeriodFigures(workspace_leads=0), None, goal=False),
    "huge": digest(HUGE_WEEK, HUGE_WEEK),
    "month typical": month(TYPICAL_WEEK),
    "first month": month(TYPICAL_WEEK, None, goal=False),
    "quiet month": month(PeriodFigures(workspace_leads=3), None, goal=False),
    "month empty": month(PeriodFigures(workspace_leads=0), None, goal=False),
    "month huge": month(HUGE_WEEK, HUGE_WEEK),
}
WEEKS = ["typical", "first week", "empty", "huge"]
MONTHS = ["month typical", "first month", "quiet month", "month empty", "month huge"]


def valid_blocks(message: Message) -> list[dict[str, Any]]:
    """The message as Slack receives it, each block checked against Slack's limits."""
    raw = message.to_dict()
    assert raw["text"]
    assert 1 <= len(raw["blocks"]) <= 50
    for block_dict in raw["blocks"]:
        block = Block.parse(block_dict)
        assert block is not None
        block.validate_json()
        assert block.to_dict() == block_dict
        assert len(block_dict.get("fields", [])) <= 10
        for text in _texts(block_dict):
            assert len(text) <= 3000
    blocks: list[dict[str, Any]] = raw["blocks"]
    return blocks


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [text for value in node.values() for text in _texts(value)]
    if isinstance(node, list):
        return [text for item in node for text in _texts(item)]
    return []


def shown(digest_: Digest) -> str:
    """Everything a reader sees in the message's blocks, in order."""
    return "\n".join(_texts(valid_blocks(digest_message(digest_))))


@pytest.mark.parametrize("name", sorted(BUILT))
def test_the_digest_passes_block_kit_validation(name: str) -> None:
    valid_blocks(digest_message(BUILT[name]))


def test_the_digest_opens_with_its_week() -> None:
    blocks = valid_blocks(digest_message(BUILT["typical"]))

    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Smarketing digest — week of 23 November 2026"},
    }


def test_a_typical_week_shows_each_figure_against_last_week_and_the_goal() -> None:
    text = shown(BUILT["typical"])

    assert "$12,500 ▲ +$4,500 vs last week · need $10,000 a week" in text
    assert "*Customers won*\n8 = as last week · need 10 a week" in text
    assert "1,210 ▲ +120 vs last week · need 100 a week" in text
    assert "*Sales-ready delivered*\n40 ▼ -10 vs last week" in text
    assert ":red_circle: behind by 20" in text
    assert "*Compliance*\n85% ▼ -5 pts vs last week" in text
    assert "*Median first touch*\n7 h 30 min ▲ +2 h 30 min vs last week" in text
    assert "• <@U1> · 4 ▲ +2 vs last week" in text
    assert "*Top rejection reasons*\n• wrong persona · 6\n• no budget · 3" in text


def test_tables_list_the_best_rows_first_and_show_names_literally() -> None:
    text = shown(BUILT["typical"])

    assert text.index("*Trade show*") < text.index("*Ebook &lt;b&gt;*") < text.index("*Webinar*")
    assert "*Webinar* · 40 new leads · 25 sales-ready (▲ +5) · 8 accepted · 2 rejected" in text
    assert "<b>" not in text


def test_the_actions_say_who_should_do_what() -> None:
    text = shown(BUILT["typical"])
    actions = text[text.index("*Actions*") :]

    assert actions.splitlines()[1:] == [
        "• Marketing: 20 sales-ready leads short of the week's commitment (40 of 60).",
        "• <@U1>: follow up 4 overdue leads.",
        "• <@U2>: follow up 1 overdue lead.",
        "• Campaign *Ebook &lt;b&gt;*: sales rejected 6 of 8 judged leads; review its targeting.",
    ]


def test_the_first_week_shows_no_arrows_and_says_why() -> None:
    text = shown(BUILT["first week"])

    assert "First digest: no previous week to compare with." in text
    assert "▲" not in text and "▼" not in text and "vs last week" not in text
    assert "No revenue goal yet: `/smarketing target 1.2m per year`." in text


def test_an_empty_workspace_tells_admins_what_to_set_up() -> None:
    message = digest_message(BUILT["empty"])
    text = shown(BUILT["empty"])

    assert len(message.blocks) == 3
    assert "*No leads yet.*" in text
    assert "`/smarketing target 1.2m per year`" in text
    assert "`/smarketing sla leads 100 per month per rep`" in text
    assert "`/smarketing sla touches 6 in 14 days first-touch 24 hours`" in text
    assert "`/api/events`" in text and "`smarketing import leads.csv`" in text
    assert "no leads yet" in message.text


def test_a_huge_workspace_is_cut_to_five_rows_a_table_and_counted() -> None:
    text = shown(BUILT["huge"])

    assert "…and 195 more" in text  # sources, campaigns, personas, reasons: 200 or 300 rows
    assert "…and 295 more" in text
    assert "…and 495 more" in text  # 500 reps with overdue leads
    assert "• <@U0499> · 1,499 = as last week" in text
    assert "$123,456,789 = as last week" in text
    assert "*Overdue leads*\n" + f"{sum(1_000 + i for i in range(500)):,}" in text


def test_the_notification_text_carries_the_headline_numbers() -> None:
    assert digest_message(BUILT["typical"]).text == (
        "Smarketing digest — week of 23 November 2026: $12,500 won, 1,210 leads, "
        "40 of 60 sales-ready, 5 overdue."
    )


@pytest.mark.parametrize("name", sorted(BUILT))
def test_the_summary_is_the_messages_notification_text(name: str) -> None:
    summary = digest_summary(BUILT[name])

    assert summary == digest_message(BUILT[name]).text
    assert "\n" not in summary


def test_the_plain_text_digest_reads_without_slack_markup() -> None:
    text = digest_text(BUILT["typical"])

    assert text.startswith("Smarketing digest — week of 23 November 2026\n")
    assert "  Revenue won: $12,500 ▲ +$4,500 vs last week · need $10,000 a week\n" in text
    assert "  Overdue by rep:\n    • @U1 · 4 ▲ +2 vs last week\n" in text
    assert "  Top campaigns:\n    • Trade show · 20 new leads" in text
    assert "    • Ebook <b> · 50 new leads" in text
    assert "<@" not in text and "*" not in text and ":red_circle:" not in text
    assert "\nACTIONS\n  • Marketing: 20 sales-ready leads short" in text


def test_the_plain_text_empty_digest_lists_the_setup() -> None:
    text = digest_text(BUILT["empty"])

    assert "No leads yet. An admin can set the workspace up:" in text
    assert "  - Set the revenue goal: `/smarketing target 1.2m per year`" in text


# ---------------------------------------------------------------------------- the month


def test_the_monthly_report_opens_with_its_month() -> None:
    blocks = valid_blocks(digest_message(BUILT["month typical"]))

    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Monthly management report — November 2026"},
    }
    assert "▲▼ compare with the previous month." in _texts(blocks[1])[0]
    assert digest_text(BUILT["month typical"]).startswith(
        "Monthly management report — November 2026\n"
    )


def test_the_month_is_named_in_the_workspaces_time_zone() -> None:
    auckland = ZoneInfo("Pacific/Auckland")
    start = datetime(2026, 11, 1, tzinfo=auckland)  # 31 October 11:00 in UTC
    report = month(TYPICAL_WEEK, start=start, end=datetime(2026, 12, 1, tzinfo=auckland))

    assert start.astimezone(UTC).month == 10
    assert digest_message(report).text.startswith("Monthly management report — November 2026:")
    assert digest_text(report).startswith("Monthly management report — November 2026\n")


def test_a_typical_month_shows_each_figure_against_last_month_and_the_monthly_goal() -> None:
    text = shown(BUILT["month typical"])

    # The yearly goal per month: $1,200,000 / 12 = $100,000; 1,200 / 12 = 100 customers;
    # 30,000 / 12 = 2,500 leads.
    assert "*Revenue won*\n$12,500 ▲ +$4,500 vs last month · need $100,000 a month" in text
    assert "*Customers won*\n8 = as last month · need 100 a month" in text
    assert "*Leads created*\n1,210 ▲ +120 vs last month · need 2,500 a month" in text
    assert "*Sales-ready delivered*\n40 ▼ -10 vs last month" in text
    assert "*Committed for the month*\n60" in text
    assert "*Compliance*\n85% ▼ -5 pts vs last month" in text
    assert "*Median first touch*\n7 h 30 min ▲ +2 h 30 min vs last month" in text
    assert "• <@U1> · 4 ▲ +2 vs last month" in text
    assert "*Webinar* · 40 new leads · 25 sales-ready (▲ +5) · 8 accepted" in text


def test_the_monthly_report_shows_every_part_of_the_digest() -> None:
    text = shown(BUILT["month typical"])

    for title in ("*Revenue vs goal*", "*Marketing SLA*", "*Sales SLA*", "*Closed loop*"):
        assert title in text
    for heading in ("*Top sources*", "*Top campaigns*", "*Top personas*", "*Overdue by rep*"):
        assert heading in text
    assert "*Breaches*\n1 ▼ -2 vs last month" in text  # 1 against 3
    assert "*Top rejection reasons*\n• wrong persona · 6\n• no budget · 3" in text


def test_the_monthly_actions_speak_of_the_month() -> None:
    text = shown(BUILT["month typical"])
    actions = text[text.index("*Actions*") :]

    # 40 of 60 sales-ready: 20 short; 1,210 leads against the 2,500 a month the goal needs.
    assert actions.splitlines()[1:3] == [
        "• Marketing: 20 sales-ready leads short of the month's commitment (40 of 60).",
        "• Marketing: 1,210 new leads against the 2,500 a month the revenue goal needs.",
    ]


def test_the_first_month_says_why_it_has_no_arrows() -> None:
    text = shown(BUILT["first month"])

    assert "First report: no previous month to compare with." in text
    assert "▲" not in text and "▼" not in text and "vs last month" not in text


def test_a_quiet_month_says_so_in_months() -> None:
    text = shown(BUILT["quiet month"])

    assert "*Top campaigns*\n_no leads this month_" in text
    assert "_Nothing calls for action this month._" in text
    assert "Nothing calls for action this month." in digest_text(BUILT["quiet month"])


def test_an_empty_workspace_gets_the_setup_in_the_monthly_report_too() -> None:
    message = digest_message(BUILT["month empty"])

    assert len(message.blocks) == 3
    assert "*No leads yet.*" in shown(BUILT["month empty"])
    assert message.text == (
        "Monthly management report — November 2026: no leads yet; set up targets, the SLA "
        "and lead import."
    )


def test_a_huge_month_is_cut_like_a_huge_week() -> None:
    text = shown(BUILT["month huge"])

    assert "…and 495 more" in text
    assert "• <@U0499> · 1,499 = as last month" in text


@pytest.mark.parametrize("name", MONTHS)
def test_no_week_wording_leaks_into_the_month(name: str) -> None:
    for text in (shown(BUILT[name]), digest_text(BUILT[name]), digest_summary(BUILT[name])):
        assert "week" not in text.lower()


@pytest.mark.parametrize("name", [name for name in WEEKS if name != "empty"])
def test_no_month_wording_leaks_into_the_week(name: str) -> None:
    # The empty workspace is left out: its setup line `sla leads 100 per month` is a command.
    for text in (shown(BUILT[name]), digest_text(BUILT[name]), digest_summary(BUILT[name])):
        assert "month" not in text.lower()


def test_a_comparison_with_a_partial_week_says_so() -> None:
    # Tracking began on Wednesday of the week before: that week is partial.
    began = WEEK_START - timedelta(days=5)
    built = build_digest(
        this_period=TYPICAL_WEEK,
        last_period=LAST_WEEK,
        goal=GOAL,
        start=WEEK_START,
        end=WEEK_END,
        tracked_from=began,
    )

    text = digest_text(built)

    assert (
        "23–29 November 2026. ▲▼ compare with the previous week, which was partial: tracking "
        "began 18 November.\n"
    ) in text
    assert "Partial week" not in text


def test_the_first_partial_week_says_so_and_how_the_funnel_is_counted() -> None:
    began = WEEK_START + timedelta(days=2)
    built = build_digest(
        this_period=TYPICAL_WEEK,
        last_period=None,
        goal=GOAL,
        start=WEEK_START,
        end=WEEK_END,
        tracked_from=began,
        actuals=funnel_actuals(
            won=7,
            won_revenue=Fraction(70_000),
            leads=100,
            default_deal_size=Fraction(1_000),
            default_rate=Fraction(4, 100),
            min_wins=20,
        ),
        rep_names={"U1": "ana"},
    )

    text = digest_text(built)

    assert "23–29 November 2026. Partial week: tracking began 25 November. First digest" in text
    assert (
        "  Funnel: configured deal size $1,000 and rate 4%, as 7 wins in 12 months are fewer "
        "than the 20 it takes to trust them.\n"
    ) in text
    assert "    • @ana · 4" in text  # the rep by the name Slack gave them


def test_the_digest_shows_each_goal_met_or_short() -> None:
    built = build_digest(
        this_period=TYPICAL_WEEK,
        last_period=LAST_WEEK,
        goal=GOAL,
        start=WEEK_START,
        end=WEEK_END,
        goals=[
            GoalStanding(
                "source", "webinar", MarketingPace(delivered=3, committed=10, expected=10)
            ),
            GoalStanding("team", "CFO squad", MarketingPace(delivered=6, committed=5, expected=5)),
        ],
    )

    text = digest_text(built)

    assert (
        "  Goals:\n    • Source webinar: 3 of 10 (short by 7)\n    • Team CFO squad: 6 of 5 (met)\n"
    ) in text
    assert "*Goals*" in shown(built)
