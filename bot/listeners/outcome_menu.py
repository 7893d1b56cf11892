"""The outcome menu on a lead that needs one (App Home, `/lead mine`): won, lost, reject or
recycle, each through a modal asking what it needs, stored by `services.lead_changes` as the
slash command stores it. The result is said on the person's Home and, when the menu was on a
message, under it to them alone."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from decimal import Decimal, InvalidOperation
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks import outcome_message as views
from blocks.lead_message import lead_label, refusal_text
from bot.listeners.home_tab import publish_home
from services import lead_changes
from services.context import Services
from services.lead_changes import MAX_REASON, LeadChange, Result, outcome_event_id

logger = logging.getLogger("smarketing.outcomes")
NOTHING = "nothing was stored"
DONE_WORDS = {"won": "won", "lost": "lost", "reject": "rejected", "recycle": "recycled"}


async def check(services: Services, *, user_id: str, action: str, external_id: str) -> str | None:
    """Why this person cannot give this lead this outcome (a notice), or None."""
    checked = await lead_changes.check(
        services, actor_id=user_id, external_id=external_id, action=action
    )
    return _refusal(checked, external_id)


def _refusal(outcome: lead_changes.Outcome, external_id: str) -> str | None:
    lead = outcome.lead
    if lead is None:
        return f":warning: No lead has the id *{external_id[:80]}*; {NOTHING}."
    match outcome.result:
        case Result.RIGHTS_UNKNOWN:
            return f":warning: Slack did not say who you are ({outcome.detail}); {NOTHING}."
        case Result.NOT_ALLOWED:
            return (
                f":no_entry: {lead_label(lead)} is not yours: only its owner, a manager or an "
                f"admin can close it; {NOTHING}."
            )
        case Result.REFUSED if outcome.refusal is not None:
            return f":no_entry: {refusal_text(outcome.refusal, lead)}; {NOTHING}."
        case Result.INVALID:
            return f":warning: That cannot be stored: {outcome.detail}; {NOTHING}."
    return None


def amount_of(text: str) -> Decimal | None:
    """The amount a number input sent (Slack checked it is a number above zero)."""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount > 0 else None


def form_errors(action: str, values: dict[str, Any]) -> dict[str, str]:
    """What the modal must fix before it closes, by block."""
    errors = {}
    if (
        action == "won"
        and amount_of(views.submitted(values, views.AMOUNT_BLOCK, views.AMOUNT_TEXT)) is None
    ):
        errors[views.AMOUNT_BLOCK] = "Give the amount won, above zero, e.g. 12500"
    if action in {"reject", "recycle"} and not views.submitted(
        values, views.REASON_BLOCK, views.REASON_TEXT
    ):
        errors[views.REASON_BLOCK] = "Say why: marketing needs the reason"
    return errors


async def record(
    services: Services, *, user_id: str, action: str, external_id: str, values: dict[str, Any]
) -> str:
    """Store the outcome once (one per assignment of the lead, however often submitted); the
    notice says what became of it."""
    reason = views.submitted(values, views.REASON_BLOCK, views.REASON_TEXT) or None
    amount = amount_of(views.submitted(values, views.AMOUNT_BLOCK, views.AMOUNT_TEXT))
    outcome = await lead_changes.apply(
        services,
        LeadChange(action, external_id, reason=reason, amount=amount),
        actor_id=user_id,
        event_id=outcome_event_id,
    )
    refused = _refusal(outcome, external_id)
    if refused is not None:
        return refused
    assert outcome.lead is not None  # _refusal said so otherwise
    if outcome.result is Result.ALREADY_STORED:
        return f":information_source: {lead_label(outcome.lead)} already had its outcome."
    return f":white_check_mark: {lead_label(outcome.lead)} is {DONE_WORDS[action]}."


async def _logged(what: str, work: Awaitable[None]) -> None:
    """Bolt logs a lazy listener's failure without its traceback; this keeps the traceback."""
    try:
        await work
    except Exception:
        logger.exception("outcome: %s failed", what)


async def _say(services: Services, user_id: str, channel: str | None, notice: str) -> None:
    if channel:
        await services.client.chat_postEphemeral(channel=channel, user=user_id, text=notice)
    await publish_home(services, user_id, notice=notice)


def register(app: AsyncApp, services: Services) -> None:
    async def ack_at_once(ack: AsyncAck) -> None:
        await ack()

    async def chosen(body: dict[str, Any], action: dict[str, Any]) -> None:
        user_id = str(body["user"]["id"])
        parsed = views.parse_outcome_value(
            str((action.get("selected_option") or {}).get("value") or "")
        )
        channel = (body.get("container") or {}).get("channel_id") or (
            body.get("channel") or {}
        ).get("id")

        async def work() -> None:
            if parsed is None:
                await _say(
                    services, user_id, channel, f":warning: Not a menu this app made; {NOTHING}."
                )
                return
            outcome, external_id = parsed
            refused = await check(
                services, user_id=user_id, action=outcome, external_id=external_id
            )
            if refused is not None:
                await _say(services, user_id, channel, refused)
                return
            modal = views.outcome_modal(
                action=outcome,
                label=views.outcome_label(external_id, None),
                metadata=views.outcome_metadata(outcome, external_id, channel),
                max_reason=MAX_REASON,
            )
            await services.client.views_open(trigger_id=body["trigger_id"], view=modal)

        await _logged("open the outcome modal", work())

    async def check_form(ack: AsyncAck, view: dict[str, Any]) -> None:
        context = views.parse_outcome_metadata(str(view.get("private_metadata") or ""))
        values = (view.get("state") or {}).get("values") or {}
        errors = form_errors(context[0], values) if context else {}
        if errors:
            await ack(response_action="errors", errors=errors)
        else:
            await ack()

    async def submitted(body: dict[str, Any], view: dict[str, Any]) -> None:
        context = views.parse_outcome_metadata(str(view.get("private_metadata") or ""))
        values = (view.get("state") or {}).get("values") or {}
        if context is None:
            logger.warning("an outcome modal came back without its lead; %s", NOTHING)
            return
        if form_errors(context[0], values):
            return  # refused in the answer: the modal is still open
        action, external_id, channel = context
        user_id = str(body["user"]["id"])

        async def work() -> None:
            notice = await record(
                services, user_id=user_id, action=action, external_id=external_id, values=values
            )
            await _say(services, user_id, channel, notice)

        await _logged("record an outcome", work())

    app.action(views.OUTCOME_MENU)(ack=ack_at_once, lazy=[chosen])
    app.view(views.OUTCOME_MODAL)(ack=check_form, lazy=[submitted])
