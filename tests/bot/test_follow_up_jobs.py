"""The nudge and escalation jobs against the Slack emulator and a real store (issue 6): one DM
per person per run, working hours in each person's zone, the 24 h rule, once per breach, and
every fault Slack can throw at a run — logged, reported, never doubled, the run goes on."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from blocks.nudge_message import block_id
from bot.jobs import follow_up_runs
from bot.slack_client import create_client
from services.context import Services
from services.posting import Status
from storage import follow_up_records as follow_up_store
from storage import members
from storage.models import FollowUp, Posting
from tests.app_server import Ran, RunningApp, assert_fits_slack, ephemeral_reply, smarketing
from tests.bot.test_follow_up_processes import environment, zone_at_work
from tests.events import assigned, created, post_events, touched

BERLIN = "Europe/Berlin"  # UTC+1 in November: 09:00 there is 08:00 UTC
# Monday 2 November 2026, 08:00 UTC. A lead assigned then has its first touch due 24 h later
# (the default SLA: first touch within 24 h, 6 touches in 14 days, escalate after 48 h).
MONDAY = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
TUESDAY_11 = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # 11:00 in Berlin
WEDNESDAY_09 = datetime(2026, 11, 4, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
HOUR = timedelta(hours=1)
ADMIN = "U0ADM"  # a workspace admin in Slack


@pytest.fixture
def services(app: RunningApp) -> Iterator[Services]:
    yield Services(app.settings, app.db, app.clock, create_client(app.settings))


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def people(app: RunningApp, *ids: str, tz: str = BERLIN) -> None:
    for user_id in ids:
        app.slack.add_user(user_id, name=user_id.removeprefix("U0").title(), tz=tz)


def give(app: RunningApp, rep: str, leads: dict[str, datetime]) -> None:
    """Leads (id → when assigned) created and assigned to `rep`."""
    events: list[dict[str, Any]] = []
    for lead_id, at in leads.items():
        events.append(created(lead_id, at, fit="high", interest="high", company=f"{lead_id} Inc"))
        events.append(assigned(lead_id, at, slack_user_id=rep))
    assert post_events(app, *events).status_code == 200


def dms(app: RunningApp, person: str) -> list[dict[str, Any]]:
    """The direct messages the bot posted to `person`, oldest first."""
    return app.slack.messages_in(f"D{person}")


def listed(message: dict[str, Any]) -> list[str]:
    """The leads a nudge lists in full, in order (each has a section with its block id)."""
    prefix = block_id("")
    return [
        block["block_id"].removeprefix(prefix)
        for block in message["blocks"]
        if block.get("block_id", "").startswith(prefix)
    ]


def text_of(message: dict[str, Any]) -> str:
    return str(message["blocks"])


def deactivated(session: Session, person: str) -> bool:
    """Whether the bot remembers `person` as someone Slack cannot reach."""
    member = members.member(session, person)
    assert member is not None
    return member.deactivated


def posts(app: RunningApp) -> int:
    return len(app.slack.calls_to("chat.postMessage"))


# ------------------------------------------------------------------ nudges


def test_each_rep_gets_one_dm_listing_all_their_overdue_leads_most_overdue_first(
    app: RunningApp, services: Services
) -> None:
    people(app, "U0ANA", "U0BEN")
    # First touches due 24 h after assignment: L-A2 Tue 06:00, L-A1 Tue 08:00, L-A3 Tue 09:30,
    # L-B1 Tue 07:00 UTC — all overdue at Tuesday 10:00 UTC; L-A4 (due Wed 09:00) is not.
    give(
        app,
        "U0ANA",
        {
            "L-A1": MONDAY,
            "L-A2": MONDAY - 2 * HOUR,
            "L-A3": MONDAY + 1.5 * HOUR,
            "L-A4": TUESDAY_11 - HOUR,
        },
    )
    give(app, "U0BEN", {"L-B1": MONDAY - HOUR})
    app.clock.set(TUESDAY_11)

    outcome = run(follow_up_runs.run_nudges(services))

    assert outcome.planned == 2 and outcome.count(Status.SENT) == 2
    assert posts(app) == 2  # one per rep, never one per lead
    [ana] = dms(app, "U0ANA")
    [ben] = dms(app, "U0BEN")
    assert listed(ana) == ["L-A2", "L-A1", "L-A3"]
    assert listed(ben) == ["L-B1"]
    assert ana["text"] == "3 of your leads are overdue for a touch"
    assert ben["text"] == "1 of your leads is overdue for a touch"
    # Each lead: id, company, grade, touches so far vs required, overdue since.
    assert "*L-A2* · L-A2 Inc · sales-ready · 0 of 6 touches · overdue since" in text_of(ana)
    assert_fits_slack(ana)


def test_ten_leads_in_full_then_how_many_more_with_lead_mine(
    app: RunningApp, services: Services
) -> None:
    people(app, "U0ANA")
    # 13 leads, L-00 assigned first (the most overdue), L-12 last.
    give(app, "U0ANA", {f"L-{n:02}": MONDAY + timedelta(minutes=n) for n in range(13)})
    app.clock.set(TUESDAY_11)

    run(follow_up_runs.run_nudges(services))

    [message] = dms(app, "U0ANA")
    assert listed(message) == [f"L-{n:02}" for n in range(10)]
    assert "…and 3 more overdue: see them all with `/lead mine`." in text_of(message)  # 13 - 10
    assert message["text"] == "13 of your leads are overdue for a touch"
    assert_fits_slack(message)


def test_overnight_leads_wait_for_0900_and_arrive_in_one_message_with_todays_touches(
    app: RunningApp, services: Services
) -> None:
    people(app, "U0ANA")
    # Due 24 h after assignment (UTC; Berlin is an hour ahead):
    give(
        app,
        "U0ANA",
        {
            "L-EVENING": MONDAY + 9.5 * HOUR,  # due Tue 17:30 UTC = 18:30 Berlin, after work
            "L-MIDNIGHT": MONDAY + 15 * HOUR,  # due Tue 23:00 UTC = 00:00 Berlin
            "L-DAWN": MONDAY + 21 * HOUR,  # due Wed 05:00 UTC = 06:00 Berlin
            "L-NOON": MONDAY + 28 * HOUR,  # due Wed 12:00 UTC = 13:00 Berlin: later today
            "L-THURSDAY": MONDAY + 47 * HOUR,  # due Thu 07:00 UTC: not today
        },
    )
    # Every 15 minutes from Tuesday 18:00 to Wednesday 08:45 in Berlin: nobody at work.
    moment = datetime(2026, 11, 3, 17, 0, tzinfo=UTC)
    while moment < WEDNESDAY_09:
        app.clock.set(moment)
        assert run(follow_up_runs.run_nudges(services)).planned == 0, moment
        moment += timedelta(minutes=15)
    assert dms(app, "U0ANA") == []

    app.clock.set(WEDNESDAY_09)
    run(follow_up_runs.run_nudges(services))

    [morning] = dms(app, "U0ANA")
    assert listed(morning) == ["L-EVENING", "L-MIDNIGHT", "L-DAWN"]
    assert "Due later today" in text_of(morning)
    assert "L-NOON" in text_of(morning) and "L-THURSDAY" not in text_of(morning)

    # Later that day: the same leads are not nudged again (24 h), but L-NOON, overdue from
    # 12:00 UTC, is — alone.
    for hours in (0.25, 1, 3, 3.75):
        app.clock.set(WEDNESDAY_09 + hours * HOUR)
        assert run(follow_up_runs.run_nudges(services)).planned == 0
    app.clock.set(WEDNESDAY_09 + 4 * HOUR)  # 12:00 UTC
    run(follow_up_runs.run_nudges(services))
    assert [listed(message) for message in dms(app, "U0ANA")[1:]] == [["L-NOON"]]

    # Thursday 08:00 UTC, 24 h after the morning message: those three again, and L-THURSDAY
    # (overdue since 07:00); L-NOON was nudged 20 h ago and waits.
    app.clock.set(WEDNESDAY_09 + 24 * HOUR - timedelta(seconds=1))  # still 08:59 in Berlin
    assert run(follow_up_runs.run_nudges(services)).planned == 0
    app.clock.set(WEDNESDAY_09 + 24 * HOUR)
    run(follow_up_runs.run_nudges(services))
    assert listed(dms(app, "U0ANA")[-1]) == ["L-EVENING", "L-MIDNIGHT", "L-DAWN", "L-THURSDAY"]
    assert len(dms(app, "U0ANA")) == 3


def test_a_second_run_at_the_same_moment_sends_nothing(app: RunningApp, services: Services) -> None:
    people(app, "U0ANA", "U0BEN")
    give(app, "U0ANA", {"L-A1": MONDAY})
    give(app, "U0BEN", {"L-B1": MONDAY})
    app.clock.set(TUESDAY_11)

    first = run(follow_up_runs.run_nudges(services))
    second = run(follow_up_runs.run_nudges(services))

    assert first.count(Status.SENT) == 2
    assert second.planned == 0 and second.outcomes == []
    assert posts(app) == 2


def test_two_runs_at_once_send_each_rep_one_message(app: RunningApp, services: Services) -> None:
    people(app, "U0ANA", "U0BEN", "U0CAT")
    for rep in ("U0ANA", "U0BEN", "U0CAT"):
        give(app, rep, {f"L-{rep}": MONDAY})
    app.clock.set(TUESDAY_11)
    other = Services(app.settings, app.db, app.clock, create_client(app.settings))
    app.slack.slow("chat.postMessage", seconds=0.5, times=3)  # both runs meet mid-send

    async def both() -> list[follow_up_runs.FollowUpRun]:
        return list(
            await asyncio.gather(
                follow_up_runs.run_nudges(services), follow_up_runs.run_nudges(other)
            )
        )

    runs = run(both())

    assert sum(r.count(Status.SENT) for r in runs) == 3
    assert [len(dms(app, rep)) for rep in ("U0ANA", "U0BEN", "U0CAT")] == [1, 1, 1]


def test_a_rep_in_another_zone_is_nudged_in_their_own_working_hours(
    app: RunningApp, services: Services
) -> None:
    people(app, "U0LAX", tz="America/Los_Angeles")  # UTC-8 in November
    people(app, "U0KOL", tz="Asia/Kolkata")  # UTC+5:30
    give(app, "U0LAX", {"L-LAX": MONDAY})
    give(app, "U0KOL", {"L-KOL": MONDAY})

    # Tuesday 10:00 UTC: 02:00 in Los Angeles, 15:30 in Kolkata.
    app.clock.set(TUESDAY_11)
    run(follow_up_runs.run_nudges(services))
    assert (len(dms(app, "U0LAX")), len(dms(app, "U0KOL"))) == (0, 1)

    # Tuesday 17:00 UTC: 09:00 in Los Angeles, 22:30 in Kolkata.
    app.clock.set(datetime(2026, 11, 3, 17, 0, tzinfo=UTC))
    run(follow_up_runs.run_nudges(services))
    assert (len(dms(app, "U0LAX")), len(dms(app, "U0KOL"))) == (1, 1)


# ------------------------------------------------------------------ escalations


def set_manager(app: RunningApp, rep: str, manager: str) -> None:
    reply = ephemeral_reply(
        app.command("/smarketing", f"manager <@{rep}> <@{manager}>", user_id=ADMIN)
    )
    assert f"<@{rep}> reports to <@{manager}>" in str(reply["blocks"])


def test_escalations_one_dm_per_manager_grouped_by_rep_once_per_lead(
    app: RunningApp, services: Services
) -> None:
    people(app, "U0ANA", "U0BEN", "U0CAT", "U0MGR", "U0BOSS")
    app.slack.add_user(ADMIN, name="Admin", is_admin=True)
    set_manager(app, "U0ANA", "U0MGR")
    set_manager(app, "U0BEN", "U0MGR")
    set_manager(app, "U0CAT", "U0BOSS")
    # Past E (48 h overdue, i.e. 72 h after assignment) by Tuesday 10:00 UTC: L-A1 (assigned
    # Sat 08:00), L-B1 and L-B2 (Fri 10:00, 12:00), L-C1 (Fri 09:00). L-A2 (assigned Mon
    # 10:00) is overdue since Tue 10:00 but passes E only on Thursday 10:00.
    saturday = MONDAY - timedelta(days=2)
    give(app, "U0ANA", {"L-A1": saturday, "L-A2": MONDAY + 2 * HOUR})
    give(app, "U0BEN", {"L-B1": saturday - 22 * HOUR, "L-B2": saturday - 20 * HOUR})
    give(app, "U0CAT", {"L-C1": saturday - 23 * HOUR})
    app.clock.set(TUESDAY_11)

    first = run(follow_up_runs.run_escalations(services))
    again = run(follow_up_runs.run_escalations(services))

    assert first.planned == 2 and first.count(Status.SENT) == 2
    assert again.planned == 0
    [to_mgr] = dms(app, "U0MGR")
    [to_boss] = dms(app, "U0BOSS")
    assert to_mgr["text"] == "2 reps have 3 leads past the follow-up limit"
    sections = [b["text"]["text"] for b in to_mgr["blocks"] if b["type"] == "section"]
    # Ben (two leads, the longest overdue first) before Ana (one); each rep with a Remind
    # button, each lead with its menu.
    reps = [text.split(", the oldest")[0] for text in sections if text.startswith("*<@")]
    assert reps == ["*<@U0BEN>* · 2 overdue", "*<@U0ANA>* · 1 overdue"]
    text = text_of(to_mgr)
    assert (
        text.index("*<@U0BEN>*")
        < text.index("L-B1")
        < text.index("L-B2")
        < text.index("*<@U0ANA>*")
    )
    remind = [b["accessory"]["value"] for b in to_mgr["blocks"] if "Remind" in str(b)]
    assert remind == ["U0BEN", "U0ANA"]
    assert "L-A2" not in text_of(to_mgr)
    assert "L-C1" in text_of(to_boss) and "<@U0CAT>" in text_of(to_boss)
    assert_fits_slack(to_mgr)

    # Thursday 10:00:01 UTC: L-A2 passes E; it alone is escalated.
    app.clock.set(datetime(2026, 11, 5, 10, 0, 1, tzinfo=UTC))
    run(follow_up_runs.run_escalations(services))
    assert len(dms(app, "U0MGR")) == 2
    assert "L-A2" in text_of(dms(app, "U0MGR")[1]) and "L-A1" not in text_of(dms(app, "U0MGR")[1])


def test_a_rep_who_acts_after_an_escalation_is_not_escalated_again_for_that_lead(
    app: RunningApp, services: Services
) -> None:
    people(app, "U0ANA", "U0MGR")
    app.slack.add_user(ADMIN, name="Admin", is_admin=True)
    set_manager(app, "U0ANA", "U0MGR")
    saturday = MONDAY - timedelta(days=2)  # Sat 31 Oct 08:00 UTC; touch 1 due Sun 08:00
    give(app, "U0ANA", {"L-A1": saturday})
    app.clock.set(TUESDAY_11)
    run(follow_up_runs.run_escalations(services))
    assert len(dms(app, "U0MGR")) == 1

    # Ana logs a call on Tuesday 10:30 UTC. Touch 2 is due at assignment + 2·14/6 days =
    # Sat 08:00 + 112 h = Thursday 5 Nov 00:00 UTC; it passes E on Saturday 7 Nov 00:00 UTC.
    app.clock.set(TUESDAY_11 + 0.5 * HOUR)
    assert post_events(app, touched("L-A1", TUESDAY_11 + 0.5 * HOUR)).status_code == 200
    for moment in (
        TUESDAY_11 + HOUR,
        datetime(2026, 11, 5, 10, 0, tzinfo=UTC),  # overdue again, 10 h: within E
        datetime(2026, 11, 6, 16, 0, tzinfo=UTC),  # Friday 17:00 Berlin: 40 h, within E
    ):
        app.clock.set(moment)
        assert run(follow_up_runs.run_escalations(services)).planned == 0, moment
    # Past E at the weekend: the manager hears on Monday at 09:00 in Berlin (08:00 UTC).
    app.clock.set(datetime(2026, 11, 7, 12, 0, tzinfo=UTC))
    assert run(follow_up_runs.run_escalations(services)).planned == 0
    app.clock.set(datetime(2026, 11, 9, 8, 0, tzinfo=UTC))
    assert run(follow_up_runs.run_escalations(services)).count(Status.SENT) == 1
    assert len(dms(app, "U0MGR")) == 2
    assert "1 of 6 touches" in text_of(dms(app, "U0MGR")[1])


def test_a_rep_without_a_manager_is_escalated_to_an_admin_from_the_settings(
    app: RunningApp,
) -> None:
    people(app, "U0DAN", "U0ADX")
    give(app, "U0DAN", {"L-D1": MONDAY - timedelta(days=2)})
    app.clock.set(TUESDAY_11)
    settings = app.settings.model_copy(update={"smarketing_admins": frozenset({"U0ADX"})})
    services = Services(settings, app.db, app.clock, create_client(settings))

    outcome = run(follow_up_runs.run_escalations(services))

    assert outcome.count(Status.SENT) == 1
    [message] = dms(app, "U0ADX")
    assert "<@U0DAN>" in text_of(message) and "L-D1" in text_of(message)
    assert "no manager Slack can reach" in text_of(message)
    assert "/smarketing manager" in text_of(message)


def test_the_third_snooze_escalates_the_lead_at_once_and_only_once(
    app: RunningApp, services: Services
) -> None:
    people(app, "U0ANA", "U0MGR")
    app.slack.add_user(ADMIN, name="Admin", is_admin=True)
    set_manager(app, "U0ANA", "U0MGR")
    wednesday = MONDAY + timedelta(days=2)  # Wed 4 Nov 08:00 UTC; touch 1 due Thu 08:00
    thursday_11 = wednesday + 26 * HOUR  # Thu 10:00 UTC: overdue 2 h, far from E
    give(app, "U0ANA", {"L-A1": wednesday})
    app.clock.set(thursday_11)
    for n in range(3):
        with app.db.session() as session:
            until = thursday_11 + timedelta(minutes=n + 1)
            follow_up_store.snooze(session, lead_id="L-A1", until=until, at=thursday_11)
            session.commit()
        if n < 2:
            assert run(follow_up_runs.run_escalations(services)).planned == 0

    assert run(follow_up_runs.run_escalations(services)).count(Status.SENT) == 1
    assert run(follow_up_runs.run_escalations(services)).planned == 0
    assert "L-A1" in text_of(dms(app, "U0MGR")[0])

    # Ana logs a call. Touch 2 is due at assignment + 2·14/6 days = Wed 08:00 + 112 h =
    # Monday 9 Nov 00:00 UTC. The three snoozes were spent on the breach that was escalated:
    # on Monday at 13:00 in Berlin the new breach is 12 h old and waits for E like any other.
    app.clock.set(thursday_11 + HOUR)
    assert post_events(app, touched("L-A1", thursday_11 + HOUR)).status_code == 200
    app.clock.set(datetime(2026, 11, 9, 12, 0, tzinfo=UTC))
    assert run(follow_up_runs.run_escalations(services)).planned == 0
    assert len(dms(app, "U0MGR")) == 1


# ------------------------------------------------------------------ people Slack cannot reach


def test_unknown_and_deactivated_reps_are_reported_and_the_run_goes_on(
    app: RunningApp, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    people(app, "U0ANA")
    app.slack.add_user("U0LEFT", name="Left", tz=BERLIN, deleted=True)
    # U0GONE is not in Slack at all: users.info says user_not_found.
    for rep in ("U0ANA", "U0GONE", "U0LEFT"):
        give(app, rep, {f"L-{rep}": MONDAY})
    app.clock.set(TUESDAY_11)

    with caplog.at_level(logging.WARNING, logger="smarketing"):
        outcome = run(follow_up_runs.run_nudges(services))

    assert outcome.unreachable == {"U0GONE": "user_not_found", "U0LEFT": "deactivated"}
    assert outcome.count(Status.SENT) == 1 and len(dms(app, "U0ANA")) == 1
    assert "cannot message U0GONE: Slack said user_not_found" in caplog.text
    assert "cannot message U0LEFT" in caplog.text
    with app.db.session() as session:
        assert deactivated(session, "U0GONE")
        assert deactivated(session, "U0LEFT")
        assert not deactivated(session, "U0ANA")
        shown = follow_up_store.unreachable_reps(session, limit=10)
    assert [member.slack_user_id for member in shown] == ["U0GONE", "U0LEFT"]
    # The next run reports them without asking Slack again.
    asked = [call for call in app.slack.calls if call.method == "users.info"]
    app.clock.advance(minutes=15)
    again = run(follow_up_runs.run_nudges(services))
    assert set(again.unreachable) == {"U0GONE", "U0LEFT"}
    assert [call for call in app.slack.calls if call.method == "users.info"] == asked


@pytest.mark.parametrize("error", ["channel_not_found", "cannot_dm_bot"])
def test_a_dm_slack_cannot_deliver_is_reported_and_the_others_are_sent(
    app: RunningApp, services: Services, caplog: pytest.LogCaptureFixture, error: str
) -> None:
    people(app, "U0AAA", "U0BBB")
    give(app, "U0AAA", {"L-AAA": MONDAY})
    give(app, "U0BBB", {"L-BBB": MONDAY})
    app.clock.set(TUESDAY_11)
    # Reps are messaged in id order: U0AAA's DM is the first post.
    app.slack.fail("chat.postMessage", status=200, error=error)

    with caplog.at_level(logging.WARNING, logger="smarketing"):
        outcome = run(follow_up_runs.run_nudges(services))

    assert outcome.unreachable == {"U0AAA": error}
    assert f"cannot message U0AAA: Slack said {error}" in caplog.text
    assert (len(dms(app, "U0AAA")), len(dms(app, "U0BBB"))) == (0, 1)
    with app.db.session() as session:
        assert deactivated(session, "U0AAA")


def test_a_manager_who_left_is_reported_and_their_reps_go_to_an_admin(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    people(app, "U0ANA", "U0BEN", "U0MGR", "U0BOSS", "U0ADX")
    app.slack.add_user(ADMIN, name="Admin", is_admin=True)
    set_manager(app, "U0ANA", "U0MGR")
    set_manager(app, "U0BEN", "U0BOSS")
    app.slack.add_user("U0MGR", name="Mgr", tz=BERLIN, deleted=True)  # left the company
    old = MONDAY - timedelta(days=2)
    give(app, "U0ANA", {"L-A1": old})
    give(app, "U0BEN", {"L-B1": old})
    app.clock.set(TUESDAY_11)
    settings = app.settings.model_copy(update={"smarketing_admins": frozenset({"U0ADX"})})
    services = Services(settings, app.db, app.clock, create_client(settings))

    with caplog.at_level(logging.WARNING, logger="smarketing"):
        outcome = run(follow_up_runs.run_escalations(services))

    assert outcome.unreachable == {"U0MGR": "deactivated"}
    assert "cannot message U0MGR" in caplog.text
    assert "L-B1" in text_of(dms(app, "U0BOSS")[0])  # the run went on
    [to_admin] = dms(app, "U0ADX")
    assert "<@U0ANA>" in text_of(to_admin) and "L-A1" in text_of(to_admin)
    assert dms(app, "U0MGR") == []
    with app.db.session() as session:
        assert deactivated(session, "U0MGR")
        managers = follow_up_store.unreachable_managers(session, limit=10)
        reps = follow_up_store.unreachable_reps(session, limit=10)
    assert [member.slack_user_id for member in managers] == ["U0MGR"]
    assert reps == []  # U0MGR owns no leads


# ------------------------------------------------------------------ Slack failing mid-send


def test_a_429_is_waited_out_and_the_nudge_sent_once(app: RunningApp, services: Services) -> None:
    people(app, "U0ANA")
    give(app, "U0ANA", {"L-A1": MONDAY})
    app.clock.set(TUESDAY_11)
    app.slack.fail("chat.postMessage", status=429, retry_after=1)

    outcome = run(follow_up_runs.run_nudges(services))

    assert outcome.count(Status.SENT) == 1
    assert [c.answered_status for c in app.slack.calls if c.method == "chat.postMessage"] == [
        429,
        200,
    ]
    assert len(dms(app, "U0ANA")) == 1


def test_slack_down_during_the_send_is_retried_by_the_next_run_and_sent_once(
    app: RunningApp, services: Services
) -> None:
    people(app, "U0ANA")
    give(app, "U0ANA", {"L-A1": MONDAY})
    app.clock.set(TUESDAY_11)
    # More 500s than slack_sdk's own retries (2) absorb: this run gives up.
    app.slack.fail("chat.postMessage", status=500, times=3)

    first = run(follow_up_runs.run_nudges(services))
    app.clock.advance(minutes=15)
    second = run(follow_up_runs.run_nudges(services))
    app.clock.advance(minutes=15)
    third = run(follow_up_runs.run_nudges(services))

    assert [o.status for o in first.outcomes] == [Status.WILL_RETRY]
    assert [o.status for o in second.outcomes] == [Status.SENT]
    assert third.planned == 0
    assert len(dms(app, "U0ANA")) == 1


def impatient(services: Services) -> Services:
    """The same app with a client that gives up after a second."""
    client = create_client(services.settings)
    client.timeout = 1
    return Services(services.settings, services.db, services.clock, client)


def test_a_nudge_that_timed_out_but_reached_slack_is_found_and_not_sent_again(
    app: RunningApp, services: Services
) -> None:
    people(app, "U0ANA")
    give(app, "U0ANA", {"L-A1": MONDAY, "L-A2": MONDAY})
    app.clock.set(TUESDAY_11)
    app.slack.slow("chat.postMessage", seconds=2)  # Slack posts it, but answers too late

    first = run(follow_up_runs.run_nudges(impatient(services)))
    app.clock.advance(minutes=15)
    second = run(follow_up_runs.run_nudges(services))
    app.clock.advance(minutes=15)
    third = run(follow_up_runs.run_nudges(services))

    assert [o.status for o in first.outcomes] == [Status.WILL_RETRY]
    assert [o.status for o in second.outcomes] == [Status.SENT]
    assert third.planned == 0  # the leads were recorded as nudged when it was found
    [message] = dms(app, "U0ANA")
    assert second.outcomes[0].message_ts == message["ts"]


def test_a_nudge_that_timed_out_is_not_repeated_when_the_leads_changed_meanwhile(
    app: RunningApp, services: Services
) -> None:
    people(app, "U0ANA")
    # L-A1 and L-A2 overdue since Tue 08:00 UTC; L-A3 becomes overdue at 10:10 UTC.
    give(
        app,
        "U0ANA",
        {"L-A1": MONDAY, "L-A2": MONDAY, "L-A3": MONDAY + 2 * HOUR + timedelta(minutes=10)},
    )
    app.clock.set(TUESDAY_11)
    app.slack.slow("chat.postMessage", seconds=2)
    first = run(follow_up_runs.run_nudges(impatient(services)))
    assert [o.status for o in first.outcomes] == [Status.WILL_RETRY]
    [reached] = dms(app, "U0ANA")  # it did reach Ana, who logs a call on L-A1 from it
    assert listed(reached) == ["L-A1", "L-A2"]
    app.clock.set(TUESDAY_11 + timedelta(minutes=5))
    assert post_events(app, touched("L-A1", app.clock.now())).status_code == 200

    app.clock.set(TUESDAY_11 + timedelta(minutes=15))
    run(follow_up_runs.run_nudges(services))

    # L-A2 was in the message Ana has: not again. L-A3 is new: it comes alone.
    assert [listed(message) for message in dms(app, "U0ANA")] == [["L-A1", "L-A2"], ["L-A3"]]
    with app.db.session() as session:
        statuses = session.exec(
            select(Posting.status).where(Posting.message_ts == reached["ts"])
        ).all()
    assert statuses == ["sent"]
    app.clock.advance(minutes=15)
    assert run(follow_up_runs.run_nudges(services)).planned == 0


def test_an_escalation_that_timed_out_is_found_and_not_sent_again(
    app: RunningApp, services: Services
) -> None:
    people(app, "U0ANA", "U0MGR")
    app.slack.add_user(ADMIN, name="Admin", is_admin=True)
    set_manager(app, "U0ANA", "U0MGR")
    # L-A1 passes E at Tue 08:00 UTC; L-A2 at Tue 10:10 UTC.
    saturday = MONDAY - timedelta(days=2)
    give(app, "U0ANA", {"L-A1": saturday, "L-A2": saturday + 2 * HOUR + timedelta(minutes=10)})
    app.clock.set(TUESDAY_11)
    app.slack.slow("chat.postMessage", seconds=2)

    first = run(follow_up_runs.run_escalations(impatient(services)))
    app.clock.set(TUESDAY_11 + timedelta(minutes=15))
    run(follow_up_runs.run_escalations(services))

    assert [o.status for o in first.outcomes] == [Status.WILL_RETRY]
    messages = dms(app, "U0MGR")
    assert len(messages) == 2
    assert "L-A1" in text_of(messages[0]) and "L-A2" not in text_of(messages[0])
    assert "L-A2" in text_of(messages[1]) and "L-A1" not in text_of(messages[1])


# ------------------------------------------------------------------ rate limits


def test_a_run_over_150_reps_through_rate_limits_sends_one_dm_each_and_none_fails(
    app: RunningApp, services: Services
) -> None:
    reps = [f"U0R{n:04}" for n in range(150)]
    events: list[dict[str, Any]] = []
    for rep in reps:
        app.slack.add_user(rep, name=rep, tz=BERLIN)
        events.append(created(f"L-{rep}", MONDAY, fit="high", interest="high"))
        events.append(assigned(f"L-{rep}", MONDAY, slack_user_id=rep))
    assert post_events(app, *events).status_code == 200
    app.clock.set(TUESDAY_11)
    # Slack refuses every 25th message (HTTP 429, Retry-After: 1).
    app.slack.rate_limit("chat.postMessage", every=25, retry_after=1)

    outcome = run(follow_up_runs.run_nudges(services))

    assert outcome.planned == 150 and outcome.count(Status.SENT) == 150
    assert outcome.unreachable == {}
    assert all(len(dms(app, rep)) == 1 for rep in reps)
    answered = [c.answered_status for c in app.slack.calls if c.method == "chat.postMessage"]
    # 150 sent + 6 refused: calls 25, 50, …, 150 of the 156 were answered 429.
    assert answered.count(200) == 150 and answered.count(429) == 6
    # Within Slack's tiers: the 150 time zones came from one users.list page (Tier 2), not
    # 150 users.info calls (Tier 4); each DM went to the user id, no conversations.open.
    methods = Counter(call.method for call in app.slack.calls)
    asked = (methods["users.list"], methods["users.info"], methods["conversations.open"])
    assert asked == (1, 0, 0)


# ------------------------------------------------------------------ the operators' CLI


def _jobs(env: dict[str, str], *args: str) -> Ran:
    return smarketing(["jobs", "run", *args], env)


def _real_time_team(app: RunningApp, *, days_ago: int) -> str | None:
    """Ana (and her manager) where it is working hours now by the real clock, with one lead
    assigned `days_ago` days ago; the zone, or None when nobody on Earth is at work."""
    now = datetime.now(UTC)
    zone = zone_at_work(now)
    people(app, "U0ANA", "U0MGR", tz=zone or "Etc/GMT-14")
    app.clock.set(now)
    give(app, "U0ANA", {"L-CLI": now - timedelta(days=days_ago)})
    with app.db.session() as session:
        members.set_manager(session, rep_id="U0ANA", manager_id="U0MGR", by=ADMIN, at=now)
        session.commit()
    return zone


def test_jobs_run_nudges_dry_run_prints_the_messages_and_sends_nothing(app: RunningApp) -> None:
    zone = _real_time_team(app, days_ago=2)

    result = _jobs(environment(app.settings.database_url, app.slack), "nudges", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert app.slack.calls_to("chat.postMessage") == []
    with app.db.session() as session:
        # Nothing claimed or recorded for a nudge (the assignment itself may have queued its
        # speed-to-lead message: that is not the dry run's doing).
        assert session.exec(select(Posting).where(Posting.kind == "nudge")).all() == []
        assert session.exec(select(FollowUp)).all() == []
    if zone is None:  # Saturday morning to Sunday evening UTC: no one to nudge anywhere
        assert result.stdout == "" and "nudges: 0 planned" in result.stderr
        return
    assert result.stdout.strip() == "to @Ana: 1 of your leads is overdue for a touch"
    assert "nudges: 1 planned" in result.stderr


def test_jobs_run_escalations_sends_once(app: RunningApp) -> None:
    zone = _real_time_team(app, days_ago=4)  # first touch overdue for 3 days: past 48 h
    env = environment(app.settings.database_url, app.slack)

    first = _jobs(env, "escalations")
    second = _jobs(env, "escalations")

    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "escalations: 0 planned" in second.stderr
    if zone is None:
        assert dms(app, "U0MGR") == [] and "escalations: 0 planned" in first.stderr
        return
    assert "escalations: 1 planned, 1 sent" in first.stderr
    [message] = dms(app, "U0MGR")
    assert "L-CLI" in text_of(message) and "<@U0ANA>" in text_of(message)
