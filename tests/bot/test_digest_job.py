"""The weekly digest and monthly report jobs against the emulator and a real store: posted once
per period and channel, late after downtime, retried after transient faults, never twice."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from blocks.digest_message import DRAWING
from bot.jobs import scheduled_reports
from bot.slack_client import create_client
from domain.schedule import DigestSchedule, Weekday
from services import digests, posting
from services.context import Services
from storage import postings
from storage.schedules import set_digest
from tests.app_server import RunningApp
from tests.events import assigned, created, post_events, touched
from tests.slack.emulator import SlackEmulator

CHANNEL = "C0DIGEST"
MONDAY_0905 = datetime(2026, 11, 9, 9, 5, tzinfo=UTC)  # week 2026-W46; digest due 09:00 UTC


@pytest.fixture
def services(app: RunningApp) -> Iterator[Services]:
    yield Services(
        settings=app.settings, db=app.db, clock=app.clock, client=create_client(app.settings)
    )


def configure(
    app: RunningApp, *, channel: str = CHANNEL, schedule: DigestSchedule | None = None
) -> None:
    app.slack.add_channel(channel, name="smarketing")
    with app.db.session() as session:
        set_digest(
            session,
            channel=channel,
            schedule=schedule or DigestSchedule(Weekday.MONDAY, time(9, 0)),
            by="U0ADMIN",
            at=app.clock.now(),
            default_channel=None,
        )
        session.commit()


def some_leads(app: RunningApp) -> None:
    """Two weeks of leads, so the digest has figures and a week to compare with."""
    events: list[dict[str, Any]] = []
    for n in range(6):
        at = datetime(2026, 10, 26, 10, tzinfo=UTC) + timedelta(days=n % 7, hours=n)
        lead = f"L-{n}"
        events.append(created(lead, at, source="webinar", fit="high", interest="high"))
        events.append(assigned(lead, at + timedelta(minutes=5), slack_user_id="U0REP"))
    for n in range(6, 14):
        at = datetime(2026, 11, 2, 10, tzinfo=UTC) + timedelta(days=n % 7, hours=n)
        lead = f"L-{n}"
        events.append(created(lead, at, source="ads", fit="high", interest="high"))
        events.append(assigned(lead, at + timedelta(minutes=5), slack_user_id="U0REP"))
        events.append(touched(lead, at + timedelta(hours=2)))
    assert post_events(app, *events).status_code == 200


def posted(slack: SlackEmulator, kind: str = "") -> list[dict[str, Any]]:
    """Messages in the digest channel; with `kind`, only the postings of that kind."""
    return [
        message
        for message in slack.messages_in(CHANNEL)
        if message.get("metadata", {}).get("event_payload", {}).get("key", "").startswith(kind)
    ]


def claimed_by_a_dead_run(app: RunningApp) -> str:
    """This week's digest due, and claimed by a process that died right after claiming it."""
    configure(app)
    some_leads(app)
    app.clock.set(MONDAY_0905)
    key = f"digest:{CHANNEL}:2026-W46"
    with app.db.session() as session:
        assert postings.claim(
            session, key=key, kind="digest", channel=CHANNEL, claimant="dead", now=MONDAY_0905
        )
        session.commit()
    return key


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_the_digest_is_posted_once_when_its_time_has_come(
    app: RunningApp, services: Services
) -> None:
    configure(app)
    some_leads(app)
    app.clock.set(MONDAY_0905 - timedelta(minutes=6))  # 08:59

    assert run(scheduled_reports.run_digest(services)).status is scheduled_reports.Status.NOT_DUE
    assert posted(app.slack) == []

    app.clock.set(MONDAY_0905)
    first = run(scheduled_reports.run_digest(services))
    second = run(scheduled_reports.run_digest(services))

    assert first.status is scheduled_reports.Status.SENT and not first.late
    assert second.status is scheduled_reports.Status.ALREADY_SENT
    [message] = posted(app.slack)
    assert message["metadata"]["event_payload"]["key"] == f"digest:{CHANNEL}:2026-W46"
    assert "week of" in message["text"]
    assert "Posted late" not in str(message["blocks"])


def first_digest(app: RunningApp, services: Services) -> dict[str, Any]:
    """Two weeks of leads and the digest of week 46, posted at its time."""
    configure(app)
    some_leads(app)
    app.clock.set(MONDAY_0905)
    assert run(scheduled_reports.run_digest(services)).status is scheduled_reports.Status.SENT
    message: dict[str, Any] = posted(app.slack)[0]
    return message


def test_the_week_reads_as_its_dates_in_the_workspace_zone_for_every_reader(
    app: RunningApp, services: Services
) -> None:
    text = str(first_digest(app, services)["blocks"])
    # Monday 2 to Sunday 8 November in the workspace's zone, as dates: not times a reader in
    # New York would see as Sunday evening to Sunday evening.
    assert "2–8 November 2026. ▲▼ compare with the previous week." in text
    assert "<!date^" not in text.split("compare with the previous week")[0]


def test_a_digest_missed_while_the_app_was_down_is_posted_late_that_week_only(
    app: RunningApp, services: Services
) -> None:
    configure(app)
    some_leads(app)
    app.clock.set(datetime(2026, 11, 11, 15, 0, tzinfo=UTC))  # Wednesday of W46

    digest, monthly = run(scheduled_reports.run_due(services))

    assert digest.status is scheduled_reports.Status.SENT and digest.late
    [message] = posted(app.slack, "digest:")
    assert "Posted late" in str(message["blocks"])
    # November's report (due Monday 2 November) was missed too, and is still in its month.
    assert monthly.status is scheduled_reports.Status.SENT and monthly.late

    # The week after, its own digest is due only from its Monday 09:00.
    app.clock.set(datetime(2026, 11, 16, 8, 0, tzinfo=UTC))
    assert run(scheduled_reports.run_due(services))[0].status is scheduled_reports.Status.NOT_DUE
    assert len(posted(app.slack, "digest:")) == 1


def test_no_channel_logs_why_and_posts_nothing(
    app: RunningApp, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    app.clock.set(MONDAY_0905)

    with caplog.at_level(logging.WARNING, logger="smarketing"):
        outcome = run(scheduled_reports.run_digest(services))

    assert outcome.status is scheduled_reports.Status.NO_CHANNEL
    assert "no digest channel set" in caplog.text
    assert app.slack.calls_to("chat.postMessage") == []


def test_an_empty_workspace_gets_a_digest_that_says_what_to_set_up(
    app: RunningApp, services: Services
) -> None:
    configure(app)
    app.clock.set(MONDAY_0905)

    assert run(scheduled_reports.run_digest(services)).status is scheduled_reports.Status.SENT

    [message] = posted(app.slack)
    assert "/smarketing target" in str(message["blocks"])
    assert "/api/events" in str(message["blocks"])


@pytest.mark.parametrize("fault", ["500", "429"])
def test_slack_failing_during_the_send_is_retried_and_posts_once(
    app: RunningApp, services: Services, fault: str
) -> None:
    configure(app)
    some_leads(app)
    app.clock.set(MONDAY_0905)
    if fault == "500":
        # More failures than slack_sdk's own retries absorb: this run gives up.
        app.slack.fail("chat.postMessage", status=500, times=3)
    else:
        app.slack.fail("chat.postMessage", status=429, retry_after=1, times=1)

    first = run(scheduled_reports.run_digest(services))
    app.clock.advance(minutes=5)
    second = run(scheduled_reports.run_digest(services))

    if fault == "500":
        assert first.status is scheduled_reports.Status.WILL_RETRY
        assert second.status is scheduled_reports.Status.SENT
    else:  # slack_sdk waited for Retry-After and tried again within the run
        assert first.status is scheduled_reports.Status.SENT
        assert second.status is scheduled_reports.Status.ALREADY_SENT
    assert len(posted(app.slack)) == 1


def test_a_send_that_timed_out_but_reached_slack_is_not_posted_again(
    app: RunningApp, services: Services
) -> None:
    configure(app)
    some_leads(app)
    app.clock.set(MONDAY_0905)
    impatient = Services(
        settings=services.settings,
        db=services.db,
        clock=services.clock,
        client=create_client(services.settings),
    )
    impatient.client.timeout = 1
    app.slack.slow("chat.postMessage", seconds=2)  # Slack posts it, but answers too late

    first = run(scheduled_reports.run_digest(impatient))
    app.clock.advance(minutes=5)
    second = run(scheduled_reports.run_digest(services))

    assert first.status is scheduled_reports.Status.WILL_RETRY
    assert second.status is scheduled_reports.Status.SENT
    assert len(posted(app.slack)) == 1
    assert second.message_ts == posted(app.slack)[0]["ts"]


def test_a_run_killed_between_claiming_and_sending_is_taken_over_after_its_lease(
    app: RunningApp, services: Services
) -> None:
    claimed_by_a_dead_run(app)

    while_alive = run(scheduled_reports.run_digest(services))
    app.clock.advance(seconds=postings.LEASE.total_seconds() + 60)
    after_lease = run(scheduled_reports.run_digest(services))

    assert while_alive.status is scheduled_reports.Status.CLAIMED_ELSEWHERE
    assert after_lease.status is scheduled_reports.Status.SENT
    assert len(posted(app.slack)) == 1


def test_a_run_killed_after_sending_but_before_recording_is_not_posted_again(
    app: RunningApp, services: Services
) -> None:
    key = claimed_by_a_dead_run(app)
    # The dead run's message reached Slack; its record did not reach the database.
    sent = run(
        services.client.chat_postMessage(
            channel=CHANNEL,
            text="digest",
            metadata={"event_type": posting.METADATA_TYPE, "event_payload": {"key": key}},
        )
    )

    app.clock.advance(seconds=postings.LEASE.total_seconds() + 60)
    outcome = run(scheduled_reports.run_digest(services))

    assert outcome.status is scheduled_reports.Status.SENT
    assert outcome.message_ts == sent["ts"]
    assert len(posted(app.slack)) == 1
    with app.db.session() as session:
        assert postings.status_of(session, key) == postings.SENT


@pytest.mark.parametrize("problem", ["not_in_channel", "is_archived"])
def test_a_channel_the_bot_cannot_post_in_fails_once_with_a_clear_log_line(
    app: RunningApp, services: Services, caplog: pytest.LogCaptureFixture, problem: str
) -> None:
    configure(app)
    app.slack.add_channel(
        CHANNEL,
        name="smarketing",
        is_archived=problem == "is_archived",
        bot_is_member=problem != "not_in_channel",
    )
    app.clock.set(MONDAY_0905)

    with caplog.at_level(logging.ERROR, logger="smarketing"):
        first = run(scheduled_reports.run_digest(services))
    app.clock.advance(minutes=5)
    again = run(scheduled_reports.run_digest(services))

    assert first.status is scheduled_reports.Status.FAILED and first.error == problem
    assert f"Slack said {problem}" in caplog.text
    assert again.status is scheduled_reports.Status.FAILED
    # The second run did not hammer Slack with a send that cannot work.
    assert len(app.slack.calls_to("chat.postMessage")) == 0
    assert len([c for c in app.slack.calls if c.method == "chat.postMessage"]) == 1


def test_the_chart_goes_into_the_digest_thread(app: RunningApp, services: Services) -> None:
    configure(app)
    some_leads(app)
    app.clock.set(MONDAY_0905)

    outcome = run(scheduled_reports.run_digest(services))

    assert outcome.status is scheduled_reports.Status.SENT
    [complete] = app.slack.calls_to("files.completeUploadExternal")
    assert complete.params["thread_ts"] == outcome.message_ts
    [png] = app.slack.uploaded_files.values()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_digest_posted_mid_week_charts_the_week_it_reports_not_the_days_since(
    app: RunningApp, services: Services
) -> None:
    configure(app)
    some_leads(app)
    app.clock.set(datetime(2026, 11, 12, 10, tzinfo=UTC))  # Thursday of week 46

    outcome = run(digests.post_digest_now(services, drawing=DRAWING, channel=CHANNEL))

    assert outcome.status is scheduled_reports.Status.SENT
    [complete] = app.slack.calls_to("files.completeUploadExternal")
    [shared] = complete.params["files"]
    # The digest reports 2–8 November: its chart stops on the 8th, not on the 11th.
    assert shared["title"] == "Sales-ready leads delivered, November 2026 (through Nov 8)"


def test_a_failed_chart_upload_leaves_the_digest_sent(app: RunningApp, services: Services) -> None:
    configure(app)
    some_leads(app)
    app.clock.set(MONDAY_0905)
    app.slack.fail("files.getUploadURLExternal", status=200, error="internal_error", times=5)

    outcome = run(scheduled_reports.run_digest(services))

    assert outcome.status is scheduled_reports.Status.SENT
    assert len(posted(app.slack)) == 1
    assert app.slack.uploaded_files == {}
    with app.db.session() as session:
        assert postings.status_of(session, outcome.key) == postings.SENT


def test_the_monthly_report_goes_out_on_the_first_working_day(
    app: RunningApp, services: Services
) -> None:
    configure(app)
    some_leads(app)
    # December 2026 starts on a Tuesday: its first working day is the 1st.
    app.clock.set(datetime(2026, 12, 1, 8, 59, tzinfo=UTC))
    assert run(scheduled_reports.run_monthly(services)).status is scheduled_reports.Status.NOT_DUE

    app.clock.set(datetime(2026, 12, 1, 9, 1, tzinfo=UTC))
    first = run(scheduled_reports.run_monthly(services))
    again = run(scheduled_reports.run_monthly(services))

    assert first.status is scheduled_reports.Status.SENT
    assert again.status is scheduled_reports.Status.ALREADY_SENT
    [message] = posted(app.slack)
    assert message["text"].startswith("Monthly management report — November 2026")
    assert message["metadata"]["event_payload"]["key"] == f"monthly:{CHANNEL}:2026-12"


class DatabaseOutage:
    """Takes the app's store away and brings it back, as a restart or failover would.

    PostgreSQL: the database stops taking connections and its sessions are ended. SQLite: the
    file goes away (pooled handles are closed first, or they would keep reading it)."""

    def __init__(self, app: RunningApp) -> None:
        self.db, self.url = app.db, make_url(app.db.engine.url)
        self.admin = (
            create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            if self.url.get_backend_name() == "postgresql"
            else None
        )
        self.path = Path(self.url.database or "")
        self.aside = self.path.with_suffix(".away")

    def start(self) -> None:
        if self.admin is not None:
            name = self.url.database
            with self.admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
            return
        self.db.engine.dispose()
        self.path.rename(self.aside)
        # A connection now would make a new, empty file; make it a directory so it fails.
        self.path.mkdir()

    def end(self) -> None:
        if self.admin is not None:
            with self.admin.connect() as connection:
                connection.execute(
                    text(f'ALTER DATABASE "{self.url.database}" ALLOW_CONNECTIONS true')
                )
            self.admin.dispose()
            return
        self.db.engine.dispose()
        self.path.rmdir()
        self.aside.rename(self.path)


def test_the_database_away_when_the_job_runs_posts_nothing_and_the_next_run_posts_once(
    app: RunningApp, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    configure(app)
    some_leads(app)
    app.clock.set(MONDAY_0905)
    outage = DatabaseOutage(app)

    outage.start()
    try:
        with caplog.at_level(logging.WARNING, logger="smarketing"):
            during = run(scheduled_reports.run_due(services))
    finally:
        outage.end()
    nothing_yet = posted(app.slack)
    app.clock.advance(minutes=5)
    after = run(scheduled_reports.run_due(services))

    assert during == []  # neither job could read its schedule: both said so and stopped
    assert caplog.text.count("the database did not answer") == 2
    assert nothing_yet == []
    assert after[0].status is scheduled_reports.Status.SENT
    assert len(posted(app.slack, "digest:")) == 1


def test_the_database_away_just_after_the_send_is_recorded_when_it_returns(
    app: RunningApp, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    configure(app)
    some_leads(app)
    app.clock.set(MONDAY_0905)
    outage = DatabaseOutage(app)

    def away_for_a_moment() -> None:
        outage.start()
        threading.Timer(1.2, outage.end).start()  # back before the record's retries run out

    app.slack.on_call("chat.postMessage", away_for_a_moment)
    with caplog.at_level(logging.WARNING, logger="smarketing"):
        outcome = run(scheduled_reports.run_digest(services))
    app.clock.advance(minutes=5)
    again = run(scheduled_reports.run_digest(services))

    assert outcome.status is scheduled_reports.Status.SENT
    assert "recording it failed" in caplog.text  # the outage did land between send and record
    assert again.status is scheduled_reports.Status.ALREADY_SENT
    assert len(posted(app.slack)) == 1
    with app.db.session() as session:
        assert postings.status_of(session, outcome.key) == postings.SENT


def test_a_channel_set_after_this_weeks_time_gets_its_first_digest_at_once_not_late(
    app: RunningApp, services: Services
) -> None:
    some_leads(app)
    app.clock.set(datetime(2026, 11, 11, 15, 0, tzinfo=UTC))  # Wednesday: Monday 09:00 passed
    configure(app)  # … and only now does an admin choose the channel

    outcome = run(scheduled_reports.run_digest(services))

    assert outcome.status is scheduled_reports.Status.SENT and not outcome.late
    [message] = posted(app.slack)
    assert "Posted late" not in str(message["blocks"])


def _figure(message: dict[str, Any], name: str) -> str:
    """A figure of a posted digest as Slack shows it, e.g. `8 ▼ -2 vs last week`."""
    for block in message["blocks"]:
        for field in block.get("fields") or []:
            label, _, value = field["text"].partition("\n")
            if label == f"*{name}*":
                return str(value)
    raise AssertionError(f"no figure {name!r} in the digest")


def test_overdue_leads_are_compared_with_what_last_weeks_digest_showed(
    app: RunningApp, services: Services
) -> None:
    first = _figure(first_digest(app, services), "Overdue leads")
    # No digest the week before: the state has nothing to be compared with.
    assert "vs last week" not in first
    before = int(first.split()[0])
    assert before >= 2

    # L-0 and L-1 are overdue now; during the week their rep gives each all six touches.
    touches = [
        touched(lead, MONDAY_0905 + timedelta(hours=hour))
        for lead in ("L-0", "L-1")
        for hour in range(1, 7)
    ]
    assert post_events(app, *touches).status_code == 200
    app.clock.set(MONDAY_0905 + timedelta(days=7))
    assert run(scheduled_reports.run_digest(services)).status is scheduled_reports.Status.SENT
    second = _figure(posted(app.slack)[1], "Overdue leads")

    after = int(second.split()[0])
    # Compared with what last week's digest showed, not with a recount of last week.
    change = after - before
    assert change != 0  # the week did change the state, or this would prove nothing
    arrow = "=" if change == 0 else ("▲" if change > 0 else "▼")
    expected = "= as last week" if change == 0 else f"{arrow} {change:+,} vs last week"
    assert expected in second
