"""People the bot knows (reps, managers) and the e-mail → Slack user cache for CRM owners."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage.models import Member, OwnerEmail

# An address Slack did not know is asked about again after this long: people join.
MISS_TTL = timedelta(hours=1)


def cached_owner_ids(
    session: Session, *, emails: Iterable[str], now: datetime
) -> dict[str, str | None]:
    """The cached answer per normalised e-mail: a user id, or None for a fresh miss.

    Addresses absent from the result must be looked up in Slack.
    """
    wanted = sorted(set(emails))
    if not wanted:
        return {}
    known: dict[str, str | None] = {}
    for row in session.exec(select(OwnerEmail).where(col(OwnerEmail.email).in_(wanted))):
        if row.slack_user_id is not None or now - row.looked_up_at < MISS_TTL:
            known[row.email] = row.slack_user_id
    return known


def remember_owner(
    session: Session,
    *,
    email: str,
    slack_user_id: str | None,
    now: datetime,
    name: str | None = None,
    tz: str | None = None,
) -> None:
    """Cache Slack's answer for an e-mail; a match also makes (or refreshes) the member."""
    row = session.get(OwnerEmail, email) or OwnerEmail(email=email, looked_up_at=now)
    row.slack_user_id, row.looked_up_at = slack_user_id, now
    session.add(row)
    if slack_user_id is not None:
        upsert_member(session, slack_user_id=slack_user_id, email=email, name=name, tz=tz, now=now)


def upsert_member(
    session: Session,
    *,
    slack_user_id: str,
    now: datetime,
    email: str | None = None,
    name: str | None = None,
    tz: str | None = None,
) -> Member:
    member = session.get(Member, slack_user_id) or Member(
        slack_user_id=slack_user_id, updated_at=now
    )
    member.email = email or member.email
    member.name = name or member.name
    member.tz = tz or member.tz
    member.updated_at = now
    session.add(member)
    return member


def member(session: Session, slack_user_id: str) -> Member | None:
    return session.get(Member, slack_user_id)


def team_of(session: Session, manager_id: str) -> list[str]:
    """The reps whose manager this is."""
    return list(session.exec(select(Member.slack_user_id).where(Member.manager_id == manager_id)))
