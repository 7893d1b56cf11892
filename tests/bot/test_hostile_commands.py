"""Any text typed after any slash command gets a real answer: 200, a reply within Slack's limits,
never the generic apology, never a broadcast mention, never a traceback in the log — for an admin
and for a rep, on every store. Hypothesis writes the texts; the named cases are the classes that
once reached the apology."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.app_server import RunningApp, blocks_text, ephemeral_reply
from tests.events import assigned, created, post_events

ADMIN = "U0ADMIN"
REP = "U0REP"
COMMANDS = ("/leads-needed", "/lead", "/sla-status", "/smarketing")
APOLOGY = "Something went wrong on our side"
BROADCASTS = ("<!channel", "<!here", "<!everyone")
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
# CI runs a hundred texts a command; a longer hunt: SMARKETING_FUZZ_EXAMPLES=5000 make test.
EXAMPLES = int(os.environ.get("SMARKETING_FUZZ_EXAMPLES", "100"))

# The words each command understands, so that generated texts reach past the first check.
WORDS = (
    "help", "mine", "touch", "accept", "reject", "won", "lost", "L-1", "l-1", "me", "team",
    "marketing", "@ana", "<@U0REP>", "<@U0ADMIN|ada>", "<#C0SALES|sales>", "target", "sla",
    "leads", "touches", "in", "days", "first-touch", "hours", "escalate", "after", "digest",
    "now", "MON", "09:00", "manager", "none", "settings", "per", "month", "year", "rep",
    "100000", "1000", "4%", "$1.5m", "0.04", "call", "email", "<!channel>", "<!here>",
    "<!everyone>", "<https://example.com|x>", "&amp;", "`", "*", "\u0000", "\u200b", "\u202e",
    "🚀", "9" * 40, "1" * 4301,
)  # fmt: skip
TEXTS = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=12).map(" ".join),
    st.tuples(st.sampled_from(WORDS), st.text(min_size=1, max_size=3), st.integers(1, 3500)).map(
        lambda parts: f"{parts[0]} {parts[1] * parts[2]}"[:4000]
    ),
)


@pytest.fixture
def team(app: RunningApp) -> Iterator[RunningApp]:
    app.slack.add_user(ADMIN, name="Ada Admin", is_admin=True)
    app.slack.add_user(REP, name="Rey Rep", tz="Europe/Madrid")
    response = post_events(
        app,
        created("L-1", T0, email="ana@example.com", fit=80, interest=80, company="Acme"),
        assigned("L-1", T0 + timedelta(minutes=5), slack_user_id=REP),
    )
    assert response.status_code == 200
    yield app


def assert_answered(app: RunningApp, command: str, text: str, user_id: str) -> None:
    reply = ephemeral_reply(app.command(command, text, user_id=user_id))
    shown = blocks_text(reply) + reply["text"]
    assert shown.strip(), f"{command} {text!r}: an empty reply"
    assert APOLOGY not in shown, f"{command} {text!r} reached the apology"
    for broadcast in BROADCASTS:
        assert broadcast not in shown, f"{command} {text!r} echoed {broadcast}"


class NoErrors(logging.Handler):
    """Collects every ERROR the app logs while a test runs: a traceback is a failure."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors() -> Iterator[NoErrors]:
    handler = NoErrors()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@pytest.mark.parametrize("command", COMMANDS)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=TEXTS)
@example(text="x" * 2950)
@example(text="100000 1000 4% " + "y" * 2900)
@example(text="won L-1 " + "x" * 3000)
@example(text="target " + "x" * 3000)
@example(text="a\u0000b")
@example(text="touch L-1 call a note with \u0000 in it")
@example(text="<!channel> <!here> <!everyone>")
@example(text="reject L-1 <!channel>")
@example(text="sla leads " + "9" * 4301)
@example(text="payload")
def test_any_text_after_any_command_gets_an_answer(
    team: RunningApp, errors: NoErrors, command: str, text: str
) -> None:
    for user_id in (ADMIN, REP):
        assert_answered(team, command, text, user_id)
    assert not errors.records, [record.getMessage() for record in errors.records]
