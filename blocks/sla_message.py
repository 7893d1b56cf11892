"""The SLA report in Block Kit: marketing's sales-ready leads against the commitment, sales' work.

Pure builders over `domain.sla.SlaReport`, shared by `/sla-status` (a message of at most
50 blocks) and App Home (a view of at most 100): each side is a short list of blocks whose
length does not grow with the number of leads or reps, because long lists are cut and counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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

from blocks.format import shown, slack_date
from blocks.message import Message
from domain.sla import MarketingSide, OverdueLead, SalesCounts, SalesSide, SlaReport

OVERDUE_SHOWN = 10  # overdue leads listed by name; the rest are counted
REPS_SHOWN = 25  # rows of a team's per-rep table; the rest are counted
SECTION_MAX = 3000  # Slack's limit for a section's text
_LABEL_MAX = 60  # a lead's id, name or company as shown in a list line


def month_name(moment: datetime) -> str:
    """`November 2026`, for a month start in the workspace's time zone."""
    return moment.strftime("%B %Y")


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
    """`on pace`, `behind by 12`, or why nothing is expected yet."""
    pace = side.pace
    if pace.committed == 0:
        return "nothing committed yet (no rep has a lead in work)"
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
        return "No lead accepted or rejected yet this month"
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
    heading = f"*Marketing* · sales-ready leads in {month_name(side.month.start)}, whole company"
    fields = [
        _field("Delivered", f"{pace.delivered:,} of {pace.committed:,} committed"),
        _field("Expected by today", f"{pace.expected:,}"),
        _field("Pace", pace_phrase(side)),
        _field("Lead acceptance by sales", acceptance_phrase(side)),
    ]
    note = (
        f"Commitment: {commitment_phrase(side)}. Delivered counts sales-ready leads created "
        "this month; duplicates do not count."
    )
    return [SectionBlock(text=MarkdownTextObject(text=heading), fields=fields), _context(note)]


# ---------------------------------------------------------------------------- sales


def compliance_phrase(counts: SalesCounts) -> str:
    compliance = counts.compliance
    if compliance is None:
        return "— (no lead in its SLA window)"
    on_cadence = counts.in_window - counts.overdue_in_window
    return f"{format_percent(compliance)} ({on_cadence:,} of {counts.in_window:,} on cadence)"


def overdue_line(lead: OverdueLead, *, touches: int) -> str:
    """`• *L-7* Jane Doe, Acme · <@U1> · overdue since <date> (touch 2 of 6)`"""
    who = ", ".join(shown(part, _LABEL_MAX) for part in (lead.name, lead.company) if part)
    label = f"*{shown(lead.external_id, _LABEL_MAX)}*" + (f" {who}" if who else "")
    since = slack_date(lead.overdue_since)
    touch = f"touch {lead.touches + 1} of {touches}"
    return f"• {label} · <@{lead.owner_id}> · overdue since {since} ({touch})"


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


def sales_blocks(side: SalesSide, *, title: str) -> list[Block]:
    """Leads in the SLA window, compliance, overdue leads (longest first), breaches this
    month, median first-touch time; for a team, a per-rep table, most overdue first.

    `title` is whose leads these are, in mrkdwn (`your leads`, `<@U1>'s team (4 reps)`).
    """
    total, sla = side.total, side.sla
    first_touch = (
        format_duration(side.median_first_touch)
        if side.median_first_touch is not None
        else "— (no first touch this month yet)"
    )
    fields = [
        _field("Leads in SLA window", f"{total.in_window:,}"),
        _field("Compliance", compliance_phrase(total)),
        _field("Overdue", f"{total.overdue:,}"),
        _field("Breaches this month", f"{total.breaches:,}"),
        _field("Median first touch", first_touch),
        _field(
            "Median first touch, sales-ready",
            format_duration(side.median_first_touch_sales_ready)
            if side.median_first_touch_sales_ready is not None
            else "—",
        ),
    ]
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*Sales* · {title}"), fields=fields),
        _context(
            f"SLA: {sla.touches} touches in {sla.days} days of assignment, the first within "
            f"{sla.first_touch_hours} h; overdue follow-ups go to the manager after "
            f"{sla.escalate_after_hours} h. Compliance counts leads in their window that are "
            "not overdue."
        ),
    ]
    blocks.extend(_overdue_blocks(side))
    if _shows_reps(side):
        blocks.extend(_rep_blocks(side.per_rep))
    return blocks


def _overdue_blocks(side: SalesSide) -> list[Block]:
    if not side.overdue:
        return [SectionBlock(text=MarkdownTextObject(text=":white_check_mark: Nothing overdue."))]
    lines = [overdue_line(lead, touches=side.sla.touches) for lead in side.overdue]
    blocks = _sections("*Overdue leads, longest overdue first*", lines)
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
    if report.marketing is not None:
        pace = report.marketing.pace
        parts.append(
            f"marketing {pace.delivered:,} of {pace.committed:,} sales-ready leads "
            f"({pace_words(report.marketing)})"
        )
    if report.sales is not None:
        total = report.sales.total
        compliance = format_percent(total.compliance) if total.compliance is not None else "—"
        parts.append(
            f"sales {compliance} compliance, {total.overdue:,} overdue, "
            f"{_plural(total.breaches, 'breach', 'breaches')} this month"
        )
    return f"SLA status for {month_name(report.month.start)}: " + "; ".join(parts)


def sla_status_message(report: SlaReport, *, title: str) -> Message:
    """`/sla-status`: a header, marketing's side, sales' side for `title`, and a footer."""
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=f"SLA status · {month_name(report.month.start)}"))
    ]
    if report.marketing is not None:
        blocks.extend(marketing_blocks(report.marketing))
    if report.sales is not None:
        if report.marketing is not None:
            blocks.append(DividerBlock())
        blocks.extend(sales_blocks(report.sales, title=title))
    blocks.append(
        _context(
            f"As of {slack_date(report.now)}. `/sla-status me` · `@user` · `team` · `marketing`"
        )
    )
    return Message(text=_fallback(report), blocks=blocks)
