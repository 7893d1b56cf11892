"""`/persona new` · `/persona NAME` · `/persona list`: persona cards both teams share."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks import persona_message as views
from blocks.message import Message, help_message, problem
from blocks.settings_message import one_line
from commands.parsing import quoted
from services import campaigns, personas
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
        if card.did_you_mean:
            meant = " or ".join(f"`{one}`" for one in card.did_you_mean)
            return problem(
                f"No persona is called {quoted(name, limit=80)}: did you mean {meant}?",
                example=f"/persona {card.did_you_mean[0]}",
            )
        return problem(
            f"No persona is called {quoted(name, limit=80)}; `/persona list` shows them all",
            example=EXAMPLE,
        )
    return views.card_message(card.card, card.figures)


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def persona_command(ack: AsyncAck, command: dict[str, str]) -> None:
        text = command.get("text", "")
        if [word.lower() for word in text.split()[:1]] == ["new"]:
            # Who may describe personas is who may brief campaigns: marketing and admins.
            if not await campaigns.may_brief(services, command.get("user_id", "")):
                await ack(response_type="ephemeral", **one_line(NOT_ALLOWED).to_dict())
                return
            await services.client.views_open(
                trigger_id=command["trigger_id"], view=views.persona_modal()
            )
            await ack()
            return
        reply = await answer(services, text)
        await ack(response_type="ephemeral", **reply.to_dict())
