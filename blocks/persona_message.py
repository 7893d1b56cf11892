"""Persona cards in Block Kit: the form marketing fills in (`/persona new`), a persona's card
with its live figures, and the list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.campaign_message import unknown_names_block
from blocks.format import clip, format_amount, shown
from blocks.message import Message
from blocks.sla_message import format_percent
from domain.briefing import PersonaCard, Scorecard

PERSONA_MODAL = "persona_card"
VALUE = "value"
FIELDS = {
    "name": ("Persona name", "Leads link to the card by this name, case and spacing ignored"),
    "who": ("Who they are", "Role, company size, what their day looks like"),
    "pains": ("Their pains", "What keeps them up at night"),
    "buys": ("What they buy", "What they pay for, and how they decide"),
    "reach": ("How to reach them", "Channels, events, what gets a reply"),
}
MISSING = {
    "name": "Give the persona a name",
    "who": "Say who they are",
    "pains": "Say what hurts",
    "buys": "Say what they buy",
    "reach": "Say how to reach them",
}
_TEXT_MAX = 3000


def persona_modal() -> View:
    return View(
        type="modal",
        callback_id=PERSONA_MODAL,
        title=PlainTextObject(text="A persona"),
        submit=PlainTextObject(text="Share it"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            InputBlock(
                block_id=block_id,
                label=PlainTextObject(text=label),
                hint=PlainTextObject(text=hint),
                element=PlainTextInputElement(
                    action_id=VALUE,
                    multiline=block_id != "name",
                    max_length=255 if block_id == "name" else _TEXT_MAX,
                ),
            )
            for block_id, (label, hint) in FIELDS.items()
        ],
    )


def persona_from_form(
    values: Mapping[str, Any], *, created_by: str
) -> PersonaCard | dict[str, str]:
    """The card a submitted form describes, or what to fix by field."""
    texts: dict[str, str] = {}
    for block_id in FIELDS:
        raw = ((values.get(block_id) or {}).get(VALUE) or {}).get("value")
        texts[block_id] = str(raw).strip() if raw else ""
    errors = {block_id: MISSING[block_id] for block_id, text in texts.items() if not text}
    if errors:
        return errors
    return PersonaCard(
        name=" ".join(texts["name"].split()),
        who=texts["who"],
        pains=texts["pains"],
        buys=texts["buys"],
        reach=texts["reach"],
        created_by=created_by,
    )


def _share(part: int, whole: int) -> str:
    return format_percent(Fraction(part, whole)) if whole else "—"


def figures_fields(figures: Scorecard) -> list[MarkdownTextObject]:
    judged = figures.accepted + figures.rejected
    rows = [
        ("Leads", f"{figures.leads:,}"),
        ("Sales-ready", f"{figures.sales_ready:,} ({_share(figures.sales_ready, figures.leads)})"),
        ("Accepted by sales", f"{_share(figures.accepted, judged)} of {judged:,} judged"),
        ("Win rate", f"{_share(figures.won, figures.leads)} ({figures.won:,} won)"),
        ("Revenue", format_amount(Fraction(figures.revenue))),
    ]
    return [MarkdownTextObject(text=f"*{name}*\n{value}") for name, value in rows]


def card_message(card: PersonaCard, figures: Scorecard) -> Message:
    """`/persona NAME`: who they are, their pains, what they buy, how to reach them, and how
    their leads did (every lead with this persona)."""
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(f"Persona: {card.name}", 150)))
    ]
    for block_id in ("who", "pains", "buys", "reach"):
        label = FIELDS[block_id][0]
        text = getattr(card, block_id)
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=clip(f"*{label}*\n{shown(text, _TEXT_MAX)}", 3000))
            )
        )
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(text="*Their leads so far*"), fields=figures_fields(figures)
        )
    )
    if card.created_by:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=f"Described by <@{card.created_by}>.")])
        )
    return Message(
        text=f"Persona {card.name}: {figures.leads:,} leads, {figures.won:,} won", blocks=blocks
    )


def catalogue_message(
    personas: Sequence[PersonaCard], *, unknown: Sequence[str], unknown_total: int
) -> Message:
    if personas:
        lines = [
            f"• *{shown(card.name, 120)}* — {shown(clip(card.who, 120), 200)}" for card in personas
        ]
        text = "*Personas*\n" + "\n".join(lines)
    else:
        text = "*Personas*\nNone described yet: marketing shares one with `/persona new`."
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)))]
    if unknown:
        blocks.append(
            unknown_names_block(
                "Leads name personas no card describes",
                unknown,
                total=unknown_total,
                fix="Describe them with `/persona new`.",
            )
        )
    return Message(text=f"{len(personas):,} personas", blocks=blocks)


def shared_text(card: PersonaCard) -> str:
    name = shown(card.name, 120)
    return f":white_check_mark: The {name} persona is shared: anyone reads `/persona {name}`."
