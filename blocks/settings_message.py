"""The stored target's funnel with pace (`/leads-needed` alone), and `/smarketing settings`."""

from __future__ import annotations

import re
from datetime import datetime
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

from blocks.format import clip, escape, format_amount, format_rate, slack_date
from blocks.funnel_message import funnel_message
from blocks.message import Message
from domain.funnel import Funnel, Period
from domain.pace import FunnelActuals, PeriodPlan
from domain.schedule import PostingProblem
from domain.settings_summary import WorkspaceSettings

DEFAULT_COMMITMENT = "100 sales-ready leads per rep per month (default)"
MANAGER_EXAMPLE = "/smarketing manager @rep @manager"
DIGEST_EXAMPLE = "/smarketing digest #smarketing MON 09:00"
# Slack channel names are lower-case, so an upper-case word is a channel id.
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{1,49}$", re.ASCII)
# What each kind of posting (bot.jobs: digest, monthly, digest_now) is called in a warning.
_POSTING_NAMES = {
    "digest": "The weekly digest",
    "monthly": "The monthly report",
    "digest_now": "The digest asked for with `/smarketing digest now`",
}
_ERROR_SHOWN = 100  # characters of Slack's error, as shown
_PER = {Period.YEAR: "a year", Period.QUARTER: "a quarter", Period.MONTH: "a month"}
_VALUE_LIMIT = 120  # a change's old and new values, as shown; the full text stays stored
_SECTION_BUDGET = 2_900  # characters a listing may take in a section (Slack allows 3,000)


def period_name(period: Period, start: datetime) -> str:
    """`2026`, `Q4 2026`, `November 2026`: the period that starts at `start` (local time)."""
    if period is Period.YEAR:
        return f"{start.year}"
    if period is Period.QUARTER:
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return start.strftime("%B %Y")


def one_line(line: str) -> Message:
    """A reply that is a single sentence: a confirmation or a refusal."""
    return Message(text=line, blocks=[SectionBlock(text=MarkdownTextObject(text=line))])


def no_target_yet(*, target_example: str, numbers_example: str) -> Message:
    line = (
        ":warning: No revenue target is stored yet: an admin sets one with "
        f"`{target_example}`, or give the numbers: revenue, average deal size, "
        f"lead-to-customer rate. Try `{numbers_example}`"
    )
    return one_line(line)


def actuals_line(actuals: FunnelActuals) -> str:
    """Where the average deal size and the lead-to-customer rate came from, plainly."""
    deal, rate = format_amount(actuals.deal_size), format_rate(actuals.rate)
    if actuals.too_few_wins:
        won = f"{actuals.won:,} lead{'s' if actuals.won != 1 else ''}"
        return (
            f":information_source: Only {won} won in the last 12 months, fewer than the "
            f"{actuals.min_wins} it takes to trust them, so this uses the configured average "
            f"deal size {deal} and lead-to-customer rate {rate} (SMARKETING_DEFAULT_DEAL_SIZE, "
            "SMARKETING_DEFAULT_CONVERSION_RATE)."
        )
    if not actuals.deal_size_is_actual:
        return (
            ":information_source: No lead was won in the last 12 months, so this uses the "
            f"configured average deal size {deal} and lead-to-customer rate {rate} "
            "(SMARKETING_DEFAULT_DEAL_SIZE, SMARKETING_DEFAULT_CONVERSION_RATE)."
        )
    won = f"{actuals.won:,} lead{'s' if actuals.won != 1 else ''} won"
    deal_line = (
        f"Average deal {deal}: {format_amount(actuals.won_revenue)} from {won} "
        "in the last 12 months."
    )
    if not actuals.rate_is_actual:
        return (
            f"{deal_line} No new lead was created in those 12 months to compare the wins with, "
            f"so the lead-to-customer rate is the configured {rate} "
            "(SMARKETING_DEFAULT_CONVERSION_RATE)."
        )
    rate_line = (
        f"Lead-to-customer rate {rate}: {won} ÷ {actuals.leads:,} leads created in the same "
        "12 months (duplicates not counted)"
    )
    if actuals.rate_capped:
        rate_line += ", counted as 100% because more leads were won than created"
    return f"{deal_line} {rate_line}."


def _tracked_note(funnel: Funnel, plan: PeriodPlan) -> str:
    if plan.tracked_from is None:
        return ""
    began = plan.tracked_from.astimezone(plan.span.start.tzinfo)
    return (
        f" Tracking began on {began.day} {began:%B %Y}: of the {funnel.leads_needed:,} leads the "
        f"whole period needs, the {plan.needed:,} that fall after it are counted, and the pace "
        "runs from then."
    )


def sla_line(plan: PeriodPlan, committed: int) -> str:
    """The one monthly figure to hold against marketing's SLA: new leads the goal needs a
    month, next to the sales-ready leads marketing commits to."""
    return (
        f"*Against the SLA:* the goal needs {plan.per_month:,} new leads a month for the rest "
        f"of the period; marketing's SLA commits {committed:,} sales-ready leads a month. "
        "Sales-ready leads are the share of new leads good enough to hand to sales."
    )


def target_funnel_message(
    *, funnel: Funnel, actuals: FunnelActuals, plan: PeriodPlan, committed: int | None = None
) -> Message:
    """The funnel for the stored target (the same blocks as the numbers form), where its deal
    size and rate came from, and the pace: so far, remaining, per month, per week, per rep."""
    name = period_name(funnel.period, plan.span.start)
    base = funnel_message(funnel)
    if plan.per_rep is None:
        per_rep = "no reps yet (no one owns a lead in work)"
    else:
        reps = f"{plan.reps:,} rep{'s' if plan.reps != 1 else ''}"
        per_rep = (
            f"{plan.per_rep:,} for the rest of {name}, {plan.per_rep_per_month:,} a month ({reps})"
        )
    pace = (
        f":white_check_mark: on pace: {plan.expected_by_now:,} expected by now"
        if plan.on_pace
        else f":warning: behind: {plan.expected_by_now:,} expected by now"
    )
    months, weeks = float(plan.months_left), float(plan.weeks_left)
    pace_blocks: list[Block] = [
        # Where the deal size and rate came from goes right under the divisions that use them.
        SectionBlock(text=MarkdownTextObject(text=actuals_line(actuals))),
        DividerBlock(),
        SectionBlock(
            text=MarkdownTextObject(text=f"*{name} so far*"),
            fields=[
                MarkdownTextObject(text=f"*Leads so far*\n{plan.so_far:,} of {plan.needed:,}"),
                MarkdownTextObject(text=f"*Remaining*\n{plan.remaining:,}"),
                MarkdownTextObject(
                    text=f"*Needed per month*\n{plan.per_month:,} ({months:.1f} months left)"
                ),
                MarkdownTextObject(
                    text=f"*Needed per week*\n{plan.per_week:,} ({weeks:.1f} weeks left)"
                ),
                MarkdownTextObject(text=f"*Per rep*\n{per_rep}"),
                MarkdownTextObject(text=f"*Pace*\n{pace}"),
            ],
        ),
        *(
            [SectionBlock(text=MarkdownTextObject(text=sla_line(plan, committed)))]
            if committed is not None
            else []
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Leads so far are the leads created this period, duplicates not "
                    "counted; what remains is spread over the rest of the period, rounded up."
                    + _tracked_note(funnel, plan)
                ),
            ]
        ),
    ]
    fallback = ""
    if actuals.too_few_wins:
        fallback = f" (configured deal size and rate: fewer than {actuals.min_wins} wins)"
    elif not actuals.deal_size_is_actual:
        fallback = " (configured deal size and rate: no lead won in the last 12 months)"
    elif not actuals.rate_is_actual:
        fallback = " (configured rate: no new lead in the last 12 months)"
    text = (
        f"{base.text} {name} so far: {plan.so_far:,} of {plan.needed:,} leads, "
        f"{plan.remaining:,} to go: {plan.per_month:,} a month, {plan.per_week:,} a week"
        f"{fallback}."
    )
    return Message(text=text, blocks=[*base.blocks, *pace_blocks])


def target_set_message(*, new: str, old: str | None) -> Message:
    was = f" (was {old})" if old else ""
    return one_line(
        f":white_check_mark: Revenue target set: {new}{was}. "
        "`/leads-needed` now shows the leads it needs and the pace."
    )


def channel_text(channel: str) -> str:
    """`<#C123>` for a channel id, which Slack shows as its current name; a channel configured
    by name (SMARKETING_DIGEST_CHANNEL=smarketing) as `#smarketing`, shown literally."""
    if _CHANNEL_ID.match(channel):
        return f"<#{channel}>"
    return escape(clip(channel if channel.startswith("#") else f"#{channel}", 80))


def posting_warning(problem: PostingProblem) -> str:
    """One line: what was not posted, where, when, Slack's reason and how to fix it."""
    what = _POSTING_NAMES.get(problem.kind, "A scheduled message")
    where = f" to {channel_text(problem.channel)}" if problem.channel else ""
    error = escape(clip(problem.error.replace("`", "'"), _ERROR_SHOWN))
    advice = problem.what_to_do or "the app's log has the details"
    return (
        f":warning: {what} could not be posted{where} {slack_date(problem.at)}: Slack said "
        f"`{error}`. To fix it: {advice}. This notice goes once a digest or report is posted "
        "there."
    )


def _count(value: int, one: str, many: str | None = None) -> str:
    return f"{value:,} {one if value == 1 else many or one + 's'}"


def _clip(value: str) -> str:
    return value if len(value) <= _VALUE_LIMIT else value[: _VALUE_LIMIT - 1] + "…"


# Changes that read as what happened ("<@U1> joined"), not as a value set.
_EVENT_LIKE = {"marketing"}


def _tracking_text(shown: WorkspaceSettings) -> str:
    day = shown.tracking_from
    if day is None:
        return "the first lead (none yet); an admin may set the day with `/smarketing start`"
    words = f"{day.day} {day:%B %Y}"
    return words + (" (set by an admin)" if shown.tracking_set else " (the first lead)")


def _marketing_people(shown: WorkspaceSettings) -> str:
    if not shown.marketers:
        return "no one named yet; an admin names them with `/smarketing marketing @user…`"
    people = ", ".join(f"<@{user_id}>" for user_id in shown.marketer_ids)
    more = shown.marketers - len(shown.marketer_ids)
    return people + (f" and {more:,} more" if more > 0 else "")


def settings_message(shown: WorkspaceSettings) -> Message:
    if shown.target_amount is None or shown.target_period is None:
        target = "not set yet: an admin sets it with `/smarketing target 1.2m per year`"
    else:
        target = f"{format_amount(Fraction(shown.target_amount))} {_PER[shown.target_period]}"
        if shown.target_set_by and shown.target_set_at:
            target += f", set by <@{shown.target_set_by}> {slack_date(shown.target_set_at)}"
    sla = shown.sla
    sales = (
        f"{_count(sla.touches, 'touch', 'touches')} in {_count(sla.days, 'day')}, first touch "
        f"within {_count(sla.first_touch_hours, 'hour')}, escalate after "
        f"{_count(sla.escalate_after_hours, 'hour')}"
        + (" (default)" if shown.sla_is_default else "")
    )
    if shown.leads_per_month is None:
        marketing = DEFAULT_COMMITMENT
    else:
        marketing = f"{shown.leads_per_month:,} sales-ready leads per month" + (
            " per rep" if shown.leads_per_rep else ""
        )
    grading = f"fit and interest at or above {shown.threshold} count as high" + (
        " (default)" if shown.threshold_is_default else ""
    )
    lines = [
        f"*Revenue target:* {target}",
        f"*Marketing SLA:* {marketing}",
        f"*Sales SLA:* {sales}",
        f"*Grading:* {grading}",
        f"*Marketing:* {_marketing_people(shown)}",
        f"*Time zone:* {shown.timezone}",
        f"*Tracking since:* {_tracking_text(shown)}",
        f"*Weekly digest:* {_digest_text(shown)}",
        f"*Monthly report:* {_monthly_text(shown)}",
    ]
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="Smarketing settings")),
        SectionBlock(text=MarkdownTextObject(text="\n".join(lines))),
    ]
    blocks.extend(
        SectionBlock(text=MarkdownTextObject(text=posting_warning(problem)))
        for problem in shown.posting_problems
    )
    blocks.append(SectionBlock(text=MarkdownTextObject(text=_teams_text(shown))))
    if shown.unmanaged_reps:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_unmanaged_text(shown))))
    if shown.unreachable_rep_ids:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=unreachable_text(shown.unreachable_rep_ids)))
        )
    if shown.changes:
        history = [
            f"• {slack_date(change.at)} <@{change.by}> {change.what}: "
            + (
                f"{_clip(change.old)} → {_clip(change.new)}"
                if change.old
                else _clip(change.new)
                if change.what in _EVENT_LIKE or change.what.startswith("team ")
                else f"set to {_clip(change.new)}"
            )
            for change in shown.changes
        ]
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text="*Recent changes*\n" + "\n".join(history)))
        )
    else:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text="No setting has been changed yet.")])
        )
    text = "Smarketing settings: " + "; ".join(line.replace("*", "") for line in lines[:3])
    return Message(text=text, blocks=blocks)


def _digest_text(shown: WorkspaceSettings) -> str:
    if shown.digest_channel is None:
        return f"not posted: no channel set — an admin sets one with `{DIGEST_EXAMPLE}`"
    return (
        f"{shown.digest_schedule.describe()} to {channel_text(shown.digest_channel)} "
        f"({shown.timezone})"
    )


def _monthly_text(shown: WorkspaceSettings) -> str:
    if shown.monthly_channel is None:
        return (
            "not posted: no channel set — it goes to SMARKETING_MANAGEMENT_CHANNEL, or else to "
            "the digest's channel"
        )
    source = (
        "set by SMARKETING_MANAGEMENT_CHANNEL"
        if shown.monthly_channel_configured
        else "the digest's channel"
    )
    return (
        f"the first working day of the month at {shown.digest_schedule.at:%H:%M} to "
        f"{channel_text(shown.monthly_channel)} ({shown.timezone}; {source})"
    )


def _and_more(hidden: int, noun: str = "") -> str:
    if not hidden:
        return ""
    return f" and {hidden:,} more" + (f" {noun}" if noun else "")


def _people(ids: list[str], total: int, *, budget: int) -> str:
    """`<@A>, <@B> and 3 more`, as many as fit in `budget` characters."""
    shown: list[str] = []
    used = 0
    for person in ids:
        mention = f"<@{person}>"
        if used + len(mention) + 2 > budget:
            break
        shown.append(mention)
        used += len(mention) + 2
    return ", ".join(shown) + _and_more(total - len(shown))


def _teams_text(shown: WorkspaceSettings) -> str:
    if not shown.managers:
        return (
            f"*Managers:* none set yet, so overdue follow-ups escalate to {_fallback(shown)}: "
            f"an admin sets one with `{MANAGER_EXAMPLE}`"
        )
    title = "*Managers and their reps*"
    lines: list[str] = []
    used = len(title) + 40  # room for the "and N more managers" line
    for team in shown.teams:
        line = f"• <@{team.manager_id}>: " + _people(team.rep_ids, team.reps, budget=400)
        if used + len(line) + 1 > _SECTION_BUDGET:
            break
        lines.append(line)
        used += len(line) + 1
    more = shown.managers - len(lines)
    if more:
        lines.append(f"…{_and_more(more, 'manager' if more == 1 else 'managers')}")
    return "\n".join([title, *lines])


def _fallback(shown: WorkspaceSettings) -> str:
    """Who hears about the follow-ups of reps without a manager."""
    if shown.escalation_admin is None:
        return "no one (or list admins in SMARKETING_ADMINS)"
    return f"the admin <@{shown.escalation_admin}>"


def unreachable_text(rep_ids: list[str], *, total: int | None = None) -> str:
    """Reps the bot cannot message: they left the workspace, or Slack refuses their DMs."""
    count = total if total is not None else len(rep_ids)
    title = (
        f":warning: *Reps Slack cannot reach ({count:,}):* they left the workspace or cannot "
        "get messages, so their overdue leads are not nudged; reassign their leads in the CRM.\n"
    )
    return title + _people(rep_ids, count, budget=_SECTION_BUDGET - len(title) - 30)


def _unmanaged_text(shown: WorkspaceSettings) -> str:
    count = shown.unmanaged_reps
    title = (
        f"*Reps with leads in work and no manager ({count:,}):* their overdue follow-ups "
        f"escalate to {_fallback(shown)}; set with `{MANAGER_EXAMPLE}`\n"
    )
    budget = _SECTION_BUDGET - len(title) - 30
    return title + _people(shown.unmanaged_rep_ids, count, budget=budget)


def marketing_sla_set_message(*, new: str, old: str) -> Message:
    return one_line(
        f":white_check_mark: Marketing SLA set: {new} (was {old}). `/sla-status marketing` "
        "measures the pace against it from now on."
    )


def sales_sla_set_message(*, new: str, old: str, kept: list[str], recomputing: bool) -> Message:
    unchanged = f" Kept as they were: {', '.join(kept)}." if kept else ""
    after = (
        " Every lead's next touch due is being recomputed for the new cadence; on a large "
        "store that takes a moment."
        if recomputing
        else ""
    )
    return one_line(f":white_check_mark: Sales SLA set: {new} (was {old}).{unchanged}{after}")


def unchanged_message(line: str) -> Message:
    return one_line(f":information_source: {line}; nothing was changed.")


def manager_set_message(*, rep_id: str, manager_id: str | None, old: str | None) -> Message:
    if manager_id is None:
        return one_line(
            f":white_check_mark: <@{rep_id}> has no manager now (was <@{old}>): their overdue "
            "follow-ups escalate to no one until an admin sets one."
        )
    was = f" (was <@{old}>)" if old else ""
    return one_line(
        f":white_check_mark: <@{rep_id}> reports to <@{manager_id}>{was}: follow-ups "
        f"<@{rep_id}> misses now escalate to <@{manager_id}>."
    )
