"""`/sla-status [me | @user | team | marketing]`: both sides of the SLA, now."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.services import Services
from bot.views.messages import problem

COMMAND = "/sla-status"
EXAMPLE = "/sla-status team"


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def sla_status_command(ack: AsyncAck) -> None:
        reply = problem("`/sla-status` is not available in this version yet", example=EXAMPLE)
        await ack(response_type="ephemeral", **reply.to_dict())
