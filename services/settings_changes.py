"""What admins set — the revenue target, both sides of the SLA, reporting lines — and what
everyone reads back in `/smarketing settings`. Rights are checked by the caller first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session

from domain.cadence import SalesSla
from domain.funnel import Period
from domain.schedule import DigestSchedule, DigestSettings
from domain.settings_summary import Change, Team, WorkspaceSettings
from domain.sla import MarketingSla
from services.context import Services
from services.posting_status import posting_overview
from storage import events, follow_up_records, goals, members, reports, workspace
from storage.schedules import DIGEST, digest_settings, set_digest

logger = logging.getLogger("smarketing.settings")

CHANGES_SHOWN = 10
# The workspace settings whose latest change `/smarketing settings` always shows.
KEPT_IN_VIEW = (
    workspace.REVENUE_TARGET,
    workspace.MARKETING_SLA,
    workspace.SALES_SLA,
    DIGEST,
    workspace.TRACKING_CHANGE,
)
MANAGERS_SHOWN = 10
REPS_SHOWN = 10  # per manager
UNMANAGED_SHOWN = 20
MARKETERS_SHOWN = 20


@dataclass(frozen=True)
class Described:
    """A setting as it reads now, and as it read before (None: it was already so)."""

    new: str
    old: str | None


async def set_revenue_target(
    services: Services, *, amount: Decimal, period: Period, by: str
) -> Described:
    now = services.clock.now()

    def store() -> Described:
        with services.db.session() as session:
            old = workspace.revenue_target(session)
            workspace.set_revenue_target(session, amount=amount, period=period.value, by=by, at=now)
            return Described(
                new=workspace.describe_target(amount, period.value),
                old=workspace.describe_target(old.amount, old.period) if old else None,
            )

    return await services.in_thread(store)


async def set_marketing_commitment(services: Services, *, sla: MarketingSla, by: str) -> Described:
    """`old` None: the commitment was already in force."""
    now = services.clock.now()

    def store() -> Described:
        with services.db.session() as session:
            new = workspace.describe_marketing(sla)
            is_set = workspace.marketing_commitment(session) is not None
            if is_set and workspace.marketing_sla(session) == sla:
                return Described(new, None)
            old = workspace.marketing_in_force(session)
            workspace.set_marketing_commitment(session, sla=sla, by=by, at=now)
            return Described(new, old)

    return await services.in_thread(store)


@dataclass(frozen=True)
class SalesCommitmentSet:
    before: SalesSla
    after: SalesSla
    described: Described  # `old` None: it was already in force

    @property
    def cadence_changed(self) -> bool:
        """Escalation is read when escalating; the touches, window and first touch are in every
        lead's next touch due and window end, which must then be derived again."""
        return replace(self.after, escalate_after_hours=0) != replace(
            self.before, escalate_after_hours=0
        )


async def set_sales_commitment(
    services: Services, *, change: Callable[[SalesSla], SalesSla], by: str
) -> SalesCommitmentSet:
    """The SLA in force with `change` applied (the parts an admin left out keep their values)."""
    now = services.clock.now()

    def store() -> SalesCommitmentSet:
        with services.db.session() as session:
            current = workspace.sales_sla(session)
            sla = change(current)
            new = workspace.describe_sales(sla)
            if workspace.sales_commitment(session) is not None and sla == current:
                return SalesCommitmentSet(current, sla, Described(new, None))
            old = workspace.sales_in_force(session)
            workspace.set_sales_commitment(session, sla=sla, by=by, at=now)
            return SalesCommitmentSet(current, sla, Described(new, old))

    return await services.in_thread(store)


class Rederivation:
    """Brings every lead's next touch due and window end in line with the sales SLA in force.

    It walks the whole projection (seconds on 100k leads, longer than Slack waits for a reply),
    so it runs after the reply. One walk at a time, each reading the SLA in force as it starts:
    after two quick changes the last walk follows the last SLA.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self._one_at_a_time = asyncio.Lock()
        self._running: set[asyncio.Task[None]] = set()  # the loop holds tasks only weakly

    def start(self) -> None:
        task = asyncio.create_task(self._run())
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self) -> None:
        async with self._one_at_a_time:
            try:
                changed = await self.services.in_thread(self._rederive)
            except Exception:
                logger.exception(
                    "could not bring the leads in line with the new sales SLA; they keep the "
                    "old cadence until the next SLA change or `smarketing db rebuild`"
                )
                return
        logger.info("%d leads now follow the new sales SLA", changed)

    def _rederive(self) -> int:
        with self.services.db.session() as session:
            return events.rederive_leads(
                session, rules=workspace.rules(session), now=self.services.clock.now()
            )


@dataclass(frozen=True)
class Person:
    """Someone Slack knows, kept in the members table when named in a reporting line."""

    user_id: str
    name: str | None
    tz: str | None
    email: str | None


@dataclass(frozen=True)
class ReportingLineSet:
    result: str  # "set", "unchanged", or "loop" (the manager reports to the rep)
    old_manager_id: str | None = None


def _remember(session: Session, people: Sequence[Person], *, now: datetime) -> None:
    """Keep who Slack said each person is (name, time zone, e-mail) in the members table."""
    for person in people:
        members.upsert_member(
            session,
            slack_user_id=person.user_id,
            name=person.name,
            tz=person.tz,
            email=person.email,
            now=now,
        )


async def set_reporting_line(
    services: Services,
    *,
    rep_id: str,
    manager_id: str | None,
    people: Sequence[Person],
    by: str,
) -> ReportingLineSet:
    """`manager_id` None clears the rep's manager; a line that would make a loop is refused."""
    now = services.clock.now()

    def store() -> ReportingLineSet:
        with services.db.session() as session:
            if manager_id is not None and members.reports_to(
                session, person_id=manager_id, manager_id=rep_id
            ):
                return ReportingLineSet("loop")
            _remember(session, people, now=now)
            old = members.set_manager(session, rep_id=rep_id, manager_id=manager_id, by=by, at=now)
            return ReportingLineSet("unchanged" if old == manager_id else "set", old)

    return await services.in_thread(store)


async def set_marketing(
    services: Services,
    *,
    user_ids: Sequence[str],
    marketing: bool,
    people: Sequence[Person],
    by: str,
) -> list[str]:
    """Put people in marketing (or take them out); returns those whose role changed."""
    now = services.clock.now()

    def store() -> list[str]:
        with services.db.session() as session:
            _remember(session, people, now=now)
            return members.set_marketing(
                session, user_ids=user_ids, marketing=marketing, by=by, at=now
            )

    return await services.in_thread(store)


async def set_tracking_start(services: Services, *, day: date, by: str) -> date | None:
    """Set the day tracking started; returns the day set before (None: never set). The same
    day again changes nothing."""
    now = services.clock.now()

    def store() -> date | None:
        with services.db.session() as session:
            old = workspace.tracking_start_set(session)
            if old != day:
                workspace.set_tracking_start(session, day=day, by=by, at=now)
            return old

    return await services.in_thread(store)


async def set_team(
    services: Services,
    *,
    name: str,
    persona: str | None,
    member_ids: Sequence[str],
    people: Sequence[Person],
    by: str,
) -> tuple[members.TeamOf, members.TeamOf | None]:
    """Form the team (or change it): exactly these members, around `persona`."""
    now = services.clock.now()

    def store() -> tuple[members.TeamOf, members.TeamOf | None]:
        with services.db.session() as session:
            _remember(session, people, now=now)
            found = members.set_team(
                session, name=name, persona=persona, member_ids=member_ids, by=by, at=now
            )
            session.commit()
            return found

    return await services.in_thread(store)


@dataclass(frozen=True)
class GoalSet:
    old: int | None  # a month, before
    unseen: bool = False  # no lead carries that source or persona yet: kept, with a warning
    unknown_team: bool = False  # no such team: nothing stored
    over_by: int = 0  # the goals add up to more than the monthly commitment by this


async def set_goal(
    services: Services, *, dimension: str, name: str, per_month: int, by: str
) -> GoalSet:
    """Set (or with 0 remove) a goal; a team goal needs the team."""
    now = services.clock.now()

    def store() -> GoalSet:
        with services.db.session() as session:
            known = goals.known_name(session, dimension=dimension, name=name)
            if dimension == "team" and not known and per_month:
                return GoalSet(None, unknown_team=True)
            old = goals.set_goal(
                session, dimension=dimension, name=name, per_month=per_month, by=by, at=now
            )
            total = sum(goal.per_month for goal in goals.all_goals(session))
            committed = workspace.marketing_sla(session).committed(
                reps=reports.rep_count(session)
            )
            session.commit()
            return GoalSet(old, unseen=not known, over_by=max(total - committed, 0))

    return await services.in_thread(store)


async def marketers(services: Services, *, limit: int) -> tuple[list[str], int]:
    """The first `limit` people in marketing, and how many there are."""

    def read() -> tuple[list[str], int]:
        with services.db.session() as session:
            return members.marketers(session, limit=limit)

    return await services.in_thread(read)


async def workspace_settings(services: Services) -> WorkspaceSettings:
    """Everything `/smarketing settings` shows, read in one session, each part bounded."""
    settings = services.settings

    def read() -> WorkspaceSettings:
        with services.db.session() as session:
            target = workspace.revenue_target(session)
            commitment = workspace.marketing_commitment(session)
            threshold_set = workspace.setting(session, workspace.GRADING_THRESHOLD)
            changes = workspace.recent_changes(session, limit=CHANGES_SHOWN)
            # However many reporting lines changed since, the last change of each workspace
            # setting stays in view (the target's, say, after a dozen new managers).
            shown_ids = {row.id for row in changes}
            for what in KEPT_IN_VIEW:
                latest = workspace.latest_change(session, what=what)
                if latest is not None and latest.id not in shown_ids:
                    changes.append(latest)
            teams, managers = members.teams(session, managers=MANAGERS_SHOWN, reps_each=REPS_SHOWN)
            unmanaged, unmanaged_count = members.reps_without_manager(
                session, limit=UNMANAGED_SHOWN
            )
            scheduled = posting_overview(session, settings)
            marketer_ids, marketer_count = members.marketers(session, limit=MARKETERS_SHOWN)
            tracked = reports.tracked_from(session, tz=settings.timezone)
            return WorkspaceSettings(
                tracking_from=tracked.date() if tracked else None,
                tracking_set=workspace.tracking_start_set(session) is not None,
                marketer_ids=marketer_ids,
                marketers=marketer_count,
                sla=workspace.sales_sla(session),
                sla_is_default=workspace.sales_commitment(session) is None,
                threshold=workspace.grading_threshold(session),
                threshold_is_default=threshold_set is None,
                timezone=settings.smarketing_timezone,
                target_amount=target.amount if target else None,
                target_period=Period(target.period) if target else None,
                target_set_by=target.set_by if target else None,
                target_set_at=target.set_at if target else None,
                leads_per_month=commitment.leads_per_month if commitment else None,
                leads_per_rep=commitment.per_rep if commitment else False,
                changes=[
                    Change(
                        what=row.what,
                        old=row.old_value,
                        new=row.new_value,
                        by=row.changed_by,
                        at=row.changed_at,
                    )
                    for row in changes
                ],
                teams=[
                    Team(manager_id=team.manager_id, rep_ids=team.rep_ids, reps=team.reps)
                    for team in teams
                ],
                managers=managers,
                unmanaged_rep_ids=unmanaged,
                unmanaged_reps=unmanaged_count,
                digest_channel=scheduled.digest.channel,
                digest_schedule=scheduled.digest.schedule,
                monthly_channel=scheduled.monthly_channel,
                monthly_channel_configured=scheduled.monthly_channel_configured,
                posting_problems=scheduled.problems,
                escalation_admin=min(settings.smarketing_admins, default=None),
                unreachable_rep_ids=[
                    member.slack_user_id
                    for member in follow_up_records.unreachable_reps(session, limit=UNMANAGED_SHOWN)
                ],
            )

    return await services.in_thread(read)


async def digest_where(services: Services) -> DigestSettings:
    """Where and when the weekly digest goes: as set in Slack, else SMARKETING_DIGEST_CHANNEL
    and Monday 09:00."""

    def read() -> DigestSettings:
        with services.db.session() as session:
            return digest_settings(
                session, default_channel=services.settings.smarketing_digest_channel
            )

    return await services.in_thread(read)


async def set_digest_channel(
    services: Services, *, channel: str, schedule: DigestSchedule | None, by: str
) -> tuple[DigestSettings, bool]:
    """The digest's settings as they now are, and whether this changed them; `schedule` None
    keeps the one in force."""

    def store() -> tuple[DigestSettings, bool]:
        with services.db.session() as session:
            default = services.settings.smarketing_digest_channel
            old = digest_settings(session, default_channel=default)
            if (
                old.channel_set_in_slack
                and old.channel == channel
                and schedule in (None, old.schedule)
            ):
                return old, False
            saved = set_digest(
                session,
                channel=channel,
                schedule=schedule,
                by=by,
                at=services.clock.now(),
                default_channel=default,
            )
            session.commit()
            return saved, True

    return await services.in_thread(store)
