"""Claim, then send: each scheduled message is claimed under a unique key so it goes out once.

A job claims a delivery (digest for a week, nudge for a lead on a day, escalation for a
lead's breach) in one short transaction, commits, sends to Slack, then marks it sent or
failed in another. The claim is one conditional UPDATE whose row count says who won, as in
healthchecks' `sendalerts`: two schedulers, or two threads, cannot both send.

Statuses:
- `pending`: not sent yet. Claimable when no one holds a live claim; a claim older than the
  lease is stale (its process died between claiming and sending) and may be taken over.
- `sent`: done; never claimed again.
- `failed`: a permanent failure (Slack said `channel_not_found`, `invalid_auth`, …). It is
  final: neither claimed again nor listed by `pending`, because the same send would fail the
  same way on every run. Its error is kept for the admin to read. A transient failure (429,
  5xx, a dropped connection) stays `pending` and the next run retries it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Delivery

PENDING, SENT, FAILED = "pending", "sent", "failed"
# Long enough for a Slack send with its retries (Retry-After included) to finish.
LEASE = timedelta(minutes=5)
ERROR_LENGTH = 500  # the width of Delivery.error


def claim(
    session: Session,
    *,
    key: str,
    kind: str,
    channel: str | None,
    claimant: str,
    now: datetime,
    lease: timedelta = LEASE,
    late: bool = False,
) -> Delivery | None:
    """The delivery, claimed for `claimant`, when it may be sent now; None when it may not.

    None means it was sent already, failed permanently, or someone holds a live claim on it
    (a caller's own live claim included: a claim is not re-entrant, so a job that asks twice
    sends once). Commit before sending, so other processes see the claim.
    """
    # The UPDATE comes first: on SQLite it takes the write lock before anything is read, so
    # the whole claim is serialised; on PostgreSQL it waits for a rival's row lock and
    # re-checks the conditions against the row the rival left.
    if _take(session, key=key, channel=channel, claimant=claimant, now=now, lease=lease, late=late):
        return _load(session, key)
    if session.exec(select(Delivery.id).where(col(Delivery.key) == key)).first() is not None:
        return None
    row = Delivery(
        key=key,
        kind=kind,
        channel=channel,
        claimed_by=claimant,
        claimed_at=now,
        late=late,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another process inserted the same key between our look and our insert: the
        # savepoint keeps our transaction usable, and the conditional UPDATE settles who won.
        if _take(
            session, key=key, channel=channel, claimant=claimant, now=now, lease=lease, late=late
        ):
            return _load(session, key)
        return None
    return row


def mark_sent(
    session: Session, *, key: str, claimant: str, now: datetime, message_ts: str | None = None
) -> bool:
    """Record that the claimant sent the delivery. Only the holder of the claim can; True if so."""
    return _changed(
        session,
        update(Delivery)
        .where(
            col(Delivery.key) == key,
            col(Delivery.claimed_by) == claimant,
            col(Delivery.status) == PENDING,
        )
        .values(
            status=SENT,
            sent_at=now,
            message_ts=message_ts,
            error=None,
            attempts=col(Delivery.attempts) + 1,
        ),
    )


def mark_failed(
    session: Session,
    *,
    key: str,
    claimant: str,
    now: datetime,
    error: str,
    permanent: bool = False,
) -> bool:
    """Record a failed send by the claim's holder; True if it was the holder.

    Transient: the delivery stays pending and its claim is released, so the next run retries
    it. Permanent: the delivery is `failed` and is not tried again.
    """
    return _changed(
        session,
        update(Delivery)
        .where(
            col(Delivery.key) == key,
            col(Delivery.claimed_by) == claimant,
            col(Delivery.status) == PENDING,
        )
        .values(
            status=FAILED if permanent else PENDING,
            # The holder is kept on a permanent failure, as a record of who tried.
            claimed_by=claimant if permanent else None,
            claimed_at=now if permanent else None,
            error=error[:ERROR_LENGTH],
            attempts=col(Delivery.attempts) + 1,
        ),
    )


def pending(session: Session, *, kind: str, limit: int) -> Sequence[Delivery]:
    """Up to `limit` deliveries of a kind still to send, oldest first: what a run retries.

    Some may be under a live claim by another process; `claim` turns those down.
    """
    query = (
        select(Delivery)
        .where(col(Delivery.status) == PENDING, col(Delivery.kind) == kind)
        .order_by(col(Delivery.id))
        .limit(limit)
    )
    return session.exec(query).all()


def status_of(session: Session, key: str) -> str | None:
    """`pending`, `sent` or `failed`; None for a key never claimed."""
    return session.exec(select(Delivery.status).where(col(Delivery.key) == key)).first()


def _take(
    session: Session,
    *,
    key: str,
    channel: str | None,
    claimant: str,
    now: datetime,
    lease: timedelta,
    late: bool,
) -> bool:
    """The claim itself: one UPDATE of an unsent, unclaimed (or stale) row; True if we won."""
    return _changed(
        session,
        update(Delivery)
        .where(
            col(Delivery.key) == key,
            col(Delivery.status) == PENDING,
            or_(col(Delivery.claimed_at).is_(None), col(Delivery.claimed_at) < now - lease),
        )
        .values(claimed_by=claimant, claimed_at=now, channel=channel, late=late),
    )


def _changed(session: Session, statement: Any) -> bool:
    result = cast(
        CursorResult[Any],
        session.execute(statement, execution_options={"synchronize_session": False}),
    )
    return result.rowcount == 1


def _load(session: Session, key: str) -> Delivery:
    query = (
        select(Delivery).where(col(Delivery.key) == key).execution_options(populate_existing=True)
    )
    return session.exec(query).one()
