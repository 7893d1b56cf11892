"""The HubSpot connector's tables: the webhook inbox, the write-back outbox, its state."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.models import HubSpotInbox, HubSpotOutbox, HubSpotState


@dataclass(frozen=True)
class InboxEvent:
    event_id: str
    subscription_type: str
    object_id: str
    occurred_at: datetime
    event: dict[str, Any]


def store_inbox(session: Session, events: Sequence[InboxEvent], *, now: datetime) -> int:
    """Store a delivery's events; one HubSpot sent before (a retry) is left as it was.
    Returns how many were new."""
    if not events:
        return 0
    rows = [
        {
            "event_id": event.event_id,
            "subscription_type": event.subscription_type,
            "object_id": event.object_id,
            "occurred_at": event.occurred_at,
            "event": event.event,
            "received_at": now,
            "attempts": 0,
        }
        for event in {event.event_id: event for event in events}.values()
    ]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(HubSpotInbox).values(rows).on_conflict_do_nothing(
        index_elements=["event_id"]
    )
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def pending_inbox(session: Session, *, now: datetime, limit: int) -> list[HubSpotInbox]:
    """Events not applied yet whose time to try has come, oldest first per object."""
    return list(
        session.exec(
            select(HubSpotInbox)
            .where(col(HubSpotInbox.processed_at).is_(None))
            .where(
                or_(
                    col(HubSpotInbox.next_attempt_at).is_(None),
                    col(HubSpotInbox.next_attempt_at) <= now,
                )
            )
            .order_by(col(HubSpotInbox.occurred_at), col(HubSpotInbox.id))
            .limit(limit)
        )
    )


def finish_inbox(
    session: Session, ids: Iterable[int], *, now: datetime, error: str | None = None
) -> None:
    session.execute(
        update(HubSpotInbox)
        .where(col(HubSpotInbox.id).in_(list(ids)))
        .values(processed_at=now, error=error)
    )


def postpone_inbox(
    session: Session, ids: Iterable[int], *, until: datetime, error: str
) -> None:
    session.execute(
        update(HubSpotInbox)
        .where(col(HubSpotInbox.id).in_(list(ids)))
        .values(
            attempts=col(HubSpotInbox.attempts) + 1,
            next_attempt_at=until,
            error=error[:500],
        )
    )


def queue_write_back(
    session: Session,
    *,
    key: str,
    lead_external_id: str,
    contact_id: str,
    kind: str,
    request: dict[str, Any],
    now: datetime,
) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(HubSpotOutbox)
        .values(
            key=key,
            lead_external_id=lead_external_id,
            contact_id=contact_id,
            kind=kind,
            request=request,
            status="pending",
            attempts=0,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )


def due_write_backs(session: Session, *, now: datetime, limit: int) -> list[HubSpotOutbox]:
    return list(
        session.exec(
            select(HubSpotOutbox)
            .where(HubSpotOutbox.status == "pending")
            .where(
                or_(
                    col(HubSpotOutbox.next_attempt_at).is_(None),
                    col(HubSpotOutbox.next_attempt_at) <= now,
                )
            )
            .order_by(col(HubSpotOutbox.id))
            .limit(limit)
        )
    )


def claim_write_back(session: Session, row: HubSpotOutbox, *, until: datetime) -> bool:
    """Take a write-back for one try: the attempt count moves only if no one else moved it,
    and the row is held until `until` (a process that dies mid-send frees it then)."""
    claimed = session.execute(
        update(HubSpotOutbox)
        .where(col(HubSpotOutbox.id) == row.id)
        .where(col(HubSpotOutbox.status) == "pending")
        .where(col(HubSpotOutbox.attempts) == row.attempts)
        .values(attempts=row.attempts + 1, next_attempt_at=until)
    )
    return int(getattr(claimed, "rowcount", 0) or 0) == 1


def settle_write_back(
    session: Session,
    row_id: int,
    *,
    status: str,
    now: datetime,
    hubspot_id: str | None = None,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "error": error[:500] if error else None}
    if hubspot_id is not None:
        values["hubspot_id"] = hubspot_id
    if status == "sent":
        values["sent_at"] = now
    values["next_attempt_at"] = next_attempt_at
    session.execute(update(HubSpotOutbox).where(col(HubSpotOutbox.id) == row_id).values(**values))


def written_ids(session: Session, *, contact_id: str) -> set[str]:
    """Ids of the HubSpot objects the bot created on this contact: never read back as touches."""
    rows = session.exec(
        select(HubSpotOutbox.hubspot_id)
        .where(HubSpotOutbox.contact_id == contact_id)
        .where(col(HubSpotOutbox.hubspot_id).is_not(None))
    )
    return {row for row in rows if row}


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    failed: int
    sent: int


def outbox_counts(session: Session) -> OutboxCounts:
    counts = dict(
        session.exec(
            select(HubSpotOutbox.status, func.count()).group_by(col(HubSpotOutbox.status))
        ).all()
    )
    return OutboxCounts(
        pending=int(counts.get("pending", 0)),
        failed=int(counts.get("failed", 0)),
        sent=int(counts.get("sent", 0)),
    )


def failed_write_backs(session: Session, *, limit: int) -> list[HubSpotOutbox]:
    return list(
        session.exec(
            select(HubSpotOutbox)
            .where(HubSpotOutbox.status == "failed")
            .order_by(col(HubSpotOutbox.id).desc())
            .limit(limit)
        )
    )


def inbox_waiting(session: Session) -> int:
    return int(
        session.exec(
            select(func.count()).where(col(HubSpotInbox.processed_at).is_(None))
        ).one()
    )


def inbox_stuck(session: Session, *, attempts: int = 3) -> int:
    """Webhook events tried `attempts` times or more and still not applied."""
    return int(
        session.exec(
            select(func.count())
            .where(col(HubSpotInbox.processed_at).is_(None))
            .where(col(HubSpotInbox.attempts) >= attempts)
        ).one()
    )


def state(session: Session, key: str) -> Any:
    row = session.get(HubSpotState, key)
    return json.loads(row.value) if row else None


def set_state(session: Session, key: str, value: Any, *, now: datetime) -> None:
    row = session.get(HubSpotState, key)
    text = json.dumps(value)
    if row is None:
        session.add(HubSpotState(key=key, value=text, updated_at=now))
    else:
        row.value = text
        row.updated_at = now
        session.add(row)
