"""Acting on a lead from its nudge (issue 6): log a call or an e-mail, snooze it, or reject it.

Slack wants every press answered within 3 seconds, so each listener here acks at once and does
its work in a Bolt lazy listener, as App Home's buttons do (bot/listeners/home_tab.py). Then the
nudge is redrawn with chat.update: the pressed lead's part says what was done and loses its
buttons, every other lead stays as Slack showed it. Last, the actor's App Home is published
again.

Pressing twice does it once. A touch's event id is made from the lead and the touches the button
showed (bot/listeners/home_tab.py `touch_event_id`, so the Home and a nudge name one touch
alike); a rejection's likewise; a snooze is not taken again while the lead is snoozed.
"""

from __future__ import annotations

import base64
import json
import logging
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks import nudge_message as views
from blocks.lead_message import refusal_text
from bot.listeners.home_tab import publish_home
from domain.lead_record import Lead
from services import lead_changes, snoozes
from services.context import Services
from services.lead_changes import (
    MAX_REASON,
    Channel,
    LeadChange,
    Outcome,
    Result,
    reject_event_id,
    touch_event_id,
)

logger = logging.getLogger("smarketing.nudge_buttons")

_METADATA_MAX = 3000  # Slack's limit on a view's private_metadata


@dataclass(frozen=True)
class Done:
    """What a press did to one lead, as that lead's part of the nudge will say it."""

    external_id: str | None  # None: the press named no lead this bot knows how to find
    note: str
    label: str | None = None  # the lead as the nudge names it, now
    final: bool = True  # False: nothing happened and a second try may work: buttons stay


@dataclass(frozen=True)
class Where:
    """The message a button was pressed on, as Slack sent it with the press."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] | None


def where_pressed(body: Mapping[str, Any]) -> Where | None:
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or message.get("ts")
    if not channel or not ts:
        return None
    blocks = message.get("blocks")
    return Where(
        channel=str(channel),
        ts=str(ts),
        text=str(message.get("text") or ""),
        blocks=list(blocks) if isinstance(blocks, list) else None,
    )


@dataclass(frozen=True)
class ModalContext:
    """What the reject modal carries from the press to the submission (`private_metadata`):
    the button's value and the nudge it was on. The nudge's blocks ride along packed when they
    fit Slack's 3,000 characters: Slack lets no one press the message while its modal is open,
    so they are still the message's blocks on submission. When they do not fit, the outcome
    comes as a note under the nudge instead."""

    value: str
    where: Where | None

    def encode(self) -> str:
        if self.where is None:
            return json.dumps({"v": self.value})
        where = self.where
        plain = {"v": self.value, "c": where.channel, "t": where.ts, "x": where.text[:300]}
        if where.blocks is not None:
            packed = zlib.compress(json.dumps(where.blocks, separators=(",", ":")).encode(), 9)
            full = json.dumps({**plain, "b": base64.b85encode(packed).decode()})
            if len(full) <= _METADATA_MAX:
                return full
        return json.dumps(plain)

    @classmethod
    def decode(cls, text: str) -> ModalContext | None:
        try:
            data = json.loads(text)
            value = str(data["v"])
            blocks = None
            if "b" in data:
                blocks = json.loads(zlib.decompress(base64.b85decode(data["b"])))
        except (ValueError, KeyError, TypeError, zlib.error):
            return None
        if not data.get("c") or not data.get("t"):
            return cls(value, None)
        where = Where(str(data["c"]), str(data["t"]), str(data.get("x") or ""), blocks)
        return cls(value, where)


# ---------------------------------------------------------------------------- reading


def _label(lead: Lead) -> str:
    return views.lead_label(lead.external_id, lead.name, lead.company)


def _stopped(outcome: Outcome, external_id: str, *, action: str, nothing: str) -> Done | None:
    """What the nudge says when the lead is not there, the presser may not act on it (DESIGN
    §3: its owner, a manager or an admin may), or it takes no such change; None otherwise."""
    lead = outcome.lead
    if lead is None:
        return Done(external_id, views.no_such_lead_note(external_id, nothing=nothing))
    match outcome.result:
        case Result.RIGHTS_UNKNOWN:
            note = views.unknown_person_note(outcome.detail, nothing=nothing)
            return Done(external_id, note, _label(lead), final=False)
        case Result.NOT_ALLOWED:
            note = views.not_allowed_note(lead.owner_id, action=action, nothing=nothing)
            return Done(external_id, note, _label(lead))
        case Result.REFUSED if outcome.refusal is not None:
            note = views.refused_note(refusal_text(outcome.refusal, lead), nothing=nothing)
            return Done(external_id, note, _label(lead))
    return None


def _not_a_nudge_button(nothing: str) -> Done:
    return Done(None, f":warning: That button is not one a nudge makes; {nothing.lower()}")


# ---------------------------------------------------------------------------- log a touch


@dataclass(frozen=True)
class _Applied:
    external_id: str
    outcome: Outcome
    lead: Lead


async def _apply(
    services: Services,
    *,
    user_id: str,
    value: str,
    change: Callable[[str], LeadChange],
    event_id: Callable[[Lead, int], str],
    moved_on_counts: bool,
    action: str,
    nothing: str,
) -> _Applied | Done:
    """The change a nudge's button stands for (its value names the lead and the touches it
    showed), stored once; a `Done` says why nothing was."""
    parsed = views.parse_lead_value(value)
    if parsed is None:
        return _not_a_nudge_button(nothing)
    external_id, shown = parsed
    outcome = await lead_changes.apply(
        services,
        change(external_id),
        actor_id=user_id,
        event_id=lambda lead: event_id(lead, shown),
        touches_shown=shown if moved_on_counts else None,
    )
    stopped = _stopped(outcome, external_id, action=action, nothing=nothing)
    if stopped is not None:
        return stopped
    assert outcome.lead is not None  # _stopped said so otherwise
    return _Applied(external_id, outcome, outcome.lead)


async def log_touch(services: Services, *, user_id: str, value: str, channel: Channel) -> Done:
    """Log the touch a "Log a call" or "Log an e-mail" button stands for, once."""
    applied = await _apply(
        services,
        user_id=user_id,
        value=value,
        change=lambda external_id: LeadChange("touch", external_id, channel=channel),
        event_id=lambda lead, shown: touch_event_id(lead, touches_shown=shown),
        moved_on_counts=True,
        action="log a touch on",
        nothing="Nothing was logged.",
    )
    if isinstance(applied, Done):
        return applied
    external_id, lead, sla = applied.external_id, applied.lead, applied.outcome.sla
    match applied.outcome.result:
        case Result.ALREADY_STORED:
            note = views.already_logged_note(touches=lead.touches, sla=sla)
        case Result.MOVED_ON:
            note = views.moved_on_note(external_id, touches=lead.touches, sla=sla)
        case _:
            note = views.touch_logged_note(
                channel,
                touches=lead.touches,
                next_touch_due=lead.next_touch_due,
                sla=sla,
                now=services.clock.now(),
            )
    return Done(external_id, note, _label(lead))


# ---------------------------------------------------------------------------- snooze


async def snooze(services: Services, *, user_id: str, value: str) -> Done:
    """Leave the lead out of nudges until the time chosen (tomorrow 09:00 is in its rep's
    zone); the third snooze of a lead escalates it with the next escalation run."""
    parsed = views.parse_snooze_value(value)
    if parsed is None:
        return Done(None, ":warning: That snooze is not one a nudge offers; nothing changed.")
    kind, external_id = parsed
    snoozed = await snoozes.snooze(services, actor_id=user_id, external_id=external_id, kind=kind)
    if isinstance(snoozed, Outcome):
        stopped = _stopped(snoozed, external_id, action="snooze", nothing="Nothing was snoozed.")
        assert stopped is not None  # a check that did not pass always says why
        return stopped
    label = _label(snoozed.lead)
    if not snoozed.taken:
        return Done(external_id, views.already_snoozed_note(snoozed.until), label)
    escalation = None
    if snoozed.escalates:
        escalation = views.snooze_escalation_note(
            snoozed.snoozes, recipient=snoozed.recipient, to_admin=snoozed.to_admin
        )
    return Done(external_id, views.snoozed_note(snoozed.until, escalation=escalation), label)


# ---------------------------------------------------------------------------- reject


async def check_reject(services: Services, *, user_id: str, value: str) -> Done | str:
    """Before the modal opens: why this lead cannot be rejected by this person, or its label
    for the modal."""
    nothing = "Nothing was rejected."
    parsed = views.parse_lead_value(value)
    if parsed is None:
        return _not_a_nudge_button(nothing)
    external_id, _ = parsed
    checked = await lead_changes.check(
        services, actor_id=user_id, external_id=external_id, action="reject"
    )
    stopped = _stopped(checked, external_id, action="reject", nothing=nothing)
    if stopped is not None:
        return stopped
    assert checked.lead is not None  # _stopped said so otherwise
    return _label(checked.lead)


async def reject(services: Services, *, user_id: str, value: str, reason: str) -> Done:
    """Store the rejection with its reason, once."""
    nothing = "Nothing was rejected."
    applied = await _apply(
        services,
        user_id=user_id,
        value=value,
        change=lambda external_id: LeadChange("reject", external_id, reason=reason),
        event_id=lambda lead, shown: reject_event_id(lead, touches_shown=shown),
        moved_on_counts=False,
        action="reject",
        nothing=nothing,
    )
    if isinstance(applied, Done):
        return applied
    external_id, lead = applied.external_id, applied.lead
    if applied.outcome.result is Result.INVALID:
        note = f":warning: That reason cannot be stored: {applied.outcome.detail}. {nothing}"
        return Done(external_id, note, _label(lead), final=False)
    # Stored now or before (a second submission, or one at the same moment): the reason is
    # the first's either way.
    return Done(external_id, views.rejected_note(lead.reject_reason or reason), _label(lead))


# ---------------------------------------------------------------------------- answering


async def show(services: Services, *, user_id: str, where: Where | None, done: Done) -> None:
    """Redraw the nudge with what was done to the lead; when the nudge cannot be redrawn
    (its blocks did not come along, or it has no part for the lead), say it under the nudge,
    to the actor alone."""
    blocks = None
    if where is not None and where.blocks is not None and done.external_id is not None:
        blocks = views.acted_message(
            where.blocks,
            external_id=done.external_id,
            label=done.label,
            note=done.note,
            keep_buttons=not done.final,
        )
    if where is None:
        logger.warning("a nudge action came without its message; %s was told nothing", user_id)
    elif blocks is not None:
        await services.client.chat_update(
            channel=where.channel, ts=where.ts, text=where.text, blocks=blocks
        )
    else:
        await services.client.chat_postEphemeral(
            channel=where.channel, user=user_id, text=done.note
        )


async def _logged(what: str, work: Awaitable[None]) -> None:
    """Bolt logs a lazy listener's failure without its traceback; this keeps the traceback."""
    try:
        await work
    except Exception:
        logger.exception("nudge action: %s failed", what)


async def _answer(services: Services, body: Mapping[str, Any], done: Done) -> None:
    user_id = str(body["user"]["id"])
    await show(services, user_id=user_id, where=where_pressed(body), done=done)
    await publish_home(services, user_id)


def register(app: AsyncApp, services: Services) -> None:
    async def ack_at_once(ack: AsyncAck) -> None:
        await ack()

    async def touch(body: dict[str, Any], action: dict[str, Any], channel: Channel) -> None:
        async def work() -> None:
            user_id = str(body["user"]["id"])
            value = str(action.get("value") or "")
            done = await log_touch(services, user_id=user_id, value=value, channel=channel)
            await _answer(services, body, done)

        await _logged(f"log a touch ({channel})", work())

    async def call_pressed(body: dict[str, Any], action: dict[str, Any]) -> None:
        await touch(body, action, "call")

    async def email_pressed(body: dict[str, Any], action: dict[str, Any]) -> None:
        await touch(body, action, "email")

    async def snooze_chosen(body: dict[str, Any], action: dict[str, Any]) -> None:
        async def work() -> None:
            value = str((action.get("selected_option") or {}).get("value") or "")
            done = await snooze(services, user_id=str(body["user"]["id"]), value=value)
            await _answer(services, body, done)

        await _logged("snooze", work())

    async def reject_pressed(body: dict[str, Any], action: dict[str, Any]) -> None:
        async def work() -> None:
            user_id = str(body["user"]["id"])
            value = str(action.get("value") or "")
            where = where_pressed(body)
            checked = await check_reject(services, user_id=user_id, value=value)
            if isinstance(checked, Done):
                await show(services, user_id=user_id, where=where, done=checked)
                return
            modal = views.reject_modal(
                label=checked,
                metadata=ModalContext(value, where).encode(),
                max_length=MAX_REASON,
            )
            await services.client.views_open(trigger_id=body["trigger_id"], view=modal)

        await _logged("open the reject modal", work())

    async def check_reason(ack: AsyncAck, view: dict[str, Any]) -> None:
        # Checked in the answer itself: Slack keeps the modal open and shows the error there.
        if views.reject_reason((view.get("state") or {}).get("values") or {}) is None:
            await ack(response_action="errors", errors={views.REASON_BLOCK: views.REASON_MISSING})
        else:
            await ack()

    async def reject_submitted(body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = views.reject_reason((view.get("state") or {}).get("values") or {})
        context = ModalContext.decode(str(view.get("private_metadata") or ""))
        if reason is None:
            return  # refused in the answer: the modal is still open
        if context is None:
            logger.warning("a reject modal came back without its lead; nothing was rejected")
            return
        user_id = str(body["user"]["id"])

        async def work() -> None:
            done = await reject(services, user_id=user_id, value=context.value, reason=reason)
            await show(services, user_id=user_id, where=context.where, done=done)
            await publish_home(services, user_id)

        await _logged("reject", work())

    app.action(views.LOG_CALL)(ack=ack_at_once, lazy=[call_pressed])
    app.action(views.LOG_EMAIL)(ack=ack_at_once, lazy=[email_pressed])
    app.action(views.SNOOZE)(ack=ack_at_once, lazy=[snooze_chosen])
    app.action(views.REJECT)(ack=ack_at_once, lazy=[reject_pressed])
    app.view(views.REJECT_MODAL)(ack=check_reason, lazy=[reject_submitted])
