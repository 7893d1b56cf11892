"""Where and when scheduled messages go, and the state figures each one showed.

The digest's channel, day and time are set in Slack (`/smarketing digest #channel DAY HH:MM`)
and kept as settings; until then `SMARKETING_DIGEST_CHANNEL` and Monday 09:00 apply. Each
digest or report leaves a snapshot of its state figures (compliance, overdue leads by rep) so
the next one can show their change: the lead projection only knows the present.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from fractions import Fraction

from sqlmodel import Session, col, select

from domain.schedule import DigestSchedule, DigestSettings, Weekday
from storage.models import FiguresSnapshot, Posting, Setting
from storage.postings import FAILED, SENT
from storage.workspace import record_change, setting

DIGEST_CHANNEL = "digest.channel"
DIGEST_DAY = "digest.day"
DIGEST_TIME = "digest.time"
DIGEST = "weekly digest"  # `SettingChange.what` for a new channel or schedule


def digest_settings(session: Session, *, default_channel: str | None) -> DigestSettings:
    row = session.get(Setting, DIGEST_CHANNEL)
    channel = row.value if row is not None else None
    day, at = setting(session, DIGEST_DAY), setting(session, DIGEST_TIME)
    schedule = DigestSchedule(
        day=Weekday(int(day)) if day is not None else Weekday.MONDAY,
        at=time.fromisoformat(at) if at is not None else time(9, 0),
    )
    return DigestSettings(
        channel=channel or default_channel,
        channel_set_in_slack=channel is not None,
        schedule=schedule,
        channel_set_at=row.set_at if row is not None else None,
    )


def set_digest(
    session: Session,
    *,
    channel: str,
    schedule: DigestSchedule | None,
    by: str,
    at: datetime,
    default_channel: str | None,
) -> DigestSettings:
    """Send the digest to `channel` (and on `schedule`, when given); the change is recorded."""
    old = digest_settings(session, default_channel=default_channel)
    values = {DIGEST_CHANNEL: channel}
    if schedule is not None:
        values[DIGEST_DAY] = str(int(schedule.day))
        values[DIGEST_TIME] = schedule.at.strftime("%H:%M")
    for key, value in values.items():
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value, set_by=by, set_at=at))
        else:
            row.value, row.set_by, row.set_at = value, by, at
            session.add(row)
    new = DigestSettings(channel, True, schedule or old.schedule, at)
    record_change(session, what=DIGEST, old=old.describe(), new=new.describe(), by=by, at=at)
    session.flush()
    return new


def save_snapshot(
    session: Session,
    *,
    key: str,
    compliance: Fraction | None,
    overdue_by_rep: dict[str, int],
    at: datetime,
) -> None:
    """Keep the first snapshot of a period: a retried or repeated run shows the same figures."""
    if session.get(FiguresSnapshot, key) is not None:
        return
    session.add(
        FiguresSnapshot(
            key=key,
            compliance=str(compliance) if compliance is not None else None,
            overdue_by_rep=overdue_by_rep,
            taken_at=at,
        )
    )
    session.flush()


@dataclass(frozen=True)
class Snapshot:
    compliance: Fraction | None
    overdue_by_rep: dict[str, int]


def snapshot(session: Session, key: str) -> Snapshot | None:
    row = session.get(FiguresSnapshot, key)
    if row is None:
        return None
    compliance = Fraction(row.compliance) if row.compliance is not None else None
    return Snapshot(compliance, dict(row.overdue_by_rep))


def posting_problem(session: Session, *, kinds: tuple[str, ...]) -> Posting | None:
    """The newest of these postings when it failed for good (the bot is not in the channel,
    the channel is archived…): what App Home and settings tell admins. None once one is sent."""
    newest = session.exec(
        select(Posting)
        .where(col(Posting.kind).in_(kinds), col(Posting.status).in_((SENT, FAILED)))
        .order_by(col(Posting.id).desc())
        .limit(1)
    ).first()
    return newest if newest is not None and newest.status == FAILED else None
