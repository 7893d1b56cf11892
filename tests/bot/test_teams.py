"""Teams formed around a persona (`/smarketing team`), over HTTP: who may form one, what a
member sees in `/sla-status team` and on App Home, and bad input leaving the store as it was."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import select

from storage.models import SettingChange, Team, TeamMember
from tests.app_server import RunningApp, blocks_text, ephemeral_reply
from tests.bot.test_home import open_home
from tests.events import assigned, created, post_events

ADMIN, MIA, ANA, BEN, CAL = "U0ADMIN", "U0MIA", "U0ANA", "U0BEN", "U0CAL"
FORM = f"team CFO squad persona CFO <@{ANA}|ana> <@{BEN}|ben> <@{MIA}|mia>"


@pytest.fixture
def people(app: RunningApp) -> RunningApp:
    app.clock.set(datetime(2026, 12, 4, 10, tzinfo=UTC))
    app.slack.add_user(ADMIN, name="admin", is_admin=True)
    for user_id, name in ((MIA, "mia"), (ANA, "ana"), (BEN, "ben"), (CAL, "cal")):
        app.slack.add_user(user_id, name=name)
    ephemeral_reply(app.command("/smarketing", f"marketing <@{MIA}>", user_id=ADMIN))
    # Overdue leads: Ana 2, Ben 1, Cal (not in the team) 3.
    day = datetime(2026, 12, 1, 9, tzinfo=UTC)
    events = []
    for owner, count in ((ANA, 2), (BEN, 1), (CAL, 3)):
        for number in range(count):
            lead_id = f"L-{owner[-3:]}{number}"
            events.append(
                created(lead_id, day, email=f"{lead_id}@example.com", fit=80, interest=90)
            )
            events.append(assigned(lead_id, day, slack_user_id=owner))
    assert post_events(app, *events).status_code == 200
    return app


def smarketing(app: RunningApp, text: str, user_id: str = ADMIN) -> str:
    return blocks_text(ephemeral_reply(app.command("/smarketing", text, user_id=user_id)))


def stored(app: RunningApp) -> tuple[int, int, int]:
    with app.db.session() as session:
        return (
            int(session.exec(select(func.count()).select_from(Team)).one()),
            int(session.exec(select(func.count()).select_from(TeamMember)).one()),
            int(session.exec(select(func.count()).select_from(SettingChange)).one()),
        )


def test_an_admin_forms_a_team_and_its_members_see_its_figures(people: RunningApp) -> None:
    said = smarketing(people, FORM)

    assert said.startswith(
        f":white_check_mark: Team CFO squad is formed: <@{ANA}>, <@{BEN}>, <@{MIA}>, around the "
        "CFO persona."
    )
    text = blocks_text(ephemeral_reply(people.command("/sla-status", "team", user_id=BEN)))
    # Mia is in marketing: the team's sales figures are Ana's and Ben's leads.
    assert "*Sales* · team CFO squad (2 reps)" in text
    assert "*Overdue*\n3" in text
    assert f"<@{CAL}>" not in text
    assert f"team CFO squad: <@{ANA}>, <@{BEN}>, <@{MIA}> around CFO" in smarketing(
        people, "settings", user_id=BEN
    )


def test_a_members_app_home_shows_the_team(people: RunningApp) -> None:
    smarketing(people, FORM)

    view = open_home(people, BEN)

    headers = [block["text"]["text"] for block in view["blocks"] if block["type"] == "header"]
    assert "Team CFO squad" in headers
    text = blocks_text(view)
    assert f"<@{ANA}>" in text and f"<@{CAL}>" not in text


def test_forming_the_team_again_replaces_its_members(people: RunningApp) -> None:
    smarketing(people, FORM)

    said = smarketing(people, f"team cfo  SQUAD <@{ANA}> <@{CAL}>")

    assert said.startswith(f":white_check_mark: Team CFO squad is now: <@{ANA}>, <@{CAL}>.")
    text = blocks_text(ephemeral_reply(people.command("/sla-status", "team", user_id=ANA)))
    assert "*Sales* · team CFO squad (2 reps)" in text and "*Overdue*\n5" in text


@pytest.mark.parametrize(
    ("text", "user_id", "reason"),
    [
        (FORM, ANA, ":no_entry: Only admins can form teams"),
        ("team CFO squad", ADMIN, "Name its members with `@`"),
        (f"team <@{ANA}>", ADMIN, "Name the team first"),
        (f"team squad persona <@{ANA}>", ADMIN, "Name the persona after `persona`"),
        ("team squad <@U0NOBODY>", ADMIN, "Slack knows no user `U0NOBODY` (the member)"),
    ],
)
def test_a_team_refused_changes_nothing(
    people: RunningApp, text: str, user_id: str, reason: str
) -> None:
    before = stored(people)

    line = smarketing(people, text, user_id=user_id)

    assert reason in line, line
    assert "\n" not in line
    assert stored(people) == before
