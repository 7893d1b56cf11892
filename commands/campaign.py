"""`/campaign new` · `/campaign NAME` · `/campaign list`: campaign briefs (DESIGN §3).

Marketers and admins brief a campaign to sales in a modal before it runs; anyone reads a
campaign's card and scorecard, and the list of campaigns with their state.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks import campaign_message as views
from blocks.message import Message, help_message
from commands.forms import open_form
from commands.parsing import not_found
from services import campaigns
from services.context import Services

logger = logging.getLogger("smarketing.commands.campaign")
COMMAND = "/campaign"
EXAMPLE = "/campaign list"
HELP_LINES = [
    "`/campaign new` — brief a campaign to sales before it runs (marketers and admins): a "
    "form for its name, persona, source, dates, offer, talking points and expected "
    "sales-ready leads; the brief goes to the campaigns channel with a *Ready* button.",
    "`/campaign NAME` — a campaign's brief, who is ready, and its scorecard so far.",
    "`/campaign list` — every campaign and its state (briefed, running, ended), and the "
    "campaign names leads carry that no brief has.",
]
HELP_WORDS = {"help", "?", "-h", "--help"}
NOT_ALLOWED = (
    ":no_entry: Only marketing and admins brief campaigns (an admin adds people to marketing "
    "with `/smarketing marketing @user`). Anyone can read one: try `/campaign list`."
)


async def answer(services: Services, text: str) -> Message:
    """Everything but `new`: help, the list, or one campaign's card."""
    words = text.split()
    if not words or words[0].lower() in HELP_WORDS:
        return help_message("What /campaign does", HELP_LINES, example=EXAMPLE)
    if len(words) == 1 and words[0].lower() == "list":
        found = await campaigns.catalogue(services)
        return views.catalogue_message(
            found.campaigns, unbriefed=found.unbriefed, unbriefed_total=found.unbriefed_total
        )
    name = " ".join(words)
    card = await campaigns.card(services, name)
    if isinstance(card, campaigns.NotFound):
        return not_found("campaign", name, card.did_you_mean, listing=EXAMPLE)
    return views.card_message(
        card.brief, state=card.state, scorecard=card.scorecard, ready=card.ready
    )


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def campaign_command(ack: AsyncAck, command: dict[str, str]) -> None:
        text = command.get("text", "")
        if [word.lower() for word in text.split()[:1]] == ["new"]:
            refused = await open_form(services, command, views.brief_modal(), refusal=NOT_ALLOWED)
            if refused is not None:
                await ack(response_type="ephemeral", **refused.to_dict())
            else:
                await ack()
            return
        reply = await answer(services, text)
        await ack(response_type="ephemeral", **reply.to_dict())
