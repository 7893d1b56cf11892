"""When scheduled messages are due: the weekly digest and the monthly report (DESIGN §2, §3).

Schedules are wall-clock times in the workspace's time zone ("Monday 09:00 in Europe/Berlin"),
so the UTC moment moves with daylight saving time. Each posting belongs to one period — an
ISO week for the digest, a calendar month for the report — and is due from its scheduled moment
to the end of that period: a run that finds it due and unsent posts it (late, if the moment is
long past), and once the period is over it is no longer posted at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import IntEnum

# Posted more than this after its time, a message says it is late (the app was down, or Slack was).
LATE_AFTER = timedelta(minutes=15)
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Weekday(IntEnum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6

    @property
    def title(self) -> str:
        return DAY_NAMES[self].title()

    @property
    def cron(self) -> str:
        """The day as APScheduler's cron field names it (mon, tue, …)."""
        return DAY_NAMES[self][:3]

    @classmethod
    def parse(cls, text: str) -> Weekday:
        """`mon`, `Monday`, `MON` …; ValueError for anything else."""
        word = text.strip().lower()
        for index, name in enumerate(DAY_NAMES):
            if len(word) >= 3 and name.startswith(word):
                return cls(index)
        raise ValueError(f"{text!r} is not a day of the week")


@dataclass(frozen=True)
class DigestSchedule:
    """The weekly digest's day and local time (DESIGN §3: default Monday 09:00)."""

    day: Weekday = Weekday.MONDAY
    at: time = time(9, 0)

    def describe(self) -> str:
        return f"{self.day.title} {self.at:%H:%M}"


@dataclass(frozen=True)
class Due:
    """A posting whose time has come: its period's label and the moment it was scheduled for."""

    period: str  # "2026-W49" for a week, "2026-12" for a month
    scheduled_at: datetime  # UTC
    period_start: datetime  # UTC: the start of the period the message is posted in
    period_end: datetime

    def late(self, now: datetime) -> bool:
        return now - self.scheduled_at > LATE_AFTER


def local_moment(day: date, at: time, tz: tzinfo) -> datetime:
    """`day` at the wall-clock time `at` in `tz`, in UTC.

    On the spring-forward day a time that does not exist (02:30 in Berlin) is read as the same
    number of minutes after the gap; on the fall-back day an hour that happens twice means its
    first occurrence. A schedule then fires once, at a time people recognise.
    """
    # PEP 495: fold=0 takes the offset in force before a transition, which gives both.
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(UTC)


def week_start(moment: datetime, tz: tzinfo) -> date:
    """The Monday of the ISO week `moment` falls in, in `tz`."""
    local = moment.astimezone(tz).date()
    return local - timedelta(days=local.weekday())


def iso_week(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def week_span(monday: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The ISO week that starts on `monday`, from local midnight to local midnight, in UTC."""
    return (
        local_moment(monday, time(0), tz),
        local_moment(monday + timedelta(days=7), time(0), tz),
    )


def digest_due(schedule: DigestSchedule, *, now: datetime, tz: tzinfo) -> Due | None:
    """This week's digest when its time has passed (and the week is not over); else None."""
    monday = week_start(now, tz)
    scheduled = local_moment(monday + timedelta(days=schedule.day), schedule.at, tz)
    if now < scheduled:
        return None
    start, end = week_span(monday, tz)
    return Due(iso_week(monday), scheduled, start, end)


def first_working_day(year: int, month: int) -> date:
    """The month's first Monday-to-Friday day (public holidays are not known to the bot)."""
    day = date(year, month, 1)
    while day.weekday() >= Weekday.SATURDAY:
        day += timedelta(days=1)
    return day


def month_span(year: int, month: int, tz: tzinfo) -> tuple[datetime, datetime]:
    following = date(year + month // 12, month % 12 + 1, 1)
    return local_moment(date(year, month, 1), time(0), tz), local_moment(following, time(0), tz)


def monthly_due(at: time, *, now: datetime, tz: tzinfo) -> Due | None:
    """This month's report when its time (the first working day, at `at`) has passed."""
    local = now.astimezone(tz)
    scheduled = local_moment(first_working_day(local.year, local.month), at, tz)
    if now < scheduled:
        return None
    start, end = month_span(local.year, local.month, tz)
    return Due(f"{local.year}-{local.month:02d}", scheduled, start, end)


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def parse_time(text: str) -> time:
    """`09:00`, `9:30`, `17:05`; ValueError for anything else."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"{text!r} is not a time like 09:00")
    hour, minute = int(hours), int(minutes)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(f"{text!r} is not a time of day (00:00 to 23:59)")
    return time(hour, minute)


@dataclass(frozen=True)
class PostingProblem:
    """A digest or report Slack refused for good (the app is not in the channel, the channel
    is archived or gone…): what admins are told in settings and on their App Home."""

    kind: str  # digest, monthly, digest_now (storage.postings)
    channel: str | None
    error: str  # Slack's error code: not_in_channel, is_archived, channel_not_found…
    at: datetime
    what_to_do: str | None  # services.posting_status.WHAT_TO_DO's advice, when it has one


@dataclass(frozen=True)
class DigestSettings:
    channel: str | None  # a channel id (set in Slack) or what SMARKETING_DIGEST_CHANNEL says
    channel_set_in_slack: bool
    schedule: DigestSchedule
    channel_set_at: datetime | None = None  # when an admin last set the channel in Slack

    def describe(self) -> str:
        where = f"<#{self.channel}>" if self.channel_set_in_slack else self.channel
        return f"{self.schedule.describe()} to {where}" if where else "no channel set"
