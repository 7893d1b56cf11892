"""The clock: APScheduler fires the weekly digest and the monthly report at their local times.

Cron triggers run in the workspace time zone, so "Monday 09:00" stays 09:00 on the wall across
daylight saving time. Every job goes through `scheduled_reports.run_due`, which posts only what
is due and unsent, so firing early, late, twice or in two processes is harmless; the same call
runs once at start (catch-up after downtime) and every few minutes (retries of failed sends). A
change of schedule made in Slack — perhaps through another process — is picked up within a
minute.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, time, tzinfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from blocks import campaign_message
from bot.jobs import follow_up_runs, hubspot_runs, scheduled_reports
from domain.schedule import DigestSchedule
from services import campaigns
from services.context import Services
from storage.schedules import digest_settings

logger = logging.getLogger("smarketing.scheduler")

RETRY_EVERY_MINUTES = 5
SCHEDULE_CHECK_SECONDS = 60


def digest_trigger(schedule: DigestSchedule, tz: tzinfo) -> CronTrigger:
    """Every week on the schedule's day and local time."""
    return CronTrigger(
        day_of_week=schedule.day.cron, hour=schedule.at.hour, minute=schedule.at.minute, timezone=tz
    )


def monthly_trigger(at: time, tz: tzinfo) -> CronTrigger:
    """Every working day at the digest's time: the job posts on the month's first one only."""
    return CronTrigger(day_of_week="mon-fri", hour=at.hour, minute=at.minute, timezone=tz)


class Clockwork:
    """The app's scheduler: started by the web process (unless SMARKETING_SCHEDULER=off) or by
    the `clock` process alone."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.tz = services.settings.timezone
        self.scheduler = AsyncIOScheduler(
            timezone=self.tz,
            # One run at a time per job; runs missed while busy collapse into one.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )
        self.schedule: DigestSchedule | None = None
        self._told: set[str] = set()  # postings this process said were sent already

    async def start(self) -> None:
        self.schedule = await self._read_schedule()
        add = self.scheduler.add_job
        add(self._run_due, digest_trigger(self.schedule, self.tz), id="digest")
        add(self._run_due, monthly_trigger(self.schedule.at, self.tz), id="monthly")
        add(
            self._run_due,
            IntervalTrigger(minutes=RETRY_EVERY_MINUTES, timezone=self.tz),
            id="catch_up",
            next_run_time=datetime.now(self.tz),  # at once: what was missed while down
        )
        add(
            self._follow_up,
            IntervalTrigger(
                minutes=self.services.settings.smarketing_nudge_minutes, timezone=self.tz
            ),
            id="follow_up",
            next_run_time=datetime.now(self.tz),
        )
        add(self.follow_schedule, IntervalTrigger(seconds=SCHEDULE_CHECK_SECONDS), id="schedule")
        # Campaign briefs whose day has come, and scorecards of campaigns that ended.
        add(
            self._campaigns,
            IntervalTrigger(minutes=1),
            id="campaigns",
            next_run_time=datetime.now(self.tz),
        )
        # Speed to lead: every minute, reading only the messages assignments queued.
        add(
            self._speed_to_lead,
            IntervalTrigger(minutes=1),
            id="speed_to_lead",
            next_run_time=datetime.now(self.tz),
        )
        if self.services.settings.hubspot_on:
            add(
                hubspot_runs.run_connector,
                IntervalTrigger(minutes=1),
                args=[self.services],
                id="hubspot",
                next_run_time=datetime.now(self.tz),
            )
            add(
                hubspot_runs.run_sync,
                IntervalTrigger(minutes=self.services.settings.hubspot_sync_minutes),
                args=[self.services],
                id="hubspot_sync",
            )
        self.scheduler.start()
        logger.info(
            "scheduler started: digest %s, monthly report on the first working day (%s)",
            self.schedule.describe(),
            self.tz,
        )

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def _run_due(self) -> None:
        for outcome in await scheduled_reports.run_due(self.services):
            # A missing channel is logged by the job once a period, not at every run; a
            # posting already sent (by this process or another copy) once per process.
            quiet = (scheduled_reports.Status.NOT_DUE, scheduled_reports.Status.NO_CHANNEL)
            if outcome.status is scheduled_reports.Status.ALREADY_SENT:
                if outcome.key is None or outcome.key in self._told:
                    continue
                self._told.add(outcome.key)
                logger.info("scheduled run: %s %s", outcome.key, outcome.describe())
            elif outcome.status not in quiet:
                logger.info("scheduled run: %s", outcome.describe())

    async def _campaigns(self) -> None:
        try:
            outcomes = await campaigns.post_due(self.services, campaign_message.DRAWING)
        except SQLAlchemyError as error:
            logger.warning("campaigns: the database did not answer (%s)", error)
            return
        for outcome in outcomes:
            if outcome.status is not scheduled_reports.Status.ALREADY_SENT:
                logger.info("campaigns: %s %s", outcome.key, outcome.describe())

    async def _follow_up(self) -> None:
        """Escalations first (they look at the state before this run's nudges), then nudges."""
        await self._run_in_turn(follow_up_runs.run_escalations, follow_up_runs.run_nudges)

    async def _speed_to_lead(self) -> None:
        """What events queued for a rep: speed-to-lead messages, then duplicate notices."""
        await self._run_in_turn(
            follow_up_runs.run_speed_to_lead, follow_up_runs.run_duplicate_notices
        )

    async def _run_in_turn(
        self, *jobs: Callable[[Services], Awaitable[follow_up_runs.FollowUpRun]]
    ) -> None:
        """Each job in turn; a failure of one is logged and does not stop the next."""
        for job in jobs:
            try:
                run = await job(self.services)
            except SQLAlchemyError as error:
                logger.warning("%s: the database did not answer (%s)", job.__name__, error)
                continue
            # Each job's first run is always told (it found nothing to do, say); later runs
            # only when they had something to send.
            if run.planned or run.unreachable or job.__name__ not in self._told:
                self._told.add(job.__name__)
                logger.info("%s: %s", job.__name__, run.describe())

    async def _read_schedule(self) -> DigestSchedule:
        def read() -> DigestSchedule:
            with self.services.db.session() as session:
                default = self.services.settings.smarketing_digest_channel
                return digest_settings(session, default_channel=default).schedule

        return await self.services.in_thread(read)

    async def follow_schedule(self) -> None:
        """Re-read the digest's day and time; move the triggers when they changed."""
        try:
            schedule = await self._read_schedule()
        except Exception:  # the database away for a moment: keep the schedule we have
            logger.warning("could not read the digest schedule; keeping %s", self.schedule)
            return
        if schedule == self.schedule:
            return
        self.scheduler.reschedule_job("digest", trigger=digest_trigger(schedule, self.tz))
        self.scheduler.reschedule_job("monthly", trigger=monthly_trigger(schedule.at, self.tz))
        logger.info("digest schedule now %s", schedule.describe())
        self.schedule = schedule
