"""Persona cards both teams share (DESIGN §3 `/persona`): marketing (or an admin) describes a
persona once; anyone reads its card with its live figures, and the list with the persona names
leads carry that no card has yet. The slash command and the form both come here."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from domain.briefing import PersonaCard, Scorecard, campaign_key, persona_problems
from services.context import Services
from storage import briefs
from storage.models import Lead

PERSONAS_SHOWN = 50
UNKNOWN_SHOWN = 10


@dataclass(frozen=True)
class Created:
    card: PersonaCard | None
    problems: dict[str, str]


async def create(services: Services, card: PersonaCard) -> Created:
    """Store the card, or say what is wrong with it by field (nothing stored)."""
    now = services.clock.now()

    def store() -> Created:
        with services.db.session() as session:
            taken = bool(card.key) and briefs.persona_by_key(session, card.key) is not None
            problems = persona_problems(card, taken=taken)
            if problems:
                return Created(None, problems)
            row = briefs.add_persona(session, card, at=now)
            session.commit()
            return Created(briefs.persona_of(row), {})

    return await services.in_thread(store)


@dataclass(frozen=True)
class Found:
    card: PersonaCard
    figures: Scorecard  # every lead with this persona, however it is spelled


@dataclass(frozen=True)
class NotFound:
    did_you_mean: list[str]


async def card(services: Services, name: str) -> Found | NotFound:
    key = campaign_key(name)

    def read() -> Found | NotFound:
        with services.db.session() as session:
            row = briefs.persona_by_key(session, key)
            if row is None:
                known = {r.key: r.name for r in briefs.all_personas(session, limit=500)}
                close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.6)
                return NotFound([known[one] for one in close])
            names = briefs.names_for(session, key, Lead.persona)
            figures = briefs.scorecard(session, names=names, expected=0, column=Lead.persona)
            return Found(briefs.persona_of(row), figures)

    return await services.in_thread(read)


@dataclass(frozen=True)
class Catalogue:
    personas: list[PersonaCard]
    unknown: list[str]  # persona names leads carry that no card has
    unknown_total: int


async def catalogue(services: Services) -> Catalogue:
    def read() -> Catalogue:
        with services.db.session() as session:
            rows = briefs.all_personas(session, limit=PERSONAS_SHOWN)
            unknown, total = briefs.unknown_personas(session, limit=UNKNOWN_SHOWN)
            return Catalogue([briefs.persona_of(row) for row in rows], unknown, total)

    return await services.in_thread(read)
