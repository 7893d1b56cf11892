"""The scheduler: cron triggers in the workspace time zone across DST, catch-up on start,
schedule changes picked up, and SMARKETING_SCHEDULER=off."""

from __future__ import annotations

import time as wall
from datetime import UTC, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from bot.scheduler import Clockwork, digest_trigger, monthly_trigger
from bot.settings import Settings
from bot.slack_client import create_client
from domain.schedule import DigestSchedule, Weekday
from services.context import Services
from storage.db import Database
from storage.schedules import set_digest
from tests.app_server import AppServer
from tests.clock import FakeClock
from tests.slack.emulator import SlackEmulator

BERLIN = ZoneInfo("Europe/Berlin")
CHANNEL = "C0DIGEST"


def fires(trigger: object, after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times after `after`, in UTC, as APScheduler computes them."""
    moments: list[datetime] = []
    previous = None
    now = after
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)  # type: ignore[attr-defined]
        assert fire is not None
        moments.append(fire.astimezone(UTC))
        previous, now = fire, fire + timedelta(seconds=1)
    return moments


def test_the_weekly_trigger_keeps_the_wall_time_through_spring_forward() -> None:
    trigger = digest_trigger(DigestSchedule(Weekday.MONDAY, time(9, 0)), BERLIN)

    # Mondays 23 and 30 March 2026, either side of the change on the 29th: 09:00 CET, then CEST.
    assert fires(trigger, datetime(2026, 3, 20, tzinfo=UTC), 2) == [
        datetime(2026, 3, 23, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
    ]


def test_the_weekly_trigger_keeps_the_wall_time_through_fall_back() -> None:
    trigger = digest_trigger(DigestSchedule(Weekday.MONDAY, time(9, 0)), BERLIN)

    # Mondays 19 and 26 October 2026, either side of the change on the 25th.
    assert fires(trigger, datetime(2026, 10, 16, tzinfo=UTC), 2) == [
        datetime(2026, 10, 19, 7, 0, tzinfo=UTC),
        datetime(2026, 10, 26, 8, 0, tzinfo=UTC),
    ]


def test_the_monthly_trigger_fires_on_working_days_at_the_digest_time() -> None:
    trigger = monthly_trigger(time(9, 0), BERLIN)

    # Friday 31 July 2026, then Monday 3 August (the 1st and 2nd are a weekend).
    assert fires(trigger, datetime(2026, 7, 31, 6, 0, tzinfo=UTC), 2) == [
        datetime(2026, 7, 31, 7, 0, tzinfo=UTC),
        datetime(2026, 8, 3, 7, 0, tzinfo=UTC),
    ]


def _configure(db: Database, slack: SlackEmulator, schedule: DigestSchedule) -> None:
    slack.add_channel(CHANNEL, name="smarketing")
    with db.session() as session:
        set_digest(
            session,
            channel=CHANNEL,
            schedule=schedule,
            by="U0ADMIN",
            at=datetime(2026, 11, 1, tzinfo=UTC),
            default_channel=None,
        )
        session.commit()


def _wait_for_messages(slack: SlackEmulator, count: int, seconds: float = 20) -> int:
    deadline = wall.monotonic() + seconds
    while wall.monotonic() < deadline:
        if len(slack.messages_in(CHANNEL)) >= count:
            break
        wall.sleep(0.1)
    return len(slack.messages_in(CHANNEL))


def test_on_start_the_app_posts_the_digest_it_missed_while_down(
    settings: Settings, db: Database, slack: SlackEmulator
) -> None:
    _configure(db, slack, DigestSchedule(Weekday.MONDAY, time(9, 0)))
    clock = FakeClock(datetime(2026, 11, 4, 12, 0, tzinfo=UTC))  # Wednesday: Monday's was missed
    slack.clock = clock
    server = AppServer(settings.model_copy(update={"smarketing_scheduler": "on"}), db, clock)
    server.start()
    try:
        assert _wait_for_messages(slack, 2) == 2  # the digest, and November's monthly report
    finally:
        server.stop()

    keys = sorted(m["metadata"]["event_payload"]["key"] for m in slack.messages_in(CHANNEL))
    assert keys == [f"digest:{CHANNEL}:2026-W45", f"monthly:{CHANNEL}:2026-11"]
    assert all("Posted late" in str(m["blocks"]) for m in slack.messages_in(CHANNEL))


def test_with_the_scheduler_off_the_web_process_runs_no_jobs(
    settings: Settings, db: Database, slack: SlackEmulator
) -> None:
    _configure(db, slack, DigestSchedule(Weekday.MONDAY, time(9, 0)))
    clock = FakeClock(datetime(2026, 11, 4, 12, 0, tzinfo=UTC))
    server = AppServer(settings, db, clock)  # the tests' settings say SMARKETING_SCHEDULER=off
    url = server.start()
    try:
        assert httpx.get(f"{url}/healthz").status_code == 200
        assert cast(FastAPI, server.server.config.app).state.clockwork is None
    finally:
        server.stop()
    assert slack.calls_to("chat.postMessage") == []


async def test_a_schedule_changed_in_slack_moves_the_trigger(
    settings: Settings, db: Database, slack: SlackEmulator
) -> None:
    _configure(db, slack, DigestSchedule(Weekday.MONDAY, time(9, 0)))
    services = Services(
        settings=settings.model_copy(update={"smarketing_timezone": "Europe/Berlin"}),
        db=db,
        # A clock before any due moment: starting the scheduler posts nothing.
        clock=FakeClock(datetime(2026, 11, 2, 6, 0, tzinfo=UTC)),
        client=create_client(settings),
    )
    clockwork = Clockwork(services)
    await clockwork.start()
    try:
        before = clockwork.scheduler.get_job("digest").trigger
        _configure(db, slack, DigestSchedule(Weekday.FRIDAY, time(16, 30)))
        await clockwork.follow_schedule()
        after = clockwork.scheduler.get_job("digest").trigger
    finally:
        clockwork.shutdown()

    friday = after.get_next_fire_time(None, datetime(2026, 11, 2, tzinfo=BERLIN))
    monday = before.get_next_fire_time(None, datetime(2026, 11, 2, tzinfo=BERLIN))
    assert monday.astimezone(BERLIN).strftime("%a %H:%M") == "Mon 09:00"
    assert friday.astimezone(BERLIN).strftime("%a %H:%M") == "Fri 16:30"
