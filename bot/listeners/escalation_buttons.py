"""An escalation's buttons (DESIGN §3): *Remind* sends the rep their overdue leads
(`services.reminders`), and each lead's menu opens it (the `/lead ID` card) or reassigns it
through a modal (`services.lead_changes`, as `/lead assign` does). What became of it is said
under the escalation, to the manager alone."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks import nudge_message as views
from blocks.lead_message import TIMELINE_EVENTS, timeline
from bot.listeners.home_tab import assign_lead
from services import lead_reads, reminders
from services.context import Services
from services.reminders import Reminded

logger = logging.getLogger("smarketing.escalations")


def remind_notice(rep_id: str, reminder: reminders.Reminder) -> str:
    match reminder.result:
        case Reminded.SENT:
            return f":white_check_mark: <@{rep_id}> got their {reminder.overdue:,} overdue leads."
        case Reminded.ALREADY:
            return f":information_source: You reminded <@{rep_id}> today already; nothing sent."
        case Reminded.NOTHING_OVERDUE:
            return f":white_check_mark: <@{rep_id}> has nothing overdue now; nothing sent."
        case Reminded.NOT_ALLOWED:
            return f":no_entry: Only <@{rep_id}>'s manager or an admin can remind them."
        case Reminded.RIGHTS_UNKNOWN:
            return f":warning: Slack did not say who you are ({reminder.detail}); nothing sent."
    return f":warning: Slack did not take the reminder ({reminder.detail}); try again shortly."


async def _logged(what: str, work: Awaitable[None]) -> None:
    try:
        await work
    except Exception:
        logger.exception("escalation: %s failed", what)


def _channel(body: dict[str, Any]) -> str | None:
    return (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id")


def _picked(view: dict[str, Any]) -> str:
    """The rep the reassign modal was submitted with ("" for none)."""
    values = (view.get("state") or {}).get("values") or {}
    field = (values.get(views.REASSIGN_BLOCK) or {}).get(views.REASSIGN_TO) or {}
    return str(field.get("selected_user") or "")


def register(app: AsyncApp, services: Services) -> None:
    async def ack_at_once(ack: AsyncAck) -> None:
        await ack()

    async def say(user_id: str, channel: str | None, notice: str) -> None:
        await services.client.chat_postEphemeral(
            channel=channel or user_id, user=user_id, text=notice
        )

    async def remind_pressed(body: dict[str, Any], action: dict[str, Any]) -> None:
        user_id, rep_id = str(body["user"]["id"]), str(action.get("value") or "")

        async def work() -> None:
            reminder = await reminders.remind_rep(
                services, by=user_id, rep_id=rep_id, draw=views.reminder_message
            )
            await say(user_id, _channel(body), remind_notice(rep_id, reminder))

        await _logged("remind", work())

    async def lead_chosen(body: dict[str, Any], action: dict[str, Any]) -> None:
        user_id, channel = str(body["user"]["id"]), _channel(body)
        parsed = views.parse_escalation_lead(
            str((action.get("selected_option") or {}).get("value") or "")
        )

        async def work() -> None:
            if parsed is None:
                await say(user_id, channel, ":warning: Not a menu this app made; nothing done.")
                return
            what, external_id = parsed
            if what == "open":
                found = await lead_reads.timeline(services, external_id, events=TIMELINE_EVENTS)
                if found is None:
                    await say(
                        user_id, channel, f":warning: No lead has the id *{external_id[:80]}*."
                    )
                    return
                card = timeline(
                    found.lead,
                    found.events,
                    sla=found.sla,
                    now=services.clock.now(),
                    more=found.more,
                    crm_link=found.crm_link,
                )
                view = views.lead_modal(card)
            else:
                metadata = json.dumps({"l": external_id, "c": channel})
                view = views.reassign_modal(label=f"*{external_id[:80]}*", metadata=metadata)
            await services.client.views_open(trigger_id=body["trigger_id"], view=view)

        await _logged("lead menu", work())

    async def reassign_submitted(body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = str(body["user"]["id"])
        try:
            context = json.loads(str(view.get("private_metadata") or ""))
            external_id, channel = str(context["l"]), context.get("c")
        except (ValueError, KeyError, TypeError):
            logger.warning("a reassign modal came back without its lead; nothing assigned")
            return
        picked = _picked(view)
        if not picked:
            return  # refused in the answer: the modal is still open

        async def work() -> None:
            notice = await assign_lead(
                services,
                user_id=user_id,
                external_id=external_id,
                owner_id=picked,
                action_ts=str(view.get("id") or ""),
                origin="escalation",
            )
            await say(user_id, channel, notice)

        await _logged("reassign", work())

    async def check_reassign(ack: AsyncAck, view: dict[str, Any]) -> None:
        if _picked(view):
            await ack()
        else:
            await ack(response_action="errors", errors={views.REASSIGN_BLOCK: "Pick the rep"})

    app.action(views.ESCALATION_REMIND)(ack=ack_at_once, lazy=[remind_pressed])
    app.action(views.ESCALATION_LEAD)(ack=ack_at_once, lazy=[lead_chosen])
    app.view(views.ESCALATION_REASSIGN)(ack=check_reassign, lazy=[reassign_submitted])
