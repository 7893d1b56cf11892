"""What admins are told about follow-ups that cannot reach anyone: reps Slack cannot message,
and reps whose escalations have no manager to go to."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.jobs import follow_up_runs
from bot.settings import Settings
from bot.slack_client import create_client
from services.context import Services
from tests.app_server import AppServer, RunningApp, blocks_text, ephemeral_reply
from tests.bot.test_home import open_home
from tests.events import assigned, created, post_events

ADMIN = "U0BOSS"
GONE = "U0GONE"  # a rep Slack no longer knows


@pytest.fixture
def settings_with_admin(settings: Settings) -> Settings:
    return settings.model_copy(update={"smarketing_admins": frozenset({ADMIN})})


@pytest.fixture
def admin_app(settings_with_admin: Settings, app: RunningApp) -> Iterator[RunningApp]:
    """The app again, with SMARKETING_ADMINS naming an admin."""
    app.slack.clock = app.clock
    server = AppServer(settings_with_admin, app.db, app.clock)
    url = server.start()
    yield RunningApp(
        url=url,
        settings=settings_with_admin,
        db=app.db,
        clock=app.clock,
        slack=app.slack,
        http=app.http,
    )
    server.stop()


def _overdue_lead_of(app: RunningApp, rep: str) -> None:
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert (
        post_events(
            app,
            created("L-1", start, fit="high", interest="high"),
            assigned("L-1", start, slack_user_id=rep),
        ).status_code
        == 200
    )


def _settings_text(app: RunningApp, user_id: str) -> str:
    return blocks_text(ephemeral_reply(app.command("/smarketing", "settings", user_id=user_id)))


def test_a_rep_slack_cannot_reach_is_named_in_settings_and_on_the_admins_home(
    admin_app: RunningApp,
) -> None:
    app = admin_app
    app.slack.add_user(ADMIN, name="Boss", tz="UTC")
    app.slack.add_user("U0REP", name="Rep", tz="UTC")
    _overdue_lead_of(app, GONE)  # GONE was never added to the emulator: user_not_found
    app.clock.set(datetime(2026, 11, 3, 10, 0, tzinfo=UTC))
    services = Services(app.settings, app.db, app.clock, create_client(app.settings))

    run = asyncio.run(follow_up_runs.run_nudges(services))

    assert run.unreachable == {GONE: "user_not_found"}
    assert app.slack.calls_to("chat.postMessage") == []
    assert "Reps Slack cannot reach (1):* they left the workspace" in _settings_text(app, "U0REP")
    assert f"<@{GONE}>" in blocks_text(open_home(app, ADMIN))
    assert "cannot reach" not in blocks_text(open_home(app, "U0REP"))


def test_once_slack_knows_the_rep_again_a_day_later_they_are_nudged(
    admin_app: RunningApp,
) -> None:
    app = admin_app
    _overdue_lead_of(app, GONE)
    app.clock.set(datetime(2026, 11, 3, 10, 0, tzinfo=UTC))
    services = Services(app.settings, app.db, app.clock, create_client(app.settings))
    assert asyncio.run(follow_up_runs.run_nudges(services)).unreachable == {GONE: "user_not_found"}

    app.slack.add_user(GONE, name="Back again", tz="UTC")
    app.clock.set(app.clock.now() + timedelta(days=1))
    again = asyncio.run(follow_up_runs.run_nudges(services))

    assert again.unreachable == {}
    assert [call.params["channel"] for call in app.slack.calls_to("chat.postMessage")] == [
        GONE  # a DM goes to the user id: no conversations.open
    ]
    assert "cannot reach" not in _settings_text(app, ADMIN)


def test_without_admins_settings_say_escalations_of_unmanaged_reps_reach_no_one(
    app: RunningApp,
) -> None:
    _overdue_lead_of(app, "U0REP")

    shown = _settings_text(app, "U0REP")

    assert "escalate to no one (or list admins in SMARKETING_ADMINS)" in shown
