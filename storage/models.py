"""The tables (DESIGN §2): the lead event log, the lead projection, members, targets, SLAs,
settings with their change history, and postings of scheduled messages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, Numeric, UniqueConstraint, func, text
from sqlmodel import Field, SQLModel

from domain.grading import Grade, LeadStatus
from storage.types import UTCDateTime


def _only(condition: str) -> dict[str, Any]:
    """A partial index: only the rows that meet `condition` have an entry (migration 0016).
    Every read through it names the column the condition is about, so the condition is
    implied and the database still chooses the index."""
    where = text(condition)
    return {"sqlite_where": where, "postgresql_where": where}


class LeadEvent(SQLModel, table=True):
    """One thing that happened to a lead. Append-only: rows are never updated or deleted.

    `event_id` is the sender's id (the CRM's, or one the bot makes for a Slack action) and is
    unique, so a retried posting is recognised and changes nothing.
    """

    __tablename__ = "lead_event"
    __table_args__ = (
        Index("ix_lead_event_lead_occurred", "lead_external_id", "occurred_at"),
        Index("ix_lead_event_type_occurred", "type", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=255, unique=True)
    type: str = Field(max_length=32)
    lead_external_id: str = Field(max_length=255)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(sa_type=UTCDateTime)
    origin: str = Field(max_length=16)  # "api", "slack" or "csv"
    actor_id: str | None = Field(default=None, max_length=64)  # Slack user who did it, if any
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Lead(SQLModel, table=True):
    """The current state of one lead, kept up to date as each event is stored.

    Every column is `domain.lead_state.LeadState`, plus `duplicate_of`, which depends on other
    leads. A lead is overdue when `next_touch_due` has passed, and overdue since that moment.
    """

    __tablename__ = "lead"
    __table_args__ = (
        # A rep's leads that need an outcome: windows ended, per status.
        Index(
            "ix_lead_owner_status_window", "owner_id", "status", "window_ends_at", "next_touch_due"
        ),
        # Breaches: windows that ended in a period, per rep and for everyone.
        Index(
            "ix_lead_owner_window",
            "owner_id",
            "window_ends_at",
            "sla_met_at",
            "closed_at",
            **_only("window_ends_at IS NOT NULL"),
        ),
        Index(
            "ix_lead_window",
            "window_ends_at",
            "sla_met_at",
            "closed_at",
            **_only("window_ends_at IS NOT NULL"),
        ),
        # Median first-touch time of leads assigned in a period.
        # (with the grade: sales-ready leads' speed to lead, apart)
        Index("ix_lead_owner_assigned", "owner_id", "assigned_at", "first_touch_at", "grade"),
        Index("ix_lead_assigned", "assigned_at", "first_touch_at", "grade"),
        Index(
            "ix_lead_status_next_touch_due",
            "status",
            "next_touch_due",
            **_only("next_touch_due IS NOT NULL"),
        ),
        Index("ix_lead_grade_created", "grade", "created_at", "duplicate_of"),
        Index("ix_lead_source_created", "source", "created_at"),
        Index("ix_lead_campaign_created", "campaign", "created_at"),
        Index("ix_lead_persona_created", "persona", "created_at"),
        # The trailing-year and period aggregates read these indexes alone, never the rows.
        Index(
            "ix_lead_status_closed",
            "status",
            "closed_at",
            "won_amount",
            **_only("closed_at IS NOT NULL"),
        ),
        Index("ix_lead_created_duplicate", "created_at", "duplicate_of"),
        # Covers `sales_counts` (per rep: in window, overdue) over every lead in work, and
        # /lead mine, /sla-status and App Home: a rep's leads in work per status, in due order.
        Index(
            "ix_lead_status_owner",
            "status",
            "owner_id",
            "next_touch_due",
            "window_ends_at",
            "grade",
        ),
        Index(
            "ix_lead_status_accepted", "status", "accepted_at", **_only("accepted_at IS NOT NULL")
        ),
        # /lead unassigned: leads in work nobody owns, oldest first.
        Index(
            "ix_lead_unassigned",
            "status",
            "owner_id",
            "created_at",
            **_only("owner_id IS NULL"),
        ),
        Index("ix_lead_email_created", "email_normalized", "created_at"),
        # `/lead NAME-OR-COMPANY`: leads whose name or company starts with what was typed.
        Index("ix_lead_name_lower", func.lower(text("name"))),
        Index("ix_lead_company_lower", func.lower(text("company"))),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=255, unique=True)
    email: str | None = Field(default=None, max_length=320)
    email_normalized: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=255)
    company: str | None = Field(default=None, max_length=255)
    source: str | None = Field(default=None, max_length=255)
    campaign: str | None = Field(default=None, max_length=255)
    persona: str | None = Field(default=None, max_length=255)
    fit: int | None = None
    interest: int | None = None
    grade: str = Field(default=Grade.UNGRADED.value, max_length=16)
    missing: str = Field(default="", max_length=64)  # comma-separated: fit, interest, email
    incomplete: bool = True
    status: str = Field(default=LeadStatus.OPEN.value, max_length=16)
    owner_id: str | None = Field(default=None, max_length=64)
    owner_email: str | None = Field(default=None, max_length=320)  # given but not matched
    assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cadence_from: datetime | None = Field(default=None, sa_type=UTCDateTime)
    touches: int = 0
    first_touch_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_touch_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sla_met_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_touch_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    window_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duplicate_of: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    won_amount: Decimal | None = Field(default=None, sa_type=Numeric(16, 2))
    reject_reason: str | None = Field(default=None, max_length=500)
    lost_reason: str | None = Field(default=None, max_length=500)
    recycle_reason: str | None = Field(default=None, max_length=500)
    last_event_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class OwnerEmail(SQLModel, table=True):
    """E-mail → Slack user, as `users.lookupByEmail` answered; a miss is kept too, so an
    unknown address is asked about once an hour at most, not for every event."""

    __tablename__ = "owner_email"

    email: str = Field(primary_key=True, max_length=320)
    slack_user_id: str | None = Field(default=None, max_length=64)
    looked_up_at: datetime = Field(sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    """A person in the Slack workspace the bot knows: a rep, a manager, a marketer."""

    __tablename__ = "member"

    slack_user_id: str = Field(primary_key=True, max_length=64)
    email: str | None = Field(default=None, max_length=320, index=True)
    name: str | None = Field(default=None, max_length=255)
    tz: str | None = Field(default=None, max_length=64)
    manager_id: str | None = Field(default=None, max_length=64, index=True)
    # In marketing (`/smarketing marketing @user…`): their Home and `/sla-status` show
    # marketing's side first.
    marketing: bool = Field(default=False, index=True)
    deactivated: bool = False
    updated_at: datetime = Field(sa_type=UTCDateTime)


class RevenueTarget(SQLModel, table=True):
    """The revenue goal; the newest row is in force, older rows are its history."""

    __tablename__ = "revenue_target"

    id: int | None = Field(default=None, primary_key=True)
    amount: Decimal = Field(sa_type=Numeric(18, 2))
    period: str = Field(max_length=16)  # year, quarter, month
    set_by: str = Field(max_length=64)
    set_at: datetime = Field(sa_type=UTCDateTime, index=True)


class MarketingCommitment(SQLModel, table=True):
    """Marketing's side of the SLA: N sales-ready leads a month, in total or per rep."""

    __tablename__ = "marketing_commitment"

    id: int | None = Field(default=None, primary_key=True)
    leads_per_month: int
    per_rep: bool = False
    set_by: str = Field(max_length=64)
    set_at: datetime = Field(sa_type=UTCDateTime, index=True)


class SalesCommitment(SQLModel, table=True):
    """Sales' side of the SLA: K touches in D days, first touch within H hours, escalate after E."""

    __tablename__ = "sales_commitment"

    id: int | None = Field(default=None, primary_key=True)
    touches: int
    days: int
    first_touch_hours: int
    escalate_after_hours: int
    sales_ready_first_touch_hours: int | None = None  # speed to lead: sales-ready leads' own H
    set_by: str = Field(max_length=64)
    set_at: datetime = Field(sa_type=UTCDateTime, index=True)


class Setting(SQLModel, table=True):
    """A workspace setting changed in Slack (digest channel and time, grading threshold, …)."""

    __tablename__ = "setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=2000)
    set_by: str = Field(max_length=64)
    set_at: datetime = Field(sa_type=UTCDateTime)


class SettingChange(SQLModel, table=True):
    """Who changed what, when, from what to what — shown in `/smarketing settings`."""

    __tablename__ = "setting_change"

    id: int | None = Field(default=None, primary_key=True)
    what: str = Field(max_length=64, index=True)
    old_value: str | None = Field(default=None, max_length=2000)
    new_value: str = Field(max_length=2000)
    changed_by: str = Field(max_length=64)
    changed_at: datetime = Field(sa_type=UTCDateTime, index=True)


class Posting(SQLModel, table=True):
    """One scheduled message, claimed under a unique key before it is sent and marked after."""

    __tablename__ = "delivery"  # named before "posting" was the word
    __table_args__ = (
        UniqueConstraint("key", name="uq_delivery_key"),
        Index("ix_delivery_status_kind", "status", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255)
    kind: str = Field(max_length=32)  # digest, monthly, nudge, escalation
    status: str = Field(default="pending", max_length=16)  # pending, sent, failed
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=128)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    late: bool = False
    error: str | None = Field(default=None, max_length=500)
    channel: str | None = Field(default=None, max_length=64)
    message_ts: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class FiguresSnapshot(SQLModel, table=True):
    """The state figures a digest or report showed — compliance and overdue leads by rep — kept
    so the next one can compare with them: the projection only knows the present."""

    __tablename__ = "figures_snapshot"

    key: str = Field(primary_key=True, max_length=64)  # "week:2026-W49", "month:2026-12"
    compliance: str | None = Field(default=None, max_length=64)  # a Fraction, "87/100"
    overdue_by_rep: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    taken_at: datetime = Field(sa_type=UTCDateTime)


class FollowUp(SQLModel, table=True):
    """What the bot did about one lead's follow-up: when its rep was last nudged, whether it is
    snoozed, which breach was escalated. Kept apart from the projection, which is rebuilt from
    the event log and knows nothing of messages."""

    __tablename__ = "follow_up"

    lead_external_id: str = Field(primary_key=True, max_length=255)
    last_nudged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozes: int = 0
    escalated_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class HubSpotInbox(SQLModel, table=True):
    """One event of a HubSpot webhook delivery, stored before the delivery is acknowledged and
    applied afterwards by a worker: once (HubSpot's eventId is unique), in `occurred_at` order
    per object."""

    __tablename__ = "hubspot_inbox"
    __table_args__ = (
        UniqueConstraint("event_id", name="uq_hubspot_inbox_event"),
        Index("ix_hubspot_inbox_pending", "processed_at", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64)
    subscription_type: str = Field(max_length=64)
    object_id: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    event: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=500)


class HubSpotOutbox(SQLModel, table=True):
    """One write-back to HubSpot, queued in the transaction that stored its lead event (the
    event's id is its key: never queued twice) and sent by a job."""

    __tablename__ = "hubspot_outbox"
    __table_args__ = (
        UniqueConstraint("key", name="uq_hubspot_outbox_key"),
        Index("ix_hubspot_outbox_status", "status", "next_attempt_at"),
        Index("ix_hubspot_outbox_contact", "contact_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255)
    lead_external_id: str = Field(max_length=255)
    contact_id: str = Field(max_length=32)
    kind: str = Field(max_length=16)  # call, email, meeting, note, lifecycle, lead_status
    request: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)  # pending, sent, failed
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    hubspot_id: str | None = Field(default=None, max_length=32)  # the object it created
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class HubSpotState(SQLModel, table=True):
    """The connector's own marks: last webhook, last sync and its cursor, the pipelines' stages."""

    __tablename__ = "hubspot_state"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=20000)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Campaign(SQLModel, table=True):
    """A campaign marketing briefed to sales before it runs (`/campaign new`): leads join it by
    its name, case and spacing ignored (`key`)."""

    __tablename__ = "campaign"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)  # the name, lower-cased, spaces collapsed
    name: str = Field(max_length=255)
    persona: str | None = Field(default=None, max_length=255)
    source: str | None = Field(default=None, max_length=255)
    starts_on: date
    ends_on: date = Field(index=True)
    offer: str = Field(max_length=3000)
    talking_points: str = Field(max_length=3000)
    expected_sales_ready: int
    link: str | None = Field(default=None, max_length=1000)
    post_on: date | None = None  # when the brief goes to the campaigns channel (None: at once)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    channel: str | None = Field(default=None, max_length=64)  # where the brief was posted
    message_ts: str | None = Field(default=None, max_length=64)
    posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    scorecard_posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CampaignReady(SQLModel, table=True):
    """A rep who pressed *Ready* on a campaign's brief."""

    __tablename__ = "campaign_ready"

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True)
    user_id: str = Field(max_length=64, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)


class Persona(SQLModel, table=True):
    """A persona card both teams share (`/persona new`): leads link to it by their persona's
    name, case and spacing ignored (`key`)."""

    __tablename__ = "persona"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    name: str = Field(max_length=255)
    who: str = Field(max_length=3000)
    pains: str = Field(max_length=3000)
    buys: str = Field(max_length=3000)
    reach: str = Field(max_length=3000)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Team(SQLModel, table=True):
    """Reps and marketers working together, formed around a persona (`/smarketing team`)."""

    __tablename__ = "team"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    name: str = Field(max_length=255)
    persona: str | None = Field(default=None, max_length=255)
    set_by: str = Field(max_length=64)
    set_at: datetime = Field(sa_type=UTCDateTime)


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"

    team_id: int = Field(foreign_key="team.id", primary_key=True)
    user_id: str = Field(max_length=64, primary_key=True, index=True)


class Goal(SQLModel, table=True):
    """A share of marketing's commitment for one source, persona or team
    (`/smarketing goal source|persona|team NAME N per month`)."""

    __tablename__ = "goal"
    __table_args__ = (UniqueConstraint("dimension", "key", name="uq_goal_dimension_key"),)

    id: int | None = Field(default=None, primary_key=True)
    dimension: str = Field(max_length=16)  # source, persona, team
    key: str = Field(max_length=255)
    name: str = Field(max_length=255)
    per_month: int
    set_by: str = Field(max_length=64)
    set_at: datetime = Field(sa_type=UTCDateTime)
