"""Nudges to reps and escalations to managers in Block Kit (DESIGN §3): one message per person,
each overdue lead with what is missing and since when, and buttons to act on it right there."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    SectionBlock,
)

from bot.views.format import slack_date
from bot.views.lead import escape, shown
from bot.views.messages import Message
from domain.cadence import SalesSla
from domain.follow_up import SHOWN_IN_FULL, Escalation, FollowUpLead, Nudge, Snooze

# Action ids of the nudge's buttons; the value is "<touches shown>:<lead id>" (see `lead_value`).
LOG_CALL = "nudge_log_call"
LOG_EMAIL = "nudge_log_email"
SNOOZE = "nudge_snooze"  # an overflow menu: the option's value is "<snooze>:<lead id>"
REJECT = "nudge_reject"  # opens the reject modal
REJECT_MODAL = "nudge_reject_modal"
REJECT_REASONS = ("no budget", "wrong persona", "not a real lead", "already a customer")
_ID_MAX = 80


def lead_value(lead: FollowUpLead) -> str:
    """A button's value: the touches the lead had when the message was built, and its id, so a
    click on a stale message (the lead moved on) logs nothing twice."""
    return f"{lead.touches}:{lead.external_id}"


def parse_lead_value(value: str) -> tuple[str, int] | None:
    count, sep, external_id = value.partition(":")
    if not sep or not external_id or not count.isdigit():
        return None
    return external_id, int(count)


def snooze_value(snooze: Snooze, external_id: str) -> str:
    return f"{snooze.value}:{external_id}"


def parse_snooze_value(value: str) -> tuple[Snooze, str] | None:
    kind, sep, external_id = value.partition(":")
    if not sep or not external_id or kind not in {s.value for s in Snooze}:
        return None
    return Snooze(kind), external_id


def block_id(external_id: str) -> str:
    return f"lead:{external_id}"[:255]


def _label(lead: FollowUpLead) -> str:
    who = lead.name or lead.company
    text = f"*{escape(shown(lead.external_id, _ID_MAX))}*"
    if who:
        text += f" · {escape(shown(who, _ID_MAX))}"
    if lead.name and lead.company:
        text += f", {escape(shown(lead.company, _ID_MAX))}"
    return text


def lead_line(lead: FollowUpLead, *, sla: SalesSla) -> str:
    return (
        f"{_label(lead)} · {lead.grade} · {lead.touches} of {sla.touches} touches · "
        f"overdue since {slack_date(lead.next_touch_due)}"
    )


def _lead_blocks(lead: FollowUpLead, *, sla: SalesSla) -> list[Block]:
    menu = OverflowMenuElement(
        action_id=SNOOZE,
        options=[
            Option(
                text=PlainTextObject(text=f"Snooze {snooze.label}"),
                value=snooze_value(snooze, lead.external_id),
            )
            for snooze in Snooze
        ],
    )
    value = lead_value(lead)
    return [
        SectionBlock(
            block_id=block_id(lead.external_id),
            text=MarkdownTextObject(text=lead_line(lead, sla=sla)),
            accessory=menu,
        ),
        ActionsBlock(
            block_id=f"act:{lead.external_id}"[:255],
            elements=[
                ButtonElement(
                    text=PlainTextObject(text="Log a call"),
                    action_id=LOG_CALL,
                    value=value,
                    style="primary",
                ),
                ButtonElement(
                    text=PlainTextObject(text="Log an e-mail"), action_id=LOG_EMAIL, value=value
                ),
                ButtonElement(
                    text=PlainTextObject(text="Reject…"),
                    action_id=REJECT,
                    value=value,
                    style="danger",
                ),
            ],
        ),
    ]


def nudge_message(nudge: Nudge, *, sla: SalesSla) -> Message:
    """The rep's overdue leads, most overdue first (ten in full), and the touches due today."""
    count = len(nudge.overdue)
    if count:
        verb = "is" if count == 1 else "are"
        title = f":alarm_clock: {count} of your leads {verb} overdue for a touch"
    else:
        title = ":sunrise: Your follow-ups today"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=f"*{title}*"))]
    for lead in nudge.shown:
        blocks.extend(_lead_blocks(lead, sla=sla))
    if nudge.more:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"…and {nudge.more:,} more overdue: see them all with `/lead mine`."
                    )
                ]
            )
        )
    if nudge.due_today:
        lines = [
            f"• {_label(lead)} · touch {lead.touches + 1} due {slack_date(lead.next_touch_due)}"
            for lead in nudge.due_today[:SHOWN_IN_FULL]
        ]
        extra = len(nudge.due_today) - SHOWN_IN_FULL
        if extra > 0:
            lines.append(f"…and {extra:,} more: `/lead mine`")
        blocks.append(DividerBlock())
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text="*Due later today*\n" + "\n".join(lines)))
        )
    text = title if count else f"{len(nudge.due_today)} touches due today"
    return Message(text=text.replace(":alarm_clock: ", "").replace(":sunrise: ", ""), blocks=blocks)


def escalation_message(
    escalation: Escalation, *, sla: SalesSla, escalate_after_hours: int
) -> Message:
    """A manager's (or admin's) reps with leads overdue past the limit, grouped by rep."""
    count = len(escalation.leads)
    reason = (
        "they have no manager set (`/smarketing manager @rep @manager`)"
        if escalation.to_admin
        else f"overdue more than {escalate_after_hours} h, or snoozed three times"
    )
    title = (
        f":rotating_light: {count} lead{'s' if count != 1 else ''} of "
        f"{len(escalation.reps)} rep{'s' if len(escalation.reps) != 1 else ''} need a follow-up"
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{title}*")),
        ContextBlock(elements=[MarkdownTextObject(text=f"Escalated to you because {reason}.")]),
    ]
    budget = 45  # Slack allows 50 blocks; two per rep at most
    for rep in escalation.reps:
        if len(blocks) + 2 > budget:
            left = sum(len(r.leads) for r in escalation.reps[escalation.reps.index(rep) :])
            blocks.append(
                ContextBlock(elements=[MarkdownTextObject(text=f"…and {left:,} more leads.")])
            )
            break
        lines = [f"• {lead_line(lead, sla=sla)}" for lead in rep.leads[:SHOWN_IN_FULL]]
        if len(rep.leads) > SHOWN_IN_FULL:
            lines.append(f"…and {len(rep.leads) - SHOWN_IN_FULL:,} more")
        text = f"*<@{rep.rep_id}>* · {len(rep.leads)} overdue\n" + "\n".join(lines)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_fit(text))))
    plain = title.replace(":rotating_light: ", "")
    return Message(text=plain, blocks=blocks)


def _fit(text: str, limit: int = 3000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
