"""One module per slash command; `register` wires them all onto the Bolt app."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks.message import problem
from commands import campaign, lead, leads_needed, persona, sla_status, smarketing
from commands.parsing import quoted
from services.context import Services

MODULES = (leads_needed, lead, smarketing, sla_status, campaign, persona)
COMMANDS = tuple(module.COMMAND for module in MODULES)


def register(app: AsyncApp, services: Services) -> None:
    for module in MODULES:
        module.register(app, services)

    @app.command(re.compile(r".*"))
    async def not_yet_available(ack: AsyncAck, command: dict[str, str]) -> None:
        # A command the manifest declares but this version does not answer yet: say so,
        # rather than let Slack show "dispatch_failed".
        name = command.get("command", "this command")
        reply = problem(
            f"{quoted(name)} is not available in this version yet", example=leads_needed.EXAMPLE
        )
        await ack(response_type="ephemeral", **reply.to_dict())
