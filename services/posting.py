"""Posting a scheduled message once: claim its posting key, post, record the result.

Shared by every scheduled job (the digest and monthly report today; nudges and escalations
next). At most one post per key, however many runs and processes try:
- a key already sent is left alone; a key claimed by a live run elsewhere is left to it;
- a failure Slack calls permanent (`not_in_channel`, `is_archived`, …) is recorded for admins
  and not retried; anything else (429 after its retries, 5xx, a timeout, the database gone)
  leaves the posting pending for the next run;
- a posting that may have reached Slack before — a send that timed out, a process killed
  mid-send, a result the database could not record — is first looked for in the channel's
  history by the key carried in the message's metadata, so a retry never posts it twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from services.context import Services
from services.posting_status import WHAT_TO_DO
from storage import postings

logger = logging.getLogger("smarketing.posting")

# Who holds a claim: enough to find the process in a log.
CLAIMANT = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
METADATA_TYPE = "smarketing_delivery"
# Slack errors that the same send would meet again: recorded, shown to admins, not retried.
# https://api.slack.com/methods/chat.postMessage#errors
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "no_permission",
        "missing_scope",
        "restricted_action",
        "invalid_blocks",
        "msg_too_long",
        "team_access_not_granted",
        # A direct message, posted to a user id, to someone Slack cannot message.
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
    }
)
RECORD_ATTEMPTS = 5  # tries to record a sent message while the database is briefly away
RECORD_BACKOFF = 0.5  # seconds, doubled each try
HISTORY_MARGIN = timedelta(minutes=1)

T = TypeVar("T")


class Status(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already sent"
    CLAIMED_ELSEWHERE = "claimed by another run"
    NOT_DUE = "not due"
    NO_CHANNEL = "no channel"
    FAILED = "failed"  # permanently: an admin must act
    WILL_RETRY = "will retry"  # transiently: the next run tries again
    DRY_RUN = "dry run"


@dataclass(frozen=True)
class Outcome:
    status: Status
    key: str | None = None
    channel: str | None = None
    late: bool = False
    message_ts: str | None = None
    error: str | None = None
    text: str | None = None  # the message as plain text, for --dry-run

    def describe(self, *, channel_name: str | None = None) -> str:
        """`sent to #smarketing (late)`; the channel's id when no name is given."""
        channel = channel_name or self.channel
        where = f" to {channel}" if channel else ""
        extra = f": {self.error}" if self.error else ""
        late = " (late)" if self.late else ""
        return f"{self.status.value}{where}{late}{extra}"


OnSent = Callable[[Session], None]


class Postable(Protocol):
    """A message as Slack takes it: `text` for notifications, `to_dict()` with its blocks
    (blocks.message.Message is one)."""

    @property
    def text(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


async def post_once(
    services: Services,
    *,
    key: str,
    kind: str,
    channel: str,
    late: bool,
    message: Postable,
    on_sent: OnSent | None = None,
    thread_ts: str | None = None,
) -> Outcome:
    """Claim `key`, post `message` to `channel` (in the thread of `thread_ts`, when given),
    record the result: at most one post per key.

    `on_sent` records what the message did (leads nudged, breaches escalated) in the same
    transaction that marks it sent, so the two never disagree.
    """
    now = services.clock.now()
    claim = await in_session(services, _claim, services, key, kind, channel, late, now)
    if claim is None:
        return settled(await in_session(services, status_of, key), key, channel)
    if claim.maybe_posted:
        found = await find_posted(services, channel=channel, key=key, since=claim.since)
        if found is not None:
            logger.info("%s was posted before (found in the channel); recorded as sent", key)
            await _record_sent(services, key=key, message_ts=found, on_sent=on_sent)
            return Outcome(Status.SENT, key, channel, late, found)
    try:
        response = await services.client.chat_postMessage(
            channel=channel,
            text=message.text,
            blocks=message.to_dict()["blocks"],
            metadata={"event_type": METADATA_TYPE, "event_payload": {"key": key}},
            unfurl_links=False,
            thread_ts=thread_ts,
        )
    except SlackApiError as error:
        code = str(error.response.get("error") or f"HTTP {error.response.status_code}")
        permanent = code in PERMANENT_ERRORS
        await _record_failure(services, key=key, error=code, permanent=permanent)
        advice = WHAT_TO_DO.get(code, "")
        logger.error(
            "%s to %s not posted: Slack said %s%s%s",
            kind,
            channel,
            code,
            f" — {advice}" if advice else "",
            "" if permanent else "; the next run retries",
        )
        return Outcome(
            Status.FAILED if permanent else Status.WILL_RETRY, key, channel, late, error=code
        )
    except (ClientError, TimeoutError, OSError) as error:
        # The request may have reached Slack: the retry looks in the channel before posting.
        what = type(error).__name__
        await _record_failure(services, key=key, error=what, permanent=False)
        logger.warning("%s to %s not confirmed (%s); the next run retries", kind, channel, what)
        return Outcome(Status.WILL_RETRY, key, channel, late, error=what)
    ts = str(response.get("ts") or "")
    await _record_sent(services, key=key, message_ts=ts, on_sent=on_sent)
    logger.info("%s posted to %s%s", kind, channel, " (late)" if late else "")
    return Outcome(Status.SENT, key, channel, late, ts)


def settled(status: str | None, key: str, channel: str | None) -> Outcome:
    """Why a posting is not ours to send: sent, failed for good, or claimed by a live run."""
    if status == postings.SENT:
        return Outcome(Status.ALREADY_SENT, key, channel)
    if status == postings.FAILED:
        return Outcome(Status.FAILED, key, channel, error="failed before; see the log")
    return Outcome(Status.CLAIMED_ELSEWHERE, key, channel)


@dataclass(frozen=True)
class _Claim:
    maybe_posted: bool  # an earlier attempt may have reached Slack
    since: datetime  # look in the channel from here


def _claim(
    session: Session,
    services: Services,
    key: str,
    kind: str,
    channel: str,
    late: bool,
    now: datetime,
) -> _Claim | None:
    before = postings.by_key(session, key)
    earlier = None
    if before is not None:
        earlier = (before.attempts, before.claimed_at, before.created_at)
    row = postings.claim(
        session, key=key, kind=kind, channel=channel, claimant=CLAIMANT, now=now, late=late
    )
    session.commit()
    if row is None:
        return None
    if earlier is None:
        return _Claim(maybe_posted=False, since=now)
    attempts, claimed_at, created_at = earlier
    return _Claim(
        maybe_posted=attempts > 0 or claimed_at is not None,
        since=created_at - HISTORY_MARGIN,
    )


async def find_posted(services: Services, *, channel: str, key: str, since: datetime) -> str | None:
    """The ts of a message carrying `key` posted to `channel` since `since`, if Slack has one.

    A direct message is posted to the person's user id; its history is read in the DM's own
    channel, which only then is asked for (`conversations.open`, Tier 3): the rare retry pays
    for it, not every message."""
    cursor: str | None = None
    try:
        if channel[:1] in ("U", "W"):
            opened = await services.client.conversations_open(users=channel)
            channel = str((opened.get("channel") or {}).get("id") or channel)
        while True:
            page = await services.client.conversations_history(
                channel=channel,
                oldest=f"{since.timestamp():.6f}",
                include_all_metadata=True,
                limit=200,
                cursor=cursor,
            )
            for found in page.get("messages") or []:
                metadata = found.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == METADATA_TYPE and payload.get("key") == key:
                    return str(found.get("ts"))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or cursor is None:
                return None
    except (SlackApiError, ClientError, TimeoutError, OSError) as error:
        # Without the history (no channels:history scope, Slack down) we cannot tell: posting
        # again risks a repeat, not posting risks a loss. A repeat is the lesser harm.
        logger.warning("could not read %s's history to check %s (%s)", channel, key, error)
        return None


async def _record_sent(
    services: Services, *, key: str, message_ts: str, on_sent: OnSent | None = None
) -> None:
    """Mark sent, retrying while the database is briefly away: the message is out, and the
    record is what keeps the next run from posting it again."""
    delay = RECORD_BACKOFF
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            await in_session(services, _mark_sent, services, key, message_ts, on_sent)
            return
        except SQLAlchemyError as error:
            if attempt == RECORD_ATTEMPTS:
                logger.error(
                    "%s was posted but could not be recorded (%s); the next run finds it in "
                    "the channel and records it",
                    key,
                    type(error).__name__,
                )
                return
            logger.warning(
                "%s posted; recording it failed (%s), retrying", key, type(error).__name__
            )
            await asyncio.sleep(delay)
            delay *= 2


def _mark_sent(
    session: Session, services: Services, key: str, message_ts: str, on_sent: OnSent | None
) -> None:
    marked = postings.mark_sent(
        session, key=key, claimant=CLAIMANT, now=services.clock.now(), message_ts=message_ts
    )
    if marked and on_sent is not None:
        on_sent(session)
    session.commit()


async def _record_failure(services: Services, *, key: str, error: str, permanent: bool) -> None:
    def mark(session: Session) -> None:
        postings.mark_failed(
            session,
            key=key,
            claimant=CLAIMANT,
            now=services.clock.now(),
            error=error,
            permanent=permanent,
        )
        session.commit()

    try:
        await in_session(services, mark)
    except SQLAlchemyError:
        # The claim then lapses after its lease and the next run takes it over.
        logger.warning("could not record the failure of %s; its claim lapses", key)


def status_of(session: Session, key: str) -> str | None:
    return postings.status_of(session, key)


async def in_session(services: Services, work: Callable[..., T], *args: Any) -> T:
    """`work(session, *args)` in a worker thread, with a session of its own."""

    def run() -> T:
        with services.db.session() as session:
            return work(session, *args)

    return await services.in_thread(run)
