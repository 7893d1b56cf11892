"""Part 3: end-to-end latency of the slash commands and the App Home — a signed request sent to
a real `smarketing run` process, until the reply (or, for the Home, until the Slack emulator
has the view) — against the bare SQL the answer needs.

The SQL is captured from the same app in this process (`create_app` under uvicorn, a listener
on its engine): the request is sent twice to warm it, then a third time while every statement
it issues is noted with its parameters. Those statements are then replayed alone, in order,
on a warm connection (bench.sql.replay): the floor the app's time is compared with.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field

import httpx
from sqlalchemy import func, select
from sqlmodel import col

from bench.server import BOT_TOKEN, SIGNING_SECRET, Served, app_in_process
from bench.sql import Recorder, Statement, one_line, replay
from bot.settings import load_settings
from storage.db import Database
from storage.models import Lead
from tests.slack.emulator import SlackEmulator
from tests.slack.signing import event_body, json_headers, slack_headers, slash_command_body

HOME = "app_home_opened"
REPLAYS = 20


@dataclass(frozen=True)
class Case:
    name: str
    command: str  # a slash command, or HOME
    text: str
    user: str


@dataclass
class Latency:
    name: str
    user: str
    runs: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    statements: int  # SQL statements one request issues
    bare_sql_ms: float  # those statements replayed alone (median)
    ratio: float  # p50 / bare SQL
    slack_calls: dict[str, int] = field(default_factory=dict)  # Web API calls one request makes
    slowest: list[tuple[float, str]] = field(default_factory=list)  # (ms, statement): the top 3


def busiest_rep(database_url: str) -> str:
    """The rep who owns the most leads (the generator's skew makes it rep 0, or near)."""
    db = Database(database_url)
    try:
        with db.session() as session:
            owner = session.execute(
                select(col(Lead.owner_id))
                .where(col(Lead.owner_id).is_not(None))
                .group_by(col(Lead.owner_id))
                .order_by(func.count().desc(), col(Lead.owner_id))
                .limit(1)
            ).scalar_one()
            return str(owner)
    finally:
        db.dispose()


def cases(*, rep: str, manager: str) -> list[Case]:
    return [
        Case("/leads-needed", "/leads-needed", "", rep),
        Case("/sla-status me", "/sla-status", "me", rep),
        Case("/sla-status team", "/sla-status", "team", manager),
        Case("/lead mine", "/lead", "mine", rep),
        Case("App Home (manager)", HOME, "", manager),
    ]


def send(http: httpx.Client, url: str, slack: SlackEmulator, case: Case, n: int) -> float:
    """One signed request; ms until the reply, or for the Home until Slack has the view."""
    if case.command == HOME:
        event = {
            "type": HOME,
            "user": case.user,
            "tab": "home",
            "channel": "D0HOME",
            "event_ts": f"{time.time():.6f}",
        }
        body = event_body(event)
        headers = json_headers(body, signing_secret=SIGNING_SECRET)
        published = threading.Event()
        slack.on_call("views.publish", published.set)
    else:
        body = slash_command_body(
            command=case.command,
            text=case.text,
            user_id=case.user,
            response_url=slack.new_response_url(),
            trigger_id=f"bench-{n}",
        )
        headers = slack_headers(body, signing_secret=SIGNING_SECRET)
    started = time.perf_counter()
    response = http.post(f"{url}/slack/events", content=body, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"{case.name}: HTTP {response.status_code}: {response.text[:200]}")
    if case.command == HOME and not published.wait(60):
        raise RuntimeError(f"{case.name}: no views.publish within 60 s")
    elapsed = (time.perf_counter() - started) * 1000
    if case.command != HOME and '"blocks"' not in response.text:
        raise RuntimeError(f"{case.name}: a reply without blocks: {response.text[:200]}")
    return elapsed


@dataclass
class Captured:
    statements: list[Statement]
    slack_calls: dict[str, int]


def capture(database_url: str, slack: SlackEmulator, all_cases: list[Case]) -> dict[str, Captured]:
    """Each case's SQL and Slack calls, from the app run in this process."""
    settings = load_settings(
        None,
        database_url=database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        slack_app_token=None,
        smarketing_scheduler="off",
        smarketing_timezone="UTC",
        smarketing_admins="",
        smarketing_digest_channel=None,
    )
    db = Database(database_url)
    recorder = Recorder(db.engine)
    found: dict[str, Captured] = {}
    try:
        with app_in_process(settings, db) as url, httpx.Client(timeout=60) as http:
            for case in all_cases:
                for n in range(2):
                    send(http, url, slack, case, n)
                before = len(slack.calls)
                with recorder.recording() as seen:
                    send(http, url, slack, case, 2)
                calls: dict[str, int] = {}
                for call in slack.calls[before:]:
                    calls[call.method] = calls.get(call.method, 0) + 1
                found[case.name] = Captured(list(seen), calls)
    finally:
        recorder.close()
        db.dispose()
    return found


def percentile(ordered: list[float], per_cent: int) -> float:
    """Nearest-rank percentile of sorted values: p99 of 200 values is the 198th."""
    rank = max(1, -(-per_cent * len(ordered) // 100))
    return ordered[rank - 1]


def measure(
    served: Served,
    database_url: str,
    slack: SlackEmulator,
    all_cases: list[Case],
    *,
    runs: int,
) -> list[Latency]:
    captured = capture(database_url, slack, all_cases)
    results = []
    with httpx.Client(timeout=60) as http:
        for case in all_cases:
            for n in range(3):  # warm this case's path in the served process
                send(http, served.url, slack, case, n)
            times = sorted(send(http, served.url, slack, case, n) for n in range(runs))
            seen = captured[case.name]
            replayed = replay(database_url, seen.statements, repeats=REPLAYS)
            bare = replayed.total_ms
            p50 = statistics.median(times)
            ranked = sorted(
                zip(replayed.each_ms, seen.statements, strict=True), key=lambda item: -item[0]
            )
            results.append(
                Latency(
                    name=case.name,
                    user=case.user,
                    runs=runs,
                    p50_ms=p50,
                    p95_ms=percentile(times, 95),
                    p99_ms=percentile(times, 99),
                    max_ms=times[-1],
                    statements=len(seen.statements),
                    bare_sql_ms=bare,
                    ratio=p50 / bare if bare else 0.0,
                    slack_calls=seen.slack_calls,
                    slowest=[(ms, one_line(statement.text)) for ms, statement in ranked[:3]],
                )
            )
    return results
