"""`/smarketing digest`: where and when the weekly digest goes, or post it now (admins)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError

from blocks.digest_message import DRAWING
from blocks.format import clip, escape
from blocks.message import Message, help_message, problem
from blocks.settings_message import (
    DIGEST_EXAMPLE,
    channel_text,
    one_line,
    unchanged_message,
)
from commands.admin_only import refusal
from commands.parsing import ParseError, problem_from, quoted
from domain.schedule import DigestSchedule, DigestSettings, Weekday, parse_time
from services import digests, settings_changes
from services.context import Services
from services.posting import Status
from services.posting_status import WHAT_TO_DO

logger = logging.getLogger("smarketing.commands.digest")

EXAMPLE = DIGEST_EXAMPLE
NOW_EXAMPLE = "/smarketing digest now"
HELP_WORDS = {"help", "?", "-h", "--help"}
HELP_LINES = [
    "• `/smarketing digest` — where and when the weekly digest goes (anyone)",
    "• `/smarketing digest #channel [DAY HH:MM]` — send it to that channel, picked from the # "
    "menu, on that day at that time in the workspace's time zone; without a day and time it "
    "keeps those in force (default Monday 09:00) (admins)",
    "• `/smarketing digest now` — post this week's digest to its channel now (admins)",
]
# With `should_escape`, Slack sends a channel picked from the # menu as <#C123|name>.
CHANNEL = re.compile(r"^<#(?P<id>[CG][A-Z0-9]{2,49})(?:\|(?P<name>[^>]*))?>$", re.ASCII)
CHANNEL_ID = re.compile(r"^(?P<id>[CG][A-Z0-9]{8,49})$", re.ASCII)
_DAYS = "MON, TUE, WED, THU, FRI, SAT or SUN"

Respond = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class DigestRequest:
    channel: str
    schedule: DigestSchedule | None  # None: keep the day and time in force


def _is_day(token: str) -> bool:
    try:
        Weekday.parse(token)
    except ValueError:
        return False
    return True


def _is_time(token: str) -> bool:
    try:
        parse_time(token)
    except ValueError:
        return False
    return True


def parse(words: list[str]) -> DigestRequest:
    """`<#C1|smarketing>`, `<#C1|smarketing> MON 09:00`; a ParseError says what to fix."""
    if not words:
        raise ParseError("name the channel, picked from the # menu")
    match = CHANNEL.match(words[0]) or CHANNEL_ID.match(words[0])
    if match is None:
        if _is_day(words[0]) or _is_time(words[0]):
            raise ParseError(
                "name the channel first, picked from the # menu, then the day and time"
            )
        raise ParseError(
            f"{quoted(words[0])} is not a channel Slack linked: pick it from the list Slack "
            "shows as you type #"
        )
    rest = words[1:]
    if not rest:
        return DigestRequest(match["id"], None)
    if len(rest) == 1 and _is_day(rest[0]):
        raise ParseError("give the time after the day, like `MON 09:00`")
    if len(rest) == 1 and _is_time(rest[0]):
        raise ParseError("give the day before the time, like `MON 09:00`")
    if len(rest) != 2:
        raise ParseError("give the day and the time together, like `MON 09:00`")
    try:
        day = Weekday.parse(rest[0])
    except ValueError:
        raise ParseError(f"{quoted(rest[0])} is not a day of the week: use {_DAYS}") from None
    try:
        at = parse_time(rest[1])
    except ValueError:
        raise ParseError(
            f"{quoted(rest[1])} is not a time of day: use 24-hour HH:MM, from 00:00 to 23:59"
        ) from None
    return DigestRequest(match["id"], DigestSchedule(day, at))


@dataclass(frozen=True)
class DigestReply:
    message: Message
    then: Callable[[Respond], Coroutine[Any, Any, None]] | None = None  # runs after the reply


async def answer(services: Services, user_id: str, words: list[str]) -> DigestReply:
    """The reply to `/smarketing digest …`."""
    if not words:
        return DigestReply(
            _current(
                await settings_changes.digest_where(services), services.settings.smarketing_timezone
            )
        )
    if words[0].lower() in HELP_WORDS:
        return DigestReply(
            help_message("/smarketing digest — the weekly digest", HELP_LINES, example=EXAMPLE)
        )
    if words[0].lower() == "now":
        refused = await refusal(
            services, user_id, what="the digest", change="post the digest", done="posted"
        )
        if refused is not None:
            return DigestReply(refused)
        if len(words) > 1:
            return DigestReply(
                problem(
                    "`digest now` posts to the digest's channel and takes nothing after `now`",
                    example=NOW_EXAMPLE,
                )
            )
        return await _post_now(services)
    try:
        request = parse(words)
    except ParseError as error:
        return DigestReply(problem_from(error, example=EXAMPLE))
    refused = await refusal(
        services, user_id, what="the digest's channel", change="set where the digest goes"
    )
    if refused is not None:
        return DigestReply(refused)
    return DigestReply(await _set(services, user_id, request))


def _current(where: DigestSettings, tz: str) -> Message:
    if where.channel is None:
        return one_line(
            ":calendar: The weekly digest has no channel yet, so it is not posted. An admin "
            f"sets one with `{EXAMPLE}`."
        )
    return one_line(
        f":calendar: The weekly digest goes out {_describe(where)} ({tz}). Change it with "
        f"`{EXAMPLE}`; post it now with `{NOW_EXAMPLE}`."
    )


def _describe(where: DigestSettings) -> str:
    """`Monday 09:00 to <#C123>`."""
    assert where.channel is not None
    return f"{where.schedule.describe()} to {channel_text(where.channel)}"


async def _set(services: Services, user_id: str, request: DigestRequest) -> Message:
    # Ask Slack first: an archived channel would lose every digest, so it is refused.
    warning = ""
    try:
        info = await services.client.conversations_info(channel=request.channel)
        channel = info.get("channel") or {}
        if channel.get("is_archived"):
            return problem(
                f"<#{request.channel}> is archived, so the digest could not be posted there; "
                "choose another channel",
                example=EXAMPLE,
            )
        if not channel.get("is_member"):
            warning = (
                f"\n:warning: I am not in <#{request.channel}> yet: invite me with "
                "`/invite @Smarketing` there, or the digest cannot be posted."
            )
    except SlackApiError as error:
        code = escape(str(error.response.get("error")))
        warning = (
            f"\n:warning: Slack would not show me <#{request.channel}> ({code}): if it is "
            "private, invite me with `/invite @Smarketing` there, or the digest cannot be posted."
        )
    except (ClientError, TimeoutError, OSError):
        warning = "\n:warning: Slack did not answer, so I could not check that I can post there."

    saved, changed = await settings_changes.set_digest_channel(
        services, channel=request.channel, schedule=request.schedule, by=user_id
    )
    where = f"{_describe(saved)} ({services.settings.smarketing_timezone})"
    if not changed:
        return one_line(
            unchanged_message(f"The weekly digest already goes out {where}").text + warning
        )
    return one_line(f":white_check_mark: The weekly digest goes out {where}." + warning)


async def _post_now(services: Services) -> DigestReply:
    where = await settings_changes.digest_where(services)
    if where.channel is None:
        return DigestReply(
            problem("No digest channel is set, so there is nowhere to post it", example=EXAMPLE)
        )
    channel = where.channel
    shown = channel_text(channel)

    async def post(respond: Respond) -> None:
        try:
            outcome = await digests.post_digest_now(services, drawing=DRAWING, channel=channel)
        except Exception:
            logger.exception("digest now failed")
            await respond(
                response_type="ephemeral", text="The digest could not be built; it has been logged."
            )
            return
        if outcome.status is Status.SENT:
            text = f":white_check_mark: The digest is in {shown}."
        elif outcome.status is Status.ALREADY_SENT:
            # Posted this week already (by the schedule, an earlier `now`, or the first of
            # Slack's two copies of this request): once a week per channel.
            text = (
                f":information_source: This week's digest is already in {shown}: it is posted "
                "once a week in a channel, whether by the schedule or by `digest now`."
            )
        elif outcome.status is Status.CLAIMED_ELSEWHERE:
            return  # Slack sent this request twice and the first is posting: it answers
        else:
            error = escape(clip(outcome.error or "no reason given", 100))
            advice = WHAT_TO_DO.get(outcome.error or "", "try again in a minute")
            text = f":warning: The digest was not posted to {shown}: {error} — {advice}."
        await respond(response_type="ephemeral", text=text)

    return DigestReply(
        one_line(f":hourglass_flowing_sand: Posting this week's digest to {shown}…"), post
    )


# ---------------------------------------------------------------------------- for admins
