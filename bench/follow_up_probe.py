"""Probe: a nudge run over thousands of overdue leads — how long planning takes, how many Slack
calls the run makes, and how memory grows with the number of leads.

    python -m bench.follow_up_probe [LEADS ...]     (default: 2000 10000, over 500 reps)

Each size gets a fresh SQLite file filled through the real ingestion code (every lead created
and assigned three days before the run, never touched: all overdue), reps with their time zone
known (as after a first run), and the Slack emulator as Slack. Planning (the query and the
plan) is timed on its own, 7 times (median); then one whole run sends the DMs, and its Slack
calls are counted by method. Memory: the peak traced allocation of one planning.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.web.async_client import AsyncWebClient

from bench.workspace import rep_id
from bot import follow_up
from bot.delivery import Status
from bot.events_api import parse_events
from bot.ingest import ingest
from bot.services import Services
from bot.settings import load_settings
from domain.follow_up import plan_nudges
from storage import follow_up as follow_up_store
from storage import members
from storage.db import Database
from tests.slack.emulator import SlackEmulator

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # a Tuesday, 10:00 UTC
REPS = 500


class _Fixed:
    def now(self) -> datetime:
        return NOW


def _events(leads: int) -> list[dict[str, Any]]:
    at = NOW - timedelta(days=3)
    events: list[dict[str, Any]] = []
    for n in range(leads):
        lead_id = f"L{n:07d}"
        events.append(
            {
                "id": f"c-{n}",
                "type": "lead.created",
                "occurred_at": at.isoformat(),
                "lead": {
                    "external_id": lead_id,
                    "company": f"Company {n}",
                    "fit": 90,
                    "interest": 90,
                },
            }
        )
        events.append(
            {
                "id": f"a-{n}",
                "type": "lead.assigned",
                "occurred_at": (at + timedelta(minutes=1)).isoformat(),
                "lead": {"external_id": lead_id},
                "owner": {"slack_user_id": rep_id(n % REPS)},
            }
        )
    return events


async def _fill(services: Services, leads: int) -> None:
    events = _events(leads)
    for start in range(0, len(events), 1_000):
        parsed, problems = parse_events({"events": events[start : start + 1_000]})
        assert not problems, problems[:3]
        await ingest(services, parsed, origin="api")
    with services.db.session() as session:
        for n in range(REPS):
            members.upsert_member(session, slack_user_id=rep_id(n), now=NOW, tz="UTC")
        session.commit()


def _plan(services: Services) -> int:
    with services.db.session() as session:
        leads = follow_up_store.due_before(session, until=NOW + timedelta(days=1))
    zones = {rep_id(n): ZoneInfo("UTC") for n in range(REPS)}
    return len(plan_nudges(leads, now=NOW, zones=zones, morning=timedelta(minutes=15)))


def measure(leads: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder, SlackEmulator(bot_token="xoxb-bench") as slack:
        url = f"sqlite:///{Path(folder) / 'nudges.sqlite3'}"
        db = Database(url)
        db.upgrade()
        settings = load_settings(
            None, database_url=url, slack_api_url=slack.api_url, slack_bot_token="xoxb-bench"
        )
        client = AsyncWebClient(token="xoxb-bench", base_url=slack.api_url)
        services = Services(settings, db, _Fixed(), client)
        asyncio.run(_fill(services, leads))
        for n in range(REPS):
            slack.add_user(rep_id(n), name=f"Rep {n}", tz="UTC")
        timings = []
        for _ in range(7):
            started = time.perf_counter()
            planned = _plan(services)
            timings.append(time.perf_counter() - started)
        tracemalloc.start()
        _plan(services)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        started = time.perf_counter()
        run = asyncio.run(follow_up.run_nudges(services))
        whole = time.perf_counter() - started
        calls: dict[str, int] = {}
        for call in slack.calls:
            calls[call.method] = calls.get(call.method, 0) + 1
        db.dispose()
    return {
        "leads": leads,
        "planned": planned,
        "plan_median_s": statistics.median(timings),
        "plan_range_s": (min(timings), max(timings)),
        "plan_heap_peak_mib": peak / 2**20,
        "run_s": whole,
        "sent": run.count(Status.SENT),
        "calls": calls,
    }


def main() -> None:
    logging.disable(logging.WARNING)  # the run's per-person lines are not the point here
    sizes = [int(arg) for arg in sys.argv[1:]] or [2_000, 10_000]
    print(f"python {sys.version.split()[0]}; {REPS} reps; nudge run at {NOW:%a %Y-%m-%d %H:%M} UTC")
    results = [measure(leads) for leads in sizes]
    for result in results:
        low, high = result["plan_range_s"]
        print(
            f"{result['leads']:>7,} overdue leads: "
            f"planning {result['plan_median_s'] * 1000:.0f} ms "
            f"median ({low * 1000:.0f}–{high * 1000:.0f}), heap peak "
            f"{result['plan_heap_peak_mib']:.1f} MiB; whole run {result['run_s']:.1f} s, "
            f"{result['sent']} DMs sent to {result['planned']} reps; Slack calls {result['calls']}"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        ratio = last["leads"] / first["leads"]
        print(
            f"×{ratio:.0f} leads: planning ×{last['plan_median_s'] / first['plan_median_s']:.1f}, "
            f"heap ×{last['plan_heap_peak_mib'] / first['plan_heap_peak_mib']:.1f}"
        )


if __name__ == "__main__":
    main()
