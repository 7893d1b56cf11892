"""`/smarketing campaigns #channel`: where campaign briefs are posted to sales (admins)."""

from __future__ import annotations

from blocks.message import Message
from blocks.settings_message import one_line
from commands.admin_only import refusal
from commands.parsing import ParseError, problem_from, quoted
from commands.smarketing_digest import CHANNEL, CHANNEL_ID
from services import campaigns
from services.context import Services

CAMPAIGNS_EXAMPLE = "/smarketing campaigns #campaigns"


def parse_channel(words: list[str]) -> str:
    if not words:
        raise ParseError("name the channel, picked from the # menu")
    if len(words) > 1:
        raise ParseError(f"give one channel, not {len(words)} words")
    match = CHANNEL.match(words[0]) or CHANNEL_ID.match(words[0])
    if match is None:
        raise ParseError(
            f"{quoted(words[0])} is not a channel Slack linked: pick it from the list Slack "
            "shows as you type #"
        )
    return match["id"]


async def set_campaigns_channel(services: Services, user_id: str, words: list[str]) -> Message:
    refused = await refusal(
        services, user_id, what="the campaigns channel", change="set where briefs go"
    )
    if refused is not None:
        return refused
    try:
        channel = parse_channel(words)
    except ParseError as error:
        return problem_from(error, example=CAMPAIGNS_EXAMPLE)
    old = await campaigns.set_channel(services, channel=channel, by=user_id)
    was = f" (was <#{old}>)" if old and old != channel else ""
    return one_line(
        f":white_check_mark: Campaign briefs go to <#{channel}>{was}; invite the app there "
        "(`/invite @Smarketing`) so it can post."
    )
