"""The sample company the local workspace plays: its people and channels in the emulated Slack,
and, on first start, weeks of its leads stored through the real ingestion path."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.events_api import parse_events
from domain.schedule import DigestSchedule
from domain.sla import MarketingSla
from local_workspace.emulator import SlackEmulator
from local_workspace.sample_company import REPS, history
from services.context import Services
from services.ingestion import ingest
from storage import briefs, members, reports, workspace
from storage.schedules import set_digest


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    role: str  # admin, marketer, manager or rep: who to try the page as
    tz: str
    email: str


ADMIN = Person("U0ADMIN", "Ada Admin", "admin", "Europe/London", "ada@example.com")
MANAGER = Person("U0MIA", "Mia Manager", "manager", "Europe/Berlin", "mia@example.com")
MARKETER = Person("U0MARCO", "Marco Marketer", "marketer", "America/New_York", "marco@example.com")
REP_PEOPLE = (
    Person("U0ANA", "Ana Alvarez", "rep", "Europe/Madrid", "ana@example.com"),
    Person("U0BEN", "Ben Brooks", "rep", "America/New_York", "ben@example.com"),
    Person("U0CHLOE", "Chloe Chen", "rep", "Asia/Singapore", "chloe@example.com"),
    Person("U0DEV", "Dev Patel", "rep", "Asia/Kolkata", "dev@example.com"),
    Person("U0EMMA", "Emma Evans", "rep", "America/Los_Angeles", "emma@example.com"),
)
PEOPLE = (ADMIN, MANAGER, MARKETER, *REP_PEOPLE)
DIGEST_CHANNEL = ("C0SMARKETING", "smarketing")
SALES_CHANNEL = ("C0SALES", "sales")
CHANNELS = (DIGEST_CHANNEL, SALES_CHANNEL)
WEEKS = 4
SEED = 2026

assert {person.user_id for person in REP_PEOPLE} == set(REPS)


def populate(emulator: SlackEmulator) -> None:
    """The people and channels, in the emulated Slack (it keeps nothing across restarts)."""
    for person in PEOPLE:
        emulator.add_user(
            person.user_id,
            name=person.name,
            email=person.email,
            tz=person.tz,
            is_admin=person.role == "admin",
        )
    for channel_id, name in CHANNELS:
        emulator.add_channel(channel_id, name=name)


def is_seeded(services: Services) -> bool:
    with services.db.session() as session:
        return reports.rep_count(session) > 0


async def seed(services: Services) -> int:
    """The company's settings and its last four weeks of leads; the number of events stored.
    Everything goes through the same code a CRM's events and an admin's commands do."""
    now = services.clock.now()
    start = now - timedelta(weeks=WEEKS)
    with services.db.session() as session:
        admin = ADMIN.user_id
        workspace.set_revenue_target(
            session, amount=Decimal(2_400_000), period="year", by=admin, at=start
        )
        workspace.set_marketing_commitment(
            session, sla=MarketingSla(leads_per_month=60, per_rep=True), by=admin, at=start
        )
        set_digest(
            session,
            channel=DIGEST_CHANNEL[0],
            schedule=DigestSchedule(),
            by=admin,
            at=start,
            default_channel=None,
        )
        # Marco is in marketing: his App Home and /sla-status show marketing's side. Campaign
        # briefs go to #sales, where the reps are.
        members.upsert_member(
            session, slack_user_id=MARKETER.user_id, name=MARKETER.name, tz=MARKETER.tz, now=start
        )
        members.set_marketing(
            session, user_ids=[MARKETER.user_id], marketing=True, by=admin, at=start
        )
        briefs.set_campaigns_channel(session, channel=SALES_CHANNEL[0], by=admin, at=start)
        for rep in REP_PEOPLE:
            members.upsert_member(
                session, slack_user_id=rep.user_id, name=rep.name, tz=rep.tz, now=start
            )
            members.set_manager(
                session, rep_id=rep.user_id, manager_id=MANAGER.user_id, by=admin, at=start
            )
        session.commit()
    events = history(random.Random(SEED), start=_monday(start), now=now)
    await store(services, events)
    return len(events)


async def store(services: Services, events: list[dict[str, Any]]) -> None:
    """Events as a CRM sends them, in time order, through the event API's parsing and the
    ingestion every event takes."""
    events.sort(key=lambda event: event["occurred_at"])
    for first in range(0, len(events), 1_000):
        parsed, problems = parse_events({"events": events[first : first + 1_000]})
        if problems:
            raise RuntimeError(f"sample events refused: {problems[:3]}")
        await ingest(services, parsed, origin="api")


def _monday(moment: datetime) -> datetime:
    day = moment - timedelta(days=moment.weekday())
    return day.replace(hour=0, minute=0, second=0, microsecond=0)
