"""`/sla-status` over HTTP, signed as Slack signs it, on a November 2026 built through the event
API: every figure in the reply is worked out by hand below, at 15 November 12:00 UTC.

The default SLA: 6 touches in 14 days, the first within 24 h; touch k ≥ 2 is due k × 56 h after
assignment. The SLA window of "now" started 1 November 12:00. The month is 14.5 of 30 days old.

| lead | owner | assigned | touches | outcome | in window | overdue since | breach |
|---|---|---|---|---|---|---|---|
| A1 | Ana | 11-14 09:00 | 10:00 (1 h) | | yes | (touch 2 due 11-19) | |
| A2 | Ana | 11-13 12:00 | none | | yes | 11-14 12:00 | |
| A3 | Ana | 11-10 00:00 | 04:00 (4 h) | | yes | 11-14 16:00 | |
| A4 | Cal→Ana | 10-20; 11-02 00:00 | 03:00 (3 h) | | yes | 11-06 16:00 | not Cal's |
| A5 | Ana | 11-14 00:00 | none | graded avoid | no: not worked | | |
| B1 | Ben | 11-12 00:00 | 02:00 (2 h) | | yes | | |
| B2 | Ben | 11-01 00:00 | six, the first at 05:00 (5 h) | | no: before 11-01 12:00 | | SLA met |
| B3 | Ben | 10-25 00:00 | two | accepted 10-26 | no | (11-01) | ended 11-08: needs an outcome |
| B4 | Ben | 10-20 00:00 | one | lost 10-28 | | | closed mid-window |
| B5 | Ben | 11-03 00:00 | 12:00 (12 h) | accepted 11-03 | yes | 11-07 16:00 | |
| B6 | Ben | 11-09 00:00 | 01:00 (1 h) | rejected 11-10 | | | |
| C1 | Cal | 11-14 00:00 | 20:00 (20 h) | | yes | | |
| W1 | Cal | 11-02 00:00 | 08:00 (8 h) | accepted 11-04, won 11-10 | | | |
| R0 | Cal | 10-21 00:00 | none | rejected 10-30 | | | |

Marketing: sales-ready leads created in November, not duplicates: A1 A2 A3 B1 B2 B5 B6 C1 W1
= 9 (A5 avoid, D1 a duplicate of A1, U1 ungraded, N1 nurture; A4 B3 B4 R0 came in October).
Reps with leads in work: Ana, Ben, Cal → 300 committed; expected by today ⌈300 × 29/60⌉ = 145.
Accepted this month: B5, W1; rejected: B6 → 2 of 3 = 66.7%.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from storage import members
from storage.models import Lead, LeadEvent, Member
from tests.app_server import AppServer, RunningApp, ephemeral_reply
from tests.app_server import blocks_text as reply_text
from tests.events import accepted, assigned, created, lost, post_events, rejected, touched, won

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
ANA, BEN, CAL, MGR, ADMIN = "U0ANA", "U0BEN", "U0CAL", "U0MGR", "U0ADMIN"


def at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def slack_date(moment: datetime) -> str:
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def lead(
    external_id: str,
    created_at: datetime,
    *,
    owner: str | None = None,
    assigned_at: datetime | None = None,
    fit: int | None = 80,
    interest: int | None = 90,
    email: str | None = None,
) -> list[dict[str, Any]]:
    fields: dict[str, Any] = {
        "email": email or f"{external_id.lower()}@example.com",
        "name": f"Person {external_id}",
        "company": f"Company {external_id}",
    }
    if fit is not None:
        fields["fit"] = fit
    if interest is not None:
        fields["interest"] = interest
    events = [created(external_id, created_at, **fields)]
    if owner is not None:
        events.append(assigned(external_id, assigned_at or created_at, slack_user_id=owner))
    return events


def november(app: RunningApp) -> None:
    """The history in the module's table, posted as a CRM would."""
    events = [
        *lead("A1", at(11, 14, 8), owner=ANA, assigned_at=at(11, 14, 9)),
        touched("A1", at(11, 14, 10)),
        *lead("A2", at(11, 13, 11), owner=ANA, assigned_at=at(11, 13, 12)),
        *lead("A3", at(11, 9, 23), owner=ANA, assigned_at=at(11, 10)),
        touched("A3", at(11, 10, 4)),
        *lead("A4", at(10, 19), owner=CAL, assigned_at=at(10, 20)),
        assigned("A4", at(11, 2), slack_user_id=ANA),
        touched("A4", at(11, 2, 3)),
        *lead("A5", at(11, 13, 23), owner=ANA, assigned_at=at(11, 14), fit=10, interest=10),
        *lead("B1", at(11, 11, 23), owner=BEN, assigned_at=at(11, 12)),
        touched("B1", at(11, 12, 2)),
        *lead("B2", at(11, 1), owner=BEN, assigned_at=at(11, 1)),
        *(
            touched("B2", moment)
            for moment in [at(11, 1, 5), *(at(11, d) for d in (5, 7, 9, 11, 13))]
        ),
        *lead("B3", at(10, 24), owner=BEN, assigned_at=at(10, 25)),
        touched("B3", at(10, 25, 10)),
        accepted("B3", at(10, 26)),
        touched("B3", at(10, 30)),
        *lead("B4", at(10, 19), owner=BEN, assigned_at=at(10, 20)),
        touched("B4", at(10, 20, 6)),
        lost("B4", at(10, 28), "went quiet"),
        *lead("B5", at(11, 2, 23), owner=BEN, assigned_at=at(11, 3)),
        touched("B5", at(11, 3, 12)),
        accepted("B5", at(11, 3, 13)),
        *lead("B6", at(11, 8, 23), owner=BEN, assigned_at=at(11, 9)),
        touched("B6", at(11, 9, 1)),
        rejected("B6", at(11, 10), "no budget"),
        *lead("C1", at(11, 13, 23), owner=CAL, assigned_at=at(11, 14)),
        touched("C1", at(11, 14, 20)),
        *lead("W1", at(11, 1, 23), owner=CAL, assigned_at=at(11, 2)),
        touched("W1", at(11, 2, 8)),
        accepted("W1", at(11, 4)),
        won("W1", at(11, 10), 5000),
        *lead("R0", at(10, 20), owner=CAL, assigned_at=at(10, 21)),
        rejected("R0", at(10, 30), "wrong market"),
        *lead("D1", at(11, 14, 9), email="A1@example.com"),  # a duplicate of A1
        *lead("U1", at(11, 6), fit=None),  # ungraded
        *lead("N1", at(11, 7), interest=10),  # nurture
    ]
    response = post_events(app, *events)
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == len(events)


def set_manager(app: RunningApp, manager: str, *reps: str) -> None:
    with app.db.session() as session:
        for rep in reps:
            member = members.upsert_member(session, slack_user_id=rep, now=NOW)
            member.manager_id = manager


@pytest.fixture
def month(app: RunningApp) -> RunningApp:
    november(app)
    set_manager(app, MGR, ANA, BEN)
    app.clock.set(NOW)
    return app


def sla_status(app: RunningApp, text: str = "", *, user_id: str = ANA) -> dict[str, Any]:
    """Send `/sla-status TEXT`; check the reply is ephemeral and within Slack's limits."""
    return ephemeral_reply(app.command("/sla-status", text, user_id=user_id))


def overdue_ids(reply: dict[str, Any]) -> list[str]:
    """The overdue leads listed, in the order shown."""
    lines = reply_text(reply).splitlines()
    return [line.split("*")[1] for line in lines if "overdue since" in line]


def rep_rows(reply: dict[str, Any]) -> list[str]:
    """The per-rep table's lines, in the order shown."""
    text = reply_text(reply)
    if "*By rep, most overdue first*" not in text:
        return []
    table = text.split("*By rep, most overdue first*\n", 1)[1]
    return [line for line in table.splitlines() if line.startswith("• <@")]


def stored(app: RunningApp) -> tuple[int, int, list[tuple[Any, ...]]]:
    """Events, leads and members: to show a reply changed nothing."""
    with app.db.session() as session:
        events = session.exec(select(func.count()).select_from(LeadEvent)).one()
        leads = session.exec(select(func.count()).select_from(Lead)).one()
        people = session.exec(select(Member).order_by(Member.slack_user_id)).all()
        return int(events), int(leads), [(m.slack_user_id, m.manager_id) for m in people]


MARKETING_FIGURES = [
    "*Delivered*\n9 of 300 committed",
    "*Expected by today*\n145",
    "*Pace*\n:red_circle: Behind by 136",
    "*Lead acceptance by sales*\n66.7% (2 accepted, 1 rejected)",
    "100 sales-ready leads per rep per month × 3 reps with leads in work",
]


def test_a_rep_sees_their_own_overdue_leads_first_and_marketing_in_one_line(
    month: RunningApp,
) -> None:
    reply = sla_status(month)

    text = reply_text(reply)
    assert text.startswith("SLA status · November 2026\n*Overdue (3)*, longest overdue first\n")
    # Then the touch coming due (A1's second), then the figures, explained.
    assert text.index("*Due next*\n• *A1* Person A1, Company A1 · touch 2 of 6 due ") < text.index(
        "*Sales* · your leads"
    )
    assert "*In SLA window*: leads in those 14 days" in text
    # Marketing's side is one line with where to read it whole.
    for figure in MARKETING_FIGURES:
        assert figure not in text
    assert (
        "*Marketing:* 9 of 300 sales-ready leads delivered — behind by 136 · "
        "`/sla-status marketing`"
    ) in text
    # Short enough to read without scrolling: a handful of blocks, the figures in two columns.
    assert len(reply["blocks"]) <= 8
    assert "*Leads in SLA window*\n4" in text
    assert "*Compliance*\n25% (1 of 4 on cadence)" in text
    assert "*Overdue*\n3" in text
    assert "*Breaches this month*\n0" in text
    assert "*Median first touch*\n3 h" in text
    assert overdue_ids(reply) == ["A4", "A2", "A3"]
    assert (
        "• *A4* Person A4, Company A4 · overdue since "
        f"{slack_date(at(11, 6, 16))} (touch 2 of 6)"
    ) in text
    assert f"overdue since {slack_date(at(11, 14, 12))} (touch 1 of 6)" in text
    assert f"<@{ANA}>" not in text  # her own leads: no owner on each line
    assert rep_rows(reply) == []  # one rep's own leads need no table
    assert "A5" not in text  # graded avoid: not worked under the SLA


def test_me_is_the_same_as_nothing_for_a_rep(month: RunningApp) -> None:
    alone, me = sla_status(month), sla_status(month, "me")

    assert reply_text(me) == reply_text(alone)


def test_a_manager_sees_their_team_rep_by_rep_by_default(month: RunningApp) -> None:
    reply = sla_status(month, user_id=MGR)

    text = reply_text(reply)
    assert "*Marketing:* 9 of 300 sales-ready leads delivered — behind by 136" in text
    assert "*Sales* · your team (2 reps)" in text
    assert "*Leads in SLA window*\n6" in text
    assert "*Compliance*\n33.3% (2 of 6 on cadence)" in text
    assert "*Overdue*\n4" in text
    assert "*Due next*" not in text  # a team's touches coming due are each rep's own
    assert "*Breaches this month*\n1" in text
    assert "*Median first touch*\n3 h" in text
    # B3's window ended a week ago, short of six touches: escalated since, it waits for an
    # outcome and is overdue no more (DESIGN §2 "Every lead reaches an end").
    assert overdue_ids(reply) == ["A4", "B5", "A2", "A3"]
    assert f"overdue since {slack_date(at(11, 1))}" not in text
    assert rep_rows(reply) == [
        f"• <@{ANA}> · 4 leads in window · 25% · 3 overdue · 0 breaches",
        f"• <@{BEN}> · 2 leads in window · 50% · 1 overdue · 1 breach",
    ]


def test_team_from_a_manager_is_their_team(month: RunningApp) -> None:
    assert reply_text(sla_status(month, "team", user_id=MGR)) == reply_text(
        sla_status(month, user_id=MGR)
    )


def test_me_from_a_manager_is_their_own_leads_not_the_teams(month: RunningApp) -> None:
    reply = sla_status(month, "me", user_id=MGR)

    text = reply_text(reply)
    assert "*Sales* · your leads" in text
    assert "*Leads in SLA window*\n0" in text
    assert "*Compliance*\n— (no lead in its SLA window)" in text
    assert ":white_check_mark: Nothing overdue." in text
    assert "*Median first touch*\n— (no first touch this month yet)" in text


def test_at_user_shows_that_reps_leads_with_a_breach_and_a_lead_closed_mid_window(
    month: RunningApp,
) -> None:
    reply = sla_status(month, f"<@{BEN}|ben>")

    text = reply_text(reply)
    assert f"*Sales* · <@{BEN}>'s leads" in text
    assert "*Leads in SLA window*\n2" in text
    assert "*Compliance*\n50% (1 of 2 on cadence)" in text
    assert "*Overdue*\n1" in text
    # B3's window ended 8 November short of six touches; B4 was lost before its window ended,
    # and B2 had all six touches in time.
    assert "*Breaches this month*\n1" in text
    assert "*Median first touch*\n3 h 30 min" in text  # 1, 2, 5 and 12 hours
    assert overdue_ids(reply) == ["B5"]  # B3 waits for an outcome


def test_at_a_manager_shows_their_team(month: RunningApp) -> None:
    reply = sla_status(month, f"<@{MGR}>", user_id=CAL)

    text = reply_text(reply)
    assert f"*Sales* · <@{MGR}>'s team (2 reps)" in text
    assert "*Compliance*\n33.3% (2 of 6 on cadence)" in text
    assert len(rep_rows(reply)) == 2


def test_a_reassigned_lead_counts_for_its_new_owner_only(month: RunningApp) -> None:
    reply = sla_status(month, f"<@{CAL}|cal>")

    text = reply_text(reply)
    # A4's first window (Cal's, ending 3 November untouched) ended with the re-assignment.
    assert "*Breaches this month*\n0" in text
    assert "*Leads in SLA window*\n1" in text
    assert "*Compliance*\n100% (1 of 1 on cadence)" in text
    assert "*Median first touch*\n14 h" in text  # C1 20 h, W1 8 h
    assert ":white_check_mark: Nothing overdue." in text
    assert "A4" not in text


def test_team_from_an_admin_who_manages_no_one_is_every_rep(month: RunningApp) -> None:
    month.slack.add_user(ADMIN, name="admin", is_admin=True)

    reply = sla_status(month, "team", user_id=ADMIN)

    text = reply_text(reply)
    assert "*Sales* · every rep" in text
    assert "*Leads in SLA window*\n7" in text
    assert "*Compliance*\n42.9% (3 of 7 on cadence)" in text
    assert "*Breaches this month*\n1" in text
    assert "*Median first touch*\n4 h" in text  # 1, 1, 2, 3, 4, 5, 8, 12, 20 hours
    assert rep_rows(reply) == [
        f"• <@{ANA}> · 4 leads in window · 25% · 3 overdue · 0 breaches",
        f"• <@{BEN}> · 2 leads in window · 50% · 1 overdue · 1 breach",
        f"• <@{CAL}> · 1 lead in window · 100% · 0 overdue · 0 breaches",
    ]


def test_team_from_a_rep_who_manages_no_one_says_there_is_no_team(month: RunningApp) -> None:
    month.slack.add_user(CAL, name="cal")
    before = stored(month)

    reply = sla_status(month, "team", user_id=CAL)

    assert len(reply["blocks"]) == 1
    text = reply_text(reply)
    assert "You manage no one yet, so there is no team to show" in text
    assert "Try `/sla-status me`" in text
    assert "/smarketing" not in text  # no admin command offered to a rep
    assert "\n" not in text
    assert stored(month) == before


def test_team_is_refused_when_slack_cannot_say_who_is_an_admin(month: RunningApp) -> None:
    month.slack.add_user(CAL, name="cal", is_admin=True)
    month.slack.fail("users.info", status=200, error="fatal_error", times=5)

    reply = sla_status(month, "team", user_id=CAL)

    text = reply_text(reply)
    assert text.startswith(":warning: Slack did not say whether you are an admin (fatal_error)")
    assert "*Sales*" not in text


def test_marketing_shows_marketings_side_alone_for_the_whole_company(month: RunningApp) -> None:
    reply = sla_status(month, "marketing", user_id=BEN)

    text = reply_text(reply)
    for figure in MARKETING_FIGURES:
        assert figure in text
    assert "whole company" in text
    assert "*Sales*" not in text
    assert "overdue since" not in text
    assert "9 of 300" in reply["text"]


def test_marketing_on_pace_when_delivery_keeps_up(app: RunningApp) -> None:
    # One rep, 100 committed; on 2 November 09:00 (1.375 of 30 days) 5 are expected.
    post_events(
        app,
        *[
            event
            for number in range(5)
            for event in lead(f"P{number}", at(11, 1, 9), owner=ANA, assigned_at=at(11, 1, 9))
        ],
    )
    app.clock.set(at(11, 2, 9))

    text = reply_text(sla_status(app, "marketing"))

    assert "*Delivered*\n5 of 100 committed" in text
    assert "*Expected by today*\n5" in text
    assert "*Pace*\n:large_green_circle: On pace" in text
    assert "*Lead acceptance by sales*\nNo lead accepted or rejected yet this month" in text


def test_help_shows_the_usage(app: RunningApp) -> None:
    reply = sla_status(app, "help")

    text = reply_text(reply)
    assert "What /sla-status shows" in text
    assert "`/sla-status @user`" in text
    assert "Example: `/sla-status team last month`" in text
    assert "`last week`" in text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("sales", "`sales` is not something `/sla-status` shows"),
        ("me team", "`team` is not a period: use `this` or `last`, then `week` or `month`"),
        ("me last month now", "not 4 words"),
        ("me last year", "`year` is not a period"),
        ("@ana", "`@ana` did not reach the bot as a Slack user"),
        ("<#C0SALES|sales>", "That is a channel"),
        ("<script>", "`&lt;script&gt;` is not something"),
    ],
)
def test_words_it_does_not_know_get_a_reason_and_an_example(
    month: RunningApp, text: str, reason: str
) -> None:
    before = stored(month)

    reply = sla_status(month, text)

    line = reply_text(reply)
    assert len(reply["blocks"]) == 1
    assert line.startswith(":warning: ")
    assert reason in line
    assert line.endswith("Try `/sla-status team last month`")
    assert "\n" not in line
    assert stored(month) == before


# ------------------------------------------------------------------ the workspace's time zone


@pytest.fixture
def pacific_app(app: RunningApp) -> Iterator[RunningApp]:
    """The same store, served by an app whose workspace is in Los Angeles."""
    settings = app.settings.model_copy(update={"smarketing_timezone": "America/Los_Angeles"})
    server = AppServer(settings, app.db, app.clock)
    url = server.start()
    with httpx.Client(timeout=30) as http:
        yield RunningApp(
            url=url, settings=settings, db=app.db, clock=app.clock, slack=app.slack, http=http
        )
    server.stop()


def track_from(app: RunningApp, day: str) -> None:
    """An admin says when tracking started, so that no month here is partial."""
    app.slack.add_user(ADMIN, name="admin", is_admin=True)
    reply = ephemeral_reply(app.command("/smarketing", f"start {day}", user_id=ADMIN))
    assert reply_text(reply).startswith(":white_check_mark: Tracking starts on"), reply


def test_the_month_is_cut_in_the_workspace_time_zone(
    app: RunningApp, pacific_app: RunningApp
) -> None:
    # 1 November 03:00 UTC is still 31 October 20:00 in Los Angeles.
    app.clock.set(at(11, 1, 5))
    track_from(app, "2026-10-01")
    post_events(app, *lead("L-HALLOWEEN", at(11, 1, 3), owner=ANA, assigned_at=at(11, 5)))
    # A window that ended at that moment too: November's breach in UTC, October's in LA.
    post_events(app, *lead("L-OLD", at(10, 18, 3), owner=ANA, fit=10, interest=90))  # review

    pacific = reply_text(sla_status(pacific_app, "marketing"))
    utc = reply_text(sla_status(app, "marketing"))
    assert "SLA status · October 2026" in pacific
    assert "*Delivered*\n1 of 100 committed" in pacific
    assert "SLA status · November 2026" in utc
    assert "*Delivered*\n1 of 100 committed" in utc

    app.clock.set(NOW)
    # Created 1 November 01:00 in Los Angeles: November's there too.
    post_events(app, *lead("L-NOV", at(11, 1, 8), owner=ANA, assigned_at=at(11, 10)))

    pacific = reply_text(sla_status(pacific_app, "marketing"))
    utc = reply_text(sla_status(app, "marketing"))
    assert "SLA status · November 2026" in pacific
    assert "*Delivered*\n1 of 100 committed" in pacific  # L-HALLOWEEN counted for October
    assert "*Delivered*\n2 of 100 committed" in utc
    # LA's November runs from 07:00 UTC on the 1st to 08:00 UTC on 1 December (DST ends):
    # 341 of 721 hours gone, ⌈100 × 341/721⌉ = 48; in UTC ⌈100 × 29/60⌉ = 49.
    assert "*Expected by today*\n48" in pacific
    assert "*Expected by today*\n49" in utc
    pacific = reply_text(sla_status(pacific_app, "me"))
    utc = reply_text(sla_status(app, "me"))
    assert "*Breaches this month*\n0" in pacific
    assert "*Breaches this month*\n1" in utc


# ------------------------------------------------------------------ Slack's limits


def test_a_team_of_sixty_reps_with_two_hundred_overdue_leads_fits_in_one_reply(
    app: RunningApp,
) -> None:
    reps = [f"U0REP{number:02d}" for number in range(60)]
    set_manager(app, MGR, *reps)
    long_name = "Dr. <!channel> & " + "Bartholomew-" * 15
    events = [
        event
        for number in range(200)
        for event in lead(
            f"L-{number:03d}-" + "x" * 100,
            at(11, 2) + timedelta(minutes=number),
            owner=reps[number % 60],
            email=f"lead{number}@example.com",
        )
    ]
    for event in events:
        if event["type"] == "lead.created":
            event["lead"]["name"] = long_name[:255]
            event["lead"]["company"] = ("Company & Sons " * 20)[:255]
    assert post_events(app, *events).status_code == 200
    app.clock.set(NOW)

    reply = sla_status(app, user_id=MGR)

    text = reply_text(reply)
    assert "*Sales* · your team (60 reps)" in text
    assert "*Overdue*\n200" in text
    assert len(overdue_ids(reply)) == 10
    assert "…and 190 more overdue leads." in text
    assert len(rep_rows(reply)) == 25
    assert "…and 35 more reps." in text
    assert "<!channel>" not in text
    assert "&lt;!channel&gt; &amp;" in text
    assert len(reply["blocks"]) <= 50
