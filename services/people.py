"""People as Slack knows them: who someone is, their rights, their time zone, whether they can
be reached. The one place that asks `users.info` and reads its failures.

Rights are asked on every call, never cached: someone who stops being an admin in Slack loses
the right at once. Time zones are kept in the members table for a day (ZONE_FRESH_FOR).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from services.context import Services
from storage import members
from storage.models import Member

logger = logging.getLogger("smarketing.people")

ZONE_FRESH_FOR = timedelta(days=1)  # a time zone from users.info is asked again after this
# Slack's answers that mean "this person cannot be reached", as opposed to "try again".
UNREACHABLE = {"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot"}
# Everything a call to Slack can raise besides Slack's own error answer.
SLACK_FAILURES = (SlackClientError, aiohttp.ClientError, TimeoutError, OSError)


class RightsUnknown(RuntimeError):
    """Slack could not tell us who someone is; the caller must refuse, not grant. The message
    is Slack's error code, or the kind of failure."""


@dataclass(frozen=True)
class SlackUser:
    """What `users.info` says of someone."""

    user_id: str
    name: str | None
    tz: str | None
    email: str | None
    admin: bool  # a workspace admin or owner
    deleted: bool
    bot: bool


async def slack_user(services: Services, user_id: str) -> SlackUser | None:
    """`users.info` for one person: None when Slack knows no such user; RightsUnknown when
    Slack could not answer (an error, a timeout, a dropped connection)."""
    try:
        response = await services.client.users_info(user=user_id)
    except SlackApiError as error:
        code = str(error.response.get("error") or "error")
        if code == "user_not_found":
            return None
        raise RightsUnknown(code) from error
    except SLACK_FAILURES as error:
        raise RightsUnknown(type(error).__name__) from error
    user = response.get("user") or {}
    profile = user.get("profile") or {}
    return SlackUser(
        user_id=user_id,
        name=user.get("real_name") or profile.get("real_name") or user.get("name"),
        tz=user.get("tz"),
        email=profile.get("email"),
        admin=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
        deleted=bool(user.get("deleted")),
        bot=bool(user.get("is_bot")),
    )


async def is_admin(services: Services, user_id: str) -> bool:
    """An admin: a user in SMARKETING_ADMINS, or a Slack workspace admin or owner."""
    if user_id in services.settings.smarketing_admins:
        return True
    user = await slack_user(services, user_id)
    if user is None:
        raise RightsUnknown("user_not_found")
    return user.admin


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


async def may_assign(services: Services, user_id: str) -> bool:
    """Who hands leads to reps: a manager or an admin; a rep does not (DESIGN §2, "Unassigned
    leads are visible")."""
    return await is_manager(services, user_id) or await is_admin(services, user_id)


def zone_named(name: str | None) -> ZoneInfo | None:
    """The time zone Slack named for a person, or None for none or a name Python lacks."""
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


async def zone_of(services: Services, person: str, *, now: datetime) -> tzinfo:
    """The person's time zone: the members table's while fresh (each nudge run keeps it so),
    else `users.info`'s, remembered; when Slack cannot say, the last one known, or the
    workspace's."""

    def read() -> Member | None:
        with services.db.session() as session:
            return members.member(session, person)

    known = await services.in_thread(read)
    cached = zone_named(known.tz) if known is not None else None
    if known is not None and cached is not None and now - known.updated_at < ZONE_FRESH_FOR:
        return cached
    try:
        user = await slack_user(services, person)
    except RightsUnknown as error:
        logger.warning("users.info for %s failed (%s): using the zone last known", person, error)
        return cached or services.settings.timezone
    asked = zone_named(user.tz if user is not None else None)
    if user is None or asked is None:
        return cached or services.settings.timezone

    def remember() -> None:
        with services.db.session() as session:
            members.upsert_member(session, slack_user_id=person, now=now, tz=user.tz)

    await services.in_thread(remember)
    return asked


_USER_ID = re.compile(r"@([UW][A-Z0-9]{2,})\b")


async def names_of(services: Services, user_ids: Iterable[str]) -> dict[str, str]:
    """What to call people in a log or CLI line: the name Slack gave them (kept in the members
    table, else asked of `users.info`); someone Slack cannot name keeps their id."""
    wanted = sorted(set(user_ids))

    def read() -> dict[str, str]:
        with services.db.session() as session:
            return members.names(session, wanted)

    known = await services.in_thread(read)
    for user_id in wanted:
        if user_id in known:
            continue
        try:
            user = await slack_user(services, user_id)
        except RightsUnknown:
            continue
        if user is not None and user.name:
            known[user_id] = user.name
    return known


async def with_names(services: Services, text: str) -> str:
    """`text` with each `@U0…` user id as `@name`."""
    names = await names_of(services, _USER_ID.findall(text))
    return _USER_ID.sub(lambda match: f"@{names.get(match[1], match[1])}", text)


async def channel_name(services: Services, channel_id: str) -> str:
    """`#name` for a channel id (`conversations.info`); the id itself when Slack cannot say."""
    try:
        response = await services.client.conversations_info(channel=channel_id)
    except (SlackApiError, *SLACK_FAILURES):
        return channel_id
    name = (response.get("channel") or {}).get("name")
    return f"#{name}" if name else channel_id
