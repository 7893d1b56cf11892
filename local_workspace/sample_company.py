"""A small sample company, generated (seeded, so the same every time): five reps of different
diligence, a manager, a marketer and an admin, and weeks of leads from five campaigns with
every grade, touches, acceptances, rejections, wins and duplicates. The README's sample digest
and the local workspace are both made from it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.cadence import SalesSla

# Reps and how diligent each is: the chance that a touch due is logged on time.
REPS = {"U0ANA": 0.95, "U0BEN": 0.9, "U0CHLOE": 0.75, "U0DEV": 0.5, "U0EMMA": 0.85}
CAMPAIGNS = {  # campaign → (source, share of leads that are sales-ready, share sales rejects)
    "Q4 pricing webinar": ("webinar", 0.6, 0.1),
    "Retargeting – CFO": ("ads", 0.35, 0.2),
    "Partner referrals": ("referral", 0.7, 0.05),
    "Cold list, Nov": ("ads", 0.2, 0.7),
    "SaaS Summit booth": ("events", 0.45, 0.15),
}
PERSONAS = ["CFO", "Head of Ops", "CTO", "Founder"]
REASONS = ["no budget", "wrong persona", "already a customer", "student"]


def history(rng: random.Random, *, start: datetime, now: datetime) -> list[dict[str, Any]]:
    """About 12 leads a working day from `start` to `now`, worked by five reps, with feedback;
    only what happened before `now`."""
    events: list[dict[str, Any]] = []
    n = 0
    day = start
    while day < now - timedelta(hours=9):
        if day.weekday() < 5:
            for _ in range(rng.randint(8, 16)):
                n += 1
                events.extend(
                    _lead(rng, n, day + timedelta(minutes=rng.randrange(8 * 60, 18 * 60)))
                )
        day += timedelta(days=1)
    return [event for event in events if event["occurred_at"] < iso(now)]


def _lead(rng: random.Random, n: int, created: datetime) -> list[dict[str, Any]]:
    lead_id = f"L-{1000 + n}"
    campaign = rng.choice(list(CAMPAIGNS))
    source, ready_share, reject_share = CAMPAIGNS[campaign]
    ready = rng.random() < ready_share
    fields: dict[str, Any] = {
        "external_id": lead_id,
        "email": f"person{rng.randrange(400)}@example.com",  # some come back: duplicates
        "name": f"Person {n}",
        "company": f"Company {n % 90}",
        "source": source,
        "campaign": campaign,
        "persona": rng.choice(PERSONAS),
        "fit": rng.randrange(60, 100) if ready else rng.randrange(0, 100),
    }
    if rng.random() > 0.06:  # a few arrive without an interest score: incomplete
        fields["interest"] = rng.randrange(55, 100) if ready else rng.randrange(0, 60)
    events = [event(f"{lead_id}-c", "lead.created", lead_id, created, lead=fields)]
    rep = rng.choice(list(REPS))
    at = created + timedelta(minutes=rng.randrange(5, 90))
    events.append(event(f"{lead_id}-a", "lead.assigned", lead_id, at, owner={"slack_user_id": rep}))
    sla = SalesSla()
    for k in range(1, sla.touches + 1):
        due = at + timedelta(hours=sla.days * 24 * k / sla.touches)
        if k == 1:
            due = at + timedelta(hours=min(sla.first_touch_hours, sla.days * 24 / sla.touches))
        late = timedelta(hours=0 if rng.random() < REPS[rep] else rng.randrange(6, 72))
        if rng.random() > REPS[rep] + 0.04:
            break  # the rep stops working it
        touch = due - timedelta(hours=rng.randrange(0, 4)) + late
        events.append(event(f"{lead_id}-t{k}", "lead.touched", lead_id, touch, channel="call"))
        if k == 2 and ready:
            judged = touch + timedelta(hours=1)
            if rng.random() < reject_share:
                reason = rng.choice(REASONS)
                events.append(
                    event(f"{lead_id}-r", "lead.rejected", lead_id, judged, reason=reason)
                )
                break
            events.append(event(f"{lead_id}-ok", "lead.accepted", lead_id, judged))
        if k == 4 and ready and rng.random() < 0.3:
            amount = f"{rng.randrange(40, 160) * 100}.00"
            events.append(event(f"{lead_id}-w", "lead.won", lead_id, touch, amount=amount))
            break
    return events


def event(event_id: str, kind: str, lead_id: str, at: datetime, **extra: Any) -> dict[str, Any]:
    lead = {"external_id": lead_id} | extra.pop("lead", {})
    return {"id": event_id, "type": kind, "occurred_at": iso(at), "lead": lead, **extra}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
