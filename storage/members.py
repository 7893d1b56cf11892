"""People the bot knows (reps, managers) and the e-mail → Slack user cache for CRM owners."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Lead, Member, OwnerEmail, Team, TeamMember
from storage.reports import IN_WORK
from storage.workspace import record_change

# An address Slack did not know is asked about again after this long: people join.
MISS_TTL = timedelta(hours=1)
# How far up a reporting line `reports_to` looks for a loop; no real organisation is deeper.
MAX_CHAIN = 100
NO_MANAGER = "none"  # how a cleared reporting line reads in the change history


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


def manager_of(session: Session, slack_user_id: str) -> str | None:
    row = session.get(Member, slack_user_id)
    return row.manager_id if row else None


def reports_to(session: Session, *, person_id: str, manager_id: str) -> bool:
    """True when `manager_id` is `person_id`'s manager, or their manager's, and so on up.

    Follows the line by primary key, at most MAX_CHAIN steps, and stops at a loop.
    """
    seen: set[str] = set()
    current = manager_of(session, person_id)
    while current is not None and current not in seen and len(seen) < MAX_CHAIN:
        if current == manager_id:
            return True
        seen.add(current)
        current = manager_of(session, current)
    return False


def set_manager(
    session: Session, *, rep_id: str, manager_id: str | None, by: str, at: datetime
) -> str | None:
    """Make `manager_id` the rep's manager (None clears it) and record the change; returns
    the manager before. Changes nothing when the rep already has that manager.

    The caller has checked that the rep is not their own manager, nor above them.
    """
    if manager_id == rep_id:
        raise ValueError("a rep cannot be their own manager")
    rep = session.get(Member, rep_id)
    old = rep.manager_id if rep else None
    if old == manager_id:
        return old
    if rep is None:
        rep = Member(slack_user_id=rep_id, updated_at=at)
    rep.manager_id, rep.updated_at = manager_id, at
    session.add(rep)
    record_change(
        session,
        what=f"manager of <@{rep_id}>",
        old=f"<@{old}>" if old else None,
        new=f"<@{manager_id}>" if manager_id else NO_MANAGER,
        by=by,
        at=at,
    )
    session.flush()
    return old


@dataclass(frozen=True)
class TeamPage:
    """A manager and the first of their reps (by user id); `reps` counts them all."""

    manager_id: str
    rep_ids: list[str]
    reps: int


def teams(session: Session, *, managers: int, reps_each: int) -> tuple[list[TeamPage], int]:
    """The first `managers` managers (by user id) with up to `reps_each` reps each, and how
    many managers there are. Reads `ix_member_manager_id`, a few rows per manager shown."""
    has_manager = col(Member.manager_id).is_not(None)
    total = session.exec(
        select(func.count(func.distinct(Member.manager_id))).where(has_manager)
    ).one()
    sizes = session.exec(
        select(Member.manager_id, func.count())
        .where(has_manager)
        .group_by(col(Member.manager_id))
        .order_by(col(Member.manager_id))
        .limit(managers)
    ).all()
    pages = []
    for manager_id, size in sizes:
        assert manager_id is not None  # the WHERE clause
        rep_ids = session.exec(
            select(Member.slack_user_id)
            .where(Member.manager_id == manager_id)
            .order_by(col(Member.slack_user_id))
            .limit(reps_each)
        ).all()
        pages.append(TeamPage(manager_id=manager_id, rep_ids=list(rep_ids), reps=int(size)))
    return pages, int(total)


def reps_without_manager(session: Session, *, limit: int) -> tuple[list[str], int]:
    """People who own leads in work (the reps `storage.reports.rep_count` counts) but have no
    manager to escalate to: the first `limit` by user id, and how many there are.

    The owners come from `ix_lead_status_owner` alone (leads in work only), made distinct
    before each is looked up in `member` by primary key.
    """
    owners = (
        select(col(Lead.owner_id).label("owner_id"))
        .where(col(Lead.status).in_(IN_WORK), col(Lead.owner_id).is_not(None))
        .distinct()
        .subquery()
    )
    # The count rides along on each row (a window over all of them), so the in-work leads
    # are read once for both the names and the total.
    rows = session.exec(
        select(owners.c.owner_id, func.count().over())
        .select_from(owners)
        .outerjoin(Member, col(Member.slack_user_id) == owners.c.owner_id)
        .where(col(Member.manager_id).is_(None))
        .order_by(owners.c.owner_id)
        .limit(limit)
    ).all()
    total = int(rows[0][1]) if rows else 0
    return [str(owner) for owner, _ in rows], total


MARKETING = "marketing"  # `SettingChange.what` for who joined or left marketing


def set_marketing(
    session: Session, *, user_ids: Sequence[str], marketing: bool, by: str, at: datetime
) -> list[str]:
    """Put the people in marketing (or take them out) and record the change; returns those
    whose role changed, in the order given. Nobody's reporting line is touched."""
    changed = []
    for user_id in dict.fromkeys(user_ids):
        person = session.get(Member, user_id) or Member(slack_user_id=user_id, updated_at=at)
        if person.marketing == marketing:
            continue
        person.marketing, person.updated_at = marketing, at
        session.add(person)
        changed.append(user_id)
    if changed:
        mentions = ", ".join(f"<@{user_id}>" for user_id in changed)
        record_change(
            session,
            what=MARKETING,
            old=None,
            new=f"{mentions} {'joined' if marketing else 'left'}",
            by=by,
            at=at,
        )
        session.flush()
    return changed


def marketers(session: Session, *, limit: int) -> tuple[list[str], int]:
    """The first `limit` people in marketing (by user id), and how many there are
    (`ix_member_marketing`)."""
    in_marketing = col(Member.marketing).is_(True)
    total = session.exec(select(func.count()).select_from(Member).where(in_marketing)).one()
    ids = session.exec(
        select(Member.slack_user_id)
        .where(in_marketing)
        .order_by(col(Member.slack_user_id))
        .limit(limit)
    ).all()
    return list(ids), int(total)


def is_marketer(session: Session, slack_user_id: str) -> bool:
    person = session.get(Member, slack_user_id)
    return bool(person and person.marketing)


def names(session: Session, user_ids: Iterable[str]) -> dict[str, str]:
    """The names Slack gave the people the bot knows, by user id (primary key look-ups); those
    without a known name are left out."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = session.exec(
        select(Member.slack_user_id, Member.name).where(col(Member.slack_user_id).in_(wanted))
    )
    return {user_id: name for user_id, name in rows if name}


@dataclass(frozen=True)
class TeamOf:
    """A team as the views need it: its name, persona and members."""

    name: str
    persona: str | None
    member_ids: list[str]


def set_team(
    session: Session,
    *,
    name: str,
    persona: str | None,
    member_ids: Sequence[str],
    by: str,
    at: datetime,
) -> tuple[TeamOf, TeamOf | None]:
    """Make the team `name` (case and spacing ignored) exactly these members, around
    `persona`; returns the team and what it was before (None: new)."""
    key = " ".join(name.split()).lower()
    row = session.exec(select(Team).where(Team.key == key)).first()
    old = None
    if row is None:
        row = Team(key=key, name=" ".join(name.split()), persona=persona, set_by=by, set_at=at)
        session.add(row)
        session.flush()
    else:
        old = team_named(session, key)
        row.persona, row.set_by, row.set_at = persona, by, at
        session.add(row)
        for member in session.exec(select(TeamMember).where(TeamMember.team_id == row.id)):
            session.delete(member)
        session.flush()
    assert row.id is not None
    for user_id in dict.fromkeys(member_ids):
        session.add(TeamMember(team_id=row.id, user_id=user_id))
    mentions = ", ".join(f"<@{user_id}>" for user_id in dict.fromkeys(member_ids))
    around = f" around {persona}" if persona else ""
    record_change(
        session,
        what=f"team {row.name}",
        old=None,
        new=f"{mentions}{around}",
        by=by,
        at=at,
    )
    session.flush()
    team = team_named(session, key)
    assert team is not None
    return team, old


def team_named(session: Session, key: str) -> TeamOf | None:
    row = session.exec(select(Team).where(Team.key == key)).first()
    if row is None:
        return None
    ids = session.exec(
        select(TeamMember.user_id)
        .where(TeamMember.team_id == row.id)
        .order_by(col(TeamMember.user_id))
    ).all()
    return TeamOf(row.name, row.persona, list(ids))


def teams_of(session: Session, user_id: str) -> list[TeamOf]:
    """The teams someone belongs to (`ix_team_member_user_id`), by name."""
    rows = session.exec(
        select(Team)
        .join(TeamMember, col(TeamMember.team_id) == col(Team.id))
        .where(TeamMember.user_id == user_id)
        .order_by(col(Team.key))
    ).all()
    found = [team_named(session, row.key) for row in rows]
    return [team for team in found if team is not None]


def all_teams(session: Session, *, limit: int) -> list[TeamOf]:
    rows = session.exec(select(Team).order_by(col(Team.key)).limit(limit)).all()
    found = [team_named(session, row.key) for row in rows]
    return [team for team in found if team is not None]


def team_reps(session: Session, user_id: str) -> tuple[TeamOf, list[str]] | None:
    """The first team someone belongs to, and its members who are not in marketing (the
    reps whose leads make its sales figures); None for someone in no team."""
    teams = teams_of(session, user_id)
    if not teams:
        return None
    team = teams[0]
    marketers = set(
        session.exec(
            select(Member.slack_user_id).where(
                col(Member.slack_user_id).in_(team.member_ids), col(Member.marketing).is_(True)
            )
        ).all()
    )
    return team, [member for member in team.member_ids if member not in marketers]
