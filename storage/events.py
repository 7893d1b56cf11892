"""The event log and the lead projection: storing a batch of lead events in one transaction,
updating each lead they touch, and rebuilding the projection from the log."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, case, delete, insert, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from domain.grading import WORKED_GRADES, Grade, LeadStatus, grade
from domain.lead_state import LeadFact, LeadState, Rules, apply, derive, fold
from storage.models import Lead, LeadEvent

# Parameters per IN (...) list: far below SQLite's and PostgreSQL's limits.
CHUNK = 900


@dataclass(frozen=True)
class NewEvent:
    """An event about to be stored: already validated, owner already resolved."""

    event_id: str
    type: str
    lead_external_id: str
    occurred_at: datetime
    origin: str
    payload: dict[str, Any]
    actor_id: str | None = None

    @property
    def fact(self) -> LeadFact:
        return LeadFact(type=self.type, occurred_at=self.occurred_at, data=self.payload)


@dataclass
class StoreResult:
    stored: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    # Stored, but their lead has no `lead.created` yet: applied as soon as it arrives.
    waiting: list[str] = field(default_factory=list)


def store_events(
    session: Session, *, events: Sequence[NewEvent], rules: Rules, now: datetime
) -> StoreResult:
    """Append the events not seen before and bring their leads' projection up to date.

    The caller's transaction makes it all-or-nothing. A repeated `event_id` (in the log or
    earlier in the same batch) is a duplicate and changes nothing.
    """
    result = StoreResult()
    known = _known_event_ids(session, [event.event_id for event in events])
    fresh: list[NewEvent] = []
    for event in events:
        if event.event_id in known:
            result.duplicates.append(event.event_id)
        else:
            known.add(event.event_id)
            fresh.append(event)
    if not fresh:
        return result

    by_lead: dict[str, list[NewEvent]] = defaultdict(list)
    for event in fresh:
        by_lead[event.lead_external_id].append(event)
    rows = leads_by_external_id(session, list(by_lead))
    states: dict[str, LeadState] = {}
    replay: list[str] = []
    for external_id, lead_events in by_lead.items():
        row = rows.get(external_id)
        earliest = min(event.occurred_at for event in lead_events)
        if row is None or row.last_event_at is None or earliest < row.last_event_at:
            replay.append(external_id)  # new lead, or an event that belongs before others
            continue
        state = state_from_row(row)
        for event in sorted(lead_events, key=lambda e: e.occurred_at):
            state = apply(state, event.fact, rules)
        states[external_id] = state
    # A lead to re-fold: its history from the log as it was before this batch (for a new lead
    # usually nothing, found through the index without reading a row), then this batch's
    # events in the order received — the log's order, since they are stored in that order
    # next. A stable sort by time keeps ties in that order, as `_facts_by_lead` does.
    earlier = dict(_facts_by_lead(session, replay))
    for external_id in replay:
        facts = earlier.get(external_id, []) + [event.fact for event in by_lead[external_id]]
        facts.sort(key=lambda fact: fact.occurred_at)
        states[external_id] = fold(external_id, facts, rules)

    session.execute(
        insert(LeadEvent),
        [
            {
                "event_id": event.event_id,
                "type": event.type,
                "lead_external_id": event.lead_external_id,
                "occurred_at": event.occurred_at,
                "received_at": now,
                "origin": event.origin,
                "actor_id": event.actor_id,
                "payload": event.payload,
            }
            for event in fresh
        ],
    )
    result.stored = [event.event_id for event in fresh]

    for external_id, lead_events in by_lead.items():
        if states.get(external_id, LeadState(external_id)).created_at is None:
            result.waiting.extend(event.event_id for event in lead_events)
    emails = {row.email_normalized for row in rows.values() if row.email_normalized}
    _write_states(session, states, rows, now)
    emails |= {state.email_normalized for state in states.values() if state.email_normalized}
    mark_duplicates(session, emails=emails)
    return result


def _known_event_ids(session: Session, event_ids: list[str]) -> set[str]:
    known: set[str] = set()
    for chunk in _chunks(sorted(set(event_ids))):
        known.update(
            session.execute(select(LeadEvent.event_id).where(col(LeadEvent.event_id).in_(chunk)))
            .scalars()
            .all()
        )
    return known


def leads_by_external_id(session: Session, external_ids: list[str]) -> dict[str, Lead]:
    """The projection's rows for these leads, read in chunks of one IN list each."""
    rows: dict[str, Lead] = {}
    for chunk in _chunks(external_ids):
        for row in session.execute(select(Lead).where(col(Lead.external_id).in_(chunk))).scalars():
            rows[row.external_id] = row
    return rows


def _facts_by_lead(
    session: Session, external_ids: list[str]
) -> Iterator[tuple[str, list[LeadFact]]]:
    """Each lead's whole history, in the order it happened (ties in the order received)."""
    for chunk in _chunks(external_ids):
        query = (
            select(
                LeadEvent.lead_external_id, LeadEvent.type, LeadEvent.occurred_at, LeadEvent.payload
            )
            .where(col(LeadEvent.lead_external_id).in_(chunk))
            .order_by(
                col(LeadEvent.lead_external_id), col(LeadEvent.occurred_at), col(LeadEvent.id)
            )
        )
        yield from _group_facts(session.execute(query))


def _group_facts(rows: Iterable[Any]) -> Iterator[tuple[str, list[LeadFact]]]:
    current: str | None = None
    facts: list[LeadFact] = []
    for external_id, type_, occurred_at, payload in rows:
        if external_id != current:
            if current is not None:
                yield current, facts
            current, facts = external_id, []
        facts.append(LeadFact(type=type_, occurred_at=occurred_at, data=payload))
    if current is not None:
        yield current, facts


_STATE_COLUMNS = tuple(
    name for name in LeadState.__dataclass_fields__ if name not in {"grade", "status", "missing"}
)


def state_from_row(row: Lead) -> LeadState:
    values = {name: getattr(row, name) for name in _STATE_COLUMNS}
    return LeadState(
        **values,
        grade=Grade(row.grade),
        status=LeadStatus(row.status),
        missing=tuple(name for name in row.missing.split(",") if name),
    )


def row_values(state: LeadState, now: datetime) -> dict[str, Any]:
    # getattr, not asdict(): asdict deep-copies every value, and this runs for every lead.
    values = {name: getattr(state, name) for name in _STATE_COLUMNS}
    values.update(
        grade=state.grade.value,
        status=state.status.value,
        missing=",".join(state.missing),
        incomplete=bool(state.missing),
        email_normalized=state.email_normalized,
        updated_at=now,
    )
    if state.email_normalized is None:
        values["duplicate_of"] = None
    return values


def _write_states(
    session: Session, states: dict[str, LeadState], rows: dict[str, Lead], now: datetime
) -> None:
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for external_id, state in states.items():
        if state.created_at is None:
            continue  # no `lead.created` yet: the events wait in the log
        values = row_values(state, now)
        row = rows.get(external_id)
        if row is None:
            inserts.append(values)
        else:
            updates.append({"id": row.id, **values})
    if inserts:
        session.execute(insert(Lead), inserts)
    if updates:
        session.execute(update(Lead), updates)


def mark_duplicates(session: Session, *, emails: set[str] | None) -> None:
    """Within each e-mail, the earliest-created lead is the original; the rest are its duplicates.

    `emails=None` re-marks every lead (the rebuild); otherwise only the groups named, so a
    batch costs what it touches, not the size of the table.
    """
    if emails is not None and not emails:
        return
    other = aliased(Lead)
    original = (
        select(other.external_id)
        .where(other.email_normalized == Lead.email_normalized)
        .order_by(col(other.created_at), col(other.external_id))
        .limit(1)
        .scalar_subquery()
    )
    marked = case((original == Lead.external_id, None), else_=original)
    # A duplicate is never worked twice (DESIGN §2): no touch falls due on it and its window
    # counts no breach; its cadence start stays, so it is worked again if it stops being one.
    unworked = {"next_touch_due": None, "window_ends_at": None}
    duplicate = col(Lead.duplicate_of).is_not(None)
    if emails is None:
        session.execute(
            update(Lead).where(col(Lead.email_normalized).is_not(None)).values(duplicate_of=marked)
        )
        session.execute(update(Lead).where(duplicate).values(unworked))
        return
    for chunk in _chunks(sorted(emails)):
        session.execute(
            update(Lead).where(col(Lead.email_normalized).in_(chunk)).values(duplicate_of=marked)
        )
        session.execute(
            update(Lead).where(col(Lead.email_normalized).in_(chunk), duplicate).values(unworked)
        )


def rebuild_projection(session: Session, *, rules: Rules, now: datetime, batch: int = 2_000) -> int:
    """Replace the projection with a fold of the whole log; returns the number of leads.

    Streams the log ordered by lead, so memory holds one lead's history and one batch of rows.
    """
    session.execute(delete(Lead))
    query = select(
        LeadEvent.lead_external_id, LeadEvent.type, LeadEvent.occurred_at, LeadEvent.payload
    ).order_by(col(LeadEvent.lead_external_id), col(LeadEvent.occurred_at), col(LeadEvent.id))
    rows: list[dict[str, Any]] = []
    count = 0
    stream = session.execute(query.execution_options(yield_per=5_000))
    for external_id, facts in _group_facts(stream):
        state = fold(external_id, facts, rules)
        if state.created_at is None:
            continue
        rows.append(row_values(state, now))
        if len(rows) >= batch:
            session.execute(insert(Lead), rows)
            count, rows = count + len(rows), []
    if rows:
        session.execute(insert(Lead), rows)
        count += len(rows)
    mark_duplicates(session, emails=None)
    return count


# What new rules can change on a lead; rederive writes these and nothing else.
DERIVED = (
    "grade",
    "missing",
    "incomplete",
    "cadence_from",
    "next_touch_due",
    "window_ends_at",
    "sla_met_at",
)


def rederive_leads(session: Session, *, rules: Rules, now: datetime, batch: int = 2_000) -> int:
    """Bring every lead's derived fields in line with new rules; returns how many changed.

    Walks the projection by id, committing each batch. Only the derived columns are written,
    and only on rows no event has changed since they were read (an event stored meanwhile was
    already applied under the new rules), so a touch arriving mid-way is never overwritten.
    """
    changed, after = 0, 0
    table: Table = Lead.__table__  # type: ignore[attr-defined]
    guarded = (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.updated_at == bindparam("seen"))
        .values({name: bindparam(name) for name in (*DERIVED, "updated_at")})
    )
    while True:
        rows = session.exec(
            select(Lead).where(col(Lead.id) > after).order_by(col(Lead.id)).limit(batch)
        ).all()
        if not rows:
            return changed
        # With more touches than K, the moment the SLA was met is the K-th touch's time,
        # which only the log knows: those leads are folded again (an indexed read per lead).
        # A lead the new threshold brings into the worked grades starts its cadence at the
        # event that made it so, which only the log knows: folded again too.
        refold = [
            row.external_id
            for row in rows
            if row.touches > rules.sla.touches or _starts_cadence(row, rules)
        ]
        folded = dict(_facts_by_lead(session, refold))
        updates = []
        for row in rows:
            state = state_from_row(row)
            if row.external_id in folded:
                fresh = fold(row.external_id, folded[row.external_id], rules)
            else:
                fresh = derive(state, rules)
            if row.duplicate_of is not None:
                fresh = replace(fresh, next_touch_due=None, window_ends_at=None)
            if fresh != state:
                values = row_values(fresh, now)
                updates.append(
                    {"row_id": row.id, "seen": row.updated_at}
                    | {name: values[name] for name in (*DERIVED, "updated_at")}
                )
        after = rows[-1].id or after
        if updates:
            result = session.connection().execute(guarded, updates)
            changed += result.rowcount if result.rowcount >= 0 else len(updates)
        session.commit()
        session.expunge_all()


def _starts_cadence(row: Lead, rules: Rules) -> bool:
    """An owned lead with no cadence that the rules in force grade sales-ready or review."""
    if row.owner_id is None or row.cadence_from is not None:
        return False
    return grade(fit=row.fit, interest=row.interest, threshold=rules.threshold) in WORKED_GRADES


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
