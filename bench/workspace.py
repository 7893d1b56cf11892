"""A reproducible synthetic workspace: reps, campaigns and the lead events a CRM would send,
with realistic skew (a few campaigns and reps hold most leads); its people and target."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

TEAM_SIZE = 50  # reps per manager: manager 0 has reps 0–49, the busiest (the skew favours them)
REVENUE_TARGET = Decimal(5_000_000)  # a year's, so /leads-needed and the digest show a goal


@dataclass(frozen=True)
class Scale:
    reps: int = 500
    leads: int = 100_000
    events: int = 1_000_000
    campaigns: int = 50

    def fraction(self, share: float) -> Scale:
        return Scale(
            reps=max(2, int(self.reps * share)),
            leads=max(10, int(self.leads * share)),
            events=max(100, int(self.events * share)),
            campaigns=max(2, int(self.campaigns * share)),
        )


def rep_id(n: int) -> str:
    return f"U{n:08d}"


def manager_id(n: int) -> str:
    return f"UMGR{n:04d}"


def manager_of(rep: int) -> str:
    return manager_id(rep // TEAM_SIZE)


def manager_count(scale: Scale) -> int:
    return -(-scale.reps // TEAM_SIZE)


def history_end(today: date) -> datetime:
    """Where the generated year of history ends: noon the day before `today` (UTC), so that
    even an assignment made hours after a lead's creation lies in the past when the app runs."""
    return datetime.combine(today, time(0), UTC) - timedelta(hours=12)


def _skewed(rng: random.Random, count: int) -> int:
    """Zipf-like: index 0 is the most common."""
    return min(count - 1, int(rng.paretovariate(1.16)) - 1)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def lead_events(scale: Scale, *, seed: int = 1, end: datetime) -> Iterator[dict[str, Any]]:
    """`scale.events` events over `scale.leads` leads created in the year before `end`,
    yielded lead by lead (each lead's events in time order)."""
    rng = random.Random(seed)
    per_lead = scale.events / scale.leads
    start = end - timedelta(days=365)
    emitted = 0
    for n in range(scale.leads):
        budget = max(1, round(rng.expovariate(1 / per_lead))) if n < scale.leads - 1 else 1
        budget = min(budget, scale.events - emitted - (scale.leads - n - 1)) or 1
        lead_id = f"L{n:07d}" if seed == 1 else f"S{seed}-L{n:07d}"
        at = start + timedelta(seconds=rng.randrange(365 * 86_400))
        fit, interest = rng.randrange(101), rng.randrange(101)
        yield {
            "id": f"bench-{seed}-{n}-0",
            "type": "lead.created",
            "occurred_at": iso(at),
            "lead": {
                "external_id": lead_id,
                "email": f"p{rng.randrange(scale.leads)}@example.com",
                "name": f"Person {n}",
                "company": f"Company {n % 5000}",
                "source": rng.choice(["webinar", "ads", "referral", "seo", "events"]),
                "campaign": f"campaign-{_skewed(rng, scale.campaigns)}",
                "persona": rng.choice(["CFO", "CTO", "Ops", "Founder"]),
                "fit": fit,
                "interest": interest,
            },
        }
        emitted += 1
        if budget > 1:
            at += timedelta(minutes=rng.randrange(1, 600))
            owner = rep_id(_skewed(rng, scale.reps))
            yield {
                "id": f"bench-{seed}-{n}-1",
                "type": "lead.assigned",
                "occurred_at": iso(at),
                "lead": {"external_id": lead_id},
                "owner": {"slack_user_id": owner},
            }
            emitted += 1
        for k in range(2, budget):
            at += timedelta(hours=rng.randrange(1, 60))
            roll = rng.random()
            event: dict[str, Any] = {
                "id": f"bench-{seed}-{n}-{k}",
                "occurred_at": iso(min(at, end)),
                "lead": {"external_id": lead_id},
            }
            if roll < 0.9 or k < budget - 1:
                event |= {"type": "lead.touched", "channel": rng.choice(["call", "email"])}
            elif roll < 0.95:
                event |= {"type": "lead.won", "amount": f"{rng.randrange(500, 20_000)}.00"}
            else:
                event |= {"type": "lead.lost", "reason": "went quiet"}
            yield event
            emitted += 1


def add_people(database_url: str, scale: Scale, *, now: datetime) -> None:
    """Reps (UTC, each with a manager) and their managers in the members table, and a revenue
    target: what /sla-status team, App Home and the digest read beside the leads."""
    from storage import members, workspace
    from storage.db import Database

    db = Database(database_url)
    try:
        with db.session() as session:
            if workspace.revenue_target(session) is None:
                workspace.set_revenue_target(
                    session, amount=REVENUE_TARGET, period="year", by="UBENCH", at=now
                )
            for n in range(scale.reps):
                rep = members.upsert_member(
                    session, slack_user_id=rep_id(n), now=now, tz="UTC", name=f"Rep {n}"
                )
                rep.manager_id = manager_of(n)
            for m in range(manager_count(scale)):
                members.upsert_member(
                    session, slack_user_id=manager_id(m), now=now, tz="UTC", name=f"Manager {m}"
                )
    finally:
        db.dispose()


def fill_in_process(database_url: str, scale: Scale, *, end: datetime, batch: int = 500) -> int:
    """Store the workspace's events through the app's own ingestion (`bot.ingest.ingest`, the
    code behind POST /api/events) without HTTP; the database must be migrated. Events stored."""
    from bot.events_api import parse_events
    from bot.settings import load_settings
    from bot.slack_client import create_client
    from services.clock import SystemClock
    from services.context import Services
    from services.ingestion import ingest
    from storage.db import Database

    db = Database(database_url)
    settings = load_settings(None, database_url=database_url, smarketing_timezone="UTC")
    services = Services(settings, db, SystemClock(), create_client(settings))

    async def store_all() -> int:
        stream = lead_events(scale, end=end)
        total = 0
        while events := list(itertools.islice(stream, batch)):
            parsed, problems = parse_events({"events": events})
            if problems:
                raise RuntimeError(f"generated events refused: {problems[:3]}")
            await ingest(services, parsed, origin="api")
            total += len(events)
        return total

    try:
        return asyncio.run(store_all())
    finally:
        db.dispose()
