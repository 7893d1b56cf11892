"""Scheduled work in real processes: two copies of the app on one database post one digest,
and `smarketing jobs run` sends (once) or prints (--dry-run) what the scheduler would."""

from __future__ import annotations

import time as wall
from contextlib import ExitStack
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from sqlmodel import select

from domain.schedule import DigestSchedule, Weekday, monthly_due
from storage.db import Database
from storage.models import Posting, Setting
from storage.schedules import DIGEST_DAY, DIGEST_TIME, set_digest
from tests.app_server import Ran, app_environment, app_process, smarketing
from tests.slack.emulator import SlackEmulator

CHANNEL = "C0DIGEST"


def _environment(database_url: str, slack: SlackEmulator, **extra: str) -> dict[str, str]:
    return app_environment(database_url, slack.api_url, **extra)


def _due_now(db: Database, slack: SlackEmulator) -> None:
    """A digest channel, and a schedule whose moment this week has passed by the real clock:
    today at 00:00 UTC."""
    slack.add_channel(CHANNEL, name="smarketing")
    today = datetime.now(UTC)
    with db.session() as session:
        set_digest(
            session,
            channel=CHANNEL,
            schedule=DigestSchedule(Weekday(today.weekday()), time(0, 0)),
            by="U0ADMIN",
            at=today,
            default_channel=None,
        )
        session.commit()


def _digests(slack: SlackEmulator, kind: str) -> list[str]:
    return [
        message["metadata"]["event_payload"]["key"]
        for message in slack.messages_in(CHANNEL)
        if message["metadata"]["event_payload"]["key"].startswith(kind)
    ]


def test_two_copies_of_the_app_on_one_database_post_one_digest(
    database_url: str, db: Database, slack: SlackEmulator, tmp_path: Path
) -> None:
    _due_now(db, slack)
    # Slack answers slowly, so the second copy arrives while the first is still sending.
    slack.slow("chat.postMessage", seconds=2, times=4)
    env = _environment(database_url, slack, SMARKETING_SCHEDULER="on")
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    monthly = monthly_due(time(0, 0), now=datetime.now(UTC), tz=UTC)
    due = 1 + (monthly is not None)  # postings each copy has a word about on its first run
    with ExitStack() as stack:
        for path in logs:
            stack.enter_context(app_process(env, stack.enter_context(path.open("w"))))
        # Each copy says what became of each due posting once: sent, claimed by the other
        # copy, or already sent (by it).
        deadline = wall.monotonic() + 60
        while wall.monotonic() < deadline and any(
            path.read_text().count("scheduled run:") < due for path in logs
        ):
            wall.sleep(0.1)

    assert len(_digests(slack, "digest:")) == 1
    assert len(_digests(slack, "monthly:")) == (1 if monthly is not None else 0)
    said = [path.read_text() for path in logs]
    assert sum(text.count("scheduled run: sent to") for text in said) == 1 + (monthly is not None)
    with db.session() as session:
        [digest] = session.exec(select(Posting).where(Posting.kind == "digest")).all()
    assert digest.status == "sent" and digest.attempts == 1


def _jobs(env: dict[str, str], *args: str, process: bool = False) -> Ran:
    return smarketing(["jobs", "run", *args], env, process=process)


def test_jobs_run_digest_posts_once_and_says_so(
    database_url: str, db: Database, slack: SlackEmulator
) -> None:
    _due_now(db, slack)
    env = _environment(database_url, slack)

    first = _jobs(env, "digest", process=True)
    second = _jobs(env, "digest")

    assert first.returncode == 0, first.stderr
    assert "digest: sent to #smarketing" in first.stderr  # the channel by its name
    assert second.returncode == 0 and "digest: already sent" in second.stderr
    assert len(_digests(slack, "digest:")) == 1


@pytest.mark.parametrize(
    ("job", "heading"),
    [("digest", "Smarketing digest — week of"), ("monthly", "Monthly management report —")],
)
def test_jobs_run_dry_run_prints_the_message_and_sends_nothing(
    database_url: str, db: Database, slack: SlackEmulator, job: str, heading: str
) -> None:
    env = _environment(database_url, slack)  # no channel set: a dry run does not need one

    result = _jobs(env, job, "--dry-run")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(heading)
    assert "/smarketing target" in result.stdout  # an empty workspace: what to set up
    assert slack.calls_to("chat.postMessage") == []
    with db.session() as session:
        assert session.exec(select(Posting)).all() == []


def test_jobs_run_without_a_channel_says_how_to_set_one(
    database_url: str, db: Database, slack: SlackEmulator
) -> None:
    today = datetime.now(UTC)
    with db.session() as session:  # a schedule due now (today 00:00 UTC), and no channel
        for key, value in ((DIGEST_DAY, str(today.weekday())), (DIGEST_TIME, "00:00")):
            session.add(Setting(key=key, value=value, set_by="U0ADMIN", set_at=today))
        session.commit()
    env = _environment(database_url, slack)

    result = _jobs(env, "digest")

    assert result.returncode == 2
    assert "digest: no channel" in result.stderr
    assert "/smarketing digest #channel" in result.stderr
    assert "Traceback" not in result.stderr
