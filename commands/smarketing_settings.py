"""`/smarketing settings`: the targets, both SLAs, reporting lines and schedules (anyone)."""

from __future__ import annotations

from blocks.message import Message
from blocks.settings_message import (
    settings_message,
)
from services import settings_changes
from services.context import Services


async def show_settings(services: Services) -> Message:
    return settings_message(await settings_changes.workspace_settings(services))
