"""What one person's App Home shows, as plain data: their leads, their team, marketing's side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from domain.closed_loop import Group
from domain.lead_record import Lead
from domain.pace import ReportPeriod
from domain.schedule import PostingProblem
from domain.sla import MarketingSide, SalesSide

Scope = Literal["me", "team", "marketing"]  # whose figures the SLA details modal shows
PERIODS = ("month:0", "month:1", "week:0", "week:1")  # App Home's period switch: unit:back


@dataclass(frozen=True)
class MyLeads:
    """A rep's part of the Home: their sales SLA figures and the touches coming due."""

    sales: SalesSide
    due: Sequence[Lead]  # in work, next touch not yet due, soonest first
    due_total: int
    needs_outcome: Sequence[Lead] = ()  # windows ended, waiting for an outcome, oldest first
    needs_outcome_total: int = 0


@dataclass(frozen=True)
class Reason:
    reason: str
    leads: int


@dataclass(frozen=True)
class Channels:
    """Marketing's board for a period: what each campaign, source and persona delivered, why
    sales rejected or handed back leads, and the leads still waiting for sales to judge."""

    period: ReportPeriod
    chosen: str  # the period switch's value (PERIODS)
    by_campaign: Sequence[Group]
    by_source: Sequence[Group]
    by_persona: Sequence[Group] = ()
    rejected: Sequence[Reason] = ()
    recycled: Sequence[Reason] = ()
    awaiting: Sequence[Lead] = ()  # sales-ready, owned, neither accepted nor rejected: oldest
    awaiting_total: int = 0


@dataclass(frozen=True)
class Home:
    now: datetime
    mine: MyLeads | None = None
    team: SalesSide | None = None
    team_title: str | None = None  # a team formed with `/smarketing team`; None: "Your team"
    marketing: MarketingSide | None = None
    channels: Channels | None = None
    marketing_first: bool = False  # someone in marketing: their board before anything else
    notice: str | None = None  # what the last button did, shown on top until the next refresh
    # For admins: a digest or report Slack refused for good, shown first until one is posted.
    posting_problems: Sequence[PostingProblem] = ()
    unreachable_rep_ids: Sequence[str] = ()  # for admins: reps Slack cannot message
    hubspot_trouble: str | None = None  # for admins: the HubSpot connector needs someone
    # For managers and admins: the oldest leads in work no rep owns, and how many there are.
    unassigned: Sequence[Lead] = ()
    unassigned_total: int = 0
