"""The Monday-09:00 burst (issue 18, item 3): PEOPLE people open App Home and PEOPLE others
type a slash command (`/sla-status`, `/lead mine`, `/leads-needed` in turn), all within one
minute, spread evenly and sent CONCURRENCY at a time, against one `smarketing run` process on
SQLite or two on PostgreSQL (requests alternate between them), the Slack emulator as Slack.

A workspace of PEOPLE × 2 reps with LEADS_EACH overdue leads each is stored first. Figures, for
the commands and the App Home events apart: the HTTP round trip of each signed request (what
Slack's 3 s applies to; target p99 < 500 ms), p50, p99 and max; for App Home also the time until
the emulator has the published view. The app runs with `SLACK_RETRY_WAIT_SCALE=0`: it does not
pace its calls to Slack's tiers here, so the publish times are the app's own work (at Slack's
pace, views.publish's Tier 4 would spread 500 publishes over about five minutes).

`python -m bench.burst [--database-url postgresql://…] [--people 500]`
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from bench.latency import percentile
from bench.server import BOT_TOKEN, SIGNING_SECRET, app_env, served_app
from bot.settings import load_settings
from bot.slack_client import create_client
from local_workspace.company import store
from services.context import Services
from storage.db import Database
from tests.clock import FakeClock
from tests.events import assigned, created
from tests.slack.emulator import SlackEmulator
from tests.slack.signing import event_body, json_headers, slack_headers, slash_command_body

console = Console(highlight=False)
LEADS_EACH = 5
CONCURRENCY = 20
COMMANDS = (("/sla-status", ""), ("/lead", "mine"), ("/leads-needed", "100000 1000 4%"))
TARGET_P99_MS = 500.0


@dataclass(frozen=True)
class Figures:
    kind: str
    p50: float
    p99: float
    worst: float
    count: int


def figures(kind: str, times: list[float]) -> Figures:
    ordered = sorted(times)
    return Figures(
        kind, statistics.median(ordered), percentile(ordered, 99), ordered[-1], len(ordered)
    )


def _workspace(database_url: str, people: int) -> list[str]:
    reps = [f"U0B{number:05d}" for number in range(people * 2)]
    db = Database(database_url)
    db.upgrade()
    settings = load_settings(None, database_url=database_url, smarketing_timezone="UTC")
    start = datetime(2026, 11, 2, 8, tzinfo=UTC)
    services = Services(settings, db, FakeClock(start), create_client(settings))
    events: list[dict[str, Any]] = []
    for rep in reps:
        for number in range(LEADS_EACH):
            lead_id = f"L-{rep}-{number}"
            at = start - timedelta(days=number)
            events.append(
                created(lead_id, at, email=f"{lead_id.lower()}@example.com", fit=80, interest=90)
            )
            events.append(assigned(lead_id, at, slack_user_id=rep))
    asyncio.run(store(services, events))
    db.dispose()
    return reps


def burst(
    urls: list[str], slack: SlackEmulator, homes: list[str], commanders: list[str]
) -> list[Figures]:
    """Each of `homes` opens App Home and each of `commanders` types a command, the requests
    spread evenly over one minute, CONCURRENCY in flight at most; then the wait until every
    App Home view is published."""
    plan: list[tuple[str, str, str, str]] = []  # (kind, user, command, text)
    for number in range(max(len(homes), len(commanders))):
        if number < len(homes):
            plan.append(("home", homes[number], "", ""))
        if number < len(commanders):
            command, text = COMMANDS[number % len(COMMANDS)]
            plan.append(("command", commanders[number], command, text))
    gap = 60.0 / len(plan)
    before = len(slack.calls)  # App Home views published before the burst do not count
    acks: dict[str, list[float]] = {"home": [], "command": []}
    lock = threading.Lock()

    def send(index: int, http: httpx.Client) -> None:
        kind, user, command, text = plan[index]
        if kind == "home":
            event = {
                "type": "app_home_opened",
                "user": user,
                "tab": "home",
                "channel": f"D{user}",
                "event_ts": f"{time.time():.6f}",
            }
            body = event_body(event)
            headers = json_headers(body, signing_secret=SIGNING_SECRET)
        else:
            body = slash_command_body(
                command=command,
                text=text,
                user_id=user,
                response_url=slack.new_response_url(),
                trigger_id=f"burst-{index}",
            )
            headers = slack_headers(body, signing_secret=SIGNING_SECRET)
        started = time.perf_counter()
        response = http.post(
            f"{urls[index % len(urls)]}/slack/events", content=body, headers=headers
        )
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{kind} {user}: HTTP {response.status_code}")
        with lock:
            acks[kind].append(elapsed)

    began = time.perf_counter()
    with (
        httpx.Client(timeout=30, limits=httpx.Limits(max_connections=CONCURRENCY)) as http,
        ThreadPoolExecutor(CONCURRENCY) as pool,
    ):
        futures = []
        for index in range(len(plan)):
            delay = began + index * gap - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(send, index, http))
        for future in futures:
            future.result()
    deadline = time.monotonic() + 300
    published = 0
    while time.monotonic() < deadline:
        done = {
            c.params.get("user_id") for c in slack.calls[before:] if c.method == "views.publish"
        }
        published = sum(1 for user in homes if user in done)
        if published == len(homes):
            break
        time.sleep(0.1)
    spread = time.perf_counter() - began
    console.print(
        f"  {published} of {len(homes)} App Home views published {spread:.1f} s after the "
        "burst began"
    )
    return [
        figures("slash command ack", acks["command"]),
        figures("App Home event ack", acks["home"]),
    ]


def measure(
    database_url: str, slack: SlackEmulator, homes: list[str], commanders: list[str], folder: str
) -> list[Figures]:
    """The burst against a stored workspace: one web process on SQLite, two on PostgreSQL."""
    copies = 2 if database_url.startswith("postgresql") else 1
    with ExitStack() as stack:
        env = app_env(database_url, slack.api_url, slack_retry_wait_scale="0")
        served = [stack.enter_context(served_app(env, cwd=folder)) for _ in range(copies)]
        return burst([one.url for one in served], slack, homes, commanders)


def run(database_url: str | None, people: int) -> list[Figures]:
    """A small workspace of its own (people × 2 reps, LEADS_EACH leads each), then the burst:
    the first `people` reps open App Home, the others type commands."""
    slack = SlackEmulator(bot_token=BOT_TOKEN)
    slack.start()
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'burst.sqlite3'}"
        reps = _workspace(url, people)
        for rep in reps:
            slack.add_user(rep, name=rep, tz="UTC")
        found = measure(url, slack, reps[:people], reps[people:], folder)
    slack.stop()
    return found


def verdict(found: Figures) -> str:
    met = "met" if found.p99 < TARGET_P99_MS else "missed"
    return (
        f"{found.kind}: p50 {found.p50:.0f} ms, p99 {found.p99:.0f} ms, max {found.worst:.0f} ms "
        f"({found.count} requests) — target p99 < {TARGET_P99_MS:.0f} ms: {met}"
    )


def main(
    database_url: Annotated[str | None, typer.Option(help="PostgreSQL: two web processes")] = None,
    people: Annotated[int, typer.Option(help="App Home opens, and as many commands")] = 500,
) -> None:
    where = "two web processes on PostgreSQL" if database_url else "one web process on SQLite"
    console.print(
        f"Monday burst: {people} App Home opens and {people} commands in one minute, {where}"
    )
    for found in run(database_url, people):
        console.print(f"  {verdict(found)}")


if __name__ == "__main__":
    typer.run(main)
