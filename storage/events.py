"""The event log and the lead projection: storing a batch of lead events in one transaction,
updating each lead they touch, and rebuilding the projection from the log."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Row, String, Table, any_, bindparam, delete, insert, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Session, col, select

from domain.grading import WORKED_GRADES, Grade, LeadStatus, grade
from domain.lead_state import LeadFact, LeadState, Rules, apply, derive, duplicates_in, fold
from storage.models import Lead, LeadEvent

# Parameters per IN (...) list: far below SQLite's and PostgreSQL's limits.
CHUNK = 900
# The tables as Core sees them: the write path sends plain executemany statements, without
# the ORM's unit of work, identity map or session synchronisation.
LOG: Table = LeadEvent.__table__  # type: ignore[attr-defined]
PROJECTION: Table = Lead.__table__  # type: ignore[attr-defined]

# The write path's reads, built once: each takes its keys as one expanding parameter (`ids`),
# so a batch does not build a statement with hundreds of literals and a cache key over them.
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_KNOWN_IDS = select(LOG.c.event_id).where(LOG.c.event_id.in_(_IDS))
# PostgreSQL: one array parameter. It plans `= ANY($1)` at once, where an IN list of 500
# parameters costs it more to parse and plan than to look the ids up.
_KNOWN_IDS_ARRAY = select(LOG.c.event_id).where(
    LOG.c.event_id == any_(bindparam("ids", type_=ARRAY(String)))
)
_PROJECTION_ROWS = (
    PROJECTION.select()
    .where(PROJECTION.c.external_id.in_(_IDS))
    .order_by(PROJECTION.c.external_id)
    .with_for_update()
)
_HISTORY = (
    select(LOG.c.lead_external_id, LOG.c.type, LOG.c.occurred_at, LOG.c.payload)
    .where(LOG.c.lead_external_id.in_(_IDS))
    .order_by(LOG.c.lead_external_id, LOG.c.occurred_at, LOG.c.id)
)
_EMAIL_GROUPS = (
    PROJECTION.select()
    .with_only_columns(
        PROJECTION.c.id,
        PROJECTION.c.external_id,
        PROJECTION.c.email_normalized,
        PROJECTION.c.created_at,
        PROJECTION.c.duplicate_of,
    )
    .where(PROJECTION.c.email_normalized.in_(_IDS))
)


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


class ProjectedLead(Protocol):
    """What the messages stored events set off look at: a projection row, or `Written`."""

    @property
    def external_id(self) -> str: ...
    @property
    def owner_id(self) -> str | None: ...
    @property
    def grade(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def duplicate_of(self) -> str | None: ...
    @property
    def first_touch_at(self) -> datetime | None: ...
    @property
    def next_touch_due(self) -> datetime | None: ...


@dataclass(frozen=True)
class Written:
    """A lead as a batch left it in the projection, known without reading it back."""

    external_id: str
    owner_id: str | None
    grade: str
    status: str
    duplicate_of: str | None
    first_touch_at: datetime | None
    next_touch_due: datetime | None


@dataclass
class StoreResult:
    stored: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    # Stored, but their lead has no `lead.created` yet: applied as soon as it arrives.
    waiting: list[str] = field(default_factory=list)
    # The leads this batch wrote, by external id.
    written: dict[str, Written] = field(default_factory=dict)


def store_events(
    session: Session, *, events: Sequence[NewEvent], rules: Rules, now: datetime
) -> StoreResult:
    """Append the events not seen before and bring their leads' projection up to date.

    The caller's transaction makes it all-or-nothing. A repeated `event_id` (in the log or
    earlier in the same batch) is a duplicate and changes nothing.
    """
    with _lookups_by_index(session):
        return _store_events(session, events=events, rules=rules, now=now)


@contextmanager
def _lookups_by_index(session: Session) -> Iterator[None]:
    """On PostgreSQL, no sequential scans while storing: every read here looks up at most a
    batch's worth of keys (event ids, leads, e-mails) through an index. Left to itself the
    planner reads the whole log instead while it is young or its statistics are stale (with
    100k events, 19 ms a lookup where the index takes 0.6), twice a batch."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    yield
    # Not in a `finally`: after an error the transaction is rolled back, which undoes the
    # SET LOCAL, and a statement sent now would hide the error behind "transaction aborted".
    connection.exec_driver_sql("SET LOCAL enable_seqscan = on")


def _store_events(
    session: Session, *, events: Sequence[NewEvent], rules: Rules, now: datetime
) -> StoreResult:
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
    rows = _projection_rows(session, list(by_lead))
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

    _append(session, fresh, now)
    result.stored = [event.event_id for event in fresh]

    for external_id, lead_events in by_lead.items():
        if states.get(external_id, LeadState(external_id)).created_at is None:
            result.waiting.extend(event.event_id for event in lead_events)
    result.written = _write_states(session, states, rows, now)
    return result


def _append(session: Session, events: Sequence[NewEvent], now: datetime) -> None:
    """The events, at the end of the log: one executemany."""
    session.connection().execute(
        insert(LOG),
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
            for event in events
        ],
    )


def _known_event_ids(session: Session, event_ids: list[str]) -> set[str]:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return set(connection.execute(_KNOWN_IDS_ARRAY, {"ids": sorted(set(event_ids))}).scalars())
    known: set[str] = set()
    for chunk in _chunks(sorted(set(event_ids))):
        known.update(connection.execute(_KNOWN_IDS, {"ids": chunk}).scalars())
    return known


def leads_by_external_id(session: Session, external_ids: list[str]) -> dict[str, Lead]:
    """The projection's rows for these leads, read in chunks of one IN list each."""
    rows: dict[str, Lead] = {}
    for chunk in _chunks(external_ids):
        for row in session.execute(select(Lead).where(col(Lead.external_id).in_(chunk))).scalars():
            rows[row.external_id] = row
    return rows


def _projection_rows(session: Session, external_ids: list[str]) -> dict[str, Row[Any]]:
    """As `leads_by_external_id`, as plain rows: the write path reads them, never changes them."""
    rows: dict[str, Row[Any]] = {}
    # Locked until the batch commits, in one order, so two copies storing events of the same
    # lead apply them one after the other rather than each overwriting the other's changes.
    # (PostgreSQL; on SQLite the caller's session holds the one write lock from its start:
    # `Database.session(write_lock=True)`.)
    for chunk in _chunks(sorted(external_ids)):
        for row in session.connection().execute(_PROJECTION_ROWS, {"ids": chunk}):
            rows[row.external_id] = row
    return rows


def _facts_by_lead(
    session: Session, external_ids: list[str]
) -> Iterator[tuple[str, list[LeadFact]]]:
    """Each lead's whole history, in the order it happened (ties in the order received)."""
    for chunk in _chunks(external_ids):
        yield from _group_facts(session.connection().execute(_HISTORY, {"ids": chunk}))


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


def state_from_row(row: Lead | Row[Any]) -> LeadState:
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
    session: Session, states: dict[str, LeadState], rows: dict[str, Row[Any]], now: datetime
) -> dict[str, Written]:
    """Insert the new leads and update the others, each update setting only the columns that
    changed (one executemany per set of columns: a touch rewrites five columns and the indexes
    over them, not thirty). Duplicates are settled before anything is written, so a new lead
    goes in already marked; only a lead outside the batch whose standing changed is updated."""
    values_of: dict[str, dict[str, Any]] = {}
    regroup: set[str] = set()  # e-mails whose groups may have changed
    for external_id, state in states.items():
        if state.created_at is None:
            continue  # no `lead.created` yet: the events wait in the log
        values = row_values(state, now)
        values_of[external_id] = values
        email, row = values["email_normalized"], rows.get(external_id)
        if row is None:
            values["duplicate_of"] = None
            if email is not None:
                regroup.add(email)
        elif row.email_normalized != email or row.created_at != values["created_at"]:
            regroup |= {e for e in (row.email_normalized, email) if e is not None}
    for external_id, values in values_of.items():
        row = rows.get(external_id)
        email = values["email_normalized"]
        if row is not None and row.duplicate_of and email is not None and email not in regroup:
            values.update(UNWORKED)  # still a duplicate (its group unchanged): never worked
    connection = session.connection()
    others = _settle_duplicates(connection, values_of, regroup)
    inserts: list[dict[str, Any]] = []
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for external_id, values in values_of.items():
        row = rows.get(external_id)
        if row is None:
            inserts.append(values)
            continue
        changed = {
            name: value
            for name, value in values.items()
            if name != "updated_at" and getattr(row, name) != value
        }
        if changed:
            changed["updated_at"] = now
            updates[tuple(sorted(changed))].append({"row_id": row.id, **changed})
    for update_row in others:
        updates[tuple(sorted(set(update_row) - {"row_id"}))].append(update_row)
    if inserts:
        connection.execute(insert(PROJECTION), inserts)
    for names, batch in updates.items():
        connection.execute(_update_by_id(names), batch)
    return {
        external_id: Written(
            external_id=external_id,
            owner_id=values["owner_id"],
            grade=values["grade"],
            status=values["status"],
            duplicate_of=(
                values["duplicate_of"]
                if "duplicate_of" in values
                else rows[external_id].duplicate_of
            ),
            first_touch_at=values["first_touch_at"],
            next_touch_due=values["next_touch_due"],
        )
        for external_id, values in values_of.items()
    }


# A duplicate is never worked twice (DESIGN §2): no touch falls due on it and its window counts
# no breach; its cadence start stays, so it is worked again if it stops being one.
UNWORKED = {"next_touch_due": None, "window_ends_at": None}


@lru_cache(maxsize=256)
def _update_by_id(names: tuple[str, ...]) -> Any:
    """The update of these columns by row id, built once for each set of columns."""
    return (
        update(PROJECTION)
        .where(PROJECTION.c.id == bindparam("row_id"))
        .values({name: bindparam(name) for name in names})
    )


def _settle_duplicates(
    connection: Any, values_of: dict[str, dict[str, Any]], emails: set[str]
) -> list[dict[str, Any]]:
    """Mark the batch's leads in these e-mail groups as originals or duplicates (in their
    values, about to be written), reading the groups' other leads through the e-mail index;
    returns the updates for those other leads whose standing changed."""
    if not emails:
        return []
    groups: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    others: dict[str, tuple[int, str | None]] = {}
    for chunk in _chunks(sorted(emails)):
        rows = connection.execute(_EMAIL_GROUPS, {"ids": chunk})
        for row_id, external_id, email, created_at, duplicate_of in rows:
            if external_id not in values_of:  # the batch's own leads count as they will be
                others[external_id] = (row_id, duplicate_of)
                groups[email].append((created_at, external_id))
    for external_id, values in values_of.items():
        if values["email_normalized"] in emails:
            groups[values["email_normalized"]].append((values["created_at"], external_id))
    updates: list[dict[str, Any]] = []
    for group in groups.values():
        for external_id, original in duplicates_in(group).items():
            if external_id in values_of:
                values_of[external_id]["duplicate_of"] = original
                if original is not None:
                    values_of[external_id].update(UNWORKED)
                continue
            row_id, was = others[external_id]
            if was != original:
                change = {"duplicate_of": original} | (UNWORKED if original is not None else {})
                updates.append({"row_id": row_id, **change})
    return updates


def mark_duplicates(session: Session) -> None:
    """Every e-mail group marked again (the rebuild): each lead's original, or None, by the
    rule the live projection applies (`duplicates_in`), and duplicates never worked."""
    table = PROJECTION.c
    query = (
        select(table.id, table.email_normalized, table.created_at, table.external_id)
        .where(table.email_normalized.is_not(None))
        .order_by(table.email_normalized)
    )
    ids: dict[str, int] = {}
    group: list[tuple[datetime, str]] = []
    current: str | None = None
    updates: list[dict[str, Any]] = []

    def settle() -> None:
        if len(group) > 1:
            for external_id, original in duplicates_in(group).items():
                if original is not None:
                    updates.append(
                        {"row_id": ids[external_id], "duplicate_of": original, **UNWORKED}
                    )

    connection = session.connection()
    for row_id, email, created_at, external_id in connection.execute(
        query.execution_options(yield_per=5_000)
    ):
        if email != current:
            settle()
            current, group, ids = email, [], {}
        group.append((created_at, external_id))
        ids[external_id] = row_id
    settle()
    for start in range(0, len(updates), 2_000):
        connection.execute(
            _update_by_id(("duplicate_of", *UNWORKED)), updates[start : start + 2_000]
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
        rows.append({"duplicate_of": None, **row_values(state, now)})
        if len(rows) >= batch:
            session.connection().execute(insert(PROJECTION), rows)
            count, rows = count + len(rows), []
    if rows:
        session.connection().execute(insert(PROJECTION), rows)
        count += len(rows)
    mark_duplicates(session)
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
