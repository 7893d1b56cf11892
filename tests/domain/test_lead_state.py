"""A lead's state folded from its events (domain/lead_state.py): who owns it and since when, the
touches that count toward the SLA, its next due touch and window, and what closing it does."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.cadence import SalesSla, is_breached, is_overdue, touch_due
from domain.grading import WORKED_GRADES, Grade, LeadStatus
from domain.lead_state import EventType, LeadFact, LeadState, Rules, apply, derive, fold

A = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
RULES = Rules()  # 6 touches in 14 days, the first within 24 hours
SALES_READY = {"email": "ada@example.com", "fit": 80, "interest": 90}


def created(at: datetime, **lead: Any) -> LeadFact:
    return LeadFact(EventType.CREATED, at, {"lead": lead or SALES_READY})


def updated(at: datetime, **lead: Any) -> LeadFact:
    return LeadFact(EventType.UPDATED, at, {"lead": lead})


def assigned(at: datetime, owner: str | None = "U1", email: str | None = None) -> LeadFact:
    return LeadFact(EventType.ASSIGNED, at, {"owner_id": owner, "owner_email": email})


def touched(at: datetime) -> LeadFact:
    return LeadFact(EventType.TOUCHED, at, {"channel": "call"})


def closing(type_: str, at: datetime) -> LeadFact:
    data = {EventType.WON: {"amount": "1200.50"}}.get(type_, {"reason": "no budget"})
    return LeadFact(type_, at, data)


def lead(*facts: LeadFact, rules: Rules = RULES) -> LeadState:
    return fold("L-1", facts, rules)


def breached(state: LeadState, *, now: datetime, rules: Rules = RULES) -> bool:
    """A breach as /sla-status counts it: a lead in work whose window ended short of K touches,
    not closed before the window ended."""
    if state.assigned_at is None or state.window_ends_at is None or state.grade == Grade.AVOID:
        return False
    if state.closed_at is not None and state.closed_at < state.window_ends_at:
        return False
    return is_breached(
        assigned_at=state.assigned_at, sla_met_at=state.sla_met_at, sla=rules.sla, now=now
    )


def test_an_assigned_lead_owes_its_first_touch_h_hours_later_and_ends_its_window_at_d() -> None:
    state = lead(created(A), assigned(A + timedelta(hours=1)))

    assert (state.owner_id, state.assigned_at) == ("U1", A + timedelta(hours=1))
    assert state.next_touch_due == A + timedelta(hours=25)
    assert state.window_ends_at == A + timedelta(days=14, hours=1)


@pytest.mark.parametrize("logged", range(0, 6))
def test_each_touch_moves_the_next_due_time_to_the_following_touch(logged: int) -> None:
    touches = [touched(A + timedelta(hours=k + 1)) for k in range(logged)]

    state = lead(created(A), assigned(A), *touches)

    assert state.touches == logged
    assert state.next_touch_due == touch_due(assigned_at=A, touch=logged + 1, sla=RULES.sla)
    assert state.sla_met_at is None


def test_the_kth_touch_meets_the_sla_and_nothing_more_is_due() -> None:
    touches = [touched(A + timedelta(days=k)) for k in range(1, 8)]  # a 7th after the 6th

    state = lead(created(A), assigned(A), *touches)

    assert state.touches == 7
    assert state.first_touch_at == A + timedelta(days=1)
    assert state.last_touch_at == A + timedelta(days=7)
    assert state.sla_met_at == A + timedelta(days=6)  # the 6th touch, not the 7th
    assert state.next_touch_due is None
    assert not breached(state, now=A + timedelta(days=30))


def test_the_kth_touch_logged_after_the_window_still_leaves_a_breach() -> None:
    touches = [touched(A + timedelta(days=k, hours=12)) for k in range(1, 6)]
    late = touched(A + timedelta(days=14) + TICK)

    state = lead(created(A), assigned(A), *touches, late)

    assert state.sla_met_at == A + timedelta(days=14) + TICK
    assert state.next_touch_due is None
    assert breached(state, now=A + timedelta(days=15))


def test_the_kth_touch_at_the_last_instant_of_the_window_is_on_time() -> None:
    touches = [touched(A + timedelta(days=k)) for k in range(1, 6)]

    state = lead(created(A), assigned(A), *touches, touched(A + timedelta(days=14)))

    assert not breached(state, now=A + timedelta(days=15))


def test_a_lead_short_of_touches_turns_overdue_at_the_due_time_of_its_first_missing_touch() -> None:
    state = lead(created(A), assigned(A), touched(A + timedelta(hours=2)))

    assert state.next_touch_due == A + timedelta(days=4, hours=16)  # touch 2 at 2 × 56 h
    assert state.next_touch_due is not None
    assert not is_overdue(next_due=state.next_touch_due, now=state.next_touch_due - TICK)
    assert is_overdue(next_due=state.next_touch_due, now=A + timedelta(days=10))


def test_reassignment_restarts_the_clock_for_the_new_owner() -> None:
    again = A + timedelta(days=3)

    state = lead(
        created(A),
        assigned(A, "U1"),
        touched(A + timedelta(hours=2)),
        touched(A + timedelta(days=2)),
        assigned(again, "U2"),
    )

    assert (state.owner_id, state.assigned_at) == ("U2", again)
    assert (state.touches, state.first_touch_at, state.sla_met_at) == (0, None, None)
    assert state.next_touch_due == again + timedelta(hours=24)
    assert state.window_ends_at == again + timedelta(days=14)


def test_reassignment_after_the_sla_was_met_opens_a_new_window_with_nothing_logged() -> None:
    touches = [touched(A + timedelta(hours=k)) for k in range(1, 7)]
    again = A + timedelta(days=20)

    state = lead(created(A), assigned(A, "U1"), *touches, assigned(again, "U2"))

    assert state.sla_met_at is None and state.touches == 0
    assert state.next_touch_due == again + timedelta(hours=24)
    assert breached(state, now=again + timedelta(days=14))


def test_assigning_the_same_owner_again_keeps_their_clock_running() -> None:
    first_touch = A + timedelta(hours=3)

    state = lead(
        created(A), assigned(A, "U1"), touched(first_touch), assigned(A + timedelta(days=2), "U1")
    )

    assert (state.assigned_at, state.touches, state.first_touch_at) == (A, 1, first_touch)
    assert state.next_touch_due == A + timedelta(hours=112)  # touch 2, counted from A
    assert state.window_ends_at == A + timedelta(days=14)
    assert state.last_event_at == A + timedelta(days=2)


def test_a_touch_before_anyone_owned_the_lead_does_not_count() -> None:
    state = lead(created(A), touched(A + timedelta(hours=1)), assigned(A + timedelta(hours=2)))

    assert (state.touches, state.first_touch_at) == (0, None)
    assert state.next_touch_due == A + timedelta(hours=26)


def test_a_touch_dated_before_the_assignment_but_arriving_after_it_does_not_count() -> None:
    owned = lead(created(A), assigned(A + timedelta(hours=2)))

    state = apply(owned, touched(A + timedelta(hours=1)), RULES)

    assert (state.touches, state.first_touch_at) == (0, None)
    assert state.next_touch_due == A + timedelta(hours=26)


def test_a_touch_at_the_instant_of_assignment_counts() -> None:
    state = lead(created(A), assigned(A), touched(A))

    assert (state.touches, state.first_touch_at) == (1, A)


def test_a_touch_for_the_previous_owner_does_not_count_for_the_next() -> None:
    state = lead(
        created(A),
        assigned(A, "U1"),
        touched(A + timedelta(hours=5)),
        assigned(A + timedelta(hours=6), "U2"),
        touched(A + timedelta(hours=7)),
    )

    assert (state.owner_id, state.touches) == ("U2", 1)
    assert state.first_touch_at == A + timedelta(hours=7)


def test_events_at_the_same_instant_count_in_the_order_they_were_logged() -> None:
    assign_then_touch = lead(created(A), assigned(A, "U1"), touched(A))
    touch_then_assign = lead(created(A), touched(A), assigned(A, "U1"))

    assert assign_then_touch.touches == 1
    assert touch_then_assign.touches == 0


@pytest.mark.parametrize("type_", [EventType.WON, EventType.LOST, EventType.REJECTED])
def test_a_lead_closed_mid_window_owes_no_touch_and_is_no_breach(type_: str) -> None:
    closed_at = A + timedelta(days=5)
    events = (created(A), assigned(A), touched(A + timedelta(hours=4)))

    state = lead(*events, closing(type_, closed_at))
    still_open = lead(*events)

    assert state.status.is_closed and state.closed_at == closed_at
    assert state.next_touch_due is None
    assert state.window_ends_at == A + timedelta(days=14)
    assert not state.is_open
    assert not breached(state, now=A + timedelta(days=20))
    assert breached(still_open, now=A + timedelta(days=20))  # the same lead left open


@pytest.mark.parametrize("type_", [EventType.WON, EventType.LOST, EventType.REJECTED])
def test_a_lead_closed_after_its_window_ended_short_is_still_a_breach(type_: str) -> None:
    state = lead(created(A), assigned(A), closing(type_, A + timedelta(days=14, seconds=1)))

    assert state.next_touch_due is None
    assert breached(state, now=A + timedelta(days=20))


def test_an_accepted_lead_is_still_worked_on_cadence() -> None:
    state = lead(created(A), assigned(A), LeadFact(EventType.ACCEPTED, A + timedelta(hours=1), {}))

    assert state.status == LeadStatus.ACCEPTED and state.closed_at is None
    assert state.is_open
    assert state.next_touch_due == A + timedelta(hours=24)


def test_a_lead_reopened_by_acceptance_owes_its_touches_again() -> None:
    state = lead(
        created(A),
        assigned(A),
        closing(EventType.REJECTED, A + timedelta(hours=1)),
        LeadFact(EventType.ACCEPTED, A + timedelta(hours=2), {}),
    )

    assert state.status == LeadStatus.ACCEPTED and state.closed_at is None
    assert state.next_touch_due == A + timedelta(hours=24)


def test_an_avoid_lead_has_no_cadence() -> None:
    state = lead(created(A, email="x@example.com", fit=10, interest=20), assigned(A))

    assert state.grade == Grade.AVOID
    assert not state.is_open
    assert state.next_touch_due is None
    assert not breached(state, now=A + timedelta(days=30))


def test_a_lead_regraded_out_of_avoid_starts_its_cadence_when_it_becomes_sales_ready() -> None:
    raised = A + timedelta(days=3)
    state = lead(
        created(A, email="x@example.com", fit=10, interest=20),
        assigned(A),
        updated(raised, fit=70, interest=70),
    )

    assert state.grade == Grade.SALES_READY
    assert state.cadence_from == raised
    assert state.next_touch_due == raised + timedelta(hours=24)
    assert state.window_ends_at == raised + timedelta(days=14)


def test_a_nurture_lead_is_marketings_until_its_interest_rises_then_its_cadence_starts() -> None:
    nurtured = lead(created(A, email="x@example.com", fit=80, interest=10), assigned(A))
    assert nurtured.grade == Grade.NURTURE
    assert (nurtured.cadence_from, nurtured.next_touch_due, nurtured.window_ends_at) == (
        None,
        None,
        None,
    )

    rose = A + timedelta(days=20)
    ready = lead(
        created(A, email="x@example.com", fit=80, interest=10),
        assigned(A),
        updated(rose, interest=90),
    )
    assert ready.grade == Grade.SALES_READY
    assert ready.cadence_from == rose
    assert ready.next_touch_due == rose + timedelta(hours=24)


def test_a_lead_back_in_nurture_leaves_the_cadence_and_restarts_it_when_it_rises() -> None:
    state = lead(
        created(A, email="x@example.com", fit=80, interest=90),
        assigned(A),
        updated(A + timedelta(days=1), interest=10),
    )
    assert (state.cadence_from, state.next_touch_due, state.window_ends_at) == (None, None, None)

    again = A + timedelta(days=5)
    state = lead(
        created(A, email="x@example.com", fit=80, interest=90),
        assigned(A),
        updated(A + timedelta(days=1), interest=10),
        updated(again, interest=95),
    )
    assert state.cadence_from == again


@pytest.mark.parametrize(
    "fields",
    [{"email": "x@example.com"}, {"email": "x@example.com", "fit": 90}, {"interest": 90}],
    ids=["no-scores", "no-interest", "no-fit-no-email"],
)
def test_an_ungraded_lead_is_never_on_a_cadence(fields: dict[str, Any]) -> None:
    state = lead(created(A, **fields), assigned(A))

    assert state.grade == Grade.UNGRADED
    assert state.is_open
    assert (state.next_touch_due, state.window_ends_at) == (None, None)


def test_a_recycled_lead_is_closed_with_its_reason_and_reopens_when_assigned_again() -> None:
    recycled = LeadFact("lead.recycled", A + timedelta(days=2), {"reason": "not before Q3"})
    state = lead(created(A, email="x@example.com", fit=80, interest=90), assigned(A), recycled)
    assert state.status == LeadStatus.RECYCLED and state.status.is_closed
    assert state.recycle_reason == "not before Q3"
    assert state.next_touch_due is None

    later = A + timedelta(days=30)
    state = lead(
        created(A, email="x@example.com", fit=80, interest=90),
        assigned(A),
        recycled,
        assigned(later, "U2"),
    )
    assert state.status == LeadStatus.OPEN and state.recycle_reason is None
    assert state.cadence_from == later


def test_a_lead_nobody_owns_has_no_cadence() -> None:
    state = lead(created(A), touched(A + timedelta(hours=1)))

    assert (state.owner_id, state.assigned_at) == (None, None)
    assert (state.next_touch_due, state.window_ends_at) == (None, None)


def test_a_lead_assigned_to_an_email_no_slack_user_has_has_no_cadence() -> None:
    state = lead(created(A), assigned(A, None, email="ghost@example.com"))

    assert state.owner_id is None and state.owner_email == "ghost@example.com"
    assert (state.next_touch_due, state.window_ends_at) == (None, None)


def test_a_lead_handed_from_a_rep_to_nobody_stops_owing_touches() -> None:
    state = lead(
        created(A), assigned(A, "U1"), assigned(A + timedelta(hours=1), None, email="x@y.com")
    )

    assert state.owner_id is None
    assert (state.next_touch_due, state.window_ends_at) == (None, None)


@pytest.mark.parametrize(
    "sla",
    [
        SalesSla(),
        SalesSla(touches=3, days=7, first_touch_hours=4),
        SalesSla(touches=1, days=1, first_touch_hours=48),
    ],
    ids=["6-in-14d", "3-in-7d", "1-in-1d"],
)
def test_the_window_ends_d_days_after_the_assignment(sla: SalesSla) -> None:
    state = lead(created(A), assigned(A + timedelta(hours=5)), rules=Rules(sla=sla))

    assert state.window_ends_at == A + timedelta(days=sla.days, hours=5)
    assert state.next_touch_due == touch_due(assigned_at=A + timedelta(hours=5), touch=1, sla=sla)


def test_a_new_sla_moves_every_due_time_and_window_end_when_derived_again() -> None:
    state = lead(created(A), assigned(A), touched(A + timedelta(hours=1)))
    tighter = Rules(sla=SalesSla(touches=4, days=2, first_touch_hours=2))

    fresh = derive(state, tighter)

    assert fresh.next_touch_due == A + timedelta(days=1)  # touch 2 of 4 in 2 days
    assert fresh.window_ends_at == A + timedelta(days=2)
    assert (fresh.touches, fresh.first_touch_at) == (state.touches, state.first_touch_at)


def test_a_raised_touch_count_takes_back_an_sla_met_under_the_old_one() -> None:
    touches = [touched(A + timedelta(days=k)) for k in (1, 2, 3)]
    state = lead(created(A), assigned(A), *touches, rules=Rules(sla=SalesSla(touches=3)))
    assert state.sla_met_at == A + timedelta(days=3)

    fresh = derive(state, RULES)  # 6 touches now

    assert fresh.sla_met_at is None
    assert fresh.next_touch_due == A + timedelta(days=9, hours=8)  # touch 4 of 6, at 4 × 56 h
    assert breached(fresh, now=A + timedelta(days=14))
    assert fresh == lead(created(A), assigned(A), *touches)


def test_a_lowered_touch_count_meets_the_sla_with_the_touches_already_logged() -> None:
    touches = [touched(A + timedelta(days=k)) for k in (1, 2, 3)]
    state = lead(created(A), assigned(A), *touches)
    assert state.sla_met_at is None

    fresh = derive(state, Rules(sla=SalesSla(touches=3)))

    assert fresh.sla_met_at == A + timedelta(days=3)
    assert fresh.next_touch_due is None
    assert not breached(fresh, now=A + timedelta(days=14), rules=Rules(sla=SalesSla(touches=3)))


def test_lowered_below_the_touches_logged_the_latest_touch_stands_in_for_the_kth() -> None:
    touches = [touched(A + timedelta(days=k)) for k in (1, 2, 3, 4)]
    lower = Rules(sla=SalesSla(touches=3))

    fresh = derive(lead(created(A), assigned(A), *touches), lower)

    # The 3rd touch (day 3) is not kept; the 4th (day 4) is no earlier, and inside the window.
    assert fresh.sla_met_at == A + timedelta(days=4)
    assert not breached(fresh, now=A + timedelta(days=14), rules=lower)


def test_a_single_touch_sla_is_met_by_the_first_touch_whatever_came_after() -> None:
    touches = [touched(A + timedelta(days=k)) for k in (1, 2, 3, 4)]
    one = Rules(sla=SalesSla(touches=1))

    fresh = derive(lead(created(A), assigned(A), *touches), one)

    assert fresh.sla_met_at == A + timedelta(days=1)
    assert fresh == lead(created(A), assigned(A), *touches, rules=one)


def test_a_raised_threshold_can_make_a_worked_lead_avoid_and_stop_its_cadence() -> None:
    state = lead(created(A, email="x@example.com", fit=60, interest=60), assigned(A))

    fresh = derive(state, Rules(threshold=70))

    assert fresh.grade == Grade.AVOID and fresh.next_touch_due is None


# Properties: any history of one lead, with each event at its own moment.

# Weighted toward what the cadence turns on: assignments to a rep, and touches.
OWNERS = st.sampled_from(["U1", "U2", "U1", "U2", None])
KINDS = st.sampled_from(
    ["created", "updated", "accepted", "rejected", "won", "lost"]
    + ["assigned"] * 3
    + ["touched"] * 8
)


def _fact(kind: str, at: datetime, draw: st.DrawFn) -> LeadFact:
    score = st.one_of(st.none(), st.integers(min_value=0, max_value=100))
    if kind in ("created", "updated"):
        fields = {"fit": draw(score), "interest": draw(score), "email": "ada@example.com"}
        return (created if kind == "created" else updated)(at, **fields)
    if kind == "assigned":
        owner = draw(OWNERS)
        return assigned(at, owner, None if owner else "ghost@example.com")
    if kind == "touched":
        return touched(at)
    if kind == "accepted":
        return LeadFact(EventType.ACCEPTED, at, {})
    return closing(f"lead.{kind}", at)


@st.composite
def histories(draw: st.DrawFn) -> list[LeadFact]:
    """A lead's events in the order they occurred, each at a distinct moment."""
    minutes = draw(
        st.lists(st.integers(min_value=0, max_value=40 * 24 * 60), min_size=1, max_size=25)
    )
    moments = sorted({A + timedelta(minutes=minute) for minute in minutes})
    return [_fact(draw(KINDS), at, draw) for at in moments]


sla_rules = st.builds(
    Rules,
    sla=st.builds(
        SalesSla,
        touches=st.integers(min_value=1, max_value=8),
        days=st.integers(min_value=1, max_value=21),
        first_touch_hours=st.integers(min_value=1, max_value=72),
    ),
    threshold=st.integers(min_value=1, max_value=100),
)


@given(facts=histories(), rules=sla_rules)
def test_applying_events_one_by_one_gives_the_same_lead_as_folding_them(
    facts: list[LeadFact], rules: Rules
) -> None:
    one_by_one = functools.reduce(
        lambda state, fact: apply(state, fact, rules), facts, LeadState(external_id="L-1")
    )

    assert one_by_one == fold("L-1", facts, rules)


@given(facts=histories(), rules=sla_rules, data=st.data())
def test_events_received_in_any_order_and_sorted_by_time_give_the_same_lead(
    facts: list[LeadFact], rules: Rules, data: st.DataObject
) -> None:
    received = data.draw(st.permutations(facts))

    replayed = fold("L-1", sorted(received, key=lambda fact: fact.occurred_at), rules)

    assert replayed == fold("L-1", facts, rules)


@given(facts=histories(), rules=sla_rules)
def test_only_touches_since_the_current_owner_took_the_lead_count(
    facts: list[LeadFact], rules: Rules
) -> None:
    state = fold("L-1", facts, rules)

    if state.assigned_at is None:
        assert state.touches == 0
        return
    counted = [
        fact
        for fact in facts
        if fact.type == EventType.TOUCHED and fact.occurred_at >= state.assigned_at
    ]
    assert state.touches == len(counted)
    assert state.first_touch_at == (counted[0].occurred_at if counted else None)
    met = counted[rules.sla.touches - 1].occurred_at if len(counted) >= rules.sla.touches else None
    assert state.sla_met_at == met


@given(facts=histories(), rules=sla_rules)
def test_a_lead_owes_a_touch_only_while_owned_sales_ready_or_review_and_short_of_k(
    facts: list[LeadFact], rules: Rules
) -> None:
    state = fold("L-1", facts, rules)

    on_cadence = state.owner_id is not None and state.grade in WORKED_GRADES
    owes = on_cadence and not state.status.is_closed and state.touches < rules.sla.touches
    assert (state.next_touch_due is not None) == owes
    if on_cadence and state.cadence_from is not None:
        assert state.assigned_at is not None and state.cadence_from >= state.assigned_at
        assert state.window_ends_at == state.cadence_from + timedelta(days=rules.sla.days)
    else:
        assert state.window_ends_at is None


@st.composite
def on_time_histories(draw: st.DrawFn) -> tuple[Rules, list[LeadFact], datetime]:
    """A sales-ready lead assigned at A, K touches each logged by its due time, and a moment."""
    rules = draw(sla_rules)
    logged = []
    for touch in range(1, rules.sla.touches + 1):
        due = touch_due(assigned_at=A, touch=touch, sla=rules.sla)
        logged.append(due - draw(st.integers(min_value=0, max_value=(due - A) // TICK)) * TICK)
    facts = [created(A, email="a@b.co", fit=100, interest=100), assigned(A)]
    facts += [touched(moment) for moment in sorted(logged)]
    now = A + draw(st.integers(min_value=0, max_value=2 * rules.sla.window // TICK)) * TICK
    return rules, facts, now


@given(case=on_time_histories())
def test_a_lead_touched_on_time_is_never_overdue_nor_breached(
    case: tuple[Rules, list[LeadFact], datetime],
) -> None:
    rules, facts, now = case

    known_by_now = fold("L-1", [fact for fact in facts if fact.occurred_at <= now], rules)

    assert not is_overdue(next_due=known_by_now.next_touch_due, now=now)
    assert not breached(known_by_now, now=now, rules=rules)


@given(facts=histories(), rules=sla_rules)
def test_deriving_a_folded_lead_again_under_the_same_rules_changes_nothing(
    facts: list[LeadFact], rules: Rules
) -> None:
    state = fold("L-1", facts, rules)

    assert derive(state, rules) == state


@given(facts=histories(), before=sla_rules, after=sla_rules)
def test_a_lead_derived_under_new_rules_agrees_with_a_fold_under_them(
    facts: list[LeadFact], before: Rules, after: Rules
) -> None:
    # A new SLA, under the same grading threshold: a threshold that moves a lead's grade over
    # its history moves its cadence's start, which only a fold finds (rederive folds those).
    after = replace(after, threshold=before.threshold)
    derived = derive(fold("L-1", facts, before), after)
    folded = fold("L-1", facts, after)

    k, logged = after.sla.touches, folded.touches
    assert replace(derived, sla_met_at=None) == replace(folded, sla_met_at=None)
    assert (derived.sla_met_at is None) == (folded.sla_met_at is None)
    if k == 1 or logged == k or before.sla.touches == k:
        assert derived.sla_met_at == folded.sla_met_at
