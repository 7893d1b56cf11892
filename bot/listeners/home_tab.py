"""App Home: publishing each person's dashboard, and its "Log a touch" and "SLA details" buttons.

Slack wants every event and button acknowledged within 3 seconds. The app answers inside the
request (`process_before_response=True`), so each listener here acks at once and does its work
in a Bolt lazy listener, which runs as a task on the server's loop after the response is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View

from blocks import home_view as views
from blocks.format import shown
from blocks.home_view import LEADS_SHOWN
from blocks.lead_message import lead_label, refusal_text, touch_logged
from domain.cadence import SalesSla
from domain.home_summary import PERIODS, Scope
from domain.lead_record import Lead
from services import home, lead_changes
from services.context import Services
from services.lead_changes import LeadChange, Result, touch_event_id

logger = logging.getLogger("smarketing.home_tab")


async def publish_home(
    services: Services, user_id: str, *, notice: str | None = None, period: str | None = None
) -> None:
    """Build this person's Home from the store as it is now and publish it with views.publish;
    `period` is what the period switch chose for marketing's board (this month by default)."""
    page = await home.gather_home(
        services, user_id, notice=notice, limit=LEADS_SHOWN, period=period or PERIODS[0]
    )
    await services.client.views_publish(user_id=user_id, view=views.home_view(page))


# ---------------------------------------------------------------- "Log a touch"


def _already_logged(lead: Lead, *, sla: SalesSla) -> str:
    return (
        f":information_source: That touch on {lead_label(lead)} was already logged, so nothing "
        f"was logged twice: {lead.touches} of {sla.touches} touches."
    )


async def log_touch(services: Services, *, user_id: str, value: str) -> str:
    """Log the touch a "Log a touch" button stands for, once; the notice says what happened."""
    parsed = views.parse_touch_value(value)
    if parsed is None:
        return ":warning: That button is not one this Home makes; nothing was logged."
    external_id, touches_shown = parsed
    outcome = await lead_changes.apply(
        services,
        LeadChange(action="touch", external_id=external_id),
        actor_id=user_id,
        event_id=lambda lead: touch_event_id(lead, touches_shown=touches_shown),
        touches_shown=touches_shown,
    )
    lead, sla = outcome.lead, outcome.sla
    if lead is None:
        return f":warning: No lead has the id *{shown(external_id, 80)}*; nothing was logged."
    label = lead_label(lead)
    match outcome.result:
        case Result.RIGHTS_UNKNOWN:
            return (
                f":warning: Slack did not say who you are ({outcome.detail}), so nothing was "
                f"logged on {label}; try again shortly."
            )
        case Result.NOT_ALLOWED:
            whose = f"<@{lead.owner_id}>'s lead" if lead.owner_id else "not assigned to you"
            return (
                f":no_entry: {label} is {whose}: only its owner, a manager or an admin can log "
                "a touch on it. Nothing was logged."
            )
        case Result.ALREADY_STORED:
            return _already_logged(lead, sla=sla)
        case Result.REFUSED if outcome.refusal is not None:
            return f":no_entry: {refusal_text(outcome.refusal, lead)}. Nothing was logged."
        case Result.MOVED_ON:
            return (
                f":information_source: {label} has changed since this Home was drawn (now "
                f"{lead.touches} of {sla.touches} touches), so nothing was logged. If you "
                "made another touch, press its button again."
            )
    return ":white_check_mark: " + touch_logged(lead, sla=sla, now=services.clock.now()).text


# ---------------------------------------------------------------- "Assign to…"


async def assign_lead(
    services: Services,
    *,
    user_id: str,
    external_id: str,
    owner_id: str,
    action_ts: str,
    origin: str = "home",
) -> str:
    """Give a lead to the rep picked (on the Home, or in an escalation's reassign modal),
    once: Slack's retry names the same pick, `action_ts` (or the modal's id) the same press."""
    outcome = await lead_changes.apply(
        services,
        LeadChange(action="assign", external_id=external_id, owner_id=owner_id),
        actor_id=user_id,
        event_id=lambda lead: f"slack:{origin}:{lead.external_id}:assign:{owner_id}:{action_ts}",
    )
    lead = outcome.lead
    if lead is None:
        return f":warning: No lead has the id *{shown(external_id, 80)}*; nothing was assigned."
    label = lead_label(lead)
    match outcome.result:
        case Result.DONE | Result.ALREADY_STORED:
            return f":white_check_mark: {label} is now <@{lead.owner_id}>'s."
        case Result.RIGHTS_UNKNOWN:
            return (
                f":warning: Slack did not say who you are ({outcome.detail}), so {label} was "
                "not assigned; try again shortly."
            )
        case Result.NOT_ALLOWED:
            return ":no_entry: Only managers and admins hand leads to reps; nothing was assigned."
        case Result.REFUSED if outcome.refusal is not None:
            return f":no_entry: {refusal_text(outcome.refusal, lead)}. Nothing was assigned."
    return f":warning: {label} was not assigned: {outcome.detail}."


# ---------------------------------------------------------------- "Open SLA details"


async def sla_details(services: Services, *, user_id: str, scope: Scope) -> View:
    """The modal for one scope: the person's own leads, their team's, or marketing's side."""
    details = await home.sla_details(services, user_id=user_id, scope=scope, limit=LEADS_SHOWN)
    return views.sla_details_view(
        scope=details.scope, now=details.now, sales=details.sales, marketing=details.marketing
    )


# ---------------------------------------------------------------- wiring


async def _logged(what: str, work: Awaitable[None]) -> None:
    """Bolt logs a lazy listener's failure without its traceback; this keeps the traceback."""
    try:
        await work
    except Exception:
        logger.exception("App Home: %s failed", what)


def register(app: AsyncApp, services: Services) -> None:
    async def ack_at_once(ack: AsyncAck) -> None:
        await ack()

    async def publish_on_open(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to draw
        await _logged("publishing", publish_home(services, event["user"]))

    async def log_touch_clicked(body: dict[str, Any], action: dict[str, Any]) -> None:
        user_id = body["user"]["id"]

        async def work() -> None:
            notice = await log_touch(services, user_id=user_id, value=action.get("value") or "")
            await publish_home(services, user_id, notice=notice)

        await _logged("log a touch", work())

    async def sla_details_clicked(body: dict[str, Any], action: dict[str, Any]) -> None:
        async def work() -> None:
            scope = views.scope_of(action.get("value") or "")
            view = await sla_details(services, user_id=body["user"]["id"], scope=scope)
            await services.client.views_open(trigger_id=body["trigger_id"], view=view)

        await _logged("SLA details", work())

    async def assign_picked(body: dict[str, Any], action: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        external_id = views.assigned_lead_id(action.get("block_id") or "")
        picked = action.get("selected_user")

        async def work() -> None:
            if external_id is None or not picked:
                notice = ":warning: That picker is not one this Home makes; nothing was assigned."
            else:
                notice = await assign_lead(
                    services,
                    user_id=user_id,
                    external_id=external_id,
                    owner_id=picked,
                    action_ts=str(action.get("action_ts") or ""),
                )
            await publish_home(services, user_id, notice=notice)

        await _logged("assign a lead", work())

    async def period_picked(body: dict[str, Any], action: dict[str, Any]) -> None:
        chosen = (action.get("selected_option") or {}).get("value") or ""
        await _logged("period", publish_home(services, body["user"]["id"], period=chosen))

    app.event("app_home_opened")(ack=ack_at_once, lazy=[publish_on_open])
    app.action(views.HOME_PERIOD)(ack=ack_at_once, lazy=[period_picked])
    app.action(views.ASSIGN_LEAD)(ack=ack_at_once, lazy=[assign_picked])
    app.action(views.LOG_TOUCH)(ack=ack_at_once, lazy=[log_touch_clicked])
    app.action(views.SLA_DETAILS)(ack=ack_at_once, lazy=[sla_details_clicked])
