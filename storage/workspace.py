"""The workspace's settings as the rules need them: the SLA in force, the grading threshold,
the revenue target, with every change recorded (who, when, old → new)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from domain.cadence import SalesSla
from domain.grading import DEFAULT_THRESHOLD
from domain.lead_state import Rules
from domain.sla import MarketingSla
from storage.models import (
    MarketingCommitment,
    RevenueTarget,
    SalesCommitment,
    Setting,
    SettingChange,
)

GRADING_THRESHOLD = "grading.threshold"
REVENUE_TARGET = "revenue target"  # `SettingChange.what` for a new revenue target
TARGET_PERIODS = ("year", "quarter", "month")


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
    """The target in force: the newest row (the later-stored one if two share a time)."""
    return session.exec(
        select(RevenueTarget)
        .order_by(col(RevenueTarget.set_at).desc(), col(RevenueTarget.id).desc())
        .limit(1)
    ).first()


def set_revenue_target(
    session: Session, *, amount: Decimal, period: str, by: str, at: datetime
) -> RevenueTarget:
    """Put a new target in force and record the change (old → new, who, when).

    The amount is kept to the cent; the caller has checked it is above zero.
    """
    if period not in TARGET_PERIODS:
        raise ValueError(f"period must be one of {', '.join(TARGET_PERIODS)}, not {period!r}")
    amount = amount.quantize(Decimal("0.01"))
    if amount <= 0:
        raise ValueError("a revenue target must be above zero")
    old = revenue_target(session)
    row = RevenueTarget(amount=amount, period=period, set_by=by, set_at=at)
    session.add(row)
    record_change(
        session,
        what=REVENUE_TARGET,
        old=describe_target(old.amount, old.period) if old else None,
        new=describe_target(amount, period),
        by=by,
        at=at,
    )
    session.flush()
    return row


def describe_target(amount: Decimal, period: str) -> str:
    """`$1,200,000 per year`: how a target reads in the change history."""
    cents = Decimal(amount).quantize(Decimal("0.01"))
    money = f"${cents:,.0f}" if cents == cents.to_integral_value() else f"${cents:,.2f}"
    return f"{money} per {period}"


def marketing_commitment(session: Session) -> MarketingCommitment | None:
    """Marketing's commitment in force, or None while the method's default applies."""
    return session.exec(
        select(MarketingCommitment)
        .order_by(col(MarketingCommitment.set_at).desc(), col(MarketingCommitment.id).desc())
        .limit(1)
    ).first()


def record_change(
    session: Session, *, what: str, old: str | None, new: str, by: str, at: datetime
) -> None:
    session.add(
        SettingChange(what=what, old_value=old, new_value=new, changed_by=by, changed_at=at)
    )


def recent_changes(session: Session, *, limit: int = 10) -> list[SettingChange]:
    """The newest changes first (later-stored first when two share a time)."""
    return list(
        session.exec(
            select(SettingChange)
            .order_by(col(SettingChange.changed_at).desc(), col(SettingChange.id).desc())
            .limit(limit)
        ).all()
    )


def marketing_sla(session: Session) -> MarketingSla:
    """Marketing's commitment in force as the rules see it (the method's default until set)."""
    row = marketing_commitment(session)
    if row is None:
        return MarketingSla()
    return MarketingSla(leads_per_month=row.leads_per_month, per_rep=row.per_rep)
