"""Speed to lead over real HTTP (issue 15, item 4): a sales-ready lead given to a rep is a DM
to that rep, once per lead and owner, in their working hours, with why it is sales-ready and
the first touch one click away; driven by the assignment, not by a scan of every lead."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from blocks.nudge_message import LOG_CALL
from bot.jobs import follow_up_runs
from bot.slack_client import create_client
from services.context import Services
from tests.app_server import RunningApp, assert_fits_slack
from tests.events import assigned, created, post_events, touched, updated

REP = "U0ANA"
MONDAY_10 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def services(app: RunningApp) -> Iterator[Services]:
    app.clock.set(MONDAY_10)
    app.slack.add_user(REP, name="Ana", tz="UTC")
    yield Services(app.settings, app.db, app.clock, create_client(app.settings))


def hot_lead(app: RunningApp, lead_id: str = "L-1", **fields: Any) -> None:
    values = {
        "fit": 90,
        "interest": 80,
        "source": "webinar",
        "campaign": "Spring launch",
        "name": "Lee Park",
        "company": "Acme",
        **fields,
    }
    assert post_events(
        app,
        created(lead_id, MONDAY_10 - timedelta(minutes=2), **values),
        assigned(lead_id, MONDAY_10 - timedelta(minutes=1), slack_user_id=REP),
    ).is_success


def dms(app: RunningApp) -> list[dict[str, Any]]:
    return [call.params for call in app.slack.calls_to("chat.postMessage")]


def run(services: Services) -> follow_up_runs.FollowUpRun:
    return asyncio.run(follow_up_runs.run_speed_to_lead(services))


def test_a_sales_ready_lead_given_to_a_rep_is_one_dm_saying_why_with_its_buttons(
    app: RunningApp, services: Services
) -> None:
    hot_lead(app)

    run(services)
    run(services)

    [dm] = dms(app)
    assert dm["text"] == "New sales-ready lead: L-1. Call while it is warm."
    assert_fits_slack({"text": dm["text"], "blocks": dm["blocks"]})
    line = dm["blocks"][0]["text"]["text"]
    assert "*L-1* · Lee Park, Acme" in line
    assert "fit 90 · interest 80 · source webinar · campaign Spring launch" in line
    buttons = [element["action_id"] for element in dm["blocks"][1]["elements"]]
    assert LOG_CALL in buttons


def test_the_same_assignment_delivered_twice_and_two_copies_of_the_job_send_one_dm(
    app: RunningApp, services: Services
) -> None:
    hot_lead(app)
    hot_lead(app)  # the CRM retries: the same event ids, stored once
    other = Services(app.settings, app.db, app.clock, create_client(app.settings))

    async def both() -> None:
        await asyncio.gather(
            follow_up_runs.run_speed_to_lead(services), follow_up_runs.run_speed_to_lead(other)
        )

    asyncio.run(both())

    assert len(dms(app)) == 1


def test_out_of_hours_the_dm_waits_for_the_reps_morning(
    app: RunningApp, services: Services
) -> None:
    app.slack.add_user(REP, name="Ana", tz="Asia/Tokyo")  # 19:00 there
    hot_lead(app)

    run(services)
    assert dms(app) == []
    app.clock.set(datetime(2026, 11, 3, 0, 1, tzinfo=UTC))  # 09:01 in Tokyo
    run(services)

    assert len(dms(app)) == 1


def test_nurture_is_not_announced_until_its_interest_makes_it_sales_ready(
    app: RunningApp, services: Services
) -> None:
    hot_lead(app, interest=20)
    run(services)
    assert dms(app) == []

    assert post_events(app, updated("L-1", MONDAY_10, interest=85)).is_success
    run(services)

    assert len(dms(app)) == 1


def test_a_lead_touched_before_the_message_went_is_not_announced(
    app: RunningApp, services: Services
) -> None:
    app.slack.add_user(REP, name="Ana", tz="Asia/Tokyo")
    hot_lead(app)
    run(services)  # out of hours: waits
    assert post_events(app, touched("L-1", MONDAY_10 + timedelta(minutes=5))).is_success

    app.clock.set(datetime(2026, 11, 3, 0, 1, tzinfo=UTC))
    run(services)

    assert dms(app) == []


def test_an_old_assignment_whose_first_touch_is_overdue_is_left_to_the_nudge(
    app: RunningApp, services: Services
) -> None:
    assert post_events(
        app,
        created("L-OLD", MONDAY_10 - timedelta(days=3), fit=90, interest=80),
        assigned("L-OLD", MONDAY_10 - timedelta(days=3), slack_user_id=REP),
    ).is_success

    run(services)

    assert dms(app) == []
