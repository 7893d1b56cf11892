"""`/campaign new`, `/persona new`: a form only marketing and admins may open."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.views import View

from blocks.message import Message
from blocks.settings_message import one_line
from services import campaigns
from services.context import Services


async def open_form(
    services: Services, command: dict[str, Any], view: View, *, refusal: str
) -> Message | None:
    """Open `view` for the one who typed the command, if they are in marketing or an admin;
    else the one line saying who may (nothing opens)."""
    if not await campaigns.may_brief(services, str(command.get("user_id") or "")):
        return one_line(refusal)
    await services.client.views_open(trigger_id=command["trigger_id"], view=view)
    return None
