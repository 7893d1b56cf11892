"""Whatever JSON a sender posts, the event API answers with events or problems — never a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.events_api import parse_events

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["lead.created", "lead.won", "lead.assigned", "high", "2026-11-02T10:00:00Z"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
keys = st.sampled_from(
    ["id", "type", "occurred_at", "lead", "owner", "amount", "reason", "channel"]
)
lead_like = st.dictionaries(
    st.sampled_from(["external_id", "email", "fit", "interest", "name", "source"]),
    scalars,
    max_size=6,
)
event_like = st.dictionaries(keys, st.one_of(scalars, lead_like, json_values), max_size=8)


@settings(max_examples=400)
@given(
    st.one_of(
        json_values, event_like, st.fixed_dictionaries({"events": st.lists(event_like, max_size=5)})
    )
)
def test_any_json_gives_events_or_problems_never_an_exception(data: Any) -> None:
    events, problems = parse_events(data)

    assert events or problems
    assert all(problem.field and problem.message for problem in problems)
