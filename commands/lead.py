"""`/lead`: log touches and closed-loop feedback on a lead, see one lead or your open leads."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.services import Services
from bot.views.messages import problem

COMMAND = "/lead"
EXAMPLE = "/lead touch L-1001 call"


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def lead_command(ack: AsyncAck) -> None:
        reply = problem("`/lead` is not available in this version yet", example=EXAMPLE)
        await ack(response_type="ephemeral", **reply.to_dict())
