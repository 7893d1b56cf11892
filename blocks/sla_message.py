"""The SLA report in Block Kit: marketing's sales-ready leads against the commitment, sales' work.

Pure builders over `domain.sla.SlaReport`, shared by `/sla-status` (a message of at most
50 blocks) and App Home (a view of at most 100): each side is a short list of blocks whose
length does not grow with the number of leads or reps, because long lists are cut and counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
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

from blocks.format import clip, period_name, shown, slack_date
from blocks.message import Message
from domain.cadence import SalesSla
from domain.pace import ReportPeriod, Unit
from domain.sla import (
    GoalStanding,
    MarketingSide,
    OverdueLead,
    SalesCounts,
    SalesSide,
    SlaReport,
)

OVERDUE_SHOWN = 10  # overdue leads listed by name; the rest are counted
DUE_SHOWN = 5  # one rep's touches coming due, soonest first
REPS_SHOWN = 25  # rows of a team's per-rep table; the rest are counted
SECTION_MAX = 3000  # Slack's limit for a section's text
_LABEL_MAX = 60  # a lead's id, name or company as shown in a list line


def format_percent(value: Fraction) -> str:
    """A share as a percentage: whole when exact, else one decimal that never reads as 0% or
    100% unless it is (99.96% shows as 99.9%, not as a perfect score)."""
    percent = value * 100
    if percent.denominator == 1:
        return f"{percent.numerator}%"
    shown_value = round(float(percent), 1)
    shown_value = min(max(shown_value, 0.1), 99.9)
    return f"{shown_value:.1f}%"


def format_duration(value: timedelta) -> str:
    """`45 min`, `3 h 30 min`, `2 d 4 h`: as precise as a person reading a median needs."""
    minutes = int(value.total_seconds()) // 60
    if minutes < 1:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


def _field(name: str, value: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=f"*{name}*\n{value}")


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _sections(heading: str, lines: Iterable[str]) -> list[Block]:
    """The heading and the lines, packed into as few sections as Slack's 3,000 characters
    allow (a line is never split)."""
    blocks: list[Block] = []
    current = heading
    for line in lines:
        if len(current) + 1 + len(line) > SECTION_MAX:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=current)))
            current = line
        else:
            current = f"{current}\n{line}"
    blocks.append(SectionBlock(text=MarkdownTextObject(text=current)))
    return blocks


# ---------------------------------------------------------------------------- marketing


def pace_words(side: MarketingSide) -> str:
    """`on pace`, `behind by 12`, or why nothing is expected yet; for a past period, whether
    the commitment was met."""
    pace = side.pace
    if pace.committed == 0:
        return "nothing committed yet (no rep has a lead in work)"
    if not side.period.current:
        return "met" if pace.on_pace else f"missed by {pace.behind_by:,}"
    if pace.on_pace:
        return "on pace"
    return f"behind by {pace.behind_by:,}"


def pace_phrase(side: MarketingSide) -> str:
    """The pace with a marker: green on pace, red behind, white when nothing is committed."""
    mark = ":red_circle:"
    if side.pace.committed == 0:
        mark = ":white_circle:"
    elif side.pace.on_pace:
        mark = ":large_green_circle:"
    words = pace_words(side)
    return f"{mark} {words[:1].upper()}{words[1:]}"


def acceptance_phrase(side: MarketingSide) -> str:
    rate = side.acceptance_rate
    if rate is None:
        if side.period.current:
            return f"No lead accepted or rejected yet this {side.period.unit}"
        return "No lead accepted or rejected in the period"
    return f"{format_percent(rate)} ({side.accepted:,} accepted, {side.rejected:,} rejected)"


def commitment_phrase(side: MarketingSide) -> str:
    sla = side.sla
    if sla.per_rep:
        return (
            f"{sla.leads_per_month:,} sales-ready leads per rep per month × "
            f"{_plural(side.reps, 'rep')} with leads in work"
        )
    return f"{sla.leads_per_month:,} sales-ready leads per month"


def marketing_blocks(side: MarketingSide) -> list[Block]:
    """Sales-ready leads delivered vs committed this month, expected by today, the pace, and
    how many of the leads sales judged it accepted. Always company-wide."""
    pace = side.pace
    period = side.period
    heading = f"*Marketing* · sales-ready leads, {period_name(period)}, whole company"
    fields = [
        _field("Delivered", f"{pace.delivered:,} of {pace.committed:,} committed"),
        _field("Expected by today" if period.current else "Expected", f"{pace.expected:,}"),
        _field("Pace" if period.current else "Result", pace_phrase(side)),
        _field("Lead acceptance by sales", acceptance_phrase(side)),
    ]
    note = (
        f"Commitment: {commitment_phrase(side)}"
        + (", a week's share is 12/52 of it" if period.unit is Unit.WEEK else "")
        + (", counted from the day tracking began" if period.partial else "")
        + ". Delivered counts sales-ready leads created in the period; duplicates do not count."
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=heading), fields=fields),
        _context(note),
    ]
    if side.goals:
        blocks.extend(_sections("*Goals*", goal_lines(side)))
    return blocks


def goal_line(goal: GoalStanding, *, current: bool) -> str:
    """`• Source *webinar*: 12 of 40 · 19 expected by today · behind by 7`"""
    pace = goal.pace
    if current:
        standing = "on pace" if pace.on_pace else f"behind by {pace.behind_by:,}"
        expected = f"{pace.expected:,} expected by today · {standing}"
    else:
        expected = "met" if pace.on_pace else f"missed by {pace.behind_by:,}"
    return (
        f"• {goal.dimension.capitalize()} *{shown(goal.name, 80)}*: {pace.delivered:,} of "
        f"{pace.committed:,} · {expected}"
    )


def goal_lines(side: MarketingSide) -> list[str]:
    """Each goal's part of the commitment, and what no goal claims."""
    lines = [goal_line(goal, current=side.period.current) for goal in side.goals]
    lines.append(f"• Not assigned to a goal: {side.unassigned:,} of {side.pace.committed:,}")
    return lines


# ---------------------------------------------------------------------------- sales


def compliance_phrase(counts: SalesCounts) -> str:
    compliance = counts.compliance
    if compliance is None:
        return "— (no lead in its SLA window)"
    on_cadence = counts.in_window - counts.overdue_in_window
    return f"{format_percent(compliance)} ({on_cadence:,} of {counts.in_window:,} on cadence)"


def overdue_line(lead: OverdueLead, *, touches: int, owner: bool = True) -> str:
    """`• *L-7* Jane Doe, Acme · <@U1> · overdue since <date> (touch 2 of 6)`; without the
    owner where the reply is about one rep's leads."""
    who = ", ".join(shown(part, _LABEL_MAX) for part in (lead.name, lead.company) if part)
    label = f"*{shown(lead.external_id, _LABEL_MAX)}*" + (f" {who}" if who else "")
    since = slack_date(lead.overdue_since)
    touch = f"touch {lead.touches + 1} of {touches}"
    whose = f" · <@{lead.owner_id}>" if owner else ""
    return f"• {label}{whose} · overdue since {since} ({touch})"


def rep_line(owner_id: str, counts: SalesCounts) -> str:
    compliance = counts.compliance
    share = format_percent(compliance) if compliance is not None else "—"
    return (
        f"• <@{owner_id}> · {_plural(counts.in_window, 'lead')} in window · {share} · "
        f"{counts.overdue:,} overdue · {_plural(counts.breaches, 'breach', 'breaches')}"
    )


def _shows_reps(side: SalesSide) -> bool:
    """A team (or everyone) gets a per-rep table; one rep's own leads do not."""
    return side.owners is None or len(side.owners) > 1


def _first_touch(value: timedelta | None, *, none: str = "—") -> str:
    return format_duration(value) if value is not None else none


def _sales_ready_first_touch(side: SalesSide) -> str:
    return _first_touch(side.median_first_touch_sales_ready)


def overdue_phrase(total: SalesCounts) -> str:
    """`3`, or `3 (1 past its window)`: why overdue can exceed the leads in window."""
    past = total.overdue - total.overdue_in_window
    if past <= 0:
        return f"{total.overdue:,}"
    return f"{total.overdue:,} ({past:,} past {'its' if past == 1 else 'their'} window)"


def terms_note(sla: SalesSla) -> str:
    """What the SLA asks and how its counts relate, so two figures never look contradictory."""
    return (
        f"SLA: {sla.touches} touches in {sla.days} days of assignment, the first within "
        f"{sla.first_touch_hours} h. *In SLA window*: leads in those {sla.days} days. "
        "*Overdue*: a touch is late, in the window or past it; a lead past its window stays "
        f"overdue until it goes to the manager {sla.escalate_after_hours} h later, then waits "
        "for an outcome. *Compliance*: leads in window that are not overdue."
    )


def _due_blocks(side: SalesSide) -> list[Block]:
    if not side.due:
        return []
    lines = [
        f"• *{shown(lead.external_id, _LABEL_MAX)}* "
        + ", ".join(shown(part, _LABEL_MAX) for part in (lead.name, lead.company) if part)
        + f" · touch {lead.touches + 1} of {side.sla.touches} due "
        + (slack_date(lead.next_touch_due) if lead.next_touch_due else "—")
        for lead in side.due
    ]
    blocks = _sections("*Due next*", lines)
    more = side.due_total - len(side.due)
    if more > 0:
        blocks.append(_context(f"…and {more:,} more — `/lead mine`"))
    return blocks


def sales_blocks(side: SalesSide, *, title: str, period: ReportPeriod) -> list[Block]:
    """What the reader owns first: overdue leads (longest first) and touches coming due; then
    the figures with what they count; for a team, a per-rep table, most overdue first.

    `title` is whose leads these are, in mrkdwn (`your leads`, `<@U1>'s team (4 reps)`).
    """
    if not period.current:
        return past_sales_blocks(side, title=title, period=period)
    total, sla = side.total, side.sla
    blocks: list[Block] = []
    blocks.extend(_overdue_blocks(side))
    blocks.extend(_due_blocks(side))
    fields = [
        _field("Leads in SLA window", f"{total.in_window:,}"),
        _field("Compliance", compliance_phrase(total)),
        _field("Overdue", overdue_phrase(total)),
        _field(f"Breaches this {period.unit}", f"{total.breaches:,}"),
        _field(
            "Median first touch",
            _first_touch(
                side.median_first_touch, none=f"— (no first touch this {period.unit} yet)"
            ),
        ),
        _field("Median first touch, sales-ready", _sales_ready_first_touch(side)),
    ]
    blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Sales* · {title}"), fields=fields))
    blocks.append(_context(terms_note(sla)))
    if _shows_reps(side):
        blocks.extend(_rep_blocks(side.per_rep))
    return blocks


def past_sales_blocks(side: SalesSide, *, title: str, period: ReportPeriod) -> list[Block]:
    """A past period: its breaches and first touches from the projection; compliance and
    overdue leads at its end as the digest or report taken then recorded them."""
    total, at_end = side.total, side.at_end
    if at_end is None:
        end_state = "not recorded (no digest or report was posted when the period ended)"
        fields = [_field("At the period's end", end_state)]
    else:
        compliance = (
            format_percent(at_end.compliance)
            if at_end.compliance is not None
            else "— (recorded company-wide only)"
        )
        fields = [
            _field("Compliance at the end", compliance),
            _field("Overdue at the end", f"{at_end.overdue:,}"),
        ]
    fields += [
        _field("Breaches", f"{total.breaches:,}"),
        _field("Median first touch", _first_touch(side.median_first_touch)),
        _field("Median first touch, sales-ready", _sales_ready_first_touch(side)),
    ]
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*Sales* · {title}"), fields=fields),
        _context(
            "Breaches: SLA windows that ended in the period short of "
            f"{side.sla.touches} touches. First touch: leads assigned in the period."
        ),
    ]
    if _shows_reps(side):
        blocks.extend(_rep_blocks(side.per_rep))
    return blocks


def _overdue_blocks(side: SalesSide) -> list[Block]:
    if not side.overdue:
        return [SectionBlock(text=MarkdownTextObject(text=":white_check_mark: Nothing overdue."))]
    lines = [
        overdue_line(lead, touches=side.sla.touches, owner=_shows_reps(side))
        for lead in side.overdue
    ]
    blocks = _sections(f"*Overdue ({side.total.overdue:,})*, longest overdue first", lines)
    more = side.total.overdue - len(side.overdue)
    if more > 0:
        blocks.append(_context(f"…and {_plural(more, 'more overdue lead')}."))
    return blocks


def _rep_blocks(per_rep: Sequence[tuple[str, SalesCounts]]) -> list[Block]:
    if not per_rep:
        return [SectionBlock(text=MarkdownTextObject(text="No rep has a lead in work."))]
    lines = [rep_line(owner_id, counts) for owner_id, counts in per_rep[:REPS_SHOWN]]
    blocks = _sections("*By rep, most overdue first*", lines)
    more = len(per_rep) - REPS_SHOWN
    if more > 0:
        blocks.append(_context(f"…and {_plural(more, 'more rep')}."))
    return blocks


# ---------------------------------------------------------------------------- the message


def _fallback(report: SlaReport) -> str:
    """The notification text: the headline numbers of each side shown."""
    parts = []
    if report.sales is not None:
        total = report.sales.total
        if report.period.current:
            compliance = format_percent(total.compliance) if total.compliance is not None else "—"
            parts.append(
                f"sales {total.overdue:,} overdue, {compliance} compliance, "
                f"{_plural(total.breaches, 'breach', 'breaches')}"
            )
        else:
            parts.append(f"sales {_plural(total.breaches, 'breach', 'breaches')}")
    if report.marketing is not None:
        pace = report.marketing.pace
        parts.append(
            f"marketing {pace.delivered:,} of {pace.committed:,} sales-ready leads "
            f"({pace_words(report.marketing)})"
        )
    return f"SLA status, {period_name(report.period)}: " + "; ".join(parts)


def marketing_line(side: MarketingSide) -> str:
    """Marketing's side in one line, under a sales reader's own figures."""
    pace = side.pace
    return (
        f"*Marketing:* {pace.delivered:,} of {pace.committed:,} sales-ready leads delivered — "
        f"{pace_words(side)} · `/sla-status marketing`"
    )


def _switches(period: ReportPeriod) -> str:
    other = "last" if period.current else "this"
    return (
        f"`/sla-status {other} {period.unit}` · `me` · `@user` · `team` · `marketing` · "
        f"`last {'month' if period.unit is Unit.WEEK else 'week'}`"
    )


def sla_status_message(
    report: SlaReport, *, title: str, marketing_first: bool = False
) -> Message:
    """`/sla-status`: what the reader owns first — sales' side for `title` (their overdue
    leads, then the figures) with marketing in one line; or, for marketing, its side in full
    (`marketing_first`) — and a footer with the other periods and views."""
    period = report.period
    heading = f"SLA status · {period_name(period)}"
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=clip(heading, 150)))]
    if report.marketing is not None and (marketing_first or report.sales is None):
        blocks.extend(marketing_blocks(report.marketing))
        if report.sales is not None:
            blocks.append(DividerBlock())
    if report.sales is not None:
        blocks.extend(sales_blocks(report.sales, title=title, period=period))
        if report.marketing is not None and not marketing_first:
            blocks.append(_context(marketing_line(report.marketing)))
    as_of = f"As of {slack_date(report.now)}" if period.current else "Ended"
    blocks.append(_context(f"{as_of}. {_switches(period)}"))
    return Message(text=_fallback(report), blocks=blocks)
