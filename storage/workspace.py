"""The workspace's settings as the rules need them: the SLA in force, the grading threshold,
the revenue target, with every change recorded (who, when, old → new)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from domain.cadence import SalesSla
from domain.grading import DEFAULT_THRESHOLD
from domain.lead_state import Rules
from storage.models import RevenueTarget, SalesCommitment, Setting, SettingChange

GRADING_THRESHOLD = "grading.threshold"


def sales_sla(session: Session) -> SalesSla:
    """The newest sales commitment, or the method's default (6 touches in 14 days, …)."""
    row = session.exec(
        select(SalesCommitment).order_by(col(SalesCommitment.set_at).desc()).limit(1)
    ).first()
    if row is None:
        return SalesSla()
    return SalesSla(
        touches=row.touches,
        days=row.days,
        first_touch_hours=row.first_touch_hours,
        escalate_after_hours=row.escalate_after_hours,
    )


def setting(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else None


def grading_threshold(session: Session) -> int:
    value = setting(session, GRADING_THRESHOLD)
    return int(value) if value is not None else DEFAULT_THRESHOLD


def rules(session: Session) -> Rules:
    return Rules(sla=sales_sla(session), threshold=grading_threshold(session))


def revenue_target(session: Session) -> RevenueTarget | None:
    return session.exec(
        select(RevenueTarget).order_by(col(RevenueTarget.set_at).desc()).limit(1)
    ).first()


def record_change(
    session: Session, *, what: str, old: str | None, new: str, by: str, at: datetime
) -> None:
    session.add(
        SettingChange(what=what, old_value=old, new_value=new, changed_by=by, changed_at=at)
    )


def recent_changes(session: Session, *, limit: int = 10) -> list[SettingChange]:
    return list(
        session.exec(
            select(SettingChange).order_by(col(SettingChange.changed_at).desc()).limit(limit)
        ).all()
    )
