"""`POST /api/events` as a CRM uses it: auth, batches, duplicates, bad input, late events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, text
from sqlmodel import select

from storage.models import Lead, LeadEvent
from tests.app_server import INGEST_TOKEN, AppServer, RunningApp
from tests.events import accepted, assigned, created, post_events, rejected, touched, updated, won

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def lead(app: RunningApp, external_id: str) -> Lead | None:
    with app.db.session() as session:
        return session.exec(select(Lead).where(Lead.external_id == external_id)).first()


def event_count(app: RunningApp) -> int:
    with app.db.session() as session:
        return session.exec(select(func.count()).select_from(LeadEvent)).one()


def snapshot(app: RunningApp) -> list[tuple[Any, ...]]:
    with app.db.session() as session:
        rows = session.exec(select(Lead).order_by(Lead.external_id)).all()
        return [tuple(row.model_dump().values()) for row in rows]


def test_a_lead_created_assigned_and_touched_shows_in_the_projection(app: RunningApp) -> None:
    response = post_events(
        app,
        created("L-1", T0, email="Ana@Example.com ", fit=80, interest="high", source="webinar"),
        assigned("L-1", T0 + timedelta(hours=1), slack_user_id="U0REP"),
        touched("L-1", T0 + timedelta(hours=2)),
    )

    assert response.status_code == 200
    assert response.json() == {"stored": 3, "duplicates": 0, "waiting": 0, "unmatched_owners": []}
    row = lead(app, "L-1")
    assert row is not None
    assert (row.grade, row.status, row.owner_id, row.touches) == ("sales-ready", "open", "U0REP", 1)
    assert row.email_normalized == "ana@example.com"
    assert row.first_touch_at == T0 + timedelta(hours=2)
    # 6 touches in 14 days: touch 2 is due 2 × 14/6 days after assignment.
    assert row.next_touch_due == T0 + timedelta(hours=1) + timedelta(days=14) / 6 * 2


def test_a_repeated_event_id_is_a_duplicate_and_changes_nothing(app: RunningApp) -> None:
    events = [created("L-1", T0, fit=80, interest=80), touched("L-1", T0, event_id="crm-7")]
    post_events(app, *events)
    before, count = snapshot(app), event_count(app)

    again = post_events(app, *events, touched("L-1", T0, event_id="crm-7"))

    assert again.status_code == 200
    assert again.json()["stored"] == 0
    assert again.json()["duplicates"] == 3
    assert snapshot(app) == before
    assert event_count(app) == count


def test_a_touch_that_arrives_before_its_assignment_counts_once_the_assignment_arrives(
    app: RunningApp,
) -> None:
    post_events(app, created("L-1", T0, fit=80, interest=80))
    post_events(app, touched("L-1", T0 + timedelta(hours=3)))
    assert lead(app, "L-1").touches == 0  # type: ignore[union-attr]

    post_events(app, assigned("L-1", T0 + timedelta(hours=1), slack_user_id="U0REP"))

    row = lead(app, "L-1")
    assert row is not None
    assert (row.owner_id, row.touches) == ("U0REP", 1)


def test_events_for_a_lead_not_yet_created_wait_for_it(app: RunningApp) -> None:
    early = post_events(app, assigned("L-9", T0 + timedelta(hours=1), slack_user_id="U0REP"))
    assert early.json()["waiting"] == 1
    assert lead(app, "L-9") is None

    post_events(app, created("L-9", T0, fit=10, interest=90))

    row = lead(app, "L-9")
    assert row is not None
    assert (row.owner_id, row.grade) == ("U0REP", "review")


def test_reassignment_restarts_the_clock_for_the_new_owner(app: RunningApp) -> None:
    post_events(
        app,
        created("L-1", T0, fit=80, interest=80),
        assigned("L-1", T0, slack_user_id="U0ANA"),
        touched("L-1", T0 + timedelta(hours=1)),
        assigned("L-1", T0 + timedelta(days=1), slack_user_id="U0BEN"),
    )

    row = lead(app, "L-1")
    assert row is not None
    assert (row.owner_id, row.touches, row.assigned_at) == ("U0BEN", 0, T0 + timedelta(days=1))
    assert row.next_touch_due == T0 + timedelta(days=2)  # first touch within 24 h


def test_a_new_lead_with_a_known_email_is_flagged_as_a_duplicate(app: RunningApp) -> None:
    post_events(app, created("L-1", T0, email="ana@example.com", fit=80, interest=80))

    post_events(
        app, created("L-2", T0 + timedelta(days=1), email=" ANA@example.com", fit=80, interest=80)
    )

    assert lead(app, "L-1").duplicate_of is None  # type: ignore[union-attr]
    assert lead(app, "L-2").duplicate_of == "L-1"  # type: ignore[union-attr]


def test_changing_fit_or_interest_regrades_the_lead(app: RunningApp) -> None:
    post_events(app, created("L-1", T0, fit=80, interest=10))
    assert lead(app, "L-1").grade == "nurture"  # type: ignore[union-attr]

    post_events(app, updated("L-1", T0 + timedelta(days=3), interest=75))

    row = lead(app, "L-1")
    assert row is not None
    assert (row.grade, row.fit, row.incomplete) == ("sales-ready", 80, True)  # no e-mail yet
    assert row.missing == "email"


def test_closed_loop_events_close_the_lead_and_stop_its_cadence(app: RunningApp) -> None:
    post_events(
        app,
        created("L-1", T0, fit=80, interest=80),
        assigned("L-1", T0, slack_user_id="U0REP"),
        accepted("L-1", T0 + timedelta(hours=2)),
        created("L-2", T0, fit=80, interest=80),
        assigned("L-2", T0, slack_user_id="U0REP"),
        rejected("L-2", T0 + timedelta(hours=2), "no budget"),
        won("L-1", T0 + timedelta(days=5), "12500.50"),
    )

    one, two = lead(app, "L-1"), lead(app, "L-2")
    assert one is not None and two is not None
    assert (one.status, str(one.won_amount), one.next_touch_due) == ("won", "12500.50", None)
    assert (two.status, two.reject_reason, two.next_touch_due) == ("rejected", "no budget", None)


def test_an_owner_email_is_looked_up_in_slack_once_and_cached(app: RunningApp) -> None:
    app.slack.add_user("U0ANA", name="Ana", email="ana@example.com", tz="Europe/Berlin")
    post_events(app, created("L-1", T0), created("L-2", T0))

    first = post_events(app, assigned("L-1", T0, email="Ana@Example.com"))
    second = post_events(app, assigned("L-2", T0, email="ana@example.com"))

    assert first.json()["unmatched_owners"] == second.json()["unmatched_owners"] == []
    assert lead(app, "L-1").owner_id == lead(app, "L-2").owner_id == "U0ANA"  # type: ignore[union-attr]
    assert len(app.slack.calls_to("users.lookupByEmail")) == 1


def test_an_unknown_owner_email_leaves_the_lead_unassigned_and_is_reported(app: RunningApp) -> None:
    post_events(app, created("L-1", T0))

    response = post_events(app, assigned("L-1", T0, email="ghost@example.com", event_id="as-1"))

    assert response.status_code == 200
    assert response.json()["stored"] == 1
    assert response.json()["unmatched_owners"] == [
        {"index": 0, "event_id": "as-1", "email": "ghost@example.com"}
    ]
    row = lead(app, "L-1")
    assert row is not None
    assert (row.owner_id, row.owner_email, row.next_touch_due) == (None, "ghost@example.com", None)


def test_slack_failing_during_owner_lookup_stores_nothing_and_asks_for_a_retry(
    app: RunningApp,
) -> None:
    app.slack.fail("users.lookupByEmail", status=500, times=10)

    response = post_events(app, created("L-1", T0), assigned("L-1", T0, email="ana@example.com"))

    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert event_count(app) == 0


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 401), ({"Authorization": INGEST_TOKEN}, 401)],
)
def test_without_the_right_bearer_token_nothing_is_stored(
    app: RunningApp, headers: dict[str, str], status: int
) -> None:
    response = app.http.post(f"{app.url}/api/events", json=created("L-1", T0), headers=headers)

    assert response.status_code == status
    assert "bearer token" in response.json()["detail"]
    assert event_count(app) == 0


@pytest.fixture
def closed_app(app: RunningApp) -> Iterator[RunningApp]:
    """The same store, served by an app that has no ingest token configured."""
    settings = app.settings.model_copy(update={"smarketing_ingest_token": None})
    server = AppServer(settings, app.db, app.clock)
    url = server.start()
    with httpx.Client(timeout=30) as http:
        yield RunningApp(
            url=url, settings=settings, db=app.db, clock=app.clock, slack=app.slack, http=http
        )
    server.stop()


def test_the_event_api_refuses_everything_while_no_token_is_set(closed_app: RunningApp) -> None:
    response = post_events(closed_app, created("L-1", T0))

    assert response.status_code == 503
    assert "SMARKETING_INGEST_TOKEN" in response.json()["detail"]
    assert event_count(closed_app) == 0


def raw_post(app: RunningApp, body: bytes | str) -> httpx.Response:
    return app.http.post(
        f"{app.url}/api/events",
        content=body,
        headers={"Authorization": f"Bearer {INGEST_TOKEN}", "Content-Type": "application/json"},
    )


def test_malformed_json_gets_400_and_nothing_is_stored(app: RunningApp) -> None:
    response = raw_post(app, '{"id": "e1", "type": ')

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]
    assert event_count(app) == 0


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({"type": "lead.exploded"}, "type", "must be one of lead.created"),
        ({"occurred_at": "2026-11-02T10:00:00"}, "occurred_at", "timezone"),
        ({"occurred_at": "yesterday"}, "occurred_at", "datetime"),
        ({"lead": {"external_id": "L-1", "fit": 150}}, "lead.fit", "less than or equal to 100"),
        ({"lead": {"external_id": "L-1", "interest": "medium"}}, "lead.interest", "integer"),
        ({"lead": {"external_id": "L-1", "email": "not-an-email"}}, "lead.email", "e-mail"),
        ({"lead": {"external_id": ""}}, "lead.external_id", "at least 1 character"),
        ({"id": 42}, "id", "string"),
        ({"surprise": True}, "surprise", "Extra inputs"),
    ],
)
def test_every_bad_item_is_listed_by_index_and_field_and_the_batch_is_not_stored(
    app: RunningApp, bad: dict[str, Any], field: str, message: str
) -> None:
    good = created("L-0", T0)
    broken = {**created("L-1", T0), **bad}

    response = post_events(app, good, good | {"id": "other"}, broken)

    assert response.status_code == 422
    problems = response.json()["errors"]
    assert {(p["index"], p["field"]) for p in problems} == {(2, field)}
    assert message in problems[0]["message"]
    assert event_count(app) == 0


def test_a_negative_amount_is_refused(app: RunningApp) -> None:
    response = post_events(app, created("L-1", T0), won("L-1", T0, -10))

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "amount"
    assert event_count(app) == 0


def test_a_batch_over_a_thousand_events_is_refused(app: RunningApp) -> None:
    events = [created(f"L-{i}", T0) for i in range(1_001)]

    response = post_events(app, *events)

    assert response.status_code == 422
    assert "at most 1,000 events" in response.json()["errors"][0]["message"]
    assert event_count(app) == 0


def test_a_ten_megabyte_body_gets_413(app: RunningApp) -> None:
    body = json.dumps({"events": [created("L-1", T0) | {"padding": "x" * 10_000_000}]})

    response = raw_post(app, body)

    assert response.status_code == 413
    assert event_count(app) == 0


def test_a_database_error_halfway_through_a_batch_leaves_the_store_as_it_was(
    app: RunningApp,
) -> None:
    post_events(app, created("L-1", T0, fit=80, interest=80))
    before, count = snapshot(app), event_count(app)
    _fail_inserts_for(app, "L-BOOM")

    response = post_events(
        app, touched("L-1", T0), created("L-2", T0), created("L-BOOM", T0), created("L-3", T0)
    )

    assert response.status_code == 503
    assert "nothing was stored" in response.json()["detail"]
    assert snapshot(app) == before
    assert event_count(app) == count


def _fail_inserts_for(app: RunningApp, external_id: str) -> None:
    """A real database error mid-batch: a trigger that refuses one lead's row."""
    with app.db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER boom BEFORE INSERT ON lead FOR EACH ROW "
                    f"WHEN NEW.external_id = '{external_id}' BEGIN SELECT RAISE(ABORT, 'boom'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.external_id = '{external_id}' THEN RAISE EXCEPTION 'boom'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER boom BEFORE INSERT ON lead FOR EACH ROW EXECUTE FUNCTION boom()"
                )
            )


def test_the_event_api_publishes_its_schema(app: RunningApp) -> None:
    schema = app.http.get(f"{app.url}/openapi.json").json()

    body = schema["paths"]["/api/events"]["post"]["requestBody"]["content"]["application/json"]
    mapping = body["schema"]["anyOf"][1]["discriminator"]["mapping"]
    assert set(mapping) == {
        "lead.created",
        "lead.updated",
        "lead.assigned",
        "lead.touched",
        "lead.accepted",
        "lead.rejected",
        "lead.won",
        "lead.lost",
        "lead.recycled",
    }
    assert "EventBatch" in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["IngestResult"]["properties"]["duplicates"]
