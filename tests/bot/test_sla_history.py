"""`/sla-status … this|last week|month`, the tracking start and the marketing role, over HTTP
on the November of tests/bot/test_sla_status.py (its table gives every lead's history).

Past periods come from the projection (breaches by the window's end, first touches by the
assignment) and from the snapshot the monthly report kept (compliance and overdue leads at the
period's end); a period that began before tracking did is marked partial.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.jobs import scheduled_reports
from bot.slack_client import create_client
from domain.schedule import DigestSchedule, Weekday
from services.context import Services
from storage.models import Member, Setting, SettingChange
from storage.schedules import set_digest
from tests.app_server import RunningApp, ephemeral_reply
from tests.app_server import blocks_text as reply_text
from tests.bot.test_sla_status import ADMIN, ANA, BEN, MGR, NOW, november, set_manager, track_from

MIA = "U0MIA"  # in marketing
DECEMBER_3 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def month(app: RunningApp) -> RunningApp:
    november(app)
    set_manager(app, MGR, ANA, BEN)
    app.slack.add_user(ADMIN, name="admin", is_admin=True)
    app.slack.add_user(MIA, name="mia")
    app.slack.add_user(ANA, name="ana")
    app.clock.set(NOW)
    return app


def sla_status(app: RunningApp, text: str = "", *, user_id: str = ANA) -> str:
    return reply_text(ephemeral_reply(app.command("/sla-status", text, user_id=user_id)))


def smarketing(app: RunningApp, text: str, *, user_id: str = ADMIN) -> str:
    return reply_text(ephemeral_reply(app.command("/smarketing", text, user_id=user_id)))


def roles_and_settings(app: RunningApp) -> tuple[list[tuple[str, bool]], int, int]:
    with app.db.session() as session:
        people = session.exec(select(Member).order_by(Member.slack_user_id)).all()
        changes = session.exec(select(func.count()).select_from(SettingChange)).one()
        settings = session.exec(select(func.count()).select_from(Setting)).one()
    return [(m.slack_user_id, m.marketing) for m in people], int(changes), int(settings)


# ------------------------------------------------------------------ past periods


def test_last_month_shows_a_reps_breaches_and_first_touches_of_that_month(
    month: RunningApp,
) -> None:
    month.clock.set(DECEMBER_3)

    text = sla_status(month, f"<@{BEN}> last month")

    assert text.startswith("SLA status · November 2026\n")
    # B3 (window ended 8 November), B5 (17 November) and B1 (26 November) ended short of six
    # touches; B2 met the SLA and B6 was rejected mid-window.
    assert "*Breaches*\n3" in text
    assert "*Median first touch*\n3 h 30 min" in text  # B6 1 h, B1 2 h, B2 5 h, B5 12 h
    assert "*At the period's end*\nnot recorded" in text
    assert "overdue since" not in text  # today's overdue leads are not November's
    assert "Ended. `/sla-status this month`" in text


def test_last_month_for_marketing_says_whether_the_commitment_was_met(month: RunningApp) -> None:
    month.clock.set(DECEMBER_3)

    text = sla_status(month, "marketing last month")

    assert "*Delivered*\n9 of 300 committed" in text
    assert "*Expected*\n300" in text
    assert "*Result*\n:red_circle: Missed by 291" in text


def test_last_week_is_the_monday_to_sunday_before_in_the_workspaces_zone(
    month: RunningApp,
) -> None:
    # 15 November is a Sunday: last week ran 2–8 November, when B5 and B6 came in.
    text = sla_status(month, "marketing last week")

    assert text.startswith("SLA status · week of 2–8 November 2026\n")
    # A week's share of 300 a month is 300 × 12/52 = 69.2, rounded up.
    assert "*Delivered*\n2 of 70 committed" in text
    assert "a week's share is 12/52 of it" in text


def test_this_week_counts_the_breaches_of_this_week_only(month: RunningApp) -> None:
    text = sla_status(month, "this week", user_id=MGR)

    assert text.startswith("SLA status · week of 9–15 November 2026\n")
    assert "*Breaches this week*\n0" in text  # B3's window ended on 8 November
    assert "*Breaches this month*" not in text


def test_compliance_at_a_months_end_is_the_one_its_report_recorded(
    month: RunningApp,
) -> None:
    month.slack.add_channel("C0DIGEST", name="smarketing")
    with month.db.session() as session:
        set_digest(
            session,
            channel="C0DIGEST",
            schedule=DigestSchedule(Weekday.MONDAY, time(9, 0)),
            by=ADMIN,
            at=NOW,
            default_channel=None,
        )
        session.commit()
    # The monthly report goes out on 1 December at 09:00 and keeps November's state as it
    # was then; that is what every rep saw in /sla-status at that moment.
    month.clock.set(datetime(2026, 12, 1, 9, 1, tzinfo=UTC))
    services = Services(
        settings=month.settings,
        db=month.db,
        clock=month.clock,
        client=create_client(month.settings),
    )
    sent = asyncio.run(scheduled_reports.run_monthly(services))
    assert sent.status is scheduled_reports.Status.SENT
    then = sla_status(month, "team", user_id=ADMIN)
    compliance = then.split("*Compliance*\n", 1)[1].split(" ", 1)[0]
    overdue = then.split("*Overdue*\n", 1)[1].split(" ", 1)[0].split("\n", 1)[0]

    month.clock.set(DECEMBER_3)
    text = sla_status(month, "team last month", user_id=ADMIN)

    assert f"*Compliance at the end*\n{compliance}" in text
    assert f"*Overdue at the end*\n{overdue}" in text


# ------------------------------------------------------------------ tracking start


def test_a_month_before_tracking_began_is_marked_partial_and_commits_pro_rata(
    month: RunningApp,
) -> None:
    # The first lead came on 19 October: October is partial, 13 of its 31 days tracked.
    text = sla_status(month, "marketing last month")

    assert text.startswith("SLA status · October 2026 (partial: tracking began 19 October)\n")
    # A4, B3, B4 and R0 came in October; 300 × 13/31 = 125.8 committed for the tracked part.
    assert "*Delivered*\n4 of 126 committed" in text
    assert "counted from the day tracking began" in text


def test_an_admin_sets_when_tracking_began_and_the_month_is_whole_again(
    month: RunningApp,
) -> None:
    track_from(month, "2026-10-01")

    text = sla_status(month, "marketing last month")

    assert text.startswith("SLA status · October 2026\n")
    assert "*Delivered*\n4 of 300 committed" in text
    settings = smarketing(month, "settings")
    assert "*Tracking since:* 1 October 2026 (set by an admin)" in settings
    assert "tracking start: set to 1 October 2026" in settings


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("start", "Give the day tracking started, as YYYY-MM-DD"),
        ("start yesterday", "`yesterday` is not a day written YYYY-MM-DD"),
        ("start 2026-11-31", "`2026-11-31` is not a day written YYYY-MM-DD"),
        ("start 2026-12-01", "2026-12-01 is after today"),
        ("start 2026-10-01 2026-10-02", "Give one day"),
    ],
)
def test_a_wrong_tracking_start_gets_a_reason_and_changes_nothing(
    month: RunningApp, text: str, reason: str
) -> None:
    before = roles_and_settings(month)

    line = smarketing(month, text)

    assert line.startswith(":warning: ") and reason in line, line
    assert line.endswith("Try `/smarketing start 2026-11-01`")
    assert roles_and_settings(month) == before


def test_only_an_admin_sets_when_tracking_began(month: RunningApp) -> None:
    before = roles_and_settings(month)

    line = smarketing(month, "start 2026-10-01", user_id=ANA)

    assert line.startswith(":no_entry: Only admins can set when tracking started")
    assert roles_and_settings(month) == before


# ------------------------------------------------------------------ marketing role


def test_someone_in_marketing_sees_marketings_side_by_default(month: RunningApp) -> None:
    assert "*Marketing* · sales-ready leads" not in sla_status(month, user_id=MIA)

    said = smarketing(month, f"marketing <@{MIA}|mia>")

    assert said.startswith(f":white_check_mark: <@{MIA}> joined marketing")
    text = sla_status(month, user_id=MIA)
    assert text.startswith(
        "SLA status · November 2026\n*Marketing* · sales-ready leads, November 2026, whole company"
    )
    assert "*Delivered*\n9 of 300 committed" in text
    assert "*Sales*" not in text
    # Her own leads are a word away, and last month too.
    assert "*Sales* · your leads" in sla_status(month, "me", user_id=MIA)
    assert "October 2026" in sla_status(month, "last month", user_id=MIA)
    assert f"*Marketing:* <@{MIA}>" in smarketing(month, "settings")
    assert f"marketing: <@{MIA}> joined" in smarketing(month, "settings")


def test_marketing_alone_lists_who_is_in_it_and_remove_takes_someone_out(
    month: RunningApp,
) -> None:
    assert "No one is in marketing yet" in smarketing(month, "marketing", user_id=ANA)
    smarketing(month, f"marketing <@{MIA}>")
    assert smarketing(month, "marketing", user_id=ANA) == f"*Marketing (1):* <@{MIA}>"
    assert "is in marketing; nothing was changed" in smarketing(month, f"marketing <@{MIA}>")

    said = smarketing(month, f"marketing remove <@{MIA}>")

    assert said == f":white_check_mark: <@{MIA}> left marketing."
    assert "*Sales* · your leads" in sla_status(month, user_id=MIA)


@pytest.mark.parametrize(
    ("text", "user_id", "reason"),
    [
        (f"marketing <@{MIA}>", ANA, ":no_entry: Only admins can say who is in marketing"),
        ("marketing mia", ADMIN, "`mia` is not a Slack user"),
        ("marketing <@U0NOBODY>", ADMIN, "Slack knows no user `U0NOBODY` (the marketer)"),
        ("marketing remove", ADMIN, "Name the people in marketing with `@`"),
    ],
)
def test_a_marketing_change_refused_changes_nothing(
    month: RunningApp, text: str, user_id: str, reason: str
) -> None:
    before = roles_and_settings(month)

    line = smarketing(month, text, user_id=user_id)

    assert reason in line, line
    assert "\n" not in line
    assert roles_and_settings(month) == before
