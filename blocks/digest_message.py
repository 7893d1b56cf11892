"""The weekly Smarketing digest and the monthly management report in Block Kit, and the same
as plain text.

Both renderings come from one outline (`_outline`): parts with a title, named figures and
cut lists, so that `--dry-run` prints what the channel would read. The message stays within
Slack's limits whatever the size of the workspace: every list shows at most `ROWS_SHOWN` rows
and counts the rest. Every word naming the period ("vs last week", "need 2,500 a month")
comes from the digest's cadence, so a month never reads as a week.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

from blocks.format import clip, escape, format_amount, format_rate, period_dates, slack_date
from blocks.message import Message
from blocks.sla_message import format_duration, format_percent
from domain.digest import (
    Action,
    ActionKind,
    BreakdownChange,
    Cadence,
    Change,
    Digest,
    Direction,
    RepActivity,
)
from domain.pace import FunnelActuals
from domain.pace_chart import PaceChart

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


@dataclass(frozen=True)
class _Words:
    """How a cadence is said: its period ("week") and what the message is called ("digest")."""

    period: str
    document: str


_WORDS = {
    Cadence.WEEK: _Words(period="week", document="digest"),
    Cadence.MONTH: _Words(period="month", document="report"),
}


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
    """What differs between Slack and plain text: bold, mentions (Slack shows each person's
    name; plain text uses the name Slack gave the bot, the id only when none is known),
    literal text."""

    slack: bool
    names: Mapping[str, str] = field(default_factory=dict)

    def bold(self, text: str) -> str:
        return f"*{text}*" if self.slack else text

    def rep(self, rep_id: str) -> str:
        return f"<@{rep_id}>" if self.slack else f"@{self.names.get(rep_id, rep_id)}"

    def name(self, text: str) -> str:
        clipped = clip(text, _NAME_MAX)
        return escape(clipped) if self.slack else clipped


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
    cadence: Cadence,
    percent: bool = False,
) -> str:
    """`▲ +12 vs last week`, `▼ -3 vs last month`, `= as last week`; empty in the first period."""
    direction, delta = change.direction, change.delta
    if direction is None or delta is None:
        return ""
    period = _WORDS[cadence].period
    if direction is Direction.SAME:
        return f"= as last {period}"
    if percent and isinstance(delta, Fraction):
        shown = f"{'-' if delta < 0 else '+'}{format_percent(abs(delta)).removesuffix('%')} pts"
    else:
        shown = _signed(delta)
    return f"{direction.value} {shown} vs last {period}"


def figure(
    change: Change[int] | Change[Fraction] | Change[timedelta],
    *,
    cadence: Cadence,
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
    phrase = change_phrase(change, cadence=cadence, percent=percent)
    return f"{shown} {phrase}" if phrase else shown


# ---------------------------------------------------------------------------- parts


def _breakdown_line(row: BreakdownChange, style: _Style, cadence: Cadence) -> str:
    sales_ready = f"{row.sales_ready.value or 0:,} sales-ready"
    arrow = change_phrase(row.sales_ready, cadence=cadence).removesuffix(
        f" vs last {_WORDS[cadence].period}"
    )
    if arrow:
        sales_ready += f" ({arrow})"
    return (
        f"• {style.bold(style.name(row.name) or '(none)')} · {row.leads.value or 0:,} new leads · "
        f"{sales_ready} · {row.accepted.value or 0:,} accepted · "
        f"{row.rejected.value or 0:,} rejected · {row.won.value or 0:,} won for "
        f"{format_amount(row.revenue.value or Fraction(0))}"
    )


def _breakdown_list(
    heading: str, rows: Sequence[BreakdownChange], style: _Style, cadence: Cadence
) -> _List:
    return _List(
        heading=heading,
        lines=[_breakdown_line(row, style, cadence) for row in rows[:ROWS_SHOWN]],
        more=max(len(rows) - ROWS_SHOWN, 0),
        empty=f"no leads this {_WORDS[cadence].period}",
    )


def action_line(action: Action, style: _Style, cadence: Cadence) -> str:
    kind = action.kind
    period = _WORDS[cadence].period
    if kind is ActionKind.MARKETING_BEHIND:
        return (
            f"Marketing: {action.target - action.value:,} sales-ready leads short of the "
            f"{period}'s commitment ({action.value:,} of {action.target:,})."
        )
    if kind is ActionKind.LEADS_BELOW_FUNNEL:
        return (
            f"Marketing: {action.value:,} new leads against the {action.target:,} a {period} "
            "the revenue goal needs."
        )
    if kind is ActionKind.REP_OVERDUE:
        leads = "lead" if action.value == 1 else "leads"
        return f"{style.rep(action.subject)}: follow up {action.value:,} overdue {leads}."
    if kind is ActionKind.UNASSIGNED_LEADS:
        leads = "lead has" if action.value == 1 else "leads have"
        return (
            f"Managers: {action.value:,} {leads} no owner; hand them to reps (`/lead unassigned`)."
        )
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


def activity_line(activity: RepActivity, who: str) -> str:
    assigned = f"{activity.assigned:,} lead{'' if activity.assigned == 1 else 's'} assigned"
    touches = f"{activity.touches:,} touch{'' if activity.touches == 1 else 'es'}"
    return (
        f"• {who} · {assigned} · {touches} · {activity.accepted:,} accepted · "
        f"{activity.won:,} won · {format_amount(Fraction(activity.revenue))}"
    )


def _activity_part(digest: Digest, style: _Style) -> _Part:
    """The monthly report's sales activity report: per rep, then per team."""
    lists = [
        _List(
            "By rep",
            [activity_line(rep, style.rep(rep.who)) for rep in digest.activity[:ROWS_SHOWN]],
            more=max(len(digest.activity) - ROWS_SHOWN, 0),
        )
    ]
    if digest.team_activity:
        lists.append(
            _List(
                "By team",
                [
                    activity_line(team, style.bold(style.name(team.who)))
                    for team in digest.team_activity[:ROWS_SHOWN]
                ],
                more=max(len(digest.team_activity) - ROWS_SHOWN, 0),
            )
        )
    return _Part(
        "Sales activity",
        lists=lists,
        note="Touches logged, leads accepted and won in the month, for each lead's owner.",
    )


def _outline(digest: Digest, style: _Style) -> list[_Part]:
    goal, cadence = digest.goal, digest.cadence
    period = _WORDS[cadence].period

    def shown(
        change: Change[int] | Change[Fraction] | Change[timedelta],
        *,
        none: str = "—",
        percent: bool = False,
    ) -> str:
        return figure(change, cadence=cadence, none=none, percent=percent)

    def against(value: str, need: str | None) -> str:
        return f"{value} · need {need} a {period}" if need is not None else value

    revenue = _Part(
        "Revenue vs goal",
        figures=[
            (
                "Revenue won",
                against(shown(digest.revenue_won), format_amount(goal.revenue) if goal else None),
            ),
            (
                "Customers won",
                against(shown(digest.customers_won), f"{goal.customers:,}" if goal else None),
            ),
            (
                "Leads created",
                against(shown(digest.leads_created), f"{goal.leads:,}" if goal else None),
            ),
        ],
        note=funnel_note(digest.actuals)
        if goal
        else "No revenue goal yet: `/smarketing target 1.2m per year`.",
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
            ("Sales-ready delivered", shown(digest.sales_ready_delivered)),
            (f"Committed for the {period}", f"{committed:,}"),
            ("Pace", pace),
        ],
        lists=[
            _breakdown_list("Top sources", digest.by_source, style, cadence),
            _breakdown_list("Top campaigns", digest.by_campaign, style, cadence),
            _breakdown_list("Top personas", digest.by_persona, style, cadence),
            *(
                [
                    _List(
                        heading="Goals",
                        lines=[
                            f"• {goal.dimension.capitalize()} {style.bold(style.name(goal.name))}"
                            f": {goal.pace.delivered:,} of {goal.pace.committed:,}"
                            + (
                                " (met)"
                                if goal.pace.on_pace
                                else f" (short by {goal.pace.behind_by:,})"
                            )
                            for goal in digest.goals
                        ],
                        more=0,
                        empty="",
                    )
                ]
                if digest.goals
                else []
            ),
        ],
        note=(
            f"New leads and sales-ready count the leads created this {period}; accepted, "
            f"rejected, won and revenue count what happened this {period}, whenever the lead "
            "came in."
        ),
    )
    sales = _Part(
        "Sales SLA",
        figures=[
            (
                "Compliance",
                shown(digest.compliance, none="— (no lead in its SLA window)", percent=True),
            ),
            ("Overdue leads", shown(digest.overdue)),
            ("Breaches", shown(digest.breaches)),
            ("Median first touch", shown(digest.median_first_touch, none="— (no first touch)")),
        ],
        lists=[
            _List(
                "Overdue by rep",
                [
                    f"• {style.rep(rep.rep_id)} · {shown(rep.overdue)}"
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
            ("Accepted", shown(digest.accepted)),
            ("Rejected", shown(digest.rejected)),
            ("Duplicates", shown(digest.duplicates)),
            ("Incomplete", shown(digest.incomplete)),
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
                [f"• {action_line(action, style, cadence)}" for action in digest.actions],
                empty=f"Nothing calls for action this {period}.",
            )
        ],
    )
    parts = [revenue, marketing, sales, closed_loop]
    if digest.activity or digest.team_activity:
        parts.append(_activity_part(digest, style))
    return [*parts, actions]


def _title(digest: Digest) -> str:
    """Named from `start` in its own time zone, the workspace's: a month starting at midnight
    in Auckland is still that month, though in UTC it starts the day before."""
    start = digest.start
    if digest.cadence is Cadence.MONTH:
        return f"Monthly management report — {start:%B %Y}"
    return f"Smarketing digest — week of {start.day} {start:%B %Y}"


def funnel_note(actuals: FunnelActuals | None) -> str:
    """Where the goal's deal size and rate come from, in one line."""
    if actuals is None:
        return ""
    deal, rate = format_amount(actuals.deal_size), format_rate(actuals.rate)
    if actuals.too_few_wins:
        return (
            f"Funnel: configured deal size {deal} and rate {rate}, as {actuals.won:,} wins in "
            f"12 months are fewer than the {actuals.min_wins} it takes to trust them."
        )
    if not actuals.deal_size_is_actual:
        return f"Funnel: configured deal size {deal} and rate {rate} (no win in 12 months)."
    if not actuals.rate_is_actual:
        return f"Funnel: deal size {deal} from {actuals.won:,} wins; configured rate {rate}."
    return f"Funnel: deal size {deal} and rate {rate} from {actuals.won:,} wins in 12 months."


def _began(digest: Digest) -> str:
    assert digest.tracked_from is not None
    began = digest.tracked_from.astimezone(digest.start.tzinfo)
    return f"{began.day} {began:%B}"


def _span(digest: Digest, style: _Style) -> str:
    words = _WORDS[digest.cadence]
    if digest.first_period:
        compared = f"First {words.document}: no previous {words.period} to compare with."
    elif digest.previous_partial:
        compared = (
            f"▲▼ compare with the previous {words.period}, which was partial: tracking began "
            f"{_began(digest)}."
        )
    else:
        compared = f"▲▼ compare with the previous {words.period}."
    if digest.partial:
        compared = f"Partial {words.period}: tracking began {_began(digest)}. " + compared
    return f"{period_dates(digest.start, digest.end)}. {compared}"


def digest_summary(digest: Digest) -> str:
    """One line for the notification and screen readers: the title and the headline numbers."""
    title = _title(digest)
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
    """The digest as posted to the channel: a header, the period, then one part per topic."""
    style = _Style(slack=True)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=_title(digest))),
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
        return Message(text=digest_summary(digest), blocks=blocks)
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
    return Message(text=digest_summary(digest), blocks=blocks)


# ---------------------------------------------------------------------------- plain text


def digest_text(digest: Digest) -> str:
    """The digest as plain text, for `jobs run digest|monthly --dry-run` and the README."""
    style = _Style(slack=False, names=digest.rep_names)
    out = [_title(digest), _span(digest, style)]
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


def with_late_note(message: Message, *, due_at: datetime) -> Message:
    """The message with a line under its header saying it was due earlier."""
    note = (
        f":hourglass: Posted late: it was due {slack_date(due_at)} and could not "
        "go out then (the app was not running, or Slack did not answer)."
    )
    blocks = list(message.blocks)
    blocks.insert(1, ContextBlock(elements=[MarkdownTextObject(text=note)]))
    return Message(text=message.text, blocks=blocks)


class Drawing:
    """How the digest and the report look in Slack (services.digests.DigestDrawing)."""

    def message(self, digest: Digest, *, late_since: datetime | None) -> Message:
        drawn = digest_message(digest)
        return drawn if late_since is None else with_late_note(drawn, due_at=late_since)

    def text(self, digest: Digest) -> str:
        return digest_text(digest)

    def chart(self, chart: PaceChart) -> bytes:
        # Imported here: matplotlib is a third of the app's import time, and only this needs it.
        from blocks.pace_chart_image import render_pace_chart

        return render_pace_chart(chart)


DRAWING = Drawing()
