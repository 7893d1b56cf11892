"""Part 4: the scheduled jobs — the weekly digest build on the workspace, and the nudge and
escalation runs over overdue leads — with their time, peak memory, SQL and Slack calls.

The digest is built as `run_digest` builds it before posting (figures, message, chart), by
`bench.digest_probe.measure` in a fresh process: one cold build, then warm builds (median),
then one under tracemalloc. It is then posted once, in this process, to the Slack emulator,
to count the calls a digest makes.

The follow-up jobs get a database of their own (as bench/follow_up_probe.py did): OVERDUE_FULL
overdue leads at the default scale (10% of its leads), spread evenly over the scale's reps,
each created and assigned four days before the run and never touched — all overdue, all past
the SLA's 48 hours, so the escalation run has every manager to write to. The run is a Tuesday
10:00 UTC, everyone's zone is UTC and known (as after a first run). Planning is timed as a dry
run (the leads read, the nudges planned, every message built, nothing sent), median of
PLAN_RUNS; its heap peak under tracemalloc; then one real run sends the DMs.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
import tracemalloc
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import digest_probe
from bench.sql import Recorder
from bench.workspace import Scale, manager_count, manager_id, manager_of, rep_id
from bot.events_api import parse_events
from bot.jobs import follow_up_runs, scheduled_reports
from bot.jobs.follow_up_runs import FollowUpRun
from bot.settings import Settings, load_settings
from bot.slack_client import create_client
from services.context import Services
from services.ingestion import ingest
from storage import members
from storage.db import Database
from tests.slack.emulator import SlackEmulator

BOT_TOKEN = "xoxb-bench"
FOLLOW_UP_AT = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # a Tuesday, 10:00 UTC
OVERDUE_FULL = 10_000  # overdue leads at the default scale
PLAN_RUNS = 5


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def digest_at(end: datetime) -> datetime:
    """The last Monday 09:05 UTC at or before `end`: the weekly digest's time (default
    schedule, UTC), reporting the full week before it."""
    monday = datetime.combine(end.date() - timedelta(days=end.weekday()), datetime.min.time(), UTC)
    at = monday + timedelta(hours=9, minutes=5)
    return at if at <= end else at - timedelta(days=7)


def _settings(database_url: str, slack: SlackEmulator, **extra: Any) -> Settings:
    return load_settings(
        None,
        database_url=database_url,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=slack.api_url,
        slack_app_token=None,
        smarketing_timezone="UTC",
        smarketing_admins="",
        smarketing_scheduler="off",
        **extra,
    )


def _calls_since(slack: SlackEmulator, before: int) -> dict[str, int]:
    calls: dict[str, int] = {}
    for call in slack.calls[before:]:
        calls[call.method] = calls.get(call.method, 0) + 1
    return calls


# ---------------------------------------------------------------------------- the digest


@dataclass
class DigestFigures:
    at: str
    cold_ms: float
    warm_ms: float  # median of the warm builds: figures, message and chart
    sql_ms: float  # the SQL inside a warm build (median)
    chart_ms: float
    heap_mib: float  # tracemalloc peak: figures, digest and message
    peak_rss_mib: float  # the measuring process, at the end of its cold build
    statements: int
    slack_calls: dict[str, int]  # posting it once
    status: str


def weekly_digest(
    database_url: str, scale: Scale, *, end: datetime, slack: SlackEmulator, channel: str
) -> DigestFigures:
    at = digest_at(end)
    measured = digest_probe.run_child(database_url, "weekly", scale.leads, scale.events, at)
    slack.add_channel(channel, name=f"smarketing-{channel.lower()}")
    db = Database(database_url)
    # A channel of this run's own: the posting key names it, so the digest is new here even
    # in a workspace reused from an earlier run.
    settings = _settings(database_url, slack, smarketing_digest_channel=channel)
    services = Services(settings, db, FixedClock(at), create_client(settings))
    before = len(slack.calls)
    try:
        outcome = asyncio.run(scheduled_reports.run_digest(services))
    finally:
        db.dispose()
    return DigestFigures(
        at=at.isoformat(),
        cold_ms=measured.cold["total"],
        warm_ms=statistics.median(measured.warm["total"]),
        sql_ms=statistics.median(measured.warm["sql"]),
        chart_ms=statistics.median(measured.warm["chart"]),
        heap_mib=measured.heap_build_mib,
        peak_rss_mib=measured.peak_rss_mib,
        statements=measured.queries,
        slack_calls=_calls_since(slack, before),
        status=str(outcome.status),
    )


# ---------------------------------------------------------------------------- follow-ups


@dataclass
class RunFigures:
    planned: int  # messages planned: one per person
    plan_ms: float  # a dry run, median
    plan_statements: int
    heap_mib: float  # tracemalloc peak of a dry run
    run_ms: float  # the real run, sends included
    sent: int
    statements: int  # in the real run
    statements_per_person: float
    slack_calls: dict[str, int]
    calls_per_person: float
    messages_per_person: float  # chat.postMessage per person messaged: the target is 1


@dataclass
class FollowUpFigures:
    overdue_leads: int
    reps: int
    managers: int
    nudges: RunFigures
    escalations: RunFigures


def overdue_events(leads: int, reps: int) -> list[dict[str, Any]]:
    at = FOLLOW_UP_AT - timedelta(days=4)
    events: list[dict[str, Any]] = []
    for n in range(leads):
        lead_id = f"F{n:07d}"
        events.append(
            {
                "id": f"f-created-{n}",
                "type": "lead.created",
                "occurred_at": at.isoformat(),
                "lead": {
                    "external_id": lead_id,
                    "name": f"Person {n}",
                    "company": f"Company {n}",
                    "fit": 90,
                    "interest": 90,
                },
            }
        )
        events.append(
            {
                "id": f"f-assigned-{n}",
                "type": "lead.assigned",
                "occurred_at": (at + timedelta(minutes=1)).isoformat(),
                "lead": {"external_id": lead_id},
                "owner": {"slack_user_id": rep_id(n % reps)},
            }
        )
    return events


async def _fill(services: Services, scale: Scale, leads: int) -> None:
    events = overdue_events(leads, scale.reps)
    for start in range(0, len(events), 1_000):
        parsed, problems = parse_events({"events": events[start : start + 1_000]})
        if problems:
            raise RuntimeError(f"generated events refused: {problems[:3]}")
        await ingest(services, parsed, origin="api")
    with services.db.session() as session:
        for n in range(scale.reps):
            rep = members.upsert_member(
                session, slack_user_id=rep_id(n), now=FOLLOW_UP_AT, tz="UTC"
            )
            rep.manager_id = manager_of(n)
        for m in range(manager_count(scale)):
            members.upsert_member(session, slack_user_id=manager_id(m), now=FOLLOW_UP_AT, tz="UTC")


def _measure_run(
    services: Services,
    recorder: Recorder,
    slack: SlackEmulator,
    job: Callable[..., Coroutine[Any, Any, FollowUpRun]],
) -> RunFigures:
    times = []
    for _ in range(PLAN_RUNS):
        with recorder.recording() as seen:
            started = time.perf_counter()
            planned = asyncio.run(job(services, dry_run=True)).planned
            times.append((time.perf_counter() - started) * 1000)
        plan_statements = len(seen)
    tracemalloc.start()
    asyncio.run(job(services, dry_run=True))
    _current, heap = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    before = len(slack.calls)
    with recorder.recording() as seen:
        started = time.perf_counter()
        run = asyncio.run(job(services))
        run_ms = (time.perf_counter() - started) * 1000
    calls = _calls_since(slack, before)
    people = run.planned or 1
    return RunFigures(
        planned=planned,
        plan_ms=statistics.median(times),
        plan_statements=plan_statements,
        heap_mib=heap / 2**20,
        run_ms=run_ms,
        sent=run.count(scheduled_reports.Status.SENT),
        statements=len(seen),
        statements_per_person=len(seen) / people,
        slack_calls=calls,
        calls_per_person=sum(calls.values()) / people,
        messages_per_person=calls.get("chat.postMessage", 0) / people,
    )


def follow_ups(database_url: str, scale: Scale, slack: SlackEmulator) -> FollowUpFigures:
    """Nudges, then escalations, over OVERDUE_FULL × the scale's share of overdue leads, on
    the fresh, migrated database at `database_url`."""
    leads = max(scale.reps, round(OVERDUE_FULL * scale.leads / Scale().leads))
    db = Database(database_url)
    db.upgrade()
    settings = _settings(database_url, slack)
    services = Services(settings, db, FixedClock(FOLLOW_UP_AT), create_client(settings))
    for n in range(scale.reps):
        slack.add_user(rep_id(n), name=f"Rep {n}", tz="UTC")
    for m in range(manager_count(scale)):
        slack.add_user(manager_id(m), name=f"Manager {m}", tz="UTC")
    logging.disable(logging.WARNING)  # a run's line per person is not the point here
    recorder = Recorder(db.engine)
    try:
        asyncio.run(_fill(services, scale, leads))
        nudges = _measure_run(services, recorder, slack, follow_up_runs.run_nudges)
        escalations = _measure_run(services, recorder, slack, follow_up_runs.run_escalations)
    finally:
        logging.disable(logging.NOTSET)
        recorder.close()
        db.dispose()
    return FollowUpFigures(
        overdue_leads=leads,
        reps=scale.reps,
        managers=manager_count(scale),
        nudges=nudges,
        escalations=escalations,
    )
