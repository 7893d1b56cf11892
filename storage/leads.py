"""Reads behind `/lead`: one lead, its latest events, and a rep's open leads — each query
served by an index and bounded by what the reply shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select

from domain.cadence import SalesSla, outcome_after
from domain.grading import Grade, LeadStatus
from storage.models import Lead, LeadEvent

# The statuses a rep still works; `avoid` leads are left out by grade (DESIGN §2, "open").
WORKED_STATUSES = (LeadStatus.OPEN.value, LeadStatus.ACCEPTED.value)


@dataclass(frozen=True)
class OpenLeads:
    """The first `shown` of a rep's open leads, most overdue first, and how many there are."""

    shown: list[Lead]
    total: int


def lead_by_external_id(session: Session, *, external_id: str) -> Lead | None:
    """The projection row for a CRM id (unique index on `external_id`)."""
    return session.exec(select(Lead).where(Lead.external_id == external_id)).first()


def event_logged(session: Session, *, event_id: str) -> bool:
    """Whether an event with this id is in the log (unique index on `event_id`)."""
    found = session.exec(select(LeadEvent.id).where(LeadEvent.event_id == event_id)).first()
    return found is not None


def recent_events(session: Session, *, external_id: str, limit: int = 10) -> list[LeadEvent]:
    """A lead's latest events, newest first, read backwards along ix_lead_event_lead_occurred."""
    query = (
        select(LeadEvent)
        .where(LeadEvent.lead_external_id == external_id)
        .order_by(col(LeadEvent.occurred_at).desc(), col(LeadEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())


def open_leads_of(
    session: Session, *, owner_id: str, now: datetime, sla: SalesSla, limit: int = 20
) -> OpenLeads:
    """A rep's leads on a cadence (open or accepted, sales-ready or review), next touch due
    soonest — so most overdue — first, then those with every touch in and their window still
    running; counted only when more exist than are shown. Leads that need an outcome are
    `needs_outcome_of`'s.

    Each status is read on its own along ix_lead_status_owner, which then yields the
    leads in due order, so at most `limit` of each are read whatever the rep owns: `status IN`
    would make the database sort all of them first (the rep with 47k leads: 28 ms).
    """
    mine = col(Lead.owner_id) == owner_id
    since = now - outcome_after(sla)
    touch_due = and_(
        # A touch falls due inside its window: the lower bound skips, in due order, the leads
        # whose window ended long ago (they need an outcome) without reading them.
        col(Lead.next_touch_due) > since - sla.window,
        col(Lead.window_ends_at) > since,
    )
    all_in = and_(col(Lead.next_touch_due).is_(None), col(Lead.window_ends_at) > now)
    shown = _first_per_status(
        session, (mine, touch_due), order=col(Lead.next_touch_due), limit=limit
    )
    if len(shown) < limit:  # then the leads with every touch logged, by id
        shown.extend(
            session.exec(
                select(Lead)
                .where(mine, col(Lead.status).in_(WORKED_STATUSES), all_in)
                .order_by(col(Lead.external_id))
                .limit(limit - len(shown))
            ).all()
        )
    if len(shown) < limit:
        return OpenLeads(shown=shown, total=len(shown))
    total = session.exec(
        select(func.count())
        .select_from(Lead)
        .where(mine, col(Lead.status).in_(WORKED_STATUSES), or_(touch_due, all_in))
    ).one()
    return OpenLeads(shown=shown, total=int(total))


def needs_outcome_of(
    session: Session, *, owner_id: str, now: datetime, sla: SalesSla, limit: int = 20
) -> OpenLeads:
    """A rep's leads whose window has ended, waiting for won, lost, rejected or recycled
    (`domain.cadence.needs_outcome`), the longest waiting first; read per status along
    ix_lead_owner_status_window."""
    waiting = (
        col(Lead.owner_id) == owner_id,
        col(Lead.window_ends_at) <= now,
        or_(
            col(Lead.next_touch_due).is_(None),
            col(Lead.window_ends_at) <= now - outcome_after(sla),
        ),
    )
    shown = _first_per_status(session, waiting, order=col(Lead.window_ends_at), limit=limit)
    if len(shown) < limit:
        return OpenLeads(shown=shown, total=len(shown))
    total = session.exec(
        select(func.count())
        .select_from(Lead)
        .where(col(Lead.status).in_(WORKED_STATUSES), *waiting)
    ).one()
    return OpenLeads(shown=shown, total=int(total))


def _first_per_status(
    session: Session, where: Sequence[ColumnElement[bool]], *, order: Any, limit: int
) -> list[Lead]:
    """The first `limit` leads in work by `order` (then id) matching `where`, read status by
    status along an index that has the status before `order`: `status IN` would make the
    database sort every match first."""
    shown: list[Lead] = []
    for status in WORKED_STATUSES:
        shown.extend(
            session.exec(
                select(Lead)
                .where(col(Lead.status) == status, *where)
                .order_by(order, col(Lead.external_id))
                .limit(limit)
            ).all()
        )
    shown.sort(key=lambda lead: (getattr(lead, order.key), lead.external_id))
    return shown[:limit]


def due_leads_of(
    session: Session, *, owner_id: str, now: datetime, limit: int
) -> tuple[list[Lead], int]:
    """A rep's leads in work whose next touch is not yet due, soonest first, and how many there
    are: the rep's slices of ix_lead_status_owner (one per status) after `now`, counted
    only when more exist than are shown."""
    worked = (
        col(Lead.owner_id) == owner_id,
        col(Lead.status).in_(WORKED_STATUSES),
        col(Lead.next_touch_due) > now,
        col(Lead.grade) != Grade.AVOID.value,
    )
    shown = list(
        session.exec(
            select(Lead)
            .where(*worked)
            .order_by(col(Lead.next_touch_due), col(Lead.external_id))
            .limit(limit)
        ).all()
    )
    if len(shown) < limit:
        return shown, len(shown)
    total = session.exec(select(func.count()).select_from(Lead).where(*worked)).one()
    return shown, int(total)


def unassigned_leads(session: Session, *, limit: int = 20) -> OpenLeads:
    """Leads in work that no rep owns (no owner, or an owner e-mail no Slack user has), oldest
    first; duplicates left out (their original is worked). Read per status along
    ix_lead_unassigned, so at most `limit` of each are read however many wait."""
    waiting = (col(Lead.owner_id).is_(None), col(Lead.duplicate_of).is_(None))
    shown = _first_per_status(session, waiting, order=col(Lead.created_at), limit=limit)
    if len(shown) < limit:
        return OpenLeads(shown=shown, total=len(shown))
    return OpenLeads(shown=shown, total=unassigned_count(session))


def unassigned_count(session: Session) -> int:
    """How many leads in work no rep owns (duplicates aside), counted along ix_lead_unassigned."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Lead)
            .where(
                col(Lead.status).in_(WORKED_STATUSES),
                col(Lead.owner_id).is_(None),
                col(Lead.duplicate_of).is_(None),
            )
        ).one()
    )


# The most a search shows, and the most candidates a "did you mean" weighs.
FOUND_MAX = 10
CANDIDATES = 200
ID_MAX_GUESSED = 64  # longer text is searched as a name, never guessed at as an id
_ABOVE = "\U0010ffff"  # sorts after any character: [text, text + _ABOVE) is "starts with text"


def _starts_with(column: Any, text: str) -> ColumnElement[bool]:
    """`column` starts with `text`, as a range an index on `column` serves."""
    return and_(column >= text, column < text + _ABOVE)


def search(session: Session, *, text: str, limit: int = FOUND_MAX) -> tuple[list[Lead], bool]:
    """Leads whose e-mail, name or company starts with `text` (case ignored), e-mail matches
    first, then by name; each read along its own index (ix_lead_email_created,
    ix_lead_name_lower, ix_lead_company_lower). The leads, and whether there are more."""
    wanted = text.strip().lower()
    found: dict[str, Lead] = {}
    for condition, order in (
        (_starts_with(col(Lead.email_normalized), wanted), col(Lead.email_normalized)),
        (_starts_with(func.lower(Lead.name), wanted), func.lower(Lead.name)),
        (_starts_with(func.lower(Lead.company), wanted), func.lower(Lead.company)),
    ):
        for lead in session.exec(
            select(Lead).where(condition).order_by(order, col(Lead.external_id)).limit(limit + 1)
        ):
            found.setdefault(lead.external_id, lead)
    leads = list(found.values())
    return leads[:limit], len(leads) > limit


def ids_near(session: Session, *, text: str) -> list[str]:
    """Lead ids a mistyped one may have meant: those sharing its longest known beginning (read
    along the unique index on `external_id`), and those ending in `-text` when it was typed
    without its prefix (`1001` for `L-1001`; a scan of that index alone, on this miss only)."""
    near: list[str] = []
    if not text or len(text) > ID_MAX_GUESSED or any(part.isspace() for part in text):
        return near  # ids have no spaces and are short: nothing typed so could be one
    # A few beginnings, longest first (each one indexed read): enough for a typo or two.
    lengths = sorted({len(text) - 1, len(text) - 2, len(text) * 2 // 3, 2}, reverse=True)
    for length in (length for length in lengths if length >= 2):
        near = list(
            session.exec(
                select(Lead.external_id)
                .where(_starts_with(col(Lead.external_id), text[:length]))
                .order_by(col(Lead.external_id))
                .limit(CANDIDATES)
            )
        )
        if near:
            break
    near += list(
        session.exec(
            select(Lead.external_id)
            .where(col(Lead.external_id).endswith(f"-{text}", autoescape=True))
            .order_by(col(Lead.external_id))
            .limit(CANDIDATES)
        )
    )
    return near
