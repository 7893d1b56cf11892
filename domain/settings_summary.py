"""What `/smarketing settings` shows, as plain data: the targets, both SLAs, reporting lines,
the schedules, and what Slack refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from domain.cadence import SalesSla
from domain.funnel import Period
from domain.schedule import DigestSchedule, PostingProblem


@dataclass(frozen=True)
class Change:
    what: str
    old: str | None
    new: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Team:
    """A manager and the first of their reps; `reps` counts them all."""

    manager_id: str
    rep_ids: list[str]
    reps: int


@dataclass(frozen=True)
class WorkspaceSettings:
    """What `/smarketing settings` shows, read from the store by services.settings_changes."""

    sla: SalesSla
    sla_is_default: bool
    threshold: int
    threshold_is_default: bool
    timezone: str
    target_amount: Decimal | None = None
    target_period: Period | None = None
    target_set_by: str | None = None
    target_set_at: datetime | None = None
    leads_per_month: int | None = None  # None: the method's default commitment
    leads_per_rep: bool = False
    changes: list[Change] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)  # the first managers, with their reps
    managers: int = 0  # all managers
    unmanaged_rep_ids: list[str] = field(default_factory=list)  # the first of them
    unmanaged_reps: int = 0  # all reps with leads in work and no manager
    tracking_from: date | None = None  # the day tracking started; None before any lead
    tracking_set: bool = False  # an admin set it (else: the first lead's day)
    marketer_ids: list[str] = field(default_factory=list)  # the first people in marketing
    marketers: int = 0  # all of them
    digest_channel: str | None = None  # None: the digest is not posted
    digest_schedule: DigestSchedule = field(default_factory=DigestSchedule)
    monthly_channel: str | None = None  # SMARKETING_MANAGEMENT_CHANNEL, else the digest's
    monthly_channel_configured: bool = False  # from SMARKETING_MANAGEMENT_CHANNEL
    posting_problems: list[PostingProblem] = field(default_factory=list)
    # Escalations of reps without a manager go to this admin (the first of SMARKETING_ADMINS).
    escalation_admin: str | None = None
    unreachable_rep_ids: list[str] = field(default_factory=list)  # Slack cannot message them
