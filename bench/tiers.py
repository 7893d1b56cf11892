"""A nudge run to many reps within Slack's published tiers (issue 18, item 3), against the
project's Slack emulator enforcing them (domain/slack_tiers.py).

REPS reps, each with one overdue lead and no time zone the bot knows yet, are stored in a
fresh SQLite file; the emulator enforces Slack's limits with its minute shrunk SPEED times,
and the app's client paces at the same SPEED (`SLACK_RETRY_WAIT_SCALE` = 1/SPEED). One
`run_nudges` then sends every rep their DM. Figures: the wall time against the floor the
tiers impose on the calls strictly needed — one chat.postMessage a rep (the workspace-wide cap,
slack_tiers.POSTS_PER_MINUTE), and users.list pages of 200 (Tier 2) for the time zones — as a
ratio (target ≤ 1.2), scaled back to Slack's own minute; the calls by method; the 429s; and
that every rep got exactly one DM.

`python -m bench.tiers --reps 2000 --speed 10`
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.jobs import follow_up_runs
from bot.settings import load_settings
from bot.slack_client import create_client
from domain import slack_tiers
from local_workspace.company import store
from services.context import Services
from storage.db import Database
from tests.clock import FakeClock
from tests.events import assigned, created
from tests.slack.emulator import SlackEmulator

TOKEN = "xoxb-bench-tiers"
ASSIGNED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # Monday
RUN_AT = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # Tuesday 10:00, every rep at work (UTC)
TARGET_RATIO = 1.2
console = Console(highlight=False)


@dataclass(frozen=True)
class TierRun:
    reps: int
    speed: float
    seconds: float  # wall time of the run, at the bench's speed
    floor_seconds: float  # the tiers' floor for the calls needed, at the bench's speed
    calls: dict[str, int]
    refused: int  # answered 429
    dms_each: list[int]  # how many DMs the reps got, each count once: [1] when none is lost
    # or doubled

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_seconds


def floor_seconds(reps: int, *, speed: float) -> float:
    """The least time Slack's limits allow for `reps` DMs and their users.list pages: a method
    takes its limit in any one minute, so n calls need ⌈n / limit⌉ − 1 minutes past the first."""
    minute = 60 / speed
    posts = (math.ceil(reps / slack_tiers.POSTS_PER_MINUTE) - 1) * minute
    pages = math.ceil(reps / follow_up_runs.USERS_PAGE)
    per_minute = slack_tiers.TIER_PER_MINUTE[slack_tiers.METHOD_TIERS["users.list"]]
    listing = (math.ceil(pages / per_minute) - 1) * minute
    return max(posts, listing, 1e-9)


def run(*, reps: int, speed: float) -> TierRun:
    slack = SlackEmulator(bot_token=TOKEN)
    slack.start()
    rep_ids = [f"U0R{number:05d}" for number in range(reps)]
    for rep in rep_ids:
        slack.add_user(rep, name=rep, tz="UTC")
    events: list[dict[str, Any]] = []
    for rep in rep_ids:
        events.append(created(f"L-{rep}", ASSIGNED, fit="high", interest="high"))
        events.append(assigned(f"L-{rep}", ASSIGNED, slack_user_id=rep))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'tiers.sqlite3'}"
        db = Database(url)
        db.upgrade()
        settings = load_settings(
            None,
            database_url=url,
            slack_bot_token=TOKEN,
            slack_api_url=slack.api_url,
            slack_retry_wait_scale=1 / speed,
            smarketing_timezone="UTC",
        )
        clock = FakeClock(ASSIGNED)
        services = Services(settings, db, clock, create_client(settings))
        asyncio.run(store(services, events))
        clock.set(RUN_AT)
        slack.enforce_tiers(minute=60 / speed)
        before = len(slack.calls)
        started = time.monotonic()
        outcome = asyncio.run(follow_up_runs.run_nudges(services))
        seconds = time.monotonic() - started
        made = slack.calls[before:]
        db.dispose()
    slack.stop()
    assert outcome.planned == reps, outcome.describe()
    dms = sorted({len(slack.messages_in(f"D{rep}")) for rep in rep_ids})
    return TierRun(
        reps=reps,
        speed=speed,
        seconds=seconds,
        floor_seconds=floor_seconds(reps, speed=speed),
        calls=dict(Counter(call.method for call in made)),
        refused=sum(1 for call in made if call.answered_status == 429),
        dms_each=dms,
    )


def show(figures: TierRun) -> None:
    real = figures.speed
    console.print(
        f"Nudge run to {figures.reps:,} reps within Slack's tiers (minute shrunk {real:g}×): "
        f"{figures.seconds:.1f} s against a floor of {figures.floor_seconds:.1f} s — "
        f"{figures.ratio:.2f}× (target ≤ {TARGET_RATIO}); at Slack's own pace "
        f"{figures.seconds * real / 60:.1f} min against "
        f"{figures.floor_seconds * real / 60:.1f} min."
    )
    console.print(
        f"Calls: {figures.calls}; answered 429: {figures.refused}; DMs a rep: {figures.dms_each}"
    )


def main(
    reps: Annotated[int, typer.Option(help="Reps, each with one overdue lead.")] = 2000,
    speed: Annotated[float, typer.Option(help="How many times Slack's minute is shrunk.")] = 10,
) -> None:
    show(run(reps=reps, speed=speed))


if __name__ == "__main__":
    typer.run(main)
