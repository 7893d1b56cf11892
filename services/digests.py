"""The weekly Smarketing digest and the monthly management report, each posted once per
period and channel, however many times and processes try (DESIGN §3, §5): the scheduled runs
(bot/jobs/scheduled_reports.py) and `/smarketing digest now` share these functions.

A run asks whether its message is due (domain/schedule.py), builds it from the projection, has
it drawn by the `DigestDrawing` it was given (blocks/digest_message.py: services draw no Block
Kit) and hands it to `services.posting.post_once`, which claims its key, posts and records it.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from domain import schedule
from domain.digest import Cadence, Digest, PeriodFigures, RepActivity, build_digest
from domain.pace_chart import PaceChart, pace_chart
from domain.schedule import DigestSettings
from domain.sla import GoalStanding, marketing_pace
from services.context import Services
from services.goal import goal
from services.people import names_of
from services.posting import (
    METADATA_TYPE,
    Outcome,
    Postable,
    Status,
    in_session,
    post_once,
    settled,
    status_of,
)
from storage import goals, members, postings, reports, workspace
from storage.digest_figures import period_figures, sales_ready_by_day
from storage.postings import DIGEST, MONTHLY
from storage.schedules import Snapshot, digest_settings, save_snapshot, snapshot

__all__ = ["METADATA_TYPE", "Outcome", "Status", "post_digest_now", "run_digest", "run_monthly"]

logger = logging.getLogger("smarketing.jobs")

SET_A_CHANNEL = "set one with `/smarketing digest #channel` or SMARKETING_DIGEST_CHANNEL"


class DigestDrawing(Protocol):
    """How a digest looks in Slack: its message (with a note when posted late), its text for
    a dry run, and its chart as a PNG."""

    def message(self, digest: Digest, *, late_since: datetime | None) -> Postable: ...

    def text(self, digest: Digest) -> str: ...

    def chart(self, chart: PaceChart) -> bytes: ...


@dataclass(frozen=True)
class Built:
    digest: Digest
    chart: PaceChart | None
    snapshot_key: str | None  # None for an on-demand digest: the weekly one keeps its own


# ---------------------------------------------------------------------------- the jobs


async def run_digest(
    services: Services, *, drawing: DigestDrawing, dry_run: bool = False
) -> Outcome:
    """This week's digest, if its time has passed and it was not sent yet: what the scheduler
    and `smarketing jobs run digest` run. `dry_run` builds it whatever the time, sends nothing."""
    now, tz = services.clock.now(), services.settings.timezone
    where = await in_session(services, _digest_where, services)
    due = schedule.digest_due(where.schedule, now=now, tz=tz)
    if due is None and not dry_run:
        return Outcome(Status.NOT_DUE)
    if due is None:
        due = _this_week(now, tz)
    if where.channel is None and not dry_run:
        _warn_once(
            services,
            f"{DIGEST}:{due.period}",
            "weekly digest not posted: no digest channel set (%s)",
            SET_A_CHANNEL,
        )
        return Outcome(Status.NO_CHANNEL, error=SET_A_CHANNEL)
    key = f"{DIGEST}:{where.channel}:{due.period}"
    # A channel set after this week's time is a first digest there, not a late one.
    newly_set = where.channel_set_at is not None and where.channel_set_at > due.scheduled_at
    return await _deliver(
        services,
        drawing,
        key=key,
        kind=DIGEST,
        channel=where.channel,
        due=due,
        late=due.late(now) and not newly_set,
        build=lambda session: build_weekly(session, services, due=due, now=now),
        dry_run=dry_run,
    )


async def post_digest_now(services: Services, *, drawing: DigestDrawing, channel: str) -> Outcome:
    """`/smarketing digest now`: this week's digest for its channel, now. It is the week's
    digest there — the same key as the scheduled run's — so the scheduled run does not post
    it again, a second `now` in the week says it is in already, and Slack's retry of the
    command posts once."""
    now, tz = services.clock.now(), services.settings.timezone
    due = _this_week(now, tz)
    key = f"{DIGEST}:{channel}:{due.period}"
    # Asked for by a person: a week's digest Slack refused (the app was not in the channel) is
    # tried again, since they may have fixed that; one already in the channel is not.
    await in_session(services, lambda session: postings.retry_failed(session, key=key))
    return await _deliver(
        services,
        drawing,
        key=key,
        kind=DIGEST,
        channel=channel,
        due=due,
        late=False,
        build=lambda session: build_weekly(session, services, due=due, now=now),
        dry_run=False,
    )


async def run_monthly(
    services: Services, *, drawing: DigestDrawing, dry_run: bool = False
) -> Outcome:
    """The monthly management report, from the first working day of the month at the digest's
    time, to SMARKETING_MANAGEMENT_CHANNEL or else the digest channel."""
    now, tz = services.clock.now(), services.settings.timezone
    where = await in_session(services, _digest_where, services)
    due = schedule.monthly_due(where.schedule.at, now=now, tz=tz)
    if due is None and not dry_run:
        return Outcome(Status.NOT_DUE)
    if due is None:
        local = now.astimezone(tz)
        start, end = schedule.month_span(local.year, local.month, tz)
        due = schedule.Due(f"{local.year}-{local.month:02d}", now, start, end)
    channel = services.settings.smarketing_management_channel or where.channel
    if channel is None and not dry_run:
        advice = "set SMARKETING_MANAGEMENT_CHANNEL, or " + SET_A_CHANNEL
        _warn_once(
            services,
            f"{MONTHLY}:{due.period}",
            "monthly report not posted: no channel set (%s)",
            advice,
        )
        return Outcome(Status.NO_CHANNEL, error=advice)
    return await _deliver(
        services,
        drawing,
        key=f"{MONTHLY}:{channel}:{due.period}",
        kind=MONTHLY,
        channel=channel,
        due=due,
        late=due.late(now),
        build=lambda session: build_monthly(session, services, due=due, now=now),
        dry_run=dry_run,
    )


async def run_due(services: Services, *, drawing: DigestDrawing) -> list[Outcome]:
    """Everything due and not yet sent: on start (catch-up after downtime) and every few
    minutes (retries). A failure of one job does not stop the other."""
    outcomes = []
    for job in (run_digest, run_monthly):
        try:
            outcomes.append(await job(services, drawing=drawing))
        except SQLAlchemyError as error:
            logger.warning(
                "%s: the database did not answer (%s); the next run retries",
                job.__name__,
                type(error).__name__,
            )
    return outcomes


_WARNED: set[str] = set()


def _warn_once(services: Services, period: str, message: str, *args: object) -> None:
    """A setup problem is logged once a period (per store), not at every retry run."""
    seen = f"{services.settings.database_url}|{period}"
    if seen not in _WARNED:
        _WARNED.add(seen)
        logger.warning(message, *args)


# ---------------------------------------------------------------------------- delivering


async def _deliver(
    services: Services,
    drawing: DigestDrawing,
    *,
    key: str,
    kind: str,
    channel: str | None,
    due: schedule.Due,
    late: bool,
    build: Callable[[Session], Built],
    dry_run: bool,
) -> Outcome:
    if not dry_run:
        status = await in_session(services, status_of, key)
        if status in (postings.SENT, postings.FAILED):
            return settled(status, key, channel)
    built = await in_session(services, build)
    message = drawing.message(built.digest, late_since=due.scheduled_at if late else None)
    if dry_run:
        # Plain text names people: those the members table does not know are asked of Slack.
        digest = built.digest
        people = [rep.rep_id for rep in digest.overdue_by_rep]
        people += [rep.who for rep in digest.activity]
        named = replace(digest, rep_names=await names_of(services, people))
        return Outcome(Status.DRY_RUN, key, channel, late, text=drawing.text(named))
    assert channel is not None
    outcome = await post_once(
        services, key=key, kind=kind, channel=channel, late=late, message=message
    )
    if outcome.status is Status.SENT:
        try:
            await in_session(services, keep_snapshot, services, built)
        except SQLAlchemyError as error:  # the message is out; next week shows no ▲▼ for these
            logger.warning("%s: state figures not kept (%s)", key, type(error).__name__)
        if built.chart is not None and outcome.message_ts is not None:
            await _upload_chart(
                services, drawing, built.chart, channel=channel, thread_ts=outcome.message_ts
            )
    return outcome


async def _upload_chart(
    services: Services, drawing: DigestDrawing, chart: PaceChart, *, channel: str, thread_ts: str
) -> None:
    """The chart in the digest's thread; the digest is out already, so a failure only logs."""
    try:
        png = await asyncio.to_thread(drawing.chart, chart)
        await services.client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            file=png,
            filename="sales-ready-pace.png",
            title=chart.title,
        )
    except Exception:  # the chart is a nicety: whatever broke it, the digest stands
        logger.warning("the digest's chart was not uploaded to %s", channel, exc_info=True)


# ---------------------------------------------------------------------------- building


def _digest_where(session: Session, services: Services) -> DigestSettings:
    return digest_settings(session, default_channel=services.settings.smarketing_digest_channel)


def _this_week(now: datetime, tz: ZoneInfo) -> schedule.Due:
    monday = schedule.week_start(now, tz)
    start, end = schedule.week_span(monday, tz)
    return schedule.Due(schedule.iso_week(monday), now, start, end)


def build_weekly(
    session: Session, services: Services, *, due: schedule.Due, now: datetime
) -> Built:
    """The last full week before the one the digest is posted in, against the week before it."""
    tz = services.settings.timezone
    monday = due.period_start.astimezone(tz).date()
    this_start, this_end = schedule.week_span(monday - timedelta(days=7), tz)
    last_start, last_end = schedule.week_span(monday - timedelta(days=14), tz)
    monthly = workspace.marketing_sla(session).committed(reps=reports.rep_count(session))
    weekly = math.ceil(Fraction(monthly * 12, 52))
    previous_key = f"week:{schedule.iso_week(monday - timedelta(days=7))}"
    digest = _digest(
        session,
        services,
        cadence=Cadence.WEEK,
        this=(this_start, this_end),
        last=(last_start, last_end),
        committed=weekly,
        previous_key=previous_key,
        now=now,
    )
    # The chart runs through the reported week's last day (a `digest now` mid-week reports the
    # week before, and its chart must not show the days since).
    through = (this_end.astimezone(tz) - timedelta(days=1)).date()
    chart = _chart(session, through=through, tz=tz, committed=monthly)
    return Built(digest, chart, f"week:{due.period}")


def build_monthly(
    session: Session, services: Services, *, due: schedule.Due, now: datetime
) -> Built:
    """The month before the one the report is posted in, against the month before that."""
    tz = services.settings.timezone
    year, month = (int(part) for part in due.period.split("-"))
    this_year, this_month = schedule.previous_month(year, month)
    last_year, last_month = schedule.previous_month(this_year, this_month)
    committed = workspace.marketing_sla(session).committed(reps=reports.rep_count(session))
    digest = _digest(
        session,
        services,
        cadence=Cadence.MONTH,
        this=schedule.month_span(this_year, this_month, tz),
        last=schedule.month_span(last_year, last_month, tz),
        committed=committed,
        previous_key=f"month:{this_year}-{this_month:02d}",
        now=now,
    )
    return Built(digest, None, f"month:{due.period}")


def _digest(
    session: Session,
    services: Services,
    *,
    cadence: Cadence,
    this: tuple[datetime, datetime],
    last: tuple[datetime, datetime],
    committed: int,
    previous_key: str,
    now: datetime,
) -> Digest:
    sla = workspace.sales_sla(session)
    this_figures = period_figures(
        session, start=this[0], end=this[1], now=now, sales_sla=sla, marketing_committed=committed
    )
    first_lead = reports.first_lead_created(session)
    last_figures: PeriodFigures | None = None
    if first_lead is not None and first_lead < last[1]:
        last_figures = _with_snapshot(
            period_figures(
                session,
                start=last[0],
                end=last[1],
                now=None,  # its state comes from its own digest's snapshot
                sales_sla=sla,
                marketing_committed=committed,
            ),
            snapshot(session, previous_key),
        )
    found = goal(session, services.settings, now=now)
    tz = services.settings.timezone
    activity = _activity(session, this) if cadence is Cadence.MONTH else {}
    people = [*this_figures.overdue_by_rep, *(rep.who for rep in activity.get("activity", []))]
    return build_digest(
        this_period=this_figures,
        last_period=last_figures,
        goal=found.funnel if found is not None else None,
        actuals=found.actuals if found is not None else None,
        tracked_from=reports.tracked_from(session, tz=tz),
        previous_start=last[0],
        goals=_goal_standings(session, this, cadence=cadence),
        **activity,
        rep_names=members.names(session, people),
        # In the workspace's zone: the view names the week or month by its local start.
        start=this[0].astimezone(services.settings.timezone),
        end=this[1].astimezone(services.settings.timezone),
        cadence=cadence,
    )


def _activity(
    session: Session, this: tuple[datetime, datetime]
) -> dict[str, list[RepActivity]]:
    """The month's sales activity per rep, and summed per team."""
    per_rep = reports.sales_activity(session, start=this[0], end=this[1])
    by_rep = {rep.who: rep for rep in per_rep}
    per_team = []
    for team in members.all_teams(session, limit=50):
        total = RepActivity(team.name)
        for member in team.member_ids:
            if member in by_rep:
                total = total + by_rep[member]
        per_team.append(total)
    per_team.sort(key=lambda team: (-team.revenue, -team.won, team.who))
    return {"activity": per_rep, "team_activity": per_team}


def _goal_standings(
    session: Session, this: tuple[datetime, datetime], *, cadence: Cadence
) -> list[GoalStanding]:
    """Each goal's delivered in the digest's period against its share of the commitment."""
    rows = goals.all_goals(session)
    standings = []
    for row, delivered in zip(
        rows, goals.delivered_each(session, rows, start=this[0], end=this[1]), strict=True
    ):
        share = Fraction(row.per_month * 12, 52) if cadence is Cadence.WEEK else row.per_month
        pace = marketing_pace(delivered=delivered, committed=share, elapsed=Fraction(1))
        standings.append(GoalStanding(dimension=row.dimension, name=row.name, pace=pace))
    return standings


def _with_snapshot(figures: PeriodFigures, taken: Snapshot | None) -> PeriodFigures:
    """Last period's state figures as its own digest showed them, or marked unknown."""
    if taken is None:
        return figures
    return replace(
        figures,
        compliance=taken.compliance,
        overdue_by_rep=taken.overdue_by_rep,
        point_in_time=True,
    )


def _chart(session: Session, *, through: date, tz: ZoneInfo, committed: int) -> PaceChart | None:
    """Sales-ready leads per day of `through`'s month, up to and including it, against the
    pace line."""
    month_start = through.replace(day=1)
    following = date(month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1)
    by_day = sales_ready_by_day(
        session,
        start=schedule.local_moment(month_start, time(0), tz),
        end=schedule.local_moment(through + timedelta(days=1), time(0), tz),
        tz=tz,
    )
    if sum(by_day.values()) == 0 and committed == 0:
        return None
    return pace_chart(
        delivered_by_day=by_day,
        month_start=month_start,
        month_days=(following - month_start).days,
        committed=committed,
        through=through,
    )


def keep_snapshot(session: Session, services: Services, built: Built) -> None:
    digest = built.digest
    if built.snapshot_key is None:
        return
    save_snapshot(
        session,
        key=built.snapshot_key,
        compliance=digest.compliance.value,
        overdue_by_rep={rep.rep_id: rep.overdue.value or 0 for rep in digest.overdue_by_rep},
        at=services.clock.now(),
    )
    session.commit()
