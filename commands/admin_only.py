"""The check every admin-only command makes first: Slack is asked each time, and a question
Slack cannot answer refuses; it never grants."""

from __future__ import annotations

from blocks.message import Message
from blocks.settings_message import one_line
from services.context import Services
from services.people import RightsUnknown, is_admin


async def refusal(
    services: Services, user_id: str, *, what: str, change: str, done: str = "changed"
) -> Message | None:
    """None for an admin; otherwise why nothing was `done` (changed, posted). Slack is asked
    each time, and a question Slack cannot answer refuses: it never grants."""
    try:
        allowed = await is_admin(services, user_id)
    except RightsUnknown as error:
        return one_line(
            f":no_entry: Could not check with Slack that you are an admin ({error}), so "
            f"{what} was not {done}. Try again in a minute."
        )
    if not allowed:
        return one_line(
            f":no_entry: Only admins can {change} (Slack workspace admins and owners, and the "
            f"users in SMARKETING_ADMINS); nothing was {done}."
        )
    return None
