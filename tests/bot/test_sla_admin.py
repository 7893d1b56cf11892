"""Admins set both sides of the SLA and the reporting lines with `/smarketing`, over HTTP;
everyone reads them in `/smarketing settings`, and the leads follow a new sales SLA."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from sqlmodel import col, func, select

from blocks.settings_message import settings_message
from bot.settings import Settings
from domain.cadence import SalesSla
from domain.settings_summary import Team, WorkspaceSettings
from storage.models import Lead, MarketingCommitment, Member, SalesCommitment, SettingChange
from tests.app_server import RunningApp
from tests.app_server import blocks_text as reply_text
from tests.events import assigned, created, post_events, touched, won

ADMIN = "U0ADMIN"  # a Slack workspace admin
CONFIGURED_ADMIN = "U0BOSS"  # in SMARKETING_ADMINS, so no Slack call decides their rights
REP = "U0REY"
OTHER_REP = "U0BEN"
MANAGER = "U0MIA"
OTHER_MANAGER = "U0MAX"
GHOST = "U0GHOST"  # no such user in Slack
ASSIGNED = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)  # three hours before the fake clock's now

LEADS_EXAMPLE = "Try `/smarketing sla leads 150 per month per rep`"
TOUCHES_EXAMPLE = (
    "Try `/smarketing sla touches 6 in 14 days first-touch 24 hours escalate after 48 hours`"
)
MANAGER_EXAMPLE = "Try `/smarketing manager @rep @manager`"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"smarketing_admins": frozenset({CONFIGURED_ADMIN})})


@pytest.fixture
def people(app: RunningApp) -> RunningApp:
    app.slack.add_user(ADMIN, name="Ada Admin", is_admin=True)
    app.slack.add_user(CONFIGURED_ADMIN, name="Bo Boss")
    app.slack.add_user(REP, name="Rey Rep", email="rey@example.com", tz="Europe/Madrid")
    app.slack.add_user(OTHER_REP, name="Ben Rep", tz="America/New_York")
    app.slack.add_user(MANAGER, name="Mia Manager", tz="Europe/London")
    app.slack.add_user(OTHER_MANAGER, name="Max Manager")
    return app


def ask(app: RunningApp, text: str, user_id: str = ADMIN) -> dict[str, Any]:
    response = app.command("/smarketing", text, user_id=user_id)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["response_type"] == "ephemeral"
    return body


def settings_shown(app: RunningApp) -> str:
    return reply_text(ask(app, "settings", user_id=REP))


def store(app: RunningApp) -> dict[str, Any]:
    """What the admin commands can change: both commitments, the history, the members."""
    with app.db.session() as session:
        return {
            "marketing": session.exec(select(func.count()).select_from(MarketingCommitment)).one(),
            "sales": session.exec(select(func.count()).select_from(SalesCommitment)).one(),
            "changes": session.exec(select(func.count()).select_from(SettingChange)).one(),
            "members": sorted(
                (row.slack_user_id, row.manager_id, row.name, row.tz)
                for row in session.exec(select(Member))
            ),
        }


def member(app: RunningApp, user_id: str) -> Member | None:
    with app.db.session() as session:
        return session.get(Member, user_id)


def lead(app: RunningApp, external_id: str) -> Lead:
    with app.db.session() as session:
        row = session.exec(select(Lead).where(Lead.external_id == external_id)).one()
        return row


def when(moment: datetime) -> str:
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def history(shown: str) -> list[str]:
    return shown.split("*Recent changes*\n")[1].splitlines()


def mention(user_id: str, name: str = "someone") -> str:
    """A user as Slack sends them in a /smarketing text (the manifest escapes mentions)."""
    return f"<@{user_id}|{name}>"


# ---------------------------------------------------------------------------- marketing's side


def test_an_admin_commits_marketing_to_leads_per_rep_and_settings_show_it(
    people: RunningApp,
) -> None:
    body = ask(people, "sla leads 150 per month per rep")

    assert body["text"] == (
        ":white_check_mark: Marketing SLA set: 150 sales-ready leads per month per rep "
        "(was 100 sales-ready leads per month per rep (default)). `/sla-status marketing` "
        "measures the pace against it from now on."
    )
    shown = settings_shown(people)
    assert "*Marketing SLA:* 150 sales-ready leads per month per rep\n" in shown
    assert history(shown)[0] == (
        f"• {when(people.clock.now())} <@{ADMIN}> marketing SLA: 100 sales-ready leads per "
        "month per rep (default) → 150 sales-ready leads per month per rep"
    )
    with people.db.session() as session:
        row = session.exec(select(MarketingCommitment)).one()
    assert (row.leads_per_month, row.per_rep, row.set_by) == (150, True, ADMIN)


def test_a_total_commitment_replaces_a_per_rep_one(people: RunningApp) -> None:
    ask(people, "sla leads 150 per month per rep")
    people.clock.advance(hours=1)

    body = ask(people, "sla leads 2,000 sales-ready leads a month", user_id=CONFIGURED_ADMIN)

    assert "Marketing SLA set: 2,000 sales-ready leads per month (was 150" in body["text"]
    shown = settings_shown(people)
    assert "*Marketing SLA:* 2,000 sales-ready leads per month\n" in shown
    assert history(shown)[0].endswith(
        f"<@{CONFIGURED_ADMIN}> marketing SLA: 150 sales-ready leads per month per rep → "
        "2,000 sales-ready leads per month"
    )
    assert store(people)["marketing"] == 2


def test_the_commitment_already_in_force_is_not_stored_again(people: RunningApp) -> None:
    ask(people, "sla leads 150 per month")
    before = store(people)

    body = ask(people, "sla leads 150 per month")

    assert body["text"] == (
        ":information_source: Marketing's commitment is already 150 sales-ready leads per "
        "month; nothing was changed."
    )
    assert store(people) == before


# ---------------------------------------------------------------------------- sales' side


def test_an_admin_sets_the_sales_sla_and_the_parts_left_out_keep_their_values(
    people: RunningApp,
) -> None:
    body = ask(people, "sla touches 4 in 8 days")

    assert body["text"].startswith(
        ":white_check_mark: Sales SLA set: 4 touches in 8 days, first touch within 24 hours, "
        "escalate after 48 hours (was 6 touches in 14 days, first touch within 24 hours, "
        "escalate after 48 hours (default)). Kept as they were: first touch within 24 hours, "
        "escalate after 48 hours. Every lead's next touch due is being recomputed"
    )
    assert "\n" not in body["text"]
    people.clock.advance(hours=1)

    body = ask(people, "sla touches escalate after 12 hours first-touch 2h")

    assert (
        "Sales SLA set: 4 touches in 8 days, first touch within 2 hours, escalate after "
        "12 hours (was 4 touches in 8 days, first touch within 24 hours, escalate after "
        "48 hours). Kept as they were: 4 touches in 8 days."
    ) in body["text"]
    shown = settings_shown(people)
    assert (
        "*Sales SLA:* 4 touches in 8 days, first touch within 2 hours, escalate after 12 hours\n"
    ) in shown
    assert history(shown)[0] == (
        f"• {when(people.clock.now())} <@{ADMIN}> sales SLA: 4 touches in 8 days, first touch "
        "within 24 hours, escalate after 48 hours → 4 touches in 8 days, first touch within "
        "2 hours, escalate after 12 hours"
    )
    with people.db.session() as session:
        rows = session.exec(select(SalesCommitment).order_by(col(SalesCommitment.id))).all()
    assert [(r.touches, r.days, r.first_touch_hours, r.escalate_after_hours) for r in rows] == [
        (4, 8, 24, 48),
        (4, 8, 2, 12),
    ]


def test_the_sales_sla_already_in_force_is_not_stored_again(people: RunningApp) -> None:
    ask(people, "sla touches 4 in 8 days")
    before = store(people)

    body = ask(people, "sla touches 4 touches in 8 days escalate after 48 hours")

    assert body["text"] == (
        ":information_source: The sales SLA is already 4 touches in 8 days, first touch within "
        "24 hours, escalate after 48 hours; nothing was changed."
    )
    assert store(people) == before


def _wait_for(check: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the leads did not follow the new SLA in time"
        time.sleep(0.05)


def test_after_the_sales_sla_changes_every_lead_follows_the_new_cadence(
    people: RunningApp,
) -> None:
    response = post_events(
        people,
        created("L-1", ASSIGNED, email="one@example.com", fit=80, interest=80),
        assigned("L-1", ASSIGNED, slack_user_id=REP),
        touched("L-1", ASSIGNED + timedelta(hours=1)),
        created("L-2", ASSIGNED, email="two@example.com", fit=80, interest=80),
        assigned("L-2", ASSIGNED, slack_user_id=OTHER_REP),
    )
    assert response.status_code == 200, response.text
    # The default: touch 2 of 6 in 14 days is due 4⅔ days after assignment, touch 1 in 24 h.
    assert lead(people, "L-1").next_touch_due == ASSIGNED + timedelta(days=4, hours=16)
    assert lead(people, "L-2").next_touch_due == ASSIGNED + timedelta(hours=24)

    ask(people, "sla touches 4 in 8 days first-touch 4 hours")

    # Touch 2 of 4 in 8 days: 4 days after assignment; touch 1 within 4 hours.
    _wait_for(lambda: lead(people, "L-1").next_touch_due == ASSIGNED + timedelta(days=4))
    _wait_for(lambda: lead(people, "L-2").next_touch_due == ASSIGNED + timedelta(hours=4))
    assert lead(people, "L-1").window_ends_at == ASSIGNED + timedelta(days=8)
    assert lead(people, "L-2").window_ends_at == ASSIGNED + timedelta(days=8)


def test_sales_ready_leads_may_have_a_first_touch_of_their_own(people: RunningApp) -> None:
    response = post_events(
        people,
        created("L-HOT", ASSIGNED, email="hot@example.com", fit=80, interest=80),
        assigned("L-HOT", ASSIGNED, slack_user_id=REP),
        created("L-REV", ASSIGNED, email="rev@example.com", fit=20, interest=80),  # review
        assigned("L-REV", ASSIGNED, slack_user_id=REP),
    )
    assert response.status_code == 200, response.text

    body = ask(people, "sla touches first-touch 1 hour for sales-ready")

    assert "first touch within 24 hours (1 hour for sales-ready leads)" in body["text"]
    _wait_for(lambda: lead(people, "L-HOT").next_touch_due == ASSIGNED + timedelta(hours=1))
    assert lead(people, "L-REV").next_touch_due == ASSIGNED + timedelta(hours=24)
    assert "(1 hour for sales-ready leads)" in settings_shown(people)
    # The speed to lead of sales-ready leads, apart from every lead's first touch.
    assert post_events(people, touched("L-HOT", ASSIGNED + timedelta(minutes=30))).is_success
    assert post_events(people, touched("L-REV", ASSIGNED + timedelta(hours=2))).is_success
    status = reply_text(people.command("/sla-status", "", user_id=REP).json())
    assert "*Median first touch*\n1 h 15 min" in status
    assert "*Median first touch, sales-ready*\n30 min" in status


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("sla touches first-touch 1 hour for review", "for sales-ready leads only"),
        (
            "sla touches first-touch 1 hour for sales-ready first-touch 2 hours for sales-ready",
            "The sales-ready leads' first touch is given twice",
        ),
        ("sla touches first-touch 0 hours for sales-ready", "at least 1 hour"),
    ],
)
def test_a_bad_sales_ready_first_touch_is_one_line_and_changes_nothing(
    people: RunningApp, text: str, reason: str
) -> None:
    before = store(people)

    body = ask(people, text)

    assert reason in body["text"]
    assert store(people) == before


def test_the_reply_does_not_wait_for_a_large_store_to_follow_the_new_sla(
    people: RunningApp,
) -> None:
    leads = 3_000
    for start in range(0, leads, 500):
        batch = []
        for number in range(start, start + 500):
            email = f"b{number}@example.com"
            batch.append(created(f"B-{number}", ASSIGNED, email=email, fit=80, interest=90))
            batch.append(assigned(f"B-{number}", ASSIGNED, slack_user_id=REP))
        response = post_events(people, *batch)
        assert response.status_code == 200, response.text

    def following_the_new_sla() -> int:
        with people.db.session() as session:
            count = session.exec(
                select(func.count())
                .select_from(Lead)
                .where(Lead.window_ends_at == ASSIGNED + timedelta(days=8))
            ).one()
        return int(count)

    started = time.monotonic()
    body = ask(people, "sla touches 4 in 8 days")
    answered = time.monotonic() - started

    assert "Sales SLA set: 4 touches in 8 days" in body["text"]
    assert answered < 3, f"the reply took {answered:.1f} s: longer than Slack waits"
    # The walk commits once at its end: when the reply came, no lead had moved yet.
    assert following_the_new_sla() == 0
    _wait_for(lambda: following_the_new_sla() == leads, seconds=120)


# ---------------------------------------------------------------------------- bad SLA input


@pytest.mark.parametrize(
    ("text", "reason", "example"),
    [
        (
            "sla touches 6 in -3 days",
            "The window must be at least 1 day, not `-3`",
            TOUCHES_EXAMPLE,
        ),
        (
            "sla touches 0 in 14 days",
            "The number of touches must be at least 1, not `0`",
            TOUCHES_EXAMPLE,
        ),
        (
            "sla touches 6 in 14 days escalate after banana",
            "Escalation must be a whole number of hours, not `banana`",
            TOUCHES_EXAMPLE,
        ),
        (
            "sla touches 6 in 2 weeks",
            "The window is counted in days, not `weeks`",
            TOUCHES_EXAMPLE,
        ),
        (
            "sla touches first-touch 1 day",
            "The first touch is counted in hours, not `day`",
            TOUCHES_EXAMPLE,
        ),
        ("sla touches 6", "Say in how many days: `6 in D days`", TOUCHES_EXAMPLE),
        ("sla touches", "Say what to change: `K in D days`", TOUCHES_EXAMPLE),
        (
            "sla touches 500 in 14 days",
            "The number of touches must be at most 100, not `500`",
            TOUCHES_EXAMPLE,
        ),
        (
            "sla touches 6 in 14 days escalate after 1 escalate after 2",
            "`escalate after E hours` is given twice",
            TOUCHES_EXAMPLE,
        ),
        ("sla leads 0 per month", "The lead commitment must be at least 1, not `0`", LEADS_EXAMPLE),
        (
            "sla leads many per month",
            "The lead commitment must be a whole number, not `many`",
            LEADS_EXAMPLE,
        ),
        (
            "sla leads 100 per fortnight",
            "The lead commitment is counted per month, not `per fortnight`",
            LEADS_EXAMPLE,
        ),
        (
            "sla leads 100 per month per persona",
            "A commitment `per persona` is not available yet",
            LEADS_EXAMPLE,
        ),
        ("sla leads", "Give the number of sales-ready leads", LEADS_EXAMPLE),
        ("sla", "Say which side of the SLA", TOUCHES_EXAMPLE),
        ("sla budget 5", "Say which side of the SLA", TOUCHES_EXAMPLE),
    ],
)
def test_an_sla_that_cannot_be_read_gets_a_reason_and_an_example_and_changes_nothing(
    people: RunningApp, text: str, reason: str, example: str
) -> None:
    before = store(people)

    body = ask(people, text)

    assert body["text"].startswith(f":warning: {reason}")
    assert body["text"].endswith(example)
    assert "\n" not in body["text"]
    assert store(people) == before


# ---------------------------------------------------------------------------- reporting lines


def test_an_admin_sets_a_reps_manager_and_settings_show_the_team(people: RunningApp) -> None:
    body = ask(people, f"manager {mention(REP, 'rey')} {mention(MANAGER, 'mia')}")

    assert body["text"] == (
        f":white_check_mark: <@{REP}> reports to <@{MANAGER}>: follow-ups <@{REP}> misses now "
        f"escalate to <@{MANAGER}>."
    )
    rep, manager = member(people, REP), member(people, MANAGER)
    assert rep is not None and manager is not None
    assert (rep.manager_id, rep.name, rep.tz, rep.email) == (
        MANAGER,
        "Rey Rep",
        "Europe/Madrid",
        "rey@example.com",
    )
    assert (manager.manager_id, manager.name, manager.tz) == (None, "Mia Manager", "Europe/London")
    shown = settings_shown(people)
    assert f"*Managers and their reps*\n• <@{MANAGER}>: <@{REP}>" in shown
    assert history(shown)[0] == (
        f"• {when(people.clock.now())} <@{ADMIN}> manager of <@{REP}>: set to <@{MANAGER}>"
    )


def test_bare_user_ids_name_people_too(people: RunningApp) -> None:
    body = ask(people, f"manager {REP} {MANAGER}", user_id=CONFIGURED_ADMIN)

    assert f"<@{REP}> reports to <@{MANAGER}>" in body["text"]
    rep = member(people, REP)
    assert rep is not None and rep.manager_id == MANAGER


def test_a_new_manager_replaces_the_old_and_none_clears_it(people: RunningApp) -> None:
    ask(people, f"manager {mention(REP)} {mention(MANAGER)}")
    people.clock.advance(hours=1)

    body = ask(people, f"manager {mention(REP)} <@{OTHER_MANAGER}>")

    assert f"<@{REP}> reports to <@{OTHER_MANAGER}> (was <@{MANAGER}>)" in body["text"]
    assert history(settings_shown(people))[0].endswith(
        f"manager of <@{REP}>: <@{MANAGER}> → <@{OTHER_MANAGER}>"
    )
    people.clock.advance(hours=1)

    body = ask(people, f"manager {mention(REP)} none")

    assert body["text"].startswith(
        f":white_check_mark: <@{REP}> has no manager now (was <@{OTHER_MANAGER}>)"
    )
    rep = member(people, REP)
    assert rep is not None and rep.manager_id is None
    shown = settings_shown(people)
    assert history(shown)[0].endswith(f"manager of <@{REP}>: <@{OTHER_MANAGER}> → none")
    assert "*Managers:* none set yet" in shown


def test_setting_the_same_manager_again_or_clearing_none_changes_nothing(
    people: RunningApp,
) -> None:
    ask(people, f"manager {mention(REP)} {mention(MANAGER)}")
    changes = store(people)["changes"]

    again = ask(people, f"manager {mention(REP)} {mention(MANAGER)}")
    clear = ask(people, f"manager {mention(OTHER_REP)} none")

    assert again["text"] == (
        f":information_source: <@{REP}> already reports to <@{MANAGER}>; nothing was changed."
    )
    assert clear["text"] == (
        f":information_source: <@{OTHER_REP}> has no manager; nothing was changed."
    )
    assert store(people)["changes"] == changes


def test_a_manager_cannot_report_to_someone_who_reports_to_them(people: RunningApp) -> None:
    ask(people, f"manager {mention(REP)} {mention(MANAGER)}")
    ask(people, f"manager {mention(MANAGER)} {mention(OTHER_MANAGER)}")
    before = store(people)

    body = ask(people, f"manager {mention(OTHER_MANAGER)} {mention(REP)}")

    assert body["text"] == (
        f":warning: <@{REP}> reports to <@{OTHER_MANAGER}> (directly or through their "
        f"managers), so <@{OTHER_MANAGER}> cannot report to <@{REP}>. {MANAGER_EXAMPLE}"
    )
    assert store(people) == before


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"manager <@{REP}|rey>", "Name the rep's manager too, or `none` to clear it"),
        ("manager @U1", "Name the rep's manager too, or `none` to clear it"),
        (f"manager <@{REP}|rey> <@{REP}|rey>", "A rep cannot be their own manager"),
        ("manager", "Name the rep and their manager"),
        (f"manager @rey <@{MANAGER}|mia>", "`@rey` is not a Slack user"),
        (f"manager <@{REP}|rey> <#C0SALES|sales>", "`&lt;#C0SALES|sales&gt;` is not a Slack user"),
        (
            f"manager <@{REP}> <@{MANAGER}> <@{OTHER_MANAGER}>",
            "Give just two people: the rep, then their manager",
        ),
        (f"manager <@{GHOST}|ghost> <@{MANAGER}|mia>", f"Slack knows no user `{GHOST}` (the rep)"),
        (
            f"manager <@{REP}|rey> <@{GHOST}|ghost>",
            f"Slack knows no user `{GHOST}` (the manager)",
        ),
    ],
)
def test_a_reporting_line_that_cannot_be_set_gets_a_reason_and_changes_nothing(
    people: RunningApp, text: str, reason: str
) -> None:
    before = store(people)

    body = ask(people, text)

    assert body["text"].startswith(f":warning: {reason}")
    assert body["text"].endswith(MANAGER_EXAMPLE)
    assert "\n" not in body["text"]
    assert store(people) == before


def test_when_slack_cannot_say_who_the_manager_is_nothing_changes(people: RunningApp) -> None:
    # The configured admin's rights need no Slack call, so the failures hit the lookups.
    people.slack.fail("users.info", status=500, times=10)

    body = ask(people, f"manager {mention(REP)} {mention(MANAGER)}", user_id=CONFIGURED_ADMIN)

    assert body["text"] == (
        f":no_entry: Could not check with Slack who <@{REP}> (the rep) is (internal_error), so "
        "the reporting line was not changed. Try again in a minute."
    )
    assert store(people)["members"] == []


# ---------------------------------------------------------------------------- who may


ADMIN_COMMANDS = [
    ("sla leads 150 per month", "set the SLA"),
    ("sla touches 4 in 8 days", "set the SLA"),
    (f"manager {mention(REP)} {mention(MANAGER)}", "set reporting lines"),
]


@pytest.mark.parametrize(("text", "what"), ADMIN_COMMANDS)
def test_someone_who_is_not_an_admin_is_refused_and_nothing_changes(
    people: RunningApp, text: str, what: str
) -> None:
    before = store(people)

    body = ask(people, text, user_id=REP)

    assert body["text"] == (
        f":no_entry: Only admins can {what} (Slack workspace admins and owners, and the users "
        "in SMARKETING_ADMINS); nothing was changed."
    )
    assert store(people) == before


@pytest.mark.parametrize(("text", "what"), ADMIN_COMMANDS)
@pytest.mark.parametrize(
    "fault",
    [{"status": 500, "times": 10}, {"status": 200, "error": "user_not_found"}],
    ids=["slack-down", "user-not-found"],
)
def test_when_slack_cannot_say_who_is_admin_nothing_changes(
    people: RunningApp, text: str, what: str, fault: dict[str, Any]
) -> None:
    people.slack.fail("users.info", **fault)
    before = store(people)

    body = ask(people, text)

    assert body["text"].startswith(":no_entry: Could not check with Slack that you are an admin")
    assert "was not changed. Try again in a minute." in body["text"]
    assert "\n" not in body["text"]
    assert store(people) == before


# ---------------------------------------------------------------------------- settings


def test_settings_name_the_reps_who_own_leads_in_work_but_have_no_manager(
    people: RunningApp,
) -> None:
    events = []
    for number, owner in enumerate([REP, REP, OTHER_REP, "U0CAT", "U0DAN"]):
        events.append(created(f"L-{number}", ASSIGNED, email=f"l{number}@example.com"))
        events.append(assigned(f"L-{number}", ASSIGNED, slack_user_id=owner))
    events.append(won("L-4", ASSIGNED + timedelta(hours=1), 5000))  # U0DAN's only lead
    assert post_events(people, *events).status_code == 200
    ask(people, f"manager {mention(REP)} {mention(MANAGER)}")

    shown = settings_shown(people)

    assert (
        "*Reps with leads in work and no manager (2):* their overdue follow-ups escalate to the "
        f"admin <@{CONFIGURED_ADMIN}>; set with `/smarketing manager @rep @manager`"
        f"\n<@{OTHER_REP}>, <@U0CAT>"
    ) in shown
    assert "U0DAN" not in shown


def test_settings_before_any_reporting_line_say_how_to_set_one(people: RunningApp) -> None:
    shown = settings_shown(people)

    assert (
        "*Managers:* none set yet, so overdue follow-ups escalate to the admin "
        f"<@{CONFIGURED_ADMIN}>: an admin sets one with `/smarketing manager @rep @manager`"
    ) in shown
    assert "no manager (" not in shown


def test_long_lists_of_reps_are_cut_with_how_many_more(people: RunningApp) -> None:
    reps = [f"U0R{number:02}" for number in range(35)]
    for person in reps:
        people.slack.add_user(person, name=person.lower())
    events = []
    for rep in reps:
        events.append(created(f"L-{rep}", ASSIGNED, email=f"{rep}@example.com"))
        events.append(assigned(f"L-{rep}", ASSIGNED, slack_user_id=rep))
    assert post_events(people, *events).status_code == 200
    for rep in reps[:12]:
        ask(people, f"manager <@{rep}> <@{MANAGER}>")

    shown = settings_shown(people)

    team = ", ".join(f"<@{person}>" for person in reps[:10])
    assert f"• <@{MANAGER}>: {team} and 2 more\n" in shown
    unmanaged = ", ".join(f"<@{person}>" for person in reps[12:32])
    assert "*Reps with leads in work and no manager (23):*" in shown
    assert f"\n{unmanaged} and 3 more\n" in shown


def test_the_last_change_of_each_workspace_setting_stays_in_the_history(
    people: RunningApp,
) -> None:
    ask(people, "target 1.2m per year")
    ask(people, "sla leads 150 per month")
    reps = [f"U0R{number:02}" for number in range(12)]
    for person in reps:
        people.slack.add_user(person, name=person.lower())
        ask(people, f"manager <@{person}> <@{MANAGER}>")

    changes = history(settings_shown(people))

    # The ten newest (reporting lines), then the target's and marketing's last change, which
    # a dozen newer changes would otherwise have pushed out.
    assert len(changes) == 12
    assert all("manager of <@" in line for line in changes[:10])
    assert any("revenue target: set to $1,200,000 per year" in line for line in changes[10:])
    assert any("marketing SLA:" in line for line in changes[10:])


def test_settings_show_ten_managers_and_how_many_more(people: RunningApp) -> None:
    managers = [f"U0M{number:02}" for number in range(12)]
    reps = [f"U0R{number:02}" for number in range(12)]
    for person in [*reps, *managers]:
        people.slack.add_user(person, name=person.lower())
    for rep, manager in zip(reps, managers, strict=True):
        ask(people, f"manager <@{rep}> <@{manager}>")

    shown = settings_shown(people)

    for rep, manager in list(zip(reps, managers, strict=True))[:10]:
        assert f"• <@{manager}>: <@{rep}>\n" in shown
    assert "<@U0M10>" not in shown.split("*Recent changes*")[0]
    assert "… and 2 more managers" in shown


def _largest_settings() -> dict[str, Any]:
    """Every list as long as it gets, every id as long as the store keeps."""
    moment = datetime(2026, 11, 2, 9, tzinfo=UTC)
    person = "U" + "X" * 63
    return settings_message(
        WorkspaceSettings(
            sla=SalesSla(touches=100, days=365, first_touch_hours=8760, escalate_after_hours=8760),
            sla_is_default=False,
            threshold=100,
            threshold_is_default=False,
            timezone="America/Argentina/ComodRivadavia",
            leads_per_month=1_000_000_000,
            leads_per_rep=True,
            teams=[Team(manager_id=person, rep_ids=[person] * 10, reps=10**6)] * 10,
            managers=10**6,
            unmanaged_rep_ids=[person] * 20,
            unmanaged_reps=10**6,
            target_set_at=moment,
        )
    ).to_dict()


def test_the_longest_settings_stay_within_slacks_block_limits() -> None:
    message = _largest_settings()

    assert message["text"] and 1 <= len(message["blocks"]) <= 50
    for raw in message["blocks"]:
        block = Block.parse(raw)
        assert block is not None
        block.validate_json()
        assert block.to_dict() == raw
        assert len(raw.get("text", {}).get("text", "")) <= 3000
    shown = reply_text(message)
    assert re.search(r"… and 999,99\d more managers\n", shown)
    assert re.search(r"and 999,9\d\d more\n", shown.split("no manager (1,000,000)")[1])


def test_help_gives_the_forms_of_both_slas_and_of_reporting_lines(people: RunningApp) -> None:
    shown = reply_text(ask(people, "help", user_id=REP))

    assert "`/smarketing sla leads N per month [per rep]` — marketing's commitment (admins)" in (
        shown
    )
    assert "the parts left out keep their values" in shown
    assert "`first-touch 1 hour for sales-ready` gives sales-ready leads their own first touch" in (
        shown
    )
    assert "`/smarketing manager @rep none` clears it (admins)" in shown
