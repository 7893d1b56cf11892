"""`/smarketing digest` over HTTP, signed as Slack signs it: admins choose where and when the
weekly digest goes or post it now, everyone reads it in `/smarketing settings`, and admins are
told — in settings and on their App Home — when Slack refused a digest or report for good."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from sqlmodel import col, select

from bot.jobs import scheduled_reports
from bot.settings import Settings
from bot.slack_client import create_client
from services.context import Services
from storage import postings
from storage.models import Posting, SettingChange
from storage.schedules import DIGEST, digest_settings
from tests.app_server import RunningApp, assert_fits_slack, blocks_text, ephemeral_reply
from tests.bot.test_home import open_home
from tests.slack.signing import slash_command_body

ADMIN = "U0ADMIN"
REP = "U0REP"
SMARKETING = "C0SMARKET"  # a channel the app is in
SALES = "C0SALES"  # another one
QUIET = "C0QUIET"  # a channel the app was never invited to
ARCHIVED = "C0OLDNEWS"
MANAGEMENT = "C0MGMT"
TZ = "Europe/Berlin"
EXAMPLE = "Try `/smarketing digest #smarketing MON 09:00`"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # the fake clock's start, a Monday
# Week 2026-W46: the digest is due Monday 9 November 09:00 in Berlin (CET, UTC+1) = 08:00 UTC.
MONDAY_0905 = datetime(2026, 11, 9, 9, 5, tzinfo=UTC)
INVITE = "invite the app to the channel (`/invite @Smarketing`)"
WAIT = 15.0  # seconds the work after a reply may take to reach the emulator

T = TypeVar("T")


@pytest.fixture
def management_channel() -> str | None:
    """SMARKETING_MANAGEMENT_CHANNEL; a test parametrises it to set one."""
    return None


@pytest.fixture
def digest_channel() -> str | None:
    """SMARKETING_DIGEST_CHANNEL; a test parametrises it to set one."""
    return None


@pytest.fixture
def settings(
    settings: Settings, management_channel: str | None, digest_channel: str | None
) -> Settings:
    return settings.model_copy(
        update={
            "smarketing_timezone": TZ,
            "smarketing_management_channel": management_channel,
            "smarketing_digest_channel": digest_channel,
        }
    )


@pytest.fixture
def people(app: RunningApp) -> RunningApp:
    app.slack.add_user(ADMIN, name="Ada Admin", is_admin=True)
    app.slack.add_user(REP, name="Rey Rep")
    app.slack.add_channel(SMARKETING, name="smarketing")
    app.slack.add_channel(SALES, name="sales")
    app.slack.add_channel(QUIET, name="quiet", bot_is_member=False)
    app.slack.add_channel(ARCHIVED, name="old-news", is_archived=True)
    app.slack.add_channel(MANAGEMENT, name="management", bot_is_member=False)
    return app


@pytest.fixture
def services(app: RunningApp) -> Iterator[Services]:
    """What the scheduler runs the jobs with, against the same store, clock and Slack."""
    yield Services(
        settings=app.settings, db=app.db, clock=app.clock, client=create_client(app.settings)
    )


# ---------------------------------------------------------------------------- driving the app


@dataclass(frozen=True)
class Sent:
    reply: dict[str, Any]
    response_url: str
    trigger_id: str

    @property
    def text(self) -> str:
        return str(self.reply["text"])


def digest_command(
    app: RunningApp,
    text: str,
    *,
    user_id: str = ADMIN,
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> Sent:
    """`/smarketing TEXT` as Slack POSTs it, with its own trigger id and response_url unless
    given: a retry by Slack repeats both."""
    url = response_url or app.slack.new_response_url()
    trigger = trigger_id or f"trig-{uuid.uuid4().hex}"
    body = slash_command_body(
        command="/smarketing", text=text, user_id=user_id, response_url=url, trigger_id=trigger
    )
    reply = ephemeral_reply(app.post_slack(body))
    assert_fits_slack(reply)
    return Sent(reply, url, trigger)


def settings_text(app: RunningApp, user_id: str = REP) -> str:
    return blocks_text(digest_command(app, "settings", user_id=user_id).reply)


def eventually(what: Callable[[], T | None], description: str) -> T:
    """What `what` returns once it returns something, polled until a deadline."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"{description} did not happen within {WAIT} s")


def responses(app: RunningApp, sent: Sent, count: int = 1) -> list[dict[str, Any]]:
    """The first `count` messages the app sent to the command's response_url, once there."""
    return eventually(
        lambda: (
            app.slack.responses(sent.response_url)[:count]
            if len(app.slack.responses(sent.response_url)) >= count
            else None
        ),
        f"{count} response(s) to {sent.text!r}",
    )


def digests_in(app: RunningApp, channel: str) -> list[dict[str, Any]]:
    return [
        message
        for message in app.slack.messages_in(channel)
        if message.get("metadata", {}).get("event_type") == scheduled_reports.METADATA_TYPE
    ]


def stored(app: RunningApp) -> tuple[str | None, str, list[str]]:
    """The digest's channel, day and time, and the recorded changes to them, newest first."""
    with app.db.session() as session:
        where = digest_settings(session, default_channel=None)
        changes = session.exec(
            select(SettingChange)
            .where(col(SettingChange.what) == DIGEST)
            .order_by(col(SettingChange.id).desc())
        ).all()
        history = [f"{row.old_value} → {row.new_value}" for row in changes]
        return where.channel, where.schedule.describe(), history


def slack_date(moment: datetime, fallback: str) -> str:
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def home_warnings(app: RunningApp, user_id: str) -> list[str]:
    """The warnings at the top of someone's Home, before its first divider."""
    view = open_home(app, user_id)
    top: list[str] = []
    for block in view["blocks"]:
        if block["type"] != "section":
            break
        if block["text"]["text"].startswith(":warning:"):
            top.append(block["text"]["text"])
    return top


# The default day and time, and no channel.
NOTHING_SET: tuple[str | None, str, list[str]] = (None, "Monday 09:00", [])


# ---------------------------------------------------------------------------- where and when


def test_an_admin_picks_the_channel_and_settings_show_where_when_and_who_changed_it(
    people: RunningApp,
) -> None:
    app = people
    sent = digest_command(app, f"digest <#{SMARKETING}|smarketing>")

    # No day and time given: the default, Monday 09:00 in the workspace's zone.
    assert sent.text == (
        f":white_check_mark: The weekly digest goes out Monday 09:00 to <#{SMARKETING}> ({TZ})."
    )
    assert stored(app) == (
        SMARKETING,
        "Monday 09:00",
        [f"no channel set → Monday 09:00 to <#{SMARKETING}>"],
    )

    shown = settings_text(app)
    assert f"*Weekly digest:* Monday 09:00 to <#{SMARKETING}> ({TZ})" in shown
    assert (
        "*Monthly report:* the first working day of the month at 09:00 to "
        f"<#{SMARKETING}> ({TZ}; the digest's channel)"
    ) in shown
    when = slack_date(START, "2026-11-02 09:00 UTC")
    assert (
        f"• {when} <@{ADMIN}> weekly digest: no channel set → Monday 09:00 to <#{SMARKETING}>"
    ) in shown
    assert ":warning:" not in shown


def test_an_admin_sets_day_and_time_and_a_later_channel_change_keeps_them(
    people: RunningApp,
) -> None:
    app = people
    sent = digest_command(app, f"digest <#{SMARKETING}|smarketing> fri 16:30")

    assert sent.text == (
        f":white_check_mark: The weekly digest goes out Friday 16:30 to <#{SMARKETING}> ({TZ})."
    )
    alone = digest_command(app, "digest", user_id=REP)
    assert alone.text.startswith(
        f":calendar: The weekly digest goes out Friday 16:30 to <#{SMARKETING}> ({TZ})."
    )

    moved = digest_command(app, f"digest <#{SALES}|sales>")

    assert "Friday 16:30 to <#C0SALES>" in moved.text
    assert stored(app) == (
        SALES,
        "Friday 16:30",
        [
            f"Friday 16:30 to <#{SMARKETING}> → Friday 16:30 to <#{SALES}>",
            f"no channel set → Friday 16:30 to <#{SMARKETING}>",
        ],
    )
    shown = settings_text(app)
    assert f"*Weekly digest:* Friday 16:30 to <#{SALES}> ({TZ})" in shown
    # The monthly report goes out at the digest's time.
    assert "the first working day of the month at 16:30 to <#C0SALES>" in shown


def test_the_same_channel_and_time_again_changes_nothing(people: RunningApp) -> None:
    app = people
    digest_command(app, f"digest <#{SMARKETING}|smarketing> MON 09:00")

    again = digest_command(app, f"digest <#{SMARKETING}> monday 9:00")

    assert again.text == (
        f":information_source: The weekly digest already goes out Monday 09:00 to "
        f"<#{SMARKETING}> ({TZ}); nothing was changed."
    )
    assert len(stored(app)[2]) == 1


def test_before_any_channel_the_digest_says_it_is_not_posted_and_how_to_set_one(
    people: RunningApp,
) -> None:
    app = people
    alone = digest_command(app, "digest", user_id=REP)

    assert alone.text == (
        ":calendar: The weekly digest has no channel yet, so it is not posted. An admin sets one "
        "with `/smarketing digest #smarketing MON 09:00`."
    )
    shown = settings_text(app)
    assert (
        "*Weekly digest:* not posted: no channel set — an admin sets one with "
        "`/smarketing digest #smarketing MON 09:00`"
    ) in shown
    assert "*Monthly report:* not posted: no channel set" in shown


@pytest.mark.parametrize("digest_channel", ["smarketing-weekly"])
def test_a_channel_configured_by_name_is_shown_until_an_admin_picks_one_in_slack(
    people: RunningApp,
) -> None:
    app = people
    assert digest_command(app, "digest", user_id=REP).text.startswith(
        f":calendar: The weekly digest goes out Monday 09:00 to #smarketing-weekly ({TZ})."
    )
    assert f"*Weekly digest:* Monday 09:00 to #smarketing-weekly ({TZ})" in settings_text(app)

    digest_command(app, f"digest <#{SMARKETING}|smarketing>")

    assert stored(app)[2] == [
        f"Monday 09:00 to smarketing-weekly → Monday 09:00 to <#{SMARKETING}>"
    ]
    assert f"*Weekly digest:* Monday 09:00 to <#{SMARKETING}> ({TZ})" in settings_text(app)


def test_help_after_digest_shows_its_usage(people: RunningApp) -> None:
    shown = blocks_text(digest_command(people, "digest help", user_id=REP).reply)

    assert "`/smarketing digest #channel [DAY HH:MM]`" in shown
    assert "`/smarketing digest now`" in shown
    assert "Example: `/smarketing digest #smarketing MON 09:00`" in shown


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "digest MON 09:00",
            "Name the channel first, picked from the # menu, then the day and time",
        ),
        (
            "digest #smarketing",
            "`#smarketing` is not a channel Slack linked: pick it from the list Slack shows as "
            "you type #",
        ),
        (
            f"digest <#{SMARKETING}|smarketing> someday 09:00",
            "`someday` is not a day of the week: use MON, TUE, WED, THU, FRI, SAT or SUN",
        ),
        (
            f"digest <#{SMARKETING}|smarketing> MON 25:00",
            "`25:00` is not a time of day: use 24-hour HH:MM, from 00:00 to 23:59",
        ),
        (
            f"digest <#{SMARKETING}|smarketing> MON 9",
            "`9` is not a time of day: use 24-hour HH:MM, from 00:00 to 23:59",
        ),
        (f"digest <#{SMARKETING}|smarketing> MON", "Give the time after the day, like `MON 09:00`"),
        (
            f"digest <#{SMARKETING}|smarketing> 09:00",
            "Give the day before the time, like `MON 09:00`",
        ),
    ],
)
def test_bad_input_gets_one_line_with_the_reason_and_an_example_and_changes_nothing(
    people: RunningApp, text: str, reason: str
) -> None:
    app = people
    sent = digest_command(app, text)

    assert sent.text == f":warning: {reason}. {EXAMPLE}"
    assert "\n" not in sent.text
    assert stored(app) == NOTHING_SET


def test_someone_who_is_not_an_admin_is_refused_and_nothing_changes(people: RunningApp) -> None:
    app = people
    sent = digest_command(app, f"digest <#{SMARKETING}|smarketing> MON 09:00", user_id=REP)

    assert sent.text.startswith(":no_entry: Only admins can set where the digest goes")
    assert sent.text.endswith("nothing was changed.")
    assert stored(app) == NOTHING_SET


def test_an_archived_channel_is_refused(people: RunningApp) -> None:
    app = people
    sent = digest_command(app, f"digest <#{ARCHIVED}|old-news>")

    assert sent.text == (
        f":warning: <#{ARCHIVED}> is archived, so the digest could not be posted there; choose "
        f"another channel. {EXAMPLE}"
    )
    assert stored(app) == NOTHING_SET


def test_a_channel_the_app_is_not_in_is_saved_with_a_warning_to_invite_it(
    people: RunningApp,
) -> None:
    app = people
    sent = digest_command(app, f"digest <#{QUIET}|quiet> TUE 08:15")

    assert sent.text == (
        f":white_check_mark: The weekly digest goes out Tuesday 08:15 to <#{QUIET}> ({TZ}).\n"
        f":warning: I am not in <#{QUIET}> yet: invite me with `/invite @Smarketing` there, or "
        "the digest cannot be posted."
    )
    assert stored(app)[:2] == (QUIET, "Tuesday 08:15")


# ---------------------------------------------------------------------------- digest now


def test_digest_now_replies_at_once_then_posts_the_digest_and_confirms(
    people: RunningApp,
) -> None:
    app = people
    digest_command(app, f"digest <#{SMARKETING}|smarketing>")

    sent = digest_command(app, "digest now")

    assert sent.text == f":hourglass_flowing_sand: Posting this week's digest to <#{SMARKETING}>…"
    [message] = eventually(lambda: digests_in(app, SMARKETING), "the digest in #smarketing")
    # This week's digest for the channel: the key the scheduled run uses too (2 November 2026
    # is in ISO week 45).
    assert message["metadata"]["event_payload"]["key"] == f"digest:{SMARKETING}:2026-W45"
    # The store holds no lead yet: the digest says what to set up.
    assert message["text"].startswith("Smarketing digest — week of ")
    assert message["text"].endswith(": no leads yet; set up targets, the SLA and lead import.")
    [confirmation] = responses(app, sent)
    assert confirmation["text"] == f":white_check_mark: The digest is in <#{SMARKETING}>."
    assert confirmation["response_type"] == "ephemeral"


def test_digest_now_sent_twice_by_slack_with_the_same_trigger_id_posts_once(
    people: RunningApp,
) -> None:
    app = people
    digest_command(app, f"digest <#{SMARKETING}|smarketing>")
    first = digest_command(app, "digest now", trigger_id="trig-retried")
    responses(app, first)

    # Slack's retry repeats the request: the same trigger id and response_url.
    again = digest_command(
        app, "digest now", trigger_id="trig-retried", response_url=first.response_url
    )

    said = [response["text"] for response in responses(app, again, count=2)]
    assert said == [
        f":white_check_mark: The digest is in <#{SMARKETING}>.",
        f":information_source: This week's digest is already in <#{SMARKETING}>: it is posted "
        "once a week in a channel, whether by the schedule or by `digest now`.",
    ]
    assert len(digests_in(app, SMARKETING)) == 1
    with app.db.session() as session:
        rows = session.exec(select(Posting).where(col(Posting.kind) == postings.DIGEST)).all()
        assert [(row.key, row.status) for row in rows] == [
            (f"digest:{SMARKETING}:2026-W45", "sent")
        ]


def test_digest_now_is_the_weeks_digest_so_the_scheduled_run_does_not_post_it_again(
    people: RunningApp, services: Services
) -> None:
    app = people
    digest_command(app, f"digest <#{SMARKETING}|smarketing>")
    app.clock.set(datetime(2026, 11, 9, 7, 0, tzinfo=UTC))  # Monday, before the 08:00 UTC run
    now = digest_command(app, "digest now")
    responses(app, now)

    app.clock.set(MONDAY_0905)
    scheduled = asyncio.run(scheduled_reports.run_digest(services))
    again = digest_command(app, "digest now")

    assert scheduled.status is scheduled_reports.Status.ALREADY_SENT
    assert len(digests_in(app, SMARKETING)) == 1
    [said] = responses(app, again)
    assert said["text"].startswith(":information_source: This week's digest is already in")
    # Next week is another week: its digest is posted.
    app.clock.set(datetime(2026, 11, 16, 9, 5, tzinfo=UTC))
    assert asyncio.run(scheduled_reports.run_digest(services)).status is (
        scheduled_reports.Status.SENT
    )
    assert len(digests_in(app, SMARKETING)) == 2


def test_digest_now_with_more_words_says_it_takes_none_and_posts_nothing(
    people: RunningApp,
) -> None:
    app = people
    digest_command(app, f"digest <#{SMARKETING}|smarketing>")

    sent = digest_command(app, f"digest now <#{SALES}|sales>")

    assert sent.text == (
        ":warning: `digest now` posts to the digest's channel and takes nothing after `now`. "
        "Try `/smarketing digest now`"
    )
    assert app.slack.calls_to("chat.postMessage") == []


def test_digest_now_without_a_channel_says_so_and_posts_nothing(people: RunningApp) -> None:
    app = people
    sent = digest_command(app, "digest now")

    assert sent.text == (
        f":warning: No digest channel is set, so there is nowhere to post it. {EXAMPLE}"
    )
    assert app.slack.calls_to("chat.postMessage") == []
    assert app.slack.responses(sent.response_url) == []


def test_digest_now_by_someone_who_is_not_an_admin_is_refused_and_posts_nothing(
    people: RunningApp,
) -> None:
    app = people
    digest_command(app, f"digest <#{SMARKETING}|smarketing>")

    refused = digest_command(app, "digest now", user_id=REP)

    assert refused.text == (
        ":no_entry: Only admins can post the digest (Slack workspace admins and owners, and the "
        "users in SMARKETING_ADMINS); nothing was posted."
    )
    # An admin's request made after the refused one: once it is answered, only it has posted.
    allowed = digest_command(app, "digest now")
    responses(app, allowed)
    [message] = digests_in(app, SMARKETING)
    assert message["metadata"]["event_payload"]["key"] == f"digest:{SMARKETING}:2026-W45"
    assert app.slack.responses(refused.response_url) == []


def test_digest_now_when_slack_cannot_say_who_is_admin_is_refused(people: RunningApp) -> None:
    app = people
    digest_command(app, f"digest <#{SMARKETING}|smarketing>")
    app.slack.fail("users.info", status=200, error="fatal_error")

    sent = digest_command(app, "digest now")

    assert sent.text == (
        ":no_entry: Could not check with Slack that you are an admin (fatal_error), so the "
        "digest was not posted. Try again in a minute."
    )
    assert app.slack.calls_to("chat.postMessage") == []


def test_digest_now_to_a_channel_the_app_is_not_in_says_what_to_do(people: RunningApp) -> None:
    app = people
    digest_command(app, f"digest <#{QUIET}|quiet>")

    sent = digest_command(app, "digest now")

    [warning] = responses(app, sent)
    assert warning["text"] == (
        f":warning: The digest was not posted to <#{QUIET}>: not_in_channel — {INVITE}."
    )
    assert app.slack.messages_in(QUIET) == []
    # Settings show it to anyone, with when it was tried (the fake clock's start).
    when = slack_date(START, "2026-11-02 09:00 UTC")
    assert (
        f":warning: The weekly digest could not be posted to <#{QUIET}> {when}: Slack said "
        f"`not_in_channel`. To fix it: {INVITE}."
    ) in settings_text(app)
    # Invited, the admin asks again: the week's digest Slack refused is tried again.
    app.slack.add_channel(QUIET, name="quiet", bot_is_member=True)
    [posted] = responses(app, digest_command(app, "digest now"))
    assert posted["text"] == f":white_check_mark: The digest is in <#{QUIET}>."
    assert len(digests_in(app, QUIET)) == 1


# ---------------------------------------------------------------------------- telling admins


def test_a_scheduled_digest_slack_refused_is_shown_to_admins_until_one_is_posted(
    people: RunningApp, services: Services
) -> None:
    app = people
    digest_command(app, f"digest <#{QUIET}|quiet>")
    app.clock.set(MONDAY_0905)

    outcome = asyncio.run(scheduled_reports.run_digest(services))

    assert (outcome.status, outcome.error) == (scheduled_reports.Status.FAILED, "not_in_channel")
    when = slack_date(MONDAY_0905, "2026-11-09 09:05 UTC")
    warning = (
        f":warning: The weekly digest could not be posted to <#{QUIET}> {when}: Slack said "
        f"`not_in_channel`. To fix it: {INVITE}. This notice goes once a digest or report is "
        "posted there."
    )
    assert home_warnings(app, ADMIN) == [warning]
    assert home_warnings(app, REP) == []
    assert "could not be posted" not in blocks_text(open_home(app, REP))
    assert warning in settings_text(app)

    # The admin invites the app and posts the digest now: the notice goes.
    app.slack.add_channel(QUIET, name="quiet", bot_is_member=True)
    responses(app, digest_command(app, "digest now"))
    assert len(digests_in(app, QUIET)) == 1
    assert home_warnings(app, ADMIN) == []
    assert ":warning:" not in settings_text(app)


def test_choosing_another_channel_after_a_refused_digest_clears_the_notice(
    people: RunningApp, services: Services
) -> None:
    app = people
    digest_command(app, f"digest <#{QUIET}|quiet>")
    app.clock.set(MONDAY_0905)
    assert (
        asyncio.run(scheduled_reports.run_digest(services)).status
        is scheduled_reports.Status.FAILED
    )

    digest_command(app, f"digest <#{SMARKETING}|smarketing>")

    # The failure was in a channel the digest no longer goes to: nothing left to fix there.
    assert home_warnings(app, ADMIN) == []
    assert ":warning:" not in settings_text(app)
    # This week's digest is still due, and now goes to the new channel.
    assert (
        asyncio.run(scheduled_reports.run_digest(services)).status is scheduled_reports.Status.SENT
    )
    assert len(digests_in(app, SMARKETING)) == 1


@pytest.mark.parametrize("management_channel", [MANAGEMENT])
def test_a_refused_monthly_report_stays_shown_though_a_digest_was_posted_after_it(
    people: RunningApp, services: Services
) -> None:
    app = people
    digest_command(app, f"digest <#{SMARKETING}|smarketing>")
    assert (
        "*Monthly report:* the first working day of the month at 09:00 to "
        f"<#{MANAGEMENT}> ({TZ}; set by SMARKETING_MANAGEMENT_CHANNEL)"
    ) in settings_text(app)
    # Monday 7 December: December's report was due Tuesday 1 December (its first working
    # day) at 09:00 Berlin, this week's digest today at 09:00 Berlin (08:00 UTC).
    moment = datetime(2026, 12, 7, 9, 5, tzinfo=UTC)
    app.clock.set(moment)

    report = asyncio.run(scheduled_reports.run_monthly(services))
    digest = asyncio.run(scheduled_reports.run_digest(services))

    assert (report.status, report.error) == (scheduled_reports.Status.FAILED, "not_in_channel")
    assert digest.status is scheduled_reports.Status.SENT
    when = slack_date(moment, "2026-12-07 09:05 UTC")
    warning = (
        f":warning: The monthly report could not be posted to <#{MANAGEMENT}> {when}: Slack said "
        f"`not_in_channel`. To fix it: {INVITE}."
    )
    [shown] = home_warnings(app, ADMIN)
    assert shown.startswith(warning)
    assert warning in settings_text(app)
