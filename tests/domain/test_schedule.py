"""When the digest and the monthly report are due, in the workspace's time zone, across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.schedule import (
    DigestSchedule,
    Weekday,
    digest_due,
    first_working_day,
    iso_week,
    local_moment,
    monthly_due,
    parse_time,
    week_span,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY_9 = DigestSchedule(Weekday.MONDAY, time(9, 0))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "scheduled"),
    [
        # Berlin leaves CET (+1) for CEST (+2) on Sunday 29 March 2026.
        (utc(2026, 3, 23, 8, 0), utc(2026, 3, 23, 8, 0)),  # the Monday before: 09:00 CET
        (utc(2026, 3, 30, 7, 0), utc(2026, 3, 30, 7, 0)),  # the Monday after: 09:00 CEST
        # … and returns to CET on Sunday 25 October 2026.
        (utc(2026, 10, 19, 7, 0), utc(2026, 10, 19, 7, 0)),
        (utc(2026, 10, 26, 8, 0), utc(2026, 10, 26, 8, 0)),
    ],
)
def test_monday_nine_stays_nine_on_the_wall_across_both_dst_changes(
    now: datetime, scheduled: datetime
) -> None:
    due = digest_due(MONDAY_9, now=now, tz=BERLIN)

    assert due is not None and due.scheduled_at == scheduled
    assert due.scheduled_at.astimezone(BERLIN).time() == time(9, 0)


def test_one_minute_before_the_local_time_nothing_is_due() -> None:
    # 06:59 UTC on 30 March 2026 is 08:59 in Berlin (CEST): not yet.
    assert digest_due(MONDAY_9, now=utc(2026, 3, 30, 6, 59), tz=BERLIN) is None
    # In winter the same UTC hour is 07:59 CET, and 08:00 UTC is 09:00 CET: due.
    assert digest_due(MONDAY_9, now=utc(2026, 11, 2, 7, 59), tz=BERLIN) is None
    assert digest_due(MONDAY_9, now=utc(2026, 11, 2, 8, 0), tz=BERLIN) is not None


def test_a_digest_stays_due_until_its_week_ends_then_the_next_week_waits_for_monday() -> None:
    sunday_late = utc(2026, 11, 8, 22, 59)  # 23:59 CET, Sunday of ISO week 45
    monday_early = utc(2026, 11, 8, 23, 0)  # 00:00 CET Monday of week 46

    due = digest_due(MONDAY_9, now=sunday_late, tz=BERLIN)

    assert due is not None and due.period == "2026-W45"
    assert due.late(sunday_late)
    assert digest_due(MONDAY_9, now=monday_early, tz=BERLIN) is None


def test_a_wall_time_that_does_not_exist_runs_after_the_gap_and_one_that_repeats_runs_once() -> (
    None
):
    # 02:30 on 29 March 2026 does not exist in Berlin (02:00 → 03:00): 03:30 CEST, 01:30 UTC.
    assert local_moment(date(2026, 3, 29), time(2, 30), BERLIN) == utc(2026, 3, 29, 1, 30)
    # 02:30 on 25 October 2026 happens twice (CEST, then CET): the first, 00:30 UTC.
    assert local_moment(date(2026, 10, 25), time(2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)


def test_the_week_of_a_dst_change_is_167_or_169_hours_long() -> None:
    spring_start, spring_end = week_span(date(2026, 3, 23), BERLIN)
    autumn_start, autumn_end = week_span(date(2026, 10, 19), BERLIN)

    assert (spring_end - spring_start).total_seconds() == 167 * 3600
    assert (autumn_end - autumn_start).total_seconds() == 169 * 3600


def test_iso_weeks_are_labelled_by_their_iso_year() -> None:
    # Monday 28 December 2026 starts ISO week 53 of 2026; 4 January 2027 is week 1 of 2027.
    assert iso_week(date(2026, 12, 28)) == "2026-W53"
    assert iso_week(date(2027, 1, 4)) == "2027-W01"


@pytest.mark.parametrize(
    ("year", "month", "first"),
    [
        (2026, 12, date(2026, 12, 1)),  # a Tuesday
        (2026, 8, date(2026, 8, 3)),  # the 1st is a Saturday
        (2026, 11, date(2026, 11, 2)),  # the 1st is a Sunday
        (2027, 5, date(2027, 5, 3)),  # the 1st is a Saturday
    ],
)
def test_the_first_working_day_skips_the_weekend(year: int, month: int, first: date) -> None:
    assert first_working_day(year, month) == first


def test_the_monthly_report_is_due_from_the_first_working_day_to_the_end_of_the_month() -> None:
    at = time(9, 0)
    # 1 August 2026 is a Saturday: the report waits for Monday the 3rd, 09:00 in New York (EDT).
    assert monthly_due(at, now=utc(2026, 8, 1, 14, 0), tz=NEW_YORK) is None
    assert monthly_due(at, now=utc(2026, 8, 3, 12, 59), tz=NEW_YORK) is None
    due = monthly_due(at, now=utc(2026, 8, 3, 13, 0), tz=NEW_YORK)
    assert due is not None and due.period == "2026-08" and not due.late(utc(2026, 8, 3, 13, 0))
    # Still August in New York at 03:00 UTC on 1 September: still due, and late.
    late = monthly_due(at, now=utc(2026, 9, 1, 3, 0), tz=NEW_YORK)
    assert late is not None and late.period == "2026-08" and late.late(utc(2026, 9, 1, 3, 0))


@pytest.mark.parametrize("text", ["mon", "Monday", "MON", "fri", "Sunday"])
def test_days_are_read_by_name(text: str) -> None:
    assert Weekday.parse(text).title.lower().startswith(text.lower()[:3])


@pytest.mark.parametrize("text", ["mo", "funday", "1", ""])
def test_a_day_that_is_no_day_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Weekday.parse(text)


@pytest.mark.parametrize(("text", "parsed"), [("09:00", time(9)), ("9:30", time(9, 30))])
def test_times_are_read_as_hours_and_minutes(text: str, parsed: time) -> None:
    assert parse_time(text) == parsed


@pytest.mark.parametrize("text", ["25:00", "9", "09:60", "9:5", "nine", "09:00pm"])
def test_a_time_that_is_no_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)
