"""Nudges to reps and escalations to managers in Block Kit (DESIGN §3): one message per person,
each overdue lead with what is missing and since when, and buttons to act on it right there."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    UserSelectElement,
)
from slack_sdk.models.views import View

from blocks.format import escape, shown, slack_date
from blocks.message import Message
from domain.cadence import SalesSla, is_overdue
from domain.follow_up import SHOWN_IN_FULL, Escalation, FollowUpLead, FreshLead, Nudge, Snooze
from domain.lead_record import Lead

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


def actions_block_id(external_id: str) -> str:
    """The block holding a lead's buttons, right under its section."""
    return f"act:{external_id}"[:255]


def lead_label(external_id: str, name: str | None, company: str | None) -> str:
    """`*L-1001* · Jane Doe, Acme`: how a nudge names a lead."""
    who = name or company
    text = f"*{shown(external_id, _ID_MAX)}*"
    if who:
        text += f" · {shown(who, _ID_MAX)}"
    if name and company:
        text += f", {shown(company, _ID_MAX)}"
    return text


def _label(lead: FollowUpLead) -> str:
    return lead_label(lead.external_id, lead.name, lead.company)


def lead_line(lead: FollowUpLead, *, sla: SalesSla) -> str:
    return (
        f"{_label(lead)} · {lead.grade} · {lead.touches} of {sla.touches} touches · "
        f"overdue since {slack_date(lead.next_touch_due)}"
    )


def _buttons(external_id: str, value: str) -> ActionsBlock:
    """A lead's buttons under its line: the nudge's own, handled by the same listeners."""
    return ActionsBlock(
        block_id=actions_block_id(external_id),
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
                text=PlainTextObject(text="Reject…"), action_id=REJECT, value=value, style="danger"
            ),
        ],
    )


def speed_message(lead: FreshLead) -> Message:
    """Speed to lead: who the new sales-ready lead is, why it is sales-ready, and the first
    touch a click away."""
    label = lead_label(lead.external_id, lead.name, lead.company)
    why = [
        f"fit {lead.fit}" if lead.fit is not None else "",
        f"interest {lead.interest}" if lead.interest is not None else "",
    ]
    why += [
        f"source {shown(lead.source, _ID_MAX)}" if lead.source else "",
        f"campaign {shown(lead.campaign, _ID_MAX)}" if lead.campaign else "",
    ]
    due = f" First touch due {slack_date(lead.first_touch_due)}." if lead.first_touch_due else ""
    line = (
        f":zap: New sales-ready lead for you: {label}\n"
        f"Sales-ready: {' · '.join(part for part in why if part)}.{due}"
    )
    return Message(
        text=f"New sales-ready lead: {lead.external_id}. Call while it is warm.",
        blocks=[
            SectionBlock(
                block_id=block_id(lead.external_id), text=MarkdownTextObject(text=_fit(line))
            ),
            _buttons(lead.external_id, f"0:{lead.external_id}"),
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"`/lead {shown(lead.external_id, _ID_MAX)}` for its timeline. "
                        "The odds of qualifying a web lead drop about 7x after the first hour."
                    )
                ]
            ),
        ],
    )


def duplicate_message(duplicate: Lead, original: Lead) -> Message:
    """A duplicate's owner is told once which lead it duplicates and whose that one is."""
    label = lead_label(duplicate.external_id, duplicate.name, duplicate.company)
    first = lead_label(original.external_id, original.name, original.company)
    whose = f"<@{original.owner_id}>" if original.owner_id else "nobody yet (unassigned)"
    line = (
        f":busts_in_silhouette: {label} duplicates {first}, owned by {whose}.\n"
        "It is not on your cadence: no nudges, no escalations. A touch you log on it counts "
        f"on {shown(original.external_id, _ID_MAX)}."
    )
    return Message(
        text=f"{duplicate.external_id} duplicates {original.external_id}: work that one.",
        blocks=[
            SectionBlock(
                block_id=block_id(duplicate.external_id), text=MarkdownTextObject(text=_fit(line))
            ),
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"`/lead {shown(original.external_id, _ID_MAX)}` for its timeline."
                    )
                ]
            ),
        ],
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
    return [
        SectionBlock(
            block_id=block_id(lead.external_id),
            text=MarkdownTextObject(text=lead_line(lead, sla=sla)),
            accessory=menu,
        ),
        _buttons(lead.external_id, lead_value(lead)),
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


ESCALATION_REMIND = "escalation_remind"  # a button: the value is the rep's user id
ESCALATION_LEAD = "escalation_lead"  # an overflow menu: "<open|reassign>:<lead id>"
ESCALATION_LEAD_ACTIONS = {"open": "Open the lead", "reassign": "Reassign…"}
REPS_IN_ESCALATION = 5  # reps shown with their leads; the rest are counted
TOP_LEADS = 3  # each rep's longest overdue leads shown, each with its menu


def escalation_lead_menu(external_id: str) -> OverflowMenuElement:
    return OverflowMenuElement(
        action_id=ESCALATION_LEAD,
        options=[
            Option(text=PlainTextObject(text=label), value=f"{action}:{external_id}"[:150])
            for action, label in ESCALATION_LEAD_ACTIONS.items()
        ],
    )


ESCALATION_REASSIGN = "escalation_reassign"  # the reassign modal
REASSIGN_BLOCK, REASSIGN_TO = "reassign_to", "rep"


def reassign_modal(*, label: str, metadata: str) -> View:
    """Reassign a lead from an escalation: pick the rep it goes to."""
    return View(
        type="modal",
        callback_id=ESCALATION_REASSIGN,
        title=PlainTextObject(text="Reassign a lead"),
        submit=PlainTextObject(text="Reassign"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"{label} goes to the rep you pick; their cadence starts now."[:2900]
                )
            ),
            InputBlock(
                block_id=REASSIGN_BLOCK,
                label=PlainTextObject(text="New owner"),
                element=UserSelectElement(
                    action_id=REASSIGN_TO, placeholder=PlainTextObject(text="Pick a rep")
                ),
            ),
        ],
    )


def lead_modal(message: Message) -> View:
    """A lead's card (what `/lead ID` answers) in a modal, opened from an escalation."""
    return View(
        type="modal",
        title=PlainTextObject(text="Lead"),
        close=PlainTextObject(text="Close"),
        blocks=message.blocks[:100],
    )


def parse_escalation_lead(value: str) -> tuple[str, str] | None:
    """(open|reassign, lead id) a menu option stands for; None for one this app never drew."""
    action, sep, external_id = value.partition(":")
    if not sep or action not in ESCALATION_LEAD_ACTIONS or not external_id:
        return None
    return action, external_id


def reminder_message(manager_id: str, nudge: Nudge, total: int, sla: SalesSla) -> Message:
    """What a rep gets when their manager presses *Remind*: who asks, and the nudge itself."""
    asked = f":wave: <@{manager_id}> asks you to follow up on your {_plural(total, 'overdue lead')}"
    nudge_part = nudge_message(nudge, sla=sla)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=asked))]
    blocks.extend(nudge_part.blocks[1:])  # the nudge's leads and buttons, without its title
    more = total - len(nudge.overdue)
    if more > 0 and not nudge.more:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f"…and {more:,} more: `/lead mine` lists them.")]
            )
        )
    return Message(text=asked.replace(":wave: ", ""), blocks=blocks)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def escalation_message(
    escalation: Escalation, *, sla: SalesSla, escalate_after_hours: int
) -> Message:
    """A manager's (or admin's) reps with leads overdue past the limit: per rep, most overdue
    first, a line with a *Remind* button and their longest overdue leads, each with a menu to
    open or reassign it; the rest counted, a command away."""
    count = len(escalation.leads)
    reason = (
        "they have no manager Slack can reach (set one with `/smarketing manager @rep @manager`)"
        if escalation.to_admin
        else f"overdue more than {escalate_after_hours} h, or snoozed three times"
    )
    reps = sorted(escalation.reps, key=lambda rep: (-len(rep.leads), rep.rep_id))
    title = (
        f":rotating_light: {_plural(len(reps), 'rep')} "
        f"{'has' if len(reps) == 1 else 'have'} {_plural(count, 'lead')} past the follow-up limit"
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{title}*")),
        ContextBlock(elements=[MarkdownTextObject(text=f"Escalated to you because {reason}.")]),
    ]
    for rep in reps[:REPS_IN_ESCALATION]:
        oldest = min(lead.next_touch_due for lead in rep.leads)
        why = " · no manager Slack can reach" if rep.unmanaged and not escalation.to_admin else ""
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*<@{rep.rep_id}>* · {len(rep.leads):,} overdue, the oldest since "
                    f"{slack_date(oldest)}{why}"
                ),
                accessory=ButtonElement(
                    text=PlainTextObject(text="Remind"),
                    action_id=ESCALATION_REMIND,
                    value=rep.rep_id,
                ),
            )
        )
        for lead in rep.leads[:TOP_LEADS]:
            line = (
                f"{_label(lead)} · {lead.touches} of {sla.touches} touches · overdue since "
                f"{slack_date(lead.next_touch_due)}"
            )
            blocks.append(
                SectionBlock(
                    text=MarkdownTextObject(text=_fit(line)),
                    accessory=escalation_lead_menu(lead.external_id),
                )
            )
        more = len(rep.leads) - TOP_LEADS
        if more > 0:
            blocks.append(
                ContextBlock(
                    elements=[
                        MarkdownTextObject(
                            text=f"…and {more:,} more of <@{rep.rep_id}>'s: `/sla-status team`"
                        )
                    ]
                )
            )
    rest = reps[REPS_IN_ESCALATION:]
    if rest:
        leads_left = sum(len(rep.leads) for rep in rest)
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"…and {_plural(len(rest), 'more rep')} with "
                        f"{_plural(leads_left, 'lead')}: `/sla-status team`"
                    )
                ]
            )
        )
    plain = title.replace(":rotating_light: ", "")
    return Message(text=plain, blocks=blocks)


def _fit(text: str, limit: int = 3000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- after a button is pressed

_LOGGED = {"call": "Call", "email": "E-mail", "meeting": "Meeting", "social": "Social"}
_REASON_SHOWN = 300


def touch_logged_note(
    channel: str,
    *,
    touches: int,
    next_touch_due: datetime | None,
    sla: SalesSla,
    now: datetime,
) -> str:
    """`✓ Call logged by you — 3 of 6 touches.` and where the lead stands now."""
    done = (
        f":white_check_mark: {_LOGGED.get(channel, 'Touch')} logged by you — "
        f"{touches} of {sla.touches} touches."
    )
    if next_touch_due is None:
        return f"{done} All {sla.touches} are in: the SLA is met for this lead."
    if is_overdue(next_due=next_touch_due, now=now):
        return f"{done} Touch {touches + 1} was due {slack_date(next_touch_due)}: still overdue."
    return f"{done} Next touch due {slack_date(next_touch_due)}."


def already_logged_note(*, touches: int, sla: SalesSla) -> str:
    return (
        ":white_check_mark: That touch was already logged from this message, so nothing was "
        f"logged twice: {touches} of {sla.touches} touches."
    )


def moved_on_note(external_id: str, *, touches: int, sla: SalesSla) -> str:
    return (
        f":information_source: This lead has moved on since this message (now {touches} of "
        f"{sla.touches} touches), so nothing was logged. To log another touch: "
        f"`/lead touch {shown(external_id, _ID_MAX)} call`."
    )


def snoozed_note(until: datetime, *, escalation: str | None = None) -> str:
    note = f":zzz: Snoozed by you until {slack_date(until)}: no nudge about it before then."
    return f"{note} {escalation}" if escalation else note


def snooze_escalation_note(snoozes: int, *, recipient: str | None, to_admin: bool) -> str:
    """What the third (or later) snooze of a lead sets off: the next escalation run sends it."""
    if recipient is None:
        return (
            f"It has been snoozed {snoozes} times, which escalates it, but its rep has no "
            "manager and no admin is set to hear about it (`/smarketing manager @rep @manager`)."
        )
    who = f"<@{recipient}>"
    if to_admin:
        who = f"an admin ({who}), as its rep has no manager,"
    return f"It has been snoozed {snoozes} times, so {who} hears about it with the next escalation."


def already_snoozed_note(until: datetime) -> str:
    return (
        f":zzz: Already snoozed until {slack_date(until)}, so nothing changed; it can be "
        "snoozed again once that has passed."
    )


def rejected_note(reason: str) -> str:
    return (
        f":no_entry_sign: Rejected by you: {shown(reason, _REASON_SHOWN)}. The lead is closed; "
        "marketing sees the reason."
    )


def not_allowed_note(owner_id: str | None, *, action: str, nothing: str) -> str:
    whose = f"<@{owner_id}>'s lead" if owner_id else "not assigned to you"
    return (
        f":no_entry: This lead is {whose}: only its owner, a manager or an admin can {action} "
        f"it. {nothing}"
    )


def refused_note(reason: str, *, nothing: str) -> str:
    return f":no_entry: {reason}. {nothing}"


def unknown_person_note(error: str, *, nothing: str) -> str:
    return f":warning: Slack did not say who you are ({escape(error)}). {nothing} Try again soon."


def no_such_lead_note(external_id: str, *, nothing: str) -> str:
    return f":warning: No lead has the id *{shown(external_id, _ID_MAX)}*. {nothing}"


def acted_message(
    blocks: Sequence[Mapping[str, Any]],
    *,
    external_id: str,
    label: str | None,
    note: str,
    keep_buttons: bool = False,
) -> list[dict[str, Any]] | None:
    """The nudge as Slack showed it, with one lead's part saying what was done and its buttons
    gone (`keep_buttons` for a try that may be repeated); every other block as it was. None
    when the message has no part for this lead."""
    section_id, actions_id = block_id(external_id), actions_block_id(external_id)
    if not any(raw.get("block_id") == section_id for raw in blocks):
        return None
    redrawn: list[dict[str, Any]] = []
    for raw in blocks:
        if raw.get("block_id") == section_id:
            line = str((raw.get("text") or {}).get("text", "")).split("\n", 1)[0]
            if keep_buttons:
                text = MarkdownTextObject(text=_fit(f"{line}\n{note}"))
                redrawn.append({**raw, "text": text.to_dict()})
            else:
                section = SectionBlock(
                    block_id=section_id,
                    text=MarkdownTextObject(text=_fit(f"{label or line}\n{note}")),
                )
                redrawn.append(section.to_dict())
        elif raw.get("block_id") != actions_id or keep_buttons:
            redrawn.append(dict(raw))
    return redrawn


# ---------------------------------------------------------------- the reject modal

REASON_BLOCK = "reject_reason"
REASON_CHOICE = "reason_choice"
OWN_REASON_BLOCK = "reject_own_reason"
OWN_REASON_TEXT = "reason_text"
REASON_MISSING = "Choose a reason, or write one below."


def reject_modal(*, label: str, metadata: str, max_length: int) -> View:
    """Why the lead is rejected: one of the common reasons, or the rep's own words."""
    return View(
        type="modal",
        callback_id=REJECT_MODAL,
        title=PlainTextObject(text="Reject a lead"),
        submit=PlainTextObject(text="Reject"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=_fit(f"Why is {label} not a lead to work? Marketing sees the reason.")
                )
            ),
            InputBlock(
                block_id=REASON_BLOCK,
                optional=True,
                label=PlainTextObject(text="A common reason"),
                element=RadioButtonsElement(
                    action_id=REASON_CHOICE,
                    options=[
                        Option(text=PlainTextObject(text=reason), value=reason)
                        for reason in REJECT_REASONS
                    ],
                ),
            ),
            InputBlock(
                block_id=OWN_REASON_BLOCK,
                optional=True,
                label=PlainTextObject(text="Or in your own words"),
                hint=PlainTextObject(text="What you write here is the reason given."),
                element=PlainTextInputElement(
                    action_id=OWN_REASON_TEXT, multiline=True, max_length=max_length
                ),
            ),
        ],
    )


def reject_reason(values: Mapping[str, Any]) -> str | None:
    """The reason a submitted modal gives: the rep's own words when written, else the common
    reason chosen; None when neither."""
    own = ((values.get(OWN_REASON_BLOCK) or {}).get(OWN_REASON_TEXT) or {}).get("value")
    if isinstance(own, str) and own.strip():
        return own.strip()
    chosen = ((values.get(REASON_BLOCK) or {}).get(REASON_CHOICE) or {}).get("selected_option")
    value = (chosen or {}).get("value")
    return value if value in REJECT_REASONS else None
