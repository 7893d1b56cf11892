"""App Home: publishing each person's dashboard, and its "Log a touch" and "SLA details" buttons.

Slack wants every event and button acknowledged within 3 seconds. The app answers inside the
request (`process_before_response=True`), so each listener here acks at once and does its work
in a Bolt lazy listener, which runs as a task on the server's loop after the response is sent.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View
from sqlmodel import Session

from bot.ingest import ingest
from bot.rights import RightsUnknown, is_admin, may_act_on_lead
from bot.services import Services
from bot.sla_report import MarketingSide, SalesSide, build_report
from bot.views import home as views
from bot.views.format import shown
from bot.views.lead import lead_label, touch_logged
from commands.digest import delivery_overview
from commands.lead import LeadRequest, event_for, refused
from domain.cadence import SalesSla
from storage import follow_up, leads, members, reports, workspace
from storage.models import Lead

logger = logging.getLogger("smarketing.home")

_EVENT_ID_MAX = 255  # lead_event.event_id


async def _admin(services: Services, user_id: str) -> bool:
    """Whether to show the marketing side; when Slack cannot say, it is not shown (never
    granted on doubt), and the rest of the Home still is."""
    try:
        return await is_admin(services, user_id)
    except RightsUnknown as error:
        logger.warning(
            "users.info failed for %s (%s): Home shown without admin part", user_id, error
        )
        return False


def _my_leads(session: Session, *, user_id: str, now: datetime, tz: ZoneInfo) -> views.MyLeads:
    own = build_report(
        session, owners=[user_id], now=now, tz=tz, marketing=False, overdue_limit=views.LEADS_SHOWN
    )
    assert own.sales is not None
    due, due_total = leads.due_leads_of(session, owner_id=user_id, now=now, limit=views.LEADS_SHOWN)
    return views.MyLeads(sales=own.sales, due=due, due_total=due_total)


def _works_leads(mine: views.MyLeads) -> bool:
    counts = mine.sales.total
    return bool(mine.due or counts.in_window or counts.overdue or counts.breaches)


def _team(session: Session, *, team: list[str], now: datetime, tz: ZoneInfo) -> SalesSide:
    """The sales side for a list of reps: a manager's team, or one rep alone."""
    report = build_report(
        session, owners=team, now=now, tz=tz, marketing=False, overdue_limit=views.LEADS_SHOWN
    )
    assert report.sales is not None
    return report.sales


def _marketing(
    session: Session, *, now: datetime, tz: ZoneInfo
) -> tuple[MarketingSide, views.Channels]:
    """Marketing's side of the SLA, and this month's leads by campaign and by source."""
    report = build_report(session, owners=None, now=now, tz=tz, sales=False)
    assert report.marketing is not None
    month = report.month
    by = {
        dimension: reports.breakdown(session, dimension=dimension, start=month.start, end=month.end)
        for dimension in (reports.Dimension.CAMPAIGN, reports.Dimension.SOURCE)
    }
    return report.marketing, views.Channels(
        month=month.start,
        by_campaign=by[reports.Dimension.CAMPAIGN],
        by_source=by[reports.Dimension.SOURCE],
    )


async def gather_home(services: Services, user_id: str, *, notice: str | None = None) -> views.Home:
    """Everything one person's Home shows, read in one session: their own leads if they work
    any (or have no other role), their team if they manage one, marketing's side if admin, and
    for an admin, a digest or report Slack refused for good."""
    admin = await _admin(services, user_id)
    now = services.clock.now()
    tz = services.settings.timezone

    def read() -> views.Home:
        with services.db.session() as session:
            team = members.team_of(session, user_id)
            mine = _my_leads(session, user_id=user_id, now=now, tz=tz)
            marketing, channels = _marketing(session, now=now, tz=tz) if admin else (None, None)
            problems = delivery_overview(session, services.settings).problems if admin else []
            unreachable = (
                [m.slack_user_id for m in follow_up.unreachable_reps(session, limit=20)]
                if admin
                else []
            )
            return views.Home(
                now=now,
                mine=mine if _works_leads(mine) or not (team or admin) else None,
                team=_team(session, team=team, now=now, tz=tz) if team else None,
                marketing=marketing,
                channels=channels,
                notice=notice,
                delivery_problems=problems,
                unreachable_rep_ids=unreachable,
            )

    return await services.in_thread(read)


async def publish_home(services: Services, user_id: str, *, notice: str | None = None) -> None:
    """Build this person's Home from the store as it is now and publish it with views.publish."""
    home = await gather_home(services, user_id, notice=notice)
    await services.client.views_publish(user_id=user_id, view=views.home_view(home))


# ---------------------------------------------------------------- "Log a touch"


def touch_event_id(lead: Lead, *, touches_shown: int) -> str:
    """The id of the touch a Home button logs: touch n+1 of this assignment of this lead.

    Made from what the button showed, not from the click, so every click on one version of the
    Home — a double click, Slack's retry, the rep and their manager on the same stale button —
    names the same event, and the event log's unique id keeps just one. Re-assignment restarts
    the count, so the assignment time is part of the id.
    """
    assigned = int(lead.assigned_at.timestamp()) if lead.assigned_at else "unassigned"
    event_id = f"slack:home:{lead.external_id}:{assigned}:touch-{touches_shown + 1}"
    if len(event_id) <= _EVENT_ID_MAX:
        return event_id
    return "slack:home:" + hashlib.sha256(event_id.encode()).hexdigest()


@dataclass(frozen=True)
class _Found:
    lead: Lead | None
    sla: SalesSla
    already_logged: bool = False


async def _find(services: Services, external_id: str, touches_shown: int | None = None) -> _Found:
    def read() -> _Found:
        with services.db.session() as session:
            lead = leads.lead_by_external_id(session, external_id=external_id)
            logged = (
                lead is not None
                and touches_shown is not None
                and leads.event_logged(
                    session, event_id=touch_event_id(lead, touches_shown=touches_shown)
                )
            )
            return _Found(lead=lead, sla=workspace.sales_sla(session), already_logged=logged)

    return await services.in_thread(read)


def _already_logged(lead: Lead, *, sla: SalesSla) -> str:
    return (
        f":information_source: That touch on {lead_label(lead)} was already logged, so nothing "
        f"was logged twice: {lead.touches} of {sla.touches} touches."
    )


async def log_touch(services: Services, *, user_id: str, value: str) -> str:
    """Log the touch a "Log a touch" button stands for, once; the notice says what happened."""
    parsed = views.parse_touch_value(value)
    if parsed is None:
        return ":warning: That button is not one this Home makes; nothing was logged."
    external_id, touches_shown = parsed
    found = await _find(services, external_id, touches_shown)
    lead = found.lead
    if lead is None:
        return f":warning: No lead has the id *{shown(external_id, 80)}*; nothing was logged."
    label = lead_label(lead)
    try:
        allowed = await may_act_on_lead(services, user_id, lead.owner_id)
    except RightsUnknown as error:
        return (
            f":warning: Slack did not say who you are ({error}), so nothing was logged on "
            f"{label}; try again shortly."
        )
    if not allowed:
        whose = f"<@{lead.owner_id}>'s lead" if lead.owner_id else "not assigned to you"
        return (
            f":no_entry: {label} is {whose}: only its owner, a manager or an admin can log a "
            "touch on it. Nothing was logged."
        )
    if found.already_logged:
        return _already_logged(lead, sla=found.sla)
    request = LeadRequest(action="touch", external_id=lead.external_id)
    reason = refused(request, lead)
    if reason is not None:
        return f":no_entry: {reason}. Nothing was logged."
    if lead.touches != touches_shown:
        return (
            f":information_source: {label} has changed since this Home was drawn (now "
            f"{lead.touches} of {found.sla.touches} touches), so nothing was logged. If you "
            "made another touch, press its button again."
        )
    event_id = touch_event_id(lead, touches_shown=touches_shown)
    now = services.clock.now()
    result = await ingest(
        services, [event_for(request, event_id=event_id, now=now)], origin="slack", actor_id=user_id
    )
    after = await _find(services, external_id)
    assert after.lead is not None  # a lead row is never deleted
    if event_id in result.result.duplicates:  # a click that came in at the same moment
        return _already_logged(after.lead, sla=after.sla)
    return ":white_check_mark: " + touch_logged(after.lead, sla=after.sla, now=now).text


# ---------------------------------------------------------------- "Open SLA details"


async def sla_details(services: Services, *, user_id: str, scope: views.Scope) -> View:
    """The modal for one scope: the person's own leads, their team's, or marketing's side."""
    now = services.clock.now()
    tz = services.settings.timezone

    def read() -> View:
        with services.db.session() as session:
            if scope == "marketing":
                report = build_report(session, owners=None, now=now, tz=tz, sales=False)
                return views.sla_details_view(scope=scope, now=now, marketing=report.marketing)
            team = members.team_of(session, user_id) if scope == "team" else []
            # Someone who manages nobody (any more) gets their own figures, never everyone's.
            sales = _team(session, team=team or [user_id], now=now, tz=tz)
            return views.sla_details_view(scope="team" if team else "me", now=now, sales=sales)

    return await services.in_thread(read)


# ---------------------------------------------------------------- wiring


async def _logged(what: str, work: Awaitable[None]) -> None:
    """Bolt logs a lazy listener's failure without its traceback; this keeps the traceback."""
    try:
        await work
    except Exception:
        logger.exception("App Home: %s failed", what)


def register(app: AsyncApp, services: Services) -> None:
    async def ack_at_once(ack: AsyncAck) -> None:
        await ack()

    async def publish_on_open(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to draw
        await _logged("publishing", publish_home(services, event["user"]))

    async def log_touch_clicked(body: dict[str, Any], action: dict[str, Any]) -> None:
        user_id = body["user"]["id"]

        async def work() -> None:
            notice = await log_touch(services, user_id=user_id, value=action.get("value") or "")
            await publish_home(services, user_id, notice=notice)

        await _logged("log a touch", work())

    async def sla_details_clicked(body: dict[str, Any], action: dict[str, Any]) -> None:
        async def work() -> None:
            scope = views.scope_of(action.get("value") or "")
            view = await sla_details(services, user_id=body["user"]["id"], scope=scope)
            await services.client.views_open(trigger_id=body["trigger_id"], view=view)

        await _logged("SLA details", work())

    app.event("app_home_opened")(ack=ack_at_once, lazy=[publish_on_open])
    app.action(views.LOG_TOUCH)(ack=ack_at_once, lazy=[log_touch_clicked])
    app.action(views.SLA_DETAILS)(ack=ack_at_once, lazy=[sla_details_clicked])
