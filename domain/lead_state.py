"""A lead's current state as a fold over its events: the rule both the live projection and
`smarketing db rebuild` apply, so the two cannot disagree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.cadence import SalesSla, next_touch_due, window_end
from domain.grading import DEFAULT_THRESHOLD, WORKED_GRADES, Grade, LeadStatus, grade

LEAD_FIELDS = ("email", "name", "company", "source", "campaign", "persona", "fit", "interest")
# Fields whose absence makes a lead incomplete: ungraded without a score, unreachable without
# an e-mail (and then never recognised as a duplicate).
REQUIRED_FIELDS = ("fit", "interest", "email")


class EventType:
    CREATED = "lead.created"
    UPDATED = "lead.updated"
    ASSIGNED = "lead.assigned"
    TOUCHED = "lead.touched"
    ACCEPTED = "lead.accepted"
    REJECTED = "lead.rejected"
    WON = "lead.won"
    LOST = "lead.lost"
    RECYCLED = "lead.recycled"
    ALL = (CREATED, UPDATED, ASSIGNED, TOUCHED, ACCEPTED, REJECTED, WON, LOST, RECYCLED)


@dataclass(frozen=True)
class LeadFact:
    """One stored event as the rules see it: what happened, when, and its data."""

    type: str
    occurred_at: datetime
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Rules:
    """The settings a lead's derived fields depend on."""

    sla: SalesSla = field(default_factory=SalesSla)
    threshold: int = DEFAULT_THRESHOLD


@dataclass(frozen=True)
class LeadState:
    external_id: str
    created_at: datetime | None = None
    email: str | None = None
    name: str | None = None
    company: str | None = None
    source: str | None = None
    campaign: str | None = None
    persona: str | None = None
    fit: int | None = None
    interest: int | None = None
    status: LeadStatus = LeadStatus.OPEN
    owner_id: str | None = None
    owner_email: str | None = None
    assigned_at: datetime | None = None
    # When the owner's cadence started: the assignment of a sales-ready or review lead, or the
    # event that made an assigned lead one (DESIGN §2 "Whose lead it is"); None while the lead
    # is marketing's (nurture), never worked (avoid, ungraded) or unowned.
    cadence_from: datetime | None = None
    touches: int = 0
    first_touch_at: datetime | None = None
    last_touch_at: datetime | None = None
    sla_met_at: datetime | None = None
    accepted_at: datetime | None = None
    closed_at: datetime | None = None
    won_amount: Decimal | None = None
    reject_reason: str | None = None
    lost_reason: str | None = None
    recycle_reason: str | None = None
    last_event_at: datetime | None = None
    # Derived by `derive` from the fields above and the rules in force (so recomputed for
    # every lead when an admin changes the SLA or the grading threshold), with `sla_met_at`
    # brought in line with the K in force:
    grade: Grade = Grade.UNGRADED
    missing: tuple[str, ...] = REQUIRED_FIELDS
    next_touch_due: datetime | None = None
    window_ends_at: datetime | None = None

    @property
    def email_normalized(self) -> str | None:
        return normalize_email(self.email)

    @property
    def is_open(self) -> bool:
        """Worked under the SLA: not won, lost, rejected, and not graded `avoid`."""
        return not self.status.is_closed and self.grade != Grade.AVOID


def normalize_email(email: str | None) -> str | None:
    if email is None:
        return None
    cleaned = email.strip().lower()
    return cleaned or None


def duplicates_in(group: Iterable[tuple[datetime, str]]) -> dict[str, str | None]:
    """One e-mail's leads as (created at, external id): the earliest created is the original
    (on a tie, the smaller id), and each other lead is its duplicate. Returns each lead's
    original, None for the original itself (DESIGN §2)."""
    members = sorted(group)
    original = members[0][1]
    return {
        external_id: None if external_id == original else original for _, external_id in members
    }


def apply(state: LeadState, fact: LeadFact, rules: Rules) -> LeadState:
    """The state after one more event, with derived fields brought up to date."""
    return derive(_apply(state, fact, rules), rules)


def fold(external_id: str, facts: Iterable[LeadFact], rules: Rules) -> LeadState:
    """Replay a lead's events in the order they occurred (callers sort by time, then log order)."""
    state = LeadState(external_id=external_id)
    for fact in facts:
        state = _apply(state, fact, rules)
    return derive(state, rules)


def _apply(state: LeadState, fact: LeadFact, rules: Rules) -> LeadState:
    # One copy per event: folding a history is the hot path of ingestion and of a rebuild.
    changes = _changes(state, fact, rules)
    if fact.type in _CADENCE_EVENTS:
        changes["cadence_from"] = _cadence_from(state, changes, fact.occurred_at, rules)
    changes["last_event_at"] = fact.occurred_at
    return _evolve(state, changes)


_FIELDS = frozenset(LeadState.__dataclass_fields__)


def _evolve(state: LeadState, changes: dict[str, Any]) -> LeadState:
    """`dataclasses.replace` without calling `__init__` again with all thirty fields: LeadState
    has no defaults to compute and no checks to run, so a copy of its fields with the changes
    is the same value, in a sixth of the time."""
    if not changes.keys() <= _FIELDS:
        raise TypeError(f"not fields of LeadState: {sorted(changes.keys() - _FIELDS)}")
    copy = object.__new__(LeadState)
    copy.__dict__.update(state.__dict__)
    copy.__dict__.update(changes)
    return copy


# The events that can start or stop sales' cadence: a grade or an owner changing.
_CADENCE_EVENTS = frozenset({EventType.CREATED, EventType.UPDATED, EventType.ASSIGNED})


def _cadence_from(
    state: LeadState, changes: dict[str, Any], at: datetime, rules: Rules
) -> datetime | None:
    """The cadence runs while the lead is owned and graded sales-ready or review: it starts at
    the assignment, or at the moment an update raises an owned lead into those grades (a
    nurture lead whose interest rose), and stops when it falls out of them (marketing's again).
    A closed lead keeps the cadence it was worked under."""
    owner = changes.get("owner_id", state.owner_id)
    fit, interest = changes.get("fit", state.fit), changes.get("interest", state.interest)
    worked = grade(fit=fit, interest=interest, threshold=rules.threshold) in WORKED_GRADES
    if "assigned_at" in changes:  # a new owner: their clock starts now
        return at if owner is not None and worked else None
    if changes.get("status", state.status).is_closed:
        return state.cadence_from
    if owner is None or not worked:
        return None
    return state.cadence_from or at


def _changes(state: LeadState, fact: LeadFact, rules: Rules) -> dict[str, Any]:
    """What one event changes on a lead (before the derived fields are brought up to date)."""
    at, data = fact.occurred_at, fact.data
    if fact.type in (EventType.CREATED, EventType.UPDATED):
        fields = data.get("lead", {})
        changes = {name: fields[name] for name in LEAD_FIELDS if name in fields}
        if fact.type == EventType.CREATED:
            changes["created_at"] = at if state.created_at is None else min(state.created_at, at)
        return changes
    if fact.type == EventType.ASSIGNED:
        owner_id, owner_email = data.get("owner_id"), data.get("owner_email")
        if owner_id is not None and owner_id == state.owner_id:
            return {}  # the same owner again: their clock keeps running
        # Re-assignment restarts the clock for the new owner; a recycled lead given to a rep
        # again is back in sales' hands.
        reopened = {"status": LeadStatus.OPEN, "closed_at": None, "recycle_reason": None}
        return (reopened if state.status == LeadStatus.RECYCLED else {}) | {
            "owner_id": owner_id,
            "owner_email": owner_email,
            "assigned_at": at,
            "touches": 0,
            "first_touch_at": None,
            "sla_met_at": None,
        }
    if fact.type == EventType.TOUCHED:
        if state.assigned_at is None or at < state.assigned_at:
            return {}  # worked before anyone owned it: no SLA touch for the new owner
        touches = state.touches + 1
        return {
            "touches": touches,
            "first_touch_at": state.first_touch_at or at,
            "last_touch_at": at,
            "sla_met_at": state.sla_met_at or (at if touches >= rules.sla.touches else None),
        }
    if fact.type == EventType.ACCEPTED:
        return {"status": LeadStatus.ACCEPTED, "accepted_at": at, "closed_at": None}
    if fact.type == EventType.REJECTED:
        return {"status": LeadStatus.REJECTED, "reject_reason": data.get("reason"), "closed_at": at}
    if fact.type == EventType.WON:
        amount = data.get("amount")
        return {
            "status": LeadStatus.WON,
            "closed_at": at,
            "won_amount": Decimal(str(amount)) if amount is not None else None,
        }
    if fact.type == EventType.LOST:
        return {"status": LeadStatus.LOST, "lost_reason": data.get("reason"), "closed_at": at}
    if fact.type == EventType.RECYCLED:
        return {
            "status": LeadStatus.RECYCLED,
            "recycle_reason": data.get("reason"),
            "closed_at": at,
        }
    raise ValueError(f"unknown event type {fact.type!r}")


def derive(state: LeadState, rules: Rules) -> LeadState:
    """Grade, missing fields and the next due touch, from the state and the rules in force."""
    graded = grade(fit=state.fit, interest=state.interest, threshold=rules.threshold)
    missing = tuple(name for name in REQUIRED_FIELDS if getattr(state, name) in (None, ""))
    due = window = None
    start = state.cadence_from
    if start is not None and state.owner_id is not None and graded in WORKED_GRADES:
        # On a cadence, by the grade under the rules in force (a threshold change that takes
        # a lead out of the worked grades ends its cadence; one that brings a lead in is
        # folded again from the log, so its cadence starts where a rebuild would start it).
        window = window_end(assigned_at=start, sla=rules.sla)
        if not state.status.is_closed:
            due = next_touch_due(
                assigned_at=start,
                touches=state.touches,
                sla=rules.sla,
                sales_ready=graded == Grade.SALES_READY,
            )
    return _evolve(
        state,
        {
            "grade": graded,
            "missing": missing,
            "sla_met_at": _sla_met(state, rules),
            "next_touch_due": due,
            "window_ends_at": window,
        },
    )


def _sla_met(state: LeadState, rules: Rules) -> datetime | None:
    """When the K-th touch came, under the K in force: after an admin changes K, a lead's
    stored moment was judged by the old K (met with 3 touches of 3 but short of a new 6; or
    short of 6 with 4 logged, but done under a new 3).

    Only the first and latest touch times are kept, so the K-th is known exactly when K is 1
    or all the logged touches. With more logged than K, a recorded moment is kept (exact
    unless K changed) and the latest touch stands in for a missing one (no earlier than the
    real moment); a fold from the log is exact. On a state folded under these rules this
    changes nothing.
    """
    required, logged = rules.sla.touches, state.touches
    if logged < required:
        return None
    if required == 1:
        return state.first_touch_at
    if logged == required:
        return state.last_touch_at
    return state.sla_met_at or state.last_touch_at
