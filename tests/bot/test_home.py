"""App Home over HTTP, signed as Slack signs it: what a rep, a manager and an admin see when they
open it, the "Log a touch" and "Open SLA details" buttons, and every view within Slack's limits."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy import func
from sqlmodel import select

from storage import members
from storage.models import Lead, LeadEvent
from tests.app_server import SIGNING_SECRET, RunningApp, ephemeral_reply
from tests.app_server import blocks_text as view_text
from tests.events import assigned, created, post_events, touched, won
from tests.slack.emulator import Call
from tests.slack.signing import event_body, interaction_body, json_headers

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # the fake clock's start
OLD = NOW - timedelta(days=2)  # assigned then, its first touch (due after 24 h) is overdue
RECENT = NOW - timedelta(hours=1)  # assigned then, its first touch is due in 23 h
SPACING = timedelta(days=14) / 6  # the default SLA: 6 touches in 14 days
WAIT = 15.0  # seconds a lazy listener may take to reach the emulator


# ------------------------------------------------------------------ driving the app


def slack_date(moment: datetime) -> str:
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def calls(app: RunningApp, method: str, **params: str) -> list[Call]:
    """Every call to `method` the emulator saw whose params match, answered well or not."""
    return [
        call
        for call in app.slack.calls
        if call.method == method
        and all(call.params.get(name) == value for name, value in params.items())
    ]


def wait_for(app: RunningApp, method: str, *, after: int, **params: str) -> dict[str, Any]:
    """The view of the call to `method` number `after` (0-based), once the app has made it."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        made = calls(app, method, **params)
        if len(made) > after:
            call = made[after]
            assert call.ok, call.response  # the emulator refuses a view beyond Slack's limits
            view: dict[str, Any] = call.params["view"]
            assert_within_slack_limits(view)
            return view
        time.sleep(0.02)
    raise AssertionError(f"no {method} call number {after + 1} within {WAIT} s")


def open_home(app: RunningApp, user_id: str) -> dict[str, Any]:
    """Open the Home tab as `user_id` (Slack's app_home_opened event) and return the view
    the app published for them."""
    before = len(calls(app, "views.publish", user_id=user_id))
    body = event_body(
        {
            "type": "app_home_opened",
            "user": user_id,
            "channel": f"D{user_id}",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
    )
    response = app.post_slack(body, headers=json_headers(body, signing_secret=SIGNING_SECRET))
    assert response.status_code == 200
    return wait_for(app, "views.publish", after=before, user_id=user_id)


def click_payload(
    user_id: str,
    action_id: str,
    value: str,
    *,
    action_ts: str | None = None,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A block_actions payload as Slack sends it for a button pressed in App Home."""
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": "someone", "team_id": "T0TEST"},
        "api_app_id": "A0TEST",
        "token": "verification-token",
        "team": {"id": "T0TEST", "domain": "test-workspace"},
        "container": {"type": "view", "view_id": "V0HOME"},
        "trigger_id": trigger_id or f"trig-{uuid.uuid4().hex}",
        "view": {"id": "V0HOME", "hash": uuid.uuid4().hex, "type": "home"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "text": {"type": "plain_text", "text": "Log a touch"},
                "action_ts": action_ts or f"{time.time():.6f}",
            }
        ],
    }


def send(app: RunningApp, payload: dict[str, Any]) -> None:
    response = app.post_slack(interaction_body(payload))
    assert response.status_code == 200
    assert "Traceback" not in response.text


def press(app: RunningApp, payload: dict[str, Any]) -> dict[str, Any]:
    """Press a Home button and return the Home the app re-published for the presser."""
    user_id = payload["user"]["id"]
    before = len(calls(app, "views.publish", user_id=user_id))
    send(app, payload)
    return wait_for(app, "views.publish", after=before, user_id=user_id)


def assert_within_slack_limits(view: dict[str, Any]) -> None:
    assert 1 <= len(view["blocks"]) <= 100  # a Home tab and a modal alike
    for raw in view["blocks"]:
        block = Block.parse(raw)
        assert block is not None
        block.validate_json()
        assert block.to_dict() == raw
        assert len(raw.get("text", {}).get("text", "")) <= 3000
        assert len(raw.get("fields", [])) <= 10
    rebuilt = View(
        **{key: view[key] for key in ("type", "title", "close", "blocks") if key in view}
    )
    rebuilt.validate_json()


def headers(view: dict[str, Any]) -> list[str]:
    return [block["text"]["text"] for block in view["blocks"] if block["type"] == "header"]


def buttons(view: dict[str, Any], action_id: str = "home_log_touch") -> list[str]:
    """The values of the buttons with `action_id`, in the order shown."""
    return [
        block["accessory"]["value"]
        for block in view["blocks"]
        if block.get("accessory", {}).get("action_id") == action_id
    ]


# ------------------------------------------------------------------ the store


def lead_events(
    external_id: str,
    *,
    owner: str | None = "U0REP",
    at: datetime = OLD,
    **fields: Any,
) -> list[dict[str, Any]]:
    values: dict[str, Any] = {
        "email": f"{external_id.lower()}@example.com",
        "name": "Jane Doe",
        "company": "Acme",
        "fit": 80,
        "interest": 90,
        **fields,
    }
    events = [created(external_id, at, **values)]
    if owner is not None:
        events.append(assigned(external_id, at, slack_user_id=owner))
    return events


def add_leads(app: RunningApp, *events: dict[str, Any]) -> None:
    for start in range(0, len(events), 1000):
        response = post_events(app, *events[start : start + 1000])
        assert response.status_code == 200, response.text


def add_lead(app: RunningApp, external_id: str, **kwargs: Any) -> None:
    add_leads(app, *lead_events(external_id, **kwargs))


def lead_row(app: RunningApp, external_id: str) -> Lead:
    with app.db.session() as session:
        return session.exec(select(Lead).where(Lead.external_id == external_id)).one()


def stored(app: RunningApp, external_id: str) -> tuple[int, dict[str, Any]]:
    """The size of the event log and the lead's row, to show that nothing changed."""
    with app.db.session() as session:
        count = session.exec(select(func.count()).select_from(LeadEvent)).one()
        row = session.exec(select(Lead).where(Lead.external_id == external_id)).one()
        return int(count), row.model_dump()


def slack_touches(app: RunningApp, external_id: str) -> list[LeadEvent]:
    with app.db.session() as session:
        query = select(LeadEvent).where(
            LeadEvent.lead_external_id == external_id, LeadEvent.origin == "slack"
        )
        return list(session.exec(query).all())


def set_team(app: RunningApp, manager_id: str, reps: list[str]) -> None:
    with app.db.session() as session:
        for rep_id in reps:
            rep = members.upsert_member(session, slack_user_id=rep_id, now=NOW)
            rep.manager_id = manager_id
            session.add(rep)


# ------------------------------------------------------------------ what each person sees


def test_a_rep_sees_their_overdue_and_due_leads_and_their_compliance(app: RunningApp) -> None:
    add_lead(app, "L-1", at=OLD, company="Acme")
    add_lead(app, "L-2", at=RECENT, company="Globex")
    add_lead(app, "L-3", owner="U0OTHER", company="Initech")

    view = open_home(app, "U0REP")

    assert view["type"] == "home"
    assert headers(view) == ["Your leads"]
    text = view_text(view)
    assert "*Compliance 50%* — 1 of 2 leads in their 14-day window on cadence" in text
    assert "*Overdue (1)*" in text
    assert (
        f"*L-1* (Acme)\nOverdue since {slack_date(OLD + timedelta(hours=24))} (touch 1 of 6)"
        in (text)
    )
    assert f"*L-2* (Globex) — touch 1 of 6 due {slack_date(RECENT + timedelta(hours=24))}" in text
    assert "L-3" not in text
    assert buttons(view) == ["0:L-1"]
    assert buttons(view, "home_sla_details") == ["me"]


def test_a_rep_sees_the_first_ten_overdue_leads_longest_overdue_first_and_a_count_of_the_rest(
    app: RunningApp,
) -> None:
    add_leads(
        app,
        *(
            event
            for index in range(14)
            for event in lead_events(f"L-{index:02d}", at=OLD - timedelta(hours=index))
        ),
    )

    view = open_home(app, "U0REP")

    assert buttons(view) == [f"0:L-{index:02d}" for index in range(13, 3, -1)]
    assert "…and 4 more — `/lead mine`" in view_text(view)


def test_a_manager_sees_each_rep_and_the_teams_overdue_leads(app: RunningApp) -> None:
    set_team(app, "U0MGR", ["U0REP1", "U0REP2"])
    add_lead(app, "L-1", owner="U0REP1", at=OLD)
    add_lead(app, "L-2", owner="U0REP2", at=RECENT)
    add_lead(app, "L-3", owner="U0STRANGER", at=OLD)

    view = open_home(app, "U0MGR")

    assert headers(view) == ["Your team"]
    text = view_text(view)
    assert "*2 reps, most overdue first*" in text
    assert "<@U0REP1> — 0% compliance · 1 overdue · 0 breaches" in text
    assert "<@U0REP2> — 100% compliance · 0 overdue · 0 breaches" in text
    assert "*Team's overdue leads (1)*" in text
    assert "*L-1* (Acme) · <@U0REP1>" in text
    assert "L-3" not in text
    assert buttons(view) == ["0:L-1"]
    assert buttons(view, "home_sla_details") == ["team"]


def test_an_admin_sees_the_lead_commitment_its_pace_and_the_campaign_and_source_table(
    app: RunningApp,
) -> None:
    app.slack.add_user("U0ADM", name="Ada", is_admin=True)
    this_month = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    add_leads(
        app,
        *(
            event
            for index in range(3)
            for event in lead_events(
                f"L-{index}", at=this_month, campaign="Webinar", source="LinkedIn"
            )
        ),
        *lead_events("L-9", at=this_month, campaign="Ebook", source="Google", interest=10),
    )

    view = open_home(app, "U0ADM")

    assert headers(view) == ["Marketing"]
    text = view_text(view)
    # 100 a month for the one rep working leads; 33 h of November's 720 gone: 5 expected.
    assert "*November 2026*" in text
    assert "*Sales-ready leads:* 3 delivered of 100 committed" in text
    assert "Expected by today: 5 — :warning: *behind by 2*" in text
    assert "*By campaign*" in text
    assert "*Webinar* — 3 leads · 3 sales-ready · 0 accepted · 0 won · $0" in text
    assert "*Ebook* — 1 lead · 0 sales-ready" in text
    assert "*By source*" in text
    assert "*LinkedIn* — 3 leads" in text
    assert buttons(view, "home_sla_details") == ["marketing"]


def test_someone_who_manages_a_team_and_is_an_admin_sees_both(app: RunningApp) -> None:
    app.slack.add_user("U0BOSS", name="Boss", is_admin=True)
    set_team(app, "U0BOSS", ["U0REP"])
    add_lead(app, "L-1")

    view = open_home(app, "U0BOSS")

    assert headers(view) == ["Your team", "Marketing"]


def test_when_slack_cannot_say_who_someone_is_the_admin_part_is_not_shown(
    app: RunningApp,
) -> None:
    app.slack.add_user("U0ADM", name="Ada", is_admin=True)
    app.slack.fail("users.info", status=200, error="fatal_error", times=5)

    view = open_home(app, "U0ADM")

    assert "Marketing" not in headers(view)
    assert headers(view) == ["Your leads"]
    assert "No touch is coming due." in view_text(view)


# ------------------------------------------------------------------ "Log a touch"


def test_log_a_touch_logs_one_touch_and_the_home_shows_it(app: RunningApp) -> None:
    add_lead(app, "L-1")
    [value] = buttons(open_home(app, "U0REP"))

    view = press(app, click_payload("U0REP", "home_log_touch", value))

    text = view_text(view)
    next_due = OLD + 2 * SPACING
    assert text.startswith(
        f":white_check_mark: Touch 1 of 6 logged on *L-1* (Acme). "
        f"Next touch due {slack_date(next_due)}."
    )
    assert f"*L-1* (Acme) — touch 2 of 6 due {slack_date(next_due)}" in text
    assert buttons(view) == []
    row = lead_row(app, "L-1")
    assert (row.touches, row.first_touch_at) == (1, NOW)
    [event] = slack_touches(app, "L-1")
    assert (event.type, event.actor_id, event.occurred_at) == ("lead.touched", "U0REP", NOW)


def test_a_click_is_answered_before_slack_gives_up_even_when_redrawing_is_slow(
    app: RunningApp,
) -> None:
    add_lead(app, "L-1")
    slow = 3.5  # longer than the 3 s Slack waits for an answer before showing an error
    app.slack.slow("views.publish", seconds=slow)
    started = time.monotonic()

    send(app, click_payload("U0REP", "home_log_touch", "0:L-1"))

    assert time.monotonic() - started < 2
    view = wait_for(app, "views.publish", after=0, user_id="U0REP")
    assert "Touch 1 of 6 logged on *L-1* (Acme)" in view_text(view)
    assert lead_row(app, "L-1").touches == 1
    time.sleep(max(0.0, started + slow + 0.5 - time.monotonic()))  # let the slow answer land


def test_the_same_click_sent_again_logs_no_second_touch(app: RunningApp) -> None:
    add_lead(app, "L-1")
    payload = click_payload("U0REP", "home_log_touch", "0:L-1")
    press(app, payload)
    before = stored(app, "L-1")

    view = press(app, payload)

    assert "That touch on *L-1* (Acme) was already logged" in view_text(view)
    assert "1 of 6 touches" in view_text(view)
    assert stored(app, "L-1") == before
    assert len(slack_touches(app, "L-1")) == 1


def test_a_double_click_on_the_same_button_logs_one_touch(app: RunningApp) -> None:
    add_lead(app, "L-1")

    press(app, click_payload("U0REP", "home_log_touch", "0:L-1", action_ts="1793000000.000001"))
    view = press(
        app, click_payload("U0REP", "home_log_touch", "0:L-1", action_ts="1793000000.400002")
    )

    assert "was already logged" in view_text(view)
    assert lead_row(app, "L-1").touches == 1
    assert len(slack_touches(app, "L-1")) == 1


def test_two_clicks_arriving_together_log_one_touch(app: RunningApp) -> None:
    add_lead(app, "L-1")
    payloads = [click_payload("U0REP", "home_log_touch", "0:L-1") for _ in range(2)]
    threads = [threading.Thread(target=send, args=(app, payload)) for payload in payloads]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for(app, "views.publish", after=1, user_id="U0REP")

    assert lead_row(app, "L-1").touches == 1
    assert len(slack_touches(app, "L-1")) == 1


def test_a_button_drawn_before_another_touch_was_logged_logs_nothing(app: RunningApp) -> None:
    add_lead(app, "L-1")
    [value] = buttons(open_home(app, "U0REP"))
    add_leads(app, touched("L-1", NOW))  # the CRM logs the same call meanwhile
    before = stored(app, "L-1")

    view = press(app, click_payload("U0REP", "home_log_touch", value))

    assert "*L-1* (Acme) has changed since this Home was drawn (now 1 of 6 touches)" in (
        view_text(view)
    )
    assert stored(app, "L-1") == before


def test_a_rep_cannot_touch_someone_elses_lead(app: RunningApp) -> None:
    app.slack.add_user("U0REP", name="Rep")
    add_lead(app, "L-9", owner="U0OTHER")
    before = stored(app, "L-9")

    view = press(app, click_payload("U0REP", "home_log_touch", "0:L-9"))

    assert view_text(view).startswith(
        ":no_entry: *L-9* (Acme) is <@U0OTHER>'s lead: only its owner, a manager or an admin "
        "can log a touch on it. Nothing was logged."
    )
    assert stored(app, "L-9") == before


def test_a_closed_lead_takes_no_touch_from_the_home(app: RunningApp) -> None:
    add_lead(app, "L-1")
    [value] = buttons(open_home(app, "U0REP"))
    add_leads(app, won("L-1", NOW, 5000))
    before = stored(app, "L-1")

    view = press(app, click_payload("U0REP", "home_log_touch", value))

    assert ":no_entry: *L-1* (Acme) was already won" in view_text(view)
    assert "Nothing was logged." in view_text(view)
    assert stored(app, "L-1") == before


def test_a_manager_logs_a_touch_on_a_team_lead_from_their_home(app: RunningApp) -> None:
    set_team(app, "U0MGR", ["U0REP"])
    add_lead(app, "L-1")
    [value] = buttons(open_home(app, "U0MGR"))

    view = press(app, click_payload("U0MGR", "home_log_touch", value))

    assert "Touch 1 of 6 logged on *L-1* (Acme)" in view_text(view)
    assert "*Team's overdue leads*\n:white_check_mark: Nothing overdue." in view_text(view)
    [event] = slack_touches(app, "L-1")
    assert event.actor_id == "U0MGR"


def test_a_button_value_the_home_never_made_logs_nothing(app: RunningApp) -> None:
    add_lead(app, "L-1")
    before = stored(app, "L-1")

    view = press(app, click_payload("U0REP", "home_log_touch", "L-1"))

    assert "That button is not one this Home makes; nothing was logged." in view_text(view)
    assert stored(app, "L-1") == before


# ------------------------------------------------------------------ "Open SLA details"


def test_sla_details_opens_a_modal_with_the_reps_figures(app: RunningApp) -> None:
    add_lead(app, "L-1", at=OLD)
    add_lead(app, "L-2", at=RECENT)

    send(app, click_payload("U0REP", "home_sla_details", "me", trigger_id="trig-sla"))
    view = wait_for(app, "views.open", after=0, trigger_id="trig-sla")

    assert view["type"] == "modal"
    assert view["title"]["text"] == "SLA details"
    text = view_text(view)
    assert "*Compliance 50%* — 1 of 2 leads in their 14-day window on cadence" in text
    since = slack_date(OLD + timedelta(hours=24))
    assert f"*Overdue (1)*\n:red_circle: *L-1* (Acme)\nOverdue since {since}" in text
    assert "6 touches in 14 days, the first within 24 h" in text


def test_sla_details_for_the_team_lists_every_rep(app: RunningApp) -> None:
    set_team(app, "U0MGR", ["U0REP1", "U0REP2"])
    add_lead(app, "L-1", owner="U0REP1")

    send(app, click_payload("U0MGR", "home_sla_details", "team", trigger_id="trig-team"))
    view = wait_for(app, "views.open", after=0, trigger_id="trig-team")

    text = view_text(view)
    assert headers(view) == ["Your team's follow-up"]
    assert "<@U0REP1> — 0% compliance · 1 overdue" in text
    assert "<@U0REP2> — no lead in window · 0 overdue" in text


def test_sla_details_for_the_team_shows_a_rep_who_manages_nobody_only_their_own(
    app: RunningApp,
) -> None:
    add_lead(app, "L-1", owner="U0REP")
    add_lead(app, "L-2", owner="U0OTHER")

    send(app, click_payload("U0REP", "home_sla_details", "team", trigger_id="trig-forged"))
    view = wait_for(app, "views.open", after=0, trigger_id="trig-forged")

    assert headers(view) == ["Your follow-up"]
    assert "L-2" not in view_text(view)


def test_sla_details_for_marketing_shows_the_pace(app: RunningApp) -> None:
    add_lead(app, "L-1", at=datetime(2026, 11, 1, 10, 0, tzinfo=UTC))

    send(app, click_payload("U0REP", "home_sla_details", "marketing", trigger_id="trig-mkt"))
    view = wait_for(app, "views.open", after=0, trigger_id="trig-mkt")

    assert headers(view) == ["Marketing's commitment"]
    assert "1 delivered of 100 committed" in view_text(view)


# ------------------------------------------------------------------ Slack's limits


def test_a_rep_with_300_overdue_leads_gets_a_home_within_slack_limits(app: RunningApp) -> None:
    long = "Company " + "x" * 240
    add_leads(
        app,
        *(
            event
            for index in range(300)
            for event in lead_events(f"L-{index:04d}-" + "9" * 240, at=OLD, company=long)
        ),
        *(
            event
            for index in range(15)
            for event in lead_events(f"D-{index:02d}-" + "9" * 240, at=RECENT, company=long)
        ),
    )

    view = open_home(app, "U0REP")  # checked against Slack's limits as it arrives

    text = view_text(view)
    assert len(buttons(view)) == 10
    assert "*Overdue (300)*" in text
    assert "…and 290 more — `/lead mine`" in text
    assert "…and 5 more — `/lead mine`" in text


def test_a_manager_of_80_reps_who_is_an_admin_gets_a_home_within_slack_limits(
    app: RunningApp,
) -> None:
    app.slack.add_user("U0MGR", name="Boss", is_admin=True)
    reps = [f"U0REP{index:03d}" for index in range(80)]
    set_team(app, "U0MGR", reps)
    long = "y" * 240
    add_leads(
        app,
        *(
            event
            for index, rep in enumerate(reps)
            for event in lead_events(
                f"L-{index:03d}-" + "9" * 240,
                owner=rep,
                at=datetime(2026, 11, 1, 0, 0, tzinfo=UTC),
                company=long,
                campaign=f"{index:03d} {long}",
                source=f"{index:03d} {long}",
            )
        ),
    )

    view = open_home(app, "U0MGR")

    text = view_text(view)
    assert headers(view) == ["Your team", "Marketing"]
    assert "*80 reps, most overdue first*" in text
    assert "…and 30 more reps — `/sla-status team`" in text
    assert "*Team's overdue leads (80)*" in text
    assert "…and 70 more — `/sla-status team`" in text
    assert "…and 70 more campaigns" in text
    assert "…and 70 more sources" in text
    assert len(buttons(view)) == 10

    send(app, click_payload("U0MGR", "home_sla_details", "team", trigger_id="trig-80"))
    modal = wait_for(app, "views.open", after=0, trigger_id="trig-80")
    assert all(f"<@{rep}>" in view_text(modal) for rep in reps)


def test_the_home_and_sla_status_show_compliance_the_same_way(app: RunningApp) -> None:
    # Three leads of U0REP in their window at 09:00; one missed its first touch (due 08:00):
    # 2 of 3 on cadence, 66.7% — the same figure, to the same decimal, in both places.
    day_before = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    this_morning = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    events = []
    for lead_id, at in (("L-OLD", day_before), ("L-NEW1", this_morning), ("L-NEW2", this_morning)):
        events.append(created(lead_id, at, fit="high", interest="high"))
        events.append(assigned(lead_id, at, slack_user_id="U0REP"))
    assert post_events(app, *events).status_code == 200

    home = view_text(open_home(app, "U0REP"))
    status = view_text(ephemeral_reply(app.command("/sla-status", "me", user_id="U0REP")))

    assert "66.7%" in home
    assert "66.7%" in status
