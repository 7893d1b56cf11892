"""The revenue goal as leads: the stored target through the funnel's actual deal size and rate
(the configured ones while there is no history), for `/leads-needed` and the digest alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlmodel import Session

from domain import pace
from domain.funnel import Funnel, Period, leads_needed
from domain.pace import FunnelActuals, PeriodPlan
from services.config import Settings
from services.context import Services
from storage import reports, workspace

# Fewer wins than this in the trailing 12 months are too few to trust: one more win would swing
# the deal size and the rate, so the configured values stand in (and the reply says so).
TRUSTED_AFTER_WINS = 20


@dataclass(frozen=True)
class Goal:
    funnel: Funnel
    actuals: FunnelActuals


@dataclass(frozen=True)
class GoalPace:
    """The goal, and how this period stands against it."""

    goal: Goal
    plan: PeriodPlan
    committed: int = 0  # marketing's sales-ready leads a month, as the SLA stands now


def goal(session: Session, settings: Settings, *, now: datetime) -> Goal | None:
    """The stored target's funnel; None while no target is set. The trailing 12 months are one
    aggregate on the lead projection over indexed columns."""
    target = workspace.revenue_target(session)
    if target is None:
        return None
    window = pace.trailing_year(now=now)
    history = reports.funnel_history(session, start=window.start, end=window.end)
    actuals = pace.funnel_actuals(
        won=history.won,
        won_revenue=Fraction(history.won_revenue),
        leads=history.leads,
        default_deal_size=settings.fallback_deal_size,
        default_rate=settings.fallback_rate,
        min_wins=TRUSTED_AFTER_WINS,
    )
    funnel = leads_needed(
        revenue=Fraction(target.amount),
        deal_size=actuals.deal_size,
        rate=actuals.rate,
        period=Period(target.period),
    )
    return Goal(funnel=funnel, actuals=actuals)


async def goal_pace(services: Services) -> GoalPace | None:
    """The goal with this period's leads so far, what remains, and the pace per rep."""
    now, settings = services.clock.now(), services.settings

    def read() -> GoalPace | None:
        with services.db.session() as session:
            found = goal(session, settings, now=now)
            if found is None:
                return None
            span = pace.current_period(found.funnel.period, now=now, tz=settings.timezone)
            plan = pace.plan_period(
                needed=found.funnel.leads_needed,
                so_far=reports.leads_created(session, start=span.start, end=span.end),
                span=span,
                reps=reports.rep_count(session),
                now=now,
                tz=settings.timezone,
                tracked_from=reports.tracked_from(session, tz=settings.timezone),
            )
            committed = workspace.marketing_sla(session).committed(reps=plan.reps)
            return GoalPace(goal=found, plan=plan, committed=committed)

    return await services.in_thread(read)
