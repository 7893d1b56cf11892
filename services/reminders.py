"""A manager reminds a rep to follow up (the *Remind* button of an escalation): one direct
message to the rep listing their overdue leads with the nudge's buttons, at most once a day
per manager and rep however often the button is pressed (its delivery key says so)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from domain.cadence import SalesSla
from domain.follow_up import SHOWN_IN_FULL, FollowUpLead, Nudge
from services.context import Services
from services.people import RightsUnknown, may_act_on_lead
from services.posting import Postable, Status, post_once
from storage import sla_counts, workspace

REMINDER = "reminder"


class Reminded(StrEnum):
    SENT = "sent"
    ALREADY = "already"  # this manager reminded this rep today
    NOTHING_OVERDUE = "nothing overdue"
    NOT_ALLOWED = "not allowed"  # neither the rep's manager nor an admin
    RIGHTS_UNKNOWN = "rights unknown"
    FAILED = "failed"


@dataclass(frozen=True)
class Reminder:
    result: Reminded
    overdue: int = 0
    detail: str = ""


# What the rep reads: who asks, their overdue leads (the first of them), how many in all.
Drawing = Callable[[str, Nudge, int, SalesSla], Postable]


async def remind_rep(services: Services, *, by: str, rep_id: str, draw: Drawing) -> Reminder:
    """Send `rep_id` their overdue leads, as asked by their manager (or an admin)."""
    try:
        allowed = await may_act_on_lead(services, by, rep_id)
    except RightsUnknown as error:
        return Reminder(Reminded.RIGHTS_UNKNOWN, detail=str(error))
    if not allowed:
        return Reminder(Reminded.NOT_ALLOWED)
    now = services.clock.now()

    def read() -> tuple[SalesSla, list[FollowUpLead], int]:
        with services.db.session() as session:
            sla = workspace.sales_sla(session)
            shown = sla_counts.overdue_leads(
                session, owners=[rep_id], now=now, sla=sla, limit=SHOWN_IN_FULL
            )
            counts = sla_counts.sales_counts(
                session, owners=[rep_id], now=now, sla=sla, month_start=now
            )
            total = counts[rep_id].overdue if rep_id in counts else 0
            leads = [
                FollowUpLead(
                    external_id=lead.external_id,
                    owner_id=lead.owner_id,
                    name=lead.name,
                    company=lead.company,
                    grade=lead.grade,
                    touches=lead.touches,
                    next_touch_due=lead.overdue_since,
                )
                for lead in shown
            ]
            return sla, leads, total

    sla, leads, total = await services.in_thread(read)
    if not leads:
        return Reminder(Reminded.NOTHING_OVERDUE)
    day = now.astimezone(services.settings.timezone).date()
    message = draw(by, Nudge(rep_id, overdue=leads), total, sla)
    outcome = await post_once(
        services,
        key=f"{REMINDER}:{rep_id}:{by}:{day.isoformat()}",
        kind=REMINDER,
        channel=rep_id,  # a direct message: Slack posts to a user id in the app's DM
        late=False,
        message=message,
    )
    if outcome.status is Status.SENT:
        return Reminder(Reminded.SENT, overdue=total)
    if outcome.status in (Status.ALREADY_SENT, Status.CLAIMED_ELSEWHERE):
        return Reminder(Reminded.ALREADY, overdue=total)
    return Reminder(Reminded.FAILED, overdue=total, detail=outcome.error or "")
