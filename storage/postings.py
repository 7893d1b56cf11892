"""Claim, then send: each scheduled message is claimed under a unique key so it goes out once.

A job claims a posting (digest for a week, nudge for a lead on a day, escalation for a
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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Posting

PENDING, SENT, FAILED = "pending", "sent", "failed"
# What is posted: the weekly digest, the monthly report, a digest posted on demand.
DIGEST, MONTHLY, DIGEST_NOW = "digest", "monthly", "digest_now"
# Long enough for a Slack send with its retries (Retry-After included) to finish.
LEASE = timedelta(minutes=5)
ERROR_LENGTH = 500  # the width of Posting.error


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
) -> Posting | None:
    """The posting, claimed for `claimant`, when it may be sent now; None when it may not.

    None means it was sent already, failed permanently, or someone holds a live claim on it
    (a caller's own live claim included: a claim is not re-entrant, so a job that asks twice
    sends once). Commit before sending, so other processes see the claim.
    """
    # The UPDATE comes first: on SQLite it takes the write lock before anything is read, so
    # the whole claim is serialised; on PostgreSQL it waits for a rival's row lock and
    # re-checks the conditions against the row the rival left.
    if _take(session, key=key, channel=channel, claimant=claimant, now=now, lease=lease, late=late):
        return _load(session, key)
    if session.exec(select(Posting.id).where(col(Posting.key) == key)).first() is not None:
        return None
    row = Posting(
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
    """Record that the claimant sent the posting. Only the holder of the claim can; True if so."""
    return _changed(
        session,
        _held(key, claimant).values(
            status=SENT,
            sent_at=now,
            message_ts=message_ts,
            error=None,
            attempts=col(Posting.attempts) + 1,
        ),
    )


def retry_failed(session: Session, *, key: str) -> bool:
    """A posting that failed for good, made pending again (unclaimed, its error kept until the
    next try): someone fixed what Slack refused and asks for it again. True if it had failed."""
    return _changed(
        session,
        update(Posting)
        .where(col(Posting.key) == key, col(Posting.status) == FAILED)
        .values(status=PENDING, claimed_by=None, claimed_at=None),
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

    Transient: the posting stays pending and its claim is released, so the next run retries
    it. Permanent: the posting is `failed` and is not tried again.
    """
    return _changed(
        session,
        _held(key, claimant).values(
            status=FAILED if permanent else PENDING,
            # The holder is kept on a permanent failure, as a record of who tried.
            claimed_by=claimant if permanent else None,
            claimed_at=now if permanent else None,
            error=error[:ERROR_LENGTH],
            attempts=col(Posting.attempts) + 1,
        ),
    )


def pending(session: Session, *, kind: str, limit: int) -> Sequence[Posting]:
    """Up to `limit` postings of a kind still to send, oldest first: what a run retries.

    Some may be under a live claim by another process; `claim` turns those down.
    """
    query = (
        select(Posting)
        .where(col(Posting.status) == PENDING, col(Posting.kind) == kind)
        .order_by(col(Posting.id))
        .limit(limit)
    )
    return session.exec(query).all()


def person_lead_key(kind: str, person_id: str, external_id: str) -> str:
    """The key of a message about one lead to one person, sent once: `kind:person:lead`."""
    return f"{kind}:{person_id}:{external_id}"[:255]


def person_and_lead(key: str, kind: str) -> tuple[str, str] | None:
    """(person, lead) a `person_lead_key` of this kind names; None for any other key."""
    found, _, rest = key.partition(":")
    person, _, external_id = rest.partition(":")
    return (person, external_id) if found == kind and person and external_id else None


@dataclass(frozen=True)
class PersonLead:
    """A pending message about one lead to one person (a `person_lead_key`)."""

    key: str
    person_id: str
    external_id: str


def pending_person_leads(session: Session, *, kind: str, limit: int) -> list[PersonLead]:
    """Up to `limit` pending messages of a kind keyed by person and lead, oldest first."""
    found = []
    for row in pending(session, kind=kind, limit=limit):
        named = person_and_lead(row.key, kind)
        if named is not None:
            found.append(PersonLead(row.key, *named))
    return found


def queue_many(
    session: Session, messages: Sequence[tuple[str, str]], *, kind: str, now: datetime
) -> int:
    """Postings to send later, unclaimed, one per (key, channel); a key that exists (sent,
    pending or failed, or queued by a concurrent batch) is left as it is. One executemany of
    one cached statement, in the caller's transaction: a CRM's batch of 500 assignments
    queues 500 messages at the cost of one. How many were queued."""
    if not messages:
        return 0
    rows = [
        {"key": key, "kind": kind, "channel": channel, "created_at": now, "status": PENDING}
        for key, channel in dict(messages).items()
    ]
    connection = session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = Posting.__table__  # type: ignore[attr-defined]
    result = connection.execute(insert(table).on_conflict_do_nothing(index_elements=["key"]), rows)
    return max(result.rowcount, 0)


def by_key(session: Session, key: str) -> Posting | None:
    return session.exec(select(Posting).where(col(Posting.key) == key)).first()


def status_of(session: Session, key: str) -> str | None:
    """`pending`, `sent` or `failed`; None for a key never claimed."""
    return session.exec(select(Posting.status).where(col(Posting.key) == key)).first()


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
        update(Posting)
        .where(
            col(Posting.key) == key,
            col(Posting.status) == PENDING,
            or_(col(Posting.claimed_at).is_(None), col(Posting.claimed_at) < now - lease),
        )
        .values(claimed_by=claimant, claimed_at=now, channel=channel, late=late),
    )


def _held(key: str, claimant: str) -> Any:
    """An UPDATE of the posting while `claimant` holds its claim and it is not settled."""
    return update(Posting).where(
        col(Posting.key) == key,
        col(Posting.claimed_by) == claimant,
        col(Posting.status) == PENDING,
    )


def _changed(session: Session, statement: Any) -> bool:
    result = cast(
        CursorResult[Any],
        session.execute(statement, execution_options={"synchronize_session": False}),
    )
    return result.rowcount == 1


def _load(session: Session, key: str) -> Posting:
    query = select(Posting).where(col(Posting.key) == key).execution_options(populate_existing=True)
    return session.exec(query).one()
