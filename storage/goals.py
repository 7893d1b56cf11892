"""Goals: marketing's commitment split by source, persona or team, and what each delivered.

Delivered counts sales-ready leads (not duplicates) created in a period: for a source or a
persona, those whose source (persona) reads as the goal's name, case and spacing ignored (the
distinct names are read along ix_lead_source_created / ix_lead_persona_created); for a team,
those its reps own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from domain.briefing import campaign_key
from domain.grading import Grade
from storage import briefs, members
from storage.models import Goal, Lead
from storage.workspace import record_change

DIMENSIONS = ("source", "persona", "team")
_COLUMNS: dict[str, Any] = {"source": Lead.source, "persona": Lead.persona}


def set_goal(
    session: Session, *, dimension: str, name: str, per_month: int, by: str, at: datetime
) -> int | None:
    """Set (or, with 0, remove) the goal; returns what it was a month before (None: none)."""
    key = campaign_key(name)
    row = session.exec(select(Goal).where(Goal.dimension == dimension, Goal.key == key)).first()
    old = row.per_month if row else None
    if per_month == 0:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(
            Goal(
                dimension=dimension,
                key=key,
                name=" ".join(name.split()),
                per_month=per_month,
                set_by=by,
                set_at=at,
            )
        )
    else:
        row.per_month, row.set_by, row.set_at = per_month, by, at
        session.add(row)
    record_change(
        session,
        what=f"goal {dimension} {' '.join(name.split())}",
        old=f"{old:,} a month" if old else None,
        new=f"{per_month:,} a month" if per_month else "removed",
        by=by,
        at=at,
    )
    session.flush()
    return old


def all_goals(session: Session) -> list[Goal]:
    return list(session.exec(select(Goal).order_by(col(Goal.dimension), col(Goal.key))).all())


def known_name(session: Session, *, dimension: str, name: str) -> bool:
    """Whether any lead carries this source or persona (or the team exists)."""
    key = campaign_key(name)
    if dimension == "team":
        return members.team_named(session, key) is not None
    return bool(briefs.names_for(session, key, _COLUMNS[dimension]))


def delivered_each(
    session: Session, rows: list[Goal], *, start: datetime, end: datetime
) -> list[int]:
    """For each goal, the sales-ready leads (not duplicates) created in [start, end) that
    count for it. The names leads carry are read once per dimension, not once per goal."""
    spellings: dict[str, list[str]] = {
        dimension: briefs.lead_names(session, column)
        for dimension, column in _COLUMNS.items()
        if any(row.dimension == dimension for row in rows)
    }
    return [_delivered(session, row, spellings, start=start, end=end) for row in rows]


def _delivered(
    session: Session,
    goal: Goal,
    spellings: dict[str, list[str]],
    *,
    start: datetime,
    end: datetime,
) -> int:
    if goal.dimension == "team":
        team = members.team_named(session, goal.key)
        if team is None or not team.member_ids:
            return 0
        matches: Any = col(Lead.owner_id).in_(team.member_ids)
    else:
        names = [name for name in spellings[goal.dimension] if campaign_key(name) == goal.key]
        if not names:
            return 0
        matches = col(_COLUMNS[goal.dimension]).in_(names)
    count = session.exec(
        select(func.count())
        .select_from(Lead)
        .where(
            col(Lead.grade) == Grade.SALES_READY.value,
            col(Lead.created_at) >= start,
            col(Lead.created_at) < end,
            col(Lead.duplicate_of).is_(None),
            matches,
        )
    ).one()
    return int(count)
