"""A sample weekly digest, as README shows it: four weeks of a small team's leads, generated
(seeded, so the same every time), stored through the real ingestion code in a SQLite file,
then the digest the job would post on Monday 30 November 2026 at 09:05, as plain text, and its
chart as a PNG.

    python -m examples.sample_digest [CHART.png]
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from blocks.digest_message import digest_text
from blocks.pace_chart_image import render_pace_chart
from bot.events_api import parse_events
from bot.settings import load_settings
from domain.cadence import SalesSla
from domain.schedule import DigestSchedule, digest_due
from domain.sla import MarketingSla
from services import digests
from services.context import Services
from services.ingestion import ingest
from storage import workspace
from storage.db import Database

NOW = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
START = NOW - timedelta(days=28)
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


class _Fixed:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def history(rng: random.Random) -> list[dict[str, Any]]:
    """About 12 leads a working day for four weeks, worked by five reps, with feedback."""
    events: list[dict[str, Any]] = []
    n = 0
    day = START
    while day < NOW - timedelta(hours=9):
        if day.weekday() < 5:
            for _ in range(rng.randint(8, 16)):
                n += 1
                events.extend(
                    _lead(rng, n, day + timedelta(minutes=rng.randrange(8 * 60, 18 * 60)))
                )
        day += timedelta(days=1)
    return [event for event in events if event["occurred_at"] < _iso(NOW)]


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
    events = [_event(f"{lead_id}-c", "lead.created", lead_id, created, lead=fields)]
    rep = rng.choice(list(REPS))
    at = created + timedelta(minutes=rng.randrange(5, 90))
    events.append(
        _event(f"{lead_id}-a", "lead.assigned", lead_id, at, owner={"slack_user_id": rep})
    )
    sla = SalesSla()
    for k in range(1, sla.touches + 1):
        due = at + timedelta(hours=sla.days * 24 * k / sla.touches)
        if k == 1:
            due = at + timedelta(hours=min(sla.first_touch_hours, sla.days * 24 / sla.touches))
        late = timedelta(hours=0 if rng.random() < REPS[rep] else rng.randrange(6, 72))
        if rng.random() > REPS[rep] + 0.04:
            break  # the rep stops working it
        touch = due - timedelta(hours=rng.randrange(0, 4)) + late
        events.append(_event(f"{lead_id}-t{k}", "lead.touched", lead_id, touch, channel="call"))
        if k == 2 and ready:
            judged = touch + timedelta(hours=1)
            if rng.random() < reject_share:
                reason = rng.choice(REASONS)
                events.append(
                    _event(f"{lead_id}-r", "lead.rejected", lead_id, judged, reason=reason)
                )
                break
            events.append(_event(f"{lead_id}-ok", "lead.accepted", lead_id, judged))
        if k == 4 and ready and rng.random() < 0.3:
            amount = f"{rng.randrange(40, 160) * 100}.00"
            events.append(_event(f"{lead_id}-w", "lead.won", lead_id, touch, amount=amount))
            break
    return events


def _event(event_id: str, kind: str, lead_id: str, at: datetime, **extra: Any) -> dict[str, Any]:
    lead = {"external_id": lead_id} | extra.pop("lead", {})
    return {"id": event_id, "type": kind, "occurred_at": _iso(at), "lead": lead, **extra}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _store(services: Services, events: list[dict[str, Any]]) -> None:
    events.sort(key=lambda event: event["occurred_at"])
    for start in range(0, len(events), 1_000):
        parsed, problems = parse_events({"events": events[start : start + 1_000]})
        if problems:
            raise RuntimeError(f"sample events refused: {problems[:3]}")
        await ingest(services, parsed, origin="api")


def _build(services: Services, now: datetime, *, keep: bool) -> digests.Built:
    clock = _Fixed(now)
    at = Services(services.settings, services.db, clock, services.client)
    due = digest_due(DigestSchedule(), now=now, tz=services.settings.timezone)
    assert due is not None
    with services.db.session() as session:
        built = digests.build_weekly(session, at, due=due, now=now)
        if keep:
            digests.keep_snapshot(session, at, built)
    return built


def main() -> None:
    chart_path = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'sample.sqlite3'}"
        db = Database(url)
        db.upgrade()
        settings = load_settings(None, database_url=url, smarketing_timezone="UTC")
        services = Services(settings, db, _Fixed(NOW), AsyncWebClient(token="xoxb-sample"))
        with db.session() as session:
            workspace.set_revenue_target(
                session, amount=Decimal(2_400_000), period="year", by="U0ADMIN", at=START
            )
            workspace.set_marketing_commitment(
                session, sla=MarketingSla(leads_per_month=12, per_rep=True), by="U0ADMIN", at=START
            )
            session.commit()
        events = history(random.Random(2026))
        # Last Monday's digest first, with the events known then: it leaves the snapshot of
        # compliance and overdue leads that this week's digest compares with.
        last_monday = NOW - timedelta(days=7)
        asyncio.run(_store(services, [e for e in events if e["occurred_at"] < _iso(last_monday)]))
        _build(services, last_monday, keep=True)
        asyncio.run(_store(services, [e for e in events if e["occurred_at"] >= _iso(last_monday)]))
        built = _build(services, NOW, keep=False)
        db.dispose()
    print(digest_text(built.digest))
    if chart_path is not None and built.chart is not None:
        chart_path.write_bytes(render_pace_chart(built.chart))


if __name__ == "__main__":
    main()
