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

from slack_sdk.web.async_client import AsyncWebClient

from blocks.digest_message import digest_text
from blocks.pace_chart_image import render_pace_chart
from bot.settings import load_settings
from domain.schedule import DigestSchedule, digest_due
from domain.sla import MarketingSla
from local_workspace.company import store
from local_workspace.sample_company import REPS, history, iso
from services import digests
from services.context import Services
from storage import members, workspace
from storage.db import Database

NOW = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
START = NOW - timedelta(days=28)


class _Fixed:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


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


def sample_store(folder: str) -> Services:
    """The sample workspace in a SQLite file in `folder`: four weeks of leads stored as of
    NOW, last Monday's digest taken (its snapshot is what this week compares with)."""
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
        # The names Slack gives the reps, as the nudge job keeps them (U0ANA is "ana").
        for rep_id in REPS:
            name = rep_id[2:].lower()
            members.upsert_member(session, slack_user_id=rep_id, name=name, now=START)
        session.commit()
    events = history(random.Random(2026), start=START, now=NOW)
    # Last Monday's digest first, with the events known then: it leaves the snapshot of
    # compliance and overdue leads that this week's digest compares with.
    last_monday = NOW - timedelta(days=7)
    asyncio.run(store(services, [e for e in events if e["occurred_at"] < iso(last_monday)]))
    _build(services, last_monday, keep=True)
    asyncio.run(store(services, [e for e in events if e["occurred_at"] >= iso(last_monday)]))
    return services


def main() -> None:
    chart_path = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    with tempfile.TemporaryDirectory() as folder:
        services = sample_store(folder)
        built = _build(services, NOW, keep=False)
        services.db.dispose()
    print(digest_text(built.digest))
    if chart_path is not None and built.chart is not None:
        chart_path.write_bytes(render_pace_chart(built.chart))


if __name__ == "__main__":
    main()
