"""`/persona new` · `/persona NAME` · `/persona list`: persona cards both teams share."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks import persona_message as views
from blocks.message import Message, help_message
from commands.forms import open_form
from commands.parsing import not_found
from services import personas
from services.context import Services

COMMAND = "/persona"
EXAMPLE = "/persona list"
HELP_LINES = [
    "`/persona new` — describe a persona for both teams (marketing and admins): who they "
    "are, their pains, what they buy, how to reach them.",
    "`/persona NAME` — the card, with how that persona's leads did: leads, sales-ready share, "
    "acceptance by sales, win rate, revenue.",
    "`/persona list` — every persona, and the persona names leads carry that no card has.",
]
HELP_WORDS = {"help", "?", "-h", "--help"}
NOT_ALLOWED = (
    ":no_entry: Only marketing and admins describe personas (an admin adds people to marketing "
    "with `/smarketing marketing @user`). Anyone can read them: try `/persona list`."
)


async def answer(services: Services, text: str) -> Message:
    words = text.split()
    if not words or words[0].lower() in HELP_WORDS:
        return help_message("What /persona does", HELP_LINES, example=EXAMPLE)
    if len(words) == 1 and words[0].lower() == "list":
        found = await personas.catalogue(services)
        return views.catalogue_message(
            found.personas, unknown=found.unknown, unknown_total=found.unknown_total
        )
    name = " ".join(words)
    card = await personas.card(services, name)
    if isinstance(card, personas.NotFound):
        return not_found("persona", name, card.did_you_mean, listing=EXAMPLE)
    return views.card_message(card.card, card.figures)


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def persona_command(ack: AsyncAck, command: dict[str, str]) -> None:
        text = command.get("text", "")
        if [word.lower() for word in text.split()[:1]] == ["new"]:
            refused = await open_form(services, command, views.persona_modal(), refusal=NOT_ALLOWED)
            if refused is not None:
                await ack(response_type="ephemeral", **refused.to_dict())
            else:
                await ack()
            return
        reply = await answer(services, text)
        await ack(response_type="ephemeral", **reply.to_dict())
