"""`/smarketing`: the workspace's targets, SLAs, digest and reporting lines (admins); settings."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.services import Services
from bot.views.messages import problem

COMMAND = "/smarketing"
EXAMPLE = "/smarketing target 1.2m per year"


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def smarketing_command(ack: AsyncAck) -> None:
        reply = problem("`/smarketing` is not available in this version yet", example=EXAMPLE)
        await ack(response_type="ephemeral", **reply.to_dict())
