"""`/smarketing`: the workspace's targets, SLAs, digest and reporting lines (admins); settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from blocks.message import Message, help_message, problem
from commands import smarketing_digest
from commands.parsing import quoted
from commands.smarketing_campaigns import set_campaigns_channel
from commands.smarketing_goal import set_goal
from commands.smarketing_hubspot import show_hubspot
from commands.smarketing_manager import set_reporting_line
from commands.smarketing_marketing import set_marketing
from commands.smarketing_settings import show_settings
from commands.smarketing_sla import set_sla
from commands.smarketing_start import set_start
from commands.smarketing_target import set_target
from commands.smarketing_team import set_team
from services import settings_changes
from services.context import Services

logger = logging.getLogger("smarketing.commands.smarketing")

COMMAND = "/smarketing"
EXAMPLE = "/smarketing target 1.2m per year"
HELP_LINES = HELP_LINES = [
    "• `/smarketing target REVENUE [per year|quarter|month]` — the revenue goal (admins)",
    "• `/smarketing settings` — the target, both SLAs, managers, grading and recent changes "
    "(anyone)",
    "• `/smarketing sla leads N per month [per rep]` — marketing's commitment (admins)",
    "• `/smarketing sla touches K in D days [first-touch H hours] [escalate after E hours]` — "
    "sales' commitment; the parts left out keep their values; `first-touch 1 hour for "
    "sales-ready` gives sales-ready leads their own first touch (admins)",
    "• `/smarketing digest #channel [DAY HH:MM]` — where and when the weekly digest goes "
    "(default Monday 09:00); `/smarketing digest now` posts it now (admins)",
    "• `/smarketing manager @rep @manager` — who hears about the rep's missed follow-ups; "
    "`/smarketing manager @rep none` clears it (admins)",
    "• `/smarketing marketing @user…` — who is in marketing: their App Home and `/sla-status` "
    "show marketing's side; `remove @user` takes someone out; alone, lists them (admins)",
    "• `/smarketing goal source|persona|team NAME N per month` — marketing's commitment split "
    "by source, persona or team; `0` removes a goal (admins)",
    "• `/smarketing team NAME [persona P] @member…` — a team of reps and marketers formed "
    "around a persona; its members see its figures in `/sla-status team` (admins)",
    "• `/smarketing campaigns #channel` — where campaign briefs (`/campaign new`) are posted "
    "to sales (admins)",
    "• `/smarketing start YYYY-MM-DD` — the day tracking started (default: the first lead's); "
    "periods before it are marked partial (admins)",
    "• `/smarketing hubspot` — the HubSpot connection: last webhook and sync, write-backs "
    "waiting or failed, the property mapping (admins)",
]
HELP_WORDS = {"help", "?", "-h", "--help"}


@dataclass(frozen=True)
class Reply:
    """The reply, and whether the leads must then follow a new sales SLA."""

    message: Message
    rederive: bool = False
    then: Callable[[smarketing_digest.Respond], Coroutine[Any, Any, None]] | None = (
        None  # after the reply
    )


async def answer(services: Services, user_id: str, text: str) -> Reply:
    """The whole reply to one `/smarketing` text."""
    words = text.split()
    subcommand = words[0].lower() if words else "help"
    if subcommand in HELP_WORDS:
        return Reply(help_message("/smarketing — the shared numbers", HELP_LINES, example=EXAMPLE))
    if subcommand == "target":
        return Reply(await set_target(services, user_id, words[1:]))
    if subcommand == "settings":
        return Reply(await show_settings(services))
    if subcommand == "sla":
        sla = await set_sla(services, user_id, words[1:])
        return Reply(sla.message, rederive=sla.rederive)
    if subcommand == "manager":
        rest = text.strip()[len(words[0]) :]
        return Reply(await set_reporting_line(services, user_id, rest))
    if subcommand == "marketing":
        rest = text.strip()[len(words[0]) :]
        return Reply(await set_marketing(services, user_id, rest))
    if subcommand == "goal":
        return Reply(await set_goal(services, user_id, words[1:]))
    if subcommand == "team":
        rest = text.strip()[len(words[0]) :]
        return Reply(await set_team(services, user_id, rest))
    if subcommand == "campaigns":
        return Reply(await set_campaigns_channel(services, user_id, words[1:]))
    if subcommand == "start":
        return Reply(await set_start(services, user_id, words[1:]))
    if subcommand == "hubspot":
        return Reply(await show_hubspot(services, user_id))
    if subcommand == "digest":
        reply = await smarketing_digest.answer(services, user_id, words[1:])
        return Reply(reply.message, then=reply.then)
    return Reply(
        problem(
            f"{quoted(words[0])} is not a /smarketing subcommand "
            "(target, settings, sla, digest, manager, marketing, goal, team, campaigns, start, "
            "hubspot, help)",
            example=EXAMPLE,
        )
    )


def register(app: AsyncApp, services: Services) -> None:
    rederivation = settings_changes.Rederivation(services)

    @app.command(COMMAND)
    async def smarketing_command(
        ack: AsyncAck, command: dict[str, str], respond: AsyncRespond
    ) -> None:
        reply = await answer(services, command.get("user_id", ""), command.get("text", ""))
        if reply.rederive:
            # Started now, it runs once the reply has gone: Bolt answers the request when
            # this listener returns (process_before_response).
            rederivation.start()
        await ack(response_type="ephemeral", **reply.message.to_dict())
        if reply.then is not None:
            _background(reply.then(respond))


_RUNNING: set[asyncio.Task[None]] = set()


def _background(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` after the reply; keep a reference so the task is not collected mid-way."""
    task = asyncio.create_task(work)
    _RUNNING.add(task)
    task.add_done_callback(_finished)


def _finished(task: asyncio.Task[None]) -> None:
    _RUNNING.discard(task)
    # Nobody awaits the task: a failure (Slack refusing the response_url…) is logged here.
    if not task.cancelled() and task.exception() is not None:
        logger.error("work after a /smarketing reply failed", exc_info=task.exception())
