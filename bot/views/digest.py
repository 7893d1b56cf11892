"""The weekly Smarketing digest in Block Kit, and the same digest as plain text.

Both renderings come from one outline (`_outline`): parts with a title, named figures and
cut lists, so that `--dry-run` prints what the channel would read. The message stays within
Slack's limits whatever the size of the workspace: every list shows at most `ROWS_SHOWN` rows
and counts the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.views.format import format_amount, slack_date
from bot.views.lead import clip, escape
from bot.views.messages import Message
from bot.views.sla import format_duration, format_percent
from domain.digest import (
    Action,
    ActionKind,
    BreakdownChange,
    Change,
    Digest,
    Direction,
)

ROWS_SHOWN = 5  # rows of each table (sources, campaigns, personas, reps, reasons)
SECTION_MAX = 3000  # Slack's limit for a section's text
_NAME_MAX = 60  # a source, campaign, persona or reason as shown in a line

SETUP_LINES = [
    "Set the revenue goal: `/smarketing target 1.2m per year`",
    "Set marketing's commitment: `/smarketing sla leads 100 per month per rep`",
    "Set sales' follow-up: `/smarketing sla touches 6 in 14 days first-touch 24 hours`",
    "Send leads: have the CRM post lead events to `/api/events`, "
    "or import a CSV with `smarketing import leads.csv`",
]


@dataclass
class _List:
    heading: str
    lines: list[str]
    more: int = 0  # rows not shown
    empty: str = "none"


@dataclass
class _Part:
    title: str
    figures: list[tuple[str, str]] = field(default_factory=list)
    lists: list[_List] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class _Style:
    """What differs between Slack and plain text: bold, mentions, dates, literal text."""

    slack: bool

    def bold(self, text: str) -> str:
        return f"*{text}*" if self.slack else text

    def rep(self, rep_id: str) -> str:
        return f"<@{rep_id}>" if self.slack else f"@{rep_id}"

    def name(self, text: str) -> str:
        clipped = clip(text, _NAME_MAX)
        return escape(clipped) if self.slack else clipped

    def date(self, moment: datetime) -> str:
        return slack_date(moment) if self.slack else moment.strftime("%Y-%m-%d %H:%M %Z").strip()


# ---------------------------------------------------------------------------- figures


def _number(value: int | Fraction | timedelta) -> str:
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, Fraction):
        return format_amount(value)
    return f"{value:,}"


def _signed(delta: int | Fraction | timedelta) -> str:
    if isinstance(delta, timedelta):
        sign = "-" if delta < timedelta(0) else "+"
        return sign + format_duration(abs(delta))
    if isinstance(delta, Fraction):
        return ("-" if delta < 0 else "+") + format_amount(abs(delta))
    return f"{delta:+,}"


def change_phrase(
    change: Change[int] | Change[Fraction] | Change[timedelta],
    *,
    percent: bool = False,
) -> str:
    """`▲ +12 vs last week`, `▼ -3 vs last week`, `= as last week`; empty in the first week."""
    direction, delta = change.direction, change.delta
    if direction is None or delta is None:
        return ""
    if direction is Direction.SAME:
        return "= as last week"
    if percent and isinstance(delta, Fraction):
        shown = f"{'-' if delta < 0 else '+'}{format_percent(abs(delta)).removesuffix('%')} pts"
    else:
        shown = _signed(delta)
    return f"{direction.value} {shown} vs last week"


def figure(
    change: Change[int] | Change[Fraction] | Change[timedelta],
    *,
    none: str = "—",
    percent: bool = False,
) -> str:
    """The value and its change: `1,234 ▲ +12 vs last week`."""
    value = change.value
    if value is None:
        shown = none
    elif percent and isinstance(value, Fraction):
        shown = format_percent(value)
    else:
        shown = _number(value)
    phrase = change_phrase(change, percent=percent)
    return f"{shown} {phrase}" if phrase else shown


def _against(value: str, goal: str | None) -> str:
    return f"{value} · need {goal} a week" if goal is not None else value


# ---------------------------------------------------------------------------- parts


def _breakdown_line(row: BreakdownChange, style: _Style) -> str:
    sales_ready = f"{row.sales_ready.value or 0:,} sales-ready"
    arrow = change_phrase(row.sales_ready).removesuffix(" vs last week")
    if arrow:
        sales_ready += f" ({arrow})"
    return (
        f"• {style.bold(style.name(row.name) or '(none)')} · {row.leads.value or 0:,} leads · "
        f"{sales_ready} · {row.accepted.value or 0:,} accepted · "
        f"{row.rejected.value or 0:,} rejected · {row.won.value or 0:,} won · "
        f"{format_amount(row.revenue.value or Fraction(0))}"
    )


def _breakdown_list(heading: str, rows: Sequence[BreakdownChange], style: _Style) -> _List:
    return _List(
        heading=heading,
        lines=[_breakdown_line(row, style) for row in rows[:ROWS_SHOWN]],
        more=max(len(rows) - ROWS_SHOWN, 0),
        empty="no leads this week",
    )


def action_line(action: Action, style: _Style) -> str:
    kind = action.kind
    if kind is ActionKind.MARKETING_BEHIND:
        return (
            f"Marketing: {action.target - action.value:,} sales-ready leads short of the week's "
            f"commitment ({action.value:,} of {action.target:,})."
        )
    if kind is ActionKind.LEADS_BELOW_FUNNEL:
        return (
            f"Marketing: {action.value:,} new leads against the {action.target:,} a week the "
            "revenue goal needs."
        )
    if kind is ActionKind.REP_OVERDUE:
        leads = "lead" if action.value == 1 else "leads"
        return f"{style.rep(action.subject)}: follow up {action.value:,} overdue {leads}."
    if kind is ActionKind.LOW_COMPLIANCE:
        return (
            f"Sales: compliance under {action.target}% ({action.value}%); work the overdue "
            "leads first."
        )
    if kind is ActionKind.CAMPAIGN_REJECTED:
        return (
            f"Campaign {style.bold(style.name(action.subject))}: sales rejected "
            f"{action.value:,} of {action.target:,} judged leads; review its targeting."
        )
    return (
        f"Data: {action.value:,} of {action.target:,} new leads are incomplete (no fit or "
        "interest); fix the form or the CRM mapping."
    )


def _outline(digest: Digest, style: _Style) -> list[_Part]:
    goal = digest.goal
    revenue = _Part(
        "Revenue vs goal",
        figures=[
            (
                "Revenue won",
                _against(figure(digest.revenue_won), format_amount(goal.revenue) if goal else None),
            ),
            (
                "Customers won",
                _against(figure(digest.customers_won), f"{goal.customers:,}" if goal else None),
            ),
            (
                "Leads created",
                _against(figure(digest.leads_created), f"{goal.leads:,}" if goal else None),
            ),
        ],
        note="" if goal else "No revenue goal yet: `/smarketing target 1.2m per year`.",
    )
    delivered = digest.sales_ready_delivered.value or 0
    committed = digest.marketing_committed.value or 0
    if committed == 0:
        pace = "nothing committed"
    elif delivered >= committed:
        pace = ":large_green_circle: commitment met" if style.slack else "commitment met"
    else:
        mark = ":red_circle: " if style.slack else ""
        pace = f"{mark}behind by {digest.marketing_behind_by:,}"
    marketing = _Part(
        "Marketing SLA",
        figures=[
            ("Sales-ready delivered", figure(digest.sales_ready_delivered)),
            ("Committed for the week", f"{committed:,}"),
            ("Pace", pace),
        ],
        lists=[
            _breakdown_list("Top sources", digest.by_source, style),
            _breakdown_list("Top campaigns", digest.by_campaign, style),
            _breakdown_list("Top personas", digest.by_persona, style),
        ],
    )
    sales = _Part(
        "Sales SLA",
        figures=[
            (
                "Compliance",
                figure(digest.compliance, none="— (no lead in its SLA window)", percent=True),
            ),
            ("Overdue leads", figure(digest.overdue)),
            ("Breaches", figure(digest.breaches)),
            ("Median first touch", figure(digest.median_first_touch, none="— (no first touch)")),
        ],
        lists=[
            _List(
                "Overdue by rep",
                [
                    f"• {style.rep(rep.rep_id)} · {figure(rep.overdue)}"
                    for rep in digest.overdue_by_rep[:ROWS_SHOWN]
                ],
                more=max(len(digest.overdue_by_rep) - ROWS_SHOWN, 0),
                empty="nothing overdue",
            )
        ],
    )
    closed_loop = _Part(
        "Closed loop",
        figures=[
            ("Accepted", figure(digest.accepted)),
            ("Rejected", figure(digest.rejected)),
            ("Duplicates", figure(digest.duplicates)),
            ("Incomplete", figure(digest.incomplete)),
        ],
        lists=[
            _List(
                "Top rejection reasons",
                [
                    f"• {style.name(item.reason) or '(no reason)'} · {item.leads:,}"
                    for item in digest.rejection_reasons[:ROWS_SHOWN]
                ],
                more=max(len(digest.rejection_reasons) - ROWS_SHOWN, 0),
                empty="no lead rejected",
            )
        ],
    )
    actions = _Part(
        "Actions",
        lists=[
            _List(
                "",
                [f"• {action_line(action, style)}" for action in digest.actions],
                empty="Nothing calls for action this week.",
            )
        ],
    )
    return [revenue, marketing, sales, closed_loop, actions]


def _week_words(digest: Digest) -> str:
    start = digest.week_start
    return f"{start.day} {start:%B %Y}"


def _span(digest: Digest, style: _Style) -> str:
    compared = (
        "First digest: no previous week to compare with."
        if digest.first_week
        else "▲▼ compare with the previous week."
    )
    return f"{style.date(digest.week_start)} – {style.date(digest.week_end)}. {compared}"


def _headline(digest: Digest) -> str:
    title = f"Smarketing digest — week of {_week_words(digest)}"
    if digest.empty:
        return f"{title}: no leads yet; set up targets, the SLA and lead import."
    return (
        f"{title}: {format_amount(digest.revenue_won.value or Fraction(0))} won, "
        f"{digest.leads_created.value or 0:,} leads, "
        f"{digest.sales_ready_delivered.value or 0:,} of "
        f"{digest.marketing_committed.value or 0:,} sales-ready, "
        f"{digest.overdue.value or 0:,} overdue."
    )


# ---------------------------------------------------------------------------- Block Kit


def _list_text(item: _List, style: _Style) -> str:
    lines = item.lines or [f"_{item.empty}_" if style.slack else item.empty]
    if item.more:
        lines = [*lines, f"…and {item.more:,} more"]
    heading = [style.bold(item.heading)] if item.heading else []
    return "\n".join([*heading, *lines])[:SECTION_MAX]


def digest_message(digest: Digest) -> Message:
    """The digest as posted to the channel: a header, the week, then one part per topic."""
    style = _Style(slack=True)
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(text=f"Smarketing digest — week of {_week_words(digest)}")
        ),
        ContextBlock(elements=[MarkdownTextObject(text=_span(digest, style))]),
    ]
    if digest.empty:
        lines = "\n".join(f"• {line}" for line in SETUP_LINES)
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*No leads yet.* An admin can set the workspace up:\n{lines}"
                )
            )
        )
        return Message(text=_headline(digest), blocks=blocks)
    for part in _outline(digest, style):
        blocks.append(DividerBlock())
        fields = [MarkdownTextObject(text=f"*{name}*\n{value}") for name, value in part.figures]
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=f"*{part.title}*"), fields=fields or None)
        )
        blocks.extend(
            SectionBlock(text=MarkdownTextObject(text=_list_text(item, style)))
            for item in part.lists
        )
        if part.note:
            blocks.append(ContextBlock(elements=[MarkdownTextObject(text=part.note)]))
    return Message(text=_headline(digest), blocks=blocks)


# ---------------------------------------------------------------------------- plain text


def digest_text(digest: Digest) -> str:
    """The digest as plain text, for `jobs run digest --dry-run` and the README."""
    style = _Style(slack=False)
    out = [f"Smarketing digest — week of {_week_words(digest)}", _span(digest, style)]
    if digest.empty:
        out += ["", "No leads yet. An admin can set the workspace up:"]
        out += [f"  - {line}" for line in SETUP_LINES]
        return "\n".join(out) + "\n"
    for part in _outline(digest, style):
        out += ["", part.title.upper()]
        out += [f"  {name}: {value}" for name, value in part.figures]
        for item in part.lists:
            heading, *lines = _list_text(item, style).splitlines()
            if item.heading:
                out += [f"  {heading}:", *(f"    {line}" for line in lines)]
            else:
                out += [f"  {line}" for line in (heading, *lines)]
        if part.note:
            out.append(f"  {part.note}")
    return "\n".join(out) + "\n"
