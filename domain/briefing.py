"""Campaign briefs (DESIGN §3 "Campaign briefs"): a campaign marketing presents to sales before
it runs, the state it is in, and its scorecard as it runs — plain values, no store, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


def campaign_key(name: str) -> str:
    """What a campaign (or a persona) is known by: its name lower-cased, its spacing
    collapsed, so that "Q4 Webinar" in one CRM event and "q4  webinar" in another are one."""
    return " ".join(name.split()).lower()


class CampaignState(StrEnum):
    BRIEFED = "briefed"  # not started yet
    RUNNING = "running"
    ENDED = "ended"


def state_on(starts_on: date, ends_on: date, *, today: date) -> CampaignState:
    if today < starts_on:
        return CampaignState.BRIEFED
    if today <= ends_on:
        return CampaignState.RUNNING
    return CampaignState.ENDED


@dataclass(frozen=True)
class Brief:
    """What marketing tells sales about a campaign before it runs."""

    name: str
    starts_on: date
    ends_on: date
    offer: str
    talking_points: str
    expected_sales_ready: int
    persona: str | None = None
    source: str | None = None
    link: str | None = None
    post_on: date | None = None  # None: posted at once
    created_by: str = ""
    id: int | None = None
    posted: bool = False

    @property
    def key(self) -> str:
        return campaign_key(self.name)

    def state(self, *, today: date) -> CampaignState:
        return state_on(self.starts_on, self.ends_on, today=today)


def brief_problems(brief: Brief, *, today: date, taken: bool) -> dict[str, str]:
    """What is wrong with a brief, by field: the form says each next to its field."""
    problems: dict[str, str] = {}
    if not brief.key:
        problems["name"] = "Give the campaign a name"
    elif taken:
        problems["name"] = f"A campaign is already called {brief.name!r}: pick another name"
    if brief.ends_on < brief.starts_on:
        problems["ends_on"] = "The end comes before the start"
    if brief.expected_sales_ready < 0:
        problems["expected"] = "Expected sales-ready leads cannot be below zero"
    if brief.post_on is not None:
        if brief.post_on > brief.starts_on:
            problems["post_on"] = "Post the brief before the campaign starts (or leave it empty)"
        elif brief.post_on < today:
            problems["post_on"] = "That day has passed: leave it empty to post the brief now"
    return problems


@dataclass(frozen=True)
class RepWork:
    """What one rep did with the campaign's leads."""

    rep_id: str
    leads: int
    touched: int  # leads with at least one touch
    accepted: int
    won: int
    revenue: Decimal


@dataclass(frozen=True)
class Scorecard:
    """The campaign's leads so far, against what was expected of it."""

    expected_sales_ready: int
    leads: int = 0
    sales_ready: int = 0
    accepted: int = 0
    rejected: int = 0
    won: int = 0
    revenue: Decimal = Decimal(0)
    rejection_reasons: Sequence[tuple[str, int]] = ()
    by_rep: Sequence[RepWork] = field(default_factory=tuple)

    @property
    def met(self) -> bool:
        return self.sales_ready >= self.expected_sales_ready


@dataclass(frozen=True)
class PersonaCard:
    """Who a persona is, as marketing describes them to sales."""

    name: str
    who: str
    pains: str
    buys: str
    reach: str
    created_by: str = ""

    @property
    def key(self) -> str:
        return campaign_key(self.name)


def persona_problems(card: PersonaCard, *, taken: bool) -> dict[str, str]:
    if not card.key:
        return {"name": "Give the persona a name"}
    if taken:
        return {"name": f"A persona is already called {card.name!r}: pick another name"}
    return {}
