"""App Home, the dashboard (DESIGN §3), and its "SLA details" modal: data in, a `View` out.

A rep sees their overdue and due leads and their compliance; a manager their team; an admin
(marketing) the lead commitment, its pace and this month's campaign and source table. The
figures are those of `/sla-status`, from the one `bot.sla_report` assembly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from blocks.format import clip, format_amount, period_name, shown, slack_date
from blocks.outcome_message import outcome_menu
from blocks.settings_message import posting_warning, unreachable_text
from blocks.sla_message import format_duration, format_percent, goal_lines
from domain.cadence import SalesSla
from domain.closed_loop import Group
from domain.home_summary import PERIODS, Channels, Home, MyLeads, Reason, Scope
from domain.lead_record import Lead
from domain.sla import MarketingSide, OverdueLead, SalesCounts, SalesSide

LOG_TOUCH = "home_log_touch"
SLA_DETAILS = "home_sla_details"
ASSIGN_LEAD = "home_assign_lead"
_ASSIGN_BLOCK = "assign|"  # + the lead's id: which lead a chosen rep gets
HOME_PERIOD = "home_period"
SCOPES: tuple[Scope, ...] = ("me", "team", "marketing")
PERIOD_LABELS = ("This month", "Last month", "This week", "Last week")  # for PERIODS

LEADS_SHOWN = 10  # overdue leads, and leads due next, each
REPS_SHOWN = 50  # rows of a manager's per-rep table on the Home
DETAIL_REPS_SHOWN = 200  # rows of the same table in the SLA details modal
GROUPS_SHOWN = 10  # campaigns, and sources
_SECTION_MAX = 3000  # Slack's limit for a section's text
_ID_MAX = 80  # a lead id or company as shown on one line


# ---------------------------------------------------------------- button values


def touch_value(lead: Lead | OverdueLead) -> str:
    """The "Log a touch" button's value: the touches the lead had when the Home was drawn, and
    its id. The count lets a click tell a stale button (the lead moved on) from a fresh one."""
    return f"{lead.touches}:{lead.external_id}"


def parse_touch_value(value: str) -> tuple[str, int] | None:
    """(external id, touches shown) from a button's value, or None if it is not one of ours."""
    count, sep, external_id = value.partition(":")
    if not sep or not external_id or not count.isdigit():
        return None
    return external_id, int(count)


def scope_of(value: str) -> Scope:
    """The figures an "Open SLA details" button asks for; anything unknown means "me"."""
    for scope in SCOPES:
        if value == scope:
            return scope
    return "me"


def _details_button(scope: Scope) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text="Open SLA details"), action_id=SLA_DETAILS, value=scope
    )


def _touch_button(lead: OverdueLead) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text="Log a touch"),
        action_id=LOG_TOUCH,
        value=touch_value(lead),
        style="primary",
    )


# ---------------------------------------------------------------- wording


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _label(external_id: str, who: str | None) -> str:
    label = f"*{shown(external_id, _ID_MAX)}*"
    return f"{label} ({shown(who, _ID_MAX)})" if who else label


def sla_terms(sla: SalesSla) -> str:
    return (
        f"The sales SLA: {sla.touches} touches in {sla.days} days, the first within "
        f"{sla.first_touch_hours} h; escalated after {sla.escalate_after_hours} h overdue."
    )


def compliance_text(counts: SalesCounts, *, sla: SalesSla) -> str:
    if counts.compliance is None:
        return f"*Compliance* — no lead is in its {sla.days}-day window"
    on_cadence = counts.in_window - counts.overdue_in_window
    return (
        f"*Compliance {format_percent(counts.compliance)}* — {on_cadence:,} of "
        f"{_plural(counts.in_window, 'lead')} in their {sla.days}-day window on cadence"
    )


def sales_summary(side: SalesSide) -> str:
    """Compliance, overdue, breaches, first-touch time: the sales side in three lines."""
    total = side.total
    overdue = f":red_circle: *{total.overdue:,}* overdue" if total.overdue else "Nothing overdue"
    breaches = f"*{_plural(total.breaches, 'breach', 'breaches')}* of the SLA this month"
    first = (
        f"median first touch *{format_duration(side.median_first_touch)}*"
        if side.median_first_touch is not None
        else "median first touch: none yet this month"
    )
    return "\n".join([compliance_text(total, sla=side.sla), f"{overdue} · {breaches} · {first}"])


def rep_line(owner_id: str, counts: SalesCounts) -> str:
    compliance = (
        f"{format_percent(counts.compliance)} compliance"
        if counts.compliance is not None
        else "no lead in window"
    )
    return (
        f"<@{owner_id}> — {compliance} · {counts.overdue:,} overdue · "
        f"{_plural(counts.breaches, 'breach', 'breaches')}"
    )


def marketing_summary(side: MarketingSide) -> str:
    pace = side.pace
    if side.sla.per_rep:
        commitment = (
            f"{side.sla.leads_per_month:,} per rep × {_plural(side.reps, 'rep')} working leads"
        )
    else:
        commitment = f"{side.sla.leads_per_month:,} a month for the team"
    standing = (
        ":white_check_mark: *on pace*"
        if pace.on_pace
        else f":warning: *behind by {pace.behind_by:,}*"
    )
    judged = side.accepted + side.rejected
    acceptance = (
        f"Accepted by sales: {side.accepted:,} of {judged:,} judged "
        f"({format_percent(side.acceptance_rate)})"
        if side.acceptance_rate is not None
        else "Accepted by sales: none judged in the period"
    )
    return "\n".join(
        [
            f"*Sales-ready leads:* {pace.delivered:,} delivered of "
            f"{pace.committed:,} committed ({commitment})",
            (
                f"Expected by today: {pace.expected:,} — {standing}"
                if side.period.current
                else f"Result: {'met' if pace.on_pace else f'missed by {pace.behind_by:,}'}"
            ),
            acceptance,
        ]
    )


def group_line(group: Group) -> str:
    name = shown(group.key, _ID_MAX) if group.key is not None else "_(none given)_"
    figures = group.figures
    revenue = format_amount(Fraction(Decimal(figures.revenue)))
    return (
        f"*{name}* — {_plural(figures.leads, 'lead')} · {figures.sales_ready:,} sales-ready · "
        f"{figures.accepted:,} accepted · {figures.won:,} won · {revenue}"
    )


def overdue_line(lead: OverdueLead, *, sla: SalesSla, owner: bool) -> str:
    who = f" · <@{lead.owner_id}>" if owner else ""
    touch = f"touch {lead.touches + 1} of {sla.touches}"
    return (
        f":red_circle: {_label(lead.external_id, lead.company or lead.name)}{who}\n"
        f"Overdue since {slack_date(lead.overdue_since)} ({touch})"
    )


def due_line(lead: Lead, *, sla: SalesSla) -> str:
    assert lead.next_touch_due is not None
    touch = f"touch {lead.touches + 1} of {sla.touches}"
    return (
        f":large_green_circle: {_label(lead.external_id, lead.company or lead.name)} — "
        f"{touch} due {slack_date(lead.next_touch_due)}"
    )


# ---------------------------------------------------------------- blocks


def _text(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def _header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=text))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[_text(text)])


def sections(lines: Iterable[str], *, heading: str | None = None) -> list[SectionBlock]:
    """Lines gathered into as few sections as Slack's 3,000 characters a section allow."""
    chunks: list[str] = []
    current = f"*{heading}*" if heading else ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > _SECTION_MAX and current:
            chunks.append(current)
            candidate = line
        current = candidate
    if current:
        chunks.append(current)
    return [SectionBlock(text=_text(chunk)) for chunk in chunks]


def _more(count: int, where: str | None, what: str = "more") -> list[Block]:
    if count <= 0:
        return []
    return [_context(f"…and {count:,} {what}" + (f" — `{where}`" if where else ""))]


def _overdue_blocks(side: SalesSide, *, owner: bool, where: str, heading: str) -> list[Block]:
    """The longest overdue leads, one section each with its "Log a touch" button."""
    total = side.total.overdue
    if not side.overdue:
        return [SectionBlock(text=_text(f"*{heading}*\n:white_check_mark: Nothing overdue."))]
    blocks: list[Block] = [
        SectionBlock(text=_text(f"*{heading} ({total:,})* — longest overdue first"))
    ]
    for lead in side.overdue:
        line = overdue_line(lead, sla=side.sla, owner=owner)
        blocks.append(SectionBlock(text=_text(line), accessory=_touch_button(lead)))
    blocks.extend(_more(total - len(side.overdue), where))
    return blocks


def my_blocks(mine: MyLeads) -> list[Block]:
    side = mine.sales
    blocks: list[Block] = [
        _header("Your leads"),
        SectionBlock(text=_text(sales_summary(side)), accessory=_details_button("me")),
    ]
    blocks.extend(_overdue_blocks(side, owner=False, where="/lead mine", heading="Overdue"))
    if mine.due:
        blocks.extend(
            sections((due_line(lead, sla=side.sla) for lead in mine.due), heading="Due next")
        )
        blocks.extend(_more(mine.due_total - len(mine.due), "/lead mine"))
    else:
        blocks.append(SectionBlock(text=_text("*Due next*\nNo touch is coming due.")))
    if mine.needs_outcome:
        blocks.append(
            SectionBlock(
                text=_text(
                    f"*Needs an outcome ({mine.needs_outcome_total:,})* — windows ended: "
                    "won, lost, reject or recycle"
                )
            )
        )
        for lead in mine.needs_outcome:
            blocks.append(
                SectionBlock(
                    text=_text(outcome_line(lead, sla=side.sla)),
                    accessory=outcome_menu(lead.external_id),
                )
            )
        blocks.extend(_more(mine.needs_outcome_total - len(mine.needs_outcome), "/lead mine"))
    return blocks


def outcome_line(lead: Lead, *, sla: SalesSla) -> str:
    """A lead waiting for its outcome: who, and how its window ended."""
    who = ", ".join(shown(part, _ID_MAX) for part in (lead.name, lead.company) if part)
    line = f"*{shown(lead.external_id, _ID_MAX)}*" + (f" {who}" if who else "")
    ended = slack_date(lead.window_ends_at) if lead.window_ends_at else "?"
    if lead.next_touch_due is None:
        return f"{line} · all {sla.touches} touches · window ended {ended}"
    return f"{line} · breached: {lead.touches} of {sla.touches} touches · window ended {ended}"


def unassigned_blocks(leads: Sequence[Lead], *, total: int) -> list[Block]:
    """For managers and admins: the oldest leads nobody owns, each with a rep picker."""
    blocks: list[Block] = [_header(f"Leads without an owner ({total:,})")]
    for lead in leads:
        who = ", ".join(shown(part, _ID_MAX) for part in (lead.name, lead.company) if part)
        line = f"*{shown(lead.external_id, _ID_MAX)}*" + (f" {who}" if who else "")
        line += f" · {lead.grade} · created {slack_date(lead.created_at)}"
        blocks.append(
            SectionBlock(
                block_id=(_ASSIGN_BLOCK + lead.external_id)[:255],
                text=_text(line),
                accessory=UserSelectElement(
                    action_id=ASSIGN_LEAD, placeholder=PlainTextObject(text="Assign to…")
                ),
            )
        )
    blocks.extend(_more(total - len(leads), "/lead unassigned"))
    return blocks


def assigned_lead_id(block_id: str) -> str | None:
    """The lead a rep picker on the Home stands for, or None for a block the Home never drew."""
    lead_id = block_id.removeprefix(_ASSIGN_BLOCK)
    return lead_id if lead_id != block_id and lead_id else None


def team_blocks(team: SalesSide, *, title: str = "Your team") -> list[Block]:
    reps = team.per_rep[:REPS_SHOWN]
    blocks: list[Block] = [
        _header(clip(title, 150)),
        SectionBlock(text=_text(sales_summary(team)), accessory=_details_button("team")),
    ]
    blocks.extend(
        sections(
            (rep_line(owner, counts) for owner, counts in reps),
            heading=f"{_plural(len(team.per_rep), 'rep')}, most overdue first",
        )
    )
    blocks.extend(_more(len(team.per_rep) - len(reps), "/sla-status team", "more reps"))
    blocks.extend(
        _overdue_blocks(team, owner=True, where="/sla-status team", heading="Team's overdue leads")
    )
    return blocks


def _group_blocks(title: str, groups: Sequence[Group], *, what: str) -> list[Block]:
    if not groups:
        return [SectionBlock(text=_text(f"*{title}*\nNo lead in the period."))]
    blocks: list[Block] = list(
        sections((group_line(group) for group in groups[:GROUPS_SHOWN]), heading=title)
    )
    blocks.extend(_more(len(groups) - GROUPS_SHOWN, None, f"more {what}"))
    return blocks


def period_switch(chosen: str) -> StaticSelectElement:
    """The Home's period switch: marketing's board for this or last week or month."""
    options = [
        Option(value=value, text=PlainTextObject(text=label))
        for value, label in zip(PERIODS, PERIOD_LABELS, strict=True)
    ]
    initial = next((option for option in options if option.value == chosen), options[0])
    return StaticSelectElement(action_id=HOME_PERIOD, options=options, initial_option=initial)


def _reason_lines(reasons: Sequence[Reason]) -> str:
    return "; ".join(f"{shown(row.reason, _ID_MAX)} ({row.leads:,})" for row in reasons)


def closed_loop_text(channels: Channels) -> str:
    """Why sales rejected leads, and why it handed leads back to marketing, in the period."""
    rejected = _reason_lines(channels.rejected) or "none"
    recycled = _reason_lines(channels.recycled) or "none"
    return f"*Rejected by sales, why:* {rejected}\n*Handed back to marketing, why:* {recycled}"


def awaiting_blocks(channels: Channels) -> list[Block]:
    total = channels.awaiting_total
    if not total:
        none = "*Waiting for sales to accept*\nNone: sales has judged every sales-ready lead."
        return [SectionBlock(text=_text(none))]
    lines = []
    for lead in channels.awaiting:
        who = ", ".join(shown(part, _ID_MAX) for part in (lead.name, lead.company) if part)
        since = slack_date(lead.assigned_at) if lead.assigned_at else "?"
        label = f"*{shown(lead.external_id, _ID_MAX)}*" + (f" {who}" if who else "")
        lines.append(f"• {label} · <@{lead.owner_id}> since {since}")
    blocks: list[Block] = list(
        sections(lines, heading=f"Waiting for sales to accept ({total:,}), longest first")
    )
    blocks.extend(_more(total - len(channels.awaiting), None))
    return blocks


def marketing_blocks(side: MarketingSide, channels: Channels | None) -> list[Block]:
    period = side.period
    blocks: list[Block] = [
        _header("Marketing"),
        SectionBlock(
            text=_text(f"*{period_name(period)[:1].upper()}{period_name(period)[1:]}*"),
            accessory=period_switch(channels.chosen if channels else PERIODS[0]),
        ),
        SectionBlock(text=_text(marketing_summary(side)), accessory=_details_button("marketing")),
    ]
    if side.goals:
        blocks.extend(sections(goal_lines(side), heading="Goals"))
    if channels is not None:
        blocks.extend(_group_blocks("By campaign", channels.by_campaign, what="campaigns"))
        blocks.extend(_group_blocks("By source", channels.by_source, what="sources"))
        blocks.extend(_group_blocks("By persona", channels.by_persona, what="personas"))
        blocks.append(SectionBlock(text=_text(closed_loop_text(channels))))
        blocks.extend(awaiting_blocks(channels))
        blocks.append(
            _context(
                "Leads and sales-ready count leads created in the period; accepted, won and "
                "revenue count what happened in it, whenever the lead came in."
            )
        )
    return blocks


def home_view(home: Home) -> View:
    """The whole Home for one person: the sections their roles call for, below what an admin
    must fix and the newest notice."""
    parts: list[list[Block]] = []
    if home.mine is not None:
        parts.append(my_blocks(home.mine))
    if home.team is not None:
        parts.append(team_blocks(home.team, title=home.team_title or "Your team"))
    if home.unassigned_total:
        parts.append(unassigned_blocks(home.unassigned, total=home.unassigned_total))
    if home.marketing is not None:
        board = marketing_blocks(home.marketing, home.channels)
        if home.marketing_first:
            parts.insert(0, board)
        else:
            parts.append(board)
    blocks: list[Block] = [
        SectionBlock(text=_text(posting_warning(problem))) for problem in home.posting_problems
    ]
    if home.unreachable_rep_ids:
        blocks.append(SectionBlock(text=_text(unreachable_text(list(home.unreachable_rep_ids)))))
    if home.hubspot_trouble:
        blocks.append(SectionBlock(text=_text(f":warning: {home.hubspot_trouble}")))
    if home.notice:
        blocks.append(SectionBlock(text=_text(home.notice)))
    for part in parts:
        if blocks:
            blocks.append(DividerBlock())
        blocks.extend(part)
    blocks.append(
        _context(
            f"Updated {slack_date(home.now)} · `/sla-status` for both sides of the SLA · "
            "`/lead mine` for all your open leads"
        )
    )
    return View(type="home", blocks=blocks)


def sla_details_view(
    *,
    scope: Scope,
    now: datetime,
    sales: SalesSide | None = None,
    marketing: MarketingSide | None = None,
) -> View:
    """The modal "Open SLA details" opens: the `/sla-status` figures for one scope."""
    blocks: list[Block] = []
    if marketing is not None:
        blocks.append(_header("Marketing's commitment"))
        blocks.append(SectionBlock(text=_text(marketing_summary(marketing))))
    if sales is not None:
        title = "Your team's follow-up" if scope == "team" else "Your follow-up"
        blocks.append(_header(title))
        blocks.append(SectionBlock(text=_text(sales_summary(sales))))
        if scope == "team":
            reps = sales.per_rep[:DETAIL_REPS_SHOWN]
            blocks.extend(sections((rep_line(o, c) for o, c in reps), heading="By rep"))
            blocks.extend(_more(len(sales.per_rep) - len(reps), "/sla-status team", "more reps"))
        lines = [overdue_line(lead, sla=sales.sla, owner=scope == "team") for lead in sales.overdue]
        if lines:
            blocks.extend(sections(lines, heading=f"Overdue ({sales.total.overdue:,})"))
            where = "/sla-status team" if scope == "team" else "/lead mine"
            blocks.extend(_more(sales.total.overdue - len(lines), where))
        blocks.append(_context(sla_terms(sales.sla)))
    blocks.append(_context(f"As of {slack_date(now)}"))
    return View(
        type="modal",
        title=PlainTextObject(text="SLA details"),
        close=PlainTextObject(text="Close"),
        blocks=blocks,
    )
