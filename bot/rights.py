"""Who may do what: admins (Slack admins/owners and SMARKETING_ADMINS), managers, reps.

Rights are checked on every call, never cached: someone who stops being an admin in Slack
loses the right at once.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.services import Services
from storage import members


class RightsUnknown(RuntimeError):
    """Slack could not tell us who the user is; the caller must refuse, not grant."""


async def is_admin(services: Services, user_id: str) -> bool:
    if user_id in services.settings.smarketing_admins:
        return True
    try:
        response = await services.client.users_info(user=user_id)
    except SlackApiError as error:
        raise RightsUnknown(str(error.response.get("error"))) from error
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
        raise RightsUnknown(type(error).__name__) from error
    user = response["user"]
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


async def is_manager(services: Services, user_id: str) -> bool:
    """Someone who manages at least one rep (set with `/smarketing manager @rep @manager`)."""

    def check() -> bool:
        with services.db.session() as session:
            return bool(members.team_of(session, user_id))

    return await services.in_thread(check)


async def may_act_on_lead(services: Services, user_id: str, owner_id: str | None) -> bool:
    """A rep on their own leads; a manager or an admin on any (DESIGN §3)."""
    if owner_id is not None and owner_id == user_id:
        return True
    return await is_manager(services, user_id) or await is_admin(services, user_id)
