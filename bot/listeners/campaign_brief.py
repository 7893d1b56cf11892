"""The campaign brief's modal and its *Ready* button (services/campaigns.py).

The modal's answer carries its field errors (Slack keeps it open with them), so the brief is
checked and stored while Slack waits, and posted right after when its day has come.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks import campaign_message as views
from services import campaigns
from services.context import Services

logger = logging.getLogger("smarketing.campaign_brief")
# Where a problem the domain finds is shown in the modal.
_FIELD_OF = {"name": "name", "ends_on": "ends_on", "expected": "expected", "post_on": "post_on"}


async def _logged(what: str, work: Awaitable[None]) -> None:
    try:
        await work
    except Exception:
        logger.exception("campaign: %s failed", what)


def register(app: AsyncApp, services: Services) -> None:
    async def ack_at_once(ack: AsyncAck) -> None:
        await ack()

    async def check_and_store(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = str(body["user"]["id"])
        values = (view.get("state") or {}).get("values") or {}
        brief = views.brief_from_form(values, created_by=user_id)
        if isinstance(brief, dict):
            await ack(response_action="errors", errors=brief)
            return
        if not await campaigns.may_brief(services, user_id):
            await ack(response_action="errors", errors={"name": views.NOT_ALLOWED_FIELD})
            return
        created = await campaigns.create(services, brief)
        if created.problems:
            errors = {_FIELD_OF.get(field, "name"): why for field, why in created.problems.items()}
            await ack(response_action="errors", errors=errors)
            return
        await ack()

    async def briefed(body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = str(body["user"]["id"])

        async def work() -> None:
            for outcome in await campaigns.post_due(services, views.DRAWING):
                logger.info("campaign brief: %s", outcome.describe())
            values = (view.get("state") or {}).get("values") or {}
            filed = views.brief_from_form(values, created_by=user_id)
            found = (
                await campaigns.whereabouts(services, filed.name)
                if not isinstance(filed, dict)
                else None
            )
            if found is not None:
                text = views.briefed_text(
                    found.brief, posted_to=found.posted_to, channel=found.channel
                )
                await services.client.chat_postMessage(channel=user_id, text=text)

        await _logged("post the brief", work())

    drawing: dict[int, asyncio.Lock] = {}

    async def redraw(campaign_id: int, channel: str, ts: str, ready: campaigns.Ready) -> None:
        """Redraw the brief with who is ready. Presses arrive together: one redraw at a time
        per campaign, and again while the list changed under it, so the last drawing holds
        every name (another copy of the app converges the same way)."""
        lock = drawing.setdefault(campaign_id, asyncio.Lock())
        async with lock:
            drawn: list[str] | None = None
            while ready.brief is not None and ready.ready != drawn:
                message = views.brief_message(ready.brief, ready=ready.ready)
                await services.client.chat_update(
                    channel=channel, ts=ts, text=message.text, blocks=message.to_dict()["blocks"]
                )
                drawn = ready.ready
                ready = await campaigns.who_is_ready(services, campaign_id)

    async def ready_pressed(body: dict[str, Any], action: dict[str, Any]) -> None:
        user_id = str(body["user"]["id"])
        container = body.get("container") or {}
        channel, ts = container.get("channel_id"), container.get("message_ts")

        async def work() -> None:
            try:
                campaign_id = int(str(action.get("value") or ""))
            except ValueError:
                return
            ready = await campaigns.mark_ready(services, campaign_id=campaign_id, user_id=user_id)
            if ready.brief is None:
                return
            if channel and ts:
                await redraw(campaign_id, channel, ts, ready)
                await services.client.chat_postEphemeral(
                    channel=channel,
                    user=user_id,
                    text=(
                        f":white_check_mark: You are ready for {ready.brief.name}."
                        if ready.new
                        else f":information_source: You said you were ready for "
                        f"{ready.brief.name} already."
                    ),
                )

        await _logged("ready", work())

    app.view(views.BRIEF_MODAL)(ack=check_and_store, lazy=[briefed])
    app.action(views.CAMPAIGN_READY)(ack=ack_at_once, lazy=[ready_pressed])
