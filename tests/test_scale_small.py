"""The benchmark's small run, in CI: the same commands and jobs on a workspace at 1% and at 2% of
the default scale. Time is printed, never asserted (the machine is shared); what fails the run
is what does not depend on its speed — the SQL statements each command or job issues, and the
Slack calls per person messaged, must not grow with the size of the workspace and its log."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from bench.workspace import Scale, lead_events, rep_id
from bot.events_api import parse_events
from bot.jobs import follow_up_runs
from bot.settings import Settings, load_settings
from bot.slack_client import create_client
from domain.schedule import DigestSchedule, digest_due
from services import digests
from services.context import Services
from services.ingestion import ingest
from storage import members, workspace
from storage.db import Database
from tests.app_server import BOT_TOKEN, SIGNING_SECRET, AppServer, RunningApp
from tests.clock import FakeClock
from tests.slack.emulator import SlackEmulator
from tests.slack.signing import event_body, json_headers

# The generated history ends here; the commands run on the Monday after, 10:00 UTC.
END = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
FULL = Scale()  # 500 reps, 100k leads, 1M events, 50 campaigns
SIZES = (0.01, 0.02)
MANAGER = "UMGR0000"
TEAM = 10


@dataclass
class Measured:
    statements: int
    seconds: float


def _fill(services: Services, scale: Scale) -> None:
    async def store() -> None:
        batch: list[dict[str, Any]] = []
        for item in lead_events(scale, end=END):
            batch.append(item)
            if len(batch) == 1_000:
                await _ingest(services, batch)
                batch = []
        if batch:
            await _ingest(services, batch)

    asyncio.run(store())
    with services.db.session() as session:
        workspace.set_revenue_target(
            session, amount=Decimal(5_000_000), period="year", by="UADMIN", at=END
        )
        for n in range(scale.reps):
            rep = members.upsert_member(session, slack_user_id=rep_id(n), now=NOW, tz="UTC")
            rep.manager_id = MANAGER if n < TEAM else None
        members.upsert_member(session, slack_user_id=MANAGER, now=NOW, tz="UTC")
        session.commit()


async def _ingest(services: Services, batch: list[dict[str, Any]]) -> None:
    parsed, problems = parse_events({"events": batch})
    assert not problems, problems[:3]
    await ingest(services, parsed, origin="api")


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[float, str]]:
    """A SQLite workspace at each size, generated once for the module."""
    urls = {}
    for share in SIZES:
        path: Path = tmp_path_factory.mktemp(f"scale-{share}") / "bench.sqlite3"
        url = f"sqlite:///{path}"
        db = Database(url)
        db.upgrade()
        settings = load_settings(None, database_url=url, smarketing_timezone="UTC")
        services = Services(settings, db, FakeClock(NOW), create_client(settings))
        _fill(services, FULL.fraction(share))
        db.dispose()
        urls[share] = url
    yield urls


def _counting(db: Database) -> list[str]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    return seen


def _measure(app: RunningApp, seen: list[str], case: tuple[str, str, str]) -> Measured:
    command, text, user = case
    seen.clear()
    started = time.perf_counter()
    if command == "home":
        published = len(app.slack.calls_to("views.publish"))
        body = event_body(
            {
                "type": "app_home_opened",
                "user": user,
                "tab": "home",
                "channel": "D0HOME",
                "event_ts": f"{time.time():.6f}",
            }
        )
        response = app.post_slack(body, headers=json_headers(body, signing_secret=SIGNING_SECRET))
        deadline = time.monotonic() + 30
        while len(app.slack.calls_to("views.publish")) == published:
            assert time.monotonic() < deadline, "the Home was not published"
            time.sleep(0.002)
    else:
        response = app.command(command, text, user_id=user)
    assert response.status_code == 200
    return Measured(len(seen), time.perf_counter() - started)


CASES = [
    ("/leads-needed", "", rep_id(0)),
    ("/sla-status", "me", rep_id(0)),
    ("/sla-status", "team", MANAGER),
    ("/lead", "mine", rep_id(0)),
    ("home", "", MANAGER),
]


def _run_all(url: str, slack: SlackEmulator) -> dict[str, Measured]:
    settings: Settings = load_settings(
        None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=url,
        smarketing_timezone="UTC",
        smarketing_scheduler="off",
    )
    db = Database(url)
    clock = FakeClock(NOW)
    for n in range(FULL.reps):
        slack.add_user(rep_id(n), name=f"Rep {n}", tz="UTC")
    slack.add_user(MANAGER, name="Manager", tz="UTC", is_admin=True)
    slack.add_channel("C0DIGEST", name="smarketing")
    server = AppServer(settings, db, clock)
    url_served = server.start()
    seen = _counting(db)
    results: dict[str, Measured] = {}
    try:
        with httpx.Client(timeout=30) as http:
            app = RunningApp(url_served, settings, db, clock, slack, http)
            for case in CASES:
                _measure(app, seen, case)  # warm the caches once
                results[f"{case[0]} {case[1]}".strip()] = _measure(app, seen, case)
        services = Services(settings, db, clock, create_client(settings))
        due = digest_due(DigestSchedule(), now=NOW, tz=UTC)
        assert due is not None
        seen.clear()
        started = time.perf_counter()
        with db.session() as session:
            digests.build_weekly(session, services, due=due, now=NOW)
        results["weekly digest build"] = Measured(len(seen), time.perf_counter() - started)
        for name, job in (
            ("nudge run", follow_up_runs.run_nudges),
            ("escalation run", follow_up_runs.run_escalations),
        ):
            calls_before = len(slack.calls)
            seen.clear()
            started = time.perf_counter()
            run = asyncio.run(job(services))
            people = run.planned
            # A job's work follows the people it messages: its statements are counted per
            # person (rounded up), and must not grow as the workspace and its log do.
            per_person = -(-len(seen) // people) if people else len(seen)
            results[f"{name}: statements per person"] = Measured(
                per_person, time.perf_counter() - started
            )
            made = slack.calls[calls_before:]
            calls = len(made)
            results[f"{name}: Slack calls per person"] = Measured(
                calls // people if people else 0, 0.0
            )
            assert people == 0 or calls % people == 0, "some person got more calls than others"
            # Within Slack's tiers at any size: a DM is one chat.postMessage to the person's
            # user id (no conversations.open, Tier 3, per message), and time zones come from
            # the members table (no users.info, Tier 4, per person per run).
            by_method = Counter(call.method for call in made)
            assert by_method["chat.postMessage"] == people, by_method
            assert by_method["conversations.open"] == 0, by_method
            assert by_method["users.info"] == 0, by_method
    finally:
        server.stop()
        db.dispose()
    return results


def test_statements_and_slack_calls_do_not_grow_with_the_workspace(
    workspaces: dict[float, str], emulator: SlackEmulator
) -> None:
    measured = {}
    for share, url in workspaces.items():
        emulator.reset()
        measured[share] = _run_all(url, emulator)

    small, large = (measured[share] for share in SIZES)
    print(f"\nsmall run: {SIZES[0]:.0%} and {SIZES[1]:.0%} of {FULL}")
    for name in small:
        print(
            f"  {name:38} statements {small[name].statements:>4} → {large[name].statements:>4}"
            f"   time {small[name].seconds * 1000:7.1f} → {large[name].seconds * 1000:7.1f} ms"
        )
    grew = {
        name: (small[name].statements, large[name].statements)
        for name in small
        if large[name].statements > small[name].statements
    }
    assert grew == {}
    # One message posted per person messaged, and nothing else.
    assert large["nudge run: Slack calls per person"].statements == 1
    assert large["escalation run: Slack calls per person"].statements == 1
