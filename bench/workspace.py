"""A reproducible synthetic workspace: reps, campaigns and the lead events a CRM would send,
with realistic skew (a few campaigns and reps hold most leads)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


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
