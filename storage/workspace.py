"""The workspace's settings as the rules need them: the SLA in force, the grading threshold,
the revenue target, with every change recorded (who, when, old → new)."""

from __future__ import annotations

from datetime import date, datetime
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
TRACKING_START = "tracking.start"  # the day tracking started, as an admin set it (ISO date)
TRACKING_CHANGE = "tracking start"  # `SettingChange.what` for it
REVENUE_TARGET = "revenue target"  # `SettingChange.what` for a new revenue target
MARKETING_SLA = "marketing SLA"  # … for a new marketing commitment
SALES_SLA = "sales SLA"  # … for a new sales commitment
TARGET_PERIODS = ("year", "quarter", "month")


def sales_commitment(session: Session) -> SalesCommitment | None:
    """Sales' commitment in force (the later-stored one if two share a time), or None while
    the method's default applies."""
    return session.exec(
        select(SalesCommitment)
        .order_by(col(SalesCommitment.set_at).desc(), col(SalesCommitment.id).desc())
        .limit(1)
    ).first()


def sales_sla(session: Session) -> SalesSla:
    """The newest sales commitment, or the method's default (6 touches in 14 days, …)."""
    row = sales_commitment(session)
    if row is None:
        return SalesSla()
    return SalesSla(
        touches=row.touches,
        days=row.days,
        first_touch_hours=row.first_touch_hours,
        escalate_after_hours=row.escalate_after_hours,
        sales_ready_first_touch_hours=row.sales_ready_first_touch_hours,
    )


def setting(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else None


def tracking_start_set(session: Session) -> date | None:
    """The day an admin said tracking started (`/smarketing start DATE`), if they did."""
    value = setting(session, TRACKING_START)
    return date.fromisoformat(value) if value is not None else None


def set_tracking_start(session: Session, *, day: date, by: str, at: datetime) -> date | None:
    """Set the day tracking started and record the change; returns the day before."""
    old = tracking_start_set(session)
    row = session.get(Setting, TRACKING_START)
    if row is None:
        row = Setting(key=TRACKING_START, value=day.isoformat(), set_by=by, set_at=at)
    else:
        row.value, row.set_by, row.set_at = day.isoformat(), by, at
    session.add(row)
    record_change(
        session,
        what=TRACKING_CHANGE,
        old=_day_words(old) if old else None,
        new=_day_words(day),
        by=by,
        at=at,
    )
    session.flush()
    return old


def _day_words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


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


def latest_change(session: Session, *, what: str) -> SettingChange | None:
    """The newest change of one setting (along the index on `what`)."""
    return session.exec(
        select(SettingChange)
        .where(col(SettingChange.what) == what)
        .order_by(col(SettingChange.changed_at).desc(), col(SettingChange.id).desc())
        .limit(1)
    ).first()


def marketing_sla(session: Session) -> MarketingSla:
    """Marketing's commitment in force as the rules see it (the method's default until set)."""
    row = marketing_commitment(session)
    if row is None:
        return MarketingSla()
    return MarketingSla(leads_per_month=row.leads_per_month, per_rep=row.per_rep)


def describe_marketing(sla: MarketingSla) -> str:
    """`150 sales-ready leads per month per rep`: how a commitment reads in the history."""
    return f"{sla.leads_per_month:,} sales-ready leads per month" + (
        " per rep" if sla.per_rep else ""
    )


def describe_sales(sla: SalesSla) -> str:
    """`6 touches in 14 days, first touch within 24 hours, escalate after 48 hours`."""
    return (
        f"{sla.touches:,} touch{'es' if sla.touches != 1 else ''} in {sla.days:,} "
        f"day{'s' if sla.days != 1 else ''}, first touch within {sla.first_touch_hours:,} "
        f"hour{'s' if sla.first_touch_hours != 1 else ''}{_sales_ready(sla)}, escalate after "
        f"{sla.escalate_after_hours:,} hour{'s' if sla.escalate_after_hours != 1 else ''}"
    )


def _sales_ready(sla: SalesSla) -> str:
    hours = sla.sales_ready_first_touch_hours
    if hours is None:
        return ""
    return f" ({hours:,} hour{'s' if hours != 1 else ''} for sales-ready leads)"


def marketing_in_force(session: Session) -> str:
    """Marketing's commitment in force as the history reads it, `(default)` until one is set."""
    default = " (default)" if marketing_commitment(session) is None else ""
    return describe_marketing(marketing_sla(session)) + default


def sales_in_force(session: Session) -> str:
    """Sales' commitment in force as the history reads it, `(default)` until one is set."""
    default = " (default)" if sales_commitment(session) is None else ""
    return describe_sales(sales_sla(session)) + default


def set_marketing_commitment(
    session: Session, *, sla: MarketingSla, by: str, at: datetime
) -> MarketingCommitment:
    """Put marketing's new commitment in force and record the change (old → new, who, when)."""
    old = marketing_in_force(session)
    row = MarketingCommitment(
        leads_per_month=sla.leads_per_month, per_rep=sla.per_rep, set_by=by, set_at=at
    )
    session.add(row)
    record_change(session, what=MARKETING_SLA, old=old, new=describe_marketing(sla), by=by, at=at)
    session.flush()
    return row


def set_sales_commitment(
    session: Session, *, sla: SalesSla, by: str, at: datetime
) -> SalesCommitment:
    """Put sales' new commitment in force and record the change (old → new, who, when).

    The leads' next touch due and window end still follow the old rules until the caller
    runs `storage.events.rederive_leads`.
    """
    old = sales_in_force(session)
    row = SalesCommitment(
        touches=sla.touches,
        days=sla.days,
        first_touch_hours=sla.first_touch_hours,
        escalate_after_hours=sla.escalate_after_hours,
        sales_ready_first_touch_hours=sla.sales_ready_first_touch_hours,
        set_by=by,
        set_at=at,
    )
    session.add(row)
    record_change(
        session,
        what=SALES_SLA,
        old=old,
        new=describe_sales(sla),
        by=by,
        at=at,
    )
    session.flush()
    return row
