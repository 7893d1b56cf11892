"""Follow-ups in real processes: two copies of the app with their schedulers on, on one database,
run the follow-up job at start and every rep gets exactly one direct message.

The processes read the real clock, so the reps live in a time zone where it is working hours
right now (an `Etc/GMT±N` zone picked when the test runs).
"""

from __future__ import annotations

import time as wall
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from storage.models import FollowUp, Posting
from tests.app_server import RunningApp, app_environment, app_process
from tests.events import assigned, created, post_events
from tests.slack.emulator import SlackEmulator

REPS = ("U0PRA", "U0PRB", "U0PRC", "U0PRD")


def zone_at_work(now: datetime) -> str | None:
    """A zone whose local time at `now` is 10:00–16:00 on a weekday (hours to spare on both
    sides of the working day), the closest to noon first; None from Saturday morning to Sunday
    evening UTC, when no zone on Earth has reached Monday or is still on Friday."""
    found: list[tuple[int, str]] = []
    for hours in range(-12, 15):  # the zones from UTC-12 to UTC+14
        local = now + timedelta(hours=hours)
        if local.weekday() < 5 and 10 <= local.hour < 16:
            # POSIX signs: Etc/GMT-5 is five hours ahead of UTC.
            found.append((abs(local.hour - 12), f"Etc/GMT{-hours:+d}"))
    return min(found)[1] if found else None


def environment(database_url: str, slack: SlackEmulator, **extra: str) -> dict[str, str]:
    return app_environment(database_url, slack.api_url, **extra)


def overdue_leads(app: RunningApp, reps: tuple[str, ...], *, days_ago: int, each: int = 2) -> None:
    """`each` leads per rep, assigned `days_ago` days ago by the real clock: their first touch
    (due 24 h after assignment under the default SLA) is overdue now."""
    now = datetime.now(UTC)
    app.clock.set(now)
    events: list[dict[str, Any]] = []
    for rep in reps:
        for n in range(each):
            lead_id = f"L-{rep}-{n}"
            at = now - timedelta(days=days_ago, minutes=n)
            events.append(created(lead_id, at, fit="high", interest="high", company=f"Co {n}"))
            events.append(assigned(lead_id, at, slack_user_id=rep))
    assert post_events(app, *events).status_code == 200


def _nudged(slack: SlackEmulator) -> dict[str, int]:
    return {rep: len(slack.messages_in(f"D{rep}")) for rep in REPS}


def test_two_copies_of_the_app_on_one_database_send_each_rep_one_nudge(
    app: RunningApp, slack: SlackEmulator, tmp_path: Path
) -> None:
    zone = zone_at_work(datetime.now(UTC))
    for rep in REPS:
        slack.add_user(rep, name=rep, tz=zone or "Etc/GMT-14")
    overdue_leads(app, REPS, days_ago=2)
    # Slack answers slowly, so the second copy starts while the first is still sending.
    slack.slow("chat.postMessage", seconds=1, times=len(REPS))
    env = environment(app.settings.database_url, slack, SMARKETING_SCHEDULER="on")
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    with ExitStack() as stack:
        for path in logs:
            stack.enter_context(app_process(env, stack.enter_context(path.open("w"))))
        # Each copy tells its first nudge run, whatever it found: wait for both.
        deadline = wall.monotonic() + 60
        while wall.monotonic() < deadline and any(
            "run_nudges:" not in path.read_text() for path in logs
        ):
            wall.sleep(0.1)

    said = "\n".join(path.read_text() for path in logs)
    assert "Traceback" not in said
    if zone is None:
        # No one on Earth is at work (Saturday morning to Sunday evening UTC): both copies ran
        # the job at start and neither sent anything.
        assert _nudged(slack) == dict.fromkeys(REPS, 0)
        assert slack.calls_to("users.info"), "the job did not run"
        return
    assert _nudged(slack) == dict.fromkeys(REPS, 1)
    for rep in REPS:
        [message] = slack.messages_in(f"D{rep}")
        assert message["text"] == "2 of your leads are overdue for a touch"
    with app.db.session() as session:
        nudges = session.exec(select(Posting).where(Posting.kind == "nudge")).all()
        records = session.exec(select(FollowUp)).all()
    assert len(nudges) == len(REPS)
    assert all(row.status == "sent" and row.attempts == 1 for row in nudges)
    assert len(records) == 2 * len(REPS) and all(row.last_nudged_at for row in records)
