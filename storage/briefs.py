"""Campaign briefs, who is ready for them, and each campaign's leads as the projection counts
them. A lead joins a campaign by its `campaign` text, case and spacing ignored: the distinct
names leads carry are few, read along `ix_lead_campaign_created`, and matched in Python."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from domain.briefing import Brief, PersonaCard, RepWork, Scorecard, campaign_key
from domain.grading import Grade, LeadStatus
from storage.models import Campaign, CampaignReady, Lead, Persona, Setting
from storage.workspace import record_change

CAMPAIGNS_CHANNEL = "campaigns.channel"


def brief_of(row: Campaign) -> Brief:
    return Brief(
        id=row.id,
        name=row.name,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        offer=row.offer,
        talking_points=row.talking_points,
        expected_sales_ready=row.expected_sales_ready,
        persona=row.persona,
        source=row.source,
        link=row.link,
        post_on=row.post_on,
        created_by=row.created_by,
        posted=row.posted_at is not None,
    )


def by_key(session: Session, key: str) -> Campaign | None:
    return session.exec(select(Campaign).where(Campaign.key == key)).first()


def add(session: Session, brief: Brief, *, at: datetime) -> Campaign:
    row = Campaign(
        key=brief.key,
        name=" ".join(brief.name.split()),
        persona=brief.persona,
        source=brief.source,
        starts_on=brief.starts_on,
        ends_on=brief.ends_on,
        offer=brief.offer,
        talking_points=brief.talking_points,
        expected_sales_ready=brief.expected_sales_ready,
        link=brief.link,
        post_on=brief.post_on,
        created_by=brief.created_by,
        created_at=at,
    )
    session.add(row)
    session.flush()
    return row


def all_campaigns(session: Session, *, limit: int) -> list[Campaign]:
    """The campaigns, the latest to start first."""
    return list(
        session.exec(
            select(Campaign).order_by(col(Campaign.starts_on).desc(), col(Campaign.id)).limit(limit)
        ).all()
    )


def mark_ready(session: Session, *, campaign_id: int, user_id: str, at: datetime) -> bool:
    """Record the rep as ready; False when they already were."""
    if session.get(CampaignReady, (campaign_id, user_id)) is not None:
        return False
    session.add(CampaignReady(campaign_id=campaign_id, user_id=user_id, at=at))
    session.flush()
    return True


def ready_reps(session: Session, campaign_id: int) -> list[str]:
    """Who is ready, in the order they said so."""
    return list(
        session.exec(
            select(CampaignReady.user_id)
            .where(CampaignReady.campaign_id == campaign_id)
            .order_by(col(CampaignReady.at), col(CampaignReady.user_id))
        ).all()
    )


def due_briefs(session: Session, *, today: date) -> list[Campaign]:
    """Briefs not posted yet whose day has come (none set: at once)."""
    return list(
        session.exec(
            select(Campaign)
            .where(col(Campaign.posted_at).is_(None))
            .where((col(Campaign.post_on).is_(None)) | (col(Campaign.post_on) <= today))
            .order_by(col(Campaign.id))
        ).all()
    )


def ended_unscored(session: Session, *, today: date) -> list[Campaign]:
    """Posted campaigns that have ended and whose scorecard is not in their thread yet."""
    return list(
        session.exec(
            select(Campaign)
            .where(
                col(Campaign.ends_on) < today,
                col(Campaign.posted_at).is_not(None),
                col(Campaign.scorecard_posted_at).is_(None),
            )
            .order_by(col(Campaign.id))
        ).all()
    )


def campaigns_channel(session: Session) -> str | None:
    row = session.get(Setting, CAMPAIGNS_CHANNEL)
    return row.value if row else None


def set_campaigns_channel(session: Session, *, channel: str, by: str, at: datetime) -> str | None:
    """Send briefs to `channel` from now on, and record the change; returns the one before."""
    row = session.get(Setting, CAMPAIGNS_CHANNEL)
    old = row.value if row else None
    if row is None:
        row = Setting(key=CAMPAIGNS_CHANNEL, value=channel, set_by=by, set_at=at)
    else:
        row.value, row.set_by, row.set_at = channel, by, at
    session.add(row)
    record_change(
        session,
        what="campaigns channel",
        old=f"<#{old}>" if old else None,
        new=f"<#{channel}>",
        by=by,
        at=at,
    )
    session.flush()
    return old


def lead_names(session: Session, column: Any = Lead.campaign) -> list[str]:
    """The distinct campaign (or persona) names leads carry: the leading column of
    ix_lead_campaign_created (ix_lead_persona_created)."""
    return [
        name
        for name in session.exec(select(column).where(col(column).is_not(None)).distinct()).all()
        if name
    ]


def names_for(session: Session, key: str, column: Any = Lead.campaign) -> list[str]:
    """The spellings leads use for the campaign (or persona) known as `key`."""
    return [name for name in lead_names(session, column) if campaign_key(name) == key]


def unknown_names(
    session: Session, *, known: set[str], column: Any = Lead.campaign, limit: int
) -> tuple[list[str], int]:
    """Names leads carry that no brief (or card) has: the first `limit`, and how many."""
    names: dict[str, str] = {}
    for name in sorted(lead_names(session, column)):
        key = campaign_key(name)
        if key and key not in known:
            names.setdefault(key, " ".join(name.split()))
    found = sorted(names.values(), key=str.lower)
    return found[:limit], len(found)


def unbriefed(session: Session, *, limit: int) -> tuple[list[str], int]:
    """Campaign names leads carry that no brief has: the first `limit`, and how many."""
    return unknown_names(session, known=set(session.exec(select(Campaign.key)).all()), limit=limit)


def persona_by_key(session: Session, key: str) -> Persona | None:
    return session.exec(select(Persona).where(Persona.key == key)).first()


def add_persona(session: Session, card: PersonaCard, *, at: datetime) -> Persona:
    row = Persona(
        key=card.key,
        name=" ".join(card.name.split()),
        who=card.who,
        pains=card.pains,
        buys=card.buys,
        reach=card.reach,
        created_by=card.created_by,
        created_at=at,
    )
    session.add(row)
    session.flush()
    return row


def persona_of(row: Persona) -> PersonaCard:
    return PersonaCard(
        name=row.name,
        who=row.who,
        pains=row.pains,
        buys=row.buys,
        reach=row.reach,
        created_by=row.created_by,
    )


def all_personas(session: Session, *, limit: int) -> list[Persona]:
    return list(session.exec(select(Persona).order_by(col(Persona.key)).limit(limit)).all())


def unknown_personas(session: Session, *, limit: int) -> tuple[list[str], int]:
    """Persona names leads carry that no card has, so the catalogue can catch up."""
    known = set(session.exec(select(Persona.key)).all())
    return unknown_names(session, known=known, column=Lead.persona, limit=limit)


def scorecard(
    session: Session,
    *,
    names: Sequence[str],
    expected: int,
    reasons: int = 3,
    column: Any = Lead.campaign,
) -> Scorecard:
    """The campaign's (or persona's) leads, every lead carrying one of `names`: how many,
    sales-ready, accepted, rejected and why, won and revenue; and per rep, their work."""
    if not names:
        return Scorecard(expected_sales_ready=expected)
    in_campaign = col(column).in_(list(names))
    sales_ready = (col(Lead.grade) == Grade.SALES_READY.value) & col(Lead.duplicate_of).is_(None)
    accepted = col(Lead.accepted_at).is_not(None)
    rejected = col(Lead.status) == LeadStatus.REJECTED.value
    won = col(Lead.status) == LeadStatus.WON.value

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    rows = session.execute(
        sql_select(
            col(Lead.owner_id),
            func.count(),
            count(sales_ready),
            count(accepted),
            count(rejected),
            count(won),
            func.sum(case((won, col(Lead.won_amount)), else_=0)),
            count(col(Lead.touches) > 0),
        )
        .where(in_campaign)
        .group_by(col(Lead.owner_id))
    ).all()
    totals: dict[str, int] = defaultdict(int)
    revenue = Decimal(0)
    by_rep: list[RepWork] = []
    for owner, leads, ready, acc, rej, wins, money, touched in rows:
        amount = Decimal(str(money or 0))
        for name, value in (
            ("leads", leads),
            ("sales_ready", ready),
            ("accepted", acc),
            ("rejected", rej),
            ("won", wins),
        ):
            totals[name] += int(value or 0)
        revenue += amount
        if owner is not None:
            by_rep.append(
                RepWork(
                    rep_id=owner,
                    leads=int(leads),
                    touched=int(touched or 0),
                    accepted=int(acc or 0),
                    won=int(wins or 0),
                    revenue=amount,
                )
            )
    reason = func.lower(col(Lead.reject_reason))
    why = session.execute(
        sql_select(reason, func.count())
        .where(in_campaign, rejected)
        .group_by(reason)
        .order_by(func.count().desc(), reason)
        .limit(reasons)
    ).all()
    by_rep.sort(key=lambda rep: (-rep.won, -rep.accepted, -rep.leads, rep.rep_id))
    return Scorecard(
        expected_sales_ready=expected,
        leads=totals["leads"],
        sales_ready=totals["sales_ready"],
        accepted=totals["accepted"],
        rejected=totals["rejected"],
        won=totals["won"],
        revenue=revenue.quantize(Decimal("0.01")),
        rejection_reasons=tuple((text or "(no reason)", int(n)) for text, n in why),
        by_rep=tuple(by_rep),
    )
