"""Any body sent to `POST /api/events` gets 2xx or 4xx, never 5xx while the database and Slack
are up, and a refused body leaves the store exactly as it was. Hypothesis writes the bodies;
the named cases are the classes that once answered 500 or a 503 a sender would retry for ever."""

from __future__ import annotations

import json
import os
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, select

from tests.app_server import INGEST_TOKEN, RunningApp
from tests.events import assigned, created, post_events

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
EXAMPLES = int(os.environ.get("SMARKETING_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TYPES = (
    "lead.created", "lead.updated", "lead.assigned", "lead.touched", "lead.accepted",
    "lead.rejected", "lead.won", "lead.lost", "lead.nope", "",
)  # fmt: skip
EDGE_MOMENTS = (
    "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
    "1999-12-31T23:59:59Z", "2101-01-01T00:00:00Z", "2026-11-02T10:00:00Z", "2026-11-02",
    "2026-11-02T10:00:00", "0", "-1", "1e9", "", "now", "2026-02-30T10:00:00Z",
)  # fmt: skip
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["a\u0000b", "\u0000", "<!channel>", "x" * 5000, "\u202e", "🚀"]),
)
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    HOSTILE_TEXT,
)
ANY_JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


def field(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a value of the right kind, sometimes anything at all."""
    return st.one_of(valid, valid, ANY_JSON)


EVENTS = st.fixed_dictionaries(
    {
        "id": field(st.text(min_size=1, max_size=20) | HOSTILE_TEXT),
        "type": st.sampled_from(TYPES),
        "occurred_at": field(
            st.sampled_from(EDGE_MOMENTS)
            | st.datetimes(timezones=st.timezones()).map(datetime.isoformat)
        ),
        "lead": field(
            st.fixed_dictionaries(
                {"external_id": field(st.sampled_from(["L-1", "L-2"]) | HOSTILE_TEXT)},
                optional={
                    "email": field(st.emails() | HOSTILE_TEXT),
                    "name": HOSTILE_TEXT,
                    "fit": field(st.integers(-5, 105) | st.sampled_from(["high", "low"])),
                    "interest": field(st.integers(-5, 105)),
                },
            )
        ),
    },
    optional={
        "owner": field(
            st.fixed_dictionaries(
                {},
                optional={
                    "slack_user_id": field(st.sampled_from(["U0REP", "U0NOBODY"])),
                    "email": field(st.emails()),
                },
            )
        ),
        "amount": field(
            st.decimals(allow_nan=False, allow_infinity=False).map(str)
            | st.integers(-(10**20), 10**20)
        ),
        "reason": HOSTILE_TEXT,
        "channel": field(st.sampled_from(["call", "email", "meeting", "social"])),
        "note": HOSTILE_TEXT,
    },
)
BODIES = st.one_of(
    EVENTS.map(json.dumps),
    st.lists(EVENTS, min_size=1, max_size=5).map(lambda events: json.dumps({"events": events})),
    ANY_JSON.map(json.dumps),
    st.integers(1, 5000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(1, 5000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
    st.binary(max_size=64).map(lambda raw: raw.decode("latin-1")),
)


def send(app: RunningApp, body: str) -> httpx.Response:
    return app.http.post(
        f"{app.url}/api/events",
        content=body.encode("utf-8", "surrogatepass"),
        headers={"Authorization": f"Bearer {INGEST_TOKEN}", "Content-Type": "application/json"},
    )


_TABLES: dict[str, MetaData] = {}


def store_rows(app: RunningApp) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: what 'exactly as it was' is compared with."""
    metadata = _TABLES.get(app.db.url)
    with app.db.engine.connect() as connection:
        if metadata is None:  # the schema is the migrations': read it once a database
            metadata = _TABLES[app.db.url] = MetaData()
            with warnings.catch_warnings():
                # SQLite's expression indexes (lower(name)) are not reflected, and need not
                # be: the rows are what is compared.
                warnings.filterwarnings("ignore", "Skipped unsupported reflection")
                metadata.reflect(connection)
        return {
            name: sorted(map(tuple, connection.execute(select(table)).all()), key=repr)
            for name, table in metadata.tables.items()
        }


@pytest.fixture
def seeded(app: RunningApp) -> RunningApp:
    app.slack.add_user("U0REP", name="Rey Rep", email="rey@example.com")
    response = post_events(
        app,
        created("L-1", T0, email="ana@example.com", fit=80, interest=80),
        assigned("L-1", T0 + timedelta(minutes=5), slack_user_id="U0REP"),
    )
    assert response.status_code == 200
    return app


def assert_answered(app: RunningApp, body: str) -> None:
    before = store_rows(app)
    response = send(app, body)
    assert response.status_code < 500, (response.status_code, response.text[:500], body[:500])
    assert response.json()["detail" if response.status_code >= 400 else "stored"] is not None
    if response.status_code >= 400:
        assert store_rows(app) == before, f"a refused body changed the store: {body[:300]}"


def event(**changes: Any) -> str:
    base = {
        "id": "evt-edge",
        "type": "lead.assigned",
        "occurred_at": "2026-11-02T10:00:00Z",
        "lead": {"external_id": "L-1"},
        "owner": {"slack_user_id": "U0REP"},
    }
    return json.dumps({**base, **changes})


@FUZZ
@given(body=BODIES)
@example(body="[" * 990 + "]" * 990)
@example(body="9" * 4301)
@example(body='{"id": "e", "type": "lead.won", "amount": ' + "9" * 4301 + "}")
@example(body=event(occurred_at="9999-12-31T23:59:59Z"))
@example(body=event(occurred_at="0001-01-01T00:00:00+14:00"))
@example(body=event(occurred_at="9999-12-31T23:59:59-14:00"))
@example(body=event(occurred_at="0"))
@example(body=event(occurred_at="-1"))
@example(body=event(id="a\u0000b"))
@example(body=event(type="lead.touched", note="a\u0000b", owner=None))
def test_any_body_gets_2xx_or_4xx_and_a_refused_one_changes_nothing(
    seeded: RunningApp, body: str
) -> None:
    assert_answered(seeded, body)


@pytest.mark.parametrize(
    ("changes", "field_named"),
    [
        ({"occurred_at": "9999-12-31T23:59:59Z"}, "occurred_at"),
        ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at"),
        ({"occurred_at": "9999-12-31T23:59:59-14:00"}, "occurred_at"),
        ({"occurred_at": "0"}, "occurred_at"),
        ({"occurred_at": "-1"}, "occurred_at"),
        ({"occurred_at": 1_700_000_000}, "occurred_at"),
        ({"id": "a\u0000b"}, "id"),
        ({"lead": {"external_id": "L-\u00001"}}, "lead.external_id"),
        ({"owner": {"email": "rey\u0000@example.com"}}, "owner.email"),
        ({"type": "lead.won", "owner": None, "amount": "9" * 4301}, "amount"),
    ],
)
def test_an_event_the_api_cannot_take_is_422_naming_its_field(
    seeded: RunningApp, changes: dict[str, Any], field_named: str
) -> None:
    body = json.loads(event(**changes))
    body = {key: value for key, value in body.items() if value is not None}
    before = store_rows(seeded)

    response = send(seeded, json.dumps(body))

    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field_named]
    assert store_rows(seeded) == before


@pytest.mark.parametrize(
    "body", ["[" * 990 + "]" * 990, "9" * 4301, '{"amount": ' + "9" * 4301 + "}"]
)
def test_a_body_python_cannot_read_is_400(seeded: RunningApp, body: str) -> None:
    before = store_rows(seeded)

    response = send(seeded, body)

    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("body is not valid JSON")
    assert store_rows(seeded) == before


def test_a_lead_command_with_a_nul_is_refused_with_a_reason(seeded: RunningApp) -> None:
    before = store_rows(seeded)

    for text in ("a\u0000b", "touch L-1 call a note with \u0000 in it"):
        reply = seeded.command("/lead", text, user_id="U0REP").json()
        assert "NUL character" in reply["text"], reply
        assert "Try `/lead help`" in reply["text"]
    assert store_rows(seeded) == before
