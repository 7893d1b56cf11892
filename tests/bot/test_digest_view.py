"""The weekly digest as Slack shows it (bot/views/digest.py): every block passes slack_sdk's
validation of Slack's limits for a typical week, an empty workspace and a huge one, and the
lines a reader looks for are there, in Slack and in the plain-text rendering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.views.digest import digest_message, digest_text
from bot.views.messages import Message
from domain.digest import Breakdown, Digest, WeekFigures, build_digest
from domain.funnel import leads_needed

WEEK_START = datetime(2026, 11, 23, tzinfo=UTC)
WEEK_END = datetime(2026, 11, 30, tzinfo=UTC)
GOAL = leads_needed(revenue=Fraction(520_000), deal_size=Fraction(1_000), rate=Fraction(1, 10))

LAST_WEEK = WeekFigures(
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

TYPICAL_WEEK = WeekFigures(
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

HUGE_WEEK = WeekFigures(
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


def digest(this: WeekFigures, last: WeekFigures | None = LAST_WEEK, *, goal: bool = True) -> Digest:
    return build_digest(
        this_week=this,
        last_week=last,
        goal=GOAL if goal else None,
        week_start=WEEK_START,
        week_end=WEEK_END,
    )


BUILT: dict[str, Digest] = {
    "typical": digest(TYPICAL_WEEK),
    "first week": digest(TYPICAL_WEEK, None, goal=False),
    "empty": digest(WeekFigures(workspace_leads=0), None, goal=False),
    "huge": digest(HUGE_WEEK, HUGE_WEEK),
}


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
    assert "*Webinar* · 40 leads · 25 sales-ready (▲ +5) · 8 accepted · 2 rejected" in text
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


def test_the_plain_text_digest_reads_without_slack_markup() -> None:
    text = digest_text(BUILT["typical"])

    assert text.startswith("Smarketing digest — week of 23 November 2026\n")
    assert "  Revenue won: $12,500 ▲ +$4,500 vs last week · need $10,000 a week\n" in text
    assert "  Overdue by rep:\n    • @U1 · 4 ▲ +2 vs last week\n" in text
    assert "  Top campaigns:\n    • Trade show · 20 leads" in text
    assert "    • Ebook <b> · 50 leads" in text
    assert "<@" not in text and "*" not in text and ":red_circle:" not in text
    assert "\nACTIONS\n  • Marketing: 20 sales-ready leads short" in text


def test_the_plain_text_empty_digest_lists_the_setup() -> None:
    text = digest_text(BUILT["empty"])

    assert "No leads yet. An admin can set the workspace up:" in text
    assert "  - Set the revenue goal: `/smarketing target 1.2m per year`" in text
