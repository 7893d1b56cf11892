"""The persona form (`/persona new`): checked and stored while Slack waits, so a problem keeps
the form open with its field named; the author is told where to read the card."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks import persona_message as views
from blocks.campaign_message import NOT_ALLOWED_FIELD
from services import campaigns, personas
from services.context import Services

logger = logging.getLogger("smarketing.persona_form")


def register(app: AsyncApp, services: Services) -> None:
    async def check_and_store(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = str(body["user"]["id"])
        values = (view.get("state") or {}).get("values") or {}
        card = views.persona_from_form(values, created_by=user_id)
        if isinstance(card, dict):
            await ack(response_action="errors", errors=card)
            return
        if not await campaigns.may_brief(services, user_id):
            await ack(
                response_action="errors",
                errors={"name": NOT_ALLOWED_FIELD.replace("brief campaigns", "describe personas")},
            )
            return
        created = await personas.create(services, card)
        if created.problems:
            await ack(response_action="errors", errors=created.problems)
            return
        await ack()

    async def shared(body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = str(body["user"]["id"])
        values = (view.get("state") or {}).get("values") or {}
        card = views.persona_from_form(values, created_by=user_id)
        if isinstance(card, dict):
            return
        try:
            await services.client.chat_postMessage(channel=user_id, text=views.shared_text(card))
        except Exception:
            logger.exception("persona: telling %s failed", user_id)

    app.view(views.PERSONA_MODAL)(ack=check_and_store, lazy=[shared])
