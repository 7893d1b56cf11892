"""Acting on a lead from its nudge (issue 6): log a call or an e-mail, snooze it, or reject it.

Slack wants every press answered within 3 seconds, so each listener here acks at once and does
its work in a Bolt lazy listener, as App Home's buttons do (bot/home.py). Then the nudge is
redrawn with chat.update: the pressed lead's part says what was done and loses its buttons,
every other lead stays as Slack showed it. Last, the actor's App Home is published again.

Pressing twice does it once. A touch's event id is made from the lead and the touches the
button showed (bot/home.py `touch_event_id`, so the Home and a nudge name one touch alike); a
rejection's likewise; a snooze is not taken again while the lead is snoozed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import aiohttp
from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.follow_up import ZONE_FRESH_FOR, zone_named
from bot.home import publish_home, touch_event_id
from bot.ingest import ingest
from bot.rights import RightsUnknown, may_act_on_lead
from bot.services import Services
from bot.views import follow_up as views
from commands.lead import MAX_REASON, Channel, LeadRequest, event_for, refused
from domain.cadence import SalesSla
from domain.follow_up import SNOOZES_BEFORE_ESCALATION
from storage import follow_up, leads, members, workspace
from storage.models import FollowUp, Lead, Member

logger = logging.getLogger("smarketing.follow_up_actions")

_EVENT_ID_MAX = 255  # lead_event.event_id
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


@dataclass(frozen=True)
class _Found:
    lead: Lead | None
    sla: SalesSla
    logged: bool = False  # the event this press would store is in the log already


async def _find(
    services: Services, external_id: str, event_id: Callable[[Lead], str] | None = None
) -> _Found:
    def read() -> _Found:
        with services.db.session() as session:
            lead = leads.lead_by_external_id(session, external_id=external_id)
            logged = (
                lead is not None
                and event_id is not None
                and leads.event_logged(session, event_id=event_id(lead))
            )
            return _Found(lead=lead, sla=workspace.sales_sla(session), logged=logged)

    return await services.in_thread(read)


def _label(lead: Lead) -> str:
    return views.lead_label(lead.external_id, lead.name, lead.company)


async def _refusal(
    services: Services,
    user_id: str,
    found: _Found,
    *,
    external_id: str,
    action: str,
    nothing: str,
) -> Done | None:
    """Why this person may not act on this lead (DESIGN §3: its owner, a manager or an
    admin may), or None when they may."""
    lead = found.lead
    if lead is None:
        return Done(external_id, views.no_such_lead_note(external_id, nothing=nothing))
    try:
        allowed = await may_act_on_lead(services, user_id, lead.owner_id)
    except RightsUnknown as error:
        note = views.unknown_person_note(str(error), nothing=nothing)
        return Done(external_id, note, _label(lead), final=False)
    if not allowed:
        note = views.not_allowed_note(lead.owner_id, action=action, nothing=nothing)
        return Done(external_id, note, _label(lead))
    return None


@dataclass(frozen=True)
class _Pressed:
    """The lead a button stands for, found and allowed: what the press may act on."""

    external_id: str
    touches_shown: int
    found: _Found
    lead: Lead


async def _pressed(
    services: Services,
    user_id: str,
    value: str,
    *,
    event_id: Callable[[Lead, int], str] | None,
    action: str,
    nothing: str,
) -> _Pressed | Done:
    """Read a button's value, find its lead (and whether this press was stored already), and
    check the presser may act on it; a `Done` says why not."""
    parsed = views.parse_lead_value(value)
    if parsed is None:
        return Done(None, f":warning: That button is not one a nudge makes; {nothing.lower()}")
    external_id, touches_shown = parsed
    stored = None if event_id is None else (lambda lead: event_id(lead, touches_shown))
    found = await _find(services, external_id, stored)
    refusal = await _refusal(
        services, user_id, found, external_id=external_id, action=action, nothing=nothing
    )
    if refusal is not None:
        return refusal
    assert found.lead is not None  # _refusal said so otherwise
    return _Pressed(external_id, touches_shown, found, found.lead)


# ---------------------------------------------------------------------------- log a touch


async def log_touch(services: Services, *, user_id: str, value: str, channel: Channel) -> Done:
    """Log the touch a "Log a call" or "Log an e-mail" button stands for, once."""
    nothing = "Nothing was logged."
    pressed = await _pressed(
        services,
        user_id,
        value,
        event_id=lambda lead, shown: touch_event_id(lead, touches_shown=shown),
        action="log a touch on",
        nothing=nothing,
    )
    if isinstance(pressed, Done):
        return pressed
    external_id, touches_shown, found, lead = (
        pressed.external_id,
        pressed.touches_shown,
        pressed.found,
        pressed.lead,
    )
    if found.logged:
        note = views.already_logged_note(touches=lead.touches, sla=found.sla)
        return Done(external_id, note, _label(lead))
    request = LeadRequest(action="touch", external_id=external_id, channel=channel)
    reason = refused(request, lead)
    if reason is not None:
        return Done(external_id, views.refused_note(reason, nothing=nothing), _label(lead))
    if lead.touches != touches_shown:
        note = views.moved_on_note(external_id, touches=lead.touches, sla=found.sla)
        return Done(external_id, note, _label(lead))
    event_id = touch_event_id(lead, touches_shown=touches_shown)
    now = services.clock.now()
    result = await ingest(
        services, [event_for(request, event_id=event_id, now=now)], origin="slack", actor_id=user_id
    )
    after = await _find(services, external_id)
    assert after.lead is not None  # a lead row is never deleted
    if event_id in result.result.duplicates:  # a press that came in at the same moment
        note = views.already_logged_note(touches=after.lead.touches, sla=after.sla)
        return Done(external_id, note, _label(after.lead))
    note = views.touch_logged_note(
        channel,
        touches=after.lead.touches,
        next_touch_due=after.lead.next_touch_due,
        sla=after.sla,
        now=now,
    )
    return Done(external_id, note, _label(after.lead))


# ---------------------------------------------------------------------------- snooze


@dataclass(frozen=True)
class _Snoozed:
    taken: bool  # False: it was snoozed already, nothing changed
    until: datetime
    snoozes: int
    escalated: bool  # its rep's manager has heard of this breach already
    manager_id: str | None


def _snooze_in(session: Session, *, lead: Lead, until: datetime, now: datetime) -> _Snoozed:
    # Locked on PostgreSQL, so of two presses at once the second sees the first's snooze.
    record = session.get(FollowUp, lead.external_id, with_for_update=True)
    manager = members.manager_of(session, lead.owner_id) if lead.owner_id else None
    escalated = (
        record is not None
        and lead.next_touch_due is not None
        and record.escalated_since == lead.next_touch_due
    )
    if record is not None and record.snoozed_until is not None and record.snoozed_until > now:
        return _Snoozed(False, record.snoozed_until, record.snoozes, escalated, manager)
    count = follow_up.snooze(session, lead_id=lead.external_id, until=until, at=now)
    return _Snoozed(True, until, count, escalated, manager)


def _snooze_once(services: Services, lead: Lead, until: datetime, now: datetime) -> _Snoozed:
    """One transaction; two first snoozes at once both insert the record, and the loser,
    tried again, finds the lead snoozed."""
    for attempt in (1, 2):
        try:
            with services.db.session() as session:
                return _snooze_in(session, lead=lead, until=until, now=now)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def zone_of(services: Services, person: str, *, now: datetime) -> tzinfo:
    """The person's time zone: the members table's while fresh (each nudge run keeps it so),
    else `users.info`'s, remembered; when Slack cannot say, the last one known, or the
    workspace's."""

    def read() -> Member | None:
        with services.db.session() as session:
            return members.member(session, person)

    known = await services.in_thread(read)
    cached = zone_named(known.tz) if known is not None else None
    if known is not None and cached is not None and now - known.updated_at < ZONE_FRESH_FOR:
        return cached
    try:
        response = await services.client.users_info(user=person)
    except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError) as error:
        logger.warning("users.info for %s failed (%s): using the zone last known", person, error)
        return cached or services.settings.timezone
    tz_name = str((response.get("user") or {}).get("tz") or "")
    asked = zone_named(tz_name)
    if asked is None:
        return cached or services.settings.timezone

    def remember() -> None:
        with services.db.session() as session:
            members.upsert_member(session, slack_user_id=person, now=now, tz=tz_name)

    await services.in_thread(remember)
    return asked


async def snooze(services: Services, *, user_id: str, value: str) -> Done:
    """Leave the lead out of nudges until the time chosen (tomorrow 09:00 is in its rep's
    zone); the third snooze of a lead escalates it with the next escalation run."""
    parsed = views.parse_snooze_value(value)
    if parsed is None:
        return Done(None, ":warning: That snooze is not one a nudge offers; nothing changed.")
    kind, external_id = parsed
    nothing = "Nothing was snoozed."
    found = await _find(services, external_id)
    refusal = await _refusal(
        services, user_id, found, external_id=external_id, action="snooze", nothing=nothing
    )
    if refusal is not None:
        return refusal
    lead = found.lead
    assert lead is not None  # _refusal said so otherwise
    reason = refused(LeadRequest(action="snooze", external_id=external_id), lead)
    if reason is not None:
        return Done(external_id, views.refused_note(reason, nothing=nothing), _label(lead))
    now = services.clock.now()
    zone = await zone_of(services, lead.owner_id or user_id, now=now)
    until = kind.until(now, zone)
    snoozed = await services.in_thread(_snooze_once, services, lead, until, now)
    if not snoozed.taken:
        return Done(external_id, views.already_snoozed_note(snoozed.until), _label(lead))
    escalation = None
    overdue = lead.next_touch_due is not None and lead.next_touch_due <= now
    if snoozed.snoozes >= SNOOZES_BEFORE_ESCALATION and overdue and not snoozed.escalated:
        # Whom plan_escalations will send it to: the rep's manager, else the first admin.
        admins = sorted(services.settings.smarketing_admins)
        recipient = snoozed.manager_id or (admins[0] if admins else None)
        escalation = views.snooze_escalation_note(
            snoozed.snoozes, recipient=recipient, to_admin=snoozed.manager_id is None
        )
    return Done(external_id, views.snoozed_note(until, escalation=escalation), _label(lead))


# ---------------------------------------------------------------------------- reject


def reject_event_id(lead: Lead, *, touches_shown: int) -> str:
    """The id of the rejection a nudge's Reject button stands for: one per assignment of the
    lead and touches shown, however many times the modal is submitted or opened again."""
    assigned = int(lead.assigned_at.timestamp()) if lead.assigned_at else "unassigned"
    event_id = f"slack:nudge:{lead.external_id}:{assigned}:reject-after-{touches_shown}"
    if len(event_id) <= _EVENT_ID_MAX:
        return event_id
    return "slack:nudge:" + hashlib.sha256(event_id.encode()).hexdigest()


async def check_reject(services: Services, *, user_id: str, value: str) -> Done | str:
    """Before the modal opens: why this lead cannot be rejected by this person, or its label
    for the modal."""
    nothing = "Nothing was rejected."
    pressed = await _pressed(
        services, user_id, value, event_id=None, action="reject", nothing=nothing
    )
    if isinstance(pressed, Done):
        return pressed
    external_id, lead = pressed.external_id, pressed.lead
    reason = refused(LeadRequest(action="reject", external_id=external_id), lead)
    if reason is not None:
        return Done(external_id, views.refused_note(reason, nothing=nothing), _label(lead))
    return _label(lead)


async def reject(services: Services, *, user_id: str, value: str, reason: str) -> Done:
    """Store the rejection with its reason, once."""
    nothing = "Nothing was rejected."
    pressed = await _pressed(
        services,
        user_id,
        value,
        event_id=lambda lead, shown: reject_event_id(lead, touches_shown=shown),
        action="reject",
        nothing=nothing,
    )
    if isinstance(pressed, Done):
        return pressed
    external_id, touches_shown, found, lead = (
        pressed.external_id,
        pressed.touches_shown,
        pressed.found,
        pressed.lead,
    )
    if found.logged:
        return Done(external_id, views.rejected_note(lead.reject_reason or reason), _label(lead))
    request = LeadRequest(action="reject", external_id=external_id, reason=reason)
    why = refused(request, lead)
    if why is not None:
        return Done(external_id, views.refused_note(why, nothing=nothing), _label(lead))
    event_id = reject_event_id(lead, touches_shown=touches_shown)
    now = services.clock.now()
    try:
        event = event_for(request, event_id=event_id, now=now)
    except ValidationError as error:
        problem = error.errors()[0]["msg"] if error.errors() else "is not valid"
        note = f":warning: That reason cannot be stored: {problem}. {nothing}"
        return Done(external_id, note, _label(lead), final=False)
    await ingest(services, [event], origin="slack", actor_id=user_id)
    after = await _find(services, external_id)
    assert after.lead is not None  # a lead row is never deleted
    # A second submission at the same moment was stored as a duplicate: the reason is the
    # first's either way.
    note = views.rejected_note(after.lead.reject_reason or reason)
    return Done(external_id, note, _label(after.lead))


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
